//! The layers of DESIGN.md ("Architecture"), checked on the source: every
//! `crate::`, `super::` and `self::` path in `src/` (in `use` items, in
//! code, and in doc links) may only lead to the same layer or one below.
//!
//! - `protocol`: nothing else of this crate;
//! - `print` and `cmd::input` (reading pasted dumps and captures): only
//!   `protocol`; they sit side by side and neither imports the other;
//! - `cli`: only `protocol`;
//! - `cmd` (the rest of it) and the crate root: anything.
//!
//! Paths are resolved against the module they are written in, inline
//! modules included, so `super::super::cmd` is caught like `crate::cmd`.

use std::fmt;
use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};

/// A layer, as far as imports go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Root,
    Protocol,
    Print,
    Input,
    Cli,
    Cmd,
    /// A top-level module this test does not know, such as the old
    /// `crate::dump`: nothing may import it.
    Unknown,
}

impl Layer {
    fn of(module: &[String]) -> Self {
        match module {
            [] => Self::Root,
            [first, rest @ ..] => match first.as_str() {
                "protocol" => Self::Protocol,
                "print" => Self::Print,
                "cli" => Self::Cli,
                "cmd" if rest.first().is_some_and(|m| m == "input") => Self::Input,
                "cmd" => Self::Cmd,
                _ => Self::Unknown,
            },
        }
    }

    /// Whether code in `self` may name something in `to`.
    fn may_use(self, to: Self) -> bool {
        use Layer::*;
        match (self, to) {
            (_, Unknown) => false,
            (a, b) if a == b => true,
            (Root | Cmd, _) => true,
            (Print | Input | Cli, Protocol) => true,
            _ => false,
        }
    }
}

/// One path from `file` to `target` that breaks the layering.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Breach {
    file: PathBuf,
    written: String,
    target: String,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: `{}` leads to `crate::{}`",
            self.file.display(),
            self.written,
            self.target
        )
    }
}

/// Walks one file, keeping track of the module each path is written in.
struct Scan<'a> {
    file: &'a Path,
    /// The module being walked: the file's, then any inline `mod`s.
    module: Vec<String>,
    /// Every resolved path: (as written, absolute module path).
    found: Vec<(String, Vec<String>)>,
}

impl Scan<'_> {
    /// `segments` as written, resolved to an absolute path when it starts
    /// with `crate`, `super` or `self`.
    fn note(&mut self, segments: &[String]) {
        let written = segments.join("::");
        let absolute = match segments {
            [first, rest @ ..] if first == "crate" => rest.to_vec(),
            [first, ..] if first == "self" => {
                let mut m = self.module.clone();
                m.extend_from_slice(&segments[1..]);
                m
            }
            [first, ..] if first == "super" => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                assert!(
                    supers <= self.module.len(),
                    "{}: `{written}` climbs above the crate root",
                    self.file.display()
                );
                let mut m = self.module[..self.module.len() - supers].to_vec();
                m.extend_from_slice(&segments[supers..]);
                m
            }
            _ => return,
        };
        self.found.push((written, absolute));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.note(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.note(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.note(prefix),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// Intra-doc links and code in doc comments: `crate::x`, `super::x`.
    fn doc_text(&mut self, text: &str) {
        let mut previous = ' ';
        for (start, c) in text.char_indices() {
            let at_word_start = !(previous.is_ascii_alphanumeric() || previous == '_');
            previous = c;
            let rest = &text[start..];
            if !at_word_start
                || !["crate::", "super::", "self::"]
                    .iter()
                    .any(|p| rest.starts_with(p))
            {
                continue;
            }
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segments: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            self.note(&segments);
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        for attr in &m.attrs {
            self.visit_attribute(attr);
        }
        self.module.push(m.ident.to_string());
        if let Some((_, items)) = &m.content {
            for item in items {
                self.visit_item(item);
            }
        }
        self.module.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        for attr in &u.attrs {
            self.visit_attribute(attr);
        }
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(&segments);
        visit::visit_path(self, p);
    }

    // Macro arguments are tokens, not syntax: `format!("{}", crate::x::f())`
    // hides its path from the visitor, so the tokens are read as paths.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        let mut chains = Vec::new();
        token_paths(m.tokens.clone(), &mut Vec::new(), &mut chains);
        for chain in chains {
            if matches!(chain[0].as_str(), "crate" | "super" | "self") {
                self.note(&chain);
            }
        }
    }

    // `pub(crate)` and `pub(super)` name a module to be seen from, not one
    // that is used.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if attr.path().is_ident("doc") {
            if let syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) = &attr.meta
            {
                self.doc_text(&s.value());
            }
            return;
        }
        visit::visit_attribute(self, attr);
    }
}

/// The module a file under `src/` defines: `src/cmd/input/dump.rs` is
/// `cmd::input::dump`, `src/print/mod.rs` is `print`, `src/lib.rs` the root.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    match file.as_str() {
        "lib.rs" | "mod.rs" => {}
        f => parts.push(f.trim_end_matches(".rs").to_owned()),
    }
    parts
}

/// Every path in `source` (the file `file`, module `module`), and the
/// ones among them that break the layering.
fn scan(
    file: &Path,
    module: Vec<String>,
    source: &str,
) -> (Vec<(String, Vec<String>)>, Vec<Breach>) {
    let ast = syn::parse_file(source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let from = Layer::of(&module);
    let mut s = Scan {
        file,
        module,
        found: Vec::new(),
    };
    s.visit_file(&ast);
    let breaches = s
        .found
        .iter()
        .filter(|(_, target)| !from.may_use(Layer::of(target)))
        .map(|(written, target)| Breach {
            file: file.to_path_buf(),
            written: written.clone(),
            target: target.join("::"),
        })
        .collect();
    (s.found, breaches)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `a::b::c` chain of identifiers in `tokens`, groups included.
fn token_paths(
    tokens: proc_macro2::TokenStream,
    chain: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    use proc_macro2::TokenTree;
    let mut colons = 0;
    let end = |chain: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        if !chain.is_empty() {
            out.push(std::mem::take(chain));
        }
    };
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) if chain.is_empty() || colons == 2 => {
                chain.push(i.to_string());
                colons = 0;
            }
            TokenTree::Punct(p) if p.as_char() == ':' && !chain.is_empty() && colons < 2 => {
                colons += 1;
            }
            TokenTree::Group(g) => {
                end(chain, out);
                colons = 0;
                token_paths(g.stream(), &mut Vec::new(), out);
            }
            other => {
                end(chain, out);
                colons = 0;
                if let TokenTree::Ident(i) = other {
                    chain.push(i.to_string());
                }
            }
        }
    }
    end(chain, out);
}

#[test]
fn no_import_goes_up_or_sideways() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut edges = std::collections::BTreeSet::new();
    let mut breaches = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        // The binary's root is its own crate: it calls `wsdbg::cmd::main`.
        if relative == Path::new("main.rs") {
            continue;
        }
        let module = module_of(relative);
        let from = Layer::of(&module);
        let source = std::fs::read_to_string(path).expect("readable source");
        let (found, b) = scan(relative, module, &source);
        for (_, target) in &found {
            edges.insert((format!("{from:?}"), format!("{:?}", Layer::of(target))));
        }
        breaches.extend(b);
    }
    // The scan saw the imports that are meant to be there, so an empty
    // list of breaches means something.
    for (from, to) in [
        ("Cmd", "Print"),
        ("Cmd", "Input"),
        ("Cmd", "Protocol"),
        ("Cmd", "Cli"),
        ("Print", "Protocol"),
        ("Input", "Protocol"),
        ("Protocol", "Protocol"),
    ] {
        assert!(
            edges.contains(&(from.to_owned(), to.to_owned())),
            "no path from {from} to {to} found; the scan is broken: {edges:?}"
        );
    }
    let list: Vec<String> = breaches.iter().map(Breach::to_string).collect();
    assert!(
        list.is_empty(),
        "imports that go up or sideways (see DESIGN.md, Architecture):\n{}",
        list.join("\n")
    );
}

/// Breaches found in `source` as if it were the file `file`.
fn breaches_in(file: &str, source: &str) -> Vec<String> {
    let file = Path::new(file);
    scan(file, module_of(file), source)
        .1
        .iter()
        .map(|b| format!("{} -> {}", b.written, b.target))
        .collect()
}

#[test]
fn the_scan_catches_every_spelling_of_a_bad_import() {
    let cases: &[(&str, &str, &[&str])] = &[
        // Upward: protocol to print or cmd.
        (
            "protocol/frame.rs",
            "use crate::print::Palette;",
            &["crate::print::Palette -> print::Palette"],
        ),
        (
            "protocol/http/parse.rs",
            "use super::super::super::cmd::Failure;",
            &["super::super::super::cmd::Failure -> cmd::Failure"],
        ),
        (
            "protocol/mod.rs",
            "fn f() { crate::cmd::main(); }",
            &["crate::cmd::main -> cmd::main"],
        ),
        (
            "protocol/transcript.rs",
            "/// See [`crate::print::Printer`].\npub struct S;",
            &["crate::print::Printer -> print::Printer"],
        ),
        // Paths inside macro arguments, nested in groups.
        (
            "cmd/input/console.rs",
            "fn f(s: &str) -> String { format!(\"{}\", (crate::print::escape::escape_str(s))) }",
            &["crate::print::escape::escape_str -> print::escape::escape_str"],
        ),
        (
            "protocol/frame.rs",
            "fn f() { assert!(vec![1].is_empty() || super::super::cmd::x()); }",
            &["super::super::cmd::x -> cmd::x"],
        ),
        // Inline modules count: `super` in `mod tests` is the file's module.
        (
            "protocol/mod.rs",
            "mod tests { use super::super::print::plural; }",
            &["super::super::print::plural -> print::plural"],
        ),
        // Sideways and upward from print; the old `crate::dump` path.
        (
            "print/mod.rs",
            "use crate::{cmd::input::dump::Dump, protocol::Role};",
            &["crate::cmd::input::dump::Dump -> cmd::input::dump::Dump"],
        ),
        (
            "print/text.rs",
            "use crate::dump::{Dump, Spelling};",
            &[
                "crate::dump::Dump -> dump::Dump",
                "crate::dump::Spelling -> dump::Spelling",
            ],
        ),
        (
            "print/json.rs",
            "use super::super::cmd;",
            &["super::super::cmd -> cmd"],
        ),
        // Input parsing does not print.
        (
            "cmd/input/dump.rs",
            "use crate::print::plural;",
            &["crate::print::plural -> print::plural"],
        ),
        (
            "cmd/input/dump.rs",
            "use super::super::decode::how_read;",
            &["super::super::decode::how_read -> cmd::decode::how_read"],
        ),
        // Allowed: downward, within a layer, and from cmd anywhere.
        (
            "print/text.rs",
            "use super::escape::sanitize; use crate::protocol::handshake::{self, Issue};",
            &[],
        ),
        (
            "cmd/input/dump.rs",
            "use crate::protocol::http::looks_like_head; use super::Other;",
            &[],
        ),
        (
            "cmd/decode.rs",
            "use super::input::dump; use crate::print::plural; use crate::cli::DecodeArgs;",
            &[],
        ),
        (
            "protocol/http/mod.rs",
            "pub(crate) fn f() {} pub(super) fn g() {}",
            &[],
        ),
        (
            "lib.rs",
            "//! [`cmd::input`] and [`crate::print`].\npub mod cmd;",
            &[],
        ),
    ];
    for &(file, source, expected) in cases {
        assert_eq!(breaches_in(file, source), expected, "{file}: {source}");
    }
}
