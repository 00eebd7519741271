//! SIGINT and SIGTERM as a byte on a pipe, so the accept loop can wait for
//! a client or a signal with one `poll`.

use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// The pipe's writing end, for the handler (only async-signal-safe calls).
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let fd = PIPE_WRITE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is valid.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// Wakes the accept loop as SIGINT would (the console's /quit).
pub(crate) fn wake() {
    on_signal(0);
}

/// What woke the accept loop.
pub(crate) enum Wake {
    /// A client is waiting to be accepted.
    Listener,
    /// SIGINT or SIGTERM arrived.
    Signal,
}

/// The reading end of the signal pipe.
pub(crate) struct Signals {
    read: i32,
}

/// Installs the handlers for SIGINT and SIGTERM.
pub(crate) fn install() -> io::Result<Signals> {
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PIPE_WRITE.store(fds[1], Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a valid handler and an empty mask.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(sig, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(Signals { read: fds[0] })
}

impl Signals {
    /// Waits until a client can be accepted or a signal arrived.
    pub(crate) fn wait(&self, listener: &TcpListener) -> Wake {
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: self.read,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: listener.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: fds is a valid array of two pollfd.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if n < 0 {
                continue; // EINTR: the handler wrote to the pipe; poll again.
            }
            if fds[0].revents != 0 {
                return Wake::Signal;
            }
            if fds[1].revents != 0 {
                return Wake::Listener;
            }
        }
    }
}
