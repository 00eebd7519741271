//! The reactor: one thread that waits on every client's socket at once
//! (epoll) and drives whichever is ready ([`Conn::on_ready`]), and acts on
//! the deadlines (handshake, idle, close, ping) as they pass.
//!
//! One thread for all, rather than one per client: under load one wake-up
//! serves many ready sockets, which saves a context switch a message, and
//! an idle client costs no thread stack (benches/echo.sh and
//! benches/idle.sh measure both).

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::conn::{After, Conn, Turn};
use super::Shared;

/// The read buffer, shared by all clients (a long frame's payload is read
/// into its message instead).
const BUF: usize = 256 << 10;

/// Rounds of deadlines are at least this far apart: a round looks at every
/// client, so many clients whose deadlines fall close together cost one
/// round, not one each (a deadline is acted on at most this late).
const ROUND_GAP: Duration = Duration::from_millis(10);

/// The token of the wake-up descriptor.
const WAKE: u64 = u64::MAX;

/// The epoll set and the descriptor that wakes the reactor.
pub(crate) struct Reactor {
    epoll: OwnedFd,
    wake: OwnedFd,
    /// The soonest deadline that other threads added since the reactor
    /// last looked.
    due: Mutex<Option<Instant>>,
}

impl Reactor {
    /// The epoll set, empty.
    pub(super) fn new() -> io::Result<Self> {
        // SAFETY: no pointers; the results are checked.
        let (ep, wake) = unsafe {
            (
                libc::epoll_create1(libc::EPOLL_CLOEXEC),
                libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK),
            )
        };
        if ep < 0 || wake < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: descriptors just made, owned by nothing else.
        let (epoll, wake) = unsafe { (OwnedFd::from_raw_fd(ep), OwnedFd::from_raw_fd(wake)) };
        let r = Self {
            epoll,
            wake,
            due: Mutex::new(None),
        };
        r.ctl(
            libc::EPOLL_CTL_ADD,
            r.wake.as_raw_fd(),
            libc::EPOLLIN as u32,
            WAKE,
        );
        Ok(r)
    }

    fn ctl(&self, op: i32, fd: i32, events: u32, token: u64) {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: a valid epoll descriptor and event.
        unsafe {
            libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev);
        }
    }

    /// Changes what client `id`'s socket is watched for, from `had` to
    /// `want` (0: not watched). Any thread may call it.
    pub(super) fn watch(&self, fd: i32, id: u64, had: u32, want: u32) {
        let op = match (had, want) {
            (0, _) => libc::EPOLL_CTL_ADD,
            (_, 0) => libc::EPOLL_CTL_DEL,
            _ => libc::EPOLL_CTL_MOD,
        };
        self.ctl(op, fd, want, id);
    }

    /// Tells the reactor of a deadline it does not know (a new client's, or
    /// one a command moved nearer).
    pub(super) fn wake_by(&self, deadline: Option<Instant>) {
        let Some(d) = deadline else { return };
        if let Ok(mut due) = self.due.lock() {
            *due = earlier(*due, Some(d));
        }
        let one = 1u64;
        // SAFETY: an 8-byte buffer for an eventfd.
        unsafe {
            libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8);
        }
    }
}

/// The reactor's thread.
pub(super) fn run(shared: Arc<Shared>) {
    let shared = &*shared;
    let r = &shared.reactor;
    let mut turn = Turn {
        buf: vec![0; BUF],
        render: Vec::new(),
        broadcast: Vec::new(),
    };
    let mut known: HashMap<u64, Arc<Conn>> = HashMap::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    // The soonest deadline of any client, as last seen: deadlines that
    // move on (idle) only make this early, and a round then finds nothing.
    let mut soonest: Option<Instant> = None;
    loop {
        let timeout = soonest.map_or(-1, |t| {
            let left = t.saturating_duration_since(Instant::now()).as_millis() + 1;
            i32::try_from(left).unwrap_or(i32::MAX)
        });
        // SAFETY: a valid epoll descriptor and event array of that length.
        let n = unsafe {
            libc::epoll_wait(
                r.epoll.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as i32,
                timeout,
            )
        };
        let n = usize::try_from(n).unwrap_or(0);
        for ev in &events[..n] {
            let (token, flags) = (ev.u64, ev.events);
            if token == WAKE {
                let mut count = 0u64;
                // SAFETY: an 8-byte buffer for an eventfd.
                unsafe {
                    libc::read(r.wake.as_raw_fd(), (&mut count as *mut u64).cast(), 8);
                }
                let due = r.due.lock().ok().and_then(|mut d| d.take());
                soonest = earlier(soonest, due);
                continue;
            }
            let conn = match known.get(&token) {
                Some(c) => c.clone(),
                None => {
                    let found = shared
                        .conns
                        .lock()
                        .ok()
                        .and_then(|c| c.get(&token).cloned());
                    let Some(c) = found else { continue };
                    known.insert(token, c.clone());
                    c
                }
            };
            match conn.on_ready(shared, flags, &mut turn) {
                After::Ended => {
                    known.remove(&token);
                }
                After::Open(next) => soonest = earlier(soonest, next),
            }
            broadcast(shared, &mut turn);
        }
        // One write for the whole batch: with --trace to a file, writing
        // is much of the cost, and fewer, larger writes cost less.
        emit(shared, &mut turn);
        let now = Instant::now();
        if soonest.is_some_and(|t| now >= t) {
            // A round: every client's deadlines, and the next soonest.
            soonest = None;
            let conns: Vec<Arc<Conn>> = shared
                .conns
                .lock()
                .map(|c| c.values().cloned().collect())
                .unwrap_or_default();
            for c in conns {
                match c.on_deadline(shared, now, &mut turn.render) {
                    After::Ended => {
                        known.remove(&c.id);
                    }
                    After::Open(next) => soonest = earlier(soonest, next),
                }
                broadcast(shared, &mut turn);
            }
            emit(shared, &mut turn);
            soonest = soonest.map(|t| t.max(now + ROUND_GAP));
        }
    }
}

/// Prints what the turns rendered.
fn emit(shared: &Shared, turn: &mut Turn) {
    if !turn.render.is_empty() {
        shared.emit(&turn.render);
        turn.render.clear();
        if turn.render.capacity() > 4 << 20 {
            turn.render = Vec::new();
        }
    }
}

/// Sends a turn's broadcast frames to every client.
fn broadcast(shared: &Shared, turn: &mut Turn) {
    if !turn.broadcast.is_empty() {
        let conns: Vec<Arc<Conn>> = shared
            .conns
            .lock()
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default();
        for frame in turn.broadcast.drain(..) {
            for c in &conns {
                c.queue_frame(shared, &frame);
            }
        }
    }
}

/// The earlier of two optional instants.
fn earlier(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
