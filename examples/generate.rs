//! Regenerates the shell completions in `completions/` and the man pages in
//! `man/` from the clap definitions in `src/cli.rs`:
//!
//!     cargo run --example generate
//!
//! `tests/generated.rs` fails when the committed files differ from what
//! this produces.

use std::path::PathBuf;

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
    let cmd = wsdbg::cli::command();
    let mut pages = vec![("wsdbg.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("wsdbg-{}", sub.get_name());
        // clap names are `&'static str` without its `string` feature; this
        // runs once per page in a short-lived process.
        let page = sub.clone().name(&*Box::leak(name.clone().into_boxed_str()));
        pages.push((format!("{name}.1"), page));
    }
    for (file, page) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut buf)
            .expect("rendering a man page into memory cannot fail");
        files.push((PathBuf::from("man").join(file), buf));
    }
    files
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
