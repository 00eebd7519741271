//! The committed completions and man pages must match the CLI definitions.

#[path = "../examples/generate.rs"]
mod generate;

#[test]
fn completions_and_man_pages_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for (path, expected) in generate::generated_files() {
        match std::fs::read(root.join(&path)) {
            Ok(actual) if actual == expected => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale; run `cargo run --example generate` and commit:\n{}",
        stale.join("\n")
    );
}

#[test]
fn man_page_documents_every_subcommand() {
    let files = generate::generated_files();
    for sub in ["accept-key", "decode", "mask", "serve", "connect", "proxy"] {
        let name = format!("man/wsdbg-{sub}.1");
        assert!(
            files.iter().any(|(p, _)| p.to_str() == Some(name.as_str())),
            "{name} missing"
        );
    }
    let bash = files
        .iter()
        .find(|(p, _)| p.ends_with("wsdbg.bash"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned());
    assert!(bash.is_some_and(|b| b.contains("--explain")
        && b.contains("accept-key")
        && b.contains("--no-console")
        && b.contains("--length-form")
        && b.contains("compgen -W \"text binary close ping pong continuation\"")));
    let man = files
        .iter()
        .find(|(p, _)| p.ends_with("wsdbg-serve.1"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    assert!(
        man.contains("/frame ID"),
        "the serve man page lacks the console"
    );
}

/// Each man page names the command as it is typed, with value
/// placeholders; has EXAMPLES and EXIT STATUS; documents --color; and
/// refers only to pages that are shipped.
#[test]
fn man_pages_have_the_sections_a_reader_looks_for() {
    let files = generate::generated_files();
    let pages: Vec<(String, String)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("man"))
        .map(|(p, b)| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                String::from_utf8_lossy(b).into_owned(),
            )
        })
        .collect();
    assert_eq!(
        pages.len(),
        10,
        "{:?}",
        pages.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    for (name, man) in &pages {
        let typed = name.replacen('-', " ", 1).replace('-', "\\-");
        let synopsis = man
            .split(".SH SYNOPSIS\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no SYNOPSIS"));
        assert!(
            synopsis.starts_with(&format!("\\fB{typed}\\fR")),
            "{name}: the synopsis does not start with the command as typed:\n{synopsis}"
        );
        for section in [".SH EXAMPLES\n", ".SH EXIT STATUS\n", ".SH SEE ALSO\n"] {
            assert!(man.contains(section), "{name}: no {section}");
        }
        assert!(
            man.contains("\\-\\-color"),
            "{name}: --color is not documented"
        );
        // Every page referred to as name(1) is one of ours.
        for (i, _) in man.match_indices("\\fR(1)") {
            let before = &man[..i];
            let start = before.rfind("\\fB").expect("a bold name") + 3;
            let referred = before[start..].replace("\\-", "-");
            assert!(
                pages.iter().any(|(n, _)| *n == referred),
                "{name} refers to {referred}(1), which is not shipped"
            );
        }
    }
    let decode = &pages.iter().find(|(n, _)| n == "wsdbg-decode").unwrap().1;
    assert!(
        decode.contains("[\\fB\\-f\\fR|\\fB\\-\\-file\\fR \\fIPATH\\fR]"),
        "decode's synopsis lacks the placeholder of --file"
    );
}
