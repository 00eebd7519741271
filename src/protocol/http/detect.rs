//! Telling an HTTP head from other bytes by its first line, before parsing
//! it: one answer for every reader, whether the bytes were pasted as text
//! or captured.

use super::is_tchar;

/// Which kind of HTTP head bytes start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// A request line: method, target, version.
    Request,
    /// A status line: version, status code, reason.
    Response,
}

/// Whether `bytes` start like an HTTP head, judged on the shape of the
/// first line only; the head may still fail to parse.
///
/// A response starts with `HTTP/`. A request line starts with a method
/// (a token, of any case), a space, a target (one or more bytes that are
/// neither spaces nor controls), a space and `HTTP/` (of any case). The
/// shape is loose where people get it wrong, so that `get /chat HTTP/1.1`
/// or `GET /chat http/1.1` is parsed and told what is wrong rather than
/// read as frames, and strict where other data differs: the first byte of
/// a frame with no RSV bit set (`0x81`, `0x88`, `0x01`, ...) or of a final
/// compressed one (`0xC1`) is no token character, and binary data seldom
/// holds two spaces and `HTTP/` in the right places. A request line cut
/// short before its `HTTP/` does not count: there is too little to tell it
/// by, and the answer must not change when a line end is added after it
/// (a pasted head gets CRLF line ends before it is read). Nothing past the
/// first line is looked at.
pub fn looks_like_head(bytes: &[u8]) -> Option<HeadKind> {
    if bytes.starts_with(b"HTTP/") {
        return Some(HeadKind::Response);
    }
    let method = bytes.iter().take_while(|&&b| is_tchar(b)).count();
    if method == 0 {
        return None;
    }
    let rest = bytes[method..].strip_prefix(b" ")?;
    let target = rest.iter().take_while(|&&b| b > b' ' && b != 0x7f).count();
    if target == 0 {
        return None;
    }
    let version = rest[target..].strip_prefix(b" ")?.get(..5)?;
    version
        .eq_ignore_ascii_case(b"HTTP/")
        .then_some(HeadKind::Request)
}

/// What the first bytes of a stream say about a head so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starts {
    /// A head of this kind starts here ([`looks_like_head`] agrees).
    Head(HeadKind),
    /// No head starts here.
    Not,
    /// Too few bytes to tell: a head could still start here.
    NeedMore,
}

/// The longest method and target a stream decoder waits for before it
/// decides that no request line starts here.
pub const MAX_START: usize = 8192;

/// [`looks_like_head`] for bytes that arrive in pieces: decides as soon as
/// the bytes allow, and then agrees with `looks_like_head` on any longer
/// input, so a decoder fed a byte at a time decides as one fed the whole.
/// A method and target longer than [`MAX_START`] together are not waited
/// for.
pub fn head_starts(bytes: &[u8]) -> Starts {
    const HTTP: &[u8] = b"HTTP/";
    if bytes.len() >= HTTP.len() && bytes.starts_with(HTTP) {
        return Starts::Head(HeadKind::Response);
    }
    let method = bytes.iter().take_while(|&&b| is_tchar(b)).count();
    let Some(rest) = bytes.get(method..).filter(|r| !r.is_empty()) else {
        return if method <= MAX_START {
            Starts::NeedMore
        } else {
            Starts::Not
        };
    };
    if method == 0 {
        return Starts::Not;
    }
    let Some(rest) = rest.strip_prefix(b" ") else {
        return Starts::Not;
    };
    let target = rest.iter().take_while(|&&b| b > b' ' && b != 0x7f).count();
    let Some(after) = rest.get(target..).filter(|r| !r.is_empty()) else {
        return if method + target <= MAX_START {
            Starts::NeedMore
        } else {
            Starts::Not
        };
    };
    if target == 0 {
        return Starts::Not;
    }
    let Some(version) = after.strip_prefix(b" ") else {
        return Starts::Not;
    };
    let n = version.len().min(HTTP.len());
    if !version[..n].eq_ignore_ascii_case(&HTTP[..n]) {
        Starts::Not
    } else if n < HTTP.len() {
        Starts::NeedMore
    } else {
        Starts::Head(HeadKind::Request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::{XorShift, FRAME, RFC_REQUEST, RFC_RESPONSE};

    #[test]
    fn heads_table() {
        use HeadKind::{Request, Response};
        let cases: &[(&[u8], Option<HeadKind>)] = &[
            (RFC_REQUEST.as_bytes(), Some(Request)),
            (RFC_RESPONSE.as_bytes(), Some(Response)),
            (b"GET /chat HTTP/1.1", Some(Request)),
            (b"GET /chat HTTP/", Some(Request)),
            // Any case in the method: the parser says it must be GET.
            (b"get /chat HTTP/1.1\nHost: a\n\n", Some(Request)),
            (b"Get / HTTP/1.0", Some(Request)),
            // Other methods and targets are still HTTP.
            (b"POST /upload HTTP/1.1", Some(Request)),
            (b"OPTIONS * HTTP/1.1", Some(Request)),
            (b"M-SEARCH * HTTP/1.1", Some(Request)),
            (b"GET ws://example.com/chat HTTP/1.1", Some(Request)),
            // Wrong but recognisable: the parser reports the exact byte.
            (b"GET /chat http/1.1", Some(Request)),
            (b"GET /chat HTTP/11", Some(Request)),
            (b"GET /caf\xc3\xa9 HTTP/1.1", Some(Request)),
            (b"HTTP/1.1 101 Switching Protocols\r\n", Some(Response)),
            (b"HTTP/1.0 400\n", Some(Response)),
            (b"HTTP/", Some(Response)),
            (b"HTTP/2 200", Some(Response)),
        ];
        for &(bytes, kind) in cases {
            assert_eq!(
                looks_like_head(bytes),
                kind,
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn not_heads_table() {
        let cases: &[&[u8]] = &[
            b"",
            // Cut short before the version: nothing to tell a head by.
            b"GET",
            b"GET ",
            b"GET /chat",
            b"GET /chat ",
            b"GET /chat HTTP",
            b"GET /chat\r\nHost: a\r\n\r\n",
            // Not the shape of a request line.
            b"GET  /chat HTTP/1.1",
            b" GET /chat HTTP/1.1",
            b"\r\nGET /chat HTTP/1.1",
            b"GET /chat\tHTTP/1.1",
            b"GET\t/chat HTTP/1.1",
            b"GET /ch\x00at HTTP/1.1",
            b"G\xc3\x89T /chat HTTP/1.1",
            b"(GET) /chat HTTP/1.1",
            // A status line's version is case-sensitive: nothing else marks it.
            b"http/1.1 101 Switching Protocols",
            b"HTTP 1.1 200 OK",
            // Frames: RFC 6455 §5.7's examples and MDN's.
            FRAME,
            b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
            b"\x01\x03Hel",
            b"\x80\x02lo",
            b"\x89\x05Hello",
            b"\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
            b"\x82\x7e\x01\x00",
            b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00",
            b"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d",
            b"\x88\x02\x03\xe8",
            // A frame carrying an HTTP request line is still a frame.
            b"\x81\x12GET / HTTP/1.1\r\n\r\n",
            // Other protocols and text.
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"SSH-2.0-OpenSSH_9.6\r\n",
            b"81 83 3d 54 23 06 70 10 6d",
            b"{\"type\":\"frame\"}",
        ];
        for &bytes in cases {
            assert_eq!(
                looks_like_head(bytes),
                None,
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn frames_are_not_heads_whatever_follows_their_first_byte() {
        // With no RSV bit set, or FIN and RSV1 (permessage-deflate), the
        // first byte is 0x00-0x0F, 0x80-0x8F or 0xC0-0xCF: never a token
        // character, never the 'H' of "HTTP/".
        let tails: &[&[u8]] = &[b"", b" /chat HTTP/1.1\r\n", b"TTP/1.1 101 OK\r\n", b"\x00"];
        for first in (0..=255u8).filter(|b| b & 0x70 == 0 || b & 0xf0 == 0xc0) {
            for tail in tails {
                let mut bytes = vec![first];
                bytes.extend_from_slice(tail);
                assert_eq!(looks_like_head(&bytes), None, "first byte {first:#04x}");
            }
        }
    }

    #[test]
    fn random_bytes_are_not_heads() {
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            assert_eq!(
                looks_like_head(&bytes),
                None,
                "{:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn prefixes_decide_as_the_whole_does() {
        let lines: &[&[u8]] = &[
            RFC_REQUEST.as_bytes(),
            RFC_RESPONSE.as_bytes(),
            b"get /chat HTTP/1.1\r\n",
            b"GET /chat http/1.1\r\n",
            b"GET /chat HTTX/1.1\r\n",
            b"GET  /chat HTTP/1.1\r\n",
            b"M-SEARCH * HTTP/1.1\r\n",
            b"HTTPS /x HTTP/1.1\r\n",
            b"\x81\x83\x3d\x54\x23\x06\x70\x10\x6d",
            b"GET /chat",
            b"",
        ];
        for line in lines {
            let whole = looks_like_head(line);
            for cut in 0..=line.len() {
                match head_starts(&line[..cut]) {
                    Starts::Head(k) => assert_eq!(
                        whole,
                        Some(k),
                        "{:?} cut {cut}",
                        line.escape_ascii().to_string()
                    ),
                    Starts::Not => assert_eq!(
                        whole,
                        None,
                        "{:?} cut {cut}",
                        line.escape_ascii().to_string()
                    ),
                    Starts::NeedMore => {}
                }
            }
        }
        assert_eq!(
            head_starts(b"GET /chat HTTP/"),
            Starts::Head(HeadKind::Request)
        );
        assert_eq!(head_starts(b"HTTP/"), Starts::Head(HeadKind::Response));
        assert_eq!(head_starts(b"HTTP"), Starts::NeedMore);
        assert_eq!(head_starts(b"\x81"), Starts::Not);
        assert_eq!(head_starts(&[b'A'; MAX_START + 1]), Starts::Not);
    }
}
