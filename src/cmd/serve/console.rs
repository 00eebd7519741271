//! The console: commands typed at a prompt (rustyline, with events printed
//! above it) or piped into stdin, one per line, in the language of
//! [`cmd::input::console`](crate::cmd::input::console).

use std::io;
use std::sync::Arc;

use super::conn::Conn;
use super::Shared;
use crate::cmd::input::console::{parse, Command, Target, COMMANDS};
use crate::cmd::prompt::{self, Completion, Kind, Terminal};
use crate::cmd::signals;
use crate::print::escape::escape_str;

/// Starts the console (see [`prompt::start`]).
pub(super) fn start(kind: Kind, shared: &Arc<Shared>) -> io::Result<Option<Terminal>> {
    prompt::start(
        kind,
        ServeLines {
            shared: shared.clone(),
        },
        Completion::with_ids(COMMANDS, {
            let shared = shared.clone();
            move || shared.clients().iter().map(|c| c.id).collect()
        }),
        &shared.out,
        "console: a line is a text message to every client; /help lists the commands; Ctrl-C or Ctrl-D stops the server\n",
    )
}

/// What serve does with the console's lines.
struct ServeLines {
    shared: Arc<Shared>,
}

impl prompt::Lines for ServeLines {
    fn line(&mut self, line: &str, prompt: bool) -> bool {
        run(line, &self.shared, prompt) == Flow::Go
    }

    fn interrupted(&mut self) {
        signals::wake();
    }

    fn ended(&mut self, count: u64) {
        if count > 0 {
            eprintln!(
                "wsdbg serve: console: end of input; the server keeps running (Ctrl-C to stop)"
            );
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Quit,
}

/// Runs one line; what it has to say goes to the prompt, or for piped
/// lines to stdout (answers) and stderr (errors).
fn run(line: &str, shared: &Shared, prompt: bool) -> Flow {
    let answers = prompt::Answers {
        out: &shared.out,
        prompt,
        json: shared.view.json,
    };
    match parse(line, true) {
        Err(e) => answers.error(&e.to_string()),
        Ok(Command::Nothing) => {}
        Ok(Command::Help(None)) => answers.reply(&help()),
        Ok(Command::Help(Some(u))) => answers.reply(&format!("{}\n    {}\n", u.line(true), u.what)),
        Ok(Command::List) => answers.reply(&list(shared)),
        Ok(Command::Quit) => {
            signals::wake();
            return Flow::Quit;
        }
        Ok(Command::Send(target, what)) => {
            let conns = shared.clients();
            let chosen: Vec<&Arc<Conn>> = match target {
                Target::All => conns.iter().collect(),
                Target::Id(id) => conns.iter().filter(|c| c.id == id).collect(),
            };
            if chosen.is_empty() {
                answers.error(&match target {
                    Target::Id(id) => format!("no client #{id}; {}", connected(&conns)),
                    Target::All => "no clients are connected".to_string(),
                });
            }
            for c in chosen {
                if let Err(why) = c.command(shared, &what) {
                    answers.error(&format!("#{}: {why}", c.id));
                }
            }
        }
    }
    Flow::Go
}

/// "connected: #1, #3" or "none is connected".
fn connected(conns: &[Arc<Conn>]) -> String {
    if conns.is_empty() {
        return "no clients are connected".into();
    }
    let ids: Vec<String> = conns.iter().map(|c| format!("#{}", c.id)).collect();
    format!("connected: {}", ids.join(", "))
}

fn help() -> String {
    let mut s = String::from(
        "A line without / is a text message to every client (//text sends /text).\nID is a client id as shown (1 or #1) or all.\n",
    );
    let width = COMMANDS
        .iter()
        .map(|u| u.line(true).len())
        .max()
        .unwrap_or(0);
    for u in COMMANDS {
        let line = u.line(true);
        if line.len() > 40 {
            s.push_str(&format!("  {line}\n  {:40}  {}\n", "", u.what));
        } else {
            s.push_str(&format!("  {line:w$}  {}\n", u.what, w = width.min(40)));
        }
    }
    s
}

fn list(shared: &Shared) -> String {
    let conns = shared.clients();
    if conns.is_empty() {
        return "no clients are connected\n".into();
    }
    let rows: Vec<[String; 7]> = conns
        .iter()
        .map(|c| {
            let r = c.row(shared);
            [
                format!("#{}", c.id),
                c.peer().to_string(),
                r.path.as_deref().map_or("-".into(), escape_str),
                r.state.to_string(),
                r.received.to_string(),
                r.sent.to_string(),
                format!("{:.1}s", r.age.as_secs_f64()),
            ]
        })
        .collect();
    let head = ["id", "address", "path", "state", "in", "out", "age"];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    for row in std::iter::once(head.map(String::from)).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if (4..=5).contains(&i) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:w$}")
                }
            })
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_command_once() {
        let h = help();
        for u in COMMANDS {
            assert_eq!(
                h.matches(&format!("  {} ", u.name)).count()
                    + h.matches(&format!("  {}\n", u.name)).count(),
                1,
                "{}\n{h}",
                u.name
            );
        }
        assert!(h.contains("/frame ID [--opcode OP]"));
    }

    #[test]
    fn help_lines_up_what_each_command_does() {
        let h = help();
        let mut columns = Vec::new();
        for u in COMMANDS {
            let usage = format!("  {}", u.line(true));
            let at = h
                .find(&format!("{usage} "))
                .or_else(|| h.find(&format!("{usage}\n")));
            let mut lines = h[at.unwrap_or_else(|| panic!("{usage}\n{h}"))..].lines();
            let first = lines.next().unwrap();
            // A usage too long to share its line with the text has one
            // of its own, and the text goes below.
            let line = if first.ends_with(u.what) {
                first
            } else {
                assert_eq!(first, usage, "{h}");
                lines.next().unwrap()
            };
            assert!(line.ends_with(u.what), "{}: {line:?}\n{h}", u.name);
            columns.push(line.chars().count() - u.what.chars().count());
        }
        assert!(columns.iter().all(|&c| c == columns[0]), "{columns:?}\n{h}");
        let longest = COMMANDS.iter().map(|u| u.line(true).len()).max();
        assert!(columns[0] < 2 + longest.unwrap(), "{columns:?}\n{h}");
    }
}
