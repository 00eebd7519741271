//! What `wsdbg replay` says: the connections a file holds, the one being
//! played, and each recorded answer against the new one (with what
//! differs), as text or as JSON Lines.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::escape::{escape_bytes, escape_cut};
use super::{plural, rfc3339, Paint, Palette};
use crate::protocol::diff::{Answer, Diff, Tag, Verdict};
use crate::protocol::replay::{Item, ItemKind};
use crate::protocol::Role;

/// How many bytes of an item a line quotes.
const QUOTE: usize = 60;

/// A WebSocket connection of a file, for the list.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    /// Its number (as `decode` numbers them).
    pub conn: u64,
    /// The client's address.
    pub client: String,
    /// The server's address.
    pub server: String,
    /// The request target.
    pub target: String,
    /// Data messages each way: the client's, then the server's.
    pub messages: [u64; 2],
    /// Bytes each way (frames, after the handshake), likewise.
    pub bytes: [u64; 2],
    /// When it started, when the file has times.
    pub start: Option<SystemTime>,
    /// How long it lasted, when the file has times.
    pub duration: Option<Duration>,
}

/// The connection being played.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    /// The file.
    pub file: &'a str,
    /// Which connection.
    pub conn: &'a Listed,
    /// The side played.
    pub played: Role,
    /// Where it is played: the server's URL, or the address listened on.
    pub peer: &'a str,
    /// Steps to send.
    pub steps: usize,
    /// Items the other side sent in the recording.
    pub expected: usize,
}

/// The end of a replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Recorded answers answered alike.
    pub equal: usize,
    /// Answered otherwise.
    pub different: usize,
    /// Not answered.
    pub missing: usize,
    /// Answers not recorded.
    pub extra: usize,
    /// Steps sent.
    pub sent: usize,
    /// How long the replay took.
    pub duration: Duration,
}

impl Tally {
    /// Whether every answer matched.
    pub fn matches(&self) -> bool {
        self.different + self.missing + self.extra == 0
    }
}

/// Writes replay output into `out`.
pub struct ReplayPrinter<W: Write> {
    out: W,
    json: bool,
    palette: Palette,
    /// Also show answers that are equal.
    pub verbose: bool,
}

impl<W: Write> ReplayPrinter<W> {
    /// Text (coloured by `palette`) or, with `json`, JSON Lines.
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        Self {
            out,
            json,
            palette,
            verbose: false,
        }
    }

    /// One JSON line in the envelope every command's JSON uses:
    /// `{"type": ..., "data": {...}}`.
    fn line(&mut self, mut v: Value) -> io::Result<()> {
        let kind = v
            .as_object_mut()
            .and_then(|o| o.shift_remove("type"))
            .unwrap_or(Value::Null);
        writeln!(self.out, "{}", json!({"type": kind, "data": v}))
    }

    /// The connections of a file, when it holds several and none is picked.
    pub fn list(&mut self, file: &str, conns: &[Listed]) -> io::Result<()> {
        if self.json {
            for c in conns {
                self.line(json!({
                    "type": "connection",
                    "conn": c.conn,
                    "client": c.client,
                    "server": c.server,
                    "target": c.target,
                    "messages": {"client": c.messages[0], "server": c.messages[1]},
                    "bytes": {"client": c.bytes[0], "server": c.bytes[1]},
                    "start": c.start.map(rfc3339),
                    "seconds": c.duration.map(|d| d.as_secs_f64()),
                }))?;
            }
            return Ok(());
        }
        let p = self.palette;
        writeln!(
            self.out,
            "{}",
            p.paint(
                &format!(
                    "{} holds {} WebSocket connection{}{}",
                    escape_bytes(file.as_bytes()),
                    conns.len(),
                    plural(conns.len() as u64),
                    if conns.len() > 1 {
                        ": pick one with --conn N"
                    } else {
                        ""
                    }
                ),
                Paint::Heading
            )
        )?;
        for c in conns {
            let when = match (c.start, c.duration) {
                (Some(s), Some(d)) => format!(", at {}, {:.3} s", rfc3339(s), d.as_secs_f64()),
                (Some(s), None) => format!(", at {}", rfc3339(s)),
                _ => String::new(),
            };
            writeln!(
                self.out,
                "  #{:<3} {} -> {} {}: client {} message{} ({} B), server {} message{} ({} B){when}",
                c.conn,
                c.client,
                c.server,
                p.paint(&escape_bytes(c.target.as_bytes()), Paint::Value),
                c.messages[0],
                plural(c.messages[0]),
                c.bytes[0],
                c.messages[1],
                plural(c.messages[1]),
                c.bytes[1],
            )?;
        }
        Ok(())
    }

    /// The connection about to be played.
    pub fn start(&mut self, s: &Start) -> io::Result<()> {
        let other = s.played.other().name();
        if self.json {
            return self.line(json!({
                "type": "replay",
                "file": s.file,
                "conn": s.conn.conn,
                "client": s.conn.client,
                "server": s.conn.server,
                "target": s.conn.target,
                "played": s.played.name(),
                "peer": s.peer,
                "steps": s.steps,
                "expected": s.expected,
            }));
        }
        let p = self.palette;
        let verb = match s.played {
            Role::Client => "to",
            Role::Server => "as the server on",
        };
        writeln!(
            self.out,
            "{} #{} of {} ({} -> {} {}) {verb} {}: {} frame{} to send, {} recorded {other} message{}",
            p.paint(&format!("replay {}", s.played.name()), Paint::Heading),
            s.conn.conn,
            escape_bytes(s.file.as_bytes()),
            s.conn.client,
            s.conn.server,
            escape_bytes(s.conn.target.as_bytes()),
            p.paint(s.peer, Paint::Value),
            s.steps,
            plural(s.steps as u64),
            s.expected,
            plural(s.expected as u64),
        )
    }

    /// Something the replay noticed that is not an answer (a handshake
    /// that differs, a recording cut short).
    pub fn note(&mut self, what: &str) -> io::Result<()> {
        if self.json {
            return self.line(json!({"type": "note", "what": what}));
        }
        let p = self.palette;
        writeln!(self.out, "{} {what}", p.paint("note:", Paint::Name))
    }

    /// One recorded answer against the new one; `from` sent both.
    pub fn answer(
        &mut self,
        a: &Answer,
        expected: &[Item],
        got: &[Item],
        from: Role,
    ) -> io::Result<()> {
        let e = a.expected.map(|i| &expected[i]);
        let g = a.got.map(|i| &got[i]);
        if self.json {
            return self.line(json!({
                "type": "answer",
                "from": from.name(),
                "verdict": a.verdict.name(),
                "recorded": a.expected.map(|i| i + 1),
                "new": a.got.map(|i| i + 1),
                "expected": e.map(item_json),
                "got": g.map(item_json),
                "diff": a.diff.as_ref().map(diff_json),
            }));
        }
        if a.verdict == Verdict::Equal && !self.verbose {
            return Ok(());
        }
        let p = self.palette;
        let who = from.name();
        let (mark, paint) = match a.verdict {
            Verdict::Equal => ("=", Paint::Good),
            Verdict::Different => ("~", Paint::Bad),
            Verdict::Missing => ("-", Paint::Bad),
            Verdict::Extra => ("+", Paint::Bad),
        };
        let head = match (a.expected, a.got) {
            (Some(i), Some(j)) if i == j => format!("{who} message {}", i + 1),
            (Some(i), Some(j)) => format!("{who} message {} (now {})", i + 1, j + 1),
            (Some(i), None) => format!("{who} message {}", i + 1),
            (None, Some(j)) => format!("new {who} message {}", j + 1),
            (None, None) => who.to_string(),
        };
        let shown = g.or(e).map(quote).unwrap_or_default();
        writeln!(
            self.out,
            "{} {head}: {} {shown}",
            p.paint(mark, paint),
            p.paint(a.verdict.name(), paint),
        )?;
        match &a.diff {
            None => Ok(()),
            Some(Diff::Kind { expected, got }) => writeln!(
                self.out,
                "    recorded a {}, now a {}: {}",
                expected.name(),
                got.name(),
                e.map(quote).unwrap_or_default()
            ),
            Some(Diff::Lines(lines)) => {
                for l in lines {
                    let (m, paint) = match l.tag {
                        Tag::Same => (" ", Paint::Dim),
                        Tag::Removed => ("-", Paint::Bad),
                        Tag::Added => ("+", Paint::Good),
                    };
                    writeln!(
                        self.out,
                        "    {}",
                        p.paint(&format!("{m} {}", escape_bytes(l.text.as_bytes())), paint)
                    )?;
                }
                Ok(())
            }
            Some(Diff::Json(changes)) => {
                for c in changes {
                    let show = |v: &Option<String>| {
                        v.as_deref()
                            .map_or("(absent)".to_string(), |v| escape_cut(v.as_bytes(), QUOTE))
                    };
                    writeln!(
                        self.out,
                        "    {}: {} -> {}",
                        p.paint(&escape_bytes(c.path.as_bytes()), Paint::Name),
                        p.paint(&show(&c.expected), Paint::Bad),
                        p.paint(&show(&c.got), Paint::Good),
                    )?;
                }
                Ok(())
            }
            Some(Diff::Bytes {
                at,
                start,
                expected,
                got,
                expected_len,
                got_len,
            }) => {
                writeln!(
                    self.out,
                    "    first difference at byte {at} (recorded {expected_len} B, now {got_len} B)"
                )?;
                for (label, bytes, paint) in [("-", expected, Paint::Bad), ("+", got, Paint::Good)]
                {
                    let hex: Vec<String> = bytes
                        .iter()
                        .enumerate()
                        .map(|(k, b)| {
                            if start + k == *at {
                                format!("[{b:02x}]")
                            } else {
                                format!("{b:02x}")
                            }
                        })
                        .collect();
                    writeln!(
                        self.out,
                        "    {}",
                        p.paint(&format!("{label} {start:06x}: {}", hex.join(" ")), paint)
                    )?;
                }
                Ok(())
            }
        }
    }

    /// The end: how the answers compared.
    pub fn summary(&mut self, t: &Tally, from: Role) -> io::Result<()> {
        if self.json {
            return self.line(json!({
                "type": "summary",
                "from": from.name(),
                "equal": t.equal,
                "different": t.different,
                "missing": t.missing,
                "extra": t.extra,
                "sent": t.sent,
                "seconds": t.duration.as_secs_f64(),
                "match": t.matches(),
            }));
        }
        let p = self.palette;
        let recorded = t.equal + t.different + t.missing;
        let verdict = if t.matches() {
            p.paint("every answer matches", Paint::Good)
        } else {
            p.paint("the answers differ", Paint::Bad)
        };
        writeln!(
            self.out,
            "{} {recorded} recorded {} message{}: {} equal, {} different, {} missing; {} extra; {} frame{} sent in {:.3} s: {verdict}",
            p.paint("result:", Paint::Heading),
            from.name(),
            plural(recorded as u64),
            t.equal,
            t.different,
            t.missing,
            t.extra,
            t.sent,
            plural(t.sent as u64),
            t.duration.as_secs_f64(),
        )
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// An item in a line: its kind, size and (part of) its content, escaped.
fn quote(i: &Item) -> String {
    match i.kind {
        ItemKind::Close => match close_parts(&i.data) {
            Some((code, b"")) => format!("close {code}"),
            Some((code, reason)) => format!("close {code} \"{}\"", escape_cut(reason, QUOTE)),
            None => "close (no code)".to_string(),
        },
        ItemKind::Text => format!(
            "text ({} B) \"{}\"",
            i.data.len(),
            escape_cut(&i.data, QUOTE)
        ),
        ItemKind::Binary => {
            let n = i.data.len().min(16);
            let hex: Vec<String> = i.data[..n].iter().map(|b| format!("{b:02x}")).collect();
            let more = if i.data.len() > n { " ..." } else { "" };
            format!("binary ({} B) {}{more}", i.data.len(), hex.join(" "))
        }
    }
}

fn close_parts(data: &[u8]) -> Option<(u16, &[u8])> {
    (data.len() >= 2).then(|| (u16::from_be_bytes([data[0], data[1]]), &data[2..]))
}

fn item_json(i: &Item) -> Value {
    match (i.kind, std::str::from_utf8(&i.data)) {
        (ItemKind::Close, _) => match close_parts(&i.data) {
            Some((code, reason)) => json!({
                "kind": "close",
                "code": code,
                "reason": String::from_utf8_lossy(reason),
            }),
            None => json!({"kind": "close"}),
        },
        (ItemKind::Text, Ok(s)) => json!({"kind": "text", "length": i.data.len(), "text": s}),
        (k, _) => json!({"kind": k.name(), "length": i.data.len(), "hex": hex::encode(&i.data)}),
    }
}

fn diff_json(d: &Diff) -> Value {
    match d {
        Diff::Kind { expected, got } => {
            json!({"kind": {"expected": expected.name(), "got": got.name()}})
        }
        Diff::Lines(lines) => json!({"lines": lines
            .iter()
            .map(|l| {
                let m = match l.tag {
                    Tag::Same => " ",
                    Tag::Removed => "-",
                    Tag::Added => "+",
                };
                format!("{m}{}", l.text)
            })
            .collect::<Vec<_>>()}),
        Diff::Json(changes) => json!({"paths": changes
            .iter()
            .map(|c| json!({
                "path": c.path,
                "expected": c.expected.as_deref().and_then(|v| serde_json::from_str::<Value>(v).ok()),
                "got": c.got.as_deref().and_then(|v| serde_json::from_str::<Value>(v).ok()),
                "absent": match (&c.expected, &c.got) {
                    (None, _) => Some("expected"),
                    (_, None) => Some("got"),
                    _ => None,
                },
            }))
            .collect::<Vec<_>>()}),
        Diff::Bytes {
            at,
            start,
            expected,
            got,
            expected_len,
            got_len,
        } => json!({"bytes": {
            "at": at,
            "start": start,
            "expected": hex::encode(expected),
            "got": hex::encode(got),
            "expected_length": expected_len,
            "got_length": got_len,
        }}),
    }
}
