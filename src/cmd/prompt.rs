//! What the consoles of `serve`, `connect` and `proxy` share: reading
//! commands from a prompt on the terminal (rustyline, with events printed
//! above it) or one per line from a pipe, where output goes meanwhile, and
//! giving the terminal back as it was.

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Mutex;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::input::console::Usage;

/// The prompt.
pub(crate) const PROMPT: &str = "wsdbg> ";

/// How the console reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A prompt on the terminal, events printed above it.
    Prompt,
    /// Lines from stdin (a pipe, a file, or a terminal whose output goes
    /// elsewhere), no prompt.
    Lines,
    /// No console (`--no-console`, or stdin is a terminal this process
    /// does not own: it runs in the background).
    Off,
}

/// Completes console command names, then the client ids of the commands
/// that take one (serve's; connect has one peer and no ids).
pub(crate) struct Completion {
    /// The commands this console knows.
    commands: &'static [Usage],
    /// Names not offered (connect's `/list`: it has one peer).
    hidden: &'static [&'static str],
    /// The ids there are now; `None` for a console without ids.
    ids: Option<Box<dyn Fn() -> Vec<u64> + Send + Sync>>,
}

impl Completion {
    /// The names of `commands` but `hidden`, and no ids (connect, the
    /// proxy).
    pub(crate) fn names(commands: &'static [Usage], hidden: &'static [&'static str]) -> Self {
        Self {
            commands,
            hidden,
            ids: None,
        }
    }

    /// The names of `commands`, then the ids `ids` gives (and `all`).
    pub(crate) fn with_ids(
        commands: &'static [Usage],
        ids: impl Fn() -> Vec<u64> + Send + Sync + 'static,
    ) -> Self {
        Self {
            commands,
            hidden: &[],
            ids: Some(Box::new(ids)),
        }
    }

    /// What completes the word before `pos` in `line`: where the word
    /// starts, and the candidates.
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let start = before.rfind(' ').map_or(0, |i| i + 1);
        let word = &before[start..];
        let pair = |s: String| Pair {
            display: s.trim_end().to_string(),
            replacement: s,
        };
        if start == 0 {
            if !word.starts_with('/') {
                return (0, Vec::new());
            }
            let names = self
                .commands
                .iter()
                .filter(|u| !self.hidden.contains(&u.name))
                .filter(|u| u.name.starts_with(word))
                .map(|u| pair(format!("{} ", u.name)))
                .collect();
            return (0, names);
        }
        let Some(ids) = &self.ids else {
            return (start, Vec::new());
        };
        let first = before.split(' ').next().unwrap_or("");
        let takes_id = self
            .commands
            .iter()
            .any(|u| u.name == first && u.line(true).contains(" ID"));
        if !takes_id || before[..start].trim_end().contains(' ') {
            return (start, Vec::new());
        }
        let mut ids: Vec<String> = ids().iter().map(u64::to_string).collect();
        ids.push("all".into());
        let bare = word.strip_prefix('#').unwrap_or(word);
        let found = ids
            .into_iter()
            .filter(|id| id.starts_with(bare))
            .map(|id| pair(format!("{id} ")))
            .collect();
        (start, found)
    }
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}

/// Which console fits this process's stdin and stdout.
pub(crate) fn kind(disabled: bool) -> Kind {
    let stdin = io::stdin();
    if disabled {
        return Kind::Off;
    }
    if !stdin.is_terminal() {
        return Kind::Lines;
    }
    // A background job that reads its terminal is stopped (SIGTTIN).
    let foreground = rustix::termios::tcgetpgrp(&stdin).ok() == Some(rustix::process::getpgrp());
    if !foreground {
        Kind::Off
    } else if io::stdout().is_terminal() {
        Kind::Prompt
    } else {
        Kind::Lines
    }
}

/// The terminal's settings before the prompt took it over, put back when
/// the command ends, whatever the prompt was doing then.
pub(crate) struct Terminal(rustix::termios::Termios);

impl Terminal {
    fn save() -> Option<Self> {
        rustix::termios::tcgetattr(io::stdin()).ok().map(Self)
    }

    /// Restores the settings, ends bracketed paste, and starts a new line.
    pub(crate) fn restore(&self) {
        let _ =
            rustix::termios::tcsetattr(io::stdin(), rustix::termios::OptionalActions::Now, &self.0);
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[?2004l\r\n");
        let _ = out.flush();
    }
}

/// Where events go.
enum Sink {
    /// Standard output.
    Stdout(io::Stdout),
    /// Above the console's prompt.
    Printer(Box<dyn rustyline::ExternalPrinter + Send>),
    /// Nowhere: standard output was closed.
    Gone,
}

/// Standard output, or above the prompt once there is one; written in
/// whole blocks so that blocks never interleave.
pub(crate) struct Output(Mutex<Sink>);

impl Output {
    /// Standard output.
    pub(crate) fn stdout() -> Self {
        Self(Mutex::new(Sink::Stdout(io::stdout())))
    }

    /// Writes a rendered block in one piece. A closed stdout stops output,
    /// not the command.
    pub(crate) fn emit(&self, block: &[u8]) {
        if block.is_empty() {
            return;
        }
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let ok = match &mut *out {
            Sink::Stdout(stdout) => {
                let mut lock = stdout.lock();
                lock.write_all(block).and_then(|()| lock.flush()).is_ok()
            }
            Sink::Printer(p) => p.print(String::from_utf8_lossy(block).into_owned()).is_ok(),
            Sink::Gone => true,
        };
        if !ok {
            *out = Sink::Gone;
        }
    }

    /// Whether a prompt shows output.
    pub(crate) fn is_prompt(&self) -> bool {
        matches!(
            *self.0.lock().unwrap_or_else(|e| e.into_inner()),
            Sink::Printer(_)
        )
    }

    /// A message of the command's own: above the prompt when there is one,
    /// else on stderr.
    pub(crate) fn say(&self, text: &str) {
        if self.is_prompt() {
            self.emit(text.as_bytes());
        } else {
            eprint!("{text}");
        }
    }
}

/// What a console does with what it reads.
pub(crate) trait Lines: Send + 'static {
    /// One line (without its end); false stops reading.
    fn line(&mut self, line: &str, prompt: bool) -> bool;
    /// Ctrl-C or Ctrl-D at the prompt.
    fn interrupted(&mut self);
    /// The end of piped input, after `count` lines.
    fn ended(&mut self, count: u64);
    /// A line from a pipe that is not UTF-8: said, and left out.
    fn not_utf8(&mut self, number: u64, byte: usize) {
        eprintln!(
            "wsdbg: error: console: line {number} is not UTF-8 (byte {byte}); not sent (/binary or /raw send bytes as hex)"
        );
    }
}

/// Where a console line's answers and errors go: above the prompt, or,
/// for piped lines, answers to stdout (stderr under `--json`, which keeps
/// stdout for events) and errors to stderr.
pub(crate) struct Answers<'a> {
    /// The output the prompt prints above.
    pub out: &'a Output,
    /// The line came from the prompt.
    pub prompt: bool,
    /// Events are JSON on stdout.
    pub json: bool,
}

impl Answers<'_> {
    /// What a command has to say.
    pub(crate) fn reply(&self, text: &str) {
        if self.prompt {
            self.out.say(text);
        } else if self.json {
            eprint!("{text}");
        } else {
            let mut out = io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// Why a command could not be carried out.
    pub(crate) fn error(&self, text: &str) {
        if self.prompt {
            self.out.say(&format!("error: {text}\n"));
        } else {
            eprintln!("wsdbg: error: console: {text}");
        }
    }
}

/// Starts the console on its own thread. For a prompt, `output` goes above
/// it from here on, and the terminal's settings are returned, to be
/// restored when the command ends.
pub(crate) fn start<L: Lines, H: Helper + Send + 'static>(
    kind: Kind,
    mut lines: L,
    helper: H,
    output: &Output,
    greeting: &str,
) -> io::Result<Option<Terminal>> {
    match kind {
        Kind::Off => Ok(None),
        Kind::Lines => {
            std::thread::Builder::new()
                .name("console".into())
                .spawn(move || read_lines(&mut lines))?;
            Ok(None)
        }
        Kind::Prompt => {
            let terminal = Terminal::save();
            let mut editor: Editor<H, _> =
                Editor::new().map_err(|e| io::Error::other(e.to_string()))?;
            editor.set_helper(Some(helper));
            let printer = editor
                .create_external_printer()
                .map_err(|e| io::Error::other(e.to_string()))?;
            *output.0.lock().unwrap_or_else(|e| e.into_inner()) = Sink::Printer(Box::new(printer));
            output.say(greeting);
            std::thread::Builder::new()
                .name("console".into())
                .spawn(move || prompt(editor, &mut lines))?;
            Ok(terminal)
        }
    }
}

fn prompt<H: Helper>(
    mut editor: Editor<H, rustyline::history::DefaultHistory>,
    lines: &mut impl Lines,
) {
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if !lines.line(&line, true) {
                    break;
                }
            }
            // Ctrl-C and Ctrl-D at the prompt stop, as they do in a shell
            // or a REPL (the prompt holds the terminal in raw mode, so
            // Ctrl-C sends no signal).
            Err(ReadlineError::Interrupted) | Err(ReadlineError::Eof) => {
                lines.interrupted();
                break;
            }
            Err(e) => {
                eprintln!("wsdbg: error: console: cannot read the terminal: {e}");
                break;
            }
        }
    }
}

fn read_lines(lines: &mut impl Lines) {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            // read_until itself retries on EINTR.
            Err(e) => {
                eprintln!("wsdbg: error: console: cannot read stdin: {e}");
                break;
            }
        }
        number += 1;
        match std::str::from_utf8(&line) {
            Ok(text) => {
                if !lines.line(text, false) {
                    return;
                }
            }
            Err(e) => lines.not_utf8(number, e.valid_up_to() + 1),
        }
    }
    lines.ended(number);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::input::console::{COMMANDS, PROXY_COMMANDS};

    fn shown(c: &Completion, line: &str) -> Vec<String> {
        let (_, found) = c.candidates(line, line.len());
        found.into_iter().map(|p| p.display).collect()
    }

    #[test]
    fn each_console_completes_its_own_commands() {
        let proxy = Completion::names(PROXY_COMMANDS, &[]);
        assert_eq!(shown(&proxy, "/in"), ["/intercept"]);
        assert_eq!(shown(&proxy, "/f"), ["/frame", "/forward"]);
        assert_eq!(shown(&proxy, "/li"), ["/list"]);
        let connect = Completion::names(COMMANDS, &["/list"]);
        assert!(shown(&connect, "/in").is_empty());
        assert!(shown(&connect, "/li").is_empty());
        assert_eq!(shown(&connect, "/pi"), ["/ping"]);
    }

    #[test]
    fn ids_follow_the_commands_that_take_one() {
        let serve = Completion::with_ids(COMMANDS, || vec![3, 12]);
        assert_eq!(shown(&serve, "/li"), ["/list"]);
        assert_eq!(shown(&serve, "/ping 1"), ["12"]);
        assert_eq!(shown(&serve, "/ping #"), ["3", "12", "all"]);
        assert!(shown(&serve, "/ping 3 x").is_empty());
        assert!(shown(&serve, "hello wor").is_empty());
        let proxy = Completion::names(PROXY_COMMANDS, &[]);
        assert!(shown(&proxy, "/send 1").is_empty());
    }
}
