//! One case on one connection: the opening handshake (the checker dials a
//! server and sends the case's request, or a client connected to `serve
//! --check` sends its own), the case's script played through the
//! checker's [`Endpoint`], then the close the case expects; everything the
//! peer does is recorded into an [`Observed`] for the judge (and, when
//! asked, every head and frame is rendered both ways with `connect
//! --trace`'s printer).
//!
//! One thread, one socket, `poll` with deadlines: the peer's bytes are
//! read while the case writes (a 16 MiB echo comes back while it is being
//! sent), and no wait lasts beyond the case's patience.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use crate::cmd::event::Loop;
use crate::cmd::live::{Book, Show, View};
use crate::cmd::wire::{self, Wire};
use crate::protocol::check::{
    self, Answer, Case, Chop, Closer, Ending, Frame, Got, Needs, Observed, RequestSpec, Step,
    Waited,
};
use crate::protocol::close::ClosePayload;
use crate::protocol::endpoint::{self, Endpoint, Note, Outbox, Settings, State, Transport};
use crate::protocol::frame::FrameSpec;
use crate::protocol::handshake::key_from_bytes;
use crate::protocol::message::{Limits, MessageKind};
use crate::protocol::opcode::OpCode;
use crate::protocol::stream::{Event, Head};
use crate::protocol::url::WsUrl;
use crate::protocol::Role;

/// How long a case waits, and what it shows.
#[derive(Debug, Clone)]
pub(crate) struct Pace {
    /// How long to wait for what should happen.
    pub patience: Duration,
    /// How long a fail-fast case gives the peer to react.
    pub quiet: Duration,
    /// Render each case's heads and frames (for `-v` and the report).
    pub trace: Option<View>,
}

/// The server the cases run against.
pub(crate) struct Target {
    /// The server.
    pub url: WsUrl,
    /// TLS settings for `wss://`.
    pub tls: Option<Arc<ClientConfig>>,
    /// Headers the user added to every request.
    pub extra: Vec<(String, String)>,
    /// Waits and trace.
    pub pace: Pace,
}

/// What one run of a case gave.
pub(crate) struct Run {
    /// What was seen.
    pub observed: Observed,
    /// The case's heads and frames, rendered (when traced).
    pub trace: Vec<u8>,
}

/// Runs `case` against the target.
pub(crate) fn run(t: &Target, case: &Case) -> Run {
    let started = Instant::now();
    let mut trace = Vec::new();
    let mut observed = match Session::connect(t, case, &mut trace) {
        Ok(mut s) => {
            s.play(case);
            s.finish(case);
            s.observed()
        }
        Err(why) => Observed {
            answer: Answer::Failed(why),
            ..Observed::default()
        },
    };
    observed.elapsed = started.elapsed();
    Run { observed, trace }
}

/// A client that connected to `serve --check`: its opening handshake is
/// answered (`settings` say how: the test page, refusals), then `pick`
/// chooses its case from its request (None: none is left for it, and
/// it is closed with `done`). The case and what was seen.
pub(crate) fn serve<'c>(
    pace: &Pace,
    stream: std::net::TcpStream,
    settings: Settings,
    pick: impl FnOnce(&crate::protocol::http::Request) -> Option<&'c Case>,
    done: (u16, &str),
) -> Option<(&'c Case, Run)> {
    let started = Instant::now();
    let mut trace = Vec::new();
    let mut s = Session::accept(pace, stream, settings, &mut trace).ok()?;
    s.pump(|s| s.ep.state() != State::Handshake);
    let request = s.rec.request_head.take();
    let case = match (s.ep.state(), request) {
        (State::Open, Some(r)) => pick(&r),
        _ => None,
    };
    let Some(case) = case else {
        if s.ep.state() == State::Open {
            let now = Instant::now();
            s.ep.close_now(done.0, done.1.as_bytes(), now);
            s.flush(Chop::Whole);
            s.pump(|s| s.ended);
        }
        return None;
    };
    s.cap = s.started + pace.patience * (10 + 10 * case.weight);
    s.play(case);
    s.finish(case);
    let mut observed = s.observed();
    drop(s);
    observed.elapsed = started.elapsed();
    Some((case, Run { observed, trace }))
}

/// Echoes awaited by a [`Step::Echoes`] or [`Step::Stream`] step.
#[derive(Default)]
struct Echoes {
    awaited: VecDeque<(MessageKind, Vec<u8>)>,
    right: usize,
    sent: usize,
    wrong: Option<(usize, Box<Got>)>,
}

/// What the server did, as the notes of the endpoint tell it.
struct Recorder<'a> {
    answer: Answer,
    got: Vec<Got>,
    echoes: Option<Echoes>,
    broke: Option<crate::protocol::violation::Violation>,
    peer_close: Option<(Option<u16>, Vec<u8>)>,
    close: Option<endpoint::CloseInfo>,
    /// The request sent, to judge the answer against.
    request: RequestSpec,
    key: String,
    deflate_offered: bool,
    /// Rendering, when traced.
    show: Option<(View, Book, &'a mut Vec<u8>)>,
    peer: String,
    /// Payload bytes kept in `got`.
    kept: usize,
    /// The peer's close frame came before the checker's.
    peer_first: Option<bool>,
    /// The checker's role.
    role: Role,
    /// The client's request (the checker is a server), once read.
    request_head: Option<crate::protocol::http::Request>,
}

/// The note handler that records into `rec`.
fn notes<'r, 'a>(
    rec: &'r mut Recorder<'a>,
) -> impl FnMut(Note<'_>, &mut Outbox) -> Result<(), Infallible> + use<'r, 'a> {
    move |n, o| {
        rec.note(&n, o);
        Ok(())
    }
}

/// The most kept of what a server sends in one case: items, and payload
/// bytes (a 16 MiB echo and some room).
const MAX_KEPT: (usize, usize) = (10_000, 48 << 20);

/// The most of a case's trace that is rendered.
const MAX_TRACE: usize = 16 << 20;

impl<'a> Recorder<'a> {
    fn new(show: Option<(View, Book, &'a mut Vec<u8>)>, peer: String, role: Role) -> Self {
        Recorder {
            answer: Answer::Nothing,
            got: Vec::new(),
            echoes: None,
            broke: None,
            peer_close: None,
            close: None,
            request: RequestSpec::default(),
            key: String::new(),
            deflate_offered: false,
            show,
            peer,
            kept: 0,
            peer_first: None,
            role,
            request_head: None,
        }
    }

    /// Whether as much as is kept has arrived.
    fn full(&self) -> bool {
        self.got.len() >= MAX_KEPT.0 || self.kept >= MAX_KEPT.1
    }

    fn note(&mut self, n: &Note<'_>, out: &Outbox) {
        if let Some((_, _, render)) = &mut self.show {
            if render.len() > MAX_TRACE {
                render.extend_from_slice(
                    format!(
                        "… (the trace of this case is cut here, at {} MiB)\n",
                        MAX_TRACE >> 20
                    )
                    .as_bytes(),
                );
                self.show = None;
            }
        }
        if let Some((view, book, render)) = &mut self.show {
            let mut show = Show {
                view: view.clone(),
                conn: None,
                local: self.role,
                peer: &self.peer,
                server: None,
                render,
            };
            show.note(n, book);
        }
        match n {
            Note::HeadIn(Head::Request {
                request, issues, ..
            }) => {
                self.answer = Answer::Requested {
                    issues: issues.clone(),
                };
                self.request_head = Some(request.clone());
            }
            Note::HeadIn(Head::Response { response, .. }) => {
                self.answer = Answer::Response {
                    response: response.clone(),
                    issues: check::answer_issues(response, &self.key),
                    unasked: check::unasked(&self.request, self.deflate_offered, response),
                };
            }
            Note::HeadIn(Head::Invalid { error, .. }) => {
                self.answer = Answer::NotHttp(crate::print::sentence::head_error(error));
            }
            Note::In(Event::Message(m)) => self.message(m.kind, m.data),
            Note::In(Event::Frame(f)) => {
                if let Some(v) = f.violations.iter().find(|v| v.close_code().is_some()) {
                    self.broke.get_or_insert_with(|| v.clone());
                }
                let Some(h) = f.header else { return };
                if f.missing() > 0 {
                    return;
                }
                match h.opcode {
                    // Kept to the end, but not for ever.
                    OpCode::Ping | OpCode::Pong if self.full() => {}
                    OpCode::Ping => self.got.push(Got::Ping(f.payload.to_vec())),
                    OpCode::Pong => self.got.push(Got::Pong(f.payload.to_vec())),
                    OpCode::Close => {
                        // Whether the server's close came before the
                        // checker's (the endpoint's own record calls an
                        // unanswered close abnormal, which loses that).
                        self.peer_first.get_or_insert(!out.close_sent());
                        let p = ClosePayload::parse(f.payload);
                        self.peer_close.get_or_insert((
                            p.code.map(|c| c.0),
                            if p.code.is_some() {
                                p.reason.to_vec()
                            } else {
                                Vec::new()
                            },
                        ));
                    }
                    _ => {}
                }
            }
            Note::In(Event::Violation(v)) if v.close_code().is_some() => {
                self.broke.get_or_insert_with(|| (*v).clone());
            }
            Note::Closed(info) => self.close = Some((*info).clone()),
            _ => {}
        }
    }

    fn message(&mut self, kind: MessageKind, data: &[u8]) {
        if self.full() {
            return;
        }
        let Some(e) = &mut self.echoes else {
            self.kept += data.len();
            self.got.push(Got::Message(kind, data.to_vec()));
            return;
        };
        let n = e.right + 1 + usize::from(e.wrong.is_some());
        match e.awaited.pop_front() {
            Some((k, d)) if k == kind && d == data => e.right += 1,
            _ => {
                if e.wrong.is_none() {
                    e.wrong = Some((n, Box::new(Got::Message(kind, data.to_vec()))));
                }
            }
        }
    }

    fn observed(&mut self, deflate: bool, closed: bool) -> Observed {
        let info = self.close.clone();
        let first = match self.peer_first {
            Some(true) => Some(Closer::Peer),
            _ if closed => Some(Closer::Checker),
            _ => None,
        };
        let got = std::mem::take(&mut self.got);
        Observed {
            answer: std::mem::take(&mut self.answer),
            got,
            broke: self.broke.clone(),
            ending: Ending {
                first,
                peer_close: self.peer_close.clone(),
                clean: info.as_ref().is_some_and(|i| i.clean),
                peer_hung_up: false,
                gave_up: None,
            },
            deflate,
            elapsed: Duration::ZERO,
        }
    }
}

struct Session<'a> {
    pace: &'a Pace,
    /// The checker's role.
    role: Role,
    wire: Wire,
    ep: Endpoint,
    rec: Recorder<'a>,
    buf: Vec<u8>,
    /// The last time bytes moved either way.
    active: Instant,
    /// When the case is cut off, whatever happens.
    cap: Instant,
    /// The sending side was ended.
    shut: bool,
    /// The transport is gone.
    ended: bool,
    /// The server ended the connection (read its EOF).
    hung_up: bool,
    gave_up: Option<Waited>,
    deflate: bool,
    /// A frame begun ([`Step::Begin`]): its bytes, and how many are sent.
    begun: Option<(Vec<u8>, usize)>,
    /// Pending bytes wait (a pause between the pieces of a slow write).
    hold: bool,
    /// When the connection was made.
    started: Instant,
    /// The connection was reset (a read or write failed).
    reset: bool,
    /// The server sent more than is kept, and the case was cut short.
    flooded: bool,
    /// TLS failed: why.
    tls_error: Option<String>,
    /// The event loop the socket is watched in.
    events: Loop,
    /// The socket may hold bytes not yet read (its readiness is an edge).
    readable: bool,
}

impl<'a> Session<'a> {
    /// Connects and sends the opening handshake; returns once the answer
    /// is in (or the connection ended, or the patience ran out).
    fn connect(t: &'a Target, case: &Case, render: &'a mut Vec<u8>) -> Result<Self, String> {
        let stream = wire::dial(&t.url, t.pace.patience)?;
        let peer = stream
            .peer_addr()
            .map_or_else(|_| t.url.host_header(), |a| a.to_string());
        stream
            .set_nonblocking(true)
            .map_err(|e| format!("cannot use the socket: {e}"))?;
        let wire = match &t.tls {
            Some(config) => wire::tls(stream, &t.url.host, config.clone())?,
            None => Wire::plain(stream),
        };
        let mut random = [0u8; 20];
        getrandom::getrandom(&mut random).map_err(|e| format!("no randomness available: {e}"))?;
        let fresh = key_from_bytes(random[..16].try_into().expect("16 bytes"));
        let seed = u32::from_le_bytes(random[16..].try_into().expect("4 bytes"));
        let (request, chop) = match &case.handshake {
            Some(h) => (h.request.clone(), h.chop),
            None => (RequestSpec::default(), Chop::Whole),
        };
        let key = request.key().map_or(fresh, str::to_string);
        let mut extra = t.extra.clone();
        let deflate_offer = match case.needs {
            Needs::Deflate(offer) => Some(offer),
            Needs::Nothing | Needs::PeerSends => None,
        };
        if let Some(offer) = deflate_offer {
            extra.push(("Sec-WebSocket-Extensions".into(), offer.into()));
        }
        let mut head = request.build(&t.url.host_header(), &t.url.resource, &key, &extra);
        if let Some(text) = request.then_text {
            let spec = FrameSpec::new(OpCode::Text, Some(random[..4].try_into().expect("4")));
            spec.encode(text.as_bytes(), &mut head)
                .map_err(|e| e.to_string())?;
        }
        let settings = Settings {
            limits: Limits {
                max_frame: Some(64 << 20),
                max_message: Some(64 << 20),
            },
            max_head: 64 << 10,
            handshake_timeout: t.pace.patience,
            idle_timeout: None,
            close_timeout: t.pace.patience,
            decode_outgoing: t.pace.trace.is_some(),
            plain_frames: true,
            deflate: deflate_offer.is_some(),
            // What the checker sends only has to be valid DEFLATE data:
            // the fastest level leaves the time to the server.
            deflate_level: 1,
            ..Settings::client()
        };
        let now = Instant::now();
        let ep = Endpoint::client(settings, &head, &key, seed, now);
        let book = Book {
            path: Some(t.url.resource.clone()),
            ..Book::default()
        };
        let mut rec = Recorder::new(
            t.pace.trace.clone().map(|v| (v, book, render)),
            peer,
            Role::Client,
        );
        rec.request = request;
        rec.key = key;
        rec.deflate_offered = deflate_offer.is_some();
        let mut s = Session::new(&t.pace, Role::Client, wire, ep, rec, now)
            .map_err(|e| format!("cannot wait on the socket: {e}"))?;
        s.cap = now + t.pace.patience * (10 + 10 * case.weight);
        if let Some(show) = &mut s.rec.show {
            if let Ok(crate::protocol::http::HeadParse::Complete { head: req, len }) =
                crate::protocol::http::parse_request(&head, head.len() + 1)
            {
                let issues = crate::protocol::handshake::validate_request(&req);
                let h = Head::Request {
                    offset: 0,
                    raw: head[..len].to_vec(),
                    request: req,
                    issues,
                };
                let mut sh = Show {
                    view: show.0.clone(),
                    conn: None,
                    local: Role::Client,
                    peer: &s.rec.peer,
                    server: None,
                    render: &mut *show.2,
                };
                let meta = sh.meta(Some(Role::Client));
                sh.print(|p| p.head(&meta, &h));
            }
        }
        s.flush(chop);
        s.pump(|s| s.ep.state() != State::Handshake);
        s.deflate = s.ep.outbox().compresses();
        if s.ep.state() == State::Handshake && !s.ended {
            s.rec.answer = Answer::Failed(format!(
                "no answer to the upgrade request within {:.1} s",
                t.pace.patience.as_secs_f64()
            ));
        } else if matches!(s.rec.answer, Answer::Nothing) {
            s.rec.answer = Answer::Failed(if let Some(why) = &s.tls_error {
                why.clone()
            } else if s.hung_up {
                "the server closed the connection without answering the upgrade request".into()
            } else if s.reset {
                "the connection was reset before the server answered".into()
            } else {
                format!(
                    "no answer to the upgrade request within {:.1} s",
                    t.pace.patience.as_secs_f64()
                )
            });
        }
        Ok(s)
    }

    /// A client's connection to `serve --check`, its handshake not yet
    /// read.
    fn accept(
        pace: &'a Pace,
        stream: std::net::TcpStream,
        settings: Settings,
        render: &'a mut Vec<u8>,
    ) -> io::Result<Self> {
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        stream.set_nonblocking(true)?;
        let _ = stream.set_nodelay(true);
        let now = Instant::now();
        let settings = Settings {
            decode_outgoing: pace.trace.is_some(),
            plain_frames: true,
            handshake_timeout: pace.patience.max(Duration::from_secs(10)),
            idle_timeout: None,
            close_timeout: pace.patience,
            ..settings
        };
        let ep = Endpoint::server(settings, now);
        let rec = Recorder::new(
            pace.trace.clone().map(|v| (v, Book::default(), render)),
            peer,
            Role::Server,
        );
        let mut s = Session::new(pace, Role::Server, Wire::plain(stream), ep, rec, now)?;
        s.cap = now + pace.patience * 20;
        Ok(s)
    }

    fn new(
        pace: &'a Pace,
        role: Role,
        wire: Wire,
        ep: Endpoint,
        rec: Recorder<'a>,
        now: Instant,
    ) -> io::Result<Self> {
        let events = Loop::new(8)?;
        events.watch(wire.fd(), 0)?;
        Ok(Session {
            pace,
            role,
            wire,
            ep,
            rec,
            buf: vec![0u8; 256 << 10],
            active: now,
            cap: now + pace.patience * 20,
            shut: false,
            ended: false,
            hung_up: false,
            gave_up: None,
            deflate: false,
            begun: None,
            hold: false,
            started: now,
            reset: false,
            flooded: false,
            tls_error: None,
            events,
            readable: true,
        })
    }

    /// What was seen, once the case is over.
    fn observed(&mut self) -> Observed {
        let closed = self.ep.outbox().close_sent();
        let mut o = self.rec.observed(self.deflate, closed);
        o.ending.peer_hung_up = self.hung_up;
        o.ending.gave_up = if self.flooded {
            Some(Waited::Flood)
        } else {
            self.gave_up
        };
        o
    }

    /// Runs the script (or, for a handshake case, what follows the
    /// answer).
    fn play(&mut self, case: &Case) {
        if self.ep.state() != State::Open {
            return;
        }
        if let Some(h) = &case.handshake {
            if h.request.then_text.is_some() {
                self.pump(|s| !s.rec.got.is_empty());
            }
            return;
        }
        for step in &case.script {
            if self.ended || self.ep.state() == State::Closed {
                break;
            }
            if !self.step(step) {
                break;
            }
        }
    }

    /// One step; false when the script stops here.
    fn step(&mut self, step: &Step) -> bool {
        match step {
            Step::Frames(frames, chop) => {
                for f in frames {
                    let (header, payload) = encoded(f, self.role);
                    self.ep.outbox().send_frame(&header, &payload);
                }
                self.flush(*chop);
                if matches!(chop, Chop::Every(_)) {
                    // Autobahn writes each piece in a turn of its event
                    // loop, so a peer reading as fast as it can sees a
                    // frame whole before the next one's first byte: a
                    // moment for it to act on what it has (an echo before
                    // the bad frame that follows).
                    let until = Instant::now() + Duration::from_millis(2);
                    self.pump_until(until, |_| false);
                }
            }
            Step::Message {
                kind,
                payload,
                fragment,
            } => {
                let data = payload.bytes();
                self.queue_message(*kind, &data, *fragment);
                self.flush(Chop::Whole);
            }
            Step::Begin { frame, first } => {
                let mut bytes = Vec::new();
                let (header, payload) = encoded(frame, self.role);
                crate::protocol::frame::encode_frame(&header, &payload, &mut bytes);
                let upto = (header.len() + first).min(bytes.len());
                self.ep.outbox().send_raw(&bytes[..upto]);
                self.begun = Some((bytes, upto));
                self.flush(Chop::Whole);
            }
            Step::More(len) => {
                if let Some((bytes, at)) = &mut self.begun {
                    let end = len.map_or(bytes.len(), |n| (*at + n).min(bytes.len()));
                    let piece = bytes[*at..end].to_vec();
                    *at = end;
                    self.ep.outbox().send_raw(&piece);
                    self.flush(Chop::Whole);
                }
            }
            Step::Close { code, reason } => {
                let mut payload = Vec::new();
                if let Some(c) = code {
                    payload.extend_from_slice(&c.to_be_bytes());
                }
                payload.extend_from_slice(&reason.bytes());
                let f = Frame::new(OpCode::Close, check::Payload::Bytes(payload.into()));
                let (header, payload) = encoded(&f, self.role);
                self.ep.outbox().close_frame(&header, &payload);
                self.flush(Chop::Whole);
            }
            Step::Quiet(mark) => {
                let until = Instant::now() + self.pace.quiet;
                self.pump_until(until, |s| s.ended || s.ep.state() != State::Open);
                if self.ended || self.ep.state() != State::Open {
                    return false;
                }
                self.rec.got.push(Got::Mark(mark));
            }
            Step::Await(n) => {
                let n = *n;
                self.pump(|s| s.rec.got.len() >= n);
            }
            Step::Echoes {
                kind,
                payload,
                count,
            } => {
                let data = payload.bytes().into_owned();
                let messages = std::iter::repeat_n(data, *count);
                return self.round_trips(*kind, messages, None);
            }
            Step::Stream {
                set,
                len,
                count,
                fragment,
            } => {
                let kind = if set.is_text() {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                return self.round_trips(kind, set.messages(*len, *count), *fragment);
            }
        }
        true
    }

    /// Sends each message and waits for its echo before the next; what
    /// came back is then one [`Got::Echoes`].
    fn round_trips(
        &mut self,
        kind: MessageKind,
        messages: impl Iterator<Item = Vec<u8>>,
        fragment: Option<usize>,
    ) -> bool {
        self.rec.echoes = Some(Echoes::default());
        let mut whole = true;
        for m in messages {
            if self.ended || self.ep.state() != State::Open {
                whole = false;
                break;
            }
            self.queue_message(kind, &m, fragment);
            if let Some(e) = &mut self.rec.echoes {
                e.awaited.push_back((kind, m));
                e.sent += 1;
            }
            self.flush(Chop::Whole);
            self.pump(|s| {
                s.rec
                    .echoes
                    .as_ref()
                    .is_none_or(|e| e.awaited.is_empty() || e.wrong.is_some())
            });
            let stop = self
                .rec
                .echoes
                .as_ref()
                .is_none_or(|e| e.wrong.is_some() || !e.awaited.is_empty());
            if stop {
                if !self.ended {
                    self.gave_up.get_or_insert(Waited::Expected);
                }
                whole = false;
                break;
            }
        }
        if let Some(e) = self.rec.echoes.take() {
            self.rec.got.push(Got::Echoes {
                right: e.right,
                sent: e.sent,
                wrong: e.wrong,
            });
        }
        whole
    }

    /// Queues a data message in frames of at most `fragment` bytes.
    fn queue_message(&mut self, kind: MessageKind, data: &[u8], fragment: Option<usize>) {
        let out = self.ep.outbox();
        match fragment {
            None => out.send_message(kind, data),
            Some(size) => out.send_fragmented(kind, data, size),
        };
    }

    /// Ends the case as it expects: waits for what should come, closes
    /// (or waits for the server to), waits for the end of the connection.
    fn finish(&mut self, case: &Case) {
        if !self.ended && self.ep.state() == State::Open {
            let by_peer = case.handshake.is_none() && case.expect.close.by == Closer::Peer;
            if by_peer {
                let done = self.pump(|s| s.ep.state() != State::Open);
                if !done && !self.ended {
                    self.gave_up.get_or_insert(Waited::PeerClose);
                }
            } else if case.handshake.is_none() && !self.ep.outbox().close_sent() {
                let expect = case.expect.clone();
                let done = self.pump(|s| {
                    s.ep.state() != State::Open || !check::waiting_for_more(&expect, &s.rec.got)
                });
                if !done && !self.ended {
                    self.gave_up.get_or_insert(Waited::Expected);
                }
            }
        }
        if !self.ended && self.ep.state() == State::Open {
            let now = Instant::now();
            self.ep.close_now(1000, b"", now);
            self.flush(Chop::Whole);
        }
        if !self.ended && self.ep.state() == State::Closing {
            let done = self.pump(|s| s.ep.state() != State::Closing);
            if !done {
                self.gave_up.get_or_insert(Waited::CloseAnswer);
            }
        }
        if !self.ended {
            let done = self.pump(|s| s.ended);
            if !done {
                self.gave_up.get_or_insert(Waited::HangUp);
            }
        }
        let _ = self.wire.socket().shutdown(std::net::Shutdown::Both);
        if self.rec.close.is_none() && !self.ended {
            // The endpoint reports its end on EOF or a deadline; a
            // connection cut here by the checker ends without a close.
            let now = Instant::now();
            let _ = self.ep.receive_eof(now, &mut notes(&mut self.rec));
        }
        // The trace ends as connect's output does: how it closed.
        let (Some((view, book, render)), Some(info)) = (&mut self.rec.show, &self.rec.close) else {
            return;
        };
        let mut show = Show {
            view: view.clone(),
            conn: None,
            local: self.role,
            peer: &self.rec.peer,
            server: None,
            render,
        };
        let meta = show.meta(None);
        let c = crate::print::Closed {
            info,
            local: self.role,
            peer: &self.rec.peer,
            duration: self.started.elapsed(),
            received: book.received,
            sent: book.sent,
            round_trips: book.pings.figures(),
            payload_violations: book.reading.as_ref().map_or(0, |(r, _)| r.violations()),
        };
        show.print(|p| p.closed(&meta, &c));
    }
}

/// The header and payload of a frame the checker sends: masked with a
/// fresh key unless unmasked.
fn encoded(f: &Frame, role: Role) -> (crate::protocol::frame::FrameHeader, Vec<u8>) {
    let payload = f.payload.bytes().into_owned();
    let masked = f.masked.unwrap_or(role == Role::Client);
    let mut key = [0u8; 4];
    if masked && getrandom::getrandom(&mut key).is_err() {
        key = [0x37, 0xfa, 0x21, 0x3d];
    }
    let spec = FrameSpec {
        fin: f.fin,
        rsv: [f.rsv & 4 != 0, f.rsv & 2 != 0, f.rsv & 1 != 0],
        opcode: f.opcode,
        mask: masked.then_some(key),
        length: f.claimed,
        form: None,
    };
    let header = spec.header(payload.len()).unwrap_or_else(|_| {
        crate::protocol::frame::FrameHeader::new(f.fin, f.opcode, spec.mask, payload.len() as u64)
    });
    (header, payload)
}

impl Session<'_> {
    /// Moves bytes both ways until `done` holds, the connection ends, or
    /// nothing moves for the patience (or the case's cap passes). True
    /// when `done` held.
    fn pump(&mut self, done: impl FnMut(&Self) -> bool) -> bool {
        self.pump_until(Instant::now() + Duration::from_secs(3600), done)
    }

    /// As [`Session::pump`], but also stops at `until`.
    fn pump_until(&mut self, until: Instant, mut done: impl FnMut(&Self) -> bool) -> bool {
        self.active = Instant::now();
        loop {
            if !self.hold {
                self.write_some(usize::MAX);
            }
            if done(self) {
                return true;
            }
            if self.ended {
                return false;
            }
            let now = Instant::now();
            let idle_end = self.active + self.pace.patience;
            let limit = until.min(idle_end).min(self.cap);
            if now >= limit {
                return false;
            }
            let wake = self.ep.deadline().map_or(limit, |d| d.min(limit));
            self.wait(wake.saturating_duration_since(now));
            self.read_all();
            let now = Instant::now();
            if self.ep.deadline().is_some_and(|d| now >= d) {
                let _ = self.ep.on_timeout(now, &mut notes(&mut self.rec));
            }
            self.transport();
        }
    }

    /// Acts on what the endpoint says of the transport.
    fn transport(&mut self) {
        match self.ep.transport() {
            Transport::Close => self.ended = true,
            Transport::Shutdown if !self.shut && self.ep.outbox().pending().is_empty() => {
                self.wire.shutdown_write();
                self.shut = true;
            }
            _ => {}
        }
    }

    /// Waits until the socket is readable or writable, or `timeout`.
    fn wait(&mut self, timeout: Duration) {
        // Bytes left unread last turn: no wait, their socket will not
        // signal them again.
        let until = if self.readable {
            Instant::now()
        } else {
            Instant::now() + timeout
        };
        let mut writable = false;
        if let Ok(ready) = self.events.wait(Some(until)) {
            for r in ready {
                self.readable |= r.read;
                writable |= r.write;
            }
        }
        if writable {
            let _ = self.wire.on_writable();
        }
    }

    /// Reads and feeds everything that has arrived.
    fn read_all(&mut self) {
        // A server that never stops sending must not keep the case from
        // its deadlines: at most this much per turn.
        let mut budget = 4usize << 20;
        loop {
            if self.ended {
                return;
            }
            if self.rec.full() {
                // Flooded: what was kept is enough to judge; the rest is
                // dropped with the connection.
                self.flooded = true;
                self.ended = true;
                return;
            }
            if budget == 0 || !self.readable {
                return;
            }
            match self.wire.read(&mut self.buf) {
                Ok(0) => {
                    self.hung_up = true;
                    self.eof();
                    return;
                }
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    self.active = Instant::now();
                    let now = self.active;
                    let _ = self
                        .ep
                        .receive(&mut self.buf[..n], now, &mut notes(&mut self.rec));
                    self.transport();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(t) = e.get_ref().and_then(|i| i.downcast_ref::<wire::TlsError>()) {
                        self.tls_error = Some(t.to_string());
                    }
                    // A reset is the server ending the connection too.
                    self.reset = true;
                    self.hung_up = true;
                    self.eof();
                    return;
                }
            }
        }
    }

    fn eof(&mut self) {
        let now = Instant::now();
        let _ = self.ep.receive_eof(now, &mut notes(&mut self.rec));
        self.ended = true;
    }

    /// Writes up to `most` bytes at a time of what is pending, as far as
    /// the socket takes them now.
    fn write_some(&mut self, most: usize) -> usize {
        let mut total = 0;
        loop {
            if self.ended {
                return total;
            }
            let pending = self.ep.outbox().pending();
            if pending.is_empty() {
                return total;
            }
            let n = pending.len().min(most);
            match self.wire.write(&pending[..n]) {
                Ok(k) => {
                    self.active = Instant::now();
                    total += k;
                    let _ = self.ep.sent(k, &mut notes(&mut self.rec));
                    self.transport();
                    if most != usize::MAX {
                        return total;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.reset = true;
                    self.hung_up = true;
                    self.eof();
                    return total;
                }
            }
        }
    }

    /// Sends everything pending, in pieces as `chop` says, reading what
    /// arrives meanwhile.
    fn flush(&mut self, chop: Chop) {
        let (piece, pause) = match chop {
            Chop::Whole => (usize::MAX, None),
            Chop::Every(n) => (n.max(1), None),
            Chop::Slowly(n, d) => (n.max(1), Some(d)),
        };
        self.active = Instant::now();
        while !self.ended && !self.ep.outbox().pending().is_empty() {
            let wrote = self.write_some(piece);
            if let Some(d) = pause {
                if wrote > 0 && !self.ep.outbox().pending().is_empty() {
                    let until = Instant::now() + d;
                    self.hold = true;
                    self.pump_until(until, |_| false);
                    self.hold = false;
                    continue;
                }
            }
            if self.ep.outbox().pending().is_empty() {
                break;
            }
            let now = Instant::now();
            if now >= self.cap || now >= self.active + self.pace.patience {
                self.gave_up.get_or_insert(Waited::Expected);
                break;
            }
            if wrote == 0 {
                self.wait(self.pace.patience.min(Duration::from_millis(100)));
            }
            self.read_all();
        }
    }
}
