//! Escaping of bytes that came from outside, so that a peer can never send
//! control characters, escape sequences or bidi overrides to the
//! operator's terminal.

use std::fmt::Write;
use std::io;

/// Characters that are printable but can reorder or hide text, or that
/// terminals treat specially: bidi controls, zero-width characters, line
/// and paragraph separators, the BOM and interlinear annotation marks.
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{00ad}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Whether `c` is printed as an escape.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_deceptive(c)
}

/// Escapes `bytes` for display between double quotes: valid UTF-8 stays
/// readable, `\n \r \t \\ \"` are written as such, other control and
/// deceptive characters as `\u{202e}` or `\x1b`, and bytes that are not
/// UTF-8 as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape_into(&mut out, bytes);
    out
}

/// Appends `bytes` escaped as [`escape_bytes`] does.
pub fn escape_into(out: &mut String, bytes: &[u8]) {
    // Printable ASCII needs nothing: the common case, copied at once.
    if bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\' && b != b'"')
    {
        // Checked ASCII just above.
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        return;
    }
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Escapes at most the first `max` bytes as [`escape_bytes`] does, and
/// marks a cut with `...`: for bytes quoted inside a sentence. The cut
/// backs off to the start of a UTF-8 character it would split.
pub fn escape_cut(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return escape_bytes(bytes);
    }
    let head = &bytes[..max];
    let head = &head[..head.len() - incomplete_tail(head)];
    format!("{}...", escape_bytes(head))
}

/// Escapes a string as [`escape_bytes`] does.
pub fn escape_str(s: &str) -> String {
    escape_bytes(s.as_bytes())
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        c if (c as u32) < 0x80 && needs_escape(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Whether `bytes` are all printable ASCII (nothing to escape): 64 bytes
/// at a time without stopping inside them, which the compiler turns into
/// vector instructions, as long payloads are mostly this.
fn plain_ascii(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .all(|c| c.iter().fold(true, |ok, b| ok & (0x20..0x7f).contains(b)))
}

/// Escapes only what must never reach a terminal (control and deceptive
/// characters), leaving backslashes and quotes alone: for messages that
/// already quote input escaped, as a second line of defence.
pub fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    if plain_ascii(s.as_bytes()) || !s.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// One printable character for a byte, as in a hex dump's ASCII column.
pub fn ascii_char(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

/// A writer for JSON text that rewrites the characters JSON leaves raw but
/// a terminal should not see (DEL, C1 controls, bidi and zero-width
/// characters) as `\uXXXX` escapes, as the text streams through. Safe on
/// JSON: such characters can only occur inside strings.
pub struct HardenedJson<W: io::Write> {
    out: W,
    pending: Vec<u8>,
}

impl<W: io::Write> HardenedJson<W> {
    /// Wraps `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            pending: Vec::new(),
        }
    }
}

impl<W: io::Write> io::Write for HardenedJson<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let joined;
        let data = if self.pending.is_empty() {
            buf
        } else {
            self.pending.extend_from_slice(buf);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        // A character split between two writes waits for its end.
        let end = data.len() - incomplete_tail(data);
        let (now, later) = data.split_at(end);
        match std::str::from_utf8(now) {
            Ok(text) if text.chars().any(needs_escape) => {
                let mut escaped = String::with_capacity(text.len() + 16);
                for c in text.chars() {
                    if needs_escape(c) {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            let _ = write!(escaped, "\\u{u:04x}");
                        }
                    } else {
                        escaped.push(c);
                    }
                }
                self.out.write_all(escaped.as_bytes())?;
            }
            _ => self.out.write_all(now)?,
        }
        self.pending.extend_from_slice(later);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.out.write_all(&rest)?;
        self.out.flush()
    }
}

/// How many bytes at the end of `bytes` start a UTF-8 character that more
/// bytes may complete (0 to 3).
pub fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let needs = match bytes[bytes.len() - back] {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            0x80..=0xbf => continue,
            _ => return 0,
        };
        return if needs > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_unchanged() {
        assert_eq!(escape_bytes("MDN κόσμε".as_bytes()), "MDN κόσμε");
    }

    #[test]
    fn controls_and_escapes() {
        assert_eq!(escape_bytes(b"a\x1b[31mb\n\"\\"), "a\\x1b[31mb\\n\\\"\\\\");
        assert_eq!(escape_bytes(b"\x7f\x00"), "\\x7f\\x00");
        assert_eq!(escape_bytes("\u{9b}".as_bytes()), "\\u{9b}");
    }

    #[test]
    fn bidi_and_invalid_bytes() {
        assert_eq!(escape_bytes("a\u{202e}b".as_bytes()), "a\\u{202e}b");
        assert_eq!(escape_bytes(&[b'a', 0xff, 0xce]), "a\\xff\\xce");
    }

    #[test]
    fn cut_marks_and_keeps_characters_whole() {
        assert_eq!(escape_cut(b"abc", 3), "abc");
        assert_eq!(escape_cut(b"abcd", 3), "abc...");
        // 'é' is two bytes: a cut between them drops it whole.
        assert_eq!(escape_cut("aé".as_bytes(), 2), "a...");
        assert_eq!(escape_cut(b"\x1b\x1b", 1), "\\x1b...");
    }

    #[test]
    fn sanitize_keeps_backslashes() {
        assert_eq!(sanitize("a \\x1b b"), "a \\x1b b");
        assert_eq!(sanitize("a\u{1b}b\u{202e}"), "a\\u{1b}b\\u{202e}");
    }

    #[test]
    fn json_hardening() {
        let j = serde_json::to_string("x\u{202e}\u{1b}\u{7f}").unwrap();
        // Written whole and one byte at a time (splitting the bidi character).
        for pieces in [vec![j.as_bytes()], j.as_bytes().chunks(1).collect()] {
            let mut w = HardenedJson::new(Vec::new());
            for p in pieces {
                io::Write::write_all(&mut w, p).unwrap();
            }
            io::Write::flush(&mut w).unwrap();
            let h = String::from_utf8(w.out).unwrap();
            assert_eq!(h, "\"x\\u202e\\u001b\\u007f\"");
            let back: String = serde_json::from_str(&h).unwrap();
            assert_eq!(back, "x\u{202e}\u{1b}\u{7f}");
        }
    }
}
