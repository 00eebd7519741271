//! The opening handshake as the checker sees it: the requests of the
//! handshake cases (a standard one changed in one place), what the server
//! answered, and the judge of that answer.

use std::borrow::Cow;

use super::{Judgement, Observed, Verdict};
use crate::protocol::handshake::{self, Issue, IssueKind};
use crate::protocol::http::Response;

/// What the server answered to the opening handshake.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Answer {
    /// No answer was read: why (refused, reset, closed, timed out).
    #[default]
    Nothing,
    /// The connection ended, or was refused, before an answer: why.
    Failed(String),
    /// A response head that is not HTTP.
    NotHttp(String),
    /// (The checker is the server.) The client's request, with what is
    /// wrong with it: the checker refused it when anything is.
    Requested {
        /// What is wrong with the request.
        issues: Vec<Issue>,
    },
    /// A response head, with what is wrong with it as an answer to the
    /// request (a status other than 101 is one of them).
    Response {
        /// The head.
        response: Response,
        /// What is wrong with it.
        issues: Vec<Issue>,
        /// A subprotocol or extension it agreed to that was not offered.
        unasked: Vec<String>,
    },
}

impl Answer {
    /// Whether the answer opened the connection: 101 with nothing wrong.
    pub fn is_open(&self) -> bool {
        match self {
            Self::Response {
                response,
                issues,
                unasked,
            } => response.status == 101 && issues.is_empty() && unasked.is_empty(),
            Self::Requested { issues } => issues.is_empty(),
            _ => false,
        }
    }

    /// The status answered, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Response { response, .. } => Some(response.status),
            _ => None,
        }
    }
}

/// The request a handshake case sends: the standard one (the one `connect`
/// sends) with one thing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// The method (`GET`).
    pub method: &'static str,
    /// The HTTP version (`HTTP/1.1`).
    pub version: &'static str,
    /// Standard headers left out, by name.
    pub drop: &'static [&'static str],
    /// Headers that replace standard ones of the same name, or are added.
    pub set: Vec<(&'static str, Cow<'static, str>)>,
    /// Bytes of padding headers added (to make the head too large).
    pub pad: usize,
    /// Bytes sent right after the head, in the same write: a frame to be
    /// echoed once the connection opens.
    pub then_text: Option<&'static str>,
}

impl Default for RequestSpec {
    fn default() -> Self {
        Self {
            method: "GET",
            version: "HTTP/1.1",
            drop: &[],
            set: Vec::new(),
            pad: 0,
            then_text: None,
        }
    }
}

impl RequestSpec {
    /// The request head for `host` and `target` with `key` (unless the
    /// case sets its own), and `extra` headers (the user's) after the
    /// standard ones.
    pub fn build(
        &self,
        host: &str,
        target: &str,
        key: &str,
        extra: &[(String, String)],
    ) -> Vec<u8> {
        let standard: [(&str, Cow<'_, str>); 5] = [
            ("Host", Cow::Borrowed(host)),
            ("Upgrade", Cow::Borrowed("websocket")),
            ("Connection", Cow::Borrowed("Upgrade")),
            ("Sec-WebSocket-Key", Cow::Borrowed(key)),
            ("Sec-WebSocket-Version", Cow::Borrowed("13")),
        ];
        let mut head = format!("{} {target} {}\r\n", self.method, self.version);
        for (name, value) in standard {
            if self.drop.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                continue;
            }
            let value = self
                .set
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or(value, |(_, v)| Cow::Borrowed(v.as_ref()));
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        for (name, value) in &self.set {
            if !standard_name(name) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let mut n = 0;
        while n < self.pad {
            let line = format!("X-Wsdbg-Padding-{n:05}: {}\r\n", "a".repeat(100));
            n += line.len();
            head.push_str(&line);
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The key the request carries, when the case sets one.
    pub fn key(&self) -> Option<&str> {
        self.set
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Key"))
            .map(|(_, v)| v.as_ref())
    }

    /// The subprotocols it offers.
    pub fn protocols(&self) -> Vec<String> {
        self.offered("Sec-WebSocket-Protocol")
    }

    /// The extensions it offers, by name.
    pub fn extensions(&self) -> Vec<String> {
        self.offered("Sec-WebSocket-Extensions")
            .into_iter()
            .map(|e| e.split(';').next().unwrap_or("").trim().to_string())
            .collect()
    }

    fn offered(&self, header: &str) -> Vec<String> {
        self.set
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(header))
            .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_string()))
            .filter(|t| !t.is_empty())
            .collect()
    }
}

fn standard_name(name: &str) -> bool {
    [
        "Host",
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(name))
}

/// What a conforming server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeWant {
    /// 101, a correct accept value, nothing agreed that was not offered;
    /// then the text sent after the head (if any) echoed.
    Upgrade,
    /// A refusal: a status from 400 to 499 (the first of `statuses` is the
    /// one the RFC names; another 4xx is allowed), and this header in it
    /// when given.
    Refuse {
        /// The statuses the RFC suggests, best first.
        statuses: &'static [u16],
        /// A header the refusal must carry: name and a token its value
        /// must list.
        header: Option<(&'static str, &'static str)>,
        /// Ending the connection without an answer is allowed, but less
        /// helpful (NON-STRICT).
        hang_up_ok: bool,
    },
    /// Either is allowed; the answer is noted (INFORMATIONAL).
    Either,
}

/// A handshake case: the request, the answer wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeCase {
    /// What is sent.
    pub request: RequestSpec,
    /// What should come back.
    pub want: HandshakeWant,
    /// How the request's bytes are written.
    pub chop: super::Chop,
}

/// A handshake case's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeFinding {
    /// The server upgraded a request it must refuse.
    Accepted,
    /// It refused a request it must accept (the status, and what it said
    /// was wrong with the answer).
    Refused(u16),
    /// Its 101 answer is wrong (the issues of the answer).
    BadAnswer(Vec<Issue>),
    /// It agreed to a subprotocol or extension that was not offered, or to
    /// several subprotocols.
    Unasked(Vec<String>),
    /// It refused with a status outside 4xx.
    Status(u16),
    /// It refused with another 4xx than the one the RFC names.
    OtherStatus {
        /// What it sent.
        got: u16,
        /// What the RFC names.
        want: u16,
    },
    /// The refusal lacks a header the RFC requires.
    MissingHeader(&'static str, &'static str),
    /// No answer at all within the case's time (or the connection ended).
    NoAnswer,
    /// The server ended the connection without an answer.
    HungUp,
    /// The message sent after the head was not echoed (what came, if
    /// anything).
    NoEcho,
    /// What the server did, when either answer is allowed.
    Noted,
}

/// Judges a handshake case.
pub fn judge(case: &HandshakeCase, seen: &Observed) -> Judgement {
    use HandshakeFinding as F;
    let verdict = |verdict, f: Vec<F>| Judgement {
        verdict,
        findings: f.into_iter().map(super::Finding::Handshake).collect(),
    };
    let Answer::Response {
        response,
        issues,
        unasked,
    } = &seen.answer
    else {
        if let (
            HandshakeWant::Refuse {
                hang_up_ok: true, ..
            },
            Answer::Failed(_),
        ) = (&case.want, &seen.answer)
        {
            return verdict(Verdict::NonStrict, vec![F::HungUp]);
        }
        return verdict(Verdict::Failed, vec![F::NoAnswer]);
    };
    let status = response.status;
    match &case.want {
        HandshakeWant::Either => verdict(Verdict::Informational, vec![F::Noted]),
        HandshakeWant::Upgrade => {
            if status != 101 {
                return verdict(Verdict::Failed, vec![F::Refused(status)]);
            }
            let mut f = Vec::new();
            if !issues.is_empty() {
                f.push(F::BadAnswer(issues.clone()));
            }
            if !unasked.is_empty() {
                f.push(F::Unasked(unasked.clone()));
            }
            if f.is_empty() && case.request.then_text.is_some() {
                let echoed = seen.got.iter().any(|g| {
                    matches!(g, super::Got::Message(crate::protocol::message::MessageKind::Text, d)
                        if Some(d.as_slice()) == case.request.then_text.map(str::as_bytes))
                });
                if !echoed {
                    f.push(F::NoEcho);
                }
            }
            if f.is_empty() {
                verdict(Verdict::Ok, f)
            } else {
                verdict(Verdict::Failed, f)
            }
        }
        HandshakeWant::Refuse {
            statuses, header, ..
        } => {
            if status == 101 {
                return verdict(Verdict::Failed, vec![F::Accepted]);
            }
            if !(400..500).contains(&status) && !statuses.contains(&status) {
                return verdict(Verdict::Failed, vec![F::Status(status)]);
            }
            let mut v = Verdict::Ok;
            let mut f = Vec::new();
            if let Some((name, token)) = header {
                let has = response
                    .tokens(name)
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(token));
                if !has {
                    v = Verdict::Failed;
                    f.push(F::MissingHeader(name, token));
                }
            }
            if let Some(&want) = statuses.first() {
                if !statuses.contains(&status) {
                    v = v.max(Verdict::NonStrict);
                    f.push(F::OtherStatus { got: status, want });
                }
            }
            verdict(v, f)
        }
    }
}

/// What the answer agreed to that the request did not offer: a
/// subprotocol not offered (or more than one), an extension not offered.
pub fn unasked(request: &RequestSpec, deflate_offered: bool, response: &Response) -> Vec<String> {
    let mut out = Vec::new();
    if response.status != 101 {
        return out;
    }
    let offered = request.protocols();
    let chosen = response.tokens("Sec-WebSocket-Protocol");
    if chosen.len() > 1 {
        out.push(format!(
            "Sec-WebSocket-Protocol: {} (one subprotocol at most)",
            chosen.join(", ")
        ));
    } else if let Some(p) = chosen.first() {
        if !offered.iter().any(|o| o == p) {
            out.push(format!("Sec-WebSocket-Protocol: {p} (not offered)"));
        }
    }
    let mut exts = request.extensions();
    if deflate_offered {
        exts.push("permessage-deflate".into());
    }
    for e in response.tokens("Sec-WebSocket-Extensions") {
        let name = e.split(';').next().unwrap_or("").trim().to_string();
        if !exts.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            out.push(format!("Sec-WebSocket-Extensions: {name} (not offered)"));
        }
    }
    out
}

/// The issues of an answer to a request with `key`: those of
/// [`handshake::validate_response`], without the status (judged apart).
pub fn answer_issues(response: &Response, key: &str) -> Vec<Issue> {
    handshake::validate_response(response, Some(key))
        .into_iter()
        .filter(|i| !matches!(i.kind, IssueKind::StatusNot101 { .. }))
        .collect()
}
