//! Checking the opening handshake against RFC 6455: a client's request
//! (§4.1, §4.2.1) as a server must, a server's response (§4.1) as a client
//! must. Each problem is an [`Issue`] with the status a server refuses with.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::key::{accept_key, check_key};
use super::WEBSOCKET_VERSION;
use crate::protocol::http::{
    all_named, first_named, list_elements, show, HeadError, Header, LineEndings, Request, Response,
};

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

/// Checks a client's opening handshake against RFC 6455 §4.1 / §4.2.1.
///
/// Returns nothing for a valid request. Issues come most decisive status first
/// (405, 505, 426, then 400), and in check order within a status, so the first
/// issue's status is the one to refuse with (see [`build_refusal`]). A request
/// that lacks `Upgrade` or `Connection` altogether is taken for plain HTTP and
/// gets 426 Upgrade Required; one that has them with the wrong tokens gets 400.
/// A missing or wrong `Sec-WebSocket-Version` gets 426, which tells the client
/// to retry with version 13 (§4.2.2).
///
/// [`build_refusal`]: super::build_refusal
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::http::parse_request;

    fn rules(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(|i| i.rule).collect()
    }

    #[test]
    fn rfc_heads_validate_clean() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        assert_eq!(validate_request(&req), []);
        let (resp, _) = complete_response(RFC_RESPONSE.as_bytes());
        assert_eq!(validate_response(&resp, Some(RFC_KEY)), []);
        assert_eq!(validate_response(&resp, None), []);
    }

    #[test]
    fn bare_lf_is_an_issue() {
        let text = RFC_REQUEST.replace("\r\n", "\n");
        let issues = validate_request(&complete_request(text.as_bytes()).0);
        assert_eq!(rules(&issues), ["bare-lf"]);
        assert_eq!(issues[0].status, 400);
        assert!(issues[0].message.contains("CRLF"), "{}", issues[0].message);

        let mixed = RFC_REQUEST.replacen("Upgrade: websocket\r\n", "Upgrade: websocket\n", 1);
        let (req, _) = complete_request(mixed.as_bytes());
        assert_eq!(rules(&validate_request(&req)), ["bare-lf"]);

        let lf_response = RFC_RESPONSE.replace("\r\n", "\n");
        let (resp, _) = complete_response(lf_response.as_bytes());
        assert_eq!(rules(&validate_response(&resp, Some(RFC_KEY))), ["bare-lf"]);
    }

    #[test]
    fn head_errors_become_refusal_issues() {
        let req = RFC_REQUEST.as_bytes();
        let e = parse_request(req, req.len() - 1).unwrap_err();
        assert!(e.too_large);
        let i = e.to_issue();
        assert_eq!((i.rule, i.status), ("head-too-large", 431));
        assert_eq!(i.message, e.to_string());
        for &(input, _, _) in JUNK_REQUESTS {
            let i = request_error(input).to_issue();
            assert_eq!((i.rule, i.status), ("malformed-head", 400));
        }
    }

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
}
