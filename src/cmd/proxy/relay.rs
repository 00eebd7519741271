//! The relay loop: one thread that moves the bytes of every upgraded client
//! whose upstream is plain TCP, waiting on all their sockets at once
//! (epoll). Each read is written on at once, byte for byte, then decoded
//! on the side; what a full socket does not take waits, and its source is
//! not read meanwhile, so memory stays bounded by one read per direction.
//!
//! One thread for all, rather than one or two per client: under load one
//! wake-up serves many ready sockets, which saves a context switch a
//! message (measured with benches/relay.sh).

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

use super::{closing, sides, Shared, Side, CHUNK, LINGER};
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
    /// Its socket.
    pub client: TcpStream,
    /// The upstream's socket.
    pub up: TcpStream,
    /// The permessage-deflate agreed on.
    pub deflate: Option<DeflateParams>,
    /// What the upstream sent after its answer (already passed on), to be
    /// decoded.
    pub rest: Vec<u8>,
}

/// How the client threads reach the loop.
pub(super) struct Handle {
    tx: Mutex<mpsc::Sender<Handed>>,
    wake: OwnedFd,
}

impl Handle {
    /// The handle, and the receiving end for [`run`].
    pub(super) fn new() -> io::Result<(Self, mpsc::Receiver<Handed>)> {
        // SAFETY: no pointers; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let (tx, rx) = mpsc::channel();
        Ok((
            Self {
                tx: Mutex::new(tx),
                // SAFETY: a descriptor just made, owned by nothing else.
                wake: unsafe { OwnedFd::from_raw_fd(fd) },
            },
            rx,
        ))
    }

    /// Hands a client to the loop.
    pub(super) fn hand(&self, h: Handed) {
        let sent = self.tx.lock().map(|tx| tx.send(h).is_ok());
        if matches!(sent, Ok(true)) {
            let one = 1u64;
            // SAFETY: an 8-byte buffer for an eventfd.
            unsafe {
                libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8);
            }
        }
    }
}

/// The token of the wake-up descriptor.
const WAKE: u64 = u64::MAX;

/// One direction: what its source sent that its destination has not yet
/// taken, and whether the source is still read.
#[derive(Default)]
struct Way {
    pending: Vec<u8>,
    open: bool,
    /// The end was passed on (the destination's write side shut).
    passed_end: bool,
}

impl Way {
    fn done(&self) -> bool {
        !self.open && self.pending.is_empty() && self.passed_end
    }
}

/// A client and its upstream, as the loop holds them.
struct Pair<'a> {
    id: u64,
    peer: String,
    started: Instant,
    /// The client (index 0) and the upstream (1): the source of way 0 and
    /// of way 1, and the destination of the other way.
    socks: [TcpStream; 2],
    /// The epoll events each socket is registered for (0: not registered).
    interest: [u32; 2],
    ways: [Way; 2],
    sides: [Side<'a>; 2],
    /// Once one way has ended, the other has until then.
    linger: Option<Instant>,
}

/// The loop; returns only if epoll cannot be had.
pub(super) fn run(shared: &Shared, handed: mpsc::Receiver<Handed>) {
    // SAFETY: no pointers; the result is checked.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        eprintln!(
            "wsdbg: error: proxy: cannot start the relay: {}",
            io::Error::last_os_error()
        );
        return;
    }
    // SAFETY: a descriptor just made, owned by nothing else.
    let ep = unsafe { OwnedFd::from_raw_fd(ep) };
    let ep = ep.as_raw_fd();
    ctl(
        ep,
        libc::EPOLL_CTL_ADD,
        shared.relay.wake.as_raw_fd(),
        libc::EPOLLIN as u32,
        WAKE,
    );
    let mut pairs: Vec<Option<Pair>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut ended: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    loop {
        let soonest = pairs.iter().flatten().filter_map(|p| p.linger).min();
        let timeout = soonest.map_or(-1, |t| {
            let left = t.saturating_duration_since(Instant::now()).as_millis() + 1;
            i32::try_from(left).unwrap_or(i32::MAX)
        });
        // SAFETY: a valid epoll descriptor and event array of that length.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, timeout) };
        let n = usize::try_from(n).unwrap_or(0);
        for ev in &events[..n] {
            let (token, flags) = (ev.u64, ev.events);
            if token == WAKE {
                let mut count = 0u64;
                // SAFETY: an 8-byte buffer for an eventfd.
                unsafe {
                    libc::read(
                        shared.relay.wake.as_raw_fd(),
                        (&mut count as *mut u64).cast(),
                        8,
                    );
                }
                while let Ok(h) = handed.try_recv() {
                    let slot = free.pop().unwrap_or_else(|| {
                        pairs.push(None);
                        pairs.len() - 1
                    });
                    let mut pair = Pair::new(shared, h);
                    pair.register(ep, slot);
                    pairs[slot] = Some(pair);
                }
                continue;
            }
            let slot = (token >> 1) as usize;
            let Some(pair) = pairs.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            pair.ready((token & 1) as usize, flags, &mut buf);
            pair.register(ep, slot);
            if pair.ways.iter().all(Way::done) && !ended.contains(&slot) {
                ended.push(slot);
            }
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
                    let _ = s.shutdown(Shutdown::Both);
                }
                closing(shared, p.id, &p.peer, p.started, &mut p.sides);
            }
            free.push(slot);
        }
    }
}

/// `epoll_ctl` for one descriptor.
fn ctl(ep: i32, op: i32, fd: i32, events: u32, token: u64) {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: a valid epoll descriptor and event.
    unsafe {
        libc::epoll_ctl(ep, op, fd, &mut ev);
    }
}

/// A non-blocking send: how many bytes the socket took (0 when full).
fn send(sock: &TcpStream, data: &[u8]) -> io::Result<usize> {
    loop {
        // SAFETY: a valid buffer and length; the descriptor is open.
        let n = unsafe {
            libc::send(
                sock.as_raw_fd(),
                data.as_ptr().cast(),
                data.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock => return Ok(0),
            io::ErrorKind::Interrupted => {}
            _ => return Err(e),
        }
    }
}

impl<'a> Pair<'a> {
    fn new(shared: &'a Shared, h: Handed) -> Self {
        let _ = h.client.set_nonblocking(true);
        let _ = h.up.set_nonblocking(true);
        let mut sides = sides(shared, h.id, &h.peer, h.deflate);
        if !h.rest.is_empty() {
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
            interest: [0; 2],
            ways: [way(), way()],
            sides,
            linger: None,
        }
    }

    /// What socket `i` should wait for now: reading its way while nothing
    /// of it waits, writing while the other way has bytes for it.
    fn wanted(&self, i: usize) -> u32 {
        let mut e = 0;
        if self.ways[i].open && self.ways[i].pending.is_empty() {
            e |= libc::EPOLLIN as u32;
        }
        if !self.ways[1 - i].pending.is_empty() {
            e |= libc::EPOLLOUT as u32;
        }
        e
    }

    /// Brings the sockets' registrations in line with what they wait for;
    /// a socket that waits for nothing is taken out (epoll would report
    /// its hang-up again and again).
    fn register(&mut self, ep: i32, slot: usize) {
        for i in 0..2 {
            let want = self.wanted(i);
            let fd = self.socks[i].as_raw_fd();
            let token = ((slot as u64) << 1) | i as u64;
            match (self.interest[i], want) {
                (had, want) if had == want => {}
                (0, want) => ctl(ep, libc::EPOLL_CTL_ADD, fd, want, token),
                (_, 0) => ctl(ep, libc::EPOLL_CTL_DEL, fd, 0, token),
                (_, want) => ctl(ep, libc::EPOLL_CTL_MOD, fd, want, token),
            }
            self.interest[i] = want;
        }
    }

    /// Socket `i` is ready: writes what waits for it, reads its way.
    fn ready(&mut self, i: usize, flags: u32, buf: &mut [u8]) {
        let other = 1 - i;
        if flags & libc::EPOLLOUT as u32 != 0 || flags & libc::EPOLLERR as u32 != 0 {
            self.flush(other);
        }
        let readable = (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32;
        if flags & readable != 0 && self.ways[i].open && self.ways[i].pending.is_empty() {
            self.read(i, buf);
        }
        if self.ways.iter().any(Way::done) && self.linger.is_none() {
            self.linger = Some(Instant::now() + LINGER);
        }
    }

    /// Reads way `w`'s source once, writes what came on at once, keeps what
    /// the destination did not take, and decodes it.
    fn read(&mut self, w: usize, buf: &mut [u8]) {
        let n = match (&self.socks[w]).read(buf) {
            Ok(0) => return self.end(w),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => {
                if w == 1 {
                    self.sides[1].say(&Relayed::UpstreamFailed {
                        why: &e.to_string(),
                    });
                }
                return self.end(w);
            }
        };
        let at = Instant::now();
        match send(&self.socks[1 - w], &buf[..n]) {
            Ok(k) if k < n => self.ways[w].pending.extend_from_slice(&buf[k..n]),
            Ok(_) => {}
            Err(_) => self.broken(w),
        }
        // Decoded after it went on: decoding unmasks in place.
        self.sides[w].passed(&mut buf[..n], at);
    }

    /// Writes what way `w` has waiting for its destination.
    fn flush(&mut self, w: usize) {
        let way = &mut self.ways[w];
        if way.pending.is_empty() {
            return;
        }
        match send(&self.socks[1 - w], &way.pending) {
            Ok(k) => {
                way.pending.drain(..k);
                if way.pending.is_empty() {
                    // Buffers exist while bytes wait.
                    way.pending = Vec::new();
                    if !way.open {
                        self.pass_end(w);
                    }
                }
            }
            Err(_) => self.broken(w),
        }
    }

    /// Way `w`'s source ended: the end goes on once its bytes have.
    fn end(&mut self, w: usize) {
        self.ways[w].open = false;
        if self.ways[w].pending.is_empty() {
            self.pass_end(w);
        }
    }

    fn pass_end(&mut self, w: usize) {
        let _ = self.socks[1 - w].shutdown(Shutdown::Write);
        self.ways[w].passed_end = true;
    }

    /// Way `w`'s destination cannot be written: that way is over.
    fn broken(&mut self, w: usize) {
        let _ = self.socks[w].shutdown(Shutdown::Read);
        self.ways[w].pending = Vec::new();
        self.ways[w].open = false;
        self.pass_end(w);
    }
}
