//! What `serve` and `connect` share about a live connection: how its notes
//! are shown (which ones, at which level of detail, in which format), and
//! the record kept for its last line. What each command does with a
//! message (echo, broadcast, nothing) stays with the command.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::cli::{LiveOutput, Only, Payload, Stamps};
use crate::cmd::input::console;
use crate::print::json::JsonPrinter;
use crate::print::select::{Filter, Held, Select};
use crate::print::text::{TextOptions, TextPrinter};
use crate::print::{Meta, Opened, Palette, Printer, Refused, Served};
use crate::protocol::endpoint::{CloseInfo, Note, Outbox, State};
use crate::protocol::message::{MessageKind, MessageRef};
use crate::protocol::opcode::OpCode;
use crate::protocol::payload::read::{Reading, Shown};
use crate::protocol::rtt::RoundTrips;
use crate::protocol::stream::{Event, Extent, FrameRecord, Head};
use crate::protocol::Role;

/// The printers' filter for `--only`, `--grep`, `--conn` and `--frames`.
pub(crate) fn filter(
    only: Option<Only>,
    grep: Option<&regex::Regex>,
    conn: Option<u64>,
    frames: Option<(u64, u64)>,
) -> Filter {
    use crate::print::select::Only as O;
    Filter {
        only: only.map(|o| match o {
            Only::Client => O::Client,
            Only::Server => O::Server,
            Only::Text => O::Text,
            Only::Binary => O::Binary,
            Only::Control => O::Control,
            Only::Violations => O::Violations,
        }),
        grep: grep.cloned(),
        conn,
        frames,
    }
}

/// How events are shown.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// Only failures.
    pub quiet: bool,
    /// Every head, the accept-key steps, every frame annotated.
    pub trace: bool,
    /// JSON Lines instead of text.
    pub json: bool,
    /// The time before each event.
    pub timestamps: bool,
    /// Before each message, the time since the connection's previous one.
    pub delta: bool,
    /// Colours for text.
    pub palette: Palette,
    /// Text printer options.
    pub text: TextOptions,
    /// How payloads are read.
    pub payload: Payload,
    /// What is shown of the events (None: all).
    pub filter: Option<Arc<Filter>>,
}

impl View {
    /// The view the output flags ask for.
    pub fn new(o: &LiveOutput, palette: Palette) -> Self {
        Self {
            quiet: o.quiet,
            trace: o.trace,
            json: o.json,
            timestamps: o.timestamps == Some(Stamps::Clock),
            delta: o.timestamps == Some(Stamps::Delta),
            payload: o.payload,
            filter: Some(filter(o.only, o.grep.as_ref(), o.conn, None))
                .filter(|f| !f.is_empty())
                .map(Arc::new),
            palette,
            text: TextOptions {
                brief: false,
                explain: false,
                max_bytes: if o.full {
                    None
                } else {
                    TextOptions::default().max_bytes
                },
            },
        }
    }

    /// Whether what this end sends must be decoded to be shown.
    pub fn decodes_outgoing(&self) -> bool {
        !self.quiet
    }
}

/// What is known about a connection for its last line.
#[derive(Debug, Default)]
pub(crate) struct Book {
    /// Messages received.
    pub received: u64,
    /// Messages sent, as decoded (when shown).
    pub sent: u64,
    /// The request, kept until the connection opens (to show a refusal).
    pub request: Option<Head>,
    /// The path the client asked for, once open.
    pub path: Option<String>,
    /// The status of a refused handshake.
    pub refused: Option<u16>,
    /// A plain HTTP request was answered with the page or 404.
    pub page: bool,
    /// How the connection ended, as the endpoint reported it.
    pub close: Option<CloseInfo>,
    /// Why the connection was dropped without a close handshake.
    pub dropped: Option<&'static str>,
    /// Its payloads read as an application protocol, once open (and
    /// when shown).
    pub reading: Option<(Reading, Instant)>,
    /// Frames of a message not yet whole, held until it is (`--grep`).
    pub held: Held,
    /// Pings waiting for their pong, and the round trips so far.
    pub pings: RoundTrips,
    /// When the book was opened: the origin of the times in `pings`.
    pub origin: Option<Instant>,
    /// When the last data message passed.
    pub last_message: Option<Instant>,
    /// The connection is relayed (a proxy's), not ended here: a pong to
    /// the peer's ping is a round trip too, not only one to this end's.
    pub relayed: bool,
}

impl Book {
    /// Gives `other` what both directions of one connection share, when
    /// the two are kept apart (a proxy's): the reading of the payloads,
    /// the pings, the time of the last message.
    pub fn hand_to(&mut self, other: &mut Book) {
        if let Some(r) = self.reading.take() {
            other.reading = Some(r);
        }
        other.pings = std::mem::take(&mut self.pings);
        other.origin = other.origin.or(self.origin);
        other.last_message = other.last_message.max(self.last_message.take());
    }

    /// The time since the book was opened.
    fn elapsed(&mut self, now: Instant) -> Duration {
        now.duration_since(*self.origin.get_or_insert(now))
    }

    /// The time since the previous message, which this one becomes.
    fn since_last(&mut self, now: Instant) -> Option<Duration> {
        let last = self.last_message.replace(now)?;
        Some(now.duration_since(last))
    }

    /// A ping or pong passing: the round trip when it is a pong that
    /// answers a ping seen. An end times only its own pings: its answer
    /// to the peer's is no round trip.
    fn control(
        &mut self,
        from: Role,
        local: Role,
        f: &FrameRecord,
        now: Instant,
    ) -> Option<Duration> {
        let h = f.header?;
        if f.extent != Extent::Complete
            || (!self.relayed && h.opcode == OpCode::Ping && from != local)
        {
            return None;
        }
        let at = self.elapsed(now);
        match h.opcode {
            OpCode::Ping => {
                self.pings.ping(from, f.payload, at);
                None
            }
            OpCode::Pong => self.pings.pong(from, f.payload, at),
            _ => None,
        }
    }

    /// What the application says in `m`, when there is something to
    /// show.
    fn read(&mut self, from: Role, m: &MessageRef) -> Option<Shown> {
        let (reading, opened) = self.reading.as_mut()?;
        let v = reading.message(from, m, Some(opened.elapsed()))?;
        v.worth_showing().then_some(v)
    }
}

/// Renders the notes of one connection into `render`.
pub(crate) struct Show<'a> {
    /// How much to show.
    pub view: View,
    /// The connection's id (serve), if any.
    pub conn: Option<u64>,
    /// This end's role.
    pub local: Role,
    /// The peer's address.
    pub peer: &'a str,
    /// The server's address, when this end is the server (shown as a
    /// capture's decode shows it).
    pub server: Option<std::net::SocketAddr>,
    /// Where the text goes.
    pub render: &'a mut Vec<u8>,
}

impl Show<'_> {
    /// The meta of an event from `from`.
    pub fn meta(&self, from: Option<Role>) -> Meta {
        Meta {
            conn: self.conn,
            from,
            time: (self.view.timestamps || self.view.json).then(SystemTime::now),
            packet: None,
            since: None,
            round_trip: None,
        }
    }

    /// Renders with the view's printer.
    pub fn print(&mut self, f: impl FnOnce(&mut dyn Printer) -> io::Result<()>) {
        self.print_with(&mut Held::default(), f);
    }

    /// Renders with the view's printer, through its filter, which takes
    /// and gives back `held` (the frames of a message not yet whole).
    fn print_with(&mut self, held: &mut Held, f: impl FnOnce(&mut dyn Printer) -> io::Result<()>) {
        let v = &self.view;
        let render = &mut *self.render;
        // Rendering into memory cannot fail.
        let _ = match (&v.filter, v.json) {
            (None, true) => f(&mut JsonPrinter::new(render)),
            (None, false) => f(&mut TextPrinter::new(render, v.palette, v.text)),
            (Some(filter), json) => {
                let filter = Filter::clone(filter);
                let kept = std::mem::take(held);
                if json {
                    let mut p = Select::resume(JsonPrinter::new(render), filter, kept);
                    let r = f(&mut p);
                    *held = p.into_held();
                    r
                } else {
                    let text = TextPrinter::new(render, v.palette, v.text);
                    let mut p = Select::resume(text, filter, kept);
                    let r = f(&mut p);
                    *held = p.into_held();
                    r
                }
            }
        };
    }

    /// Shows a message from `from` in one line (not under `--trace`,
    /// where its frames were shown).
    fn message(&mut self, from: Option<Role>, m: &MessageRef, book: &mut Book) {
        if self.view.quiet || self.view.trace {
            return;
        }
        let shown = book.read(from.unwrap_or(self.local), m);
        let mut meta = self.meta(from);
        let since = book.since_last(Instant::now());
        meta.since = since.filter(|_| self.view.delta);
        self.print(|p| p.message(&meta, m, shown.as_ref()));
    }

    /// Shows a frame from `from` annotated, with what the application
    /// says in the message it ends.
    fn frame(&mut self, from: Option<Role>, f: &FrameRecord, book: &mut Book) {
        let view = match f.message {
            Some(m) if self.view.trace => book.read(from.unwrap_or(self.local), &m),
            _ => None,
        };
        let mut meta = self.meta(from);
        let now = Instant::now();
        if self.view.trace && f.message.is_some() {
            let since = book.since_last(now);
            meta.since = since.filter(|_| self.view.delta);
        }
        meta.round_trip = book.control(from.unwrap_or(self.local), self.local, f, now);
        let mut held = std::mem::take(&mut book.held);
        self.print_with(&mut held, |p| p.frame_with(&meta, f, view.as_ref()));
        book.held = held;
    }

    /// Shows a control frame from `from` in one line; a pong with the
    /// round trip of the ping it answers.
    fn control(&mut self, from: Option<Role>, f: &FrameRecord, book: &mut Book) {
        let mut meta = self.meta(from);
        meta.round_trip = book.control(from.unwrap_or(self.local), self.local, f, Instant::now());
        self.print(|p| p.control(&meta, f));
    }

    /// Shows one note as the view asks, and records it in `book`.
    pub fn note(&mut self, note: &Note<'_>, book: &mut Book) {
        let view = self.view.clone();
        let local = Some(self.local);
        let peer = Some(self.local.other());
        match note {
            Note::HeadIn(h) => {
                if view.trace {
                    let meta = self.meta(peer);
                    self.print(|p| p.head(&meta, h));
                    if let Head::Request { request, .. } = h {
                        if let Some(key) = request.header("Sec-WebSocket-Key") {
                            let key = String::from_utf8_lossy(&key.value).into_owned();
                            self.print(|p| p.accept_steps(&meta, &key));
                        }
                    }
                }
                if let Head::Response { response, .. } = h {
                    if response.status != 101 {
                        book.refused = Some(response.status);
                    }
                }
                if self.local == Role::Server {
                    book.request = Some((*h).clone());
                }
            }
            Note::HeadOut(h) => {
                if view.trace {
                    let meta = self.meta(local);
                    self.print(|p| p.head(&meta, h));
                }
                if let Head::Response { response, .. } = h {
                    if response.status != 101 {
                        book.refused = Some(response.status);
                        if let Some(request) = &book.request {
                            let meta = self.meta(None);
                            let r = Refused {
                                peer: self.peer,
                                request,
                                status: response.status,
                            };
                            self.print(|p| p.refused(&meta, &r));
                        }
                    }
                }
            }
            Note::Page { request, response } => {
                book.page = true;
                if view.trace {
                    let (meta_in, meta_out) = (self.meta(peer), self.meta(local));
                    self.print(|p| p.http_head(&meta_in, request));
                    self.print(|p| p.http_head(&meta_out, response));
                }
                if let (Head::Request { request, .. }, Head::Response { response, .. }, false) =
                    (request, response, view.quiet)
                {
                    let meta = self.meta(None);
                    let s = Served {
                        peer: self.peer,
                        method: &request.method,
                        target: &request.target,
                        status: response.status,
                    };
                    self.print(|p| p.served(&meta, &s));
                }
            }
            Note::Open { target, protocol } => {
                // Kept only to show a refusal; an open connection needs none.
                book.request = None;
                if !view.quiet {
                    let mut reading = Reading::new(view.payload.asked());
                    reading.agreed(*protocol);
                    book.reading = Some((reading, Instant::now()));
                }
                if self.local == Role::Server {
                    book.path = Some(target.to_string());
                }
                if !view.quiet {
                    let meta = self.meta(None);
                    // JSON names the server as decode of a capture does;
                    // a live line names the peer alone, the server being
                    // this program.
                    let server = self.server.filter(|_| view.json).map(|a| a.to_string());
                    let o = Opened {
                        peer: self.peer,
                        server: server.as_deref(),
                        target: book.path.as_deref().unwrap_or(target),
                        protocol: *protocol,
                    };
                    self.print(|p| p.open(&meta, &o));
                }
            }
            Note::In(Event::Frame(f)) => {
                let failing = f.violations.iter().any(|v| v.close_code().is_some());
                if view.trace || failing || (f.extent != Extent::Complete && !view.quiet) {
                    self.frame(peer, f, book);
                } else if !view.quiet && f.header.is_some_and(|h| h.opcode.is_control()) {
                    self.control(peer, f, book);
                }
            }
            Note::In(Event::Message(m)) => {
                book.received += 1;
                self.message(peer, m, book);
            }
            Note::Out(Event::Frame(f)) => {
                if view.trace {
                    self.frame(local, f, book);
                } else if !view.quiet && f.header.is_some_and(|h| h.opcode.is_control()) {
                    self.control(local, f, book);
                }
            }
            Note::Out(Event::Message(m)) => {
                book.sent += 1;
                self.message(local, m, book);
            }
            Note::Closed(info) => {
                book.close = Some((*info).clone());
                if let Some(v) = book.reading.as_mut().and_then(|(r, _)| r.ended()) {
                    let meta = self.meta(None);
                    self.print(|p| p.view(&meta, &v));
                }
            }
            Note::In(_) | Note::Out(_) => {}
        }
    }
}

/// Queues a console command's frames on `out`.
pub(crate) fn queue(
    out: &mut Outbox,
    state: State,
    local: Role,
    what: &console::Send,
) -> Result<(), String> {
    use console::Send as S;
    let closed_by_us = out.close_sent();
    let not_now = || match state {
        State::Handshake => "its handshake is not complete".to_string(),
        State::Closed => "its connection is closed".to_string(),
        _ if closed_by_us => {
            "a close frame was sent to it already (/raw and /frame still send)".to_string()
        }
        _ => "it is closing".to_string(),
    };
    let ok = match what {
        S::Text(t) => out.send_message(MessageKind::Text, t.as_bytes()),
        S::Binary(b) => out.send_message(MessageKind::Binary, b),
        S::Ping(p) => out.send(OpCode::Ping, p),
        S::Pong(p) => out.send(OpCode::Pong, p),
        S::Close(None) => out.close(None, b""),
        S::Close(Some((code, reason))) => out.close(Some(*code), reason.as_bytes()),
        S::Raw(bytes) => {
            if state == State::Handshake {
                return Err(not_now());
            }
            out.send_raw(bytes);
            true
        }
        S::Frame {
            spec,
            mask,
            payload,
        } => {
            let mut spec = *spec;
            let random = matches!(mask, console::Mask::Random)
                || (matches!(mask, console::Mask::Default) && local == Role::Client);
            match mask {
                _ if random => {
                    let mut k = [0u8; 4];
                    getrandom::getrandom(&mut k).map_err(|e| format!("no random key: {e}"))?;
                    spec.mask = Some(k);
                }
                console::Mask::None | console::Mask::Default => spec.mask = None,
                console::Mask::Key(k) => spec.mask = Some(*k),
                console::Mask::Random => unreachable!("random above"),
            }
            let header = spec.header(payload.len()).map_err(|e| e.to_string())?;
            out.send_frame(&header, payload)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(not_now())
    }
}
