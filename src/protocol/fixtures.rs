//! Test data shared by the HTTP and handshake tests: RFC 6455's example
//! heads, parsers that fail loudly, and a mutator for robustness tests.

use super::http::{
    parse_request, parse_response, HeadError, HeadKind, HeadParse, HeadPlace, HeadProblem, Request,
    Response, VersionPart,
};

/// The client handshake of RFC 6455 §1.2 (also the example of §4.1/§4.2.1).
pub const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\
    \r\n";

/// The server handshake of RFC 6455 §1.2.
pub const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    Sec-WebSocket-Protocol: chat\r\n\
    \r\n";

/// The `Sec-WebSocket-Key` of RFC 6455 §1.3.
pub const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A head-size limit no test reaches.
pub const BIG: usize = 1 << 20;

/// An unmasked text frame "Hello" (RFC 6455 §5.7), as would follow a head in a dump.
pub const FRAME: &[u8] = b"\x81\x05Hello";

/// The request at the start of `buf` and its length; panics unless complete.
pub fn complete_request(buf: &[u8]) -> (Request, usize) {
    match parse_request(buf, BIG) {
        Ok(HeadParse::Complete { head, len }) => (head, len),
        other => panic!(
            "expected a complete request for {:?}, got {other:?}",
            buf.escape_ascii().to_string()
        ),
    }
}

/// The response at the start of `buf` and its length; panics unless complete.
pub fn complete_response(buf: &[u8]) -> (Response, usize) {
    match parse_response(buf, BIG) {
        Ok(HeadParse::Complete { head, len }) => (head, len),
        other => panic!(
            "expected a complete response for {:?}, got {other:?}",
            buf.escape_ascii().to_string()
        ),
    }
}

/// Why `buf` is no request; panics if it is one, or might become one.
pub fn request_error(buf: &[u8]) -> HeadError {
    match parse_request(buf, BIG) {
        Err(e) => e,
        other => panic!(
            "expected an error for {:?}, got {other:?}",
            buf.escape_ascii().to_string()
        ),
    }
}

/// `base` with the first `from` replaced by `to`; panics if `from` is absent.
pub fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} not in the base text");
    base.replacen(from, to, 1)
}

/// A request that fails to parse: where, why, and part of the sentence
/// `print` renders for it.
pub struct Junk {
    /// The bytes.
    pub input: &'static [u8],
    /// The offset of the error.
    pub offset: usize,
    /// What the parser found.
    pub problem: HeadProblem,
    /// Part of the rendered sentence.
    pub says: &'static str,
}

/// Requests that fail to parse. None of these inputs holds a complete
/// head: each must fail on the bad byte, not wait for more.
pub fn junk_requests() -> Vec<Junk> {
    use HeadPlace::*;
    let request = HeadKind::Request;
    let at = |found: u8, at: HeadPlace| HeadProblem::Unexpected { found, at };
    let junk = |input, offset, problem, says| Junk {
        input,
        offset,
        problem,
        says,
    };
    vec![
        junk(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            0,
            at(0x16, RequestStart),
            "TLS",
        ),
        junk(b"\x16", 0, at(0x16, RequestStart), "TLS"),
        junk(
            b"\x00\x00\x00\x00",
            0,
            at(0, RequestStart),
            "'\\x00' (0x00)",
        ),
        junk(
            b"\r\nGET / HTTP/1.1\r\n",
            0,
            at(b'\r', RequestStart),
            "empty line before the request line",
        ),
        junk(
            b" GET /",
            0,
            at(b' ', RequestStart),
            "request line starts with ' ' (0x20)",
        ),
        junk(
            b"GE\x01T",
            2,
            at(1, Method),
            "method contains '\\x01' (0x01)",
        ),
        junk(
            b"SSH-2.0-OpenSSH_9.6\r\n",
            19,
            at(b'\r', Method),
            "method contains '\\r' (0x0D)",
        ),
        junk(
            b"GET  /chat",
            4,
            at(b' ', TargetStart),
            "request target starts with ' '",
        ),
        junk(
            b"GET /ch\x00at",
            7,
            at(0, Target),
            "request target contains '\\x00' (0x00)",
        ),
        junk(b"GET /ch\xc3\xa9", 7, at(0xc3, Target), "byte 0xC3"),
        junk(
            b"GET /chat\r\n",
            9,
            at(b'\r', Target),
            "ends after the target",
        ),
        junk(
            b"GET /chat http/1.1",
            10,
            at(
                b'h',
                Version {
                    head: request,
                    part: VersionPart::Prefix,
                },
            ),
            "expected an HTTP version",
        ),
        junk(
            b"GET /chat HTTP/1.1x",
            18,
            at(b'x', AfterVersion { head: request }),
            "after the HTTP version",
        ),
        junk(
            b"GET /chat HTTP/11",
            16,
            at(
                b'1',
                Version {
                    head: request,
                    part: VersionPart::Dot,
                },
            ),
            "expected '.'",
        ),
        junk(
            b"GET /chat HTTP/1.1\rX",
            18,
            at(b'X', AfterCr),
            "CR (0x0D) followed by 'X' (0x58) instead of LF",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nHo st: x",
            22,
            at(b' ', HeaderName),
            "header name contains ' ' (0x20); expected a token character",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nHost : x",
            24,
            at(b' ', HeaderName),
            "header name contains ' ' (0x20)",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nX-No-Colon\r\n",
            30,
            HeadProblem::NoColon {
                name: b"X-No-Colon".to_vec(),
            },
            "header line \"X-No-Colon\" has no ':'",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\n: x\r\n",
            20,
            at(b':', HeaderStart { first: true }),
            "starts with ':'",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\n{x}: y",
            20,
            at(b'{', HeaderStart { first: true }),
            "header line starts with '{' (0x7B)",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nX-A: 1\x00",
            26,
            at(0, HeaderValue),
            "header value contains '\\x00' (0x00)",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nX-A: 1\x7f",
            26,
            at(0x7f, HeaderValue),
            "(0x7F)",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nX-A: a\r\n  b\r\n",
            28,
            at(b' ', HeaderStart { first: false }),
            "obs-fold",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\n\tHost: x",
            20,
            at(b'\t', HeaderStart { first: true }),
            "whitespace before the first header",
        ),
        junk(
            b"GET /chat HTTP/1.1\r\nX-A: a\rb",
            26,
            at(b'b', AfterCr),
            "instead of LF",
        ),
    ]
}

/// A small deterministic random source, so failures reproduce.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `v` with one to four random edits: bytes changed, inserted (often ones
/// that matter to a head parser), removed, duplicated or cut.
pub fn mutate(rng: &mut XorShift, mut v: Vec<u8>) -> Vec<u8> {
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
