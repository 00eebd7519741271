//! Regenerates the shell completions in `completions/` and the man pages in
//! `man/` from the clap definitions in `src/cli.rs`:
//!
//!     cargo run --example generate
//!
//! `tests/generated.rs` fails when the committed files differ from what
//! this produces.
//!
//! The man pages are assembled here from clap_mangen's sections (title,
//! name, options) and our own: a SYNOPSIS that names the command as it is
//! typed (`wsdbg decode`) with its value placeholders, and EXAMPLES, EXIT
//! STATUS and the rest of the notes taken from each command's
//! `after_help`, so `--help` and the man page say the same.

use std::path::PathBuf;

use clap::Command;
use clap_complete::Shell;

/// Every generated file: its path relative to the repository and contents.
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut cmd = wsdbg::cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "wsdbg", &mut buf);
        let name = match shell {
            Shell::Bash => "wsdbg.bash",
            Shell::Zsh => "_wsdbg",
            Shell::Fish => "wsdbg.fish",
            Shell::Elvish => "wsdbg.elv",
            _ => "_wsdbg.ps1",
        };
        files.push((PathBuf::from("completions").join(name), buf));
    }
    let mut cmd = wsdbg::cli::command();
    // Built, the subcommands carry the global options (--color) too.
    cmd.build();
    let subs: Vec<&Command> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .collect();
    let mut pages = vec![("wsdbg".to_string(), "wsdbg".to_string(), &cmd)];
    for sub in &subs {
        pages.push((
            format!("wsdbg-{}", sub.get_name()),
            format!("wsdbg {}", sub.get_name()),
            sub,
        ));
    }
    let names: Vec<String> = pages.iter().map(|(page, _, _)| page.clone()).collect();
    for (page, typed, c) in &pages {
        let see_also: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| n != page)
            .collect();
        let buf = man_page(c, page, typed, &subs, &see_also);
        files.push((PathBuf::from("man").join(format!("{page}.1")), buf));
    }
    files
}

/// One page: `page` is its name (`wsdbg-decode`), `typed` the command as
/// typed (`wsdbg decode`).
fn man_page(
    cmd: &Command,
    page: &str,
    typed: &str,
    subs: &[&Command],
    see_also: &[&str],
) -> Vec<u8> {
    // clap names are `&'static str` without its `string` feature; this
    // runs once per page in a short-lived process.
    let named = cmd
        .clone()
        .name(&*Box::leak(page.to_string().into_boxed_str()));
    let man = clap_mangen::Man::new(named);
    let mut out = Vec::new();
    man.render_title(&mut out).expect("into memory");
    let text = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
    // Command and option names must not be hyphenated at line ends.
    text(&mut out, ".nh\n");
    man.render_name_section(&mut out).expect("into memory");

    text(&mut out, ".SH SYNOPSIS\n");
    text(&mut out, &synopsis(cmd, typed));

    let notes = Notes::of(cmd);
    text(&mut out, ".SH DESCRIPTION\n");
    let about = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    text(&mut out, &format!("{}\n", escape(&about)));
    for p in &notes.paragraphs {
        text(&mut out, &paragraph(p));
    }

    man.render_options_section(&mut out).expect("into memory");

    if !subs.is_empty() && page == "wsdbg" {
        text(&mut out, ".SH COMMANDS\n");
        for s in subs {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            text(
                &mut out,
                &format!(
                    ".TP\n\\fBwsdbg {}\\fR\n{} (see \\fBwsdbg\\-{}\\fR(1))\n",
                    escape(s.get_name()),
                    escape(&about),
                    escape(s.get_name())
                ),
            );
        }
    }
    if !notes.examples.is_empty() {
        text(&mut out, ".SH EXAMPLES\n.nf\n");
        for line in &notes.examples {
            text(&mut out, &format!("{}\n", escape_line(line)));
        }
        text(&mut out, ".fi\n");
    }
    text(&mut out, ".SH EXIT STATUS\n");
    let exit = notes.exit.unwrap_or_else(|| {
        "0 all well; 1 the input breaks RFC 6455 or a check failed; 2 usage error or \
         unreadable input."
            .to_string()
    });
    text(&mut out, &format!("{}\n", escape(&exit)));
    text(&mut out, ".SH SEE ALSO\n");
    let refs: Vec<String> = see_also
        .iter()
        .map(|n| format!("\\fB{}\\fR(1)", escape(n)))
        .collect();
    text(&mut out, &format!("{}\n", refs.join(", ")));
    let version = env!("CARGO_PKG_VERSION");
    text(&mut out, &format!(".SH VERSION\nv{}\n", escape(version)));
    out
}

/// What a command's `after_help` holds, by kind.
struct Notes {
    /// The lines under "Examples:".
    examples: Vec<String>,
    /// Paragraphs that explain.
    paragraphs: Vec<String>,
    /// What follows "Exit status:".
    exit: Option<String>,
}

impl Notes {
    fn of(cmd: &Command) -> Self {
        let mut notes = Notes {
            examples: Vec::new(),
            paragraphs: Vec::new(),
            exit: None,
        };
        let after = cmd
            .get_after_help()
            .map(|a| a.to_string())
            .unwrap_or_default();
        for p in after.split("\n\n").filter(|p| !p.trim().is_empty()) {
            if let Some(rest) = p.strip_prefix("Examples:\n") {
                notes.examples = rest
                    .lines()
                    .map(|l| l.strip_prefix("  ").unwrap_or(l).to_string())
                    .collect();
            } else if let Some(i) = p.find("Exit status:") {
                let before = p[..i].trim();
                if !before.is_empty() {
                    notes.paragraphs.push(before.to_string());
                }
                notes.exit = Some(p[i + "Exit status:".len()..].trim().to_string());
            } else {
                notes.paragraphs.push(p.to_string());
            }
        }
        notes
    }
}

/// A paragraph: filled, and the lines it lays out by hand (indented) as
/// they are.
fn paragraph(p: &str) -> String {
    let lines: Vec<&str> = p.lines().collect();
    let split = lines
        .iter()
        .position(|l| l.starts_with("  "))
        .unwrap_or(lines.len());
    let mut s = format!(".PP\n{}\n", escape(&lines[..split].join(" ")));
    if split < lines.len() {
        s.push_str(".nf\n");
        for line in &lines[split..] {
            s.push_str(&escape_line(line));
            s.push('\n');
        }
        s.push_str(".fi\n");
    }
    s
}

/// The synopsis: the command as typed, each option with its value's
/// placeholder, the arguments, the subcommand.
fn synopsis(cmd: &Command, typed: &str) -> String {
    let mut parts = vec![format!("\\fB{}\\fR", escape(typed))];
    // Options first, then the arguments, as usage lines go.
    let mut args: Vec<_> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    args.sort_by_key(|a| a.is_positional());
    for arg in args {
        let value = arg.get_action().takes_values().then(|| {
            let name = arg
                .get_value_names()
                .and_then(|v| v.first().map(|n| n.to_string()))
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            format!("\\fI{}\\fR", escape(&name))
        });
        if arg.is_positional() {
            let v = value.unwrap_or_default();
            let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
            let dots = if many { "..." } else { "" };
            parts.push(if arg.is_required_set() {
                format!("{v}{dots}")
            } else {
                format!("[{v}]{dots}")
            });
            continue;
        }
        let mut names = Vec::new();
        if let Some(s) = arg.get_short() {
            names.push(format!("\\fB\\-{}\\fR", escape(&s.to_string())));
        }
        if let Some(l) = arg.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", escape(l)));
        }
        let flag = names.join("|");
        let one = match value {
            Some(v) => format!("{flag} {v}"),
            None => flag,
        };
        parts.push(if arg.is_required_set() {
            one
        } else {
            format!("[{one}]")
        });
    }
    if cmd.has_subcommands() {
        parts.push("\\fICOMMAND\\fR".into());
    }
    format!("{}\n", parts.join(" "))
}

/// Text for roff: backslashes and hyphens escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// A line for roff's no-fill mode: escaped, and never read as a request.
fn escape_line(s: &str) -> String {
    let e = escape(s);
    if e.starts_with('.') || e.starts_with('\'') {
        format!("\\&{e}")
    } else {
        e
    }
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (path, bytes) in generated_files() {
        let full = root.join(&path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&full, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
