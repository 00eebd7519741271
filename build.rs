//! Names the commit the binary is built from, for `wsdbg --version`: when
//! it is built in its own git checkout, that checkout's HEAD and its date;
//! when built from the packaged crate (`cargo install`, crates.io), the
//! commit `cargo package` recorded in `.cargo_vcs_info.json`. A crate with
//! neither names none.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The commit `cargo package` wrote into the crate it packed, as
/// `{"git": {"sha1": "<40 hex>"}, ...}`; `None` outside a packaged crate.
fn packaged_commit(dir: &Path) -> Option<String> {
    let info = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let after = &info[info.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = after.find('"')? + 1;
    let sha = after.get(start..start + 40)?;
    sha.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| sha[..12].to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let here = Path::new(&manifest);
    let own = git(here, &["rev-parse", "--show-toplevel"])
        .and_then(|top| Path::new(&top).canonicalize().ok())
        .zip(here.canonicalize().ok())
        .is_some_and(|(top, here)| top == here);
    let commit = own
        .then(|| git(here, &["rev-parse", "--short=12", "HEAD"]))
        .flatten();
    match commit {
        Some(commit) => {
            let date = git(here, &["show", "-s", "--format=%cs", "HEAD"]).unwrap_or_default();
            println!("cargo:rustc-env=WSDBG_LONG_VERSION={version} (git {commit} {date})");
            // Built again when HEAD moves: a commit, a checkout.
            if let Some(dir) = git(here, &["rev-parse", "--absolute-git-dir"]) {
                println!("cargo:rerun-if-changed={dir}/HEAD");
                println!("cargo:rerun-if-changed={dir}/packed-refs");
                if let Some(branch) = git(here, &["symbolic-ref", "-q", "HEAD"]) {
                    println!("cargo:rerun-if-changed={dir}/{branch}");
                }
            }
        }
        None => {
            println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
            match packaged_commit(here) {
                Some(commit) => {
                    println!("cargo:rustc-env=WSDBG_LONG_VERSION={version} (git {commit})")
                }
                None => println!("cargo:rustc-env=WSDBG_LONG_VERSION={version}"),
            }
        }
    }
}
