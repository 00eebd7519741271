//! One client: its thread reads the socket, drives the endpoint, answers
//! (echo), hands messages to the others (broadcast), and prints what
//! happens. Buffers exist only while bytes flow: an idle client holds a
//! small stack buffer and an endpoint with empty vectors.

use std::convert::Infallible;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::Shared;
use crate::cli::ServeMode;
use crate::cmd::input::console;
use crate::cmd::live::{queue, Book, Show, View};
use crate::cmd::signals;
use crate::print::{Closed, Meta, Printer};
use crate::protocol::endpoint::{
    CloseInfo, Closer, Endpoint, Note, Outbox, State as EndpointState, Transport,
};
use crate::protocol::frame::{encode_frame, FrameHeader, HeaderParse};
use crate::protocol::message::MessageKind;
use crate::protocol::opcode::OpCode;
use crate::protocol::stream::Event;
use crate::protocol::Role;

/// The first reads go into a buffer this big on the stack; a client that
/// fills it gets a heap buffer of `BIG` while it keeps sending.
const SMALL: usize = 1024;
const BIG: usize = 256 << 10;
/// The most of a long frame's payload read at once into its message.
const ROOM: usize = 4 << 20;

/// A connected client, shared by its thread, the writer thread and
/// whoever broadcasts or shuts down.
pub(crate) struct Conn {
    pub(super) id: u64,
    pub(super) stream: TcpStream,
    peer: String,
    started: Instant,
    state: Mutex<State>,
    /// The thread reading this client, to interrupt its wait when a
    /// command moves a deadline nearer.
    thread: OnceLock<libc::pthread_t>,
}

struct State {
    endpoint: Endpoint,
    book: Book,
    /// The reading thread has not yet begun to finish: signalling it is
    /// safe while this holds and the lock is held.
    running: bool,
}

/// Who is handling notes, and where their output goes.
struct Ctx<'a> {
    shared: &'a Shared,
    id: u64,
    fd: i32,
    peer: &'a str,
    render: &'a mut Vec<u8>,
    broadcast: &'a mut Vec<Arc<Vec<u8>>>,
}

impl Ctx<'_> {
    fn show(&mut self) -> Show<'_> {
        Show {
            view: self.shared.view,
            conn: Some(self.id),
            local: Role::Server,
            peer: self.peer,
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
                    if self.shared.view.decodes_outgoing() {
                        // Through the outbox, where what is sent is decoded
                        // to be shown.
                        out.send_message(m.kind, m.data);
                    } else {
                        // Straight from where it was read: no copy, and the
                        // bytes are still in the cache.
                        let fd = self.fd;
                        out.send_message_with(m.kind, m.data, |head, data| {
                            send_now(fd, head, data)
                        });
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
fn send_now(fd: i32, head: &[u8], data: &[u8]) -> usize {
    let iov = [
        libc::iovec {
            iov_base: head.as_ptr() as *mut libc::c_void,
            iov_len: head.len(),
        },
        libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        },
    ];
    let msg = libc::msghdr {
        msg_name: std::ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: iov.as_ptr() as *mut libc::iovec,
        msg_iovlen: if data.is_empty() { 1 } else { 2 },
        msg_control: std::ptr::null_mut(),
        msg_controllen: 0,
        msg_flags: 0,
    };
    // SAFETY: the iovecs point at live buffers of the given lengths.
    let n = unsafe { libc::sendmsg(fd, &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    usize::try_from(n).unwrap_or(0)
}

/// Starts the thread for a new client.
pub(super) fn spawn(
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let now = Instant::now();
    let conn = Arc::new(Conn {
        id,
        peer: peer.to_string(),
        started: now,
        thread: OnceLock::new(),
        state: Mutex::new(State {
            endpoint: Endpoint::server(shared.settings.clone(), now),
            book: Book::default(),
            running: true,
        }),
        stream,
    });
    if let Ok(mut conns) = shared.conns.lock() {
        conns.insert(id, conn.clone());
    }
    let shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("client-{id}"))
        // Stacks are reserved, not resident: only touched pages count.
        .stack_size(256 << 10)
        .spawn({
            let conn = conn.clone();
            let shared = shared.clone();
            move || conn.run(&shared)
        });
    if let Err(e) = spawned {
        if let Ok(mut conns) = shared.conns.lock() {
            conns.remove(&id);
        }
        super::refuse_busy(conn.stream.try_clone()?, "cannot start a thread");
        return Err(e);
    }
    Ok(())
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(self: Arc<Self>, shared: &Arc<Shared>) {
        // SAFETY: no preconditions.
        let _ = self.thread.set(unsafe { libc::pthread_self() });
        let mut small = [0u8; SMALL];
        let mut big: Vec<u8> = Vec::new();
        let mut render = Vec::new();
        let mut broadcast = Vec::new();
        // The read timeout in force, for the deadlines that do not move
        // (handshake, close, ping); the idle one, which moves on with
        // every read, is watched by the idle thread, which interrupts this
        // one when it passes (a read with a timeout arms a kernel timer
        // each time it sleeps, which costs a busy connection every
        // message). Re-arming costs a system call, so it is done only when
        // the deadline comes sooner than the timeout armed or when there
        // is none to arm.
        let mut armed: Option<Option<Duration>> = None;
        let mut shut = false;
        let (mut deadline, mut room): (Option<Instant>, _) = {
            let mut st = self.lock();
            (st.endpoint.fixed_deadline(), st.endpoint.take_room(ROOM))
        };
        let mut now = Instant::now();
        loop {
            let want = deadline.map(|d| {
                d.saturating_duration_since(now)
                    .max(Duration::from_millis(1))
            });
            let rearm = match (armed, want) {
                (None, _) | (Some(Some(_)), None) => true,
                (Some(None), w) => w.is_some(),
                (Some(Some(a)), Some(w)) => w + Duration::from_millis(5) < a,
            };
            if rearm {
                let _ = self.stream.set_read_timeout(want);
                armed = Some(want);
            }
            // The rest of a long frame is read straight into its message.
            let buf: &mut [u8] = if big.is_empty() { &mut small } else { &mut big };
            let read = match room.as_mut() {
                Some(r) => (&self.stream).read(r.bytes_mut()),
                None => (&self.stream).read(buf),
            };
            now = Instant::now();
            let mut st = self.lock();
            {
                let State { endpoint, book, .. } = &mut *st;
                if matches!(&read, Err(e) if !matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted))
                {
                    book.dropped.get_or_insert("the connection was reset");
                }
                let mut ctx = Ctx {
                    shared,
                    id: self.id,
                    fd: self.stream.as_raw_fd(),
                    peer: &self.peer,
                    render: &mut render,
                    broadcast: &mut broadcast,
                };
                let mut handler = |n: Note<'_>, o: &mut Outbox| ctx.note(n, o, book);
                let read = match (room.take(), read) {
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
                let _ = match read {
                    None => Ok(()),
                    Some(Ok(0)) => endpoint.receive_eof(now, &mut handler),
                    Some(Ok(n)) => {
                        let r = endpoint.receive(&mut buf[..n], now, &mut handler);
                        if n == buf.len() && big.is_empty() {
                            big = vec![0; BIG];
                        } else if n < SMALL && !big.is_empty() {
                            big = Vec::new();
                        }
                        r
                    }
                    Some(Err(e))
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        armed = None;
                        endpoint.on_timeout(now, &mut handler)
                    }
                    // Interrupted: a deadline moved nearer (a console
                    // command) or the idle one passed (the idle thread).
                    Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
                        endpoint.on_timeout(now, &mut handler)
                    }
                    Some(Err(_)) => endpoint.receive_eof(now, &mut handler),
                };
                // A peer that keeps sending never lets a read time out: a
                // deadline that passed meanwhile (a handshake trickled byte
                // by byte, a close never answered) is acted on here. The
                // deadline as it stood before this read is enough.
                if deadline.is_some_and(|d| now >= d) {
                    let _ = endpoint.on_timeout(now, &mut handler);
                }
            }
            let mut st = self.flush_own(shared, &mut render, st);
            let transport = st.endpoint.transport();
            // For the next read, under the same lock.
            deadline = st.endpoint.fixed_deadline();
            room = st.endpoint.take_room(ROOM);
            drop(st);
            if !render.is_empty() {
                shared.emit(&render);
                render.clear();
            }
            if !broadcast.is_empty() {
                for frame in broadcast.drain(..) {
                    let conns: Vec<Arc<Conn>> = shared
                        .conns
                        .lock()
                        .map(|c| c.values().cloned().collect())
                        .unwrap_or_default();
                    for c in conns {
                        c.queue_frame(shared, &frame);
                    }
                }
            }
            match transport {
                Transport::Open => {}
                Transport::Shutdown if !shut => {
                    let _ = self.stream.shutdown(Shutdown::Write);
                    shut = true;
                }
                Transport::Shutdown => {}
                Transport::Close => break,
            }
        }
        self.finish(shared);
    }

    /// Sends what the endpoint has pending, waiting for the socket when it
    /// is full (this thread's own client: it reads no more until then).
    fn flush_own<'a>(
        &'a self,
        shared: &Shared,
        render: &mut Vec<u8>,
        mut st: MutexGuard<'a, State>,
    ) -> MutexGuard<'a, State> {
        loop {
            match self.try_send(shared, &mut st, render) {
                Sent::Done | Sent::Failed => return st,
                Sent::Blocked => {
                    drop(st);
                    let idle = shared
                        .settings
                        .idle_timeout
                        .unwrap_or(Duration::from_secs(300));
                    if !wait_writable(&self.stream, idle) {
                        let mut st = self.lock();
                        st.book.dropped.get_or_insert("the client stopped reading");
                        let _ = self.stream.shutdown(Shutdown::Both);
                        return st;
                    }
                    st = self.lock();
                }
            }
        }
    }

    /// Writes as much as the socket takes now, without waiting.
    fn try_send(&self, shared: &Shared, st: &mut State, render: &mut Vec<u8>) -> Sent {
        loop {
            let State { endpoint, book, .. } = st;
            let pending = endpoint.outbox().pending();
            if pending.is_empty() {
                return Sent::Done;
            }
            // SAFETY: a valid buffer and length; the descriptor is open.
            let n = unsafe {
                libc::send(
                    self.stream.as_raw_fd(),
                    pending.as_ptr().cast(),
                    pending.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock => return Sent::Blocked,
                    io::ErrorKind::Interrupted => continue,
                    _ => {
                        book.dropped.get_or_insert("the connection was reset");
                        endpoint.sent_all();
                        return Sent::Failed;
                    }
                }
            }
            let mut broadcast = Vec::new();
            let mut ctx = Ctx {
                shared,
                id: self.id,
                fd: self.stream.as_raw_fd(),
                peer: &self.peer,
                render,
                broadcast: &mut broadcast,
            };
            let _ = endpoint.sent(n as usize, &mut |note, o: &mut Outbox| {
                ctx.note(note, o, book)
            });
        }
    }

    /// Queues a frame another client's message became (broadcast).
    fn queue_frame(&self, shared: &Shared, frame: &[u8]) {
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
                    let _ = self.stream.shutdown(Shutdown::Both);
                } else {
                    drop(st);
                    shared.writer.register(self.id);
                }
            }
        }
        shared.emit(&render);
    }

    /// Writes what is pending now, for the writer thread; true when done.
    pub(super) fn flush_pending(&self, shared: &Shared) -> bool {
        let mut render = Vec::new();
        let done = {
            let mut st = self.lock();
            !matches!(self.try_send(shared, &mut st, &mut render), Sent::Blocked)
        };
        shared.emit(&render);
        done
    }

    /// Starts the closing handshake from another thread (shutdown).
    pub(super) fn close_from_outside(&self, shared: &Shared, code: u16, reason: &[u8]) {
        let mut render = Vec::new();
        {
            let mut st = self.lock();
            st.endpoint.close_now(code, reason, Instant::now());
            if let Sent::Blocked = self.try_send(shared, &mut st, &mut render) {
                drop(st);
                shared.writer.register(self.id);
            }
        }
        shared.emit(&render);
    }

    /// Prints the closing line and leaves the registry.
    fn finish(&self, shared: &Shared) {
        if let Ok(mut conns) = shared.conns.lock() {
            conns.remove(&self.id);
        }
        let mut st = self.lock();
        st.running = false;
        let book = &st.book;
        let view = shared.view;
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
        let mut render = Vec::new();
        let mut broadcast = Vec::new();
        let mut ctx = Ctx {
            shared,
            id: self.id,
            fd: self.stream.as_raw_fd(),
            peer: &self.peer,
            render: &mut render,
            broadcast: &mut broadcast,
        };
        let meta = ctx.meta(None);
        let c = Closed {
            info: &info,
            local: Role::Server,
            peer: &self.peer,
            duration: self.started.elapsed(),
            received: book.received,
            sent: sent_count(&mut st, &view),
        };
        ctx.print(|p| p.closed(&meta, &c));
        drop(st);
        shared.emit(&render);
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

    /// Interrupts the reading thread's wait, so that it looks at its
    /// deadlines again; `st` is this connection's state, locked, which
    /// keeps the thread from ending meanwhile.
    fn interrupt(&self, st: &State) {
        if st.running {
            if let Some(t) = self.thread.get() {
                signals::interrupt(*t);
            }
        }
    }

    /// Interrupts the reading thread when its idle deadline has passed (the
    /// idle thread's round); a connection busy now is not idle.
    pub(super) fn interrupt_if_idle(&self, now: Instant) {
        let Ok(st) = self.state.try_lock() else {
            return;
        };
        if st.endpoint.idle_deadline().is_some_and(|d| now >= d) {
            self.interrupt(&st);
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
                if let Sent::Blocked = self.try_send(shared, &mut st, &mut render) {
                    shared.writer.register(self.id);
                }
                // A close waits for the client's answer until a deadline
                // nearer than the idle one the reading thread sleeps on.
                let after = st.endpoint.deadline();
                if after.is_some_and(|a| before.is_none_or(|b| a < b)) {
                    self.interrupt(&st);
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

/// Waits until the socket can take more bytes, up to `limit`.
fn wait_writable(stream: &TcpStream, limit: Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    let ms = i32::try_from(limit.as_millis()).unwrap_or(i32::MAX);
    loop {
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut fd, 1, ms) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return n > 0;
    }
}
