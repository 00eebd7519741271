//! The WebSocket opening handshake (RFC 6455 §1.3, §4): parsing, checking and
//! building HTTP/1.1 upgrade requests and responses.
//!
//! Everything here is pure: bytes in, values out. No I/O, no clock, no random
//! source (callers pass random bytes in), no printing. Parsing never panics and
//! never looks past a caller-given head-size limit, so the same functions serve
//! the offline `decode` command (a dump that starts with a handshake) and a
//! server reading a request that may arrive split at any byte.

use std::borrow::Cow;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID that RFC 6455 §1.3 appends to the client's key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version RFC 6455 defines (§4.1, §11.6): `Sec-WebSocket-Version: 13`.
pub const WEBSOCKET_VERSION: &str = "13";

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// The four steps of RFC 6455 §4.2.2 / MDN's guide for computing
/// `Sec-WebSocket-Accept`, each intermediate value kept so that
/// `accept-key -v` can show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptSteps {
    /// Step 1: the key as sent, trimmed of surrounding whitespace (not base64-decoded).
    pub key: String,
    /// Step 2: the key followed by [`GUID`].
    pub concatenated: String,
    /// Step 3: the SHA-1 digest of `concatenated`.
    pub sha1: [u8; 20],
    /// Step 4: `sha1` in base64: the value of `Sec-WebSocket-Accept`.
    pub accept: String,
}

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`, keeping every step.
///
/// The key is used as a string, exactly as RFC 6455 §4.2.2 says (trimmed, not
/// decoded), so an invalid key still yields a value; see [`check_key`].
pub fn accept_steps(key: &str) -> AcceptSteps {
    let key = key.trim().to_owned();
    let concatenated = format!("{key}{GUID}");
    let sha1: [u8; 20] = Sha1::digest(concatenated.as_bytes()).into();
    let accept = STANDARD.encode(sha1);
    AcceptSteps {
        key,
        concatenated,
        sha1,
        accept,
    }
}

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`
/// (`base64(SHA-1(key + GUID))`, RFC 6455 §4.2.2).
pub fn accept_key(key: &str) -> String {
    accept_steps(key).accept
}

/// What is wrong with a `Sec-WebSocket-Key` value (RFC 6455 §4.1: the base64
/// of 16 random bytes, so 24 characters ending in `==`).
///
/// Character indexes are 0-based and count `char`s of the string given to
/// [`check_key`], including any leading whitespace it trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is empty or only whitespace.
    Empty,
    /// A character outside the base64 alphabet.
    NotBase64 {
        /// Index of the offending character.
        index: usize,
        /// The offending character.
        found: char,
    },
    /// `=` somewhere other than as one or two padding characters at the very end.
    BadPadding {
        /// Index of the first misplaced `=`.
        index: usize,
    },
    /// The key's length is not a multiple of 4, so it is not padded base64.
    BadLength {
        /// Number of characters in the trimmed key.
        chars: usize,
    },
    /// The last character before the padding sets bits that the padding says
    /// are unused, so the text is not the canonical base64 of any bytes.
    NonCanonical {
        /// Index of that character.
        index: usize,
    },
    /// Valid base64, but not of 16 bytes.
    WrongLength {
        /// How many bytes the key decodes to.
        decoded: usize,
    },
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::Empty => write!(
                f,
                "the key is empty; RFC 6455 §4.1 requires the base64 of 16 random bytes \
                 (24 characters ending in \"==\")"
            ),
            KeyProblem::NotBase64 { index, found } => write!(
                f,
                "character {index} of the key is '{}', which is not base64 \
                 (RFC 4648 §4: A-Z, a-z, 0-9, '+', '/', and '=' only as padding at the end)",
                found.escape_debug()
            ),
            KeyProblem::BadPadding { index } => write!(
                f,
                "'=' at character {index} of the key; base64 padding is one or two '=' \
                 at the very end (RFC 4648 §4)"
            ),
            KeyProblem::BadLength { chars } => write!(
                f,
                "the key is {chars} characters, not a multiple of 4, so it is not padded \
                 base64; RFC 6455 §4.1 keys are 24 characters ending in \"==\""
            ),
            KeyProblem::NonCanonical { index } => write!(
                f,
                "character {index} of the key sets bits that the '=' padding marks as \
                 unused, so it is not canonical base64 (RFC 4648 §3.5)"
            ),
            KeyProblem::WrongLength { decoded } => write!(
                f,
                "the key decodes to {decoded} bytes, not the 16 RFC 6455 §4.1 requires"
            ),
        }
    }
}

impl std::error::Error for KeyProblem {}

/// Checks that a `Sec-WebSocket-Key` is the canonical base64 of 16 bytes
/// (RFC 6455 §4.1) and returns those bytes.
///
/// Surrounding whitespace is ignored, as [`accept_steps`] ignores it. The first
/// problem in reading order is reported.
///
/// # Errors
///
/// The [`KeyProblem`] that makes the key invalid.
pub fn check_key(key: &str) -> Result<[u8; 16], KeyProblem> {
    let trimmed = key.trim();
    if trimmed.is_empty() {
        return Err(KeyProblem::Empty);
    }
    // Report indexes in the caller's string, not the trimmed one.
    let lead = key[..key.len() - key.trim_start().len()].chars().count();
    let mut first_pad: Option<usize> = None;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => {
                if let Some(p) = first_pad {
                    return Err(KeyProblem::BadPadding { index: lead + p });
                }
            }
            '=' => {
                first_pad.get_or_insert(i);
            }
            _ => {
                return Err(KeyProblem::NotBase64 {
                    index: lead + i,
                    found: c,
                })
            }
        }
    }
    // From here on every character is ASCII, so byte and char indexes agree.
    let bytes = trimmed.as_bytes();
    let n = bytes.len();
    let pads = first_pad.map_or(0, |p| n - p);
    if pads > 2 {
        return Err(KeyProblem::BadPadding {
            index: lead + first_pad.unwrap_or(0),
        });
    }
    if !n.is_multiple_of(4) {
        return Err(KeyProblem::BadLength { chars: n });
    }
    if pads > 0 {
        let last = n - pads - 1;
        let unused_bits = if pads == 2 { 0x0F } else { 0x03 };
        if sextet(bytes[last]) & unused_bits != 0 {
            return Err(KeyProblem::NonCanonical { index: lead + last });
        }
    }
    let decoded = n / 4 * 3 - pads;
    if decoded != 16 {
        return Err(KeyProblem::WrongLength { decoded });
    }
    // Everything the decoder could object to has been ruled out above; the
    // fallbacks only keep this panic-free.
    let raw = STANDARD
        .decode(bytes)
        .map_err(|_| KeyProblem::NonCanonical { index: lead })?;
    raw.try_into()
        .map_err(|v: Vec<u8>| KeyProblem::WrongLength { decoded: v.len() })
}

fn sextet(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0,
    }
}

/// A `Sec-WebSocket-Key` for 16 random bytes the caller supplies (RFC 6455 §4.1).
pub fn key_from_bytes(random: [u8; 16]) -> String {
    STANDARD.encode(random)
}

// ---------------------------------------------------------------------------
// Parsing heads
// ---------------------------------------------------------------------------

/// Result of feeding a buffer that may hold only part of a head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadParse<T> {
    /// The head ends inside the buffer.
    Complete {
        /// The parsed head.
        head: T,
        /// Bytes the head takes at the start of the buffer, including the empty
        /// line; whatever follows (frames in a dump, say) is not consumed.
        len: usize,
    },
    /// Nothing invalid so far, but the empty line that ends the head has not
    /// arrived: read more and parse the whole buffer again.
    Partial,
}

/// Why a buffer does not start with a valid HTTP head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadError {
    /// Byte offset in the buffer of the first byte found wrong (for an
    /// oversized head: the limit).
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
    /// True when the head exceeded the size limit rather than being malformed
    /// (a server answers 431 rather than 400).
    pub too_large: bool,
}

impl HeadError {
    /// The refusal a server should send for a request head that failed to
    /// parse: rule `head-too-large` (431) or `malformed-head` (400).
    pub fn to_issue(&self) -> Issue {
        let (rule, status) = if self.too_large {
            ("head-too-large", 431)
        } else {
            ("malformed-head", 400)
        };
        Issue {
            rule,
            header: None,
            message: self.to_string(),
            status,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for HeadError {}

/// Which line terminators a head used. HTTP requires CRLF (RFC 9112 §2.2);
/// bare LF is accepted because logs often lose the CR, and recorded so that
/// validation can flag it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEndings {
    /// Every line ended in CRLF.
    Crlf,
    /// Every line ended in a bare LF.
    Lf,
    /// Some lines ended in CRLF, some in a bare LF.
    Mixed,
}

/// One header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as sent (a token, so ASCII); compare it case-insensitively.
    pub name: String,
    /// The raw value, trimmed of surrounding spaces and tabs; may hold any
    /// byte but controls, so print it escaped.
    pub value: Vec<u8>,
    /// Byte offset in the buffer where the header's line starts.
    pub offset: usize,
}

impl Header {
    /// The value as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn value_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// A parsed HTTP request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `GET` (case-sensitive).
    pub method: String,
    /// The request target, e.g. `/chat` (visible ASCII).
    pub target: String,
    /// The version from the request line, e.g. `HTTP/1.1`.
    pub version: String,
    /// The header lines in the order sent.
    pub headers: Vec<Header>,
    /// Which line terminators the head used.
    pub line_endings: LineEndings,
}

/// A parsed HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The version from the status line, e.g. `HTTP/1.1`.
    pub version: String,
    /// The three-digit status code.
    pub status: u16,
    /// The raw reason phrase (may be empty or hold non-UTF-8 bytes).
    pub reason: Vec<u8>,
    /// The header lines in the order sent.
    pub headers: Vec<Header>,
    /// Which line terminators the head used.
    pub line_endings: LineEndings,
}

impl Request {
    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&Header> {
        first_named(&self.headers, name)
    }

    /// Every header with this name (ASCII case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        all_named(&self.headers, name)
    }

    /// The comma-separated elements of every header with this name, trimmed,
    /// empty ones dropped (e.g. the offered `Sec-WebSocket-Protocol`s).
    pub fn tokens(&self, name: &str) -> Vec<String> {
        list_elements(&self.headers, name)
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect()
    }
}

impl Response {
    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&Header> {
        first_named(&self.headers, name)
    }

    /// Every header with this name (ASCII case-insensitive), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        all_named(&self.headers, name)
    }

    /// The comma-separated elements of every header with this name, trimmed,
    /// empty ones dropped (e.g. the accepted `Sec-WebSocket-Extensions`).
    pub fn tokens(&self, name: &str) -> Vec<String> {
        list_elements(&self.headers, name)
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect()
    }
}

fn first_named<'a>(headers: &'a [Header], name: &str) -> Option<&'a Header> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
}

fn all_named<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
}

fn list_elements<'a>(headers: &'a [Header], name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
    all_named(headers, name)
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|t| !t.is_empty())
}

/// Parses the request head at the start of `buf` (request line, headers, empty line).
///
/// Call again with the whole, longer buffer after `Partial`. A byte that
/// cannot belong to a request head is reported as soon as it is in the
/// buffer, so binary junk fails on its first bytes. Once `buf` holds
/// `max_head` bytes without the end of the head, the head is refused as too
/// large; a head of exactly `max_head` bytes is accepted.
///
/// # Errors
///
/// A [`HeadError`] at the first byte that cannot be part of a request head
/// (the request line must be `METHOD SP target SP HTTP/x.y`; obs-fold lines,
/// header lines without `:`, and control characters are refused), or at
/// `max_head` when the head is too large (`too_large` is then set).
pub fn parse_request(buf: &[u8], max_head: usize) -> Result<HeadParse<Request>, HeadError> {
    parse_head(buf, max_head, "request", |s| {
        let (method, target, version) = request_line(s)?;
        let headers = header_lines(s)?;
        Ok(Request {
            method,
            target,
            version,
            headers,
            line_endings: s.line_endings(),
        })
    })
}

/// Parses the response head at the start of `buf` (status line, headers,
/// empty line), with the same rules as [`parse_request`]. The reason phrase
/// may be missing (`HTTP/1.1 101` followed by CRLF).
///
/// # Errors
///
/// As for [`parse_request`], with a status line `HTTP/x.y SP 3DIGIT SP reason`.
pub fn parse_response(buf: &[u8], max_head: usize) -> Result<HeadParse<Response>, HeadError> {
    parse_head(buf, max_head, "response", |s| {
        let (version, status, reason) = status_line(s)?;
        let headers = header_lines(s)?;
        Ok(Response {
            version,
            status,
            reason,
            headers,
            line_endings: s.line_endings(),
        })
    })
}

fn parse_head<T>(
    buf: &[u8],
    max_head: usize,
    what: &str,
    parse: impl FnOnce(&mut Scanner<'_>) -> Result<T, Stop>,
) -> Result<HeadParse<T>, HeadError> {
    // Never look past the limit: a head that ends beyond it is refused the
    // same way however the bytes were split.
    let view = &buf[..buf.len().min(max_head)];
    let mut s = Scanner {
        buf: view,
        pos: 0,
        crlf: false,
        lf: false,
    };
    match parse(&mut s) {
        Ok(head) => Ok(HeadParse::Complete { head, len: s.pos }),
        Err(Stop::Bad(e)) => Err(e),
        Err(Stop::Partial) if buf.len() >= max_head => Err(HeadError {
            offset: max_head,
            message: format!("{what} head exceeds {max_head} bytes without an empty line"),
            too_large: true,
        }),
        Err(Stop::Partial) => Ok(HeadParse::Partial),
    }
}

/// Why parsing stopped before the end of the head.
enum Stop {
    /// The buffer ran out.
    Partial,
    /// A byte that cannot be there.
    Bad(HeadError),
}

struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
    crlf: bool,
    lf: bool,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Result<u8, Stop> {
        self.buf.get(self.pos).copied().ok_or(Stop::Partial)
    }

    fn fail<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, Stop> {
        Err(Stop::Bad(HeadError {
            offset,
            message: message.into(),
            too_large: false,
        }))
    }

    /// Advances over bytes matching `pred`; `Partial` if the buffer ends first.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> Result<&'a [u8], Stop> {
        let start = self.pos;
        while pred(self.peek()?) {
            self.pos += 1;
        }
        Ok(self.buf.get(start..self.pos).unwrap_or_default())
    }

    /// If a line ends at the cursor, consumes its CRLF or bare LF and returns true.
    fn end_of_line(&mut self) -> Result<bool, Stop> {
        match self.peek()? {
            b'\n' => {
                self.pos += 1;
                self.lf = true;
                Ok(true)
            }
            b'\r' => match self.buf.get(self.pos + 1) {
                None => Err(Stop::Partial),
                Some(b'\n') => {
                    self.pos += 2;
                    self.crlf = true;
                    Ok(true)
                }
                Some(&b) => self.fail(
                    self.pos,
                    format!(
                        "CR (0x0D) followed by {} instead of LF; lines end in CRLF",
                        describe(b)
                    ),
                ),
            },
            _ => Ok(false),
        }
    }

    fn line_endings(&self) -> LineEndings {
        match (self.crlf, self.lf) {
            (true, true) => LineEndings::Mixed,
            (false, true) => LineEndings::Lf,
            _ => LineEndings::Crlf,
        }
    }

    /// `HTTP/` DIGIT `.` DIGIT, as RFC 9112 §2.3 spells it (case-sensitive).
    fn version(&mut self, context: &str) -> Result<String, Stop> {
        let start = self.pos;
        for &want in b"HTTP/" {
            let b = self.peek()?;
            if b != want {
                return self.fail(
                    self.pos,
                    format!(
                        "{context}: found {}; expected an HTTP version such as HTTP/1.1",
                        describe(b)
                    ),
                );
            }
            self.pos += 1;
        }
        for (want, what) in [
            (None, "a major version digit"),
            (Some(b'.'), "'.'"),
            (None, "a minor version digit"),
        ] {
            let b = self.peek()?;
            let ok = match want {
                Some(w) => b == w,
                None => b.is_ascii_digit(),
            };
            if !ok {
                return self.fail(
                    self.pos,
                    format!(
                        "{context}: found {} in the HTTP version; expected {what} (as in HTTP/1.1)",
                        describe(b)
                    ),
                );
            }
            self.pos += 1;
        }
        Ok(ascii_string(
            self.buf.get(start..self.pos).unwrap_or_default(),
        ))
    }
}

fn request_line(s: &mut Scanner<'_>) -> Result<(String, String, String), Stop> {
    let method = s.take_while(is_tchar)?;
    let b = s.peek()?;
    if method.is_empty() {
        let message = match b {
            b'\r' | b'\n' => "empty line before the request line; expected a method such as GET".to_owned(),
            0x16 => "found 0x16, the first byte of a TLS handshake (HTTPS/WSS sent to a plain-text port); expected a method such as GET".to_owned(),
            _ => format!("request line starts with {}; expected a method such as GET", describe(b)),
        };
        return s.fail(s.pos, message);
    }
    if b != b' ' {
        return s.fail(
            s.pos,
            format!("request line: method contains {}; expected a token character or ' ' after the method", describe(b)),
        );
    }
    s.pos += 1;
    let target = s.take_while(|b| b.is_ascii_graphic())?;
    let b = s.peek()?;
    if target.is_empty() {
        return s.fail(
            s.pos,
            format!(
                "request line: request target starts with {}; expected a path such as /chat",
                describe(b)
            ),
        );
    }
    if b != b' ' {
        let message = if b == b'\r' || b == b'\n' {
            "request line ends after the target; expected ' ' and an HTTP version such as HTTP/1.1"
                .to_owned()
        } else {
            format!(
                "request line: request target contains {}; expected visible ASCII (others must be percent-encoded) or ' '",
                describe(b)
            )
        };
        return s.fail(s.pos, message);
    }
    s.pos += 1;
    let version = s.version("request line")?;
    if !s.end_of_line()? {
        let b = s.peek()?;
        return s.fail(
            s.pos,
            format!("request line: found {} after the HTTP version; expected the end of the line (CRLF)", describe(b)),
        );
    }
    Ok((ascii_string(method), ascii_string(target), version))
}

fn status_line(s: &mut Scanner<'_>) -> Result<(String, u16, Vec<u8>), Stop> {
    let version = s.version("status line")?;
    let b = s.peek()?;
    if b != b' ' {
        return s.fail(
            s.pos,
            format!(
                "status line: found {} after the HTTP version; expected ' ' and a status code",
                describe(b)
            ),
        );
    }
    s.pos += 1;
    let mut status: u16 = 0;
    for _ in 0..3 {
        let b = s.peek()?;
        if !b.is_ascii_digit() {
            return s.fail(
                s.pos,
                format!(
                    "status line: found {}; expected a three-digit status code",
                    describe(b)
                ),
            );
        }
        status = status * 10 + u16::from(b - b'0');
        s.pos += 1;
    }
    // RFC 9112 §4 asks for "SP reason-phrase" but says to accept a status
    // line that ends right after the code.
    if s.end_of_line()? {
        return Ok((version, status, Vec::new()));
    }
    let b = s.peek()?;
    if b != b' ' {
        return s.fail(
            s.pos,
            format!(
                "status line: found {} after the status code; expected ' ' and a reason phrase",
                describe(b)
            ),
        );
    }
    s.pos += 1;
    let reason = s.take_while(is_field_text)?.to_vec();
    if !s.end_of_line()? {
        let b = s.peek()?;
        return s.fail(
            s.pos,
            format!(
                "status line: reason phrase contains {}; control characters are not allowed",
                describe(b)
            ),
        );
    }
    Ok((version, status, reason))
}

fn header_lines(s: &mut Scanner<'_>) -> Result<Vec<Header>, Stop> {
    let mut headers = Vec::new();
    loop {
        let start = s.pos;
        if s.end_of_line()? {
            return Ok(headers);
        }
        let b = s.peek()?;
        if b == b' ' || b == b'\t' {
            let message = if headers.is_empty() {
                "line starts with whitespace before the first header; expected \"Name: value\" (RFC 9112 §2.2)"
            } else {
                "line starts with whitespace: an obs-fold continuation line, which RFC 9112 §5.2 \
                 forbids; expected a new \"Name: value\" header"
            };
            return s.fail(start, message);
        }
        let name = s.take_while(is_tchar)?;
        let b = s.peek()?;
        if b != b':' {
            let message = if name.is_empty() {
                format!(
                    "header line starts with {}; expected a header name (a token)",
                    describe(b)
                )
            } else if b == b'\r' || b == b'\n' {
                format!(
                    "header line \"{}\" has no ':'; expected \"Name: value\"",
                    show(name)
                )
            } else {
                format!(
                    "header name contains {}; expected a token character or ':'",
                    describe(b)
                )
            };
            return s.fail(s.pos, message);
        }
        if name.is_empty() {
            return s.fail(
                start,
                "header line starts with ':'; expected a header name before it",
            );
        }
        s.pos += 1;
        s.take_while(|b| b == b' ' || b == b'\t')?;
        let value = s.take_while(is_field_text)?;
        if !s.end_of_line()? {
            let b = s.peek()?;
            return s.fail(
                s.pos,
                format!(
                    "header value contains {}; control characters are not allowed in header values",
                    describe(b)
                ),
            );
        }
        headers.push(Header {
            name: ascii_string(name),
            value: trim_ows(value).to_vec(),
            offset: start,
        });
    }
}

/// A `tchar` of RFC 9110 §5.6.2: what header names and methods are made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// HTAB, SP, visible ASCII or obs-text: what field values and reason phrases
/// may hold (RFC 9110 §5.5, RFC 9112 §4).
fn is_field_text(b: u8) -> bool {
    b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

fn ascii_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// A byte for an error message: `' ' (0x20)`, `'\r' (0x0D)`, `byte 0xC3`.
fn describe(b: u8) -> String {
    if b.is_ascii() {
        format!("'{}' (0x{b:02X})", char::from(b).escape_debug())
    } else {
        format!("byte 0x{b:02X}")
    }
}

/// Peer-supplied bytes for a message: escaped, and cut short if long.
fn show(bytes: &[u8]) -> String {
    const MAX: usize = 100;
    match bytes.get(..MAX) {
        Some(head) if bytes.len() > MAX => format!("{}...", head.escape_ascii()),
        _ => bytes.escape_ascii().to_string(),
    }
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// One thing wrong with a handshake, with the status a server should answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Short kebab-case id, e.g. `missing-upgrade`.
    pub rule: &'static str,
    /// The header it concerns, so a printer can mark that line; `None` for
    /// the request or status line or the head as a whole.
    pub header: Option<&'static str>,
    /// What the peer did and what RFC 6455 expects, with the section.
    pub message: String,
    /// The status a server should refuse a request with (400, 405, 426, 505,
    /// ...); 0 for issues found in a response.
    pub status: u16,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

fn issue(rule: &'static str, header: Option<&'static str>, status: u16, message: String) -> Issue {
    Issue {
        rule,
        header,
        message,
        status,
    }
}

/// Checks a client's opening handshake against RFC 6455 §4.1 / §4.2.1.
///
/// Returns nothing for a valid request. Issues come most decisive status first
/// (405, 505, 426, then 400), and in check order within a status, so the first
/// issue's status is the one to refuse with (see [`build_refusal`]). A request
/// that lacks `Upgrade` or `Connection` altogether is taken for plain HTTP and
/// gets 426 Upgrade Required; one that has them with the wrong tokens gets 400.
/// A missing or wrong `Sec-WebSocket-Version` gets 426, which tells the client
/// to retry with version 13 (§4.2.2).
pub fn validate_request(req: &Request) -> Vec<Issue> {
    let h = &req.headers;
    let mut issues = Vec::new();

    if req.method != "GET" {
        issues.push(issue(
            "method-not-get",
            None,
            405,
            format!(
                "method is \"{}\"; RFC 6455 §4.1 requires GET (methods are case-sensitive)",
                show(req.method.as_bytes())
            ),
        ));
    }
    if !version_at_least_1_1(&req.version) {
        issues.push(issue(
            "http-version",
            None,
            505,
            format!(
                "request line says {}; RFC 6455 §4.1 requires HTTP/1.1 or higher",
                show(req.version.as_bytes())
            ),
        ));
    }
    let target = req.target.to_ascii_lowercase();
    if !(target.starts_with('/')
        || ["http://", "https://", "ws://", "wss://"]
            .iter()
            .any(|scheme| target.starts_with(scheme)))
    {
        issues.push(issue(
            "bad-target",
            None,
            400,
            format!(
                "request target is \"{}\"; RFC 6455 §4.1 expects a resource name such as \"/chat\" \
                 (or an absolute http(s) URI)",
                show(req.target.as_bytes())
            ),
        ));
    }
    match req.line_endings {
        LineEndings::Crlf => {}
        LineEndings::Lf => issues.push(issue(
            "bare-lf",
            None,
            400,
            "request lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2, RFC 6455 §4.1)".to_owned(),
        )),
        LineEndings::Mixed => issues.push(issue(
            "bare-lf",
            None,
            400,
            "some request lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2, RFC 6455 §4.1)".to_owned(),
        )),
    }

    match all_named(h, "Host").count() {
        0 => issues.push(issue(
            "missing-host",
            Some("Host"),
            400,
            "no Host header; RFC 6455 §4.1 (and HTTP/1.1) requires one".to_owned(),
        )),
        1 => {}
        n => issues.push(issue(
            "duplicate-host",
            Some("Host"),
            400,
            format!("Host header appears {n} times; HTTP/1.1 (RFC 9112 §3.2) allows exactly one"),
        )),
    }

    check_upgrade_tokens(&mut issues, h, (426, 400), "§4.2.1");

    let versions: Vec<&Header> = all_named(h, "Sec-WebSocket-Version").collect();
    if versions.is_empty() {
        issues.push(issue(
            "missing-version",
            Some("Sec-WebSocket-Version"),
            426,
            "no Sec-WebSocket-Version header; RFC 6455 §4.2.1 requires \"Sec-WebSocket-Version: 13\"".to_owned(),
        ));
    }
    if versions.len() > 1 {
        issues.push(issue(
            "duplicate-version",
            Some("Sec-WebSocket-Version"),
            400,
            format!(
                "Sec-WebSocket-Version appears {} times; RFC 6455 §11.3.5 allows it once in a request",
                versions.len()
            ),
        ));
    }
    if versions
        .iter()
        .any(|v| v.value != WEBSOCKET_VERSION.as_bytes())
    {
        issues.push(issue(
            "bad-version",
            Some("Sec-WebSocket-Version"),
            426,
            format!(
                "Sec-WebSocket-Version is \"{}\"; RFC 6455 §4.2.1 requires exactly 13, and a server \
                 answers 426 with \"Sec-WebSocket-Version: 13\" (§4.2.2, §4.4)",
                joined_values(h, "Sec-WebSocket-Version")
            ),
        ));
    }

    let keys: Vec<&Header> = all_named(h, "Sec-WebSocket-Key").collect();
    match keys.first() {
        None => issues.push(issue(
            "missing-key",
            Some("Sec-WebSocket-Key"),
            400,
            "no Sec-WebSocket-Key header; RFC 6455 §4.2.1 requires one (base64 of 16 random bytes)"
                .to_owned(),
        )),
        Some(first) => {
            if keys.len() > 1 {
                issues.push(issue(
                    "duplicate-key",
                    Some("Sec-WebSocket-Key"),
                    400,
                    format!(
                        "Sec-WebSocket-Key appears {} times; RFC 6455 §11.3.1 allows it once",
                        keys.len()
                    ),
                ));
            }
            if let Err(problem) = check_key(&first.value_lossy()) {
                issues.push(issue(
                    "bad-key",
                    Some("Sec-WebSocket-Key"),
                    400,
                    format!(
                        "Sec-WebSocket-Key \"{}\" is invalid: {problem}",
                        show(&first.value)
                    ),
                ));
            }
        }
    }

    issues.sort_by_key(|i| status_rank(i.status));
    issues
}

/// Checks a server's answer to the opening handshake, as a client must
/// (RFC 6455 §4.1, "the client MUST validate the server's response").
///
/// `key` is the request's `Sec-WebSocket-Key`, if known; without it the
/// accept value is only checked to look like a base64 SHA-1 digest. When the
/// status is not 101 the header checks are skipped (a refusal has no reason to
/// carry them). Whether `Sec-WebSocket-Extensions` / `Sec-WebSocket-Protocol`
/// were requested cannot be known here; see [`Response::tokens`]. Every
/// issue has status 0.
pub fn validate_response(resp: &Response, key: Option<&str>) -> Vec<Issue> {
    let h = &resp.headers;
    let mut issues = Vec::new();

    if resp.version != "HTTP/1.1" {
        issues.push(issue(
            "http-version",
            None,
            0,
            format!(
                "status line says {}; RFC 6455 §4.1 expects HTTP/1.1",
                show(resp.version.as_bytes())
            ),
        ));
    }
    match resp.line_endings {
        LineEndings::Crlf => {}
        LineEndings::Lf | LineEndings::Mixed => issues.push(issue(
            "bare-lf",
            None,
            0,
            "response lines end in a bare LF; HTTP/1.1 requires CRLF (RFC 9112 §2.2)".to_owned(),
        )),
    }
    if resp.status != 101 {
        let mut message = format!(
            "status is {} \"{}\"; RFC 6455 §4.1 requires 101 (Switching Protocols): \
             the server did not accept the upgrade",
            resp.status,
            show(&resp.reason)
        );
        if let Some(v) = first_named(h, "Sec-WebSocket-Version") {
            message.push_str(&format!(
                " (it speaks Sec-WebSocket-Version \"{}\")",
                show(&v.value)
            ));
        }
        issues.push(issue("status-not-101", None, 0, message));
        return issues;
    }

    check_upgrade_tokens(&mut issues, h, (0, 0), "§4.1");

    let accepts: Vec<&Header> = all_named(h, "Sec-WebSocket-Accept").collect();
    match accepts.first() {
        None => issues.push(issue(
            "missing-accept",
            Some("Sec-WebSocket-Accept"),
            0,
            "no Sec-WebSocket-Accept header; RFC 6455 §4.1 requires base64(SHA-1(key + GUID))"
                .to_owned(),
        )),
        Some(first) => {
            if accepts.len() > 1 {
                issues.push(issue(
                    "duplicate-accept",
                    Some("Sec-WebSocket-Accept"),
                    0,
                    format!(
                        "Sec-WebSocket-Accept appears {} times; RFC 6455 §11.3.3 allows it once",
                        accepts.len()
                    ),
                ));
            }
            match key {
                Some(key) => {
                    let expected = accept_key(key);
                    if first.value != expected.as_bytes() {
                        issues.push(issue(
                            "bad-accept",
                            Some("Sec-WebSocket-Accept"),
                            0,
                            format!(
                                "Sec-WebSocket-Accept is \"{}\"; expected \"{expected}\", \
                                 base64(SHA-1(key + GUID)) for Sec-WebSocket-Key \"{}\" \
                                 (RFC 6455 §4.1, §4.2.2)",
                                show(&first.value),
                                show(key.trim().as_bytes())
                            ),
                        ));
                    }
                }
                None => {
                    if STANDARD.decode(&first.value).map(|d| d.len()).ok() != Some(20) {
                        issues.push(issue(
                            "bad-accept",
                            Some("Sec-WebSocket-Accept"),
                            0,
                            format!(
                                "Sec-WebSocket-Accept is \"{}\", not the base64 of a 20-byte SHA-1 \
                                 digest (RFC 6455 §4.1, §4.2.2)",
                                show(&first.value)
                            ),
                        ));
                    }
                }
            }
        }
    }
    issues
}

/// A header that must list a token: `Upgrade: websocket`, `Connection: Upgrade`.
struct TokenRule {
    header: &'static str,
    token: &'static str,
    missing: (&'static str, u16),
    bad: (&'static str, u16),
    section: &'static str,
}

/// `Upgrade: websocket` and `Connection: Upgrade`, each a token in a
/// comma-separated list; `status` is (when missing, when wrong).
fn check_upgrade_tokens(
    issues: &mut Vec<Issue>,
    h: &[Header],
    status: (u16, u16),
    section: &'static str,
) {
    for (header, token, missing, bad) in [
        ("Upgrade", "websocket", "missing-upgrade", "bad-upgrade"),
        (
            "Connection",
            "Upgrade",
            "missing-connection",
            "bad-connection",
        ),
    ] {
        check_token(
            issues,
            h,
            TokenRule {
                header,
                token,
                missing: (missing, status.0),
                bad: (bad, status.1),
                section,
            },
        );
    }
}

fn check_token(issues: &mut Vec<Issue>, headers: &[Header], rule: TokenRule) {
    let TokenRule {
        header,
        token,
        missing,
        bad,
        section,
    } = rule;
    if first_named(headers, header).is_none() {
        issues.push(issue(
            missing.0,
            Some(header),
            missing.1,
            format!("no {header} header; RFC 6455 {section} requires \"{header}: {token}\""),
        ));
    } else if !list_elements(headers, header).any(|t| t.eq_ignore_ascii_case(token.as_bytes())) {
        issues.push(issue(
            bad.0,
            Some(header),
            bad.1,
            format!(
                "{header} header is \"{}\"; RFC 6455 {section} requires a token \"{token}\" \
                 (case-insensitive, in a comma-separated list)",
                joined_values(headers, header)
            ),
        ));
    }
}

/// The values of every header with this name, escaped, joined like one list.
fn joined_values(headers: &[Header], name: &str) -> String {
    let values: Vec<String> = all_named(headers, name).map(|h| show(&h.value)).collect();
    values.join(", ")
}

fn version_at_least_1_1(version: &str) -> bool {
    match version.as_bytes() {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            (major - b'0', minor - b'0') >= (1, 1)
        }
        _ => false,
    }
}

fn status_rank(status: u16) -> u8 {
    match status {
        405 => 0,
        505 => 1,
        426 => 2,
        _ => 3,
    }
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

/// The 101 answer for a valid request: `Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, and `Sec-WebSocket-Protocol` when `protocol` is
/// `Some`. CRLF line endings.
///
/// Validate the request first: a request without a key gets the accept value
/// of an empty key, which no client accepts. Control characters in
/// `protocol` are dropped so the head stays well-formed.
pub fn build_response(req: &Request, protocol: Option<&str>) -> Vec<u8> {
    let key = req
        .header("Sec-WebSocket-Key")
        .map(Header::value_lossy)
        .unwrap_or_default();
    let mut out = String::from(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
    );
    out.push_str(&format!("Sec-WebSocket-Accept: {}\r\n", accept_key(&key)));
    if let Some(protocol) = protocol {
        let protocol: String = protocol.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&format!("Sec-WebSocket-Protocol: {}\r\n", protocol.trim()));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// An error answer for a refused request.
///
/// The status comes from the first issue (400 if there is none, or if it is
/// not a 4xx/5xx code). The head carries `Allow: GET` for 405;
/// `Upgrade: websocket` for 426 (RFC 9110 §15.5.22 requires it);
/// `Sec-WebSocket-Version: 13` when any issue has status 426 (RFC 6455
/// §4.2.2); `Content-Type: text/plain; charset=utf-8`; `Content-Length`; and
/// `Connection: close` (`Connection: Upgrade, close` with 426, since a sender
/// of `Upgrade` must list it in `Connection`, RFC 9110 §7.8). The body lists
/// each issue's message, one per line.
pub fn build_refusal(issues: &[Issue]) -> Vec<u8> {
    let status = issues
        .first()
        .map(|i| i.status)
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(400);
    let mut body = String::new();
    for i in issues {
        body.push_str(&i.message);
        body.push('\n');
    }
    if issues.is_empty() {
        body.push_str("the WebSocket handshake was refused\n");
    }
    let mut head = format!("HTTP/1.1 {status} {}\r\n", status_reason(status));
    if status == 405 {
        head.push_str("Allow: GET\r\n");
    }
    if status == 426 {
        head.push_str("Upgrade: websocket\r\n");
    }
    if issues.iter().any(|i| i.status == 426) {
        head.push_str("Sec-WebSocket-Version: 13\r\n");
    }
    head.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    head.push_str(if status == 426 {
        "Connection: Upgrade, close\r\n"
    } else {
        "Connection: close\r\n"
    });
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// A client's upgrade request: `GET path`, `Host`, `Upgrade`, `Connection`,
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`, CRLF line endings.
///
/// An empty path becomes `/`; bytes of `path` outside visible ASCII are
/// percent-encoded, and anything but visible ASCII is dropped from `host`
/// and `key`, so the head stays well-formed whatever the arguments.
pub fn build_request(host: &str, path: &str, key: &str) -> Vec<u8> {
    let mut target = String::new();
    for &b in path.as_bytes() {
        if b.is_ascii_graphic() {
            target.push(char::from(b));
        } else {
            target.push_str(&format!("%{b:02X}"));
        }
    }
    if target.is_empty() {
        target.push('/');
    }
    let visible = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_graphic()).collect() };
    format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        visible(host),
        visible(key)
    )
    .into_bytes()
}

/// The reason phrase for a status code (RFC 9110 §15), or `""` if unknown.
pub fn status_reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client handshake of RFC 6455 §1.2 (also the example of §4.1/§4.2.1).
    const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
        Host: server.example.com\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Origin: http://example.com\r\n\
        Sec-WebSocket-Protocol: chat, superchat\r\n\
        Sec-WebSocket-Version: 13\r\n\
        \r\n";

    /// The server handshake of RFC 6455 §1.2.
    const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
        Sec-WebSocket-Protocol: chat\r\n\
        \r\n";

    const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const BIG: usize = 1 << 20;

    /// An unmasked text frame "Hello" (RFC 6455 §5.7), as would follow a head in a dump.
    const FRAME: &[u8] = b"\x81\x05Hello";

    fn complete_request(buf: &[u8]) -> (Request, usize) {
        match parse_request(buf, BIG) {
            Ok(HeadParse::Complete { head, len }) => (head, len),
            other => panic!(
                "expected a complete request for {:?}, got {other:?}",
                buf.escape_ascii().to_string()
            ),
        }
    }

    fn complete_response(buf: &[u8]) -> (Response, usize) {
        match parse_response(buf, BIG) {
            Ok(HeadParse::Complete { head, len }) => (head, len),
            other => panic!(
                "expected a complete response for {:?}, got {other:?}",
                buf.escape_ascii().to_string()
            ),
        }
    }

    fn request_error(buf: &[u8]) -> HeadError {
        match parse_request(buf, BIG) {
            Err(e) => e,
            other => panic!(
                "expected an error for {:?}, got {other:?}",
                buf.escape_ascii().to_string()
            ),
        }
    }

    fn rules(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.rule).collect()
    }

    fn edit(base: &str, from: &str, to: &str) -> String {
        assert!(base.contains(from), "{from:?} not in the base text");
        base.replacen(from, to, 1)
    }

    // --- keys -------------------------------------------------------------

    #[test]
    fn rfc_1_3_key_gives_rfc_accept() {
        assert_eq!(accept_key(RFC_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let steps = accept_steps(RFC_KEY);
        assert_eq!(steps.key, RFC_KEY);
        assert_eq!(
            steps.concatenated,
            "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        );
        // The digest RFC 6455 §1.3 prints: 0xb3 0x7a 0x4f 0x2c ... 0xc4 0xea.
        assert_eq!(
            steps.sha1,
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38,
                0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        assert_eq!(steps.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            check_key(RFC_KEY).map(|b| b.to_vec()),
            Ok(b"the sample nonce".to_vec())
        );
    }

    #[test]
    fn mdn_key_is_too_short_but_still_has_an_accept_value() {
        assert_eq!(
            check_key("dGhlIHNhbXBsZQ=="),
            Err(KeyProblem::WrongLength { decoded: 10 })
        );
        // Independent computation, run in a shell:
        //   printf '%s' 'dGhlIHNhbXBsZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum
        //   -> 3843d23676ef6b1627b3e1184afefe7369018fea
        //   ... | sha1sum | cut -d' ' -f1 | xxd -r -p | base64
        //   -> OEPSNnbvaxYns+EYSv7+c2kBj+o=
        let steps = accept_steps("dGhlIHNhbXBsZQ==");
        assert_eq!(
            steps.sha1,
            [
                0x38, 0x43, 0xd2, 0x36, 0x76, 0xef, 0x6b, 0x16, 0x27, 0xb3, 0xe1, 0x18, 0x4a, 0xfe,
                0xfe, 0x73, 0x69, 0x01, 0x8f, 0xea
            ]
        );
        assert_eq!(steps.accept, "OEPSNnbvaxYns+EYSv7+c2kBj+o=");
        assert_eq!(
            accept_key("dGhlIHNhbXBsZQ=="),
            "OEPSNnbvaxYns+EYSv7+c2kBj+o="
        );
    }

    #[test]
    fn accept_steps_trim_whitespace() {
        let steps = accept_steps(" \tdGhlIHNhbXBsZSBub25jZQ==\r\n");
        assert_eq!(steps.key, RFC_KEY);
        assert_eq!(steps.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn key_problems() {
        use KeyProblem::*;
        assert_eq!(check_key(""), Err(Empty));
        assert_eq!(check_key(" \t "), Err(Empty));
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZQ=!"),
            Err(NotBase64 {
                index: 23,
                found: '!'
            })
        );
        assert_eq!(
            check_key("dGhl IHNhbXBsZSBub25jZQ=="),
            Err(NotBase64 {
                index: 4,
                found: ' '
            })
        );
        // URL-safe base64 is not what RFC 6455 uses.
        assert_eq!(
            check_key("dGhl_HNhbXBsZSBub25jZQ=="),
            Err(NotBase64 {
                index: 4,
                found: '_'
            })
        );
        // Indexes count chars of the string given, leading whitespace included.
        assert_eq!(
            check_key("  dGé"),
            Err(NotBase64 {
                index: 4,
                found: 'é'
            })
        );
        assert_eq!(
            check_key("dGhl=HNhbXBsZSBub25jZQ=="),
            Err(BadPadding { index: 4 })
        );
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25j===="),
            Err(BadPadding { index: 20 })
        );
        assert_eq!(check_key("dGhlIHNhbXBsZQ"), Err(BadLength { chars: 14 }));
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZQ="),
            Err(BadLength { chars: 23 })
        );
        // 'R' = 17 = 0b010001: its low 4 bits are not zero, unlike 'Q' = 0b010000.
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZR=="),
            Err(NonCanonical { index: 21 })
        );
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZSB4"),
            Err(WrongLength { decoded: 18 })
        );
        assert_eq!(
            check_key("AAAAAAAAAAAAAAAAAAAAAAA="),
            Err(WrongLength { decoded: 17 })
        );
        assert!(check_key(" dGhlIHNhbXBsZSBub25jZQ== ").is_ok());
    }

    #[test]
    fn key_problem_messages() {
        assert_eq!(
            KeyProblem::WrongLength { decoded: 10 }.to_string(),
            "the key decodes to 10 bytes, not the 16 RFC 6455 §4.1 requires"
        );
        let m = KeyProblem::NotBase64 {
            index: 3,
            found: '\n',
        }
        .to_string();
        assert!(m.starts_with("character 3 of the key is '\\n'"), "{m}");
        let m = KeyProblem::NotBase64 {
            index: 0,
            found: '\u{7}',
        }
        .to_string();
        assert!(m.contains("'\\u{7}'"), "{m}");
        for p in [
            KeyProblem::Empty,
            KeyProblem::BadPadding { index: 1 },
            KeyProblem::BadLength { chars: 3 },
            KeyProblem::NonCanonical { index: 2 },
        ] {
            assert!(!p.to_string().is_empty());
        }
    }

    #[test]
    fn key_from_bytes_round_trips() {
        assert_eq!(key_from_bytes(*b"the sample nonce"), RFC_KEY);
        for seed in 0u8..=255 {
            let bytes: [u8; 16] =
                std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17));
            let key = key_from_bytes(bytes);
            assert_eq!(key.len(), 24);
            assert!(key.ends_with("=="));
            assert_eq!(check_key(&key), Ok(bytes));
        }
    }

    // --- parsing ----------------------------------------------------------

    #[test]
    fn rfc_request_parses_and_validates_clean() {
        let (req, len) = complete_request(RFC_REQUEST.as_bytes());
        assert_eq!(len, RFC_REQUEST.len());
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, "/chat");
        assert_eq!(req.version, "HTTP/1.1");
        assert_eq!(req.line_endings, LineEndings::Crlf);
        let names: Vec<&str> = req.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "Upgrade",
                "Connection",
                "Sec-WebSocket-Key",
                "Origin",
                "Sec-WebSocket-Protocol",
                "Sec-WebSocket-Version"
            ]
        );
        let host = req.header("host").unwrap();
        assert_eq!(host.value, b"server.example.com");
        assert_eq!(host.offset, "GET /chat HTTP/1.1\r\n".len());
        for h in &req.headers {
            assert!(RFC_REQUEST[h.offset..].starts_with(&h.name));
        }
        assert_eq!(
            req.header("SEC-WEBSOCKET-KEY").unwrap().value_lossy(),
            RFC_KEY
        );
        assert_eq!(req.tokens("Sec-WebSocket-Protocol"), ["chat", "superchat"]);
        assert_eq!(req.headers_named("upgrade").count(), 1);
        assert!(req.header("Cookie").is_none());
        assert_eq!(validate_request(&req), []);
    }

    #[test]
    fn rfc_response_parses_and_validates_clean() {
        let (resp, len) = complete_response(RFC_RESPONSE.as_bytes());
        assert_eq!(len, RFC_RESPONSE.len());
        assert_eq!(resp.version, "HTTP/1.1");
        assert_eq!(resp.status, 101);
        assert_eq!(resp.reason, b"Switching Protocols");
        assert_eq!(resp.headers.len(), 4);
        assert_eq!(resp.tokens("sec-websocket-protocol"), ["chat"]);
        assert_eq!(validate_response(&resp, Some(RFC_KEY)), []);
        assert_eq!(validate_response(&resp, None), []);
    }

    #[test]
    fn bytes_after_the_head_are_not_consumed() {
        let mut buf = RFC_REQUEST.as_bytes().to_vec();
        buf.extend_from_slice(FRAME);
        assert_eq!(complete_request(&buf).1, RFC_REQUEST.len());
        let mut buf = RFC_RESPONSE.as_bytes().to_vec();
        buf.extend_from_slice(FRAME);
        let (_, len) = complete_response(&buf);
        assert_eq!(&buf[len..], FRAME);
    }

    #[test]
    fn every_prefix_is_partial() {
        let req = RFC_REQUEST.as_bytes();
        for cut in 0..req.len() {
            assert_eq!(
                parse_request(&req[..cut], BIG),
                Ok(HeadParse::Partial),
                "request cut at {cut}"
            );
        }
        let resp = RFC_RESPONSE.as_bytes();
        for cut in 0..resp.len() {
            assert_eq!(
                parse_response(&resp[..cut], BIG),
                Ok(HeadParse::Partial),
                "response cut at {cut}"
            );
        }
        let lf = RFC_REQUEST.replace("\r\n", "\n");
        for cut in 0..lf.len() {
            assert_eq!(
                parse_request(&lf.as_bytes()[..cut], BIG),
                Ok(HeadParse::Partial),
                "LF request cut at {cut}"
            );
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_result() {
        // What a server does: append what arrived, parse the whole buffer again.
        let mut wire = RFC_REQUEST.as_bytes().to_vec();
        wire.extend_from_slice(FRAME);
        let whole = parse_request(&wire, BIG);
        let mut buf = Vec::new();
        let mut result = Ok(HeadParse::Partial);
        for &b in &wire {
            buf.push(b);
            result = parse_request(&buf, BIG);
            if result != Ok(HeadParse::Partial) {
                break;
            }
        }
        assert_eq!(result, whole);
        assert_eq!(
            buf.len(),
            RFC_REQUEST.len(),
            "the head is recognised on its last byte"
        );

        let mut wire = RFC_RESPONSE.as_bytes().to_vec();
        wire.extend_from_slice(FRAME);
        let whole = parse_response(&wire, BIG);
        let mut buf = Vec::new();
        let mut result = Ok(HeadParse::Partial);
        for &b in &wire {
            buf.push(b);
            result = parse_response(&buf, BIG);
            if result != Ok(HeadParse::Partial) {
                break;
            }
        }
        assert_eq!(result, whole);
        assert_eq!(buf.len(), RFC_RESPONSE.len());
    }

    #[test]
    fn lf_only_request() {
        let text = RFC_REQUEST.replace("\r\n", "\n");
        let (req, len) = complete_request(text.as_bytes());
        assert_eq!(len, text.len());
        assert_eq!(req.line_endings, LineEndings::Lf);
        assert_eq!(req.headers.len(), 7);
        assert_eq!(
            req.headers[1].offset,
            "GET /chat HTTP/1.1\nHost: server.example.com\n".len()
        );
        let issues = validate_request(&req);
        assert_eq!(rules(&issues), ["bare-lf"]);
        assert_eq!(issues[0].status, 400);
        assert!(issues[0].message.contains("CRLF"), "{}", issues[0].message);

        let mixed = RFC_REQUEST.replacen("Upgrade: websocket\r\n", "Upgrade: websocket\n", 1);
        let (req, _) = complete_request(mixed.as_bytes());
        assert_eq!(req.line_endings, LineEndings::Mixed);
        assert_eq!(rules(&validate_request(&req)), ["bare-lf"]);

        let lf_response = RFC_RESPONSE.replace("\r\n", "\n");
        let (resp, len) = complete_response(lf_response.as_bytes());
        assert_eq!(len, lf_response.len());
        assert_eq!(rules(&validate_response(&resp, Some(RFC_KEY))), ["bare-lf"]);
    }

    #[test]
    fn head_size_limit() {
        let req = RFC_REQUEST.as_bytes();
        let n = req.len();
        assert!(matches!(parse_request(req, n), Ok(HeadParse::Complete { len, .. }) if len == n));
        let e = parse_request(req, n - 1).unwrap_err();
        assert_eq!(e.offset, n - 1);
        assert!(e.too_large);
        assert_eq!(
            e.message,
            format!("request head exceeds {} bytes without an empty line", n - 1)
        );
        assert_eq!(e.to_issue().status, 431);
        // Under the limit and unfinished: keep reading.
        assert_eq!(parse_request(&req[..50], 64), Ok(HeadParse::Partial));
        // A head that never ends is cut off at the limit, not read forever.
        let mut endless = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
        endless.resize(10_000, b'a');
        let e = parse_request(&endless, 64).unwrap_err();
        assert_eq!(e.offset, 64);
        assert_eq!(
            e.to_string(),
            "byte 64: request head exceeds 64 bytes without an empty line"
        );
        let e = parse_response(&endless, 100).unwrap_err();
        assert!(!e.too_large, "a request line is no status line: {e}");
        let mut endless = b"HTTP/1.1 101 OK\r\nX: ".to_vec();
        endless.resize(200, b'a');
        let e = parse_response(&endless, 100).unwrap_err();
        assert_eq!(
            e.message,
            "response head exceeds 100 bytes without an empty line"
        );
        // The limit does not depend on how the bytes arrived: extra bytes past
        // it do not turn a refused head into an accepted one.
        let mut wire = req.to_vec();
        wire.extend_from_slice(FRAME);
        assert!(parse_request(&wire, n - 1).is_err());
    }

    #[test]
    fn junk_is_rejected_early_with_its_offset() {
        // (input, offset, part of the message). None of these inputs holds a
        // complete head: each must fail on the bad byte, not wait for more.
        let cases: &[(&[u8], usize, &str)] = &[
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, "TLS"),
            (b"\x16", 0, "TLS"),
            (b"\x00\x00\x00\x00", 0, "'\\0' (0x00)"),
            (
                b"\r\nGET / HTTP/1.1\r\n",
                0,
                "empty line before the request line",
            ),
            (b" GET /", 0, "request line starts with ' ' (0x20)"),
            (b"GE\x01T", 2, "method contains '\\u{1}' (0x01)"),
            (
                b"SSH-2.0-OpenSSH_9.6\r\n",
                19,
                "method contains '\\r' (0x0D)",
            ),
            (b"GET  /chat", 4, "request target starts with ' '"),
            (b"GET /ch\x00at", 7, "request target contains '\\0' (0x00)"),
            (b"GET /ch\xc3\xa9", 7, "byte 0xC3"),
            (b"GET /chat\r\n", 9, "ends after the target"),
            (b"GET /chat http/1.1", 10, "expected an HTTP version"),
            (b"GET /chat HTTP/1.1x", 18, "after the HTTP version"),
            (b"GET /chat HTTP/11", 16, "expected '.'"),
            (
                b"GET /chat HTTP/1.1\rX",
                18,
                "CR (0x0D) followed by 'X' (0x58) instead of LF",
            ),
            (
                b"GET /chat HTTP/1.1\r\nHo st: x",
                22,
                "header name contains ' ' (0x20); expected a token character",
            ),
            (
                b"GET /chat HTTP/1.1\r\nHost : x",
                24,
                "header name contains ' ' (0x20)",
            ),
            (
                b"GET /chat HTTP/1.1\r\nX-No-Colon\r\n",
                30,
                "header line \"X-No-Colon\" has no ':'",
            ),
            (b"GET /chat HTTP/1.1\r\n: x\r\n", 20, "starts with ':'"),
            (
                b"GET /chat HTTP/1.1\r\n{x}: y",
                20,
                "header line starts with '{' (0x7B)",
            ),
            (
                b"GET /chat HTTP/1.1\r\nX-A: 1\x00",
                26,
                "header value contains '\\0' (0x00)",
            ),
            (b"GET /chat HTTP/1.1\r\nX-A: 1\x7f", 26, "(0x7F)"),
            (b"GET /chat HTTP/1.1\r\nX-A: a\r\n  b\r\n", 28, "obs-fold"),
            (
                b"GET /chat HTTP/1.1\r\n\tHost: x",
                20,
                "whitespace before the first header",
            ),
            (b"GET /chat HTTP/1.1\r\nX-A: a\rb", 26, "instead of LF"),
        ];
        for &(input, offset, needle) in cases {
            let e = request_error(input);
            assert_eq!(
                e.offset,
                offset,
                "offset for {:?}: {e}",
                input.escape_ascii().to_string()
            );
            assert!(
                e.message.contains(needle),
                "message for {:?}: {e}",
                input.escape_ascii().to_string()
            );
            assert!(!e.too_large);
            assert_eq!(e.to_issue().status, 400);
        }
        let e = request_error(b"GET /chat HTTP/1.1\r\nHo st: x");
        assert_eq!(
            e.to_string(),
            "byte 22: header name contains ' ' (0x20); expected a token character or ':'"
        );

        let response_cases: &[(&[u8], usize, &str)] = &[
            (b"GET / HTTP/1.1\r\n", 0, "status line: found 'G' (0x47)"),
            (b"HTTP/1.1 abc", 9, "three-digit status code"),
            (b"HTTP/1.1 10", 0, ""),
            (b"HTTP/1.1 1011", 12, "after the status code"),
            (b"HTTP/1.1 101 Switching\x01", 22, "reason phrase contains"),
            (b"HTTP/1.1  101", 9, "three-digit"),
        ];
        for &(input, offset, needle) in response_cases {
            match parse_response(input, BIG) {
                Ok(HeadParse::Partial) if needle.is_empty() => {}
                Err(e) => {
                    assert_eq!(
                        e.offset,
                        offset,
                        "offset for {:?}: {e}",
                        input.escape_ascii().to_string()
                    );
                    assert!(
                        e.message.contains(needle),
                        "message for {:?}: {e}",
                        input.escape_ascii().to_string()
                    );
                }
                other => panic!("{:?}: {other:?}", input.escape_ascii().to_string()),
            }
        }
    }

    #[test]
    fn header_values_keep_raw_bytes_and_trim_ows() {
        let (req, _) = complete_request(b"GET / HTTP/1.1\r\nX-Raw: \t caf\xc3\xa9 \xff\"q\" \t\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n");
        assert_eq!(req.header("x-raw").unwrap().value, b"caf\xc3\xa9 \xff\"q\"");
        assert_eq!(req.header("x-empty").unwrap().value, b"");
        assert_eq!(req.header("x-spaces").unwrap().value, b"");
        let (resp, _) = complete_response(b"HTTP/1.1 101\r\n\r\n");
        assert_eq!(resp.reason, b"");
        let (resp, _) = complete_response(b"HTTP/1.1 404 Nicht gefunden \xfc\r\n\r\n");
        assert_eq!(resp.status, 404);
        assert_eq!(resp.reason, b"Nicht gefunden \xfc");
    }

    // --- validation -------------------------------------------------------

    macro_rules! request_rules {
        ($($text:expr => [$($rule:literal),* $(,)?] status $status:literal;)*) => {$({
            let text: String = $text;
            let (req, _) = complete_request(text.as_bytes());
            let issues = validate_request(&req);
            let expected: &[&str] = &[$($rule),*];
            assert_eq!(rules(&issues), expected, "rules for {text:?}: {issues:#?}");
            assert_eq!(issues.first().map_or(0, |i| i.status), $status, "status for {text:?}");
            for i in &issues {
                assert!(i.message.contains("RFC"), "message cites no RFC: {}", i.message);
            }
        })*};
    }

    fn e(from: &str, to: &str) -> String {
        edit(RFC_REQUEST, from, to)
    }

    #[test]
    fn each_request_rule_alone() {
        const KEY_LINE: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        const VERSION_LINE: &str = "Sec-WebSocket-Version: 13\r\n";
        request_rules! {
            RFC_REQUEST.to_owned() => [] status 0;
            e("GET /chat", "POST /chat") => ["method-not-get"] status 405;
            e("GET /chat", "get /chat") => ["method-not-get"] status 405;
            e("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost") => ["http-version"] status 505;
            e("HTTP/1.1\r\nHost", "HTTP/0.9\r\nHost") => ["http-version"] status 505;
            e("HTTP/1.1\r\nHost", "HTTP/2.0\r\nHost") => [] status 0;
            e("GET /chat", "GET *") => ["bad-target"] status 400;
            e("GET /chat", "GET ws://server.example.com/chat") => [] status 0;
            RFC_REQUEST.replace("\r\n", "\n") => ["bare-lf"] status 400;
            e("Host: server.example.com\r\n", "") => ["missing-host"] status 400;
            e("Host: server.example.com\r\n", "Host: a.example\r\nhost: b.example\r\n") => ["duplicate-host"] status 400;
            e("Upgrade: websocket\r\n", "") => ["missing-upgrade"] status 426;
            e("Upgrade: websocket", "Upgrade: h2c") => ["bad-upgrade"] status 400;
            e("Upgrade: websocket", "Upgrade: websockets") => ["bad-upgrade"] status 400;
            e("Upgrade: websocket", "Upgrade:") => ["bad-upgrade"] status 400;
            e("Connection: Upgrade\r\n", "") => ["missing-connection"] status 426;
            e("Connection: Upgrade", "Connection: keep-alive") => ["bad-connection"] status 400;
            e("Connection: Upgrade", "Connection: Upgraded") => ["bad-connection"] status 400;
            e(VERSION_LINE, "") => ["missing-version"] status 426;
            e(VERSION_LINE, "Sec-WebSocket-Version: 8\r\n") => ["bad-version"] status 426;
            e(VERSION_LINE, "Sec-WebSocket-Version: 13, 8\r\n") => ["bad-version"] status 426;
            e(VERSION_LINE, "Sec-WebSocket-Version: 013\r\n") => ["bad-version"] status 426;
            e(VERSION_LINE, "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n") => ["duplicate-version"] status 400;
            e(KEY_LINE, "") => ["missing-key"] status 400;
            e(RFC_KEY, "dGhlIHNhbXBsZQ==") => ["bad-key"] status 400;
            e(RFC_KEY, "not a key") => ["bad-key"] status 400;
            e(KEY_LINE, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n")
                => ["duplicate-key"] status 400;
            // Several at once: the most decisive status comes first.
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".to_owned()
                => ["missing-upgrade", "missing-connection", "missing-version", "missing-key"] status 426;
            e("GET /chat", "POST /chat").replace(VERSION_LINE, "").replace("HTTP/1.1", "HTTP/1.0")
                => ["method-not-get", "http-version", "missing-version"] status 405;
            e(RFC_KEY, "x").replace(VERSION_LINE, "Sec-WebSocket-Version: 7\r\n")
                => ["bad-version", "bad-key"] status 426;
        }
    }

    #[test]
    fn request_issue_messages() {
        let issues = |text: String| validate_request(&complete_request(text.as_bytes()).0);
        let i = issues(e("Upgrade: websocket", "Upgrade: h2c"));
        assert_eq!(
            i[0].message,
            "Upgrade header is \"h2c\"; RFC 6455 §4.2.1 requires a token \"websocket\" \
             (case-insensitive, in a comma-separated list)"
        );
        assert_eq!(i[0].header, Some("Upgrade"));
        let i = issues(e(RFC_KEY, "dGhlIHNhbXBsZQ=="));
        assert_eq!(
            i[0].message,
            "Sec-WebSocket-Key \"dGhlIHNhbXBsZQ==\" is invalid: \
             the key decodes to 10 bytes, not the 16 RFC 6455 §4.1 requires"
        );
        assert_eq!(i[0].header, Some("Sec-WebSocket-Key"));
        let i = issues(e("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"));
        assert!(
            i[0].message.starts_with("Sec-WebSocket-Version is \"8\""),
            "{}",
            i[0].message
        );
        let i = issues(e("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"));
        assert!(i[0].message.contains("HTTP/1.0"), "{}", i[0].message);
        // Peer bytes are escaped in messages.
        let i = issues(e("Upgrade: websocket", "Upgrade: \"wéb\"\t"));
        assert!(
            i[0].message
                .starts_with(r#"Upgrade header is "\"w\xc3\xa9b\"""#),
            "{}",
            i[0].message
        );
    }

    #[test]
    fn tokens_are_case_insensitive_and_comma_separated() {
        request_rules! {
            e("Connection: Upgrade", "Connection: keep-alive, Upgrade") => [] status 0;
            e("Connection: Upgrade", "Connection: keep-alive,upgrade ,") => [] status 0;
            e("Connection: Upgrade", "CONNECTION: UPGRADE") => [] status 0;
            e("Connection: Upgrade", "Connection: keep-alive\r\nConnection: Upgrade") => [] status 0;
            e("Upgrade: websocket", "upgrade: WebSocket") => [] status 0;
            e("Upgrade: websocket", "Upgrade: foo/2, websocket") => [] status 0;
            e("Sec-WebSocket-Key", "sec-websocket-key") => [] status 0;
            e("Host: server.example.com", "HOST:server.example.com   ") => [] status 0;
        }
    }

    #[test]
    fn response_rules() {
        let check = |text: String, key: Option<&str>| -> Vec<Issue> {
            let issues = validate_response(&complete_response(text.as_bytes()).0, key);
            assert!(issues.iter().all(|i| i.status == 0));
            issues
        };
        let r = |from: &str, to: &str| edit(RFC_RESPONSE, from, to);

        let i = check(
            r("101 Switching Protocols", "404 Not \"Found\"é"),
            Some(RFC_KEY),
        );
        assert_eq!(rules(&i), ["status-not-101"]);
        assert!(
            i[0].message
                .starts_with(r#"status is 404 "Not \"Found\"\xc3\xa9""#),
            "{}",
            i[0].message
        );
        let i = check(
            "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n".to_owned(),
            None,
        );
        assert_eq!(rules(&i), ["status-not-101"]);
        assert!(
            i[0].message.contains("Sec-WebSocket-Version \"13\""),
            "{}",
            i[0].message
        );
        assert_eq!(
            rules(&check(r("HTTP/1.1", "HTTP/1.0"), Some(RFC_KEY))),
            ["http-version"]
        );
        assert_eq!(
            rules(&check(r("Upgrade: websocket\r\n", ""), Some(RFC_KEY))),
            ["missing-upgrade"]
        );
        assert_eq!(
            rules(&check(
                r("Upgrade: websocket", "Upgrade: h2c"),
                Some(RFC_KEY)
            )),
            ["bad-upgrade"]
        );
        assert_eq!(
            rules(&check(r("Connection: Upgrade\r\n", ""), Some(RFC_KEY))),
            ["missing-connection"]
        );
        assert_eq!(
            rules(&check(
                r("Connection: Upgrade", "Connection: close"),
                Some(RFC_KEY)
            )),
            ["bad-connection"]
        );
        assert_eq!(
            rules(&check(
                r("Upgrade: websocket", "UPGRADE: WebSocket"),
                Some(RFC_KEY)
            )),
            [] as [&str; 0]
        );
        let no_accept = r("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", "");
        assert_eq!(rules(&check(no_accept, Some(RFC_KEY))), ["missing-accept"]);
        let twice = r(
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
        );
        assert_eq!(rules(&check(twice, Some(RFC_KEY))), ["duplicate-accept"]);

        // Right for another key: the message shows what was expected and what came.
        let i = check(RFC_RESPONSE.to_owned(), Some("dGhlIHNhbXBsZQ=="));
        assert_eq!(rules(&i), ["bad-accept"]);
        assert_eq!(i[0].header, Some("Sec-WebSocket-Accept"));
        assert!(
            i[0].message.contains("\"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\""),
            "{}",
            i[0].message
        );
        assert!(
            i[0].message
                .contains("expected \"OEPSNnbvaxYns+EYSv7+c2kBj+o=\""),
            "{}",
            i[0].message
        );
        // Without the key only the shape can be checked.
        let bad_shape = r("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYG");
        assert_eq!(rules(&check(bad_shape, None)), ["bad-accept"]);
        assert_eq!(
            rules(&check(RFC_RESPONSE.to_owned(), None)),
            [] as [&str; 0]
        );
    }

    // --- building ---------------------------------------------------------

    #[test]
    fn build_response_reproduces_the_rfc_and_round_trips() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        let built = build_response(&req, Some("chat"));
        assert_eq!(built, RFC_RESPONSE.as_bytes());
        let (resp, len) = complete_response(&built);
        assert_eq!(len, built.len());
        assert_eq!(validate_response(&resp, Some(RFC_KEY)), []);

        let built = build_response(&req, None);
        let (resp, _) = complete_response(&built);
        assert!(resp.header("Sec-WebSocket-Protocol").is_none());
        assert_eq!(validate_response(&resp, Some(RFC_KEY)), []);

        // A protocol name cannot smuggle in header lines.
        let built = build_response(&req, Some("chat\r\nSet-Cookie: x"));
        let (resp, _) = complete_response(&built);
        assert_eq!(resp.headers.len(), 4);
        assert!(resp.header("Set-Cookie").is_none());
    }

    #[test]
    fn build_request_round_trips() {
        let key = key_from_bytes(*b"the sample nonce");
        let built = build_request("server.example.com", "/chat", &key);
        let (req, len) = complete_request(&built);
        assert_eq!(len, built.len());
        assert_eq!(req.target, "/chat");
        assert_eq!(req.header("Host").unwrap().value, b"server.example.com");
        assert_eq!(validate_request(&req), []);
        let (resp, _) = complete_response(&build_response(&req, None));
        assert_eq!(validate_response(&resp, Some(&key)), []);

        let built = build_request("evil\r\nX-Injected: 1", "/a b/é", &key);
        let (req, _) = complete_request(&built);
        assert_eq!(req.target, "/a%20b/%C3%A9");
        assert!(req.header("X-Injected").is_none());
        assert_eq!(validate_request(&req), []);
        assert_eq!(
            complete_request(&build_request("h", "", &key)).0.target,
            "/"
        );
    }

    #[test]
    fn build_refusal_426_carries_the_version_and_parses() {
        let text = e("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
        let issues = validate_request(&complete_request(text.as_bytes()).0);
        let refusal = build_refusal(&issues);
        let (resp, len) = complete_response(&refusal);
        assert_eq!(resp.status, 426);
        assert_eq!(resp.reason, b"Upgrade Required");
        assert_eq!(resp.line_endings, LineEndings::Crlf);
        assert_eq!(resp.header("Sec-WebSocket-Version").unwrap().value, b"13");
        assert_eq!(resp.header("Upgrade").unwrap().value, b"websocket");
        assert_eq!(
            resp.header("Content-Type").unwrap().value,
            b"text/plain; charset=utf-8"
        );
        assert_eq!(resp.tokens("Connection"), ["Upgrade", "close"]);
        let body = &refusal[len..];
        assert_eq!(
            resp.header("Content-Length").unwrap().value,
            body.len().to_string().as_bytes()
        );
        assert_eq!(body, format!("{}\n", issues[0].message).as_bytes());
        assert_eq!(
            rules(&validate_response(&resp, Some(RFC_KEY))),
            ["status-not-101"]
        );
    }

    #[test]
    fn build_refusal_other_statuses() {
        let text = e("GET /chat", "POST /chat").replace(RFC_KEY, "short");
        let issues = validate_request(&complete_request(text.as_bytes()).0);
        let refusal = build_refusal(&issues);
        let (resp, len) = complete_response(&refusal);
        assert_eq!(resp.status, 405);
        assert_eq!(resp.header("Allow").unwrap().value, b"GET");
        assert!(resp.header("Sec-WebSocket-Version").is_none());
        assert_eq!(resp.tokens("Connection"), ["close"]);
        let body = String::from_utf8(refusal[len..].to_vec()).unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(
            lines,
            issues
                .iter()
                .map(|i| i.message.as_str())
                .collect::<Vec<_>>()
        );

        let (resp, _) = complete_response(&build_refusal(&[]));
        assert_eq!(resp.status, 400);
        let head_error = request_error(b"\x16\x03\x01");
        let (resp, _) = complete_response(&build_refusal(&[head_error.to_issue()]));
        assert_eq!(
            (resp.status, resp.reason.as_slice()),
            (400, &b"Bad Request"[..])
        );
        // A response issue (status 0) still yields a well-formed 400.
        let (resp, _) = complete_response(&build_refusal(&[issue("x", None, 0, "m".to_owned())]));
        assert_eq!(resp.status, 400);
    }

    #[test]
    fn status_reasons() {
        assert_eq!(status_reason(101), "Switching Protocols");
        assert_eq!(status_reason(426), "Upgrade Required");
        assert_eq!(status_reason(505), "HTTP Version Not Supported");
        assert_eq!(status_reason(299), "");
    }

    // --- robustness -------------------------------------------------------

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(rng: &mut XorShift, mut v: Vec<u8>) -> Vec<u8> {
        const SPICY: &[u8] = b"\r\n: \t,=\x00\x7f\x80\xff\x16Aa1/";
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(v.len() + 1);
            match rng.below(6) {
                0 if at < v.len() => v[at] = rng.next() as u8,
                1 => v.insert(at, SPICY[rng.below(SPICY.len())]),
                2 if at < v.len() => {
                    v.remove(at);
                }
                3 => v.truncate(at),
                4 => {
                    let end = (at + rng.below(30)).min(v.len());
                    let chunk = v[at..end].to_vec();
                    v.splice(at..at, chunk);
                }
                _ => {
                    let end = (at + rng.below(30)).min(v.len());
                    v.drain(at..end);
                }
            }
        }
        v
    }

    /// The invariants any input must keep, for both parsers.
    fn check_request_invariants(buf: &[u8], max: usize) {
        let result = parse_request(buf, max);
        match &result {
            Ok(HeadParse::Complete { head, len }) => {
                assert!(*len <= buf.len() && *len <= max);
                assert_eq!(parse_request(&buf[..*len], max), result);
                assert_eq!(parse_request(&buf[..*len - 1], max), Ok(HeadParse::Partial));
                let issues = validate_request(head);
                let refusal = build_refusal(&issues);
                assert!(matches!(
                    parse_response(&refusal, BIG),
                    Ok(HeadParse::Complete { .. })
                ));
                let accepted = build_response(head, Some("chat\r\n"));
                let (resp, _) = complete_response(&accepted);
                let key = head
                    .header("Sec-WebSocket-Key")
                    .map(|h| h.value_lossy().into_owned());
                assert_eq!(validate_response(&resp, key.as_deref()), []);
            }
            Ok(HeadParse::Partial) => assert!(buf.len() < max),
            Err(e) => {
                assert!(e.offset <= buf.len());
                // Found as soon as the offending byte (and, for a lone CR, the
                // byte after it) arrived.
                let cut = (e.offset + 2).min(buf.len());
                assert_eq!(parse_request(&buf[..cut], max), result);
                let _ = e.to_issue();
            }
        }
    }

    fn check_response_invariants(buf: &[u8], max: usize) {
        let result = parse_response(buf, max);
        match &result {
            Ok(HeadParse::Complete { head, len }) => {
                assert!(*len <= buf.len() && *len <= max);
                assert_eq!(parse_response(&buf[..*len], max), result);
                assert_eq!(
                    parse_response(&buf[..*len - 1], max),
                    Ok(HeadParse::Partial)
                );
                let _ = validate_response(head, Some(RFC_KEY));
                let _ = validate_response(head, None);
            }
            Ok(HeadParse::Partial) => assert!(buf.len() < max),
            Err(e) => {
                assert!(e.offset <= buf.len());
                let cut = (e.offset + 2).min(buf.len());
                assert_eq!(parse_response(&buf[..cut], max), result);
            }
        }
    }

    #[test]
    fn mutations_never_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut request = RFC_REQUEST.as_bytes().to_vec();
        request.extend_from_slice(FRAME);
        let mut response = RFC_RESPONSE.as_bytes().to_vec();
        response.extend_from_slice(FRAME);
        let (mut complete, mut errors) = (0, 0);
        for round in 0..4000 {
            let buf = mutate(
                &mut rng,
                if round % 2 == 0 {
                    request.clone()
                } else {
                    response.clone()
                },
            );
            for max in [BIG, 64, buf.len(), rng.below(buf.len() + 2)] {
                check_request_invariants(&buf, max);
                check_response_invariants(&buf, max);
            }
            match parse_request(&buf, BIG) {
                Ok(HeadParse::Complete { .. }) => complete += 1,
                Err(_) => errors += 1,
                Ok(HeadParse::Partial) => {}
            }
            let _ = check_key(&String::from_utf8_lossy(&buf[..buf.len().min(30)]));
        }
        for _ in 0..500 {
            let buf: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            check_request_invariants(&buf, BIG);
            check_response_invariants(&buf, BIG);
        }
        // The mutations reached both outcomes, so the loop tested something.
        assert!(
            complete > 100 && errors > 100,
            "complete {complete}, errors {errors}"
        );
    }
}
