//! The commands: the only place that touches stdin, stdout, files and the
//! terminal. Errors map to the exit codes of DESIGN.md.

pub mod accept_key;
pub mod ca;
pub mod capture;
pub mod check;
pub mod connect;
pub mod decode;
mod event;
pub mod input;
mod live;
pub mod mask;
mod prompt;
pub mod proxy;
pub(crate) mod record;
pub mod replay;
pub mod serve;
mod signals;
mod wire;

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Command};
use crate::print::Palette;

/// Why a command did not end with exit status 0.
#[derive(Debug)]
pub enum Failure {
    /// The input was read but breaks RFC 6455, or a check failed: exit 1.
    /// What was wrong has already been printed.
    Violation,
    /// Bad usage or unreadable input: exit 2 with this message.
    Input(String),
    /// Reading or writing failed; a closed stdout is not an error.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

/// Runs the program: parses arguments, runs the command, maps the result
/// to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(crate::cli::args(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One prefix for every error, clap's included.
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprint!("wsdbg: error: {text}");
            return ExitCode::from(2);
        }
    };
    let palette = palette(cli.color);
    let result = match &cli.command {
        Command::AcceptKey(a) => accept_key::run(a),
        Command::Decode(a) => decode::run(a, palette),
        Command::Mask(a) => mask::run(a),
        Command::Serve(a) => serve::run(a, palette),
        Command::Connect(a) => connect::run(a, palette),
        Command::Proxy(a) => proxy::run(a, palette),
        Command::Check(a) => check::run(a, palette),
        Command::Ca(a) => ca::run(a),
        Command::Replay(a) => replay::run(a, palette),
    };
    // What the last turns of a command's loops recorded.
    record::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Violation) => ExitCode::from(1),
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            eprintln!("wsdbg: error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Input(msg)) => {
            eprintln!("wsdbg: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn palette(choice: ColorChoice) -> Palette {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    };
    Palette { enabled }
}

/// The most input a command reads into memory (dumps are read whole).
pub const MAX_INPUT: u64 = 512 << 20;

/// Reads all of stdin, up to [`MAX_INPUT`], refusing a terminal (see
/// [`stdin_not_terminal`]).
pub fn read_stdin(what: &str) -> Result<Vec<u8>, Failure> {
    stdin_not_terminal(what)?;
    read_bounded(io::stdin().lock(), "stdin")
}

/// Refuses to wait on a terminal when `what` is needed from stdin, so a
/// forgotten argument does not look like a hang.
pub fn stdin_not_terminal(what: &str) -> Result<(), Failure> {
    if io::stdin().is_terminal() {
        return Err(Failure::Input(format!(
            "no {what} given: pass it as an argument, or pipe it in (stdin is a terminal)"
        )));
    }
    Ok(())
}

/// Reads all of `r`, failing beyond [`MAX_INPUT`].
pub fn read_bounded(r: impl Read, name: &str) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::Input(format!("cannot read {name}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::Input(format!(
            "{name} is larger than {} MiB; this command reads its input whole",
            MAX_INPUT >> 20
        )));
    }
    Ok(buf)
}

/// A locked, buffered stdout.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}

/// Writes a warning to stderr.
pub fn warn(msg: &str) {
    let _ = writeln!(io::stderr(), "wsdbg: warning: {msg}");
}
