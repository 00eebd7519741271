//! `--record FILE`: every connection's bytes in both directions as they
//! crossed the wire (their plaintext, for TLS), with real timestamps,
//! written as they happen into a pcapng file that Wireshark, tshark and
//! `wsdbg decode` read.
//!
//! What the connections read and write in one turn of a loop is gathered
//! and written with one system call before the loop waits again (and at
//! once past 256 KiB); every write is whole blocks, so a killed process
//! leaves a file readable up to its last whole packet (what its last turn
//! saw may be missing), and memory does not grow with the session.

use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::protocol::pcapng::{self, Stream};
use crate::protocol::Role;

use crate::print::escape::escape_str;

/// A recording being written.
pub(crate) struct Recording {
    path: PathBuf,
    /// The file and the blocks not written yet; no file once a write
    /// failed (the recording stopped and said why).
    file: Mutex<Pending>,
}

/// Blocks waiting for the next write, and where they go.
struct Pending {
    file: Option<File>,
    blocks: Vec<u8>,
}

/// Written at once past this many bytes, without waiting for the loop.
const MOST_PENDING: usize = 256 << 10;

/// The process's recording, for the loops to write out before they wait.
static CURRENT: Mutex<Option<Arc<Recording>>> = Mutex::new(None);

/// Writes what the connections recorded since the last call: the loops
/// call it before they wait, and the commands when they end.
pub(crate) fn flush() {
    let current = CURRENT.lock().ok().and_then(|c| c.clone());
    if let Some(r) = current {
        r.flush();
    }
}

/// Microseconds since the Unix epoch, now.
fn now_usecs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// What the file's section header says: who wrote it, with which
/// command, and what the packets are and are not.
fn section_comment() -> String {
    let command: Vec<String> = std::env::args().map(|a| escape_str(&a)).collect();
    format!(
        "recorded by wsdbg {}: {}\n\
         Each connection is a TCP stream between its real addresses and ports. \
         The bytes are those the sockets carried, with the times they were read \
         or written; the TCP handshake, sequence numbers, acknowledgements and \
         FINs are written by wsdbg from what the sockets did, not captured from \
         the kernel. A connection over TLS is recorded as its plaintext, and its \
         first packet says so.",
        env!("CARGO_PKG_VERSION"),
        command.join(" ")
    )
}

/// The recording `--record` asks for, created now (None without it).
pub(crate) fn open(arg: &crate::cli::Record) -> Result<Option<Arc<Recording>>, String> {
    arg.record.as_deref().map(Recording::create).transpose()
}

impl Recording {
    /// Creates (or truncates) `path` and writes the file's header.
    pub(crate) fn create(path: &Path) -> Result<Arc<Self>, String> {
        let shown = escape_str(&path.display().to_string());
        let mut file = File::create(path).map_err(|e| format!("cannot record to {shown}: {e}"))?;
        let head = pcapng::header(
            &format!("wsdbg {}", env!("CARGO_PKG_VERSION")),
            &section_comment(),
        );
        file.write_all(&head)
            .map_err(|e| format!("cannot record to {shown}: {e}"))?;
        let recording = Arc::new(Self {
            path: path.to_path_buf(),
            file: Mutex::new(Pending {
                file: Some(file),
                blocks: Vec::new(),
            }),
        });
        if let Ok(mut current) = CURRENT.lock() {
            *current = Some(recording.clone());
        }
        Ok(recording)
    }

    /// Adds whole blocks that `f` appends, written with the next flush
    /// (at once when many wait). What `f` appended is taken back if it
    /// fails.
    fn append(&self, f: impl FnOnce(&mut Vec<u8>) -> Result<(), String>) {
        let Ok(mut p) = self.file.lock() else {
            return;
        };
        if p.file.is_none() {
            return;
        }
        let before = p.blocks.len();
        if let Err(e) = f(&mut p.blocks) {
            p.blocks.truncate(before);
            eprintln!("wsdbg: recording: {e}");
        }
        if p.blocks.len() >= MOST_PENDING {
            self.write_out(&mut p);
        }
    }

    /// Writes what waits.
    fn flush(&self) {
        if let Ok(mut p) = self.file.lock() {
            self.write_out(&mut p);
        }
    }

    /// Writes the pending blocks with one write; on a failure, says so
    /// once and records nothing more.
    fn write_out(&self, p: &mut Pending) {
        if p.blocks.is_empty() {
            return;
        }
        let Pending { file, blocks } = p;
        if let Some(f) = file.as_mut() {
            if let Err(e) = f.write_all(blocks) {
                eprintln!(
                    "wsdbg: recording stopped: cannot write to {}: {e}; the file holds what came before (its last block may be cut short)",
                    escape_str(&self.path.display().to_string())
                );
                *file = None;
            }
        }
        blocks.clear();
        // A message of many MiB passes through once; its room is not kept.
        if blocks.capacity() > 16 * MOST_PENDING {
            *blocks = Vec::new();
        }
    }

    /// Starts recording a connection between `local` (this process's
    /// end, which is `we_are`) and `peer`; `tls` when its bytes are the
    /// plaintext of a TLS connection.
    pub(crate) fn tap(
        self: &Arc<Self>,
        local: SocketAddr,
        peer: SocketAddr,
        we_are: Role,
        tls: bool,
    ) -> Tap {
        let (client, server) = match we_are {
            Role::Client => (local, peer),
            Role::Server => (peer, local),
        };
        let mut isn = [0u8; 8];
        let _ = getrandom::getrandom(&mut isn);
        let isn = [
            u32::from_le_bytes([isn[0], isn[1], isn[2], isn[3]]),
            u32::from_le_bytes([isn[4], isn[5], isn[6], isn[7]]),
        ];
        let mut tap = Tap {
            rec: self.clone(),
            stream: Stream::new(client, server, isn),
            local: we_are,
        };
        let comment = tls.then_some(
            "TLS: wsdbg ended TLS here; the bytes of this connection are its plaintext, \
             not the encrypted records the network carried",
        );
        let usecs = now_usecs();
        tap.write(|s, out| s.open(out, usecs, comment));
        tap
    }
}

/// One connection being recorded.
pub(crate) struct Tap {
    rec: Arc<Recording>,
    stream: Stream,
    /// Which side this process is.
    local: Role,
}

impl Tap {
    fn write(&mut self, f: impl FnOnce(&mut Stream, &mut Vec<u8>) -> Result<(), String>) {
        let stream = &mut self.stream;
        self.rec.append(|out| f(stream, out));
    }

    /// The peer sent `data`.
    pub(crate) fn received(&mut self, data: &[u8]) {
        let (usecs, from) = (now_usecs(), self.local.other());
        self.write(|s, out| s.data(out, usecs, from, data));
    }

    /// This process sent `data`.
    pub(crate) fn sent(&mut self, data: &[u8]) {
        let (usecs, from) = (now_usecs(), self.local);
        self.write(|s, out| s.data(out, usecs, from, data));
    }

    /// The peer ended its side (FIN).
    pub(crate) fn peer_ended(&mut self) {
        let (usecs, from) = (now_usecs(), self.local.other());
        self.write(|s, out| s.fin(out, usecs, from));
    }

    /// The peer reset the connection (RST).
    pub(crate) fn peer_reset(&mut self) {
        let (usecs, from) = (now_usecs(), self.local.other());
        self.write(|s, out| s.reset(out, usecs, from));
    }

    /// This process ended its side (FIN).
    pub(crate) fn ended(&mut self) {
        let (usecs, from) = (now_usecs(), self.local);
        self.write(|s, out| s.fin(out, usecs, from));
    }
}

impl Drop for Tap {
    /// The socket closes: this side's FIN, if it had not sent one.
    fn drop(&mut self) {
        if !self.stream.is_over() {
            self.ended();
        }
    }
}
