//! Building handshake heads: a server's 101 answer or refusal, a client's
//! upgrade request, with CRLF line ends. Whatever the arguments, every head
//! built here parses back with
//! [`parse_request`](crate::protocol::http::parse_request) or
//! [`parse_response`](crate::protocol::http::parse_response).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

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
    build_response_with(req, protocol, None)
}

/// [`build_response`] with a `Sec-WebSocket-Extensions` value (the
/// extensions agreed to), control characters left out.
pub fn build_response_with(
    req: &Request,
    protocol: Option<&str>,
    extensions: Option<&str>,
) -> Vec<u8> {
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
    if let Some(ext) = extensions {
        let ext: String = ext.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&format!("Sec-WebSocket-Extensions: {}\r\n", ext.trim()));
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

/// The answer to a plain GET of the test page: 200 with `html` as the body
/// and headers that keep it to itself: `Content-Type: text/html;
/// charset=utf-8`, `Content-Length`, `Cache-Control: no-store`,
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
/// `Connection: close`, and the [`page_policy`] of `html` as
/// `Content-Security-Policy`.
pub fn build_page(html: &str) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Content-Security-Policy: {}\r\n\
         Cache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\n\
         Connection: close\r\n\r\n",
        html.len(),
        page_policy(html)
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(html.as_bytes());
    out
}

/// The answer to a plain GET of any path but the page's: 404 with a short
/// plain-text body that quotes nothing of the request.
pub fn build_not_found() -> Vec<u8> {
    let body = "not found: this wsdbg server has its test page at / and takes \
                WebSocket connections on any path\n";
    format!(
        "HTTP/1.1 404 Not Found\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Cache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The Content-Security-Policy for a page: nothing is allowed
/// (`default-src 'none'`) but its own inline `<script>` and `<style>`
/// blocks, each by the SHA-256 of its exact text (so an injected script
/// never runs, nor an attribute handler, nor a `style=`), and connections
/// back to its own origin (`connect-src 'self'`, which CSP Level 3 lets
/// match `ws:`/`wss:` to the same host and port). No `<base>`, no form
/// submission, no framing, and no HTML parsed from strings at all
/// (`require-trusted-types-for 'script'` with no policy allowed: assigning
/// `innerHTML` throws).
///
/// The blocks are found by their lower-case tags, `<script>` or
/// `<script ...>` up to `</script>`, likewise `<style>`; a page with none
/// of a kind gets `'none'` for it.
pub fn page_policy(html: &str) -> String {
    let sources = |tag: &str| -> String {
        let hashes: Vec<String> = inline_blocks(html, tag)
            .map(|block| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(block))))
            .collect();
        if hashes.is_empty() {
            "'none'".to_string()
        } else {
            hashes.join(" ")
        }
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
         require-trusted-types-for 'script'; trusted-types 'none'",
        sources("script"),
        sources("style")
    )
}

/// The text of each `<tag>` (or `<tag attributes>`) block of `html`, up to
/// its `</tag>`.
fn inline_blocks<'a>(html: &'a str, tag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let at = rest.find(&open)?;
        let after = &rest[at + open.len()..];
        // `<scripts>` or `<style-x>` is another tag.
        if !after.starts_with(['>', ' ', '\t', '\n', '\r']) {
            rest = after;
            continue;
        }
        let start = after.find('>')? + 1;
        let body = &after[start..];
        let end = body.find(&close)?;
        rest = &body[end + close.len()..];
        return Some(&body[..end]);
    })
}

/// A client's upgrade request: `GET path`, `Host`, `Upgrade`, `Connection`,
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`, CRLF line endings.
///
/// An empty path becomes `/`; bytes of `path` outside visible ASCII are
/// percent-encoded, and anything but visible ASCII is dropped from `host`
/// and `key`, so the head stays well-formed whatever the arguments.
pub fn build_request(host: &str, path: &str, key: &str) -> Vec<u8> {
    build_request_with(host, path, key, &[])
}

/// [`build_request`] with more headers after the standard ones (a
/// subprotocol offer, an Origin, cookies...). Bytes that could end a line
/// or the head (CR, LF and other controls) are left out of names and
/// values, so a header can never inject another.
pub fn build_request_with(
    host: &str,
    path: &str,
    key: &str,
    extra: &[(String, String)],
) -> Vec<u8> {
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
    let mut head = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n",
        visible(host),
        visible(key)
    );
    for (name, value) in extra {
        let value: String = value
            .chars()
            .filter(|c| *c == ' ' || *c == '\t' || !c.is_control())
            .collect();
        head.push_str(&format!("{}: {}\r\n", visible(name), value.trim()));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// A client's upgrade request as a proxy sends it upstream: `target` and
/// `host` in place of the client's, every other header as the client sent
/// it, in its order.
pub fn build_forwarded_request(req: &Request, target: &str, host: &str) -> Vec<u8> {
    let visible = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_graphic()).collect() };
    let mut out = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\n",
        visible(target),
        visible(host)
    )
    .into_bytes();
    for h in req
        .headers
        .iter()
        .filter(|h| !h.name.eq_ignore_ascii_case("Host"))
    {
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend(
            h.value
                .iter()
                .copied()
                .filter(|b| *b == b'\t' || *b >= 0x20),
        );
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
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
    fn a_forwarded_request_keeps_the_headers_and_changes_host_and_target() {
        let client = b"GET /chat?x=1 HTTP/1.1\r\nHost: proxy:8081\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Version: 13\r\nCookie: a=\xff\r\n\r\n";
        let (req, _) = complete_request(client);
        let built = build_forwarded_request(&req, "/base/chat?x=1", "upstream:9001");
        let (up, len) = complete_request(&built);
        assert_eq!(len, built.len());
        assert_eq!(up.target, "/base/chat?x=1");
        assert_eq!(
            up.header("Host").map(|h| h.value.as_slice()),
            Some(&b"upstream:9001"[..])
        );
        assert_eq!(
            up.headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("host"))
                .count(),
            1
        );
        let names: Vec<&str> = up.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "Upgrade",
                "Connection",
                "Sec-WebSocket-Key",
                "Origin",
                "Sec-WebSocket-Version",
                "Cookie"
            ]
        );
        assert_eq!(
            up.header("Cookie").map(|h| h.value.as_slice()),
            Some(&b"a=\xff"[..])
        );
        assert!(validate_request(&up).is_empty());
    }

    #[test]
    fn extra_headers_follow_and_cannot_inject() {
        let key = key_from_bytes([7; 16]);
        let extra = vec![
            (
                "Sec-WebSocket-Protocol".to_string(),
                "chat, superchat".to_string(),
            ),
            (
                "Origin".to_string(),
                "http://example.com\r\nX-Injected: 1".to_string(),
            ),
            ("X Bad\r\nName".to_string(), " v ".to_string()),
        ];
        let built = build_request_with("h", "/", &key, &extra);
        let (req, len) = complete_request(&built);
        assert_eq!(len, built.len());
        assert!(validate_request(&req).is_empty());
        assert_eq!(
            req.header("Sec-WebSocket-Protocol")
                .map(|h| h.value.as_slice()),
            Some(&b"chat, superchat"[..])
        );
        assert_eq!(
            req.header("Origin").map(|h| h.value.as_slice()),
            Some(&b"http://example.comX-Injected: 1"[..])
        );
        assert!(req.header("X-Injected").is_none());
        assert_eq!(
            req.header("XBadName").map(|h| h.value.as_slice()),
            Some(&b"v"[..])
        );
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

    /// A page like the real one: a style and a script block.
    const PAGE: &str = "<!doctype html>\n<style>\n  b { color: red; }\n</style>\n<p>hi</p>\n\
                        <script>\n\"use strict\";\n</script>\n";

    fn sha256_source(block: &str) -> String {
        format!("'sha256-{}'", STANDARD.encode(Sha256::digest(block)))
    }

    #[test]
    fn build_page_carries_the_page_and_a_policy_that_admits_only_its_blocks() {
        let built = build_page(PAGE);
        let (resp, len) = complete_response(&built);
        assert_eq!((resp.status, resp.reason.as_slice()), (200, &b"OK"[..]));
        assert_eq!(resp.line_endings, LineEndings::Crlf);
        assert_eq!(&built[len..], PAGE.as_bytes());
        let header = |name: &str| {
            let h = resp.header(name).unwrap_or_else(|| panic!("no {name}"));
            String::from_utf8(h.value.clone()).unwrap()
        };
        assert_eq!(header("Content-Type"), "text/html; charset=utf-8");
        assert_eq!(header("Content-Length"), PAGE.len().to_string());
        assert_eq!(header("Cache-Control"), "no-store");
        assert_eq!(header("X-Content-Type-Options"), "nosniff");
        assert_eq!(header("Referrer-Policy"), "no-referrer");
        assert_eq!(header("Connection"), "close");
        let csp = header("Content-Security-Policy");
        let directives: Vec<&str> = csp.split("; ").collect();
        // The hashes of the exact text between the tags, as `openssl dgst
        // -sha256 -binary | base64` gives them.
        let script = "'sha256-UMiZTiQr0FF55ddnk1Z5lOwLZaLuS6v607IsXWuuzbo='";
        let style = "'sha256-pJ0CxnYwt3ZpmB5f3z5PH1ojDPlEVXq5sMzXNwO48sM='";
        assert_eq!(
            directives,
            [
                "default-src 'none'",
                &format!("script-src {script}"),
                &format!("style-src {style}"),
                "connect-src 'self'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
                "require-trusted-types-for 'script'",
                "trusted-types 'none'",
            ]
        );
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[test]
    fn page_policy_finds_every_block_and_only_blocks() {
        let html = "<script>a</script><scripts>no</scripts><script type=\"module\">b</script>\
                    <style media=\"print\">c</style><script>unclosed";
        let csp = page_policy(html);
        assert!(
            csp.contains(&format!(
                "script-src {} {};",
                sha256_source("a"),
                sha256_source("b")
            )),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src {};", sha256_source("c"))),
            "{csp}"
        );
        let none = page_policy("<p>no script</p>");
        assert!(
            none.contains("script-src 'none'; style-src 'none';"),
            "{none}"
        );
    }

    #[test]
    fn build_not_found_is_a_short_text_404() {
        let built = build_not_found();
        let (resp, len) = complete_response(&built);
        assert_eq!(resp.status, 404);
        assert_eq!(resp.reason, b"Not Found");
        assert_eq!(
            resp.header("Content-Type").unwrap().value,
            b"text/plain; charset=utf-8"
        );
        let body = &built[len..];
        assert_eq!(
            resp.header("Content-Length").unwrap().value,
            body.len().to_string().as_bytes()
        );
        assert!(body.starts_with(b"not found: "), "{}", body.escape_ascii());
        assert_eq!(resp.tokens("Connection"), ["close"]);
    }
}
