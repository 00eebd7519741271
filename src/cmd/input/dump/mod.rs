//! Turning a pasted dump of bytes into the bytes themselves.
//!
//! Accepted spellings: plain hex in its many forms (`81 83`, `8183`, `0x81, 0x83`,
//! `{0x81, 0x83}`, `\x81\x83`, `81:83`, `81-83`, `%81%83`, Node's `<Buffer 81 83>`),
//! dumps with offsets (`xxd`, `hexdump -C`, `od -t x1`, Wireshark / `tshark -x`, also
//! starting at an offset other than 0), decimal (`129 131`, `[129, 131]`), base64, and
//! literals in code (`xxd -i`'s C array, C strings, Go, Rust, Python, Node, Java and C#
//! byte arrays, browser consoles' `(9) [129, ...]`; see the `literal` module).
//!
//! This module does no I/O. Every error carries a 1-based line and column (counted in
//! characters) plus the byte offset into the input, and quotes input text escaped so
//! that control characters never reach the terminal raw.

use std::fmt;

use crate::protocol::http::looks_like_head;

mod b64;
mod dec;
mod hex;
mod literal;
mod offset;
pub mod packet;
#[cfg(test)]
mod tests;

use b64::{looks_like_base64, parse_base64};
use dec::parse_dec;
use hex::plain_hex_line;
use offset::{detect_offsets, parse_offset_dump};

/// How the dump is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Guess: a dump with offsets, then plain hex, then base64. Decimal is never guessed,
    /// because `81 83` is valid hex and valid decimal.
    Auto,
    /// Plain hex in any common spelling, or a dump with offsets (xxd, hexdump -C, od, Wireshark).
    Hex,
    /// Decimal byte values: `129 131 61`, `[129, 131, 61]`, `Uint8Array(3) [129, 131, 61]`.
    Dec,
    /// Base64, standard or URL-safe alphabet, padding optional, whitespace ignored.
    Base64,
    /// The input bytes themselves, unchanged.
    Raw,
}

/// Where and what went wrong (1-based line and column, counted in characters of the input
/// line; byte offset into the input too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters (not bytes) of the line.
    pub column: usize,
    /// 0-based byte offset into the whole input.
    pub offset: usize,
    /// What is wrong, with any quoted input escaped.
    pub message: String,
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for DumpError {}

/// What was read, and how it was spelled (for the summary to say "read 9 bytes of hex").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The decoded bytes; never empty.
    pub bytes: Vec<u8>,
    /// The spelling the bytes were read in.
    pub spelling: Spelling,
    /// How many of `bytes` came from an HTTP head pasted as text before the
    /// dump (its line ends taken as CRLF); 0 when there was none.
    pub http_head: usize,
    /// How many bytes after that head are a second head pasted as text:
    /// the response to a pasted request (0 when there is none).
    pub http_answer: usize,
}

/// The spelling a dump was actually read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Plain hex (including `0x`, `\x`, `%` prefixes, C/JS/Python literals).
    Hex,
    /// xxd, hexdump -C, od-like or Wireshark dump with offsets (and maybe ASCII columns).
    OffsetHex {
        /// The offset of its first line: not 0 for `hexdump -C -s 4`, `od -j 4` or an
        /// excerpt of a longer dump.
        start: u64,
    },
    /// Decimal byte values.
    Dec,
    /// Base64 (standard or URL-safe).
    Base64,
    /// The input bytes unchanged.
    Raw,
    /// A literal in code, or an array as a console prints it.
    Literal {
        /// Which literal.
        kind: Literal,
        /// How many literals were joined (adjacent strings, several arrays).
        parts: u16,
        /// Whether negative values were read as signed bytes (two's complement).
        signed: bool,
        /// Which number around the bytes was checked against them.
        checked: Checked,
    },
}

/// A literal of bytes in code, as recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// `unsigned char b[] = {0x81, 0x83};`, as `xxd -i` and Wireshark write it.
    CArray,
    /// `"\201\203=T"` or `"\x81\x83"`, one string or several adjacent ones.
    CString,
    /// `[]byte{0x81, 0x83}`.
    GoSlice,
    /// `vec![0x81, 0x83]`.
    RustVec,
    /// `[0x81u8, 0x83]` or `let b: [u8; 2] = [0x81, 0x83];`.
    RustArray,
    /// `b"\x81\x83"` in Rust code (after `let` or `&`).
    RustByteString,
    /// `b'\x81\x83=T'`.
    PythonBytes,
    /// `bytearray(b'...')` or `bytearray([129, 131])`.
    PythonBytearray,
    /// `bytes([129, 131])`, or `array('B', [129, 131])`.
    PythonList,
    /// `bytes.fromhex('81 83')`.
    PythonFromHex,
    /// `Buffer.from([0x81, 0x83])`.
    NodeBuffer,
    /// `Buffer.from('8183', 'hex')` (or 'base64', 'latin1').
    NodeBufferString,
    /// `new Uint8Array([129, 131])`, or `Uint8Array(2) [129, 131]` as consoles print it.
    TypedArray,
    /// `new byte[] {129, 131}` (C# or Java), without signed values.
    ByteArray,
    /// `new byte[]{(byte)0x81, -125}`: Java's signed bytes.
    JavaBytes,
    /// `byteArrayOf(-127, -125)` or `byteArrayOf(0x81.toByte())`: Kotlin's signed bytes.
    KotlinBytes,
    /// `(2) [129, 131]`, as Chrome's console prints an array (Firefox: `Array(2)`).
    ConsoleArray,
    /// A bare list in code notation, such as `{0x81u, 0x83u}`.
    Array,
}

impl Literal {
    /// What it is called in the summary, as in "read 9 bytes of a C array".
    pub fn name(self) -> &'static str {
        match self {
            Literal::CArray => "a C array",
            Literal::CString => "a C string",
            Literal::GoSlice => "a Go []byte",
            Literal::RustVec => "a Rust vec!",
            Literal::RustArray => "a Rust array",
            Literal::RustByteString => "a Rust byte string",
            Literal::PythonBytes => "a bytes literal (Python or Rust)",
            Literal::PythonBytearray => "a Python bytearray",
            Literal::PythonList => "a Python bytes() of a list",
            Literal::PythonFromHex => "Python's bytes.fromhex",
            Literal::NodeBuffer => "a Node Buffer of a list",
            Literal::NodeBufferString => "a Node Buffer of a string",
            Literal::TypedArray => "a JavaScript typed array",
            Literal::ByteArray => "a byte[] array (C# or Java)",
            Literal::JavaBytes => "a Java byte array (signed)",
            Literal::KotlinBytes => "a Kotlin byteArrayOf (signed)",
            Literal::ConsoleArray => "a console array",
            Literal::Array => "an array in code",
        }
    }
}

/// Which number around the bytes was recognised and checked against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Nothing to check.
    None,
    /// A count the console printed before the values: `(9)`, `Uint8Array(9)`.
    Count(u64),
    /// A declared size: `[9]`, `[u8; 9]`.
    Size(u64),
    /// A length variable after the literal, as `xxd -i` writes: `b_len = 9`.
    LengthVar(u64),
}

impl Spelling {
    /// A short human name, as in "read 9 bytes of hex" or "read 5 bytes of hex dump
    /// starting at offset 0x4".
    pub fn name(self) -> String {
        match self {
            Spelling::Hex => "hex".into(),
            Spelling::OffsetHex { start: 0 } => "hex dump".into(),
            Spelling::OffsetHex { start } if start < 10 => {
                format!("hex dump starting at offset 0x{start:x}")
            }
            Spelling::OffsetHex { start } => {
                format!("hex dump starting at offset 0x{start:x} ({start})")
            }
            Spelling::Dec => "decimal".into(),
            Spelling::Base64 => "base64".into(),
            Spelling::Raw => "raw bytes".into(),
            Spelling::Literal {
                kind,
                parts,
                signed,
                checked,
            } => {
                let mut name = kind.name().to_string();
                if parts > 1 {
                    name.push_str(&format!(" ({parts} joined)"));
                }
                if signed && !matches!(kind, Literal::JavaBytes | Literal::KotlinBytes) {
                    name.push_str(" (signed)");
                }
                match checked {
                    Checked::None => {}
                    Checked::Count(n) => name.push_str(&format!(", its count ({n}) checked")),
                    Checked::Size(n) => {
                        name.push_str(&format!(", its declared size [{n}] checked"));
                    }
                    Checked::LengthVar(n) => {
                        name.push_str(&format!(", its length variable ({n}) checked"));
                    }
                }
                name
            }
        }
    }
}

/// Reads `input` as a dump spelled as `format` says.
///
/// Text formats must be UTF-8. Lines starting with `#` or `//` are comments (only `#` for
/// base64, where `/` is a digit), and so is the rest of a plain hex line from a `#` or `//`
/// that follows a space; blank lines are ignored. A hex group written as one run, such as
/// `0x8183` or `81833d54`, is read as bytes in the order written (81 83); a prefixed single
/// digit (`0x6`, `\x6`) is one byte.
///
/// A dump with offsets is recognised by its first line: `00000000: ` (xxd, which may also
/// start at another offset), `0000` or more zeros then two spaces (hexdump -C, Wireshark),
/// or 6-7 zeros then one space with an offset on the next line (od); a first offset that
/// is not zero (`hexdump -C -s 4`, `od -j 4`, an excerpt of `tshark -x`) counts when the
/// next line's offset follows on from it or its ASCII column shows its bytes. Every line
/// must then start with an offset that follows on from the bytes read so far, or with 0
/// (a new Wireshark packet), or be `*`; offsets are never read as data, and a first line
/// that starts like an unconfirmed offset (`000004 23 06`) is refused. The headings of
/// `tshark -x` (`Frame (63 bytes):`) are refused with what to paste instead. Fails on
/// empty input.
pub fn parse(input: &[u8], format: Format) -> Result<Dump, DumpError> {
    let (bytes, spelling) = match format {
        Format::Raw => (input.to_vec(), Spelling::Raw),
        _ => {
            let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
            // Code says how its numbers are written, whatever the format asked for.
            // tshark's headings, `Frame (63 bytes):`, look like code; they are refused
            // by the hex reader.
            let heading = || content(text, true).any(|l| offset::tshark_heading(&l).is_some());
            let code = (matches!(format, Format::Auto | Format::Hex | Format::Dec) && !heading())
                .then(|| literal::parse(text))
                .flatten();
            match (code, format) {
                (Some(found), _) => found?,
                (None, Format::Dec) => (parse_dec(text)?, Spelling::Dec),
                (None, Format::Base64) => (parse_base64(text)?, Spelling::Base64),
                (None, Format::Auto) => parse_auto(text)?,
                (None, Format::Hex | Format::Raw) => parse_hex(text)?,
            }
        }
    };
    if bytes.is_empty() {
        return Err(empty_input());
    }
    Ok(Dump {
        bytes,
        spelling,
        http_head: 0,
        http_answer: 0,
    })
}

/// Like [`parse`], but an HTTP upgrade request or response pasted as text
/// at the start (as logs and bug reports show it) is taken as bytes, with
/// CRLF line ends since pasting loses the CRs, and the dump after it is
/// read as `format` says. Raw input is left alone.
///
/// Takes the input by value so that raw bytes become the dump without a
/// copy.
pub fn parse_with_head(input: Vec<u8>, format: Format) -> Result<Dump, DumpError> {
    if format == Format::Raw {
        if input.is_empty() {
            return Err(empty_input());
        }
        return Ok(Dump {
            bytes: input,
            spelling: Spelling::Raw,
            http_head: 0,
            http_answer: 0,
        });
    }
    let input = &input[..];
    let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
    let Some((head, mut used, mut lines)) = leading_http_head(text) else {
        return parse(input, format);
    };
    let mut bytes = head;
    let http_head = bytes.len();
    // A request's answer pasted after it: both sides' heads.
    let mut http_answer = 0;
    let is_request = bytes.starts_with(b"GET ") || !bytes.starts_with(b"HTTP/");
    if is_request {
        let after = text[used..].trim_start_matches(['\r', '\n']);
        let skipped = text.len() - used - after.len();
        if after.starts_with("HTTP/") {
            if let Some((answer, n, l)) = leading_http_head(after) {
                http_answer = answer.len();
                bytes.extend_from_slice(&answer);
                lines += l + text[used..used + skipped].matches('\n').count();
                used += skipped + n;
            }
        }
    }
    let rest = &text[used..];
    let mut spelling = Spelling::Raw;
    if !rest.trim().is_empty() {
        let dump = parse(rest.as_bytes(), format).map_err(|mut e| {
            e.line += lines;
            e.offset += used;
            e
        })?;
        bytes.extend_from_slice(&dump.bytes);
        spelling = dump.spelling;
    }
    Ok(Dump {
        bytes,
        spelling,
        http_head,
        http_answer,
    })
}

/// An HTTP request or status line at the start of `text` (as
/// [`looks_like_head`] tells them): the head's bytes
/// up to and including its empty line (added when the text ends first),
/// with CRLF line ends, and how many bytes and lines of `text` it used.
fn leading_http_head(text: &str) -> Option<(Vec<u8>, usize, usize)> {
    let stripped = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - stripped.len();
    let text = stripped;
    looks_like_head(text.as_bytes())?;
    let (mut head, mut used, mut lines) = (Vec::new(), bom, 0);
    let mut ended = false;
    for line in text.split_inclusive('\n') {
        used += line.len();
        lines += 1;
        let content = line.trim_end_matches(['\r', '\n']);
        head.extend_from_slice(content.as_bytes());
        head.extend_from_slice(b"\r\n");
        if content.is_empty() {
            ended = true;
            break;
        }
    }
    if !ended {
        head.extend_from_slice(b"\r\n");
    }
    Some((head, used, lines))
}

fn empty_input() -> DumpError {
    DumpError {
        line: 1,
        column: 1,
        offset: 0,
        message: "empty input: no bytes to decode".into(),
    }
}

fn parse_auto(text: &str) -> Result<(Vec<u8>, Spelling), DumpError> {
    match parse_hex(text) {
        Ok(found) => Ok(found),
        Err(mut hex_err) if looks_like_base64(text) => match parse_base64(text) {
            Ok(bytes) => Ok((bytes, Spelling::Base64)),
            Err(b64) => {
                // Hex is the documented default, so its error leads; the base64 one is a hint.
                hex_err.message =
                    format!("{} (not base64 either: {})", hex_err.message, b64.message);
                Err(hex_err)
            }
        },
        Err(mut e) => {
            // MDN's example is decimal; say so instead of only "odd number of
            // hex digits in '129'".
            let decimal = text
                .split(|c: char| !c.is_ascii_digit())
                .any(|t| t.len() == 3);
            if decimal && parse_dec(text).is_ok() {
                e.message
                    .push_str(" (decimal bytes, as in MDN's example? use --dec)");
            }
            Err(e)
        }
    }
}

fn not_utf8(input: &[u8], at: usize) -> DumpError {
    let before = input.get(..at).unwrap_or_default();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = std::str::from_utf8(before.get(line_start..).unwrap_or_default())
        .map_or(0, |s| s.chars().count())
        + 1;
    let byte = input.get(at).copied().unwrap_or(0);
    DumpError {
        line: before.iter().filter(|&&b| b == b'\n').count() + 1,
        column,
        offset: at,
        message: format!(
            "byte 0x{byte:02x} is not UTF-8 text, and a dump must be text \
             (use --raw to take the input as raw bytes)"
        ),
    }
}

/// One input line, without its `\n` or `\r\n`.
#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    start: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    fn error(&self, at: usize, message: String) -> DumpError {
        let column = self.text.get(..at).map_or(0, |s| s.chars().count()) + 1;
        DumpError {
            line: self.no,
            column,
            offset: self.start + at,
            message,
        }
    }

    fn rest(&self, at: usize) -> &'a str {
        self.text.get(at..).unwrap_or_default()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.rest(at).chars().next()
    }

    fn skip_space(&self, mut at: usize) -> usize {
        while let Some(c) = self.char_at(at).filter(|&c| is_space(c)) {
            at += c.len_utf8();
        }
        at
    }
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut start = 0;
    text.split('\n').enumerate().map(move |(i, raw)| {
        let line = Line {
            no: i + 1,
            start,
            text: raw.strip_suffix('\r').unwrap_or(raw),
        };
        start += raw.len() + 1;
        line
    })
}

/// Non-blank, non-comment lines; `//` is a comment unless the format is base64.
fn content(text: &str, slashes: bool) -> impl Iterator<Item = Line<'_>> {
    lines(text).filter(move |l| {
        let t = l.text.trim_start_matches(is_space);
        !(t.is_empty() || t.starts_with('#') || (slashes && t.starts_with("//")))
    })
}

fn is_space(c: char) -> bool {
    // A byte order mark from a Windows editor is as meaningless as a space.
    c.is_whitespace() || c == '\u{feff}'
}

/// Input text for a message: escaped, and shortened if long.
fn quote(s: &str) -> String {
    let n = s.chars().count();
    if n <= 24 {
        return s.escape_debug().to_string();
    }
    let head: String = s.chars().take(16).collect();
    let tail: String = s.chars().skip(n - 6).collect();
    format!("{}…{}", head.escape_debug(), tail.escape_debug())
}

fn not_hex(c: char) -> String {
    format!(
        "'{}' is not a hex digit (expected 0-9, a-f)",
        c.escape_debug()
    )
}

fn odd_digits(token: &str) -> String {
    format!(
        "odd number of hex digits in '{}' (each byte needs two digits)",
        quote(token)
    )
}

fn hex_val(d: u8) -> u8 {
    (d as char).to_digit(16).map_or(0, |v| v as u8)
}

/// Pushes digit pairs as bytes; a lone digit is one byte.
fn push_hex(digits: &[u8], out: &mut Vec<u8>) {
    for pair in digits.chunks(2) {
        out.push(pair.iter().fold(0, |acc, &d| (acc << 4) | hex_val(d)));
    }
}

fn hex_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_hexdigit).count()
}

fn parse_hex(text: &str) -> Result<(Vec<u8>, Spelling), DumpError> {
    if let Some(e) = content(text, true).find_map(|l| offset::tshark_heading(&l)) {
        return Err(e);
    }
    if let Some(radixes) = detect_offsets(text) {
        let (bytes, start) = parse_offset_dump(text, radixes)?;
        return Ok((bytes, Spelling::OffsetHex { start }));
    }
    if let Some(e) = offset::unconfirmed_offset(text) {
        return Err(e);
    }
    let mut out = Vec::new();
    for line in content(text, true) {
        plain_hex_line(&line, &mut out)?;
    }
    Ok((out, Spelling::Hex))
}
