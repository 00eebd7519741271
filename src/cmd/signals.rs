//! SIGINT and SIGTERM as a byte on a socket, so the accept loop can wait
//! for a client or a signal with one `poll`.

use std::io::{self, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

use rustix::event::{poll, PollFd, PollFlags};

/// A writing end of the signal socket, for the console's /quit.
static WAKER: Mutex<Option<UnixStream>> = Mutex::new(None);

/// Wakes the accept loop as SIGINT would (the console's /quit).
pub(crate) fn wake() {
    if let Ok(guard) = WAKER.lock() {
        if let Some(mut w) = guard.as_ref() {
            // Full means a wake-up is already waiting: nothing is lost.
            let _ = w.write(&[1]);
        }
    }
}

/// What woke the accept loop.
pub(crate) enum Wake {
    /// A client is waiting to be accepted.
    Listener,
    /// SIGINT or SIGTERM arrived.
    Signal,
}

/// The reading end of the signal socket.
pub(crate) struct Signals {
    read: UnixStream,
}

/// Installs the handlers for SIGINT and SIGTERM.
pub(crate) fn install() -> io::Result<Signals> {
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::low_level::pipe::register(sig, write.try_clone()?)?;
    }
    if let Ok(mut waker) = WAKER.lock() {
        *waker = Some(write);
    }
    Ok(Signals { read })
}

impl Signals {
    /// Waits until a client can be accepted or a signal arrived.
    pub(crate) fn wait(&self, listener: &TcpListener) -> Wake {
        loop {
            let mut fds = [
                PollFd::new(&self.read, PollFlags::IN),
                PollFd::new(listener, PollFlags::IN),
            ];
            if poll(&mut fds, None).is_err() {
                continue; // EINTR: the handler wrote to the socket; poll again.
            }
            if !fds[0].revents().is_empty() {
                return Wake::Signal;
            }
            if !fds[1].revents().is_empty() {
                return Wake::Listener;
            }
        }
    }
}
