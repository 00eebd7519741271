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
        && b.contains("--length-form")));
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
