//! Checking the opening handshake against RFC 6455: a client's request
//! (§4.1, §4.2.1) as a server must, a server's response (§4.1) as a client
//! must. Each problem is an [`Issue`] with the status a server refuses with.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::issue::{Issue, IssueKind};
use super::key::{accept_key, check_key};
use super::WEBSOCKET_VERSION;
use crate::protocol::http::{
    all_named, first_named, list_elements, Header, LineEndings, Request, Response,
};

/// Whether `req` is a plain HTTP GET, such as a browser's for a page,
/// rather than an attempt at the opening handshake: method `GET` with
/// neither an `Upgrade` nor a `Sec-WebSocket-Key` header. A request that
/// has a key but lacks `Upgrade` is a handshake gone wrong, and is better
/// told so (426, [`validate_request`]) than answered with a page.
pub fn is_plain_get(req: &Request) -> bool {
    req.method == "GET"
        && req.header("Upgrade").is_none()
        && req.header("Sec-WebSocket-Key").is_none()
}

/// The path of a request target, without its query (and a fragment, which
/// a client should not send): `/a/b?x=1` gives `/a/b`. A target that is
/// not a path (`*`, `http://host/`) is given whole.
pub fn target_path(target: &str) -> &str {
    if !target.starts_with('/') {
        return target;
    }
    target.split(['?', '#']).next().unwrap_or(target)
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
    use IssueKind::*;
    let h = &req.headers;
    let mut kinds = Vec::new();

    if req.method != "GET" {
        kinds.push(MethodNotGet {
            method: req.method.clone(),
        });
    }
    if !version_at_least_1_1(&req.version) {
        kinds.push(HttpVersion {
            version: req.version.clone(),
        });
    }
    let target = req.target.to_ascii_lowercase();
    if !(target.starts_with('/')
        || ["http://", "https://", "ws://", "wss://"]
            .iter()
            .any(|scheme| target.starts_with(scheme)))
    {
        kinds.push(BadTarget {
            target: req.target.clone(),
        });
    }
    match req.line_endings {
        LineEndings::Crlf => {}
        LineEndings::Lf => kinds.push(BareLf { mixed: false }),
        LineEndings::Mixed => kinds.push(BareLf { mixed: true }),
    }

    match all_named(h, "Host").count() {
        0 => kinds.push(MissingHost),
        1 => {}
        count => kinds.push(DuplicateHost { count }),
    }

    check_upgrade_tokens(&mut kinds, h);

    let versions: Vec<&Header> = all_named(h, "Sec-WebSocket-Version").collect();
    if versions.is_empty() {
        kinds.push(MissingVersion);
    }
    if versions.len() > 1 {
        kinds.push(DuplicateVersion {
            count: versions.len(),
        });
    }
    if versions
        .iter()
        .any(|v| v.value != WEBSOCKET_VERSION.as_bytes())
    {
        kinds.push(BadVersion {
            values: values(h, "Sec-WebSocket-Version"),
        });
    }

    let keys: Vec<&Header> = all_named(h, "Sec-WebSocket-Key").collect();
    match keys.first() {
        None => kinds.push(MissingKey),
        Some(first) => {
            if keys.len() > 1 {
                kinds.push(DuplicateKey { count: keys.len() });
            }
            if let Err(problem) = check_key(&first.value_lossy()) {
                kinds.push(BadKey {
                    key: first.value.clone(),
                    problem,
                });
            }
        }
    }

    let mut issues: Vec<Issue> = kinds.into_iter().map(Issue::request).collect();
    issues.sort_by_key(|i| status_rank(i.status()));
    issues
}

/// Checks a server's answer to the opening handshake, as a client must
/// (RFC 6455 §4.1, "the client MUST validate the server's response").
///
/// `key` is the request's `Sec-WebSocket-Key`, if known; without it the
/// accept value is only checked to look like a base64 SHA-1 digest. When the
/// status is not 101 the header checks are skipped (a refusal has no reason to
/// carry them). Whether `Sec-WebSocket-Extensions` / `Sec-WebSocket-Protocol`
/// were requested cannot be known here; see [`Response::tokens`]. No issue
/// has a status: a client fails the connection instead of answering.
pub fn validate_response(resp: &Response, key: Option<&str>) -> Vec<Issue> {
    use IssueKind::*;
    let h = &resp.headers;
    let mut kinds = Vec::new();

    if resp.version != "HTTP/1.1" {
        kinds.push(HttpVersion {
            version: resp.version.clone(),
        });
    }
    match resp.line_endings {
        LineEndings::Crlf => {}
        LineEndings::Lf => kinds.push(BareLf { mixed: false }),
        LineEndings::Mixed => kinds.push(BareLf { mixed: true }),
    }
    if resp.status != 101 {
        kinds.push(StatusNot101 {
            status: resp.status,
            reason: resp.reason.clone(),
            version: first_named(h, "Sec-WebSocket-Version").map(|v| v.value.clone()),
        });
        return kinds.into_iter().map(Issue::response).collect();
    }

    check_upgrade_tokens(&mut kinds, h);

    let accepts: Vec<&Header> = all_named(h, "Sec-WebSocket-Accept").collect();
    match accepts.first() {
        None => kinds.push(MissingAccept),
        Some(first) => {
            if accepts.len() > 1 {
                kinds.push(DuplicateAccept {
                    count: accepts.len(),
                });
            }
            match key {
                Some(key) => {
                    let expected = accept_key(key);
                    if first.value != expected.as_bytes() {
                        kinds.push(BadAccept {
                            got: first.value.clone(),
                            expected,
                            key: key.trim().to_owned(),
                        });
                    }
                }
                None => {
                    if STANDARD.decode(&first.value).map(|d| d.len()).ok() != Some(20) {
                        kinds.push(AcceptNotDigest {
                            got: first.value.clone(),
                        });
                    }
                }
            }
        }
    }
    kinds.into_iter().map(Issue::response).collect()
}

/// `Upgrade: websocket` and `Connection: Upgrade`, each a token in a
/// comma-separated list (case-insensitive).
fn check_upgrade_tokens(kinds: &mut Vec<IssueKind>, h: &[Header]) {
    type Bad = fn(Vec<Vec<u8>>) -> IssueKind;
    let rules: [(&str, &str, IssueKind, Bad); 2] = [
        (
            "Upgrade",
            "websocket",
            IssueKind::MissingUpgrade,
            |values| IssueKind::BadUpgrade { values },
        ),
        (
            "Connection",
            "Upgrade",
            IssueKind::MissingConnection,
            |values| IssueKind::BadConnection { values },
        ),
    ];
    for (header, token, missing, bad) in rules {
        if first_named(h, header).is_none() {
            kinds.push(missing);
        } else if !list_elements(h, header).any(|t| t.eq_ignore_ascii_case(token.as_bytes())) {
            kinds.push(bad(values(h, header)));
        }
    }
}

/// The raw value of every header with this name, in order.
fn values(headers: &[Header], name: &str) -> Vec<Vec<u8>> {
    all_named(headers, name).map(|h| h.value.clone()).collect()
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

fn status_rank(status: Option<u16>) -> u8 {
    match status {
        Some(405) => 0,
        Some(505) => 1,
        Some(426) => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::handshake::KeyProblem;
    use crate::protocol::violation::Broken;

    fn rules(issues: &[Issue]) -> Vec<&'static str> {
        issues.iter().map(Broken::id).collect()
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
        assert_eq!(issues, [Issue::request(IssueKind::BareLf { mixed: false })]);
        assert_eq!(issues[0].status(), Some(400));

        let mixed = RFC_REQUEST.replacen("Upgrade: websocket\r\n", "Upgrade: websocket\n", 1);
        let (req, _) = complete_request(mixed.as_bytes());
        assert_eq!(
            validate_request(&req),
            [Issue::request(IssueKind::BareLf { mixed: true })]
        );

        let lf_response = RFC_RESPONSE.replace("\r\n", "\n");
        let (resp, _) = complete_response(lf_response.as_bytes());
        let issues = validate_response(&resp, Some(RFC_KEY));
        assert_eq!(
            issues,
            [Issue::response(IssueKind::BareLf { mixed: false })]
        );
        assert_eq!(issues[0].status(), None);
    }

    macro_rules! request_rules {
        ($($text:expr => [$($rule:literal),* $(,)?] status $status:literal;)*) => {$({
            let text: String = $text;
            let (req, _) = complete_request(text.as_bytes());
            let issues = validate_request(&req);
            let expected: &[&str] = &[$($rule),*];
            assert_eq!(rules(&issues), expected, "rules for {text:?}: {issues:#?}");
            assert_eq!(issues.first().map_or(0, |i| i.status().unwrap()), $status, "status for {text:?}");
            for i in &issues {
                assert!(i.section().starts_with("RFC "), "{i:?}");
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

    /// Each request rule broken alone, from RFC 6455's own request: its
    /// id, status, section and the header it marks.
    #[test]
    #[rustfmt::skip]
    fn request_issue_numbers() {
        const V: &str = "Sec-WebSocket-Version";
        const K: &str = "Sec-WebSocket-Key";
        let cases: &[(String, &str, u16, &str, Option<&str>)] = &[
            (e("GET /chat", "POST /chat"), "method-not-get", 405, "RFC 6455 §4.1", None),
            (e("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"), "http-version", 505, "RFC 6455 §4.1", None),
            (e("GET /chat", "GET *"), "bad-target", 400, "RFC 6455 §4.1", None),
            (RFC_REQUEST.replace("\r\n", "\n"), "bare-lf", 400, "RFC 9112 §2.2", None),
            (e("Host: server.example.com\r\n", ""), "missing-host", 400, "RFC 6455 §4.1", Some("Host")),
            (e("Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"), "duplicate-host", 400, "RFC 9112 §3.2", Some("Host")),
            (e("Upgrade: websocket\r\n", ""), "missing-upgrade", 426, "RFC 6455 §4.2.1", Some("Upgrade")),
            (e("Upgrade: websocket", "Upgrade: h2c"), "bad-upgrade", 400, "RFC 6455 §4.2.1", Some("Upgrade")),
            (e("Connection: Upgrade\r\n", ""), "missing-connection", 426, "RFC 6455 §4.2.1", Some("Connection")),
            (e("Connection: Upgrade", "Connection: close"), "bad-connection", 400, "RFC 6455 §4.2.1", Some("Connection")),
            (e("Sec-WebSocket-Version: 13\r\n", ""), "missing-version", 426, "RFC 6455 §4.2.1", Some(V)),
            (e("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13"), "duplicate-version", 400, "RFC 6455 §11.3.5", Some(V)),
            (e("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), "bad-version", 426, "RFC 6455 §4.2.1", Some(V)),
            (e("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), "missing-key", 400, "RFC 6455 §4.2.1", Some(K)),
            (e("Origin", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin"), "duplicate-key", 400, "RFC 6455 §11.3.1", Some(K)),
            (e(RFC_KEY, "dGhlIHNhbXBsZQ=="), "bad-key", 400, "RFC 6455 §4.1", Some(K)),
        ];
        for (text, id, status, section, header) in cases {
            let issues = validate_request(&complete_request(text.as_bytes()).0);
            let [i] = issues.as_slice() else {
                panic!("one issue expected for {text:?}: {issues:#?}");
            };
            assert_eq!(
                (i.id(), i.status(), i.section(), i.header()),
                (*id, Some(*status), *section, *header),
                "{text:?}"
            );
        }
    }

    #[test]
    fn request_issues_carry_what_was_sent() {
        use IssueKind::*;
        let issues = |text: String| validate_request(&complete_request(text.as_bytes()).0);
        assert_eq!(
            issues(e("GET /chat", "POST /chat"))[0].kind,
            MethodNotGet {
                method: "POST".into()
            }
        );
        assert_eq!(
            issues(e("HTTP/1.1\r\nHost", "HTTP/1.0\r\nHost"))[0].kind,
            HttpVersion {
                version: "HTTP/1.0".into()
            }
        );
        assert_eq!(
            issues(e("GET /chat", "GET *"))[0].kind,
            BadTarget { target: "*".into() }
        );
        assert_eq!(
            issues(e(
                "Upgrade: websocket",
                "Upgrade: h2c\r\nUpgrade: \"wéb\"\t"
            ))[0]
                .kind,
            BadUpgrade {
                values: vec![b"h2c".to_vec(), "\"w\u{e9}b\"".as_bytes().to_vec()]
            }
        );
        assert_eq!(
            issues(e("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"))[0].kind,
            BadVersion {
                values: vec![b"8".to_vec()]
            }
        );
        assert_eq!(
            issues(e(RFC_KEY, "dGhlIHNhbXBsZQ=="))[0].kind,
            BadKey {
                key: b"dGhlIHNhbXBsZQ==".to_vec(),
                problem: KeyProblem::WrongLength { decoded: 10 }
            }
        );
        assert_eq!(
            issues(e(
                "Host: server.example.com\r\n",
                "Host: a\r\nHost: b\r\nHost: c\r\n"
            ))[0]
                .kind,
            DuplicateHost { count: 3 }
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
        use IssueKind::*;
        let check = |text: String, key: Option<&str>| -> Vec<Issue> {
            let issues = validate_response(&complete_response(text.as_bytes()).0, key);
            assert!(issues.iter().all(|i| i.status().is_none()));
            issues
        };
        let r = |from: &str, to: &str| edit(RFC_RESPONSE, from, to);

        let i = check(
            r("101 Switching Protocols", "404 Not \"Found\"é"),
            Some(RFC_KEY),
        );
        assert_eq!(
            i,
            [Issue::response(StatusNot101 {
                status: 404,
                reason: "Not \"Found\"é".as_bytes().to_vec(),
                version: None
            })]
        );
        let i = check(
            "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n".to_owned(),
            None,
        );
        assert_eq!(
            i[0].kind,
            StatusNot101 {
                status: 426,
                reason: b"Upgrade Required".to_vec(),
                version: Some(b"13".to_vec())
            }
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

        // Right for another key: what was expected and what came.
        let i = check(RFC_RESPONSE.to_owned(), Some(" dGhlIHNhbXBsZQ== "));
        assert_eq!(rules(&i), ["bad-accept"]);
        assert_eq!(i[0].header(), Some("Sec-WebSocket-Accept"));
        assert_eq!(
            i[0].kind,
            BadAccept {
                got: b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_vec(),
                expected: "OEPSNnbvaxYns+EYSv7+c2kBj+o=".into(),
                key: "dGhlIHNhbXBsZQ==".into()
            }
        );
        // Without the key only the shape can be checked.
        let bad_shape = r("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYG");
        assert_eq!(
            check(bad_shape, None),
            [Issue::response(AcceptNotDigest {
                got: b"s3pPLMBiTxaQ9kYG".to_vec()
            })]
        );
        assert_eq!(
            rules(&check(RFC_RESPONSE.to_owned(), None)),
            [] as [&str; 0]
        );
    }

    #[test]
    fn plain_gets_ask_for_no_upgrade() {
        let plain = |text: &str| is_plain_get(&complete_request(text.as_bytes()).0);
        assert!(plain(
            "GET / HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n\r\n"
        ));
        assert!(plain("GET /x?y HTTP/1.0\r\n\r\n"));
        assert!(!plain(RFC_REQUEST));
        assert!(!plain("POST / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(!plain("get / HTTP/1.1\r\nHost: a\r\n\r\n"));
        // A handshake that only lacks Upgrade is told what is wrong (426).
        assert!(!plain(&e("Upgrade: websocket\r\n", "")));
        assert!(!plain("GET / HTTP/1.1\r\nHost: a\r\nupgrade: h2c\r\n\r\n"));
    }

    #[test]
    fn target_paths_drop_the_query() {
        assert_eq!(target_path("/"), "/");
        assert_eq!(target_path("/?x=1"), "/");
        assert_eq!(target_path("/a/b?x#y"), "/a/b");
        assert_eq!(target_path("/#y"), "/");
        assert_eq!(target_path("*"), "*");
        assert_eq!(target_path("http://h/?q"), "http://h/?q");
    }
}
