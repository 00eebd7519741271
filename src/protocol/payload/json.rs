//! JSON as sent, checked and laid out: a tokenizer that re-indents the
//! text it is given without turning it into values, so keys stay in their
//! order and numbers exactly as written (a 20-digit id is not rounded to a
//! float), and that says where the text stops being JSON.

use std::fmt;

/// Where and why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was expected there, and what was found.
    pub what: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.what)
    }
}

/// What a piece of laid-out JSON is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `{ } [ ] : ,` and the layout between them.
    Punct,
    /// An object's key, quotes included.
    Key,
    /// A string value, quotes included.
    Str,
    /// A number, as written.
    Num,
    /// `true`, `false` or `null`.
    Lit,
}

/// Lays out `text` (one JSON value, surrounding spaces allowed) with
/// `indent` spaces a level, or on one line with single spaces when
/// `indent` is 0, handing each piece to `out` with what it is. The pieces
/// before an error are handed on, so a JSON text cut in half is shown as
/// far as it goes.
pub fn layout(
    text: &[u8],
    indent: usize,
    out: &mut impl FnMut(Token, &str),
) -> Result<(), JsonError> {
    layout_while(text, indent, &mut |t, piece| {
        out(t, piece);
        true
    })
    .map(|_| ())
}

/// [`layout`], for as long as `out` returns true: Ok(false) when it
/// stopped (what follows is then neither laid out nor checked).
pub fn layout_while(
    text: &[u8],
    indent: usize,
    out: &mut impl FnMut(Token, &str) -> bool,
) -> Result<bool, JsonError> {
    let mut p = Parser {
        text,
        at: 0,
        indent,
        depth: 0,
    };
    let run = |p: &mut Parser, out: &mut _| -> Result<(), JsonError> {
        p.space();
        p.value(out)?;
        p.space();
        if p.at < text.len() {
            return Err(p.error("the end of the JSON text"));
        }
        Ok(())
    };
    match run(&mut p, out) {
        Ok(()) => Ok(true),
        Err(e) if e.offset == STOPPED => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `text` is one JSON value (surrounding spaces allowed); where
/// and why not.
pub fn check(text: &[u8]) -> Result<(), JsonError> {
    layout_while(text, 0, &mut |_, _| true).map(|_| ())
}

/// [`layout`] into a string, without colour.
pub fn pretty(text: &[u8], indent: usize) -> Result<String, (String, JsonError)> {
    let mut s = String::new();
    match layout(text, indent, &mut |_, piece| s.push_str(piece)) {
        Ok(()) => Ok(s),
        Err(e) => Err((s, e)),
    }
}

/// The offset of the error that says the caller stopped the layout.
const STOPPED: usize = usize::MAX;

/// Spaces to indent with, a slice at a time.
const SPACES: &str = "                                                                ";

/// How deep arrays and objects may nest before the text is refused: a
/// hostile message cannot run the stack out.
pub const MAX_DEPTH: usize = 128;

/// Whether `bytes` hold a control character (below 0x20): 64 bytes at a
/// time without stopping inside them, which the compiler turns into
/// vector instructions (a long string is checked at memory speed).
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .any(|c| c.iter().fold(false, |found, b| found | (*b < 0x20)))
}

/// Hands a piece to `out`; the stop marker when it says stop.
fn emit(out: &mut impl FnMut(Token, &str) -> bool, t: Token, piece: &str) -> Result<(), JsonError> {
    if out(t, piece) {
        Ok(())
    } else {
        Err(JsonError {
            offset: STOPPED,
            what: String::new(),
        })
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    indent: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &str) -> JsonError {
        let found = match self.text.get(self.at) {
            None => "the end of the message".to_string(),
            Some(b) if b.is_ascii_graphic() => format!("'{}'", char::from(*b)),
            Some(b) => format!("byte 0x{b:02x}"),
        };
        JsonError {
            offset: self.at,
            what: format!("expected {expected}, found {found}"),
        }
    }

    fn space(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn newline(&self, out: &mut impl FnMut(Token, &str) -> bool) -> Result<(), JsonError> {
        if self.indent > 0 {
            emit(out, Token::Punct, "\n")?;
            let mut n = self.indent * self.depth;
            while n > 0 {
                let k = n.min(SPACES.len());
                emit(out, Token::Punct, &SPACES[..k])?;
                n -= k;
            }
        }
        Ok(())
    }

    fn value(&mut self, out: &mut impl FnMut(Token, &str) -> bool) -> Result<(), JsonError> {
        match self.text.get(self.at) {
            Some(b'{') => self.container(b'}', out),
            Some(b'[') => self.container(b']', out),
            Some(b'"') => {
                let s = self.string()?;
                emit(out, Token::Str, s)
            }
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                emit(out, Token::Num, n)
            }
            Some(b't' | b'f' | b'n') => {
                for word in ["true", "false", "null"] {
                    if self.text[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return emit(out, Token::Lit, word);
                    }
                }
                Err(self.error("a value"))
            }
            _ => Err(self.error("a value")),
        }
    }

    fn container(
        &mut self,
        close: u8,
        out: &mut impl FnMut(Token, &str) -> bool,
    ) -> Result<(), JsonError> {
        if self.depth == MAX_DEPTH {
            return Err(JsonError {
                offset: self.at,
                what: format!("nested deeper than {MAX_DEPTH} levels"),
            });
        }
        let object = close == b'}';
        emit(out, Token::Punct, if object { "{" } else { "[" })?;
        self.at += 1;
        self.space();
        let closing = if object { "}" } else { "]" };
        if self.text.get(self.at) == Some(&close) {
            self.at += 1;
            emit(out, Token::Punct, closing)?;
            return Ok(());
        }
        self.depth += 1;
        loop {
            self.newline(out)?;
            if object {
                if self.text.get(self.at) != Some(&b'"') {
                    return Err(self.error("a key (a string)"));
                }
                let key = self.string()?;
                emit(out, Token::Key, key)?;
                self.space();
                if self.text.get(self.at) != Some(&b':') {
                    return Err(self.error("':' after the key"));
                }
                self.at += 1;
                emit(out, Token::Punct, if self.indent > 0 { ": " } else { ":" })?;
                self.space();
            }
            self.value(out)?;
            self.space();
            match self.text.get(self.at) {
                Some(b',') => {
                    self.at += 1;
                    emit(out, Token::Punct, if self.indent > 0 { "," } else { ", " })?;
                    self.space();
                }
                Some(b) if *b == close => {
                    self.at += 1;
                    self.depth -= 1;
                    self.newline(out)?;
                    emit(out, Token::Punct, closing)?;
                    return Ok(());
                }
                _ => return Err(self.error(if object { "',' or '}'" } else { "',' or ']'" })),
            }
        }
    }

    /// A string at `at` (its opening quote), as written.
    fn string(&mut self) -> Result<&str, JsonError> {
        let start = self.at;
        self.at += 1;
        loop {
            // Straight to the next quote or backslash; what is skipped
            // must hold no control character.
            let rest = &self.text[self.at..];
            let run = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
            if has_control(&rest[..run]) {
                self.at += rest.iter().position(|b| *b < 0x20).unwrap_or(0);
                return Err(self.error("a character (controls must be escaped in a string)"));
            }
            self.at += run;
            match self.text.get(self.at) {
                None => return Err(self.error("the string's closing '\"'")),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => match self.text.get(self.at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 2,
                    Some(b'u')
                        if self
                            .text
                            .get(self.at + 2..self.at + 6)
                            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                    {
                        self.at += 6
                    }
                    _ => {
                        self.at += 1;
                        return Err(
                            self.error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                        );
                    }
                },
                Some(b) if *b < 0x20 => {
                    return Err(self.error("a character (controls must be escaped in a string)"))
                }
                Some(_) => self.at += 1,
            }
        }
        std::str::from_utf8(&self.text[start..self.at]).map_err(|e| JsonError {
            offset: start + e.valid_up_to(),
            what: "expected UTF-8, found bytes that are not".to_string(),
        })
    }

    fn number(&mut self) -> Result<&str, JsonError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.text.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at - from
        };
        if self.text.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.text.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("a digit")),
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("a digit after '.'"));
            }
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("a digit in the exponent"));
            }
        }
        Ok(std::str::from_utf8(&self.text[start..self.at]).expect("ASCII"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_numbers_their_digits() {
        let text = br#" {"z": 1, "a": [12345678901234567890, -0.5e+3, true, null], "e": {}, "s": "\u00e9\"x"} "#;
        assert_eq!(
            pretty(text, 2).unwrap(),
            "{\n  \"z\": 1,\n  \"a\": [\n    12345678901234567890,\n    -0.5e+3,\n    true,\n    null\n  ],\n  \"e\": {},\n  \"s\": \"\\u00e9\\\"x\"\n}"
        );
        assert_eq!(
            pretty(text, 0).unwrap(),
            r#"{"z":1, "a":[12345678901234567890, -0.5e+3, true, null], "e":{}, "s":"\u00e9\"x"}"#
        );
    }

    #[test]
    fn tokens_say_what_each_piece_is() {
        let mut seen = Vec::new();
        layout(br#"{"k":["v",1,false]}"#, 0, &mut |t, s| {
            if t != Token::Punct {
                seen.push((t, s.to_string()));
            }
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                (Token::Key, "\"k\"".to_string()),
                (Token::Str, "\"v\"".to_string()),
                (Token::Num, "1".to_string()),
                (Token::Lit, "false".to_string())
            ]
        );
    }

    #[test]
    fn json_cut_in_half_is_shown_as_far_as_it_goes_with_where_it_stops() {
        let (shown, e) = pretty(br#"{"user": {"name": "Ada", "ro"#, 2).unwrap_err();
        assert_eq!(shown, "{\n  \"user\": {\n    \"name\": \"Ada\",\n    ");
        assert_eq!(e.offset, 28);
        assert_eq!(
            e.what,
            "expected the string's closing '\"', found the end of the message"
        );
        for (bad, offset, what) in [
            (&b"[1,]"[..], 3, "expected a value, found ']'"),
            (b"{\"a\" 1}", 5, "expected ':' after the key, found '1'"),
            (b"{1:2}", 1, "expected a key (a string), found '1'"),
            (b"[01]", 2, "expected ',' or ']', found '1'"),
            (
                b"1.",
                2,
                "expected a digit after '.', found the end of the message",
            ),
            (
                b"1e",
                2,
                "expected a digit in the exponent, found the end of the message",
            ),
            (b"\"a\\x\"", 3, "expected an escape"),
            (
                b"\"a\nb\"",
                2,
                "expected a character (controls must be escaped in a string), found byte 0x0a",
            ),
            (b"tru", 0, "expected a value, found 't'"),
            (b"{} x", 3, "expected the end of the JSON text, found 'x'"),
            (b"", 0, "expected a value, found the end of the message"),
            (b"\"\xff\"", 1, "expected UTF-8"),
        ] {
            let (_, e) = pretty(bad, 0).unwrap_err();
            assert_eq!(e.offset, offset, "{}", String::from_utf8_lossy(bad));
            assert!(
                e.what.starts_with(what),
                "{}: {}",
                String::from_utf8_lossy(bad),
                e.what
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let (_, e) = pretty(deep.as_bytes(), 0).unwrap_err();
        assert_eq!(e.offset, MAX_DEPTH);
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(pretty(ok.as_bytes(), 0).is_ok());
    }
}
