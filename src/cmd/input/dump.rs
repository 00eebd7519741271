//! Turning a pasted dump of bytes into the bytes themselves.
//!
//! Accepted spellings: plain hex in its many forms (`81 83`, `8183`, `0x81, 0x83`,
//! `{0x81, 0x83}`, `\x81\x83`, Python `b'\x81\x83=T'`, `81:83`, `81-83`, `%81%83`,
//! Node's `<Buffer 81 83>`), dumps with offsets (`xxd`, `hexdump -C`, `od -t x1`,
//! Wireshark / `tshark -x`), decimal (`129 131`, `[129, 131]`) and base64.
//!
//! This module does no I/O. Every error carries a 1-based line and column (counted in
//! characters) plus the byte offset into the input, and quotes input text escaped so
//! that control characters never reach the terminal raw.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use std::fmt;

use crate::protocol::http::looks_like_head;

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
}

/// The spelling a dump was actually read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// Plain hex (including `0x`, `\x`, `%` prefixes, C/JS/Python literals).
    Hex,
    /// xxd, hexdump -C, od-like or Wireshark dump with offsets (and maybe ASCII columns).
    OffsetHex,
    /// Decimal byte values.
    Dec,
    /// Base64 (standard or URL-safe).
    Base64,
    /// The input bytes unchanged.
    Raw,
}

impl Spelling {
    /// A short human name, as in "read 9 bytes of hex".
    pub fn name(self) -> &'static str {
        match self {
            Spelling::Hex => "hex",
            Spelling::OffsetHex => "hex dump",
            Spelling::Dec => "decimal",
            Spelling::Base64 => "base64",
            Spelling::Raw => "raw bytes",
        }
    }
}

/// Most bytes that hexdump's `*` lines may expand to, so a few lines of input cannot ask
/// for gigabytes of memory.
const MAX_REPEAT: u64 = 64 << 20;

/// `*` may always expand this much, however short the dump.
const MIN_REPEAT_LIMIT: u64 = 1 << 20;

/// Beyond [`MIN_REPEAT_LIMIT`], `*` may expand by this many bytes per byte
/// of the dump.
const REPEAT_PER_INPUT_BYTE: u64 = 1024;

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
/// or 6-7 zeros then one space with an offset on the next line (od). Every line must then
/// start with an offset that follows on from the bytes read so far, or with 0 (a new
/// Wireshark packet), or be `*`. Fails on empty input.
pub fn parse(input: &[u8], format: Format) -> Result<Dump, DumpError> {
    let (bytes, spelling) = match format {
        Format::Raw => (input.to_vec(), Spelling::Raw),
        _ => {
            let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
            match format {
                Format::Dec => (parse_dec(text)?, Spelling::Dec),
                Format::Base64 => (parse_base64(text)?, Spelling::Base64),
                Format::Auto => parse_auto(text)?,
                Format::Hex | Format::Raw => parse_hex(text)?,
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
        });
    }
    let input = &input[..];
    let text = std::str::from_utf8(input).map_err(|e| not_utf8(input, e.valid_up_to()))?;
    let Some((head, used, lines)) = leading_http_head(text) else {
        return parse(input, format);
    };
    let rest = &text[used..];
    let mut bytes = head;
    let http_head = bytes.len();
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
    if let Some(radixes) = detect_offsets(text) {
        return Ok((parse_offset_dump(text, radixes)?, Spelling::OffsetHex));
    }
    let mut out = Vec::new();
    for line in content(text, true) {
        plain_hex_line(&line, &mut out)?;
    }
    Ok((out, Spelling::Hex))
}

fn plain_hex_line(line: &Line, out: &mut Vec<u8>) -> Result<(), DumpError> {
    let mut at = 0;
    let mut after_space = true;
    while let Some(c) = line.char_at(at) {
        let rest = line.rest(at);
        if is_space(c) {
            at += c.len_utf8();
            after_space = true;
            continue;
        }
        if after_space && (c == '#' || rest.starts_with("//")) {
            break; // trailing comment
        }
        after_space = false;
        if matches!(
            c,
            ',' | ';' | ':' | '-' | '{' | '}' | '[' | ']' | '(' | ')' | '"' | '\'' | '>'
        ) {
            at += 1;
            continue;
        }
        if rest.starts_with("<Buffer") {
            at += "<Buffer".len();
            continue;
        }
        if matches!(c, 'b' | 'B') && matches!(rest.as_bytes().get(1), Some(b'\'' | b'"')) {
            at = bytes_literal(line, at + 1, out)?;
            continue;
        }
        let prefixed = rest
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("0x") || p.eq_ignore_ascii_case("\\x"));
        let digits = at + if prefixed { 2 } else { usize::from(c == '%') };
        let end = digits + hex_run(line.rest(digits));
        let token = line.text.get(at..end).unwrap_or_default();
        let n = end - digits;
        if n == 0 && digits == at {
            return Err(line.error(at, not_hex(c)));
        } else if n == 0 {
            return Err(line.error(
                digits,
                format!("expected hex digits after '{}'", quote(token)),
            ));
        } else if c == '%' && n != 2 {
            return Err(line.error(
                at,
                format!(
                    "'%' must be followed by exactly two hex digits in '{}'",
                    quote(token)
                ),
            ));
        } else if let Some(bad) = line.char_at(end).filter(|c| c.is_alphanumeric()) {
            // `818g` is more likely a typo for a digit than a missing one.
            return Err(line.error(end, not_hex(bad)));
        } else if n % 2 == 1 && !(n == 1 && prefixed) {
            return Err(line.error(end - 1, odd_digits(token)));
        }
        push_hex(
            line.rest(digits).as_bytes().get(..n).unwrap_or_default(),
            out,
        );
        at = end;
    }
    Ok(())
}

/// Reads a Python bytes literal whose opening quote is at `open`, as Python's `repr`
/// prints it: printable ASCII stands for itself, escapes for the rest. Returns the
/// position after the closing quote.
fn bytes_literal(line: &Line, open: usize, out: &mut Vec<u8>) -> Result<usize, DumpError> {
    let t = line.text.as_bytes();
    let quote_char = t.get(open).copied();
    let mut at = open + 1;
    loop {
        let Some(&b) = t.get(at) else {
            return Err(line.error(at, "bytes literal is not closed (missing quote)".into()));
        };
        if Some(b) == quote_char {
            return Ok(at + 1);
        }
        let (byte, len) = match b {
            b'\\' => match t.get(at + 1) {
                Some(b'x') => {
                    let pair = t
                        .get(at + 2..at + 4)
                        .filter(|p| p.iter().all(u8::is_ascii_hexdigit));
                    let pair = pair.ok_or_else(|| {
                        line.error(at, "'\\x' must be followed by two hex digits".into())
                    })?;
                    (pair.iter().fold(0, |acc, &d| (acc << 4) | hex_val(d)), 4)
                }
                Some(&e @ (b'\\' | b'\'' | b'"')) => (e, 2),
                Some(b'n') => (b'\n', 2),
                Some(b'r') => (b'\r', 2),
                Some(b't') => (b'\t', 2),
                Some(b'0'..=b'7') => {
                    let digits = t
                        .iter()
                        .skip(at + 1)
                        .take(3)
                        .take_while(|d| matches!(d, b'0'..=b'7'));
                    let (value, n) =
                        digits.fold((0u32, 0), |(v, n), &d| (v * 8 + u32::from(d - b'0'), n + 1));
                    let byte = u8::try_from(value).map_err(|_| {
                        line.error(at, "octal escape above \\377 is not a byte".into())
                    })?;
                    (byte, 1 + n)
                }
                Some(b'a') => (7, 2),
                Some(b'b') => (8, 2),
                Some(b'f') => (12, 2),
                Some(b'v') => (11, 2),
                _ => {
                    let e = line
                        .char_at(at + 1)
                        .map_or(String::new(), |c| c.escape_debug().to_string());
                    return Err(
                        line.error(at, format!("unknown escape '\\{e}' in a bytes literal"))
                    );
                }
            },
            0x20..=0x7e => (b, 1),
            _ => {
                let c = line.char_at(at).unwrap_or('?');
                let msg = format!(
                    "'{}' cannot appear in a bytes literal (only printable ASCII)",
                    c.escape_debug()
                );
                return Err(line.error(at, msg));
            }
        };
        out.push(byte);
        at += len;
    }
}

const HEX_ONLY: &[u32] = &[16];
const OD_7_DIGITS: &[u32] = &[8, 10, 16];

/// Splits off a line's leading hex digits (after any indentation).
fn leading_offset(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start_matches(is_space);
    let n = hex_run(t);
    (n > 0).then(|| t.split_at(n))
}

/// Decides from its first lines whether the dump has offsets, and which radixes those
/// offsets may be written in. Offset-style when the first line starts with
/// - 4 or more zeros, or 8 or more hex digits (xxd -s starts anywhere), and `: `, or
/// - at least 4 zeros and two spaces or a tab (hexdump -C, Wireshark), or
/// - 6 or 7 zeros and one space, and the second line starts with as many digits or is `*`
///   (od, whose last line is always an offset, so there is a second line).
fn detect_offsets(text: &str) -> Option<&'static [u32]> {
    let mut lines = content(text, true);
    let (token, after) = leading_offset(lines.next()?.text)?;
    if token.len() < 4 {
        return None;
    }
    let zero = token.bytes().all(|b| b == b'0');
    if let Some(rest) = after.strip_prefix(':') {
        let xxd = (zero || token.len() >= 8) && (rest.is_empty() || rest.starts_with(is_space));
        return xxd.then_some(HEX_ONLY);
    }
    if zero && (after.starts_with("  ") || after.starts_with('\t')) {
        return Some(HEX_ONLY);
    }
    if !(zero && matches!(token.len(), 6 | 7) && after.starts_with(' ')) {
        return None;
    }
    let second = lines.next()?;
    let od_like = second.text.trim_matches(is_space) == "*"
        || leading_offset(second.text)
            .is_some_and(|(t, a)| t.len() == token.len() && (a.is_empty() || a.starts_with(' ')));
    od_like.then_some(if token.len() == 6 {
        HEX_ONLY
    } else {
        OD_7_DIGITS
    })
}

fn format_offset(value: u64, radix: u32, width: usize) -> String {
    match radix {
        8 => format!("{value:0width$o}"),
        10 => format!("{value:0width$}"),
        _ => format!("{value:0width$x}"),
    }
}

/// Reads an xxd / hexdump -C / od / Wireshark dump, checking each line's offset against
/// the bytes read so far. An offset of 0 starts a new block (Wireshark prints one per
/// packet); `*` repeats the previous line up to the next offset.
fn parse_offset_dump(text: &str, radixes: &[u32]) -> Result<Vec<u8>, DumpError> {
    let first_radix = radixes.first().copied().unwrap_or(16);
    let mut radix = (radixes.len() == 1).then_some(first_radix);
    let mut out = Vec::new();
    let mut next: Option<u64> = None;
    let mut prev = 0..0;
    let mut star: Option<(Line, usize)> = None;
    let mut repeated = 0u64;
    for line in content(text, true) {
        let start = line.skip_space(0);
        if line.rest(start).trim_end_matches(is_space) == "*" {
            if prev.is_empty() {
                return Err(line.error(
                    start,
                    "'*' repeats the previous line, but no line of bytes comes before it".into(),
                ));
            }
            star = Some((line, start));
            continue;
        }
        let digits = hex_run(line.rest(start));
        let token = line.rest(start).get(..digits).unwrap_or_default();
        let after = start + digits;
        let colon = line.char_at(after) == Some(':');
        if digits == 0 || !(colon || line.char_at(after).is_none_or(is_space)) {
            let msg =
                "expected an offset such as 00000010 at the start of the line, like the first";
            return Err(line.error(start, msg.into()));
        }
        if radix.is_none() && token.bytes().any(|b| b != b'0') {
            // od's 7-digit offsets are octal by default, decimal with -A d, hex with -A x:
            // the first one that is not zero tells which, as only one radix (or, after a
            // `*`, usually only octal) fits the bytes read so far.
            let (want, len) = (next.unwrap_or(0), prev.len() as u64);
            let fits = |r: &&u32| match u64::from_str_radix(token, **r) {
                Ok(v) if star.is_some() => v > want && (v - want) % len == 0,
                Ok(v) => v == want,
                Err(_) => false,
            };
            radix = Some(radixes.iter().find(fits).copied().unwrap_or(first_radix));
        }
        let r = radix.unwrap_or(16);
        let value = u64::from_str_radix(token, r).map_err(|_| {
            line.error(
                start,
                format!(
                    "offset '{}' is not a base-{r} number that fits in 64 bits",
                    quote(token)
                ),
            )
        })?;
        let expected = next.unwrap_or(value);
        if let Some((star_line, star_at)) = star.take() {
            let len = prev.len() as u64;
            let fill = value
                .checked_sub(expected)
                .filter(|&f| f > 0 && f % len == 0)
                .ok_or_else(|| {
                    let expected = format_offset(expected, r, token.len());
                    let msg = format!(
                        "after '*', offset {token} should be {expected} plus a whole number \
                         of {len}-byte lines"
                    );
                    line.error(start, msg)
                })?;
            repeated = repeated.saturating_add(fill);
            // A few bytes of '*' can claim gigabytes, and every two bytes of
            // zeros is a frame to annotate: the expansion is bounded by the
            // size of the dump itself as well as by a fixed limit.
            let limit =
                MAX_REPEAT.min(MIN_REPEAT_LIMIT.max(REPEAT_PER_INPUT_BYTE * text.len() as u64));
            if repeated > limit {
                let msg = format!(
                    "'*' would repeat {fill} bytes; a {}-byte dump may expand by at most {limit} bytes",
                    text.len()
                );
                return Err(star_line.error(star_at, msg));
            }
            // Double the copied region instead of copying one line at a time.
            let start = out.len();
            let target = start + fill as usize;
            out.extend_from_within(prev.clone());
            while out.len() < target {
                let have = out.len() - start;
                let take = have.min(target - out.len());
                out.extend_from_within(start..start + take);
            }
        } else if value != expected && value != 0 {
            let expected = format_offset(expected, r, token.len());
            let msg = format!(
                "offset {token} does not follow on from the bytes read so far (expected {expected})"
            );
            return Err(line.error(start, msg));
        }
        let before = out.len();
        read_hex_area(&line, after + usize::from(colon), colon, &mut out)?;
        if out.len() > before {
            prev = before..out.len();
        }
        next = Some(value.saturating_add((out.len() - before) as u64));
    }
    if let Some((line, at)) = star {
        return Err(line.error(
            at,
            "'*' must be followed by the offset where the repeated lines end".into(),
        ));
    }
    Ok(out)
}

/// Reads the hex part of an offset line from `at`, stopping where the ASCII column starts:
/// at `|` (hexdump -C) or `>` (od), or at a gap of two or more spaces after the first byte.
/// The ASCII column can hold anything, hex-looking text included, so it is found by this
/// gap (every tool pads short lines so the column lines up) and never by its content. The
/// one gap inside the hex part is the two spaces after the 8th byte of hexdump -C and some
/// Wireshark versions. `groups` (xxd) allows groups of several bytes, as in `8183 3d54`.
fn read_hex_area(
    line: &Line,
    mut at: usize,
    groups: bool,
    out: &mut Vec<u8>,
) -> Result<(), DumpError> {
    let mut count = 0;
    loop {
        let mut gap = 0;
        while let Some(c) = line.char_at(at).filter(|&c| is_space(c)) {
            gap += if c == '\t' { 2 } else { 1 };
            at += c.len_utf8();
        }
        let Some(c) = line.char_at(at) else {
            return Ok(());
        };
        let middle = !groups && count == 8 && gap == 2;
        if c == '|' || c == '>' || (count > 0 && gap >= 2 && !middle) {
            return Ok(());
        }
        let rest = line.rest(at);
        let token = rest
            .get(..rest.find(is_space).unwrap_or(rest.len()))
            .unwrap_or_default();
        if let Some((i, bad)) = token.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
            return Err(line.error(at + i, not_hex(bad)));
        }
        if token.len() % 2 == 1 {
            return Err(line.error(at + token.len() - 1, odd_digits(token)));
        }
        if !groups && token.len() != 2 {
            let msg = format!(
                "'{}' is a group of {} digits: plain hexdump and od print 16-bit words in \
                 machine byte order; dump again with hexdump -C, od -t x1 or xxd",
                quote(token),
                token.len()
            );
            return Err(line.error(at, msg));
        }
        push_hex(token.as_bytes(), out);
        count += token.len() / 2;
        at += token.len();
    }
}

fn parse_dec(text: &str) -> Result<Vec<u8>, DumpError> {
    let mut out = Vec::new();
    for line in content(text, true) {
        let mut at = 0;
        while let Some(c) = line.char_at(at) {
            if is_space(c) || matches!(c, ',' | ';' | '[' | ']' | '{' | '}' | '(' | ')') {
                at += c.len_utf8();
                continue;
            }
            let rest = line.rest(at);
            let word = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let name = rest.get(..word).unwrap_or_default();
            if c.is_ascii_alphabetic()
                && matches!(
                    name,
                    "Uint8Array" | "Array" | "Buffer" | "bytes" | "bytearray"
                )
            {
                // Skip the type and the length that browsers and Node print: `Uint8Array(9) [...]`.
                at += word;
                let after = line.rest(at);
                let count = after
                    .strip_prefix('(')
                    .map_or(0, |s| s.bytes().take_while(u8::is_ascii_digit).count());
                if count > 0 && after.as_bytes().get(count + 1) == Some(&b')') {
                    at += count + 2;
                }
                continue;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let token = rest.get(..digits).unwrap_or_default();
            if digits == 0 {
                let msg = format!(
                    "'{}' is not a decimal digit (expected 0-9)",
                    c.escape_debug()
                );
                return Err(line.error(at, msg));
            }
            let value = token.bytes().fold(0u32, |v, d| {
                v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
            });
            let byte = u8::try_from(value)
                .map_err(|_| line.error(at, format!("{} is not a byte (0-255)", quote(token))))?;
            out.push(byte);
            at += digits;
        }
    }
    Ok(out)
}

/// Base64 in Auto: lines of nothing but base64 characters (no spaces inside), with at
/// least one character that hex does not use.
fn looks_like_base64(text: &str) -> bool {
    // Hex with a typo in it ("8183zz54") must stay a hex error, so base64
    // is only guessed on evidence: '+', '/' or '=' padding, or at least
    // three letters that no hex spelling uses.
    let mut strong = false;
    let mut not_hex = 0;
    let mut seen = false;
    for line in content(text, false) {
        for c in line.text.trim_matches(is_space).chars() {
            if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=')) {
                return false;
            }
            strong |= matches!(c, '+' | '/' | '=');
            if !c.is_ascii_hexdigit() && c != '-' {
                not_hex += 1;
            }
            seen = true;
        }
    }
    seen && not_hex > 0 && (strong || not_hex >= 3)
}

fn parse_base64(text: &str) -> Result<Vec<u8>, DumpError> {
    let mut data = String::new();
    let mut padding: Option<(Line, usize, usize)> = None;
    let mut last: Option<(Line, usize)> = None;
    for line in content(text, false) {
        for (at, c) in line.text.char_indices() {
            let digit = match c {
                _ if is_space(c) => continue,
                'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => c,
                // URL-safe alphabet, read as the standard one.
                '-' => '+',
                '_' => '/',
                '=' => {
                    let count = padding.map_or(0, |p| p.2) + 1;
                    if count > 2 {
                        return Err(line.error(at, "too much '=' padding (at most two)".into()));
                    }
                    padding = Some(padding.map_or((line, at, 1), |(l, a, _)| (l, a, count)));
                    continue;
                }
                _ => {
                    let msg = format!(
                        "'{}' is not a base64 character (A-Z, a-z, 0-9, +, /, -, _, =)",
                        c.escape_debug()
                    );
                    return Err(line.error(at, msg));
                }
            };
            if padding.is_some() {
                return Err(line.error(at, format!("'{}' after '=' padding", c.escape_debug())));
            }
            data.push(digit);
            last = Some((line, at));
        }
    }
    let Some((last_line, last_at)) = last else {
        return Ok(Vec::new());
    };
    if data.len() % 4 == 1 {
        let msg = "a lone character after the last group of 4 is not base64 (is it cut short?)";
        return Err(last_line.error(last_at, msg.into()));
    }
    if let Some((line, at, count)) = padding {
        if !(data.len() + count).is_multiple_of(4) {
            return Err(line.error(
                at,
                format!(
                    "{count} '=' do not pad {} characters to a multiple of 4",
                    data.len()
                ),
            ));
        }
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(&data)
        .map_err(|e| last_line.error(last_at, format!("invalid base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Format as F;
    use Spelling as S;

    const MDN: &[u8] = &[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d];
    const LONG: &[u8] = b"\x81*0000  41 42 43 44  |x| 00000010: deadbeef";
    const FRAME: &[u8] = b"\x81\x0800 11 22";
    const WS: &[u8] = b"\x81\x1700 11 22 33 44 55 66 77";
    const DIGITS: &[u8] = b"0123456789abcdef01234567";

    #[track_caller]
    fn ok(input: &str, format: Format, bytes: &[u8], spelling: Spelling) {
        let got = parse(input.as_bytes(), format).map_err(|e| e.to_string());
        let want = Dump {
            http_head: 0,
            bytes: bytes.to_vec(),
            spelling,
        };
        assert_eq!(got, Ok(want), "input {input:?}");
    }

    #[track_caller]
    fn fail(input: &str, format: Format, (line, column): (usize, usize), message: &str) {
        let e = parse(input.as_bytes(), format).expect_err(input);
        assert_eq!((e.line, e.column), (line, column), "input {input:?}: {e}");
        assert!(e.message.contains(message), "input {input:?}: {e}");
    }

    /// A table of error cases, one per row: `input, format, line:column, part of the message;`.
    macro_rules! errors {
        ($($input:expr, $format:ident, $line:literal : $column:literal, $message:expr;)*) => {
            $(fail($input, Format::$format, ($line, $column), $message);)*
        };
    }

    fn repeated() -> Vec<u8> {
        let mut v = vec![0x82, 0x7e, 0x00, 0x40];
        v.extend([0; 48]);
        v.extend(b"ABCDEFGHabcdefgh\x01\x02\x03");
        v
    }

    #[test]
    fn plain_hex_spellings() {
        for s in [
            "81 83 3d 54 23 06 70 10 6d",
            "81 83 3D 54 23 06 70 10 6D",
            "8183 3d54 2306 7010 6d",
            "81833d5423067010 6d",
            "81833d5423067010\n6d\n",
            "0x81 0x83 0x3d 0x54 0x23 0x06 0x70 0x10 0x6d",
            "0x81,0x83,0x3d,0x54,0x23,0x06,0x70,0x10,0x6d",
            "0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d,",
            "{0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d};",
            "[0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]",
            "[0x81, 0x83, 0x3d, 0x54, 0x23, 0x6, 0x70, 0x10, 0x6d]",
            "0X8183 0x3d542306 0x70106d",
            r"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d",
            r#""\x81\x83\x3d\x54" "\x23\x06\x70\x10\x6d""#,
            r#"b"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d""#,
            r"b'\x81\x83=T#\x06p\x10m'",
            "81:83:3d:54:23:06:70:10:6d",
            "81-83-3d-54-23-06-70-10-6d",
            "%81%83%3d%54%23%06%70%10%6d",
            "<Buffer 81 83 3d 54 23 06 70 10 6d>",
            "\u{feff}81 83 3d 54\r\n23 06 70 10 6d\r\n",
            "# frame\n81 83 // FIN, text, masked, 3\n\n// mask\n3d 54 23 06\n70 10 6d # payload\n",
            "  81\t83 3d:54, 0x23 \\x06 [70 10] 6d",
        ] {
            ok(s, F::Hex, MDN, S::Hex);
            ok(s, F::Auto, MDN, S::Hex);
        }
    }

    #[test]
    fn python_bytes_literals() {
        ok(
            r#"b'a\'\"\\\n\r\t\0\x7F'"#,
            F::Hex,
            b"a'\"\\\n\r\t\0\x7f",
            S::Hex,
        );
        ok(r#"B"it's" 00"#, F::Hex, b"it's\0", S::Hex);
        ok(r"b'\0011\377\18'", F::Hex, b"\x011\xff\x018", S::Hex);
        errors! {
            r"b'\400'", Hex, 1:3, "octal escape above \\377 is not a byte";
            r"b'\q'", Hex, 1:3, "unknown escape '\\q' in a bytes literal";
            r"b'\x8'", Hex, 1:3, "'\\x' must be followed by two hex digits";
            "b'abc", Hex, 1:6, "bytes literal is not closed";
            "81 b'\u{e9}'", Hex, 1:6, "'é' cannot appear in a bytes literal";
        }
    }

    #[test]
    fn dumps_of_the_mdn_frame() {
        for s in [
            // xxd, hexdump -C, od -A x -t x1z -v
            "00000000: 8183 3d54 2306 7010 6d                   ..=T#.p.m\n",
            "00000000  81 83 3d 54 23 06 70 10  6d                       |..=T#.p.m|\n00000009\n",
            "000000 81 83 3d 54 23 06 70 10 6d                       >..=T#.p.m<\n000009\n",
            // od -A x -t x1 (no ASCII column), od -t x1 (octal offsets)
            "000000 81 83 3d 54 23 06 70 10 6d\n000009\n",
            "0000000 81 83 3d 54 23 06 70 10 6d\n0000011\n",
            // xxd -g1 -c8, xxd -g4, xxd -u
            "00000000: 81 83 3d 54 23 06 70 10  ..=T#.p.\n00000008: 6d                       m\n",
            "00000000: 81833d54 23067010 6d                 ..=T#.p.m\n",
            "00000000: 8183 3D54 2306 7010 6D                   ..=T#.p.m\n",
            // tshark -x
            "0000  81 83 3d 54 23 06 70 10 6d                        ..=T#.p.m\n",
            // indented and after a comment, as pasted into a bug report
            "# client frame\n    00000000: 8183 3d54 2306 7010 6d                   ..=T#.p.m\n",
        ] {
            ok(s, F::Hex, MDN, S::OffsetHex);
            ok(s, F::Auto, MDN, S::OffsetHex);
        }
    }

    #[test]
    fn real_dumps_with_hex_looking_ascii_columns() {
        let abcd = b"ab cd ef 12 34 56 78";
        for (dump, bytes) in [
            (XXD_ABCD, &abcd[..]),
            (HEXDUMP_ABCD, abcd),
            (OD_ABCD, abcd),
            (XXD_FRAME, FRAME),
            (HEXDUMP_FRAME, FRAME),
            (OD_FRAME, FRAME),
            (XXD_LONG, LONG),
            (HEXDUMP_LONG, LONG),
            (OD_LONG, LONG),
            (XXD_LONG_C32, LONG),
            (XXD_8_AFTER_16, DIGITS),
            (HEXDUMP_8_AFTER_16, DIGITS),
        ] {
            ok(dump, F::Auto, bytes, S::OffsetHex);
        }
    }

    #[test]
    fn star_repeats_the_previous_line_up_to_the_next_offset() {
        let mut zeros = vec![0; 100];
        zeros.extend(b"AB");
        for (dump, bytes) in [
            (XXD_REP, repeated()),
            (HEXDUMP_REP, repeated()),
            (OD_REP, repeated()),
            (OD_OCTAL_REP, repeated()),
            (OD_DECIMAL_REP, repeated()),
            (XXD_ZEROS, zeros.clone()),
            (HEXDUMP_ZEROS, zeros.clone()),
            (OD_OCTAL_ZEROS, zeros.clone()),
            (OD_DECIMAL_ZEROS, zeros),
        ] {
            ok(dump, F::Auto, &bytes, S::OffsetHex);
        }
    }

    #[test]
    fn wireshark_dumps() {
        // tshark -x: two packets, each starting again at 0000.
        let tshark = "\
0000  81 17 30 30 20 31 31 20 32 32 20 33 33 20 34 34   ..00 11 22 33 44
0010  20 35 35 20 36 36 20 37 37                         55 66 77

0000  81 83 3d 54 23 06 70 10 6d                        ..=T#.p.m
";
        ok(tshark, F::Auto, &[WS, MDN].concat(), S::OffsetHex);
        // Copy as Hex Dump with a gap after 8 bytes, in both hex and ASCII columns.
        let copied = "\
0000   81 17 30 30 20 31 31 20  32 32 20 33 33 20 34 34   ..00 11  22 33 44
0010   20 35 35 20 36 36 20 37  37                         55 66 7 7
";
        ok(copied, F::Hex, WS, S::OffsetHex);
        let eight = "\
0000   30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66   0123456789abcdef
0010   30 31 32 33 34 35 36 37                            01234567
";
        ok(eight, F::Hex, DIGITS, S::OffsetHex);
    }

    #[test]
    fn plain_hex_that_starts_like_an_offset_is_plain_hex() {
        ok("81833d54 23067010 6d", F::Auto, MDN, S::Hex);
        ok("00000000 81 83", F::Auto, &[0, 0, 0, 0, 0x81, 0x83], S::Hex);
        ok("0000 8183", F::Auto, &[0, 0, 0x81, 0x83], S::Hex);
        ok(
            "000000 81 83\n3d",
            F::Auto,
            &[0, 0, 0, 0x81, 0x83, 0x3d],
            S::Hex,
        );
        ok("dead: beef", F::Auto, &[0xde, 0xad, 0xbe, 0xef], S::Hex);
        // xxd -s 4 starts elsewhere than 0.
        ok(
            "00000004: 2306 7010 6d  #.p.m",
            F::Auto,
            &MDN[4..],
            S::OffsetHex,
        );
    }

    #[test]
    fn decimal() {
        for s in [
            "129 131 61 84 35 6 112 16 109",
            "[129, 131, 61, 84, 35, 6, 112, 16, 109]",
            "129,131,61,84,35,6,112,16,109",
            "Uint8Array(9) [129, 131, 61, 84, 35, 6, 112, 16, 109]",
            "Uint8Array(9) [\n  129, 131, 61, 84,\n  35, 6, 112, 16,\n  109\n]\n",
            "bytes([129, 131, 61, 84, 35, 6, 112, 16, 109])",
            "# comment\n129 131 61 84 35\n// more\n006 112 16 109\n",
        ] {
            ok(s, F::Dec, MDN, S::Dec);
        }
        errors! {
            "129 256 61", Dec, 1:5, "256 is not a byte (0-255)";
            "1\n2 9999999999999999999999999", Dec, 2:3, "9999999999999999…999999 is not";
            "129, 0x83", Dec, 1:7, "'x' is not a decimal digit (expected 0-9)";
            "129 -1", Dec, 1:5, "'-' is not a decimal digit";
            "Uint16Array(2) [1, 2]", Dec, 1:1, "'U' is not a decimal digit";
            // Decimal is never guessed: this is read as hex.
            "129 131", Auto, 1:3, "odd number of hex digits in '129'";
        }
    }

    #[test]
    fn base64() {
        for s in ["gYM9VCMGcBBt", "gYM9\nVCMG\ncBBt\n", "  gYM9VCMGcBBt  "] {
            ok(s, F::Base64, MDN, S::Base64);
            ok(s, F::Auto, MDN, S::Base64);
        }
        // Padding optional; URL-safe alphabet; `//` is data, not a comment.
        ok("gYM9VA==", F::Base64, &MDN[..4], S::Base64);
        ok("gYM9VA", F::Base64, &MDN[..4], S::Base64);
        ok("gYM9VA==", F::Auto, &MDN[..4], S::Base64);
        ok("-_8=", F::Base64, &[0xfb, 0xff], S::Base64);
        ok("+/8", F::Auto, &[0xfb, 0xff], S::Base64);
        ok("//8=", F::Base64, &[0xff, 0xff], S::Base64);
        ok("# comment\ngYM9\n", F::Base64, &MDN[..3], S::Base64);
        // Only hex digits: Auto reads hex.
        ok("81833d54", F::Auto, &MDN[..4], S::Hex);
        errors! {
            "gYM9 VC!M", Base64, 1:8, "'!' is not a base64 character";
            "gYM9\nV", Base64, 2:1, "a lone character after the last group of 4";
            "gYM=9", Base64, 1:5, "'9' after '=' padding";
            "gYM9VA=", Base64, 1:7, "1 '=' do not pad 6 characters to a multiple of 4";
            "gY===", Base64, 1:5, "too much '=' padding";
            // Auto reports the hex error, with the base64 one as a hint.
            "gYM9V", Auto, 1:1, "'g' is not a hex digit (expected 0-9, a-f) (not base64";
        }
    }

    #[test]
    fn raw_and_empty() {
        ok("\u{1} x", F::Raw, b"\x01 x", S::Raw);
        assert_eq!(
            parse(&[0xff, 0], F::Raw).map(|d| d.bytes),
            Ok(vec![0xff, 0])
        );
        let empty = "empty input: no bytes to decode";
        errors! {
            "", Auto, 1:1, empty;
            "", Hex, 1:1, empty;
            "", Dec, 1:1, empty;
            "", Base64, 1:1, empty;
            "", Raw, 1:1, empty;
            "  \n# nothing\n\n", Auto, 1:1, empty;
            "  \n# nothing\n\n", Dec, 1:1, empty;
            "  \n# nothing\n\n", Base64, 1:1, empty;
            "// nothing\n[]", Hex, 1:1, empty;
            "b''", Auto, 1:1, empty;
        }
    }

    #[test]
    fn hex_errors_point_at_the_culprit() {
        let odd = "odd number of hex digits in '8183d' (each byte needs two digits)";
        let long_run = format!("{}1", "ab".repeat(100));
        errors! {
            "81 83 g3", Hex, 1:7, "'g' is not a hex digit (expected 0-9, a-f)";
            "81 83\n3d 54 2306 7010 6dz", Auto, 2:19, "'z' is not a hex digit";
            "81 83 3d 54\n8183d", Hex, 2:5, odd;
            "0x8183d", Hex, 1:7, "odd number of hex digits in '0x8183d'";
            "81 0x, 83", Hex, 1:6, "expected hex digits after '0x'";
            "%8183", Hex, 1:1, "'%' must be followed by exactly two hex digits";
            "810x83", Hex, 1:4, "'x' is not a hex digit";
            "81 818g", Hex, 1:7, "'g' is not a hex digit";
            &long_run, Hex, 1:201, "'abababababababab…babab1'";
            // Columns count characters, not bytes; quoted input is escaped.
            "é 81", Hex, 1:1, "'é' is not a hex digit";
            "81 ü\u{1b}", Hex, 1:4, "'ü' is not";
            "81 83 \u{1b}[31m", Hex, 1:7, "'\\u{1b}' is not a hex digit";
            "81\t\"\\n\"", Hex, 1:5, "'\\\\' is not a hex digit";
        }
    }

    #[test]
    fn not_utf8() {
        let e = parse(b"81 83\n3d \xff 54", F::Hex).unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (2, 4, 9));
        assert!(
            e.message.contains("0xff is not UTF-8") && e.message.contains("--raw"),
            "{e}"
        );
        let e = parse(b"\xff", F::Auto).unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
        let e = parse(b"\xc3\xa9\xc3", F::Base64).unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (1, 2, 2));
    }

    #[test]
    fn offset_errors() {
        let full =
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n";
        // A line one byte short: the next offset does not follow on.
        let short =
            "00000000  81 83 3d 54 23 06 70 10  6d 00 00 00 00 00 00     |.......|\n00000010  00\n";
        let uneven = format!("{full}*\n00000018\n");
        let huge = format!("{full}*\nffffffff0\n");
        errors! {
            short, Hex, 2:1, "offset 00000010 does not follow on from the bytes read so far (expected 0000000f)";
            "00000000: 8183\n00000004: 3d54\n", Hex, 2:1, "(expected 00000002)";
            "0000000 81 83\n0000003\n", Hex, 2:1, "offset 0000003 does not follow on";
            "00000000: 8183\n81 83\n", Hex, 2:1, "offset 81 does not follow on";
            "00000000: 8183\nxyz\n", Hex, 2:1, "expected an offset such as 00000010";
            "00000000: 81g3  ..\n", Hex, 1:13, "'g' is not a hex digit";
            "00000000: 818  ..\n", Hex, 1:13, "odd number of hex digits in '818'";
            HEXDUMP_WORDS, Auto, 1:9, "'7e82' is a group of 4 digits";
            "00000000  00 00\n*\n", Hex, 2:1, "'*' must be followed by the offset";
            "00000000:\n*\n00000010:\n", Hex, 2:1, "'*' repeats the previous line, but";
            &uneven, Hex, 3:1, "after '*', offset 00000018 should be 00000010 plus a whole";
            &huge, Hex, 2:1, "'*' would repeat 68719476704 bytes";
            "00000000: 00\n123456789abcdef012: 00\n", Hex, 2:1, "fits in 64 bits";
        }
    }

    #[test]
    fn display_and_names() {
        let e = parse(b"81 83 3d\n81 8g", F::Hex).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 5: 'g' is not a hex digit (expected 0-9, a-f)"
        );
        assert_eq!(e.offset, 13);
        let names = [S::Hex, S::OffsetHex, S::Dec, S::Base64, S::Raw].map(Spelling::name);
        assert_eq!(names, ["hex", "hex dump", "decimal", "base64", "raw bytes"]);
    }

    #[test]
    fn no_input_panics() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        let alphabet = b"0123456789abcdefABx\\ :,*|>\n\n  =%b'\"g#/-0000\xc3\xa9\t";
        let mut pick = |n: usize| alphabet[next() % alphabet.len()] as usize % n.max(1);
        let _ = &mut pick;
        for round in 0..6000 {
            let len = next() % 80;
            let input: Vec<u8> = if round % 3 == 0 {
                (0..len).map(|_| next() as u8).collect()
            } else {
                (0..len)
                    .map(|_| alphabet[next() % alphabet.len()])
                    .collect()
            };
            for format in [F::Auto, F::Hex, F::Dec, F::Base64, F::Raw] {
                let _ = parse(&input, format);
            }
        }
        // Real dumps with a few characters changed.
        for round in 0..3000 {
            let dumps = [HEXDUMP_REP, XXD_LONG, OD_OCTAL_ZEROS];
            let mut input = dumps[round % dumps.len()].as_bytes().to_vec();
            for _ in 0..1 + round % 4 {
                let at = next() % input.len();
                input[at] = alphabet[next() % alphabet.len()];
            }
            let _ = parse(&input, F::Auto);
        }
    }

    #[test]
    fn a_megabyte_of_hex_is_read_in_linear_time() {
        let spaced = "81 83 3d 54 23 06 70 10 6d\n".repeat(40_000);
        assert_eq!(
            parse(spaced.as_bytes(), F::Auto).map(|d| d.bytes.len()),
            Ok(360_000)
        );
        let one_run = "8183".repeat(250_000);
        assert_eq!(
            parse(one_run.as_bytes(), F::Hex).map(|d| d.bytes.len()),
            Ok(500_000)
        );
        let xxd: String = (0..20_000)
            .map(|i| {
                format!(
                    "{:08x}: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef\n",
                    i * 16
                )
            })
            .collect();
        assert_eq!(
            parse(xxd.as_bytes(), F::Auto).map(|d| d.bytes.len()),
            Ok(320_000)
        );
        // A long line that fails at its end.
        let bad = format!("{}zz", "ab ".repeat(350_000));
        assert_eq!(
            parse(bad.as_bytes(), F::Auto).map_err(|e| e.column),
            Err(1_050_001)
        );
    }

    // Real tool output (GNU od, util-linux hexdump, vim's xxd) for files holding:
    // abcd.bin `ab cd ef 12 34 56 78`, frame.bin FRAME, long.bin LONG, rep.bin repeated(),
    // z.bin 100 zeros then `AB`, e24.bin DIGITS.
    // `xxd abcd.bin`
    const XXD_ABCD: &str = r#"00000000: 6162 2063 6420 6566 2031 3220 3334 2035  ab cd ef 12 34 5
00000010: 3620 3738                                6 78
"#;
    // `hexdump -C abcd.bin`
    const HEXDUMP_ABCD: &str = r#"00000000  61 62 20 63 64 20 65 66  20 31 32 20 33 34 20 35  |ab cd ef 12 34 5|
00000010  36 20 37 38                                       |6 78|
00000014
"#;
    // `od -A x -t x1z -v abcd.bin`
    const OD_ABCD: &str = r#"000000 61 62 20 63 64 20 65 66 20 31 32 20 33 34 20 35  >ab cd ef 12 34 5<
000010 36 20 37 38                                      >6 78<
000014
"#;
    // `xxd frame.bin`
    const XXD_FRAME: &str = r#"00000000: 8108 3030 2031 3120 3232                 ..00 11 22
"#;
    // `hexdump -C frame.bin`
    const HEXDUMP_FRAME: &str = r#"00000000  81 08 30 30 20 31 31 20  32 32                    |..00 11 22|
0000000a
"#;
    // `od -A x -t x1z -v frame.bin`
    const OD_FRAME: &str = r#"000000 81 08 30 30 20 31 31 20 32 32                    >..00 11 22<
00000a
"#;
    // `xxd long.bin`
    const XXD_LONG: &str = r#"00000000: 812a 3030 3030 2020 3431 2034 3220 3433  .*0000  41 42 43
00000010: 2034 3420 207c 787c 2030 3030 3030 3031   44  |x| 0000001
00000020: 303a 2064 6561 6462 6565 66              0: deadbeef
"#;
    // `hexdump -C long.bin`
    const HEXDUMP_LONG: &str = r#"00000000  81 2a 30 30 30 30 20 20  34 31 20 34 32 20 34 33  |.*0000  41 42 43|
00000010  20 34 34 20 20 7c 78 7c  20 30 30 30 30 30 30 31  | 44  |x| 0000001|
00000020  30 3a 20 64 65 61 64 62  65 65 66                 |0: deadbeef|
0000002b
"#;
    // `od -A x -t x1z -v long.bin`
    const OD_LONG: &str = r#"000000 81 2a 30 30 30 30 20 20 34 31 20 34 32 20 34 33  >.*0000  41 42 43<
000010 20 34 34 20 20 7c 78 7c 20 30 30 30 30 30 30 31  > 44  |x| 0000001<
000020 30 3a 20 64 65 61 64 62 65 65 66                 >0: deadbeef<
00002b
"#;
    // `xxd -c 32 long.bin`
    const XXD_LONG_C32: &str = r#"00000000: 812a 3030 3030 2020 3431 2034 3220 3433 2034 3420 207c 787c 2030 3030 3030 3031  .*0000  41 42 43 44  |x| 0000001
00000020: 303a 2064 6561 6462 6565 66                                                      0: deadbeef
"#;
    // `xxd rep.bin`
    const XXD_REP: &str = r#"00000000: 827e 0040 0000 0000 0000 0000 0000 0000  .~.@............
00000010: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000020: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000030: 0000 0000 4142 4344 4546 4748 6162 6364  ....ABCDEFGHabcd
00000040: 6566 6768 0102 03                        efgh...
"#;
    // `hexdump -C rep.bin`
    const HEXDUMP_REP: &str = r#"00000000  82 7e 00 40 00 00 00 00  00 00 00 00 00 00 00 00  |.~.@............|
00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000030  00 00 00 00 41 42 43 44  45 46 47 48 61 62 63 64  |....ABCDEFGHabcd|
00000040  65 66 67 68 01 02 03                              |efgh...|
00000047
"#;
    // `od -A x -t x1z rep.bin`
    const OD_REP: &str = r#"000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00  >.~.@............<
000010 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  >................<
*
000030 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64  >....ABCDEFGHabcd<
000040 65 66 67 68 01 02 03                             >efgh...<
000047
"#;
    // `od -t x1 rep.bin`
    const OD_OCTAL_REP: &str = r#"0000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00
0000020 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000060 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64
0000100 65 66 67 68 01 02 03
0000107
"#;
    // `od -A d -t x1 rep.bin`
    const OD_DECIMAL_REP: &str = r#"0000000 82 7e 00 40 00 00 00 00 00 00 00 00 00 00 00 00
0000016 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000048 00 00 00 00 41 42 43 44 45 46 47 48 61 62 63 64
0000064 65 66 67 68 01 02 03
0000071
"#;
    // `xxd -a z.bin`
    const XXD_ZEROS: &str = r#"00000000: 0000 0000 0000 0000 0000 0000 0000 0000  ................
*
00000060: 0000 0000 4142                           ....AB
"#;
    // `hexdump -C z.bin`
    const HEXDUMP_ZEROS: &str = r#"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000060  00 00 00 00 41 42                                 |....AB|
00000066
"#;
    // `hexdump rep.bin`
    const HEXDUMP_WORDS: &str = r#"0000000 7e82 4000 0000 0000 0000 0000 0000 0000
0000010 0000 0000 0000 0000 0000 0000 0000 0000
*
0000030 0000 0000 4241 4443 4645 4847 6261 6463
0000040 6665 6867 0201 0003                    
0000047
"#;
    // `xxd e24.bin`
    const XXD_8_AFTER_16: &str = r#"00000000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef
00000010: 3031 3233 3435 3637                      01234567
"#;
    // `hexdump -C e24.bin`
    const HEXDUMP_8_AFTER_16: &str = r#"00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
00000010  30 31 32 33 34 35 36 37                           |01234567|
00000018
"#;
    // `od -t x1 z.bin`: the first offset that is not 0 comes after `*`.
    const OD_OCTAL_ZEROS: &str = r#"0000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000140 00 00 00 00 41 42
0000146
"#;
    // `od -A d -t x1 z.bin`
    const OD_DECIMAL_ZEROS: &str = r#"0000000 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
*
0000096 00 00 00 00 41 42
0000102
"#;

    #[test]
    fn pasted_http_head_then_hex() {
        let text = "GET /chat HTTP/1.1\nHost: a\n\n81 83 3d 54 23 06 70 10 6d\n";
        let d = parse_with_head(text.as_bytes().to_vec(), Format::Auto).unwrap();
        let head = b"GET /chat HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(d.http_head, head.len());
        assert_eq!(&d.bytes[..head.len()], head);
        assert_eq!(&d.bytes[head.len()..], MDN);
        assert_eq!(d.spelling, Spelling::Hex);
        // A head with no empty line after it gets one.
        let d = parse_with_head(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket".to_vec(),
            Format::Auto,
        )
        .unwrap();
        assert!(d.bytes.ends_with(b"Upgrade: websocket\r\n\r\n"));
        // Errors in the dump after the head count the head's lines.
        let e = parse_with_head(b"GET / HTTP/1.1\nHost: a\n\n81 8g\n".to_vec(), Format::Auto)
            .unwrap_err();
        assert_eq!((e.line, e.column), (4, 5));
        // Not HTTP: the plain parser.
        assert_eq!(
            parse_with_head(b"81 83".to_vec(), Format::Auto)
                .unwrap()
                .http_head,
            0
        );
    }

    #[test]
    fn a_head_is_told_by_the_same_check_as_the_transcript_uses() {
        // A lowercase method is still a request line: the head is kept as
        // bytes, and validation says the method must be GET.
        let text = "get /chat HTTP/1.1\nHost: a\n\n81 83 3d 54 23 06 70 10 6d\n";
        let d = parse_with_head(text.as_bytes().to_vec(), Format::Auto).unwrap();
        let head = b"get /chat HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(d.http_head, head.len());
        assert_eq!(&d.bytes[head.len()..], MDN);
        // Dumps of frames, in any spelling, are not heads.
        for dump in [
            "81 83 3d 54 23 06 70 10 6d",
            "00000000: 8183 3d54 2306 7010 6d  ....#.p.m",
            "0000  81 83 3d 54 23 06 70 10 6d",
            "gYM9VCMGcBBt",
            "129 131 61 84 35 6 112 16 109",
        ] {
            let format = if dump.starts_with("129") {
                Format::Dec
            } else {
                Format::Auto
            };
            let d = parse_with_head(dump.as_bytes().to_vec(), format).unwrap();
            assert_eq!((d.http_head, &d.bytes[..]), (0, MDN), "{dump}");
        }
    }

    #[test]
    fn the_transcript_finds_a_head_where_the_dump_reader_found_one() {
        // The transcript asks looks_like_head of the bytes this reader
        // returns, with CRLF line ends added; it must agree with the
        // answer given for the text.
        for text in [
            "GET /chat HTTP/1.1\nHost: a\n\n81 00",
            "get /chat HTTP/1.1\nHost: a",
            "GET /chat http/1.1\n\n81 00",
            "HTTP/1.1 101 Switching Protocols\n\n81 00",
            "\u{feff}GET / HTTP/1.1\n\n81 00",
            "A B HTTP/",
            "GET /chat HTTP/",
            "GET /chat HTTP",
            "GET /chat",
            "GET ",
            "GET /chat\n81 00",
            "81 83 3d 54 23 06 70 10 6d",
        ] {
            let Ok(d) = parse_with_head(text.as_bytes().to_vec(), Format::Auto) else {
                continue;
            };
            assert_eq!(
                d.http_head > 0,
                looks_like_head(&d.bytes).is_some(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn hex_with_a_typo_is_not_taken_for_base64() {
        for typo in ["81833d5423067010GD", "zz", "0x810x83", "81 83 zz 54"] {
            let e = parse(typo.as_bytes(), Format::Auto).unwrap_err();
            assert!(e.message.contains("hex"), "{typo}: {}", e.message);
        }
        for b64 in ["gYM9VCMGcBBt", "gYM9VCMGcBBt/w==", "AAECAw=="] {
            assert_eq!(
                parse(b64.as_bytes(), Format::Auto).unwrap().spelling,
                Spelling::Base64,
                "{b64}"
            );
        }
    }

    #[test]
    fn decimal_without_dec_gets_a_hint() {
        let e = parse(b"129 131 61 84 35 6 112 16 109", Format::Auto).unwrap_err();
        assert!(e.message.contains("--dec"), "{}", e.message);
        let e = parse(b"81 8g", Format::Auto).unwrap_err();
        assert!(!e.message.contains("--dec"), "{}", e.message);
    }

    #[test]
    fn star_expansion_is_bounded_by_the_dump_size() {
        // 28 bytes claiming 64 MiB of zeros (32 million empty frames).
        let e = parse(b"00000000: 00\n*\n04000000: 00\n", Format::Auto).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("at most 1048576 bytes"), "{}", e.message);
        // Within the bound, one-byte lines expand by doubling, to the byte.
        let d = parse(b"00000000: 41\n*\n00080000: 42\n", Format::Auto).unwrap();
        assert_eq!(d.bytes.len(), 0x80001);
        assert!(d.bytes[..0x80000].iter().all(|&b| b == 0x41));
        assert_eq!(d.bytes[0x80000], 0x42);
    }
}
