//! HTTP/1.1 heads (RFC 9112): the request and response types, their
//! header lookups, the parser that reads them from the start of a buffer,
//! a quick look at whether bytes start with a head at all
//! ([`looks_like_head`]), and reason phrases for status codes.
//!
//! Nothing here knows about WebSocket: the opening handshake is checked on
//! top of these types, and a plain `GET` for a web page parses the same
//! way. Pure: bytes in, values out, no I/O. Parsing never panics and never
//! looks past a caller-given head-size limit, so the same functions serve a
//! dump that starts with a head and a server reading a request that may
//! arrive split at any byte.

mod body;
mod detect;
mod forward;
mod parse;

use std::borrow::Cow;

use super::violation::{fit_reason, Answer, Broken};

pub use body::{request_framing, response_framing, Body, BodyError, Framing, FramingError};
pub use detect::{head_starts, looks_like_head, HeadKind, Starts, MAX_START};
pub use forward::{asks_websocket, authority, closes, name_of, with_target};
pub use parse::{parse_request, parse_response};

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

/// Why a buffer does not start with a valid HTTP head: where, and what
/// was found there. `print` renders the sentence; [`Broken`] gives the
/// numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadError {
    /// Byte offset in the buffer of the first byte found wrong (for an
    /// oversized head: the limit; for a head cut short: its length).
    pub offset: usize,
    /// What was found, and where.
    pub problem: HeadProblem,
}

/// What is wrong with a head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadProblem {
    /// A byte that cannot be where it is.
    Unexpected {
        /// The byte.
        found: u8,
        /// Where it is, which says what was expected instead.
        at: HeadPlace,
    },
    /// A header line that ends after its name, with no `:`.
    NoColon {
        /// The name (token characters only).
        name: Vec<u8>,
    },
    /// The head reached the size limit without the empty line that ends it.
    TooLarge {
        /// A request or a response head.
        head: HeadKind,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The input ended inside the head: found by a reader at the end of
    /// its input, never by the parser, which asks for more bytes instead.
    Unfinished {
        /// A request or a response head.
        head: HeadKind,
        /// The bytes of the head present.
        len: usize,
    },
}

/// Where in a head an unexpected byte was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadPlace {
    /// The first byte of a request, where a method begins (a CR or LF is
    /// an empty line before the request line; 0x16 starts a TLS handshake).
    RequestStart,
    /// Inside the method, after at least one token character.
    Method,
    /// The first byte of the request target.
    TargetStart,
    /// Inside the request target (a CR or LF: the line ends after it).
    Target,
    /// The HTTP version of a request or status line.
    Version {
        /// Which line.
        head: HeadKind,
        /// Which part of `HTTP/1.1`.
        part: VersionPart,
    },
    /// Right after the HTTP version: the end of a request line, or the
    /// space before a status code.
    AfterVersion {
        /// Which line.
        head: HeadKind,
    },
    /// One of the three digits of a status code.
    StatusCode,
    /// Right after the status code, where a space or the line end belongs.
    AfterStatusCode,
    /// Inside a reason phrase.
    Reason,
    /// The byte after a CR, where LF belongs.
    AfterCr,
    /// The first byte of a header line (a space or tab: a continuation
    /// line; `:`: a line with no name).
    HeaderStart {
        /// No header line came before it.
        first: bool,
    },
    /// Inside a header name, after at least one token character.
    HeaderName,
    /// Inside a header value.
    HeaderValue,
}

/// A part of an HTTP version, `HTTP/1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionPart {
    /// `HTTP/`.
    Prefix,
    /// The major digit.
    Major,
    /// The `.`.
    Dot,
    /// The minor digit.
    Minor,
}

impl HeadError {
    /// True when the head exceeded the size limit rather than being
    /// malformed (a server answers 431 rather than 400).
    pub fn too_large(&self) -> bool {
        matches!(self.problem, HeadProblem::TooLarge { .. })
    }
}

impl Broken for HeadError {
    /// `head-too-large`, or `malformed-head` for everything else.
    fn id(&self) -> &'static str {
        if self.too_large() {
            "head-too-large"
        } else {
            "malformed-head"
        }
    }

    fn section(&self) -> &'static str {
        use HeadPlace::*;
        match &self.problem {
            HeadProblem::TooLarge { .. } => "RFC 6585 §5",
            HeadProblem::Unfinished { .. } => "RFC 9112 §2.1",
            HeadProblem::NoColon { .. } => "RFC 9112 §5",
            HeadProblem::Unexpected { found, at } => match at {
                RequestStart | Method | TargetStart | Target => "RFC 9112 §3",
                Version { .. } => "RFC 9112 §2.3",
                AfterVersion {
                    head: HeadKind::Request,
                } => "RFC 9112 §3",
                AfterVersion {
                    head: HeadKind::Response,
                }
                | StatusCode
                | AfterStatusCode
                | Reason => "RFC 9112 §4",
                AfterCr => "RFC 9112 §2.2",
                HeaderStart { first: true } if matches!(found, b' ' | b'\t') => "RFC 9112 §2.2",
                HeaderStart { first: false } if matches!(found, b' ' | b'\t') => "RFC 9112 §5.2",
                HeaderStart { .. } | HeaderName => "RFC 9112 §5",
                HeaderValue => "RFC 9110 §5.5",
            },
        }
    }

    /// 431 for a head too large, 400 for the rest; none for a head cut
    /// short, which is no one's answer to give.
    fn answer(&self) -> Option<Answer> {
        match self.problem {
            HeadProblem::TooLarge { .. } => Some(Answer::Status(431)),
            HeadProblem::Unfinished { .. } => None,
            _ => Some(Answer::Status(400)),
        }
    }

    fn reason(&self) -> String {
        use HeadPlace::*;
        let offset = self.offset;
        let s = match &self.problem {
            HeadProblem::TooLarge { head, limit } => {
                format!("{} head exceeds {limit} bytes", kind_name(*head))
            }
            HeadProblem::Unfinished { head, len } => format!(
                "{} head ends after {len} bytes, with no empty line",
                kind_name(*head)
            ),
            HeadProblem::NoColon { .. } => format!("byte {offset}: header line has no ':'"),
            HeadProblem::Unexpected {
                found: 0x16,
                at: RequestStart,
            } => "byte 0 is 0x16: a TLS handshake (HTTPS/WSS) sent to a plain-text port".into(),
            HeadProblem::Unexpected {
                found: b'\r' | b'\n',
                at: RequestStart,
            } => "empty line before the request line".into(),
            HeadProblem::Unexpected { found, at } => {
                let place = match at {
                    RequestStart => "at the start of the request line",
                    Method => "in the method",
                    TargetStart | Target => "in the request target",
                    Version { .. } => "in the HTTP version",
                    AfterVersion { .. } => "after the HTTP version",
                    StatusCode => "in the status code",
                    AfterStatusCode => "after the status code",
                    Reason => "in the reason phrase",
                    AfterCr => "after CR, where LF belongs",
                    HeaderStart { .. } => "at the start of a header line",
                    HeaderName => "in a header name",
                    HeaderValue => "in a header value",
                };
                format!("byte {offset}: unexpected 0x{found:02X} {place}")
            }
        };
        fit_reason(s)
    }
}

/// "request" or "response".
fn kind_name(head: HeadKind) -> &'static str {
    match head {
        HeadKind::Request => "request",
        HeadKind::Response => "response",
    }
}

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

/// The first header named `name` (ASCII case-insensitive).
pub(crate) fn first_named<'a>(headers: &'a [Header], name: &str) -> Option<&'a Header> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))
}

/// Every header named `name` (ASCII case-insensitive), in order.
pub(crate) fn all_named<'a>(
    headers: &'a [Header],
    name: &'a str,
) -> impl Iterator<Item = &'a Header> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
}

/// The comma-separated elements of every header named `name`, trimmed,
/// empty ones dropped.
pub(crate) fn list_elements<'a>(
    headers: &'a [Header],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    all_named(headers, name)
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(trim_ows)
        .filter(|t| !t.is_empty())
}

/// A `tchar` of RFC 9110 §5.6.2: what header names and methods are made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `v` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// The reason phrase for a status code (RFC 9110 §15), or `""` if unknown.
pub fn status_reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Whether a head collected piece by piece needs parsing again after
/// `new` arrived: a head can only end where a line ends, and the parser
/// stops at the first byte that cannot be there, which is most often a
/// control byte or one past ASCII. Parsing only then keeps a head sent a byte at a time at a
/// parse per line, not per byte; a printable byte in the wrong place (in
/// the method, say) is found at the line's end.
pub fn worth_parsing(new: &[u8]) -> bool {
    new.iter()
        .any(|&b| b == b'\n' || (b < 0x20 && b != b'\r' && b != b'\t') || b >= 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::violation::MAX_CLOSE_REASON;

    #[test]
    fn head_errors_have_their_numbers() {
        for j in junk_requests() {
            let e = request_error(j.input);
            assert_eq!(e.id(), "malformed-head");
            assert_eq!(e.answer(), Some(Answer::Status(400)));
            assert!(e.section().starts_with("RFC 9112 §") || e.section() == "RFC 9110 §5.5");
            let reason = e.reason();
            assert!(
                reason.is_ascii() && reason.len() <= MAX_CLOSE_REASON,
                "{reason}"
            );
        }
        let section = |input: &[u8]| request_error(input).section();
        assert_eq!(section(b"\x16\x03"), "RFC 9112 §3");
        assert_eq!(section(b"GET /chat HTTP/1.x"), "RFC 9112 §2.3");
        assert_eq!(section(b"GET /chat HTTP/1.1\rX"), "RFC 9112 §2.2");
        assert_eq!(
            section(b"GET /chat HTTP/1.1\r\nX-A: a\r\n  b"),
            "RFC 9112 §5.2"
        );
        assert_eq!(section(b"GET /chat HTTP/1.1\r\nHo st: x"), "RFC 9112 §5");
        assert_eq!(section(b"GET /chat HTTP/1.1\r\nX: \x7f"), "RFC 9110 §5.5");
        let e = request_error(b"\x16\x03");
        assert_eq!(
            e.reason(),
            "byte 0 is 0x16: a TLS handshake (HTTPS/WSS) sent to a plain-text port"
        );
        let e = request_error(b"GET /chat HTTP/1.1\r\nX-A: 1\x1b");
        assert_eq!(e.reason(), "byte 26: unexpected 0x1B in a header value");

        let e = parse_request(RFC_REQUEST.as_bytes(), 64).unwrap_err();
        assert!(e.too_large());
        assert_eq!(
            (e.id(), e.section(), e.answer()),
            ("head-too-large", "RFC 6585 §5", Some(Answer::Status(431)))
        );
        assert_eq!(e.reason(), "request head exceeds 64 bytes");
        let cut = HeadError {
            offset: 9,
            problem: HeadProblem::Unfinished {
                head: HeadKind::Request,
                len: 9,
            },
        };
        assert_eq!((cut.id(), cut.answer()), ("malformed-head", None));
    }

    #[test]
    fn status_reasons() {
        assert_eq!(status_reason(101), "Switching Protocols");
        assert_eq!(status_reason(426), "Upgrade Required");
        assert_eq!(status_reason(505), "HTTP Version Not Supported");
        assert_eq!(status_reason(299), "");
    }
}
