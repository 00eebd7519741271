//! What the application says in a message ([`Shown`]), as text under the
//! message or as the `view` object of JSON output. The raw payload is
//! printed before it by the caller, never replaced.
//!
//! JSON output's shape (documented in the README):
//! `{"as": "socketio", "chosen": "..." | absent, "parts": [{"title": "...",
//! "fields": [{"name": "...", "value": ...}]}], "problems": ["..."]}`,
//! where a value is a string, a number, the JSON of the payload itself
//! (numbers exact, keys in their order), or `{"hex": "..."}` for bytes.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::escape::{needs_escape, sanitize};
use super::json::{write_hex, write_str};
use super::text::TextPrinter;
use super::{hex_spaced, Paint};
use crate::protocol::payload::json::{self, Token};
use crate::protocol::payload::read::{Shown, Value};

impl<W: Write> TextPrinter<W> {
    /// The view of a message, under its line: the choice (first message),
    /// each part with its fields, JSON laid out (on one line when
    /// `brief`), then what is wrong.
    pub(super) fn lines_view(&mut self, v: &Shown, brief: bool) -> io::Result<()> {
        // JSON laid out is shown up to 8 times the raw preview's bytes (512
        // characters by default; --full: all).
        let limit = self.max_bytes().map(|n| n * 8);
        let mut s = String::new();
        if let Some(chosen) = &v.chosen {
            let _ = writeln!(s, "  {}", self.paint(&sanitize(chosen), Paint::Dim));
        }
        for part in &v.parts {
            let _ = write!(s, "  {}", self.paint(v.view.name(), Paint::Dim));
            if !part.title.is_empty() {
                let _ = write!(s, " {}", self.paint(&sanitize(&part.title), Paint::Heading));
            }
            s.push('\n');
            for (name, value) in &part.fields {
                let name = sanitize(name);
                let name = self.tint(&name, Paint::Name);
                match value {
                    Value::Text(t) => {
                        let _ =
                            writeln!(s, "    {name}: {}", self.tint(&sanitize(t), Paint::Value));
                    }
                    Value::Num(n) => {
                        let _ = writeln!(
                            s,
                            "    {name}: {}",
                            self.paint(&n.to_string(), Paint::Value)
                        );
                    }
                    Value::Bytes(b) => {
                        let cut = limit.map_or(b.len(), |l| b.len().min(l / 8));
                        let more = if cut < b.len() {
                            format!(" … ({} more bytes)", b.len() - cut)
                        } else {
                            String::new()
                        };
                        let _ = writeln!(
                            s,
                            "    {name}: {} byte{}: {}{more}",
                            b.len(),
                            super::plural(b.len() as u64),
                            self.paint(&hex_spaced(&b[..cut]), Paint::Value)
                        );
                    }
                    Value::Json(data) => {
                        let laid = self.json_text(data, if brief { 0 } else { 2 }, limit);
                        if brief || !laid.contains('\n') {
                            let _ = writeln!(s, "    {name}: {laid}");
                        } else {
                            let _ = writeln!(s, "    {name}:");
                            for line in laid.lines() {
                                let _ = writeln!(s, "      {line}");
                            }
                        }
                    }
                }
            }
        }
        for p in &v.problems {
            let _ = writeln!(
                s,
                "  {}",
                self.paint(&format!("✗ {}", sanitize(p)), Paint::Bad)
            );
        }
        self.out().write_all(s.as_bytes())
    }

    /// JSON laid out with colours, cut after `limit` characters (with how
    /// much more there is).
    fn json_text(&self, data: &[u8], indent: usize, limit: Option<usize>) -> String {
        let mut s = String::new();
        let mut plain = 0usize;
        let mut cut = false;
        // Only what is shown is laid out: the view holds JSON already
        // checked whole.
        let _ = json::layout_while(data, indent, &mut |t, piece| {
            if let Some(l) = limit.filter(|l| plain + piece.len() > *l) {
                // A long string shows its start.
                let mut end = l.saturating_sub(plain).min(piece.len());
                while !piece.is_char_boundary(end) {
                    end -= 1;
                }
                if matches!(t, Token::Str | Token::Key) && end > 0 {
                    let paint = if t == Token::Key {
                        Paint::Name
                    } else {
                        Paint::Text
                    };
                    s.push_str(&self.tint(&sanitize(&piece[..end]), paint));
                }
                cut = true;
                return false;
            }
            plain += piece.len();
            let paint = match t {
                // Layout only: brackets, commas, newlines and indent.
                Token::Punct => {
                    s.push_str(piece);
                    return true;
                }
                Token::Key => Paint::Name,
                Token::Str => Paint::Text,
                Token::Num | Token::Lit => Paint::Value,
            };
            s.push_str(&self.tint(&sanitize(piece), paint));
            true
        });
        if cut {
            let _ = write!(s, " … (cut: --full shows all {} bytes)", data.len());
        }
        s
    }
}

/// Writes `v` as the JSON object of a view.
pub fn write_view(out: &mut impl Write, v: &Shown) -> io::Result<()> {
    out.write_all(b"{\"as\":")?;
    write_str(out, v.view.name())?;
    if let Some(chosen) = &v.chosen {
        out.write_all(b",\"chosen\":")?;
        write_str(out, chosen)?;
    }
    out.write_all(b",\"parts\":[")?;
    for (i, part) in v.parts.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"title\":")?;
        write_str(out, &part.title)?;
        out.write_all(b",\"fields\":[")?;
        for (j, (name, value)) in part.fields.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"name\":")?;
            write_str(out, name)?;
            out.write_all(b",\"value\":")?;
            match value {
                Value::Text(t) => write_str(out, t)?,
                Value::Num(n) => write!(out, "{n}")?,
                Value::Bytes(b) => {
                    out.write_all(b"{\"hex\":")?;
                    write_hex(out, b, None)?;
                    out.write_all(b"}")?;
                }
                Value::Json(data) => write_json(out, data)?,
            }
            out.write_all(b"}")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"],\"problems\":[")?;
    for (i, p) in v.problems.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_str(out, p)?;
    }
    out.write_all(b"]}")
}

/// JSON from a payload, checked before (the view holds only JSON that
/// is), written on one line as sent: keys in their order, numbers exact,
/// and what a terminal must not see inside strings escaped.
fn write_json(out: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let mut result = Ok(());
    let laid = json::layout(data, 0, &mut |_, piece| {
        if result.is_err() {
            return;
        }
        result = if piece.chars().any(needs_escape) {
            let mut e = String::with_capacity(piece.len() + 8);
            for c in piece.chars() {
                if needs_escape(c) {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        let _ = write!(e, "\\u{u:04x}");
                    }
                } else {
                    e.push(c);
                }
            }
            out.write_all(e.as_bytes())
        } else {
            out.write_all(piece.as_bytes())
        };
    });
    result?;
    if laid.is_err() {
        // Not reached: a view holds JSON only once checked. Said as a
        // string rather than written as broken JSON.
        out.write_all(b"null")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::text::TextOptions;
    use crate::print::Palette;
    use crate::protocol::message::MessageKind;
    use crate::protocol::payload::read::Reading;
    use crate::protocol::payload::View;
    use crate::protocol::Role;

    fn shown(view: Option<View>, data: &[u8]) -> Shown {
        Reading::new(view).read(Role::Client, MessageKind::Text, data, None)
    }

    #[test]
    fn json_output_carries_the_payload_json_exactly() {
        let v = shown(
            None,
            br#"{"id": 12345678901234567890123, "b": ["x\u0041", 1.50]}"#,
        );
        let mut out = Vec::new();
        write_view(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(r#""value":{"id":12345678901234567890123, "b":["x\u0041", 1.50]}"#),
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["as"], "json");
        assert_eq!(
            parsed["chosen"],
            "payloads read as json: the first message is JSON"
        );
        assert_eq!(parsed["parts"][0]["fields"][0]["name"], "value");
        assert_eq!(parsed["problems"], serde_json::json!([]));
    }

    #[test]
    fn a_bidi_character_inside_a_json_string_is_escaped() {
        let v = shown(Some(View::Json), "[\"a\u{202e}b\"]".as_bytes());
        let mut out = Vec::new();
        write_view(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#"["a\u202eb"]"#), "{text}");
        let mut t = TextPrinter::new(Vec::new(), Palette::default(), TextOptions::default());
        t.lines_view(&v, false).unwrap();
        let text = String::from_utf8(t.into_inner()).unwrap();
        assert!(!text.contains('\u{202e}'), "{text}");
    }

    #[test]
    fn text_lays_json_out_under_its_field() {
        let v = shown(None, br#"42/chat,7["chat",{"msg":"hi"}]"#);
        let mut t = TextPrinter::new(Vec::new(), Palette::default(), TextOptions::default());
        t.lines_view(&v, false).unwrap();
        let text = String::from_utf8(t.into_inner()).unwrap();
        assert_eq!(
            text,
            "  payloads shown raw: no subprotocol names a protocol and the first message is not one wsdbg reads\n"
        );
        let v = shown(Some(View::SocketIo), br#"42/chat,7["chat",{"msg":"hi"}]"#);
        let mut t = TextPrinter::new(Vec::new(), Palette::default(), TextOptions::default());
        t.lines_view(&v, false).unwrap();
        let text = String::from_utf8(t.into_inner()).unwrap();
        assert_eq!(
            text,
            concat!(
                "  payloads read as socketio: as --payload asks\n",
                "  socketio message · EVENT \"chat\"\n",
                "    namespace: /chat\n",
                "    ack id: 7\n",
                "    data:\n",
                "      [\n",
                "        \"chat\",\n",
                "        {\n",
                "          \"msg\": \"hi\"\n",
                "        }\n",
                "      ]\n",
            )
        );
        let mut t = TextPrinter::new(Vec::new(), Palette::default(), TextOptions::default());
        t.lines_view(&v, true).unwrap();
        let text = String::from_utf8(t.into_inner()).unwrap();
        assert!(
            text.contains("    data: [\"chat\", {\"msg\":\"hi\"}]\n"),
            "{text}"
        );
    }
}
