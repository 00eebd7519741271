//! Building handshake heads: a server's 101 answer or refusal, a client's
//! upgrade request, with CRLF line ends. Whatever the arguments, every head
//! built here parses back with
//! [`parse_request`](crate::protocol::http::parse_request) or
//! [`parse_response`](crate::protocol::http::parse_response).

use super::issue::Issue;
use super::key::accept_key;
use crate::protocol::http::{status_reason, Header, Request};
use crate::protocol::violation::Broken;

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
/// The status comes from the first issue (400 if there is none, or if it
/// has no 4xx/5xx status). The head carries `Allow: GET` for 405;
/// `Upgrade: websocket` for 426 (RFC 9110 §15.5.22 requires it);
/// `Sec-WebSocket-Version: 13` when any issue has status 426 (RFC 6455
/// §4.2.2); `Content-Type: text/plain; charset=utf-8`; `Content-Length`; and
/// `Connection: close` (`Connection: Upgrade, close` with 426, since a sender
/// of `Upgrade` must list it in `Connection`, RFC 9110 §7.8).
///
/// The body says what was wrong, one issue a line: its short reason and
/// its section, `no Sec-WebSocket-Key header (RFC 6455 §4.2.1)`. The
/// reasons are built here rather than the sentences `print` renders for
/// the operator: the body goes on the wire, and a reason quotes no byte
/// the peer sent, so nothing the peer wrote comes back to whoever reads
/// the answer.
pub fn build_refusal(issues: &[Issue]) -> Vec<u8> {
    let status = issues
        .first()
        .and_then(Issue::status)
        .filter(|s| (400..=599).contains(s))
        .unwrap_or(400);
    let mut body = String::new();
    for i in issues {
        body.push_str(&format!("{} ({})\n", i.reason(), i.section()));
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
    if issues.iter().any(|i| i.status() == Some(426)) {
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

#[cfg(test)]
mod tests {
    use super::super::{key_from_bytes, validate_request, validate_response, IssueKind};
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::http::LineEndings;

    fn rules(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(Issue::id).collect()
    }

    fn e(from: &str, to: &str) -> String {
        edit(RFC_REQUEST, from, to)
    }

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
        assert_eq!(
            body,
            b"Sec-WebSocket-Version is not 13, the only version (RFC 6455 \xc2\xa74.2.1)\n"
        );
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
            [
                "method is not GET; a WebSocket handshake requires GET (RFC 6455 §4.1)",
                "Sec-WebSocket-Key is 5 characters; a key is 24, base64 of 16 bytes (RFC 6455 §4.1)",
            ]
        );

        let (resp, _) = complete_response(&build_refusal(&[]));
        assert_eq!(resp.status, 400);
        let head_error = request_error(b"\x16\x03\x01");
        let refusal = build_refusal(&[Issue::request(IssueKind::BadHead(head_error))]);
        let (resp, len2) = complete_response(&refusal);
        assert_eq!(
            (resp.status, resp.reason.as_slice()),
            (400, &b"Bad Request"[..])
        );
        assert_eq!(
            &refusal[len2..],
            "byte 0 is 0x16: a TLS handshake (HTTPS/WSS) sent to a plain-text port (RFC 9112 §3)\n"
                .as_bytes()
        );
        // A response issue (no status) still yields a well-formed 400.
        let (resp, _) =
            complete_response(&build_refusal(&[Issue::response(IssueKind::MissingAccept)]));
        assert_eq!(resp.status, 400);
    }

    #[test]
    fn refusal_bodies_name_each_problem_and_echo_nothing() {
        // Whatever a request holds, the body names each issue's problem and
        // carries none of the request's own bytes. (The parser refuses
        // ESC and BEL in a head; C1 controls and bidi overrides pass.)
        let evil = "\u{9b}[2J\u{202e}EVIL";
        let cases = [
            (
                e("GET /chat", "GET EVIL"),
                vec!["request target is not a path"],
            ),
            (
                e("Upgrade: websocket", &format!("Upgrade: {evil}")),
                vec!["Upgrade header lacks the token websocket"],
            ),
            (
                e(
                    "Sec-WebSocket-Version: 13",
                    &format!("Sec-WebSocket-Version: {evil}"),
                ),
                vec!["Sec-WebSocket-Version is not 13"],
            ),
            (
                e(RFC_KEY, evil),
                vec!["character 0 of Sec-WebSocket-Key is not base64"],
            ),
            (
                e("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
                vec!["no Sec-WebSocket-Key header (RFC 6455 §4.2.1)"],
            ),
        ];
        for (text, says) in cases {
            let issues = validate_request(&complete_request(text.as_bytes()).0);
            assert_eq!(issues.len(), says.len(), "{text:?}: {issues:?}");
            let refusal = build_refusal(&issues);
            let (_, len) = complete_response(&refusal);
            let body = String::from_utf8(refusal[len..].to_vec()).unwrap();
            for s in says {
                assert!(body.contains(s), "{body}");
            }
            assert!(!body.contains(['\u{9b}', '\u{202e}']), "{body}");
            assert!(!body.contains("EVIL"), "{body}");
            assert!(body.lines().all(|l| l.ends_with(')')), "{body}");
        }
    }
}
