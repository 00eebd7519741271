//! The crate as it would be published: its licences and metadata, and
//! what `cargo package` puts in it (test.sh builds the packaged crate);
//! and the version the binary names.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn licences_and_the_metadata_a_crates_io_page_needs_are_there() {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    for key in [
        "license = \"MIT OR Apache-2.0\"",
        "readme = \"README.md\"",
        "description = ",
        "keywords = [",
        "categories = [",
        "rust-version = ",
    ] {
        assert!(manifest.contains(key), "Cargo.toml has no {key}");
    }
    // The release binary stripped (57 MB with debug info, under 8 MB
    // without), and a profile that keeps the symbols for profiling.
    let section = |name: &str| {
        let start = manifest
            .find(&format!("[profile.{name}]\n"))
            .unwrap_or_else(|| panic!("Cargo.toml has no [profile.{name}]"));
        let body = &manifest[start..];
        let end = body[1..].find("\n[").map_or(body.len(), |e| e + 1);
        body[..end].to_string()
    };
    let release = section("release");
    assert!(release.contains("strip = true"), "{release}");
    assert!(!release.contains("debug ="), "{release}");
    let profiling = section("profiling");
    assert!(
        profiling.contains("inherits = \"release\"") && profiling.contains("debug = true"),
        "{profiling}"
    );
    let mit = std::fs::read_to_string(Path::new(ROOT).join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(Path::new(ROOT).join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0"));
    let changelog = std::fs::read_to_string(Path::new(ROOT).join("CHANGELOG.md")).unwrap();
    assert!(changelog.contains("## [Unreleased]") && changelog.contains("Keep a Changelog"));
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let out = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let version = concat!("wsdbg ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(version), "{text}");
    let head = Command::new("git")
        .args(["-C", ROOT, "rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success());
    match head {
        Some(o) => {
            let commit = String::from_utf8(o.stdout).unwrap();
            assert!(
                text.contains(&format!("(git {} ", commit.trim())),
                "{text} does not name HEAD, {commit}"
            );
        }
        None => assert_eq!(text.trim(), version),
    }
    // -V stays short: the version alone.
    let short = Command::new(env!("CARGO_BIN_EXE_wsdbg"))
        .arg("-V")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(short.stdout).unwrap().trim(), version);
}

#[test]
fn the_packaged_crate_holds_what_a_user_needs() {
    if Command::new("git")
        .args(["-C", ROOT, "rev-parse", "--git-dir"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: not a git checkout (cargo package lists its files from git)");
        return;
    }
    let list = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--quiet"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let files = String::from_utf8(list.stdout).unwrap();
    for needed in [
        "src/main.rs",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "CHANGELOG.md",
        "man/wsdbg.1",
    ] {
        assert!(
            files.lines().any(|l| l == needed),
            "{needed} not packaged: {files}"
        );
    }
    for left_out in [
        "tests/payload/",
        "tests/browser/",
        "benches/",
        "fuzz/",
        "node_modules",
    ] {
        assert!(!files.contains(left_out), "{left_out} packaged: {files}");
    }
    // That the crate, packed and unpacked, builds on its own is test.sh's
    // `cargo package` (a build inside this test would wait on the lock
    // cargo test holds on the target directory).
}
