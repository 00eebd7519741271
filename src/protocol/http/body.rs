//! Where an HTTP/1.1 message body ends (RFC 9112 section 6): by its
//! `Content-Length`, by its chunked coding, by the end of the connection, or
//! not at all. A proxy that passes a keep-alive connection through
//! untouched needs this to find the next request and the next response in
//! the bytes; the bytes themselves are only counted, never changed.

use super::{Request, Response};

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding: chunks, a last chunk, trailers.
    Chunked,
    /// Everything until the sender ends the connection (responses only).
    UntilClose,
}

/// What makes a message's framing unknowable: a proxy cannot tell where it
/// ends, so it must not pass it on (RFC 9112 section 6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError(pub String);

/// How a request's body is delimited.
pub fn request_framing(req: &Request) -> Result<Framing, FramingError> {
    let chunked = transfer_chunked(&req.tokens("Transfer-Encoding"))?;
    match (
        chunked,
        content_length(req.headers_named("Content-Length"))?,
    ) {
        (Some(true), None) => Ok(Framing::Chunked),
        (Some(true), Some(_)) => Err(FramingError(
            "both Transfer-Encoding and Content-Length (a request smuggling pattern)".into(),
        )),
        (Some(false), _) => Err(FramingError(
            "a Transfer-Encoding that does not end in chunked: the request's length is unknown"
                .into(),
        )),
        (None, Some(n)) => Ok(if n == 0 {
            Framing::Empty
        } else {
            Framing::Length(n)
        }),
        (None, None) => Ok(Framing::Empty),
    }
}

/// How a response to a `method` request is delimited.
pub fn response_framing(method: &str, res: &Response) -> Result<Framing, FramingError> {
    if method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&res.status)
        || res.status == 204
        || res.status == 304
    {
        return Ok(Framing::Empty);
    }
    let chunked = transfer_chunked(&res.tokens("Transfer-Encoding"))?;
    match (
        chunked,
        content_length(res.headers_named("Content-Length"))?,
    ) {
        (Some(true), _) => Ok(Framing::Chunked),
        (Some(false), _) => Ok(Framing::UntilClose),
        (None, Some(0)) => Ok(Framing::Empty),
        (None, Some(n)) => Ok(Framing::Length(n)),
        (None, None) => Ok(Framing::UntilClose),
    }
}

/// Some(whether the last coding is chunked) when Transfer-Encoding is
/// there.
fn transfer_chunked(codings: &[String]) -> Result<Option<bool>, FramingError> {
    match codings.last() {
        None => Ok(None),
        Some(last) => Ok(Some(last.eq_ignore_ascii_case("chunked"))),
    }
}

/// The Content-Length, when there is one; several that differ, or one
/// that is not a number, is an error.
fn content_length<'a>(
    headers: impl Iterator<Item = &'a super::Header>,
) -> Result<Option<u64>, FramingError> {
    let mut found: Option<u64> = None;
    for h in headers {
        for part in h.value.split(|b| *b == b',') {
            let text = String::from_utf8_lossy(part);
            let t = text.trim();
            let n = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<u64>().ok()
            } else {
                None
            };
            let Some(n) = n else {
                return Err(FramingError(format!(
                    "Content-Length \"{}\" is not a number of bytes",
                    t.escape_debug()
                )));
            };
            if found.is_some_and(|f| f != n) {
                return Err(FramingError(
                    "Content-Length given twice with different values".into(),
                ));
            }
            found = Some(n);
        }
    }
    Ok(found)
}

/// A byte as a message shows it: `'x'` or `0x0D`.
fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02X}")
    }
}

/// The longest chunk-size line (with extensions) or trailer line taken.
const MAX_LINE: usize = 8 << 10;

/// Follows a body through its bytes as they come, telling how many belong
/// to it and when it has ended.
#[derive(Debug, Clone)]
pub struct Body {
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// This many bytes of a `Length` body, or of `UntilClose` (none: all).
    Left(u64),
    UntilClose,
    /// Chunked: in the size line (its length so far, the size, whether a
    /// digit came, whether the extensions started).
    Size {
        len: usize,
        size: u64,
        digits: bool,
        ext: bool,
    },
    /// The chunk's data, this many bytes left.
    Data(u64),
    /// The CR LF after a chunk's data (`cr`: the CR was seen).
    DataEnd {
        cr: bool,
    },
    /// A trailer line, this long so far (0: the line may be the empty one
    /// that ends the body).
    Trailer {
        len: usize,
    },
    Done,
}

/// A chunked body that is not well formed: where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError(pub String);

impl Body {
    /// Follows a body delimited as `framing`.
    pub fn new(framing: Framing) -> Self {
        let state = match framing {
            Framing::Empty => State::Done,
            Framing::Length(n) => State::Left(n),
            Framing::Chunked => State::Size {
                len: 0,
                size: 0,
                digits: false,
                ext: false,
            },
            Framing::UntilClose => State::UntilClose,
        };
        Self { state }
    }

    /// Whether the body has ended.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// How many of `bytes` (which follow what was fed before) belong to
    /// the body; fewer than all only when it ended within them.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<usize, BodyError> {
        let mut used = 0;
        while used < bytes.len() {
            let rest = &bytes[used..];
            match &mut self.state {
                State::Done => break,
                State::UntilClose => return Ok(bytes.len()),
                State::Left(n) | State::Data(n) => {
                    let take = (*n).min(rest.len() as u64);
                    *n -= take;
                    used += take as usize;
                    if *n == 0 {
                        self.state = match self.state {
                            State::Left(_) => State::Done,
                            _ => State::DataEnd { cr: false },
                        };
                    }
                }
                State::Size {
                    len,
                    size,
                    digits,
                    ext,
                } => {
                    let b = rest[0];
                    used += 1;
                    *len += 1;
                    if *len > MAX_LINE {
                        return Err(BodyError(format!(
                            "a chunk-size line longer than {MAX_LINE} bytes"
                        )));
                    }
                    match b {
                        b'\n' => {
                            if !*digits {
                                return Err(BodyError("a chunk-size line without a size".into()));
                            }
                            self.state = if *size == 0 {
                                State::Trailer { len: 0 }
                            } else {
                                State::Data(*size)
                            };
                        }
                        _ if *ext => {}
                        b';' | b' ' | b'\t' | b'\r' => *ext = true,
                        _ => {
                            let Some(d) = (b as char).to_digit(16) else {
                                return Err(BodyError(format!(
                                    "a chunk size holds {}, not a hex digit",
                                    describe(b)
                                )));
                            };
                            *size = size
                                .checked_mul(16)
                                .and_then(|s| s.checked_add(u64::from(d)))
                                .ok_or_else(|| BodyError("a chunk size beyond 2^64".into()))?;
                            *digits = true;
                        }
                    }
                }
                State::DataEnd { cr } => {
                    let b = rest[0];
                    used += 1;
                    match (b, *cr) {
                        (b'\r', false) => *cr = true,
                        (b'\n', _) => {
                            self.state = State::Size {
                                len: 0,
                                size: 0,
                                digits: false,
                                ext: false,
                            }
                        }
                        _ => {
                            return Err(BodyError(format!(
                                "a chunk's data is followed by {}, not CR LF",
                                describe(b)
                            )))
                        }
                    }
                }
                State::Trailer { len } => {
                    let b = rest[0];
                    used += 1;
                    match b {
                        b'\n' if *len == 0 => self.state = State::Done,
                        b'\n' => *len = 0,
                        // A CR alone on the line so far: still the empty line.
                        b'\r' if *len == 0 => {}
                        _ => {
                            *len += 1;
                            if *len > MAX_LINE {
                                return Err(BodyError(format!(
                                    "a trailer line longer than {MAX_LINE} bytes"
                                )));
                            }
                        }
                    }
                }
            }
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::http::{parse_request, parse_response, HeadParse};

    fn req(head: &str) -> Request {
        match parse_request(head.as_bytes(), 1 << 16) {
            Ok(HeadParse::Complete { head, .. }) => head,
            other => panic!("{other:?}"),
        }
    }

    fn res(head: &str) -> Response {
        match parse_response(head.as_bytes(), 1 << 16) {
            Ok(HeadParse::Complete { head, .. }) => head,
            other => panic!("{other:?}"),
        }
    }

    /// Feeds `bytes` one at a time (the hardest split) and all at once:
    /// both must agree on where the body ends.
    fn end_of(framing: Framing, bytes: &[u8]) -> Result<Option<usize>, BodyError> {
        let mut whole = Body::new(framing);
        let n = whole.feed(bytes)?;
        let mut single = Body::new(framing);
        let mut m = 0;
        for b in bytes {
            if single.done() {
                break;
            }
            m += single.feed(std::slice::from_ref(b))?;
        }
        assert_eq!((n, whole.done()), (m, single.done()));
        Ok(whole.done().then_some(n))
    }

    #[test]
    fn requests_are_framed_by_their_headers() {
        assert_eq!(
            request_framing(&req("GET / HTTP/1.1\r\nHost: a\r\n\r\n")),
            Ok(Framing::Empty)
        );
        assert_eq!(
            request_framing(&req(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n"
            )),
            Ok(Framing::Length(12))
        );
        assert_eq!(
            request_framing(&req(
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            )),
            Ok(Framing::Chunked)
        );
        for bad in [
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
        ] {
            assert!(request_framing(&req(bad)).is_err(), "{bad}");
        }
        // The same length twice is one length.
        assert_eq!(
            request_framing(&req("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n")),
            Ok(Framing::Length(3))
        );
    }

    #[test]
    fn responses_are_framed_by_method_status_and_headers() {
        let ok_len = res("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(response_framing("GET", &ok_len), Ok(Framing::Length(5)));
        assert_eq!(response_framing("HEAD", &ok_len), Ok(Framing::Empty));
        for status in ["204 No Content", "304 Not Modified", "100 Continue"] {
            let r = res(&format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\n"));
            assert_eq!(response_framing("GET", &r), Ok(Framing::Empty), "{status}");
        }
        assert_eq!(
            response_framing("GET", &res("HTTP/1.1 200 OK\r\n\r\n")),
            Ok(Framing::UntilClose)
        );
        assert_eq!(
            response_framing(
                "GET",
                &res("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n")
            ),
            Ok(Framing::Chunked)
        );
    }

    #[test]
    fn a_length_body_ends_after_its_bytes() {
        assert_eq!(end_of(Framing::Length(3), b"abcGET /"), Ok(Some(3)));
        assert_eq!(end_of(Framing::Length(3), b"ab"), Ok(None));
        assert_eq!(end_of(Framing::Empty, b"GET /"), Ok(Some(0)));
        assert_eq!(end_of(Framing::UntilClose, b"abc"), Ok(None));
    }

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers() {
        // RFC 9112's shape: sizes in hex, an extension, a trailer.
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
        let mut next = body.to_vec();
        next.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert_eq!(end_of(Framing::Chunked, &next), Ok(Some(body.len())));
        // Cut anywhere before the end, it has not ended.
        for cut in 0..body.len() {
            assert_eq!(end_of(Framing::Chunked, &body[..cut]), Ok(None), "{cut}");
        }
        // Bare LF line ends are taken too.
        assert_eq!(end_of(Framing::Chunked, b"1\na\n0\n\n"), Ok(Some(7)));
    }

    #[test]
    fn a_broken_chunked_body_says_what_is_wrong() {
        for (bad, says) in [
            (&b"zz\r\n"[..], "not a hex digit"),
            (b"\r\n", "without a size"),
            (b"1\r\nab\r\n", "not CR LF"),
            (b"fffffffffffffffff\r\n", "beyond 2^64"),
        ] {
            let e = end_of(Framing::Chunked, bad).unwrap_err();
            assert!(e.0.contains(says), "{e:?}");
        }
        let long = vec![b'1'; MAX_LINE + 1];
        assert!(Body::new(Framing::Chunked).feed(&long).is_err());
    }
}
