//! The relay loop: one thread that moves the bytes of every upgraded
//! client, waiting on all their sockets at once in the event loop
//! ([`crate::cmd::event`]), whatever the upstream's transport (plain TCP or
//! TLS, [`Wire`]). Each read is written on at once, byte for byte, then
//! decoded on the side; what a full socket does not take waits, and its
//! source is not read meanwhile, so memory stays bounded by one read per
//! direction.
//!
//! One thread for all, rather than one or two per client: under load one
//! wake-up serves many ready sockets, which saves a context switch a
//! message (measured with benches/relay.sh).
//!
//! Readiness comes as edges: a socket whose read may have left bytes (it
//! filled the buffer, or TLS may hold more) is read again on the next
//! turn without waiting for a new event.

use std::io;
use std::net::Shutdown;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use super::{closing, sides, tls_or_io, Shared, Side, CHUNK, LINGER};
use crate::cmd::event::{Loop, Ready};
use crate::cmd::wire::Wire;
use crate::print::Relayed;
use crate::protocol::deflate::DeflateParams;

/// An upgraded client handed to the loop.
pub(super) struct Handed {
    /// Its id.
    pub id: u64,
    /// Its address.
    pub peer: String,
    /// When it connected.
    pub started: Instant,
    /// Its connection.
    pub client: Wire,
    /// The upstream.
    pub up: Wire,
    /// The permessage-deflate agreed on.
    pub deflate: Option<DeflateParams>,
    /// What the upstream sent after its answer (already passed on), to be
    /// decoded.
    pub rest: Vec<u8>,
    /// What the client sent after its request's head (already passed
    /// on), to be decoded.
    pub early: Vec<u8>,
    /// A forward proxy's blind tunnel to this `host:port`: bytes are
    /// counted, not decoded.
    pub blind: Option<String>,
}

/// How the client threads reach the loop.
pub(super) struct Handle {
    tx: Mutex<mpsc::Sender<Handed>>,
    waker: Arc<mio::Waker>,
}

/// The token of the loop's waker (sockets' tokens are twice a slot, plus
/// one for the upstream).
const WAKE: usize = usize::MAX - 1;

impl Handle {
    /// The handle, the receiving end and the loop for [`run`].
    pub(super) fn new() -> io::Result<(Self, mpsc::Receiver<Handed>, Loop)> {
        let mut events = Loop::new(256)?;
        let (tx, rx) = mpsc::channel();
        Ok((
            Self {
                tx: Mutex::new(tx),
                waker: events.waker(WAKE)?,
            },
            rx,
            events,
        ))
    }

    /// Hands a client to the loop.
    pub(super) fn hand(&self, h: Handed) {
        let sent = self.tx.lock().map(|tx| tx.send(h).is_ok());
        if matches!(sent, Ok(true)) {
            let _ = self.waker.wake();
        }
    }
}

/// One direction: what its source sent that its destination has not yet
/// taken, and whether the source is still read.
#[derive(Default)]
struct Way {
    pending: Vec<u8>,
    open: bool,
    /// The end was passed on (the destination's write side shut).
    passed_end: bool,
}

/// A client and its upstream, as the loop holds them.
struct Pair<'a> {
    id: u64,
    peer: String,
    started: Instant,
    /// The client (index 0) and the upstream (1): the source of way 0 and
    /// of way 1, and the destination of the other way.
    socks: [Wire; 2],
    /// Each socket said it became readable, and no read since found it
    /// empty.
    readable: [bool; 2],
    /// Each socket's peer ended its side: read until the end is read.
    ended: [bool; 2],
    ways: [Way; 2],
    sides: [Side<'a>; 2],
    /// Once one way has ended, the other has until then.
    linger: Option<Instant>,
    /// A blind tunnel to this `host:port` (nothing decoded).
    blind: Option<String>,
    /// Bytes read from each socket.
    counts: [u64; 2],
}

/// The loop; returns only if it cannot wait.
pub(super) fn run(shared: &Shared, handed: mpsc::Receiver<Handed>, mut events: Loop) {
    let mut pairs: Vec<Option<Pair>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut ended: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let mut ready = Vec::new();
    // Sockets to read again this turn (token), and those for the next.
    let mut again: Vec<usize> = Vec::new();
    let mut next: Vec<usize> = Vec::new();
    loop {
        again.append(&mut next);
        let soonest = pairs.iter().flatten().filter_map(|p| p.linger).min();
        if let Err(e) = events.turn(soonest, !again.is_empty(), &mut ready) {
            eprintln!("wsdbg: error: proxy: the relay cannot wait: {e}");
            return;
        }
        for ev in &ready {
            if ev.token == WAKE {
                while let Ok(h) = handed.try_recv() {
                    let slot = free.pop().unwrap_or_else(|| {
                        pairs.push(None);
                        pairs.len() - 1
                    });
                    let pair = Pair::new(shared, h);
                    let watched =
                        (0..2).all(|i| events.watch(pair.socks[i].fd(), slot * 2 + i).is_ok());
                    pairs[slot] = Some(pair);
                    if !watched {
                        ended.push(slot);
                    }
                }
                continue;
            }
            turn(&mut pairs, ev, &mut buf, &mut next, &mut ended);
        }
        for token in again.drain(..) {
            turn(
                &mut pairs,
                &Ready::again(token),
                &mut buf,
                &mut next,
                &mut ended,
            );
        }
        let now = Instant::now();
        for (slot, p) in pairs.iter_mut().enumerate() {
            if let Some(p) = p {
                if p.linger.is_some_and(|t| now >= t) && !ended.contains(&slot) {
                    ended.push(slot);
                }
            }
        }
        // Slots are freed after the batch: an event of this batch for an
        // ended pair finds nothing rather than a newcomer.
        for slot in ended.drain(..) {
            if let Some(mut p) = pairs[slot].take() {
                for s in &p.socks {
                    let _ = events.unwatch(s.fd());
                    let _ = s.socket().shutdown(Shutdown::Both);
                }
                match &p.blind {
                    Some(_) if shared.view.quiet => {}
                    Some(host) => p.sides[0].say(&Relayed::TunnelEnded {
                        host,
                        up: p.counts[0],
                        down: p.counts[1],
                    }),
                    None => closing(shared, p.id, &p.peer, p.started, &mut p.sides),
                }
            }
            next.retain(|t| t / 2 != slot);
            free.push(slot);
        }
    }
}

/// Socket `ev.token` became ready, or may hold more (`ev` with nothing
/// set): moves its pair's bytes, notes a read again and a pair that ended.
fn turn(
    pairs: &mut [Option<Pair>],
    ev: &Ready,
    buf: &mut [u8],
    next: &mut Vec<usize>,
    ended: &mut Vec<usize>,
) {
    let (slot, i) = (ev.token / 2, ev.token % 2);
    let Some(pair) = pairs.get_mut(slot).and_then(Option::as_mut) else {
        return;
    };
    pair.ended[i] |= ev.ended;
    pair.ready(i, ev.read, ev.write, buf);
    for s in 0..2 {
        if pair.reads(s) && !next.contains(&(slot * 2 + s)) {
            next.push(slot * 2 + s);
        }
    }
    if pair.ways.iter().all(|w| !w.open && w.passed_end) && !ended.contains(&slot) {
        ended.push(slot);
    }
}

impl<'a> Pair<'a> {
    fn new(shared: &'a Shared, h: Handed) -> Self {
        let _ = h.client.socket().set_nonblocking(true);
        let _ = h.up.socket().set_nonblocking(true);
        let mut sides = sides(shared, h.id, &h.peer, h.deflate);
        let counts = [h.early.len() as u64, h.rest.len() as u64];
        if h.blind.is_none() && !h.early.is_empty() {
            let mut early = h.early;
            sides[0].passed(&mut early, Instant::now());
        }
        if h.blind.is_none() && !h.rest.is_empty() {
            let mut rest = h.rest;
            sides[1].passed(&mut rest, Instant::now());
        }
        let way = || Way {
            open: true,
            ..Way::default()
        };
        Self {
            id: h.id,
            peer: h.peer,
            started: h.started,
            socks: [h.client, h.up],
            // Read once at the start, event or not: TLS may already hold
            // what arrived after the heads.
            readable: [true; 2],
            ended: [false; 2],
            ways: [way(), way()],
            sides,
            linger: None,
            blind: h.blind,
            counts,
        }
    }

    /// Whether way `w`'s destination still holds bytes of it (in the way,
    /// or encrypted by TLS and not yet taken by the socket).
    fn busy(&self, w: usize) -> bool {
        !self.ways[w].pending.is_empty() || self.socks[1 - w].wants_write()
    }

    /// Whether socket `i` is to be read: it may hold bytes, its way is
    /// open, and nothing of it waits for its destination.
    fn reads(&self, i: usize) -> bool {
        self.readable[i] && self.ways[i].open && !self.busy(i)
    }

    /// Socket `i` became ready, or may hold more: writes what waits for
    /// it, reads its way.
    fn ready(&mut self, i: usize, read: bool, write: bool, buf: &mut [u8]) {
        if write {
            self.flush(1 - i);
        }
        self.readable[i] |= read;
        if self.reads(i) {
            self.read(i, buf);
        }
        if self.linger.is_none() && self.ways.iter().any(|w| !w.open && w.passed_end) {
            self.linger = Some(Instant::now() + LINGER);
        }
    }

    /// Reads way `w`'s source once, writes what came on at once, keeps what
    /// the destination did not take, and decodes it.
    fn read(&mut self, w: usize, buf: &mut [u8]) {
        let got = self.socks[w].read(buf);
        self.readable[w] = match &got {
            Ok(n) => *n > 0 && (self.ended[w] || !self.socks[w].drained(buf.len(), *n)),
            Err(e) => e.kind() == io::ErrorKind::Interrupted,
        };
        let n = match got {
            Ok(0) => return self.end(w),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => {
                if w == 1 {
                    self.sides[1].say(&Relayed::UpstreamFailed {
                        why: &tls_or_io(&e),
                    });
                }
                return self.end(w);
            }
        };
        let at = Instant::now();
        match write_some(&mut self.socks[1 - w], &buf[..n]) {
            Ok(k) if k < n => self.ways[w].pending.extend_from_slice(&buf[k..n]),
            Ok(_) => {}
            Err(_) => self.broken(w),
        }
        self.counts[w] += n as u64;
        // Decoded after it went on: decoding unmasks in place.
        if self.blind.is_none() {
            self.sides[w].passed(&mut buf[..n], at);
        }
    }

    /// Writes what way `w` has waiting for its destination.
    fn flush(&mut self, w: usize) {
        let dest = &mut self.socks[1 - w];
        if dest.on_writable().is_err() {
            return self.broken(w);
        }
        let way = &mut self.ways[w];
        if !way.pending.is_empty() {
            match write_some(dest, &way.pending) {
                Ok(k) => {
                    way.pending.drain(..k);
                    if way.pending.is_empty() {
                        // Buffers exist while bytes wait.
                        way.pending = Vec::new();
                    }
                }
                Err(_) => return self.broken(w),
            }
        }
        if !self.ways[w].open && !self.ways[w].passed_end && !self.busy(w) {
            self.pass_end(w);
        }
    }

    /// Way `w`'s source ended: the end goes on once its bytes have.
    fn end(&mut self, w: usize) {
        self.ways[w].open = false;
        if !self.busy(w) {
            self.pass_end(w);
        }
    }

    fn pass_end(&mut self, w: usize) {
        self.socks[1 - w].shutdown_write();
        self.ways[w].passed_end = true;
    }

    /// Way `w`'s destination cannot be written: that way is over.
    fn broken(&mut self, w: usize) {
        let _ = self.socks[w].socket().shutdown(Shutdown::Read);
        self.ways[w].pending = Vec::new();
        self.ways[w].open = false;
        self.readable[w] = false;
        if !self.ways[w].passed_end {
            self.pass_end(w);
        }
    }
}

/// Writes what the socket takes now: how many bytes (0 when full).
fn write_some(dest: &mut Wire, data: &[u8]) -> io::Result<usize> {
    loop {
        match dest.write(data) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
