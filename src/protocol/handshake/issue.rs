//! Handshake issues as typed values: what is wrong with a request or a
//! response head, with the bytes and numbers that show how, the header it
//! concerns and the status a server refuses with. `print` renders the
//! sentences; the short reasons for a refusal's body are built here,
//! because they go on the wire.

use super::key::KeyProblem;
use crate::protocol::http::{HeadError, HeadKind};
use crate::protocol::violation::{fit_reason, Answer, Broken};

/// One thing wrong with a handshake head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// What is wrong, with its bytes and numbers.
    pub kind: IssueKind,
    /// Found in a request (checked as a server must) or in a response
    /// (checked as a client must).
    pub head: HeadKind,
}

/// What is wrong with a handshake head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueKind {
    /// The request's method is not `GET` (methods are case-sensitive).
    MethodNotGet {
        /// The method sent.
        method: String,
    },
    /// A request below HTTP/1.1, or a response not in HTTP/1.1.
    HttpVersion {
        /// The version sent, e.g. `HTTP/1.0`.
        version: String,
    },
    /// A request target that is neither a path nor an absolute URI.
    BadTarget {
        /// The target sent.
        target: String,
    },
    /// Lines end in a bare LF instead of CRLF.
    BareLf {
        /// Only some of them.
        mixed: bool,
    },
    /// No `Host` header.
    MissingHost,
    /// More than one `Host` header.
    DuplicateHost {
        /// How many.
        count: usize,
    },
    /// No `Upgrade` header.
    MissingUpgrade,
    /// `Upgrade` headers without the token `websocket`.
    BadUpgrade {
        /// The value of each `Upgrade` header, in order.
        values: Vec<Vec<u8>>,
    },
    /// No `Connection` header.
    MissingConnection,
    /// `Connection` headers without the token `Upgrade`.
    BadConnection {
        /// The value of each `Connection` header, in order.
        values: Vec<Vec<u8>>,
    },
    /// No `Sec-WebSocket-Version` header.
    MissingVersion,
    /// More than one `Sec-WebSocket-Version` header.
    DuplicateVersion {
        /// How many.
        count: usize,
    },
    /// A `Sec-WebSocket-Version` that is not exactly `13`.
    BadVersion {
        /// The value of each `Sec-WebSocket-Version` header, in order.
        values: Vec<Vec<u8>>,
    },
    /// No `Sec-WebSocket-Key` header.
    MissingKey,
    /// More than one `Sec-WebSocket-Key` header.
    DuplicateKey {
        /// How many.
        count: usize,
    },
    /// A `Sec-WebSocket-Key` that is not the base64 of 16 bytes.
    BadKey {
        /// The (first) key's value.
        key: Vec<u8>,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// An `Origin` that a server with an allow-list refuses.
    OriginNotAllowed {
        /// The `Origin` value, or None when the request has none.
        origin: Option<Vec<u8>>,
    },
    /// A request head that cannot be read, or is too large: the server
    /// refuses it before any WebSocket check.
    BadHead(HeadError),
    /// A response whose status is not 101: the upgrade was refused.
    StatusNot101 {
        /// The status code.
        status: u16,
        /// The reason phrase, raw.
        reason: Vec<u8>,
        /// The `Sec-WebSocket-Version` it sends, if any (a 426 names the
        /// versions the server speaks).
        version: Option<Vec<u8>>,
    },
    /// No `Sec-WebSocket-Accept` header.
    MissingAccept,
    /// More than one `Sec-WebSocket-Accept` header.
    DuplicateAccept {
        /// How many.
        count: usize,
    },
    /// A `Sec-WebSocket-Accept` that does not match the request's key.
    BadAccept {
        /// The (first) value sent.
        got: Vec<u8>,
        /// The value the key calls for.
        expected: String,
        /// The request's key, trimmed.
        key: String,
    },
    /// A `Sec-WebSocket-Accept` that is not even the base64 of a 20-byte
    /// SHA-1 digest (checked when the request's key is unknown).
    AcceptNotDigest {
        /// The (first) value sent.
        got: Vec<u8>,
    },
}

/// The headers an issue can concern, as RFC 6455 spells them.
mod name {
    pub const HOST: &str = "Host";
    pub const UPGRADE: &str = "Upgrade";
    pub const CONNECTION: &str = "Connection";
    pub const VERSION: &str = "Sec-WebSocket-Version";
    pub const KEY: &str = "Sec-WebSocket-Key";
    pub const ACCEPT: &str = "Sec-WebSocket-Accept";
    pub const ORIGIN: &str = "Origin";
}

impl Issue {
    /// An issue found in a request.
    pub fn request(kind: IssueKind) -> Self {
        Self {
            kind,
            head: HeadKind::Request,
        }
    }

    /// An issue found in a response.
    pub fn response(kind: IssueKind) -> Self {
        Self {
            kind,
            head: HeadKind::Response,
        }
    }

    fn in_request(&self) -> bool {
        self.head == HeadKind::Request
    }

    /// The header the issue concerns, so a printer can mark that line;
    /// None for the request or status line, or the head as a whole.
    pub fn header(&self) -> Option<&'static str> {
        use IssueKind::*;
        match &self.kind {
            MethodNotGet { .. }
            | HttpVersion { .. }
            | BadTarget { .. }
            | BareLf { .. }
            | BadHead(_)
            | StatusNot101 { .. } => None,
            MissingHost | DuplicateHost { .. } => Some(name::HOST),
            MissingUpgrade | BadUpgrade { .. } => Some(name::UPGRADE),
            MissingConnection | BadConnection { .. } => Some(name::CONNECTION),
            MissingVersion | DuplicateVersion { .. } | BadVersion { .. } => Some(name::VERSION),
            MissingKey | DuplicateKey { .. } | BadKey { .. } => Some(name::KEY),
            OriginNotAllowed { .. } => Some(name::ORIGIN),
            MissingAccept | DuplicateAccept { .. } | BadAccept { .. } | AcceptNotDigest { .. } => {
                Some(name::ACCEPT)
            }
        }
    }

    /// The status a server refuses a request with: 405 for the method, 505
    /// for the HTTP version, 426 when the request does not ask for a
    /// WebSocket upgrade or version 13 (the client should retry with it),
    /// 403 for an origin, 431 for a head too large, 400 for the rest. None
    /// for an issue in a response: a client does not answer, it fails the
    /// connection.
    pub fn status(&self) -> Option<u16> {
        use IssueKind::*;
        if !self.in_request() {
            return None;
        }
        Some(match &self.kind {
            MethodNotGet { .. } => 405,
            HttpVersion { .. } => 505,
            MissingUpgrade | MissingConnection | MissingVersion | BadVersion { .. } => 426,
            OriginNotAllowed { .. } => 403,
            BadHead(e) => match e.answer() {
                Some(Answer::Status(status)) => status,
                _ => return None,
            },
            _ => 400,
        })
    }
}

impl Broken for Issue {
    /// The stable kebab-case id scripts match on, e.g. `missing-upgrade`.
    fn id(&self) -> &'static str {
        use IssueKind::*;
        match &self.kind {
            MethodNotGet { .. } => "method-not-get",
            HttpVersion { .. } => "http-version",
            BadTarget { .. } => "bad-target",
            BareLf { .. } => "bare-lf",
            MissingHost => "missing-host",
            DuplicateHost { .. } => "duplicate-host",
            MissingUpgrade => "missing-upgrade",
            BadUpgrade { .. } => "bad-upgrade",
            MissingConnection => "missing-connection",
            BadConnection { .. } => "bad-connection",
            MissingVersion => "missing-version",
            DuplicateVersion { .. } => "duplicate-version",
            BadVersion { .. } => "bad-version",
            MissingKey => "missing-key",
            DuplicateKey { .. } => "duplicate-key",
            BadKey { .. } => "bad-key",
            OriginNotAllowed { .. } => "origin-not-allowed",
            BadHead(e) => e.id(),
            StatusNot101 { .. } => "status-not-101",
            MissingAccept => "missing-accept",
            DuplicateAccept { .. } => "duplicate-accept",
            BadAccept { .. } | AcceptNotDigest { .. } => "bad-accept",
        }
    }

    /// The RFC and section that state the rule: "RFC 6455 §4.2.1".
    fn section(&self) -> &'static str {
        use IssueKind::*;
        match &self.kind {
            MethodNotGet { .. }
            | HttpVersion { .. }
            | BadTarget { .. }
            | MissingHost
            | BadKey { .. }
            | StatusNot101 { .. }
            | MissingAccept
            | BadAccept { .. }
            | AcceptNotDigest { .. } => "RFC 6455 §4.1",
            BareLf { .. } => "RFC 9112 §2.2",
            DuplicateHost { .. } => "RFC 9112 §3.2",
            // A server's checks are listed in §4.2.1, a client's in §4.1.
            MissingUpgrade | BadUpgrade { .. } | MissingConnection | BadConnection { .. } => {
                if self.in_request() {
                    "RFC 6455 §4.2.1"
                } else {
                    "RFC 6455 §4.1"
                }
            }
            MissingVersion | BadVersion { .. } | MissingKey => "RFC 6455 §4.2.1",
            DuplicateVersion { .. } => "RFC 6455 §11.3.5",
            DuplicateKey { .. } => "RFC 6455 §11.3.1",
            DuplicateAccept { .. } => "RFC 6455 §11.3.3",
            OriginNotAllowed { .. } => "RFC 6455 §4.2.2",
            BadHead(e) => e.section(),
        }
    }

    fn answer(&self) -> Option<Answer> {
        self.status().map(Answer::Status)
    }

    /// The peer's own values (a header, the target, the origin) are left
    /// out: the peer knows what it sent, and the refusal's body must not
    /// carry bytes back to whoever prints it.
    fn reason(&self) -> String {
        use IssueKind::*;
        let s = match &self.kind {
            MethodNotGet { .. } => "method is not GET; a WebSocket handshake requires GET".into(),
            HttpVersion { version } => {
                // The parser lets only `HTTP/` and two digits through; a
                // value built by hand is kept to what cannot harm.
                let version: String = version.chars().filter(char::is_ascii_graphic).collect();
                // Not first on the line: a body line starting `HTTP/` would
                // read as a second response to whoever decodes the stream.
                if self.in_request() {
                    format!(
                        "request line says {version}; a WebSocket handshake requires HTTP/1.1 or higher"
                    )
                } else {
                    format!("status line says {version}; a WebSocket handshake answers in HTTP/1.1")
                }
            }
            BadTarget { .. } => "request target is not a path such as /chat".into(),
            BareLf { mixed: true } => "some lines end in a bare LF; HTTP requires CRLF".into(),
            BareLf { mixed: false } => "lines end in a bare LF; HTTP requires CRLF".into(),
            MissingHost => "no Host header".into(),
            DuplicateHost { count } => format!("{count} Host headers; HTTP allows exactly one"),
            MissingUpgrade => "no Upgrade header; expected Upgrade: websocket".into(),
            BadUpgrade { .. } => "Upgrade header lacks the token websocket".into(),
            MissingConnection => "no Connection header; expected Connection: Upgrade".into(),
            BadConnection { .. } => "Connection header lacks the token Upgrade".into(),
            MissingVersion => "no Sec-WebSocket-Version header; expected 13".into(),
            DuplicateVersion { count } => {
                format!("{count} Sec-WebSocket-Version headers; one is allowed")
            }
            BadVersion { .. } => "Sec-WebSocket-Version is not 13, the only version".into(),
            MissingKey => "no Sec-WebSocket-Key header".into(),
            DuplicateKey { count } => format!("{count} Sec-WebSocket-Key headers; one is allowed"),
            BadKey { problem, .. } => match problem {
                KeyProblem::Empty => {
                    "Sec-WebSocket-Key is empty; expected the base64 of 16 bytes".into()
                }
                KeyProblem::NotBase64 { index, .. } => {
                    format!("character {index} of Sec-WebSocket-Key is not base64")
                }
                KeyProblem::BadPadding { index } => {
                    format!("'=' at character {index} of Sec-WebSocket-Key is not padding")
                }
                KeyProblem::BadLength { chars } => format!(
                    "Sec-WebSocket-Key is {chars} characters; a key is 24, base64 of 16 bytes"
                ),
                KeyProblem::NonCanonical { index } => {
                    format!("character {index} of Sec-WebSocket-Key is not canonical base64")
                }
                KeyProblem::WrongLength { decoded } => {
                    format!("Sec-WebSocket-Key decodes to {decoded} bytes, not 16")
                }
            },
            OriginNotAllowed { origin: Some(_) } => {
                "Origin is not on this server's allow-list".into()
            }
            OriginNotAllowed { origin: None } => {
                "no Origin header; this server accepts listed origins only".into()
            }
            BadHead(e) => e.reason(),
            StatusNot101 { status, .. } => {
                format!("status {status}, not 101: the server did not accept the upgrade")
            }
            MissingAccept => "no Sec-WebSocket-Accept header".into(),
            DuplicateAccept { count } => {
                format!("{count} Sec-WebSocket-Accept headers; one is allowed")
            }
            BadAccept { .. } => "Sec-WebSocket-Accept does not match the key sent".into(),
            AcceptNotDigest { .. } => {
                "Sec-WebSocket-Accept is not the base64 of a 20-byte SHA-1 digest".into()
            }
        };
        fit_reason(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::*;
    use crate::protocol::handshake::{validate_request, validate_response};
    use crate::protocol::http::{parse_request, HeadPlace, HeadProblem};
    use crate::protocol::violation::MAX_CLOSE_REASON;

    /// (issue, id, section, header, status)
    type Row = (
        Issue,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<u16>,
    );

    #[rustfmt::skip]
    fn rows() -> Vec<Row> {
        use IssueKind::*;
        let req = Issue::request;
        let resp = Issue::response;
        let values = || vec![b"h2c".to_vec()];
        let bad_head = HeadError {
            offset: 0,
            problem: HeadProblem::Unexpected {
                found: 0x16,
                at: HeadPlace::RequestStart,
            },
        };
        let big_head = HeadError {
            offset: 64,
            problem: HeadProblem::TooLarge {
                head: HeadKind::Request,
                limit: 64,
            },
        };
        let v = "Sec-WebSocket-Version";
        let k = "Sec-WebSocket-Key";
        let a = "Sec-WebSocket-Accept";
        vec![
            (req(MethodNotGet { method: "POST".into() }), "method-not-get", "RFC 6455 §4.1", None, Some(405)),
            (req(HttpVersion { version: "HTTP/1.0".into() }), "http-version", "RFC 6455 §4.1", None, Some(505)),
            (req(BadTarget { target: "*".into() }), "bad-target", "RFC 6455 §4.1", None, Some(400)),
            (req(BareLf { mixed: true }), "bare-lf", "RFC 9112 §2.2", None, Some(400)),
            (req(MissingHost), "missing-host", "RFC 6455 §4.1", Some("Host"), Some(400)),
            (req(DuplicateHost { count: 2 }), "duplicate-host", "RFC 9112 §3.2", Some("Host"), Some(400)),
            (req(MissingUpgrade), "missing-upgrade", "RFC 6455 §4.2.1", Some("Upgrade"), Some(426)),
            (req(BadUpgrade { values: values() }), "bad-upgrade", "RFC 6455 §4.2.1", Some("Upgrade"), Some(400)),
            (req(MissingConnection), "missing-connection", "RFC 6455 §4.2.1", Some("Connection"), Some(426)),
            (req(BadConnection { values: values() }), "bad-connection", "RFC 6455 §4.2.1", Some("Connection"), Some(400)),
            (req(MissingVersion), "missing-version", "RFC 6455 §4.2.1", Some(v), Some(426)),
            (req(DuplicateVersion { count: 2 }), "duplicate-version", "RFC 6455 §11.3.5", Some(v), Some(400)),
            (req(BadVersion { values: vec![b"8".to_vec()] }), "bad-version", "RFC 6455 §4.2.1", Some(v), Some(426)),
            (req(MissingKey), "missing-key", "RFC 6455 §4.2.1", Some(k), Some(400)),
            (req(DuplicateKey { count: 3 }), "duplicate-key", "RFC 6455 §11.3.1", Some(k), Some(400)),
            (
                req(BadKey { key: b"x".to_vec(), problem: KeyProblem::BadLength { chars: 1 } }),
                "bad-key", "RFC 6455 §4.1", Some(k), Some(400),
            ),
            (req(OriginNotAllowed { origin: None }), "origin-not-allowed", "RFC 6455 §4.2.2", Some("Origin"), Some(403)),
            (req(BadHead(bad_head)), "malformed-head", "RFC 9112 §3", None, Some(400)),
            (req(BadHead(big_head)), "head-too-large", "RFC 6585 §5", None, Some(431)),
            (
                resp(StatusNot101 { status: 404, reason: b"Not Found".to_vec(), version: None }),
                "status-not-101", "RFC 6455 §4.1", None, None,
            ),
            (resp(HttpVersion { version: "HTTP/1.0".into() }), "http-version", "RFC 6455 §4.1", None, None),
            (resp(BareLf { mixed: false }), "bare-lf", "RFC 9112 §2.2", None, None),
            (resp(MissingUpgrade), "missing-upgrade", "RFC 6455 §4.1", Some("Upgrade"), None),
            (resp(BadConnection { values: values() }), "bad-connection", "RFC 6455 §4.1", Some("Connection"), None),
            (resp(MissingAccept), "missing-accept", "RFC 6455 §4.1", Some(a), None),
            (resp(DuplicateAccept { count: 2 }), "duplicate-accept", "RFC 6455 §11.3.3", Some(a), None),
            (
                resp(BadAccept { got: b"x".to_vec(), expected: "y".into(), key: "z".into() }),
                "bad-accept", "RFC 6455 §4.1", Some(a), None,
            ),
            (resp(AcceptNotDigest { got: b"x".to_vec() }), "bad-accept", "RFC 6455 §4.1", Some(a), None),
        ]
    }

    #[test]
    fn each_kind_has_its_numbers() {
        for (issue, id, section, header, status) in rows() {
            assert_eq!(issue.id(), id, "{issue:?}");
            assert_eq!(issue.section(), section, "{issue:?}");
            assert_eq!(issue.header(), header, "{issue:?}");
            assert_eq!(issue.status(), status, "{issue:?}");
            assert_eq!(issue.answer(), status.map(Answer::Status), "{issue:?}");
            let reason = issue.reason();
            assert!(
                reason.is_ascii() && !reason.is_empty() && reason.len() <= MAX_CLOSE_REASON,
                "{reason:?}"
            );
        }
    }

    #[test]
    fn reasons_quote_no_peer_bytes() {
        use IssueKind::*;
        let evil = b"\x1b[2J\x07\xc2\x9b\xe2\x80\xaeEVIL".to_vec();
        let kinds = [
            BadUpgrade {
                values: vec![evil.clone()],
            },
            BadVersion {
                values: vec![evil.clone()],
            },
            BadKey {
                key: evil.clone(),
                problem: KeyProblem::NotBase64 {
                    index: 0,
                    found: '\u{1b}',
                },
            },
            OriginNotAllowed {
                origin: Some(evil.clone()),
            },
            MethodNotGet {
                method: "EVIL".into(),
            },
            BadTarget {
                target: "/EVIL".into(),
            },
        ];
        for kind in kinds {
            let reason = Issue::request(kind).reason();
            assert!(!reason.contains("EVIL"), "{reason}");
        }
        for kind in [
            BadAccept {
                got: evil.clone(),
                expected: "e".into(),
                key: "EVIL".into(),
            },
            StatusNot101 {
                status: 400,
                reason: evil.clone(),
                version: Some(evil),
            },
        ] {
            let reason = Issue::response(kind).reason();
            assert!(!reason.contains("EVIL"), "{reason}");
        }
    }

    #[test]
    fn the_rfc_heads_have_no_issues_and_edits_the_expected_ones() {
        let (req, _) = complete_request(RFC_REQUEST.as_bytes());
        assert_eq!(validate_request(&req), []);
        let (resp, _) = complete_response(RFC_RESPONSE.as_bytes());
        assert_eq!(validate_response(&resp, Some(RFC_KEY)), []);

        let text = edit(
            RFC_REQUEST,
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Version: 8",
        );
        let issues = validate_request(&complete_request(text.as_bytes()).0);
        assert_eq!(
            issues,
            [Issue::request(IssueKind::BadVersion {
                values: vec![b"8".to_vec()]
            })]
        );
        let text = edit(RFC_RESPONSE, "101 Switching Protocols", "403 Forbidden");
        let issues = validate_response(&complete_response(text.as_bytes()).0, Some(RFC_KEY));
        assert_eq!(
            issues,
            [Issue::response(IssueKind::StatusNot101 {
                status: 403,
                reason: b"Forbidden".to_vec(),
                version: None
            })]
        );
    }

    #[test]
    fn head_errors_carry_their_status() {
        let req = RFC_REQUEST.as_bytes();
        let e = parse_request(req, req.len() - 1).unwrap_err();
        let i = Issue::request(IssueKind::BadHead(e));
        assert_eq!((i.id(), i.status()), ("head-too-large", Some(431)));
        for j in junk_requests() {
            let i = Issue::request(IssueKind::BadHead(request_error(j.input)));
            assert_eq!((i.id(), i.status()), ("malformed-head", Some(400)));
            assert!(i.reason().is_ascii() && i.reason().len() <= MAX_CLOSE_REASON);
        }
    }
}
