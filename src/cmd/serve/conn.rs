//! One client: when its socket is ready its reactor ([`super::reactor`])
//! reads it, drives the endpoint, answers (echo), hands messages to the
//! others (broadcast), writes what it can and prints what happens.
//! Buffers exist only while bytes flow: an idle client holds an endpoint
//! with empty vectors, and the reactor's read buffer is shared.

use std::convert::Infallible;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Shared;
use crate::cli::ServeMode;
use crate::cmd::event::Ready;
use crate::cmd::input::console;
use crate::cmd::live::{queue, Book, Show, View};
use crate::cmd::wire::{self, TlsError, Wire};
use crate::print::{Closed, Meta, Printer};
use crate::protocol::endpoint::{
    CloseInfo, Closer, Endpoint, Note, Outbox, State as EndpointState, Transport,
};
use crate::protocol::frame::{encode_frame, FrameHeader, HeaderParse};
use crate::protocol::message::MessageKind;
use crate::protocol::opcode::OpCode;
use crate::protocol::stream::Event;
use crate::protocol::Role;

/// The most of a long frame's payload read at once into its message.
const ROOM: usize = 4 << 20;
/// A read takes this much of the shared buffer, unless the client's last
/// read filled it: then all of it. Small reads leave the rest of a long
/// frame's payload in the socket, to be read straight into its message
/// instead of through the buffer.
const SMALL: usize = 1024;

/// A connected client, shared by the reactor and whoever broadcasts,
/// commands or shuts down.
pub(crate) struct Conn {
    pub(super) id: u64,
    /// The reactor it belongs to.
    pub(super) reactor: usize,
    /// Its socket's descriptor (the socket itself is the state's wire).
    fd: i32,
    peer: String,
    /// The address the client reached (shown as the server's).
    local: Option<SocketAddr>,
    started: Instant,
    state: Mutex<State>,
}

struct State {
    /// The socket, with TLS or without.
    wire: Wire,
    /// What TLS agreed on has been shown.
    tls_shown: bool,
    endpoint: Endpoint,
    book: Book,
    /// The socket said it became readable, and no read since found it
    /// empty: it is read when nothing waits to be written to it (a
    /// client that does not read what it is sent is not read either).
    readable: bool,
    /// The client ended its side (or the socket failed): its reads go on
    /// until the end is read, short or not.
    ended: bool,
    /// Our side of the socket is shut (the endpoint asked for it).
    shut: bool,
    /// The last read filled a small read: read all the buffer takes.
    wide: bool,
    /// The closing line is printed and the client left the registry.
    finished: bool,
}

/// Who is handling notes, and where their output goes.
struct Ctx<'a> {
    shared: &'a Shared,
    id: u64,
    /// The socket when it is plain TCP: echoes are written to it straight
    /// from where they were read.
    plain: Option<&'a TcpStream>,
    peer: &'a str,
    local: Option<SocketAddr>,
    render: &'a mut Vec<u8>,
    broadcast: &'a mut Vec<Arc<Vec<u8>>>,
}

impl Ctx<'_> {
    fn show(&mut self) -> Show<'_> {
        Show {
            view: self.shared.view.clone(),
            conn: Some(self.id),
            local: Role::Server,
            peer: self.peer,
            server: self.local,
            render: &mut *self.render,
        }
    }

    fn meta(&mut self, from: Option<Role>) -> Meta {
        self.show().meta(from)
    }

    fn print(&mut self, f: impl FnOnce(&mut dyn Printer) -> io::Result<()>) {
        self.show().print(f);
    }

    /// Acts on one note: prints, then answers (echo) or queues (broadcast).
    fn note(
        &mut self,
        note: Note<'_>,
        out: &mut Outbox,
        book: &mut Book,
    ) -> Result<(), Infallible> {
        self.show().note(&note, book);
        if let Note::In(Event::Message(m)) = note {
            match self.shared.mode {
                ServeMode::Echo => {
                    if let (false, Some(socket)) = (self.shared.view.decodes_outgoing(), self.plain)
                    {
                        // Straight from where it was read: no copy, and the
                        // bytes are still in the cache.
                        out.send_message_with(m.kind, m.data, |head, data| {
                            send_now(socket, head, data)
                        });
                    } else {
                        // Through the outbox, where what is sent is decoded
                        // to be shown.
                        out.send_message(m.kind, m.data);
                    }
                }
                ServeMode::Broadcast => {
                    let h = FrameHeader::new(true, m.kind.opcode(), None, m.data.len() as u64);
                    let mut frame = Vec::with_capacity(h.len() + m.data.len());
                    encode_frame(&h, m.data, &mut frame);
                    self.broadcast.push(Arc::new(frame));
                }
                ServeMode::Silent => {}
            }
        }
        Ok(())
    }
}

/// Writes a frame's header and payload with one non-blocking `sendmsg`;
/// how many of their bytes the socket took (0 on an error, which the next
/// write of the outbox meets again).
fn send_now(socket: &TcpStream, head: &[u8], data: &[u8]) -> usize {
    let iov = [IoSlice::new(head), IoSlice::new(data)];
    let iov = if data.is_empty() { &iov[..1] } else { &iov[..] };
    rustix::net::sendmsg(
        socket,
        iov,
        &mut rustix::net::SendAncillaryBuffer::default(),
        wire::SEND_FLAGS,
    )
    .unwrap_or(0)
}

/// Takes a new client: registers it and hands its socket to the reactor.
pub(super) fn spawn(
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    stream.set_nonblocking(true)?;
    let fd = stream.as_raw_fd();
    let local = stream.local_addr().ok();
    let mut wire = match &shared.tls {
        Some(config) => wire::accept_tls(stream, config.clone()).map_err(io::Error::other)?,
        None => Wire::plain(stream),
    };
    if let Some(r) = &shared.record {
        wire.record(r, Role::Server);
    }
    let now = Instant::now();
    let reactor = (id as usize) % shared.reactors.len();
    let conn = Arc::new(Conn {
        id,
        reactor,
        fd,
        peer: peer.to_string(),
        local,
        started: now,
        state: Mutex::new(State {
            wire,
            tls_shown: false,
            endpoint: Endpoint::server(shared.settings.clone(), now),
            book: Book::default(),
            readable: false,
            ended: false,
            shut: false,
            wide: false,
            finished: false,
        }),
    });
    if let Ok(mut conns) = shared.conns.lock() {
        conns.insert(id, conn.clone());
    }
    let r = &shared.reactors[reactor];
    if let Err(e) = r.watch(fd, id) {
        if let Ok(mut conns) = shared.conns.lock() {
            conns.remove(&id);
        }
        return Err(e);
    }
    // Its handshake deadline is new to the reactor.
    r.wake_by(conn.lock().endpoint.deadline());
    Ok(())
}

/// Where a client stands after its turn.
pub(super) enum After {
    /// Its connection ended (the closing line is printed).
    Ended,
    /// It goes on.
    Open {
        /// Its next deadline, if any.
        next: Option<Instant>,
        /// Its socket may hold more to read: a read again on the next
        /// turn, without waiting for an event.
        again: bool,
    },
}

/// What one turn of the reactor lends a client.
pub(super) struct Turn {
    /// The read buffer, shared by all clients.
    pub buf: Vec<u8>,
    /// Rendered output.
    pub render: Vec<u8>,
    /// Frames to send to every client (broadcast).
    pub broadcast: Vec<Arc<Vec<u8>>>,
}

impl Conn {
    /// Who handles this client's notes, and where their output goes.
    fn ctx<'a>(
        &'a self,
        shared: &'a Shared,
        plain: Option<&'a TcpStream>,
        render: &'a mut Vec<u8>,
        broadcast: &'a mut Vec<Arc<Vec<u8>>>,
    ) -> Ctx<'a> {
        Ctx {
            shared,
            id: self.id,
            plain,
            peer: &self.peer,
            local: self.local,
            render,
            broadcast,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The socket became ready (`read`, `write`: which ways), or may
    /// hold more to read: writes what is pending, reads once if nothing
    /// waits to be written, acts on a passed deadline, and ends the
    /// connection when the endpoint says so. The connection's next
    /// deadline, for the reactor, and whether to read again.
    pub(super) fn on_ready(&self, shared: &Shared, ev: &Ready, turn: &mut Turn) -> After {
        let (read, write) = (ev.read, ev.write);
        let now = Instant::now();
        let mut st = self.lock();
        if st.finished {
            return After::Ended;
        }
        if write {
            if st.wire.on_writable().is_err() {
                st.book.dropped.get_or_insert("the connection was reset");
            }
            self.try_send(shared, &mut st, &mut turn.render);
        }
        st.readable |= read;
        st.ended |= ev.ended;
        if reads(&mut st) {
            let due = st.endpoint.fixed_deadline();
            let Turn {
                buf,
                render,
                broadcast,
            } = turn;
            // The rest of a long frame is read straight into its message.
            let mut room = st.endpoint.take_room(ROOM);
            let cap = if st.wide { buf.len() } else { SMALL };
            let (read, asked) = match room.as_mut() {
                Some(r) => {
                    let b = r.bytes_mut();
                    let asked = b.len();
                    (st.wire.read(b), asked)
                }
                None => (st.wire.read(&mut buf[..cap]), cap),
            };
            if room.is_none() {
                if let Ok(n) = read {
                    st.wide = n == cap || (st.wide && n >= SMALL);
                }
            }
            // Less than asked for: the socket is empty now, and what comes
            // next is an event of its own. An end or an error is final.
            st.readable = matches!(read, Ok(n) if n > 0 && (st.ended || !st.wire.drained(asked, n)))
                || matches!(&read, Err(e) if e.kind() == io::ErrorKind::Interrupted);
            let State {
                endpoint,
                book,
                wire,
                tls_shown,
                ..
            } = &mut *st;
            if let Err(e) = &read {
                if !matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) {
                    book.dropped.get_or_insert(
                        match e.get_ref().and_then(|i| i.downcast_ref::<TlsError>()) {
                            Some(t) => tls_failure(t),
                            None => "the connection was reset",
                        },
                    );
                }
            }
            let mut ctx = self.ctx(shared, wire.direct(), render, broadcast);
            if !*tls_shown {
                if let Some(a) = wire.agreed() {
                    *tls_shown = true;
                    if !shared.view.quiet {
                        let meta = ctx.meta(None);
                        ctx.print(|p| p.tls(&meta, &a.shown(&self.peer)));
                    }
                }
            }
            let mut handler = |n: Note<'_>, o: &mut Outbox| ctx.note(n, o, book);
            let read = match (room, read) {
                (Some(r), Ok(n)) if n > 0 => {
                    let _ = endpoint.receive_room(r, n, now, &mut handler);
                    None
                }
                (Some(r), read) => {
                    endpoint.give_back(r);
                    Some(read)
                }
                (None, read) => Some(read),
            };
            match read {
                None => {}
                Some(Ok(0)) => {
                    let _ = endpoint.receive_eof(now, &mut handler);
                }
                Some(Ok(n)) => {
                    let _ = endpoint.receive(&mut buf[..n], now, &mut handler);
                }
                Some(Err(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Some(Err(_)) => {
                    let _ = endpoint.receive_eof(now, &mut handler);
                }
            }
            // A peer that keeps sending is never idle: a deadline that
            // passed meanwhile (a handshake trickled byte by byte, a close
            // never answered) is acted on here.
            if due.is_some_and(|d| now >= d) {
                let _ = endpoint.on_timeout(now, &mut handler);
            }
        }
        self.settle(shared, st, &mut turn.render)
    }

    /// Acts on a deadline that passed (the reactor's round); the next one.
    pub(super) fn on_deadline(&self, shared: &Shared, now: Instant, render: &mut Vec<u8>) -> After {
        let mut st = self.lock();
        if st.finished {
            return After::Ended;
        }
        if st.endpoint.deadline().is_some_and(|d| now >= d) {
            let State {
                endpoint,
                book,
                wire,
                ..
            } = &mut *st;
            let mut broadcast = Vec::new();
            let mut ctx = self.ctx(shared, wire.direct(), render, &mut broadcast);
            let _ =
                endpoint.on_timeout(now, &mut |n: Note<'_>, o: &mut Outbox| ctx.note(n, o, book));
        }
        self.settle(shared, st, render)
    }

    /// After the endpoint moved: writes what it can, does what the
    /// transport asks (shut our side, or end); the next deadline, and
    /// whether to read again.
    fn settle(
        &self,
        shared: &Shared,
        mut st: MutexGuard<'_, State>,
        render: &mut Vec<u8>,
    ) -> After {
        self.try_send(shared, &mut st, render);
        match st.endpoint.transport() {
            Transport::Open => {}
            Transport::Shutdown => {
                // Once TLS has sent what it holds (the close frame).
                if !st.shut && !st.wire.wants_write() {
                    st.wire.shutdown_write();
                    st.shut = true;
                }
            }
            Transport::Close => {
                self.finish(shared, st, render);
                return After::Ended;
            }
        }
        After::Open {
            next: st.endpoint.deadline(),
            again: reads(&mut st),
        }
    }

    /// After another thread sent to this client: if that let its held
    /// reads go on, tells its reactor.
    fn release(&self, shared: &Shared, st: &mut State) {
        if reads(st) {
            shared.reactors[self.reactor].read_again(self.id);
        }
    }

    /// Writes as much as the socket takes now, without waiting.
    fn try_send(&self, shared: &Shared, st: &mut State, render: &mut Vec<u8>) -> Sent {
        loop {
            let State {
                endpoint,
                book,
                wire,
                ..
            } = st;
            let pending = endpoint.outbox().pending();
            if pending.is_empty() {
                return Sent::Done;
            }
            let n = match wire.write(pending) {
                Ok(n) => n,
                Err(e) => match e.kind() {
                    io::ErrorKind::WouldBlock => return Sent::Blocked,
                    io::ErrorKind::Interrupted => continue,
                    _ => {
                        book.dropped.get_or_insert("the connection was reset");
                        endpoint.sent_all();
                        return Sent::Failed;
                    }
                },
            };
            if n == 0 {
                // TLS took nothing: its buffer is full until the socket
                // takes some.
                return Sent::Blocked;
            }
            let mut broadcast = Vec::new();
            let mut ctx = self.ctx(shared, wire.direct(), render, &mut broadcast);
            let _ = endpoint.sent(n, &mut |note, o: &mut Outbox| ctx.note(note, o, book));
        }
    }

    /// Queues a frame another client's message became (broadcast).
    pub(super) fn queue_frame(&self, shared: &Shared, frame: &[u8]) {
        let mut render = Vec::new();
        {
            let mut st = self.lock();
            let out = st.endpoint.outbox();
            let queued = if out.compresses() {
                // Compressed in this client's own context.
                match FrameHeader::parse(frame) {
                    HeaderParse::Complete(h) => {
                        let kind = if h.opcode == OpCode::Text {
                            MessageKind::Text
                        } else {
                            MessageKind::Binary
                        };
                        out.send_message(kind, &frame[h.len()..])
                    }
                    HeaderParse::Partial { .. } => false,
                }
            } else {
                out.send_encoded(frame)
            };
            if !queued {
                return;
            }
            if let Sent::Blocked = self.try_send(shared, &mut st, &mut render) {
                let pending = st.endpoint.outbox().pending().len();
                if pending > shared.max_pending {
                    st.book
                        .dropped
                        .get_or_insert("the client did not read what was sent to it");
                    let _ = st.wire.socket().shutdown(Shutdown::Both);
                }
            }
            self.release(shared, &mut st);
        }
        shared.emit(&render);
    }

    /// Starts the closing handshake from another thread (shutdown).
    pub(super) fn close_from_outside(&self, shared: &Shared, code: u16, reason: &[u8]) {
        let mut render = Vec::new();
        let due = {
            let mut st = self.lock();
            if st.finished {
                return;
            }
            st.endpoint.close_now(code, reason, Instant::now());
            self.try_send(shared, &mut st, &mut render);
            self.release(shared, &mut st);
            st.endpoint.deadline()
        };
        // Its close deadline is new to the reactor.
        shared.reactors[self.reactor].wake_by(due);
        shared.emit(&render);
    }

    /// Leaves the reactor and the registry, and prints the closing line.
    fn finish(&self, shared: &Shared, mut st: MutexGuard<'_, State>, render: &mut Vec<u8>) {
        st.finished = true;
        shared.reactors[self.reactor].unwatch(self.fd);
        let _ = st.wire.socket().shutdown(Shutdown::Both);
        if let Ok(mut conns) = shared.conns.lock() {
            conns.remove(&self.id);
        }
        let book = &st.book;
        let view = &shared.view;
        let mut info = book
            .close
            .clone()
            .or_else(|| st.endpoint.close_info().cloned())
            .unwrap_or(CloseInfo {
                by: Closer::Abnormal("the connection ended"),
                code: None,
                reason: Vec::new(),
                clean: false,
                answer: None,
            });
        if let Some(why) = book.dropped {
            if !info.clean && !matches!(info.by, Closer::Failed(_)) {
                info.by = Closer::Abnormal(why);
            }
        }
        let interesting = matches!(info.by, Closer::Failed(_));
        // A refused handshake or a page was already shown with its answer.
        if book.refused.is_some() || book.page || (view.quiet && !interesting) {
            return;
        }
        let mut broadcast = Vec::new();
        let mut ctx = self.ctx(shared, None, render, &mut broadcast);
        let meta = ctx.meta(None);
        let (received, round_trips) = (book.received, book.pings.figures());
        let payload_violations = book.reading.as_ref().map_or(0, |(r, _)| r.violations());
        let c = Closed {
            info: &info,
            local: Role::Server,
            peer: &self.peer,
            duration: self.started.elapsed(),
            received,
            sent: sent_count(&mut st, view),
            round_trips,
            payload_violations,
        };
        ctx.print(|p| p.closed(&meta, &c));
    }
}

/// Whether the client's socket is to be read: it may hold bytes and
/// nothing waits to be written to it.
fn reads(st: &mut State) -> bool {
    st.readable
        && !st.finished
        && st.endpoint.outbox().pending().is_empty()
        && !st.wire.wants_write()
}

/// Why a client's TLS failed, in words (the client's alert names what it
/// did not accept).
fn tls_failure(e: &TlsError) -> &'static str {
    match &e.0 {
        rustls::Error::AlertReceived(_) => {
            "the client ended TLS with an alert (does it trust the certificate? `wsdbg ca` says how)"
        }
        rustls::Error::InvalidMessage(_) => "TLS failed: the client did not speak TLS",
        rustls::Error::NoApplicationProtocol => "TLS failed: no ALPN protocol in common (http/1.1 offered)",
        _ => "TLS failed",
    }
}

impl Conn {
    /// Hangs up on the client (shutdown: one that did not answer the close).
    pub(super) fn hang_up(&self) {
        let _ = self.lock().wire.socket().shutdown(Shutdown::Both);
    }
}

/// Messages sent: decoded as they went when output shows them, else
/// counted as they were queued.
fn sent_count(st: &mut State, view: &View) -> u64 {
    if view.decodes_outgoing() {
        st.book.sent
    } else {
        st.endpoint.outbox().messages()
    }
}

/// A client as `/list` shows it.
pub(super) struct Row {
    /// The path it asked for, once open.
    pub path: Option<String>,
    /// Where the connection stands.
    pub state: &'static str,
    /// Messages received from it.
    pub received: u64,
    /// Messages sent to it.
    pub sent: u64,
    /// Time since it connected.
    pub age: Duration,
}

impl Conn {
    /// The client's address.
    pub(super) fn peer(&self) -> &str {
        &self.peer
    }

    /// What `/list` shows of this client.
    pub(super) fn row(&self, shared: &Shared) -> Row {
        let mut st = self.lock();
        let sent = sent_count(&mut st, &shared.view);
        Row {
            path: st.book.path.clone(),
            state: match st.endpoint.state() {
                EndpointState::Handshake => "handshake",
                EndpointState::Open => "open",
                EndpointState::Closing => "closing",
                EndpointState::Closed => "closed",
            },
            received: st.book.received,
            sent,
            age: self.started.elapsed(),
        }
    }

    /// Sends what a console command asks for; says why not when it cannot.
    pub(super) fn command(&self, shared: &Shared, what: &console::Send) -> Result<(), String> {
        let mut render = Vec::new();
        let result = {
            let mut st = self.lock();
            let state = st.endpoint.state();
            let before = st.endpoint.deadline();
            let now = Instant::now();
            let result = st
                .endpoint
                .command(now, |out| queue(out, state, Role::Server, what));
            if result.is_ok() {
                self.try_send(shared, &mut st, &mut render);
                self.release(shared, &mut st);
                // A close waits for the client's answer until a deadline
                // the reactor does not know yet.
                let after = st.endpoint.deadline();
                if after.is_some_and(|a| before.is_none_or(|b| a < b)) {
                    shared.reactors[self.reactor].wake_by(after);
                }
            }
            result
        };
        shared.emit(&render);
        result
    }
}

enum Sent {
    Done,
    Blocked,
    Failed,
}
