//! One thread that finishes writes a full socket could not take: bytes
//! queued for a client by another client's thread (broadcast, shutdown)
//! wait here until that client reads, so no sender ever waits for it.
//! Between writes it watches the clients' idle timeouts, so that their
//! reading threads need no timer on every read.

use std::collections::BTreeSet;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Shared;

/// Clients with bytes waiting, and the pipe that wakes the thread.
pub(crate) struct Writer {
    waiting: Mutex<BTreeSet<u64>>,
    wake_read: i32,
    wake_write: i32,
}

impl Writer {
    /// The writer's state; [`run`] is its thread.
    pub(super) fn start() -> io::Result<Self> {
        let mut fds = [0i32; 2];
        // SAFETY: fds is a valid array of two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            waiting: Mutex::new(BTreeSet::new()),
            wake_read: fds[0],
            wake_write: fds[1],
        })
    }

    /// Asks the thread to finish client `id`'s pending bytes.
    pub(super) fn register(&self, id: u64) {
        if let Ok(mut w) = self.waiting.lock() {
            w.insert(id);
        }
        let byte = 1u8;
        // SAFETY: a valid one-byte buffer; a full pipe already wakes it.
        unsafe {
            libc::write(self.wake_write, (&byte as *const u8).cast(), 1);
        }
    }
}

/// The writer thread: waits for the registered clients' sockets to take
/// bytes, and writes them; wakes the clients whose idle timeout passed, a
/// round every eighth of the timeout (10 ms to 1 s), so a client is closed
/// at most that late.
pub(super) fn run(shared: Arc<Shared>) {
    let w = &shared.writer;
    let every = shared
        .settings
        .idle_timeout
        .map(|t| (t / 8).clamp(Duration::from_millis(10), Duration::from_secs(1)));
    let mut round = every.map(|e| Instant::now() + e);
    loop {
        if let (Some(at), Some(every)) = (round, every) {
            let now = Instant::now();
            if now >= at {
                let conns: Vec<_> = shared
                    .conns
                    .lock()
                    .map(|c| c.values().cloned().collect())
                    .unwrap_or_default();
                for c in conns {
                    c.interrupt_if_idle(now);
                }
                round = Some(now + every);
            }
        }
        let ids: Vec<u64> = w
            .waiting
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let conns: Vec<_> = {
            let all = shared.conns.lock();
            ids.iter()
                .filter_map(|id| all.as_ref().ok().and_then(|c| c.get(id).cloned()))
                .collect()
        };
        if conns.len() < ids.len() {
            // Gone meanwhile.
            if let Ok(mut set) = w.waiting.lock() {
                set.retain(|id| conns.iter().any(|c| c.id == *id));
            }
        }
        let mut fds = vec![libc::pollfd {
            fd: w.wake_read,
            events: libc::POLLIN,
            revents: 0,
        }];
        fds.extend(conns.iter().map(|c| libc::pollfd {
            fd: c.stream.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        }));
        let timeout = round.map_or(1000, |at| {
            let left = at.saturating_duration_since(Instant::now()).as_millis() + 1;
            i32::try_from(left.min(1000)).unwrap_or(1000)
        });
        // SAFETY: fds is a valid array of pollfd of this length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n <= 0 {
            continue;
        }
        if fds[0].revents != 0 {
            let mut sink = [0u8; 64];
            // SAFETY: a valid buffer; the pipe is non-blocking.
            while unsafe { libc::read(w.wake_read, sink.as_mut_ptr().cast(), sink.len()) } > 0 {}
        }
        for (c, fd) in conns.iter().zip(&fds[1..]) {
            if fd.revents == 0 {
                continue;
            }
            let done =
                fd.revents & (libc::POLLERR | libc::POLLHUP) != 0 || c.flush_pending(&shared);
            if done {
                if let Ok(mut set) = w.waiting.lock() {
                    set.remove(&c.id);
                }
            }
        }
    }
}
