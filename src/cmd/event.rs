//! The event loop the live commands wait in: mio's `Poll` (epoll on
//! Linux) over the commands' own std sockets, registered by descriptor,
//! with a waker other threads can use and deadlines as timeouts.
//!
//! Readiness is edge-triggered: an event says a socket became readable or
//! writable, once. A driver therefore reads until the socket says
//! `WouldBlock` (or remembers that it stopped short, and comes back without
//! waiting), and writes until it does; a socket is watched for both
//! directions from the start, so no interest has to be switched on and off
//! as bytes wait.

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};

/// Watches sockets for a loop from any thread (the loop's registry).
pub(crate) struct Watcher(Registry);

impl Watcher {
    /// Watches `fd` for both directions under `token`.
    pub(crate) fn watch(&self, fd: RawFd, token: usize) -> io::Result<()> {
        self.0.register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    /// Stops watching `fd` (before it is closed).
    pub(crate) fn unwatch(&self, fd: RawFd) -> io::Result<()> {
        self.0.deregister(&mut SourceFd(&fd))
    }
}

/// A socket that became ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready {
    /// The token it was watched with.
    pub token: usize,
    /// It may be read (or its peer ended: the read says so).
    pub read: bool,
    /// It may be written.
    pub write: bool,
    /// Its peer ended its side (or it failed): a read that gets less than
    /// it asked for does not mean the socket is empty, since the end is
    /// still to be read and no new event will come for it.
    pub ended: bool,
}

impl Ready {
    /// Nothing new for `token`: a turn to read what its socket may still
    /// hold (a read that filled what it asked for).
    pub(crate) fn again(token: usize) -> Self {
        Self {
            token,
            read: false,
            write: false,
            ended: false,
        }
    }
}

/// The poll, and room for the events of one wait.
pub(crate) struct Loop {
    poll: Poll,
    events: Events,
    // Kept here too: a waker dropped by its thread (a console at its
    // end of input) would close its descriptor, and a wake not yet
    // collected would be lost with it.
    waker: Option<Arc<Waker>>,
}

impl Loop {
    /// A loop that takes up to `capacity` events a wait.
    pub(crate) fn new(capacity: usize) -> io::Result<Self> {
        Ok(Self {
            poll: Poll::new()?,
            events: Events::with_capacity(capacity.max(1)),
            waker: None,
        })
    }

    /// Watches `fd` for both directions under `token`.
    pub(crate) fn watch(&self, fd: RawFd, token: usize) -> io::Result<()> {
        self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    /// Stops watching `fd` (before it is closed).
    pub(crate) fn unwatch(&self, fd: RawFd) -> io::Result<()> {
        self.poll.registry().deregister(&mut SourceFd(&fd))
    }

    /// A watcher that other threads may use to add sockets to this loop.
    pub(crate) fn watcher(&self) -> io::Result<Watcher> {
        Ok(Watcher(self.poll.registry().try_clone()?))
    }

    /// A waker that any thread may use to end a wait; its events come
    /// with `token`. A loop has one waker: a second call gives the first
    /// (with its token).
    pub(crate) fn waker(&mut self, token: usize) -> io::Result<Arc<Waker>> {
        if let Some(w) = &self.waker {
            return Ok(w.clone());
        }
        let w = Arc::new(Waker::new(self.poll.registry(), Token(token))?);
        self.waker = Some(w.clone());
        Ok(w)
    }

    /// Waits until a socket is ready, a waker wakes it, or `until` (None:
    /// no limit), then gives what became ready. An interrupted wait gives
    /// nothing.
    pub(crate) fn wait(
        &mut self,
        until: Option<Instant>,
    ) -> io::Result<impl Iterator<Item = Ready> + '_> {
        let timeout = until.map(|u| {
            let left = u.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Now: no wait at all (mio rounds any wait up to a whole
                // millisecond).
                Duration::ZERO
            } else {
                // Rounded up: a wait that ends a moment early would spin.
                left + Duration::from_micros(500)
            }
        });
        if timeout != Some(Duration::ZERO) {
            // What this turn recorded is in the file before the wait.
            crate::cmd::record::flush();
        }
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            Err(e) => return Err(e),
        }
        Ok(self.events.iter().map(|e| Ready {
            token: e.token().0,
            read: e.is_readable() || e.is_read_closed() || e.is_error(),
            write: e.is_writable() || e.is_write_closed() || e.is_error(),
            ended: e.is_read_closed() || e.is_error(),
        }))
    }

    /// One turn of a driver's loop: puts into `ready` what became ready,
    /// waiting until `until` (None: no limit) unless `busy` (sockets wait
    /// to be read again: then only what is ready now). An interrupted wait
    /// gives nothing.
    pub(crate) fn turn(
        &mut self,
        until: Option<Instant>,
        busy: bool,
        ready: &mut Vec<Ready>,
    ) -> io::Result<()> {
        ready.clear();
        let until = if busy { Some(Instant::now()) } else { until };
        ready.extend(self.wait(until)?);
        Ok(())
    }

    /// As [`Loop::wait`], without waiting: what is ready now.
    #[cfg(test)]
    pub(crate) fn poll_now(&mut self) -> io::Result<impl Iterator<Item = Ready> + '_> {
        self.wait(Some(Instant::now()))
    }
}

/// Waits until `fd` can be read (or written: `write`), or until `until`;
/// false at the deadline (or if it cannot wait). For a thread that has
/// one socket to wait on (a client's upgrade in `proxy`).
pub(crate) fn wait_for(fd: RawFd, write: bool, until: Instant) -> bool {
    let Ok(mut one) = Loop::new(1) else {
        return false;
    };
    let interest = if write {
        Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    if one
        .poll
        .registry()
        .register(&mut SourceFd(&fd), Token(0), interest)
        .is_err()
    {
        return false;
    }
    // Registering reports what is ready already.
    loop {
        match one.wait(Some(until)) {
            Ok(mut got) => {
                if got.next().is_some() {
                    return true;
                }
            }
            Err(_) => return false,
        }
        if Instant::now() >= until {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn a_socket_becomes_readable_once_per_arrival() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut b, _) = l.accept().unwrap();
        b.set_nonblocking(true).unwrap();
        let mut lp = Loop::new(8).unwrap();
        lp.watch(b.as_raw_fd(), 7).unwrap();
        // Writable at once.
        let first: Vec<Ready> = lp
            .wait(Some(Instant::now() + Duration::from_secs(2)))
            .unwrap()
            .collect();
        assert!(first.iter().any(|r| r.token == 7 && r.write));
        a.write_all(b"hi").unwrap();
        let ready: Vec<Ready> = lp
            .wait(Some(Instant::now() + Duration::from_secs(2)))
            .unwrap()
            .collect();
        assert!(ready.iter().any(|r| r.token == 7 && r.read), "{ready:?}");
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).unwrap(), 2);
        // Edge-triggered: nothing new, nothing ready.
        assert_eq!(lp.poll_now().unwrap().count(), 0);
        lp.unwatch(b.as_raw_fd()).unwrap();
    }

    #[test]
    fn a_peer_that_ended_is_said_with_the_bytes_before_its_end() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (mut b, _) = l.accept().unwrap();
        b.set_nonblocking(true).unwrap();
        // Bytes and the end arrive before anyone looks: one edge for both,
        // so a short read must not be taken for an empty socket.
        a.write_all(b"last").unwrap();
        a.shutdown(std::net::Shutdown::Write).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let mut lp = Loop::new(8).unwrap();
        lp.watch(b.as_raw_fd(), 3).unwrap();
        let ready: Vec<Ready> = lp
            .wait(Some(Instant::now() + Duration::from_secs(2)))
            .unwrap()
            .collect();
        assert!(
            ready.iter().any(|r| r.token == 3 && r.read && r.ended),
            "{ready:?}"
        );
        let mut buf = [0u8; 64];
        assert_eq!(b.read(&mut buf).unwrap(), 4);
        assert_eq!(
            lp.poll_now().unwrap().count(),
            0,
            "no second edge for the end"
        );
        assert_eq!(b.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn a_waker_ends_a_wait_from_another_thread() {
        let mut lp = Loop::new(8).unwrap();
        let w = lp.waker(99).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            w.wake().unwrap();
        });
        let start = Instant::now();
        let ready: Vec<Ready> = lp
            .wait(Some(Instant::now() + Duration::from_secs(5)))
            .unwrap()
            .collect();
        assert!(ready.iter().any(|r| r.token == 99));
        assert!(start.elapsed() < Duration::from_secs(4));
        t.join().unwrap();
    }

    #[test]
    fn a_wake_outlives_the_waker_its_thread_dropped() {
        let mut lp = Loop::new(8).unwrap();
        let w = lp.waker(5).unwrap();
        std::thread::spawn(move || w.wake().unwrap())
            .join()
            .unwrap();
        let ready: Vec<Ready> = lp
            .wait(Some(Instant::now() + Duration::from_secs(2)))
            .unwrap()
            .collect();
        assert!(ready.iter().any(|r| r.token == 5), "{ready:?}");
    }

    #[test]
    fn wait_for_sees_what_is_there_already_and_ends_at_its_deadline() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        let soon = || Instant::now() + Duration::from_millis(100);
        assert!(
            !wait_for(b.as_raw_fd(), false, soon()),
            "nothing to read yet"
        );
        assert!(wait_for(b.as_raw_fd(), true, soon()), "room to write");
        a.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            wait_for(b.as_raw_fd(), false, soon()),
            "a byte arrived before the wait"
        );
    }

    #[test]
    fn a_wait_until_now_does_not_wait() {
        let mut lp = Loop::new(8).unwrap();
        let start = Instant::now();
        for _ in 0..100 {
            assert_eq!(lp.wait(Some(Instant::now())).unwrap().count(), 0);
        }
        // A millisecond each would be 100 ms.
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_wait_ends_at_its_deadline() {
        let mut lp = Loop::new(8).unwrap();
        let start = Instant::now();
        assert_eq!(
            lp.wait(Some(start + Duration::from_millis(30)))
                .unwrap()
                .count(),
            0
        );
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
