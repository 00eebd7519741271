//! A conformance check's results: each case's line (its id, verdict and
//! title, and for anything but OK the rule and a sentence of what the
//! peer did and should have done), and the summary by group. The text
//! forms are here; the JSON forms are in `json.rs`, the HTML report in
//! `report.rs`, all from the same [`CaseResult`].

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use super::escape::{escape_cut, sanitize};
use super::text::TextPrinter;
use super::{sentence, Paint};
use crate::protocol::check::{
    group_title, Answer, Case, Finding, Got, HandshakeFinding, Judgement, Observed, Verdict, Want,
};
use crate::protocol::close::CloseCode;
use crate::protocol::message::MessageKind;

/// One case, judged.
#[derive(Debug, Clone, Copy)]
pub struct CaseResult<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its verdict, and why.
    pub judgement: &'a Judgement,
    /// What was seen.
    pub observed: &'a Observed,
    /// What the peer is called: "server" or "client".
    pub peer: &'a str,
    /// Which peer, when several are checked (`serve --check`): shown
    /// before the case.
    pub who: Option<&'a str>,
}

/// The end of a check.
#[derive(Debug, Clone)]
pub struct CheckSummary<'a> {
    /// What was checked (a URL, or "clients of ws://...").
    pub target: &'a str,
    /// Each case run: its id and verdict, in order.
    pub verdicts: Vec<(&'a str, Verdict)>,
    /// Cases counted without being run, by group: why (sections 12-13
    /// when the peer does not accept permessage-deflate).
    pub skipped: Vec<(String, Verdict, usize, String)>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl CheckSummary<'_> {
    /// Counts of each verdict per group, in order of first appearance,
    /// then the totals.
    pub fn table(&self) -> (Vec<(String, [usize; 5])>, [usize; 5]) {
        let mut rows: Vec<(String, [usize; 5])> = Vec::new();
        let mut total = [0usize; 5];
        let mut add = |group: &str, v: Verdict, n: usize| {
            let i = Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0);
            match rows.iter_mut().find(|(g, _)| g == group) {
                Some((_, counts)) => counts[i] += n,
                None => {
                    let mut counts = [0; 5];
                    counts[i] = n;
                    rows.push((group.to_string(), counts));
                }
            }
            total[i] += n;
        };
        for (id, v) in &self.verdicts {
            add(id.split('.').next().unwrap_or(id), *v, 1);
        }
        for (group, v, n, _) in &self.skipped {
            add(group, *v, *n);
        }
        (rows, total)
    }

    /// The ids of the cases that FAILED.
    pub fn failed(&self) -> Vec<&str> {
        self.verdicts
            .iter()
            .filter(|(_, v)| *v == Verdict::Failed)
            .map(|(id, _)| *id)
            .collect()
    }
}

/// The rule and what the peer did against it, for anything but OK:
/// `RFC 6455 §5.2: the server sent back ...; it should fail the
/// connection (close 1002): ...`.
pub fn explanation(r: &CaseResult) -> Option<String> {
    let j = r.judgement;
    if j.verdict == Verdict::Ok {
        return None;
    }
    let did: Vec<String> = j
        .findings
        .iter()
        .map(|f| finding(f, r))
        .filter(|s| !s.is_empty())
        .collect();
    let mut did = if did.is_empty() {
        happened(r)
    } else {
        did.join("; ")
    };
    // How the connection ended, when no finding says it already.
    let ended_said = j.findings.iter().any(|f| {
        matches!(
            f,
            Finding::NotOpen(_)
                | Finding::DidNotFail
                | Finding::ClosedEarly
                | Finding::WrongCode { .. }
                | Finding::NoCloseAnswer
                | Finding::Unclean
                | Finding::Flooded
                | Finding::FailedBefore(_)
                | Finding::Noted
                | Finding::Unsupported(_)
                | Finding::Handshake(_)
        )
    });
    if !ended_said && j.verdict == Verdict::Failed {
        did.push_str(&format!("; then it {}", ending_words(r.observed)));
    }
    let advice: Vec<&str> = j.findings.iter().filter_map(advice).collect();
    Some(match j.verdict {
        Verdict::NonStrict if !advice.is_empty() => format!(
            "{}: {did}; allowed, but {}",
            r.case.rule.section,
            advice.join("; ")
        ),
        Verdict::Informational => format!(
            "{}: {did}; the RFC leaves this open: a {} may {}",
            r.case.rule.section, r.peer, r.case.rule.should
        ),
        Verdict::Unimplemented => format!("{}: {did}", r.case.rule.section),
        _ => format!(
            "{}: {did}; it should {}",
            r.case.rule.section, r.case.rule.should
        ),
    })
}

/// What a non-strict peer would better do, for the findings that make a
/// case non-strict.
fn advice(f: &Finding) -> Option<&'static str> {
    Some(match f {
        Finding::LateFailure => {
            "failing at the first byte that cannot be UTF-8 spares reading the rest (Autobahn's fail-fast)"
        }
        Finding::FailedBefore(_) => {
            "the frames before the bad one were valid: answering them before failing is stricter"
        }
        Finding::WrongCode { .. } => "the rule's close code tells the other end what it did wrong",
        Finding::Handshake(HandshakeFinding::OtherStatus { .. }) => {
            "the status the RFC names tells the client what to change"
        }
        Finding::Handshake(HandshakeFinding::HungUp) => {
            "an HTTP answer (431 Request Header Fields Too Large) tells the client why"
        }
        _ => return None,
    })
}

/// One finding in words.
pub fn finding(f: &Finding, r: &CaseResult) -> String {
    let peer = r.peer;
    match f {
        Finding::NotOpen(a) => not_open(a, peer),
        Finding::Broke(v) => format!(
            "the {peer}'s own frame breaks {}",
            sentence::violation(v)
        ),
        Finding::Differs { at, want, got } => match (want, got) {
            (Some(Want::Mark(m)), None) => format!(
                "the {peer} ended the connection before the {} part was sent, while what it had was still valid",
                if *m == "A" { "second" } else { "third" }
            ),
            (Some(w), None) => {
                let nothing = if *at == 1 && r.observed.got.is_empty() {
                    " (nothing came back)"
                } else {
                    ""
                };
                format!("the {peer} did not send {}{nothing}", want_words(w))
            }
            (None, Some(g)) => format!(
                "the {peer} sent {} when nothing more was expected",
                got_words(g)
            ),
            (Some(w), Some(g)) => {
                // An echo that is not the message is a rule of its own,
                // whatever the case is about.
                let echo = matches!((w, g), (Want::Message(..), Got::Message(..)))
                    && r.case.rule.section != "RFC 6455 §5.6";
                format!(
                    "the {peer} sent {} where {} was expected{}",
                    got_words(g),
                    want_words(w),
                    if echo {
                        " (RFC 6455 §5.6: an echo keeps the message's type and bytes)"
                    } else {
                        ""
                    }
                )
            }
            (None, None) => String::new(),
        },
        Finding::DidNotFail => format!(
            "the {peer} did not fail the connection{}",
            if r.observed.got.is_empty() {
                String::new()
            } else {
                format!(" (it sent {})", got_list(&r.observed.got))
            }
        ),
        Finding::ClosedEarly => format!("the {peer} {}", ending_words(r.observed)),
        Finding::WrongCode { got, want } => format!(
            "the {peer} closed with {} where {} was due",
            CloseCode(*got),
            want.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Finding::NoCloseAnswer => format!("the {peer} did not answer the checker's close frame"),
        Finding::Unclean => {
            format!("the {peer} ended the connection without completing the closing handshake")
        }
        Finding::LateFailure => format!(
            "the {peer} failed the connection only once the rest had arrived, not at the first byte that cannot be UTF-8"
        ),
        Finding::Unsupported(what) => format!("the {peer} did not accept {what}"),
        Finding::FailedBefore(w) => format!(
            "the {peer} failed the connection{} without first sending {}",
            match &r.observed.ending.peer_close {
                Some((Some(code), _)) => format!(" (close {})", CloseCode(*code)),
                _ => String::new(),
            },
            want_words(w)
        ),
        Finding::Noted => happened(r),
        Finding::Flooded => format!("the {peer} {}", ending_words(r.observed)),
        Finding::Silent => format!(
            "the {peer} sent no message of its own or back, so how it frames them could not be seen"
        ),
        Finding::Handshake(h) => handshake(h, r),
    }
}

fn not_open(a: &Answer, peer: &str) -> String {
    match a {
        Answer::Nothing => format!("no answer from the {peer}"),
        Answer::Failed(why) => sanitize(why).into_owned(),
        Answer::NotHttp(why) => format!("the {peer}'s answer is not HTTP: {}", sanitize(why)),
        Answer::Requested { issues } => format!(
            "the {peer}'s upgrade request is wrong, and was refused: {}",
            issues
                .iter()
                .map(sentence::issue)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Answer::Response {
            response,
            issues,
            unasked,
        } => {
            if response.status != 101 {
                format!(
                    "the {peer} refused the upgrade: {} {}",
                    response.status,
                    escape_cut(&response.reason, 80)
                )
            } else {
                let mut parts: Vec<String> = issues.iter().map(sentence::issue).collect();
                parts.extend(unasked.iter().map(|u| format!("agreed to {}", sanitize(u))));
                format!("the {peer}'s 101 answer is wrong: {}", parts.join("; "))
            }
        }
    }
}

fn handshake(h: &HandshakeFinding, r: &CaseResult) -> String {
    let peer = r.peer;
    let status = r.observed.answer.status().unwrap_or(0);
    let reason = match &r.observed.answer {
        Answer::Response { response, .. } => escape_cut(&response.reason, 60),
        _ => String::new(),
    };
    match h {
        HandshakeFinding::Accepted => format!("the {peer} accepted the upgrade (101)"),
        HandshakeFinding::Refused(s) => format!("the {peer} refused the upgrade with {s} {reason}"),
        HandshakeFinding::BadAnswer(issues) => format!(
            "the {peer}'s 101 answer is wrong: {}",
            issues
                .iter()
                .map(sentence::issue)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        HandshakeFinding::Unasked(u) => format!(
            "the {peer} agreed to {}",
            u.iter()
                .map(|s| sanitize(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        HandshakeFinding::Status(s) => {
            format!("the {peer} answered {s} {reason}, which is not a refusal (4xx)")
        }
        HandshakeFinding::OtherStatus { got, want } => {
            format!("the {peer} refused with {got} {reason} rather than {want}")
        }
        HandshakeFinding::MissingHeader(name, token) => {
            format!("the {peer}'s {status} answer has no {name}: {token}")
        }
        HandshakeFinding::NoAnswer => match &r.observed.answer {
            Answer::Failed(why) | Answer::NotHttp(why) => sanitize(why).into_owned(),
            _ => format!("no answer from the {peer}"),
        },
        HandshakeFinding::HungUp => {
            format!("the {peer} closed the connection without an HTTP answer")
        }
        HandshakeFinding::NoEcho => format!(
            "the {peer} upgraded but did not echo the text frame sent in the same write as the request{}",
            if r.observed.got.is_empty() {
                String::new()
            } else {
                format!(" (it sent {})", got_list(&r.observed.got))
            }
        ),
        HandshakeFinding::Noted => match &r.observed.answer {
            Answer::Response { response, .. } if response.status == 101 => {
                format!("the {peer} accepted it (101)")
            }
            Answer::Response { .. } => format!("the {peer} refused it with {status} {reason}"),
            a => not_open(a, peer),
        },
    }
}

/// What happened, for an informational case: what came, and the end.
pub fn happened(r: &CaseResult) -> String {
    let o = r.observed;
    let mut s = String::new();
    if !o.got.is_empty() {
        let _ = write!(s, "the {} sent {}, then ", r.peer, got_list(&o.got));
    } else {
        let _ = write!(s, "the {} ", r.peer);
    }
    s.push_str(&ending_words(o));
    s
}

/// How the connection ended, after "the server ".
fn ending_words(o: &Observed) -> String {
    use crate::protocol::check::{Closer, Waited};
    let e = &o.ending;
    if e.gave_up == Some(Waited::Flood) {
        return format!(
            "kept sending until the checker stopped reading (after {} frames or messages) and dropped the connection",
            o.got.len()
        );
    }
    let code = |c: &Option<(Option<u16>, Vec<u8>)>| match c {
        Some((Some(code), reason)) if reason.is_empty() => format!("{}", CloseCode(*code)),
        Some((Some(code), reason)) => {
            format!("{} \"{}\"", CloseCode(*code), escape_cut(reason, 60))
        }
        Some((None, _)) => "an empty close frame".into(),
        None => String::new(),
    };
    match (e.first, &e.peer_close) {
        (Some(Closer::Peer), c) => format!("closed the connection with {}", code(c)),
        (Some(Closer::Checker), Some(_)) => {
            format!("answered the checker's close with {}", code(&e.peer_close))
        }
        (Some(Closer::Checker), None) if e.peer_hung_up => {
            "dropped the connection when the checker closed it, without a close frame".into()
        }
        (Some(Closer::Checker), None) => "did not answer the checker's close frame".into(),
        (None, _) if e.peer_hung_up => "dropped the connection without a close frame".into(),
        (None, _) => "left the connection open until the checker dropped it".into(),
    }
}

fn got_list(got: &[Got]) -> String {
    let n = got.len();
    let shown: Vec<String> = got.iter().take(3).map(got_words).collect();
    if n > 3 {
        format!("{} and {} more", shown.join(", "), n - 3)
    } else {
        shown.join(", ")
    }
}

fn kind(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Text => "text",
        MessageKind::Binary => "binary",
    }
}

fn bytes_words(data: &[u8], text: bool) -> String {
    let n = data.len();
    if n == 0 {
        return "empty".into();
    }
    let preview = if text {
        format!(" \"{}\"", escape_cut(data, 40))
    } else {
        let shown: Vec<String> = data.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!(" {}{}", shown.join(" "), if n > 12 { " …" } else { "" })
    };
    format!("{n} byte{}{preview}", super::plural(n as u64))
}

fn got_words(g: &Got) -> String {
    match g {
        Got::Message(k, d) => format!(
            "a {} message of {}",
            kind(*k),
            bytes_words(d, *k == MessageKind::Text)
        ),
        Got::Ping(d) => format!(
            "a ping ({})",
            bytes_words(d, std::str::from_utf8(d).is_ok())
        ),
        Got::Pong(d) => format!(
            "a pong ({})",
            bytes_words(d, std::str::from_utf8(d).is_ok())
        ),
        Got::Mark(_) => "nothing (the connection stayed open)".into(),
        Got::Echoes { right, sent, wrong } => match wrong {
            Some((n, g)) => format!(
                "{right} right echoes of {sent} messages, then as echo number {n} {}",
                got_words(g)
            ),
            None => format!("the echoes of {right} of the {sent} messages sent, then nothing more"),
        },
    }
}

fn want_words(w: &Want) -> String {
    match w {
        Want::Message(k, p) => {
            let b = p.bytes();
            format!(
                "the echo of the {} message ({})",
                kind(*k),
                bytes_words(&b, *k == MessageKind::Text)
            )
        }
        Want::Pong(p) => {
            let b = p.bytes();
            format!(
                "a pong with the ping's payload ({})",
                bytes_words(&b, std::str::from_utf8(&b).is_ok())
            )
        }
        Want::Mark(_) => "nothing (the connection left open)".into(),
        Want::Echoes => "an echo of every message".into(),
    }
}

impl<W: Write> TextPrinter<W> {
    /// `3.1      FAILED         Text message with RSV = 1 (RSV3) set`,
    /// and under it, for anything but OK, the rule and what happened.
    pub(super) fn line_case(&mut self, r: &CaseResult) -> io::Result<()> {
        let v = r.judgement.verdict;
        let verdict = format!("{:<13}", v.name());
        let verdict = self.paint(&verdict, verdict_paint(v));
        let who = r.who.map_or(String::new(), |w| format!("{} ", sanitize(w)));
        writeln!(
            self.out(),
            "{who}{:<8} {verdict} {}",
            r.case.id,
            sanitize(&r.case.title)
        )?;
        if let Some(why) = explanation(r) {
            let mark = match v {
                Verdict::Failed => "✗",
                Verdict::NonStrict => "!",
                _ => "-",
            };
            let line = format!("{mark} {why}");
            let paint = if v == Verdict::Failed {
                Paint::Bad
            } else {
                Paint::Dim
            };
            let line = self.paint(&line, paint);
            writeln!(self.out(), "         {line}")?;
        }
        Ok(())
    }

    /// The summary: counts by group, the total, the time, the failures.
    pub(super) fn line_check_summary(&mut self, s: &CheckSummary) -> io::Result<()> {
        let (rows, total) = s.table();
        let cases: usize = total.iter().sum();
        let heading = format!(
            "summary: {cases} case{} against {} in {:.1} s",
            super::plural(cases as u64),
            sanitize(s.target),
            s.elapsed.as_secs_f64()
        );
        writeln!(self.out())?;
        let heading = self.paint(&heading, Paint::Heading);
        writeln!(self.out(), "{heading}")?;
        writeln!(
            self.out(),
            "  {:<40} {:>6} {:>10} {:>6} {:>13} {:>13}",
            "group",
            "OK",
            "NON-STRICT",
            "FAILED",
            "INFORMATIONAL",
            "UNIMPLEMENTED"
        )?;
        for (group, c) in rows
            .iter()
            .chain(std::iter::once(&("total".to_string(), total)))
        {
            let name = if group == "total" {
                "total".to_string()
            } else {
                format!("{group:<3} {}", group_title(group))
            };
            writeln!(
                self.out(),
                "  {name:<40} {:>6} {:>10} {:>6} {:>13} {:>13}",
                c[0],
                c[1],
                c[2],
                c[3],
                c[4]
            )?;
        }
        for (group, v, n, why) in &s.skipped {
            writeln!(
                self.out(),
                "  - {group}: {n} case{} {} without running: {}",
                super::plural(*n as u64),
                v.name(),
                sanitize(why)
            )?;
        }
        let failed = s.failed();
        let line = if failed.is_empty() {
            self.paint("✓ no case FAILED", Paint::Good)
        } else {
            let shown: Vec<&str> = failed.iter().take(40).copied().collect();
            let more = if failed.len() > shown.len() {
                format!(" and {} more", failed.len() - shown.len())
            } else {
                String::new()
            };
            self.paint(
                &format!(
                    "✗ {} case{} FAILED: {}{more}",
                    failed.len(),
                    super::plural(failed.len() as u64),
                    shown.join(", ")
                ),
                Paint::Bad,
            )
        };
        writeln!(self.out(), "  {line}")
    }
}

/// The colour of a verdict.
pub fn verdict_paint(v: Verdict) -> Paint {
    match v {
        Verdict::Ok => Paint::Good,
        Verdict::Failed => Paint::Bad,
        Verdict::NonStrict => Paint::Value,
        Verdict::Informational | Verdict::Unimplemented => Paint::Name,
    }
}
