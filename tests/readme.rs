//! The examples in README.md are run, and their output must be what the
//! README shows: documentation that cannot drift from the program.

use std::process::Command;

/// Each `$ wsdbg ...` line of a ```console block, with the lines after it
/// (up to the next command or the end of the block) as expected output.
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line == "```console";
            out.extend(current.take());
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some((cmd.to_string(), String::new()));
        } else if let Some((_, expected)) = current.as_mut() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    out
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_wsdbg"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let examples = examples(&readme);
    assert!(
        examples.len() >= 8,
        "found only {} examples",
        examples.len()
    );
    for (cmd, expected) in examples {
        let out = Command::new("sh")
            .args(["-c", &format!("{cmd} 2>&1")])
            .env("PATH", &path)
            .env_remove("NO_COLOR")
            // The README shows output to a pipe, not fitted to a terminal.
            .env_remove("COLUMNS")
            .output()
            .unwrap();
        let actual = String::from_utf8_lossy(&out.stdout);
        if expected.is_empty() {
            assert!(
                out.status.code().is_some_and(|c| c < 2),
                "`{cmd}` failed:\n{actual}"
            );
        } else {
            assert_eq!(actual, expected, "README example `{cmd}`");
        }
    }
}

#[test]
fn the_readme_opens_with_a_tour_and_gives_every_subcommand_its_section() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let headings: Vec<&str> = readme.lines().filter(|l| l.starts_with("##")).collect();
    assert_eq!(headings.first(), Some(&"## A tour"), "{headings:?}");
    let tour = readme
        .split("## A tour\n")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .unwrap();
    let toured: Vec<&str> = tour
        .lines()
        .filter_map(|l| l.strip_prefix("wsdbg "))
        .collect();
    assert!(toured.len() <= 20, "a tour of 20 lines at most: {toured:?}");
    for sub in wsdbg::cli::command().get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        assert!(
            headings.iter().any(|h| h
                .trim_start_matches('#')
                .trim_start()
                .starts_with(&format!("{name}:"))),
            "no section for {name} in {headings:?}"
        );
        assert!(
            toured.iter().any(|l| l.starts_with(name)),
            "the tour does not show {name}"
        );
    }
}
