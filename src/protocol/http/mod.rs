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

mod detect;
mod parse;

use std::borrow::Cow;
use std::fmt;

pub use detect::{head_starts, looks_like_head, HeadKind, Starts, MAX_START};
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

/// Peer-supplied bytes for a message: escaped, and cut short if long.
pub(crate) fn show(bytes: &[u8]) -> String {
    const MAX: usize = 100;
    match bytes.get(..MAX) {
        Some(head) if bytes.len() > MAX => format!("{}...", head.escape_ascii()),
        _ => bytes.escape_ascii().to_string(),
    }
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

    #[test]
    fn status_reasons() {
        assert_eq!(status_reason(101), "Switching Protocols");
        assert_eq!(status_reason(426), "Upgrade Required");
        assert_eq!(status_reason(505), "HTTP Version Not Supported");
        assert_eq!(status_reason(299), "");
    }
}
