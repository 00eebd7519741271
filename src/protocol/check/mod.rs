//! A conformance battery as data, and the judge of what a peer did with
//! it; no I/O and no clock. Each [`Case`] is a script of what the checker
//! sends ([`Step`]s, frames with any bits, split as the case says) and what
//! a conforming peer does about it ([`Expect`]: the messages and pongs it
//! sends back, in order, and how the connection ends). `wsdbg check` runs
//! a case on a fresh connection and hands what it saw ([`Observed`]) to
//! [`judge`], which gives the [`Verdict`] and the [`Finding`]s behind it.
//!
//! The cases of RFC 6455 framing are numbered as the Autobahn testsuite's
//! fuzzingclient numbers them (sections 1-10, and 12-13 for
//! permessage-deflate), so that its report and wsdbg's can be read side
//! by side; the handshake (`H.*`) and slow or split writes (`S.*`) are
//! wsdbg's own. The verdict adds to Autobahn's in two places, both
//! documented on [`judge`]: how the connection ended counts (Autobahn
//! shows it in a column of its own), and echoed payloads are compared
//! byte for byte (Autobahn's section 9 compares lengths).

mod battery;
mod clients;
mod data;
mod deflate;
mod handshake;
mod select;
mod utf8;

use std::borrow::Cow;
use std::time::Duration;

use super::message::MessageKind;
use super::opcode::OpCode;
use super::violation::Violation;

pub use battery::{server_cases, server_cases_with, AUTOBAHN_MESSAGES};
pub use clients::client_cases;
pub use handshake::{answer_issues, unasked};
pub use select::{CaseFilter, FilterError};

/// A verdict on one case, from best to worst (as `Ord` compares them,
/// except that [`Verdict::Informational`] and [`Verdict::Unimplemented`]
/// say nothing about conformance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The peer did what the RFC asks.
    Ok,
    /// The RFC leaves the behaviour open; what the peer did is noted.
    Informational,
    /// The peer lacks an optional feature the case needs
    /// (permessage-deflate).
    Unimplemented,
    /// Allowed, but not what the RFC recommends (a SHOULD, not a MUST):
    /// a late failure, a close code other than the one recommended.
    NonStrict,
    /// The peer broke a rule the RFC makes a MUST.
    Failed,
}

impl Verdict {
    /// The name in reports: `OK`, `NON-STRICT`, ... (Autobahn's words).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Informational => "INFORMATIONAL",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::NonStrict => "NON-STRICT",
            Self::Failed => "FAILED",
        }
    }

    /// Every verdict, in report order.
    pub const ALL: [Verdict; 5] = [
        Self::Ok,
        Self::NonStrict,
        Self::Failed,
        Self::Informational,
        Self::Unimplemented,
    ];
}

/// A payload, described rather than held, so that a table of cases with
/// 16 MiB messages costs nothing until a case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These bytes.
    Bytes(Cow<'static, [u8]>),
    /// `unit` repeated (and cut) to `len` bytes.
    Fill {
        /// The bytes repeated.
        unit: &'static [u8],
        /// The total length.
        len: usize,
    },
}

impl Payload {
    /// No bytes.
    pub const EMPTY: Payload = Payload::Bytes(Cow::Borrowed(b""));

    /// These static bytes.
    pub const fn of(bytes: &'static [u8]) -> Self {
        Self::Bytes(Cow::Borrowed(bytes))
    }

    /// Its length.
    pub fn len(&self) -> usize {
        match self {
            Self::Bytes(b) => b.len(),
            Self::Fill { len, .. } => *len,
        }
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes themselves.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Self::Bytes(b) => Cow::Borrowed(b.as_ref()),
            Self::Fill { unit, len } => {
                Cow::Owned(unit.iter().copied().cycle().take(*len).collect())
            }
        }
    }

    /// Whether `bytes` are these bytes, without building them.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        match self {
            Self::Bytes(b) => b.as_ref() == bytes,
            Self::Fill { unit, len } => {
                bytes.len() == *len
                    && (unit.is_empty()
                        || bytes.iter().zip(unit.iter().cycle()).all(|(a, b)| a == b))
            }
        }
    }
}

/// A frame the checker sends, with any bits a sender might get wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1-3 as the three low bits (RSV1 = 4).
    pub rsv: u8,
    /// The opcode, any of the 16.
    pub opcode: OpCode,
    /// The payload, before masking.
    pub payload: Payload,
    /// The length the header claims, when it is not the payload's.
    pub claimed: Option<u64>,
    /// Masked or not; None: as the sender's role must (a client masks, a
    /// server does not).
    pub masked: Option<bool>,
}

impl Frame {
    /// A final, masked frame with no reserved bits.
    pub fn new(opcode: OpCode, payload: Payload) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            payload,
            claimed: None,
            masked: None,
        }
    }

    /// A text frame.
    pub fn text(payload: Payload) -> Self {
        Self::new(OpCode::Text, payload)
    }

    /// A binary frame.
    pub fn binary(payload: Payload) -> Self {
        Self::new(OpCode::Binary, payload)
    }

    /// With FIN as given.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// With these reserved bits (RSV1 = 4, RSV2 = 2, RSV3 = 1).
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// Masked or not, whoever sends it.
    pub fn masked(mut self, masked: bool) -> Self {
        self.masked = Some(masked);
        self
    }
}

/// How the bytes of a step go onto the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chop {
    /// In one write.
    #[default]
    Whole,
    /// In writes of this many bytes, each sent on its own.
    Every(usize),
    /// In writes of this many bytes, with a pause between them.
    Slowly(usize, Duration),
}

/// One thing a case does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these frames.
    Frames(Vec<Frame>, Chop),
    /// Send a data message split into frames of at most `fragment` bytes
    /// (None: one frame).
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// Its payload.
        payload: Payload,
        /// The largest frame payload.
        fragment: Option<usize>,
    },
    /// Send a frame's header and the first `first` bytes of its payload;
    /// [`Step::More`] sends the rest.
    Begin {
        /// The frame.
        frame: Frame,
        /// Payload bytes sent now.
        first: usize,
    },
    /// Send the next `len` payload bytes of the frame begun (None: all
    /// that is left).
    More(Option<usize>),
    /// Send a close frame (the closing handshake starts here; its answer
    /// is awaited at the end).
    Close {
        /// The code, if any.
        code: Option<u16>,
        /// The reason (any bytes, any length).
        reason: Payload,
    },
    /// Give the peer a moment: when it ends the connection meanwhile, the
    /// script stops there; otherwise `mark` is noted ([`Got::Mark`]) and
    /// the script goes on. How the fail-fast cases tell a peer that
    /// failed at the first bad byte from one that waited for the rest.
    Quiet(&'static str),
    /// Wait until this many things have been received (or the case's
    /// patience runs out).
    Await(usize),
    /// `count` round trips of one message each: send, wait for the echo,
    /// send the next.
    Echoes {
        /// Text or binary.
        kind: MessageKind,
        /// The payload of each.
        payload: Payload,
        /// How many.
        count: usize,
    },
    /// Round trips over a data set, each message the next window of
    /// `len` bytes (the compression sections).
    Stream {
        /// The data.
        set: data::DataSet,
        /// Bytes per message.
        len: usize,
        /// How many messages.
        count: usize,
        /// The largest frame payload (None: one frame per message).
        fragment: Option<usize>,
    },
}

/// Which end is to start the closing handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// The checker, once what it expects has arrived (or in its script).
    Checker,
    /// The peer, failing the connection.
    Peer,
}

/// How the connection should end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseWant {
    /// Who starts it.
    pub by: Closer,
    /// The codes the peer may send in its close frame (it may also send
    /// none, or drop the connection when failing it).
    pub codes: Vec<u16>,
    /// Both close frames must cross (a failing peer may just drop).
    pub clean: bool,
    /// A close code outside `codes` fails the case (section 7, where the
    /// code is the point); elsewhere it is non-strict.
    pub code_fatal: bool,
}

/// Something the peer is expected to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A data message.
    Message(MessageKind, Payload),
    /// A pong with this payload.
    Pong(Payload),
    /// The checker's own mark: the peer had not ended the connection at a
    /// [`Step::Quiet`].
    Mark(&'static str),
    /// The echoes of a [`Step::Echoes`] or [`Step::Stream`] step, in
    /// order.
    Echoes,
}

/// What a conforming peer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// What it sends, in order.
    pub ok: Vec<Want>,
    /// What a peer that is allowed but not strict sends instead.
    pub non_strict: Option<Vec<Want>>,
    /// How the connection ends.
    pub close: CloseWant,
    /// The RFC leaves the outcome open: the case is informational.
    pub informational: bool,
    /// Data messages from the peer are not judged (a client may echo, or
    /// send its own, or nothing): only pongs, marks and the ending are.
    pub ignore_messages: bool,
}

impl Expect {
    /// `ok` back, then the checker closes with 1000 and the peer answers
    /// it: both close frames cross.
    pub fn echo(ok: Vec<Want>) -> Self {
        Expect {
            ok,
            non_strict: None,
            close: CloseWant {
                by: Closer::Checker,
                codes: vec![1000],
                clean: true,
                code_fatal: false,
            },
            informational: false,
            ignore_messages: false,
        }
    }
}

/// What the checker needs of the peer for a case to apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Needs {
    /// Nothing beyond RFC 6455.
    #[default]
    Nothing,
    /// permessage-deflate, offered with this `Sec-WebSocket-Extensions`
    /// value; a peer that does not agree makes the case UNIMPLEMENTED.
    Deflate(&'static str),
    /// A data message from the peer, to judge how it was framed: a peer
    /// that sends none leaves the case INFORMATIONAL.
    PeerSends,
}

/// The rule a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Where it is: `RFC 6455 §5.2`.
    pub section: &'static str,
    /// What a conforming peer does, as a sentence ending without a stop:
    /// "fail the connection (close 1002): RSV bits must be 0 unless an
    /// extension defines them".
    pub should: &'static str,
}

/// One case of the battery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Its number: `1.1.1`, `6.4.3`, `H.2`.
    pub id: String,
    /// What it does, in a few words.
    pub title: String,
    /// What it sends.
    pub script: Vec<Step>,
    /// What should come of it.
    pub expect: Expect,
    /// The rule it checks.
    pub rule: Rule,
    /// What the peer must support.
    pub needs: Needs,
    /// How much longer than the usual patience it may take (its data
    /// takes time to move): a multiple of `--case-timeout`.
    pub weight: u32,
    /// The opening handshake, when the case is about it.
    pub handshake: Option<handshake::HandshakeCase>,
}

pub use handshake::{Answer, HandshakeCase, HandshakeFinding, HandshakeWant, RequestSpec};

impl Case {
    /// The group it belongs to in the summary: its first number
    /// (`6` for `6.4.3`, `H` for `H.2`).
    pub fn group(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }
}

/// The name of a group of cases, for the summary.
pub fn group_title(group: &str) -> &'static str {
    match group {
        "H" => "Opening handshake",
        "1" => "Framing",
        "2" => "Pings and pongs",
        "3" => "Reserved bits",
        "4" => "Opcodes",
        "5" => "Fragmentation",
        "6" => "UTF-8",
        "7" => "Close handling",
        "9" => "Limits and large messages",
        "10" => "Auto-fragmentation",
        "S" => "Slow and split writes",
        "12" => "Compression (permessage-deflate)",
        "13" => "Compression parameters",
        "C" => "Client behaviour",
        _ => "Other",
    }
}

/// Something the peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    /// A data message.
    Message(MessageKind, Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The checker's mark ([`Step::Quiet`]).
    Mark(&'static str),
    /// A [`Step::Echoes`] or [`Step::Stream`] step's echoes: how many came
    /// back right, and the first that did not, with its number (from 1).
    Echoes {
        /// Echoes equal to what was sent.
        right: usize,
        /// How many were sent.
        sent: usize,
        /// The first wrong one.
        wrong: Option<(usize, Box<Got>)>,
    },
}

/// How the connection ended, as the checker saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ending {
    /// Who sent the first close frame (None: nobody did).
    pub first: Option<Closer>,
    /// The peer's close frame: its code (None: an empty one) and reason.
    pub peer_close: Option<(Option<u16>, Vec<u8>)>,
    /// Both close frames crossed.
    pub clean: bool,
    /// The peer ended the TCP connection (rather than the checker
    /// dropping it).
    pub peer_hung_up: bool,
    /// The checker gave up waiting: for the peer's close (when the peer
    /// was to fail the connection), for the answer to its close, or for
    /// what it expected.
    pub gave_up: Option<Waited>,
}

/// What the checker was waiting for when it gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// What it expected to receive.
    Expected,
    /// The peer's failing of the connection.
    PeerClose,
    /// The answer to its close frame.
    CloseAnswer,
    /// The end of the TCP connection after the close handshake.
    HangUp,
    /// Nothing: the peer kept sending beyond what the checker keeps, and
    /// the checker dropped the connection.
    Flood,
}

/// What happened in one run of a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// The handshake's outcome.
    pub answer: Answer,
    /// What the peer sent, in order.
    pub got: Vec<Got>,
    /// A rule the peer's frames broke (the checker failed the connection).
    pub broke: Option<Violation>,
    /// How it ended.
    pub ending: Ending,
    /// permessage-deflate was agreed.
    pub deflate: bool,
    /// Time from the connection to its end.
    pub elapsed: Duration,
}

/// A fact behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The handshake did not give an open connection.
    NotOpen(Answer),
    /// The peer's frames broke a rule.
    Broke(Violation),
    /// Expected `want`, got `got` (None: nothing more came).
    Differs {
        /// Its place in the sequence (from 1).
        at: usize,
        /// What was expected there.
        want: Option<Want>,
        /// What came.
        got: Option<Got>,
    },
    /// The peer did not fail the connection (the checker waited and
    /// closed it).
    DidNotFail,
    /// The peer failed or closed the connection when it should have
    /// echoed and waited for the checker's close.
    ClosedEarly,
    /// The peer's close code is not among those the rule allows.
    WrongCode {
        /// What it sent.
        got: u16,
        /// What it should send.
        want: Vec<u16>,
    },
    /// The peer did not answer the checker's close frame.
    NoCloseAnswer,
    /// The peer ended the connection without a close frame where both
    /// close frames should cross.
    Unclean,
    /// The peer answered as the fail-fast rule allows but not as it
    /// recommends: it waited for the end of the message (or frame).
    LateFailure,
    /// The peer failed the connection as it should, but without first
    /// answering the valid frames that came before the bad one.
    FailedBefore(Want),
    /// The peer does not support what the case needs.
    Unsupported(&'static str),
    /// What the peer did, for an informational case.
    Noted,
    /// The peer kept sending beyond what the checker keeps.
    Flooded,
    /// The peer sent no data message, so how it frames them could not be
    /// judged.
    Silent,
    /// A handshake case's finding.
    Handshake(handshake::HandshakeFinding),
}

/// A verdict and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The facts behind it (empty when OK).
    pub findings: Vec<Finding>,
}

/// Judges what a peer did with `case`.
///
/// Like Autobahn, the messages, pings and pongs the peer sent must equal
/// the case's expected sequence (OK) or its non-strict one (NON-STRICT);
/// unlike Autobahn, a payload echoed with the right length but other bytes
/// is a difference. Then the ending, which Autobahn reports in a column of
/// its own, counts too: a peer that should fail the connection and does
/// not, or closes one it should keep, or leaves the checker's close frame
/// unanswered, FAILED; a close code other than the rule's, NON-STRICT
/// (FAILED in section 7, where the code is the point, as Autobahn has it).
pub fn judge(case: &Case, seen: &Observed) -> Judgement {
    if let Some(h) = &case.handshake {
        return handshake::judge(h, seen);
    }
    let mut findings = Vec::new();
    let mut verdict = Verdict::Ok;
    let mut worse = |v: Verdict, f: Finding, findings: &mut Vec<Finding>| {
        verdict = verdict.max(v);
        findings.push(f);
    };
    if let Needs::Deflate(_) = case.needs {
        if seen.answer.is_open() && !seen.deflate {
            return Judgement {
                verdict: Verdict::Unimplemented,
                findings: vec![Finding::Unsupported("permessage-deflate")],
            };
        }
    }
    if !seen.answer.is_open() {
        return Judgement {
            verdict: Verdict::Failed,
            findings: vec![Finding::NotOpen(seen.answer.clone())],
        };
    }
    if let Some(v) = &seen.broke {
        worse(Verdict::Failed, Finding::Broke(v.clone()), &mut findings);
    }
    let expect = &case.expect;
    let judged = judged(expect, &seen.got);
    let got: &[Got] = &judged;
    if case.needs == Needs::PeerSends
        && seen.broke.is_none()
        && !seen.got.iter().any(|g| matches!(g, Got::Message(..)))
    {
        return Judgement {
            verdict: Verdict::Informational,
            findings: vec![Finding::Silent],
        };
    }
    if !sequence_matches(&expect.ok, got) {
        match &expect.non_strict {
            Some(ns) if sequence_matches(ns, got) => {
                let f = if ns.iter().any(|w| matches!(w, Want::Mark(_))) {
                    Finding::LateFailure
                } else {
                    match first_difference(&expect.ok, got) {
                        Finding::Differs {
                            want: Some(w),
                            got: None,
                            ..
                        } => Finding::FailedBefore(w),
                        other => other,
                    }
                };
                worse(Verdict::NonStrict, f, &mut findings);
            }
            _ => worse(
                Verdict::Failed,
                first_difference(&expect.ok, got),
                &mut findings,
            ),
        }
    }
    let want = &expect.close;
    let e = &seen.ending;
    let peer_dropped = e.first.is_none() && e.peer_hung_up;
    match want.by {
        Closer::Peer => {
            if e.first != Some(Closer::Peer) && !peer_dropped {
                worse(Verdict::Failed, Finding::DidNotFail, &mut findings);
            }
        }
        Closer::Checker => {
            if e.first == Some(Closer::Peer) || peer_dropped {
                worse(Verdict::Failed, Finding::ClosedEarly, &mut findings);
            } else if seen.broke.is_some() {
                // The checker failed the connection; no answer is owed.
            } else if e.peer_close.is_none() && (want.clean || !e.peer_hung_up) {
                worse(Verdict::Failed, Finding::NoCloseAnswer, &mut findings);
            } else if want.clean && !e.clean {
                worse(Verdict::Failed, Finding::Unclean, &mut findings);
            }
        }
    }
    // The code counts in the close frame the rule is about: the peer's
    // failing close, or its answer to the checker's close.
    if let (Some((Some(code), _)), true) = (&e.peer_close, e.first == Some(want.by)) {
        if !want.codes.contains(code) && seen.broke.is_none() {
            let v = if want.code_fatal {
                Verdict::Failed
            } else {
                Verdict::NonStrict
            };
            worse(
                v,
                Finding::WrongCode {
                    got: *code,
                    want: want.codes.clone(),
                },
                &mut findings,
            );
        }
    }
    if e.gave_up == Some(Waited::Flood) {
        worse(Verdict::Failed, Finding::Flooded, &mut findings);
    }
    if expect.informational {
        return Judgement {
            verdict: Verdict::Informational,
            findings: vec![Finding::Noted],
        };
    }
    Judgement { verdict, findings }
}

/// Whether the checker should wait for more before closing: what came so
/// far is the start of what a conforming (or non-strict) peer sends, and
/// not all of it. (Autobahn closes as soon as the expected sequence is
/// complete.)
pub fn waiting_for_more(expect: &Expect, got: &[Got]) -> bool {
    let judged = judged(expect, got);
    let got: &[Got] = &judged;
    if sequence_matches(&expect.ok, got) {
        return false;
    }
    let short_of = |want: &Vec<Want>| {
        got.len() < want.len() && want.iter().zip(got).all(|(w, g)| item_matches(w, g))
    };
    std::iter::once(&expect.ok)
        .chain(expect.non_strict.as_ref())
        .any(short_of)
}

/// What of `got` is judged: all of it, or all but the data messages.
fn judged<'a>(expect: &Expect, got: &'a [Got]) -> Cow<'a, [Got]> {
    if expect.ignore_messages {
        Cow::Owned(
            got.iter()
                .filter(|g| !matches!(g, Got::Message(..)))
                .cloned()
                .collect(),
        )
    } else {
        Cow::Borrowed(got)
    }
}

/// Whether `got` is exactly the sequence `want`.
fn sequence_matches(want: &[Want], got: &[Got]) -> bool {
    want.len() == got.len() && want.iter().zip(got).all(|(w, g)| item_matches(w, g))
}

fn item_matches(want: &Want, got: &Got) -> bool {
    match (want, got) {
        (Want::Message(k, p), Got::Message(gk, data)) => k == gk && p.matches(data),
        (Want::Pong(p), Got::Pong(data)) => p.matches(data),
        (Want::Mark(a), Got::Mark(b)) => a == b,
        (Want::Echoes, Got::Echoes { right, sent, wrong }) => wrong.is_none() && right == sent,
        _ => false,
    }
}

/// Where `got` first departs from `want`.
fn first_difference(want: &[Want], got: &[Got]) -> Finding {
    let at = want
        .iter()
        .zip(got)
        .position(|(w, g)| !item_matches(w, g))
        .unwrap_or(want.len().min(got.len()));
    Finding::Differs {
        at: at + 1,
        want: want.get(at).cloned(),
        got: got.get(at).cloned(),
    }
}

/// Bytes as lower-case hex pairs separated by spaces (for titles).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
