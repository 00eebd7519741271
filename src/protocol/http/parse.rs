//! The head parser: a request or status line, header lines, and the empty
//! line that ends the head, read from the start of a buffer.

use super::{
    is_tchar, trim_ows, HeadError, HeadKind, HeadParse, HeadPlace, HeadProblem, Header,
    LineEndings, Request, Response, VersionPart,
};

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
/// `max_head` when the head is too large ([`HeadProblem::TooLarge`]).
pub fn parse_request(buf: &[u8], max_head: usize) -> Result<HeadParse<Request>, HeadError> {
    parse_head(buf, max_head, HeadKind::Request, |s| {
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
    parse_head(buf, max_head, HeadKind::Response, |s| {
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
    head: HeadKind,
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
            problem: HeadProblem::TooLarge {
                head,
                limit: max_head,
            },
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

    fn fail<T>(&self, offset: usize, problem: HeadProblem) -> Result<T, Stop> {
        Err(Stop::Bad(HeadError { offset, problem }))
    }

    /// Fails at the cursor, on the byte there.
    fn unexpected<T>(&self, found: u8, at: HeadPlace) -> Result<T, Stop> {
        self.fail(self.pos, HeadProblem::Unexpected { found, at })
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
                Some(&b) => self.unexpected(b, HeadPlace::AfterCr),
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
    fn version(&mut self, head: HeadKind) -> Result<String, Stop> {
        let start = self.pos;
        for &want in b"HTTP/" {
            let b = self.peek()?;
            if b != want {
                let part = VersionPart::Prefix;
                return self.unexpected(b, HeadPlace::Version { head, part });
            }
            self.pos += 1;
        }
        for (want, part) in [
            (None, VersionPart::Major),
            (Some(b'.'), VersionPart::Dot),
            (None, VersionPart::Minor),
        ] {
            let b = self.peek()?;
            let ok = match want {
                Some(w) => b == w,
                None => b.is_ascii_digit(),
            };
            if !ok {
                return self.unexpected(b, HeadPlace::Version { head, part });
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
        return s.unexpected(b, HeadPlace::RequestStart);
    }
    if b != b' ' {
        return s.unexpected(b, HeadPlace::Method);
    }
    s.pos += 1;
    let target = s.take_while(|b| b.is_ascii_graphic())?;
    let b = s.peek()?;
    if target.is_empty() {
        return s.unexpected(b, HeadPlace::TargetStart);
    }
    if b != b' ' {
        return s.unexpected(b, HeadPlace::Target);
    }
    s.pos += 1;
    let version = s.version(HeadKind::Request)?;
    if !s.end_of_line()? {
        let b = s.peek()?;
        let head = HeadKind::Request;
        return s.unexpected(b, HeadPlace::AfterVersion { head });
    }
    Ok((ascii_string(method), ascii_string(target), version))
}

fn status_line(s: &mut Scanner<'_>) -> Result<(String, u16, Vec<u8>), Stop> {
    let version = s.version(HeadKind::Response)?;
    let b = s.peek()?;
    if b != b' ' {
        let head = HeadKind::Response;
        return s.unexpected(b, HeadPlace::AfterVersion { head });
    }
    s.pos += 1;
    let mut status: u16 = 0;
    for _ in 0..3 {
        let b = s.peek()?;
        if !b.is_ascii_digit() {
            return s.unexpected(b, HeadPlace::StatusCode);
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
        return s.unexpected(b, HeadPlace::AfterStatusCode);
    }
    s.pos += 1;
    let reason = s.take_while(is_field_text)?.to_vec();
    if !s.end_of_line()? {
        let b = s.peek()?;
        return s.unexpected(b, HeadPlace::Reason);
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
        let name = s.take_while(is_tchar)?;
        let b = s.peek()?;
        if name.is_empty() {
            // A space or tab here starts an obs-fold line (RFC 9112 §5.2),
            // a ':' a line with no name: both are refused.
            let first = headers.is_empty();
            return s.unexpected(b, HeadPlace::HeaderStart { first });
        }
        if b == b'\r' || b == b'\n' {
            let name = name.to_vec();
            return s.fail(s.pos, HeadProblem::NoColon { name });
        }
        if b != b':' {
            return s.unexpected(b, HeadPlace::HeaderName);
        }
        s.pos += 1;
        s.take_while(|b| b == b' ' || b == b'\t')?;
        let value = s.take_while(is_field_text)?;
        if !s.end_of_line()? {
            let b = s.peek()?;
            return s.unexpected(b, HeadPlace::HeaderValue);
        }
        headers.push(Header {
            name: ascii_string(name),
            value: trim_ows(value).to_vec(),
            offset: start,
        });
    }
}

/// HTAB, SP, visible ASCII or obs-text: what field values and reason phrases
/// may hold (RFC 9110 §5.5, RFC 9112 §4).
fn is_field_text(b: u8) -> bool {
    b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80
}

fn ascii_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::protocol::fixtures::*;

    #[test]
    fn rfc_request_parses() {
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
    }

    #[test]
    fn rfc_response_parses() {
        let (resp, len) = complete_response(RFC_RESPONSE.as_bytes());
        assert_eq!(len, RFC_RESPONSE.len());
        assert_eq!(resp.version, "HTTP/1.1");
        assert_eq!(resp.status, 101);
        assert_eq!(resp.reason, b"Switching Protocols");
        assert_eq!(resp.headers.len(), 4);
        assert_eq!(resp.tokens("sec-websocket-protocol"), ["chat"]);
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

        let mixed = RFC_REQUEST.replacen("Upgrade: websocket\r\n", "Upgrade: websocket\n", 1);
        let (req, _) = complete_request(mixed.as_bytes());
        assert_eq!(req.line_endings, LineEndings::Mixed);

        let lf_response = RFC_RESPONSE.replace("\r\n", "\n");
        let (resp, len) = complete_response(lf_response.as_bytes());
        assert_eq!(len, lf_response.len());
        assert_eq!(resp.line_endings, LineEndings::Lf);
    }

    #[test]
    fn head_size_limit() {
        let req = RFC_REQUEST.as_bytes();
        let n = req.len();
        assert!(matches!(parse_request(req, n), Ok(HeadParse::Complete { len, .. }) if len == n));
        let e = parse_request(req, n - 1).unwrap_err();
        assert_eq!(e.offset, n - 1);
        assert!(e.too_large());
        assert_eq!(
            e.problem,
            HeadProblem::TooLarge {
                head: HeadKind::Request,
                limit: n - 1
            }
        );
        // Under the limit and unfinished: keep reading.
        assert_eq!(parse_request(&req[..50], 64), Ok(HeadParse::Partial));
        // A head that never ends is cut off at the limit, not read forever.
        let mut endless = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
        endless.resize(10_000, b'a');
        let e = parse_request(&endless, 64).unwrap_err();
        assert_eq!(e.offset, 64);
        assert_eq!(
            e.problem,
            HeadProblem::TooLarge {
                head: HeadKind::Request,
                limit: 64
            }
        );
        let e = parse_response(&endless, 100).unwrap_err();
        assert!(!e.too_large(), "a request line is no status line: {e:?}");
        let mut endless = b"HTTP/1.1 101 OK\r\nX: ".to_vec();
        endless.resize(200, b'a');
        let e = parse_response(&endless, 100).unwrap_err();
        assert_eq!(
            e.problem,
            HeadProblem::TooLarge {
                head: HeadKind::Response,
                limit: 100
            }
        );
        // The limit does not depend on how the bytes arrived: extra bytes past
        // it do not turn a refused head into an accepted one.
        let mut wire = req.to_vec();
        wire.extend_from_slice(FRAME);
        assert!(parse_request(&wire, n - 1).is_err());
    }

    #[test]
    fn junk_is_rejected_early_with_its_offset() {
        for j in junk_requests() {
            let e = request_error(j.input);
            let input = j.input.escape_ascii().to_string();
            assert_eq!(e.offset, j.offset, "offset for {input:?}: {e:?}");
            assert_eq!(e.problem, j.problem, "problem for {input:?}");
            assert!(!e.too_large());
        }

        use HeadPlace::*;
        let response = HeadKind::Response;
        let at = |found: u8, at: HeadPlace| Some(HeadProblem::Unexpected { found, at });
        let response_cases: &[(&[u8], usize, Option<HeadProblem>)] = &[
            (
                b"GET / HTTP/1.1\r\n",
                0,
                at(
                    b'G',
                    Version {
                        head: response,
                        part: VersionPart::Prefix,
                    },
                ),
            ),
            (b"HTTP/1.1 abc", 9, at(b'a', StatusCode)),
            (b"HTTP/1.1 10", 0, None),
            (b"HTTP/1.1 1011", 12, at(b'1', AfterStatusCode)),
            (b"HTTP/1.1 101 Switching\x01", 22, at(1, Reason)),
            (b"HTTP/1.1  101", 9, at(b' ', StatusCode)),
            (b"HTTP/1.1x", 8, at(b'x', AfterVersion { head: response })),
            (
                b"HTTP/1.x",
                7,
                at(
                    b'x',
                    Version {
                        head: response,
                        part: VersionPart::Minor,
                    },
                ),
            ),
        ];
        for (input, offset, problem) in response_cases {
            let shown = input.escape_ascii().to_string();
            match (parse_response(input, BIG), problem) {
                (Ok(HeadParse::Partial), None) => {}
                (Err(e), Some(problem)) => {
                    assert_eq!(e.offset, *offset, "offset for {shown:?}: {e:?}");
                    assert_eq!(&e.problem, problem, "problem for {shown:?}");
                }
                (other, _) => panic!("{shown:?}: {other:?}"),
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

    /// What must hold for any input: a complete head parses the same from
    /// its own bytes and is partial one byte short; an error is found as
    /// soon as the offending byte (and, for a lone CR, the byte after it)
    /// arrived; partial only under the limit.
    fn check_parser_invariants(buf: &[u8], max: usize) -> (bool, bool) {
        let request = parse_request(buf, max);
        match &request {
            Ok(HeadParse::Complete { len, .. }) => {
                assert!(*len <= buf.len() && *len <= max);
                assert_eq!(parse_request(&buf[..*len], max), request);
                assert_eq!(parse_request(&buf[..*len - 1], max), Ok(HeadParse::Partial));
            }
            Ok(HeadParse::Partial) => assert!(buf.len() < max),
            Err(e) => {
                assert!(e.offset <= buf.len());
                let cut = (e.offset + 2).min(buf.len());
                assert_eq!(parse_request(&buf[..cut], max), request);
            }
        }
        let response = parse_response(buf, max);
        match &response {
            Ok(HeadParse::Complete { len, .. }) => {
                assert!(*len <= buf.len() && *len <= max);
                assert_eq!(parse_response(&buf[..*len], max), response);
                assert_eq!(
                    parse_response(&buf[..*len - 1], max),
                    Ok(HeadParse::Partial)
                );
            }
            Ok(HeadParse::Partial) => assert!(buf.len() < max),
            Err(e) => {
                assert!(e.offset <= buf.len());
                let cut = (e.offset + 2).min(buf.len());
                assert_eq!(parse_response(&buf[..cut], max), response);
            }
        }
        (
            matches!(request, Ok(HeadParse::Complete { .. })),
            request.is_err(),
        )
    }

    #[test]
    fn mutated_heads_keep_the_parser_invariants() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut request = RFC_REQUEST.as_bytes().to_vec();
        request.extend_from_slice(FRAME);
        let mut response = RFC_RESPONSE.as_bytes().to_vec();
        response.extend_from_slice(FRAME);
        let (mut complete, mut errors) = (0, 0);
        for round in 0..4000 {
            let base = if round % 2 == 0 { &request } else { &response };
            let buf = mutate(&mut rng, base.clone());
            for max in [BIG, 64, buf.len(), rng.below(buf.len() + 2)] {
                let (c, e) = check_parser_invariants(&buf, max);
                if max == BIG {
                    complete += usize::from(c);
                    errors += usize::from(e);
                }
            }
        }
        for _ in 0..500 {
            let buf: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            check_parser_invariants(&buf, BIG);
        }
        // The mutations reached both outcomes, so the loop tested something.
        assert!(
            complete > 100 && errors > 100,
            "complete {complete}, errors {errors}"
        );
    }
}
