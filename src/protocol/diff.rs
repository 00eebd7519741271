//! Recorded items against new ones: aligned (Myers' diff over the items,
//! so one dropped or extra message is said once, not as a cascade of
//! differences after it), and each pair that differs explained: a text as
//! a diff of lines, JSON as the paths whose values differ, binary (and a
//! close frame) as the bytes around the first difference.
//!
//! [`Ignore`] takes out what changes legitimately before anything is
//! compared: matches of a regex in a text message, or the values at a
//! JSON path (`$.id`, `$..timestamp`, `$.items[*].at`).

use serde_json::Value;
use similar::{capture_diff_slices, Algorithm, DiffTag, TextDiff};

use super::replay::{Item, ItemKind};

/// What stands for a regex's match in a text compared with `--ignore`.
pub const IGNORED: &str = "<ignored>";

/// Bytes shown either side of the first difference of binary items.
pub const HEX_CONTEXT: usize = 16;

/// Something left out of the comparison.
#[derive(Debug, Clone)]
pub enum Ignore {
    /// Matches in text messages (each replaced by [`IGNORED`]).
    Regex(regex::Regex),
    /// Values of JSON messages at a path (removed).
    Path(Vec<Seg>),
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// `.name` or `['name']`.
    Key(String),
    /// `[N]`.
    Index(usize),
    /// `.*` or `[*]`: every child.
    All,
    /// `..` before a step: that step at any depth.
    Deep(Box<Seg>),
}

impl Ignore {
    /// A JSON path when `pattern` starts with `$`, else a regex.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern.starts_with('$') {
            parse_path(pattern).map(Self::Path)
        } else {
            regex::Regex::new(pattern)
                .map(Self::Regex)
                .map_err(|e| format!("not a regex: {}", e.to_string().replace('\n', " ")))
        }
    }
}

fn parse_path(p: &str) -> Result<Vec<Seg>, String> {
    let b = p.as_bytes();
    let mut i = 1;
    let mut segs = Vec::new();
    let bad = |at: usize, what: &str| {
        Err(format!(
            "not a JSON path: at character {}: {what} (expected $.name, $..name, $[0], $[*], $['name'])",
            at + 1
        ))
    };
    while i < b.len() {
        let deep = b[i..].starts_with(b"..");
        let seg = if b[i] == b'.' {
            i += if deep { 2 } else { 1 };
            let start = i;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            match &p[start..i] {
                "" if i < b.len() && b[i] == b'[' && deep => {
                    let (s, next) = bracket(p, i)?;
                    i = next;
                    s
                }
                "" => return bad(start, "a name is missing"),
                "*" => Seg::All,
                name => Seg::Key(name.to_string()),
            }
        } else if b[i] == b'[' {
            let (s, next) = bracket(p, i)?;
            i = next;
            s
        } else {
            return bad(i, "expected . or [");
        };
        segs.push(if deep { Seg::Deep(Box::new(seg)) } else { seg });
    }
    Ok(segs)
}

/// A `[...]` step at `i`, and where it ends.
fn bracket(p: &str, i: usize) -> Result<(Seg, usize), String> {
    let Some(len) = p[i..].find(']') else {
        return Err(format!(
            "not a JSON path: at character {}: [ is not closed",
            i + 1
        ));
    };
    let inner = &p[i + 1..i + len];
    let seg = if inner == "*" {
        Seg::All
    } else if let Ok(n) = inner.parse::<usize>() {
        Seg::Index(n)
    } else if inner.len() >= 2
        && (inner.starts_with('\'') && inner.ends_with('\'')
            || inner.starts_with('"') && inner.ends_with('"'))
    {
        Seg::Key(inner[1..inner.len() - 1].to_string())
    } else {
        return Err(format!(
            "not a JSON path: at character {}: [{inner}] is not an index, * or a quoted name",
            i + 1
        ));
    };
    Ok((seg, i + len + 1))
}

/// Removes what `path` reaches in `v`.
fn strip(v: &mut Value, path: &[Seg]) {
    let Some((seg, rest)) = path.split_first() else {
        return;
    };
    match seg {
        Seg::Key(k) => {
            if let Value::Object(m) = v {
                if rest.is_empty() {
                    m.remove(k);
                } else if let Some(c) = m.get_mut(k) {
                    strip(c, rest);
                }
            }
        }
        Seg::Index(n) => {
            if let Value::Array(a) = v {
                if let Some(c) = a.get_mut(*n) {
                    // Kept as null: the other indexes stay where they were.
                    if rest.is_empty() {
                        *c = Value::Null;
                    } else {
                        strip(c, rest);
                    }
                }
            }
        }
        Seg::All => match v {
            Value::Object(m) if rest.is_empty() => m.clear(),
            Value::Array(a) if rest.is_empty() => a.iter_mut().for_each(|c| *c = Value::Null),
            Value::Object(m) => m.values_mut().for_each(|c| strip(c, rest)),
            Value::Array(a) => a.iter_mut().for_each(|c| strip(c, rest)),
            _ => {}
        },
        Seg::Deep(inner) => {
            let mut here = vec![(**inner).clone()];
            here.extend_from_slice(rest);
            strip(v, &here);
            match v {
                Value::Object(m) => m.values_mut().for_each(|c| strip(c, path)),
                Value::Array(a) => a.iter_mut().for_each(|c| strip(c, path)),
                _ => {}
            }
        }
    }
}

/// An item as compared: what `--ignore` leaves of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    /// JSON text, its object keys sorted (so key order and spacing do not
    /// count).
    Json(String),
    /// Anything else, as it is (a text with regex matches replaced).
    Bytes(ItemKind, Vec<u8>),
}

/// An item prepared for comparing.
struct Prepared {
    key: Key,
    /// The text after regex replacements.
    text: Option<String>,
    json: Option<Value>,
}

fn prepare(item: &Item, ignore: &[Ignore]) -> Prepared {
    if item.kind != ItemKind::Text {
        return Prepared {
            key: Key::Bytes(item.kind, item.data.clone()),
            text: None,
            json: None,
        };
    }
    let mut text = String::from_utf8_lossy(&item.data).into_owned();
    for i in ignore {
        if let Ignore::Regex(r) = i {
            text = r.replace_all(&text, IGNORED).into_owned();
        }
    }
    let json = serde_json::from_str::<Value>(&text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .map(|mut v| {
            for i in ignore {
                if let Ignore::Path(p) = i {
                    strip(&mut v, p);
                }
            }
            sorted(v)
        });
    let key = match &json {
        Some(v) => Key::Json(v.to_string()),
        None => Key::Bytes(ItemKind::Text, text.clone().into_bytes()),
    };
    Prepared {
        key,
        text: Some(text),
        json,
    }
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<_> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        v => v,
    }
}

/// How a recorded item fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The same (once ignored parts are out).
    Equal,
    /// Answered with something else.
    Different,
    /// Recorded, not answered.
    Missing,
    /// Answered, not recorded.
    Extra,
}

impl Verdict {
    /// "equal", "different", "missing" or "extra".
    pub fn name(self) -> &'static str {
        match self {
            Self::Equal => "equal",
            Self::Different => "different",
            Self::Missing => "missing",
            Self::Extra => "extra",
        }
    }
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// How it fared.
    pub verdict: Verdict,
    /// The recorded item's index (0-based), when there is one.
    pub expected: Option<usize>,
    /// The new item's index (0-based), when there is one.
    pub got: Option<usize>,
    /// What differs, for [`Verdict::Different`].
    pub diff: Option<Diff>,
}

/// What differs between two items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diff {
    /// Not the same kind (text against binary, a message against a close).
    Kind {
        /// Recorded.
        expected: ItemKind,
        /// New.
        got: ItemKind,
    },
    /// Texts, line by line: every line, marked.
    Lines(Vec<Line>),
    /// JSON values: each path whose value differs.
    Json(Vec<PathChange>),
    /// Bytes: a window around the first difference.
    Bytes {
        /// Offset of the first byte that differs (or where one ends).
        at: usize,
        /// Offset where both windows start.
        start: usize,
        /// The recorded bytes from `start`, up to [`HEX_CONTEXT`] past `at`.
        expected: Vec<u8>,
        /// The new bytes, likewise.
        got: Vec<u8>,
        /// The recorded item's length.
        expected_len: usize,
        /// The new item's length.
        got_len: usize,
    },
}

/// A line of a text diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// In both, only the recorded one, or only the new one.
    pub tag: Tag,
    /// The line, without its ending.
    pub text: String,
}

/// Where a [`Line`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Both.
    Same,
    /// Only the recorded item.
    Removed,
    /// Only the new item.
    Added,
}

/// A JSON path whose value differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathChange {
    /// The path, as `$.a[0].b`.
    pub path: String,
    /// The recorded value (JSON), None when absent.
    pub expected: Option<String>,
    /// The new value (JSON), None when absent.
    pub got: Option<String>,
}

/// Compares the recorded items with the new ones.
pub fn compare(expected: &[Item], got: &[Item], ignore: &[Ignore]) -> Vec<Answer> {
    let a: Vec<Prepared> = expected.iter().map(|i| prepare(i, ignore)).collect();
    let b: Vec<Prepared> = got.iter().map(|i| prepare(i, ignore)).collect();
    let ka: Vec<&Key> = a.iter().map(|p| &p.key).collect();
    let kb: Vec<&Key> = b.iter().map(|p| &p.key).collect();
    let mut out = Vec::new();
    let answer = |verdict, e: Option<usize>, g: Option<usize>| Answer {
        verdict,
        expected: e,
        got: g,
        diff: None,
    };
    for op in capture_diff_slices(Algorithm::Myers, &ka, &kb) {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (i, j) in old.zip(new) {
                    out.push(answer(Verdict::Equal, Some(i), Some(j)));
                }
            }
            DiffTag::Delete => out.extend(old.map(|i| answer(Verdict::Missing, Some(i), None))),
            DiffTag::Insert => out.extend(new.map(|j| answer(Verdict::Extra, None, Some(j)))),
            DiffTag::Replace => {
                let pairs = old.len().min(new.len());
                for (i, j) in old.clone().zip(new.clone()) {
                    out.push(Answer {
                        diff: Some(explain(&expected[i], &a[i], &got[j], &b[j])),
                        ..answer(Verdict::Different, Some(i), Some(j))
                    });
                }
                out.extend(
                    old.skip(pairs)
                        .map(|i| answer(Verdict::Missing, Some(i), None)),
                );
                out.extend(
                    new.skip(pairs)
                        .map(|j| answer(Verdict::Extra, None, Some(j))),
                );
            }
        }
    }
    out
}

fn explain(ei: &Item, e: &Prepared, gi: &Item, g: &Prepared) -> Diff {
    if ei.kind != gi.kind {
        return Diff::Kind {
            expected: ei.kind,
            got: gi.kind,
        };
    }
    if let (Some(x), Some(y)) = (&e.json, &g.json) {
        let mut changes = Vec::new();
        json_diff("$".to_string(), x, y, &mut changes);
        if !changes.is_empty() {
            return Diff::Json(changes);
        }
    }
    if let (Some(x), Some(y)) = (&e.text, &g.text) {
        let d = TextDiff::from_lines(x.as_str(), y.as_str());
        let lines = d
            .iter_all_changes()
            .map(|c| Line {
                tag: match c.tag() {
                    similar::ChangeTag::Equal => Tag::Same,
                    similar::ChangeTag::Delete => Tag::Removed,
                    similar::ChangeTag::Insert => Tag::Added,
                },
                text: c.value().trim_end_matches(['\r', '\n']).to_string(),
            })
            .collect();
        return Diff::Lines(lines);
    }
    let (x, y) = (&ei.data, &gi.data);
    let at = x.iter().zip(y).take_while(|(a, b)| a == b).count();
    let start = at.saturating_sub(HEX_CONTEXT) / 16 * 16;
    let end = at + HEX_CONTEXT;
    Diff::Bytes {
        at,
        start,
        expected: x[start.min(x.len())..end.min(x.len())].to_vec(),
        got: y[start.min(y.len())..end.min(y.len())].to_vec(),
        expected_len: x.len(),
        got_len: y.len(),
    }
}

fn json_diff(path: String, x: &Value, y: &Value, out: &mut Vec<PathChange>) {
    match (x, y) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = key_path(&path, k);
                match b.get(k) {
                    Some(w) => json_diff(p, v, w, out),
                    None => out.push(PathChange {
                        path: p,
                        expected: Some(v.to_string()),
                        got: None,
                    }),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) {
                    out.push(PathChange {
                        path: key_path(&path, k),
                        expected: None,
                        got: Some(w.to_string()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(v), Some(w)) => json_diff(p, v, w, out),
                    (v, w) => out.push(PathChange {
                        path: p,
                        expected: v.map(Value::to_string),
                        got: w.map(Value::to_string),
                    }),
                }
            }
        }
        _ if x != y => out.push(PathChange {
            path,
            expected: Some(x.to_string()),
            got: Some(y.to_string()),
        }),
        _ => {}
    }
}

fn key_path(path: &str, k: &str) -> String {
    let plain = !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{path}.{k}")
    } else {
        format!("{path}[{}]", Value::String(k.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Item {
        Item {
            kind: ItemKind::Text,
            data: s.as_bytes().to_vec(),
        }
    }

    fn verdicts(a: &[Answer]) -> Vec<(Verdict, Option<usize>, Option<usize>)> {
        a.iter().map(|a| (a.verdict, a.expected, a.got)).collect()
    }

    #[test]
    fn one_changed_one_dropped_one_extra_are_each_said_once() {
        let rec = [text("a"), text("b"), text("c"), text("d")];
        let new = [text("a"), text("B"), text("d"), text("e")];
        let got = compare(&rec, &new, &[]);
        use Verdict::*;
        assert_eq!(
            verdicts(&got),
            [
                (Equal, Some(0), Some(0)),
                (Different, Some(1), Some(1)),
                (Missing, Some(2), None),
                (Equal, Some(3), Some(2)),
                (Extra, None, Some(3)),
            ]
        );
        assert_eq!(
            got[1].diff,
            Some(Diff::Lines(vec![
                Line {
                    tag: Tag::Removed,
                    text: "b".into()
                },
                Line {
                    tag: Tag::Added,
                    text: "B".into()
                }
            ]))
        );
    }

    #[test]
    fn json_is_compared_by_value_and_its_differences_named_by_path() {
        let rec = [text(r#"{"a": 1, "b": {"c": [1, 2]}, "gone": true}"#)];
        let same = [text(r#"{"b":{"c":[1,2]},"gone":true,"a":1}"#)];
        assert_eq!(compare(&rec, &same, &[])[0].verdict, Verdict::Equal);
        let new = [text(r#"{"a": 2, "b": {"c": [1]}, "odd key": null}"#)];
        let got = compare(&rec, &new, &[]);
        let Some(Diff::Json(changes)) = &got[0].diff else {
            panic!("{got:?}")
        };
        let said: Vec<_> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.expected.as_deref(), c.got.as_deref()))
            .collect();
        assert_eq!(
            said,
            [
                ("$.a", Some("1"), Some("2")),
                ("$.b.c[1]", Some("2"), None),
                ("$.gone", Some("true"), None),
                ("$[\"odd key\"]", None, Some("null")),
            ]
        );
    }

    #[test]
    fn ignored_paths_and_patterns_do_not_count() {
        let rec = [
            text(r#"{"id": 1, "data": {"at": 5, "v": [{"timestamp": 1}]}}"#),
            text("took 15 ms"),
        ];
        let new = [
            text(r#"{"id": 2, "data": {"at": 5, "v": [{"timestamp": 9}]}}"#),
            text("took 3 ms"),
        ];
        let ignore = ["$.id", "$..timestamp", r"\d+ ms"].map(|p| Ignore::parse(p).unwrap());
        let got = compare(&rec, &new, &ignore);
        assert!(got.iter().all(|a| a.verdict == Verdict::Equal), "{got:?}");
        // Without them, both differ.
        let got = compare(&rec, &new, &ignore[..1]);
        assert_eq!(got[0].verdict, Verdict::Different);
        assert_eq!(got[1].verdict, Verdict::Different);
        let got = compare(&rec, &new, &[]);
        let Some(Diff::Json(c)) = &got[0].diff else {
            panic!()
        };
        // Keys in sorted order.
        assert_eq!(c[0].path, "$.data.v[0].timestamp");
        assert_eq!(c[1].path, "$.id");
    }

    #[test]
    fn paths_parse_or_say_where_they_break() {
        assert_eq!(
            parse_path("$.a[2]..b[*]['c d'].*").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Index(2),
                Seg::Deep(Box::new(Seg::Key("b".into()))),
                Seg::All,
                Seg::Key("c d".into()),
                Seg::All
            ]
        );
        assert_eq!(
            Ignore::parse("$.a[x]").unwrap_err(),
            "not a JSON path: at character 4: [x] is not an index, * or a quoted name"
        );
        assert!(Ignore::parse("$.").unwrap_err().contains("character 3"));
        assert!(Ignore::parse("$a").unwrap_err().contains("expected . or ["));
        assert!(Ignore::parse("(").unwrap_err().starts_with("not a regex"));
        let mut v: Value = serde_json::from_str(r#"{"a":[{"b":1,"c":2},{"b":3}]}"#).unwrap();
        strip(&mut v, &parse_path("$.a[*].b").unwrap());
        assert_eq!(v.to_string(), r#"{"a":[{"c":2},{}]}"#);
    }

    #[test]
    fn deep_brackets_and_quoted_names_parse_and_bad_ones_do_not() {
        assert_eq!(
            parse_path("$..[0]..['x y']").unwrap(),
            vec![
                Seg::Deep(Box::new(Seg::Index(0))),
                Seg::Deep(Box::new(Seg::Key("x y".into())))
            ]
        );
        assert_eq!(
            parse_path("$[\"a\"][*]").unwrap(),
            vec![Seg::Key("a".into()), Seg::All]
        );
        // A bracket after a single dot is not a name.
        assert!(parse_path("$.[0]")
            .unwrap_err()
            .contains("a name is missing"));
        assert!(parse_path("$..").unwrap_err().contains("a name is missing"));
        for bad in ["$['a\"]", "$[']", "$[\"]", "$[a']", "$['a]", "$[0"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards_strip_every_child_or_what_lies_below_each() {
        let strip_with = |json: &str, path: &str| {
            let mut v: Value = serde_json::from_str(json).unwrap();
            strip(&mut v, &parse_path(path).unwrap());
            v.to_string()
        };
        assert_eq!(strip_with(r#"{"a":1,"b":2}"#, "$.*"), "{}");
        assert_eq!(strip_with("[1,2]", "$[*]"), "[null,null]");
        assert_eq!(
            strip_with(r#"{"a":{"t":1,"k":2},"b":{"t":3}}"#, "$.*.t"),
            r#"{"a":{"k":2},"b":{}}"#
        );
        assert_eq!(
            strip_with(r#"[{"t":1},{"t":2,"k":3}]"#, "$[*].t"),
            r#"[{},{"k":3}]"#
        );
        // A wildcard on a scalar, or a key on an array, reaches nothing.
        assert_eq!(strip_with(r#"{"a":5}"#, "$.a.*"), r#"{"a":5}"#);
        assert_eq!(strip_with("[1]", "$.a"), "[1]");
    }

    #[test]
    fn verdicts_have_their_names() {
        let names = [
            Verdict::Equal,
            Verdict::Different,
            Verdict::Missing,
            Verdict::Extra,
        ]
        .map(Verdict::name);
        assert_eq!(names, ["equal", "different", "missing", "extra"]);
    }

    #[test]
    fn binary_differences_show_the_bytes_around_the_first() {
        let x: Vec<u8> = (0..64).collect();
        let mut y = x.clone();
        y[40] = 0xff;
        y.truncate(50);
        let rec = [Item {
            kind: ItemKind::Binary,
            data: x,
        }];
        let new = [Item {
            kind: ItemKind::Binary,
            data: y,
        }];
        let got = compare(&rec, &new, &[]);
        let Some(Diff::Bytes {
            at,
            start,
            expected,
            got,
            expected_len,
            got_len,
        }) = &got[0].diff
        else {
            panic!("{got:?}")
        };
        assert_eq!((*at, *start, *expected_len, *got_len), (40, 16, 64, 50));
        assert_eq!(expected.len(), 40);
        assert_eq!(got.len(), 34);
        assert_eq!(got[24], 0xff);
        let kinds = compare(
            &rec,
            &[Item {
                kind: ItemKind::Close,
                data: vec![3, 232],
            }],
            &[],
        );
        assert_eq!(
            kinds[0].diff,
            Some(Diff::Kind {
                expected: ItemKind::Binary,
                got: ItemKind::Close
            })
        );
    }
}
