//! The reactors: threads that each wait on their share of the clients'
//! sockets at once ([`crate::cmd::event`]) and drive whichever is ready
//! ([`Conn::on_ready`]), and act on the deadlines (handshake, idle, close,
//! ping) as they pass. A client belongs to one reactor for its life.
//!
//! A few threads for all, rather than one per client: under load one
//! wake-up serves many ready sockets, which saves a context switch a
//! message, and an idle client costs no thread stack (benches/echo.sh and
//! benches/idle.sh measure both). One reactor per core, so that the
//! server is not held to one core while the machine has more.
//!
//! Readiness comes as edges: a client whose read may have left bytes in
//! the socket (it filled what it asked for) is read again on the next
//! turn without waiting for a new event ([`After::Open`]'s `again`), after
//! every other ready client has had its turn.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::conn::{After, Conn, Turn};
use super::Shared;
use crate::cmd::event::{Loop, Ready, Watcher};

/// The read buffer, shared by a reactor's clients (a long frame's payload
/// is read into its message instead).
const BUF: usize = 256 << 10;

/// Rounds of deadlines are at least this far apart: a round looks at every
/// client, so many clients whose deadlines fall close together cost one
/// round, not one each (a deadline is acted on at most this late).
const ROUND_GAP: Duration = Duration::from_millis(10);

/// The token of the reactor's waker (client ids are counted from 1).
const WAKE: usize = usize::MAX - 1;

/// What other threads reach a reactor by.
pub(crate) struct Reactor {
    watcher: Watcher,
    waker: Arc<mio::Waker>,
    /// The soonest deadline that other threads added since the reactor
    /// last looked.
    due: Mutex<Option<Instant>>,
    /// Clients that other threads let read again (their output drained).
    again: Mutex<Vec<u64>>,
}

impl Reactor {
    /// A reactor, and the loop its thread waits in ([`run`]).
    pub(super) fn new() -> io::Result<(Self, Loop)> {
        let mut events = Loop::new(256)?;
        let r = Self {
            watcher: events.watcher()?,
            waker: events.waker(WAKE)?,
            due: Mutex::new(None),
            again: Mutex::new(Vec::new()),
        };
        Ok((r, events))
    }

    /// Starts watching client `id`'s socket (both directions, for its
    /// life). Any thread may call it.
    pub(super) fn watch(&self, fd: i32, id: u64) -> io::Result<()> {
        self.watcher.watch(fd, id as usize)
    }

    /// Stops watching a client's socket (before it is closed).
    pub(super) fn unwatch(&self, fd: i32) {
        let _ = self.watcher.unwatch(fd);
    }

    /// Tells the reactor of a deadline it does not know (a new client's, or
    /// one a command moved nearer).
    pub(super) fn wake_by(&self, deadline: Option<Instant>) {
        let Some(d) = deadline else { return };
        if let Ok(mut due) = self.due.lock() {
            *due = earlier(*due, Some(d));
        }
        let _ = self.waker.wake();
    }

    /// Tells the reactor that client `id` may be read again: another thread
    /// sent what held its reads back.
    pub(super) fn read_again(&self, id: u64) {
        if let Ok(mut a) = self.again.lock() {
            a.push(id);
        }
        let _ = self.waker.wake();
    }
}

/// What a reactor's thread holds between turns.
struct Thread<'a> {
    shared: &'a Shared,
    index: usize,
    turn: Turn,
    /// Its clients, as met (the registry is looked up once a client).
    known: HashMap<u64, Arc<Conn>>,
    /// The soonest deadline of any client, as last seen: deadlines that
    /// move on (idle) only make this early, and a round then finds nothing.
    soonest: Option<Instant>,
    /// Clients to read again on the next turn.
    next: Vec<u64>,
}

/// Reactor `index`'s thread.
pub(super) fn run(shared: Arc<Shared>, index: usize, mut events: Loop) {
    let r = &shared.reactors[index];
    let mut t = Thread {
        shared: &shared,
        index,
        turn: Turn {
            buf: vec![0; BUF],
            render: Vec::new(),
            broadcast: Vec::new(),
        },
        known: HashMap::new(),
        soonest: None,
        next: Vec::new(),
    };
    let mut again: Vec<u64> = Vec::new();
    let mut ready = Vec::new();
    loop {
        again.append(&mut t.next);
        if let Err(e) = events.turn(t.soonest, !again.is_empty(), &mut ready) {
            eprintln!("wsdbg: error: serve: the reactor cannot wait: {e}");
            return;
        }
        for ev in &ready {
            if ev.token == WAKE {
                let due = r.due.lock().ok().and_then(|mut d| d.take());
                t.soonest = earlier(t.soonest, due);
                if let Ok(mut a) = r.again.lock() {
                    again.append(&mut a);
                }
                continue;
            }
            t.drive(ev);
        }
        for id in again.drain(..) {
            t.drive(&Ready::again(id as usize));
        }
        // One write for the whole batch: with --trace to a file, writing
        // is much of the cost, and fewer, larger writes cost less.
        emit(t.shared, &mut t.turn);
        t.round();
    }
}

impl Thread<'_> {
    /// Gives client `ev.token` its turn: what became ready, or nothing new
    /// (a read again).
    fn drive(&mut self, ev: &Ready) {
        let id = ev.token as u64;
        let conn = match self.known.get(&id) {
            Some(c) => c.clone(),
            None => {
                let found = self
                    .shared
                    .conns
                    .lock()
                    .ok()
                    .and_then(|c| c.get(&id).cloned());
                let Some(c) = found else { return };
                self.known.insert(id, c.clone());
                c
            }
        };
        match conn.on_ready(self.shared, ev, &mut self.turn) {
            After::Ended => {
                self.known.remove(&id);
            }
            After::Open { next, again } => {
                self.soonest = earlier(self.soonest, next);
                if again {
                    self.next.push(id);
                }
            }
        }
        broadcast(self.shared, &mut self.turn);
    }

    /// When a deadline passed, a round: every client's deadlines, and the
    /// next soonest.
    fn round(&mut self) {
        let now = Instant::now();
        if self.soonest.is_none_or(|t| now < t) {
            return;
        }
        self.soonest = None;
        let index = self.index;
        let conns: Vec<Arc<Conn>> = self
            .shared
            .conns
            .lock()
            .map(|c| c.values().filter(|c| c.reactor == index).cloned().collect())
            .unwrap_or_default();
        for c in conns {
            match c.on_deadline(self.shared, now, &mut self.turn.render) {
                After::Ended => {
                    self.known.remove(&c.id);
                }
                After::Open { next, again } => {
                    self.soonest = earlier(self.soonest, next);
                    if again {
                        self.next.push(c.id);
                    }
                }
            }
            broadcast(self.shared, &mut self.turn);
        }
        emit(self.shared, &mut self.turn);
        self.soonest = self.soonest.map(|t| t.max(now + ROUND_GAP));
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
