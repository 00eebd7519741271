//! Reading a capture file (pcap or pcapng): packets streamed from any
//! reader, their TCP segments reassembled in both directions, WebSocket
//! connections found, and each side's bytes handed on in capture order,
//! with the bytes the capture lacks said as gaps of their size.
//!
//! Nothing here prints: the caller feeds the bytes to a decoder per side
//! and renders what it finds. Memory stays bounded whatever the file's
//! size: one block of the file at a time (16 MiB at most), the start of a
//! connection while its handshake is looked for (64 KiB), and what
//! reassembly holds out of order (8 MiB a side, 64 MiB in all).

pub mod file;
pub mod link;
pub mod tcp;
pub mod track;

use std::fmt;
use std::io::Read;
use std::time::SystemTime;

pub use file::{Format, Packet, Packets};
pub use link::{NotTcp, Segment};
pub use track::{Flow, Stats, Tracker};

/// Why a capture cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureError {
    /// The file breaks its format, or ends inside a record.
    Malformed {
        /// The packet being read (1-based; 0 for the file header); a
        /// block that is not a packet comes before this packet.
        packet: u64,
        /// Whether the block or record being read is a packet.
        in_packet: bool,
        /// Offset in the file of the record or block being read.
        offset: u64,
        /// What was expected and found.
        what: String,
    },
    /// Reading the input failed.
    Read(String),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed {
                packet,
                in_packet: true,
                offset,
                what,
            } => write!(f, "packet {packet}, byte {offset}: {what}"),
            Self::Malformed {
                packet: 0 | 1,
                offset,
                what,
                ..
            } => write!(f, "byte {offset}: {what}"),
            Self::Malformed {
                packet,
                offset,
                what,
                ..
            } => write!(f, "byte {offset}, after packet {}: {what}", packet - 1),
            Self::Read(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for CaptureError {}

/// What the packets that were not followed were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Not TCP over IP (ARP, UDP, another protocol).
    pub other: u64,
    /// IP fragments (not reassembled).
    pub fragments: u64,
    /// Headers cut short or broken.
    pub broken: u64,
    /// On a link type not read, with the first such type.
    pub link: u64,
    /// The first link type not read.
    pub link_type: Option<i32>,
}

/// The packet a flow came with: None for both at the end of the capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct When {
    /// When it was captured, when the file says.
    pub time: Option<SystemTime>,
    /// Its number (1-based, as Wireshark numbers packets).
    pub packet: Option<u64>,
}

/// A capture being read: packets, then segments, then connections.
pub struct Capture<'r> {
    packets: Packets<'r>,
    tracker: Tracker,
    skipped: Skipped,
}

impl<'r> Capture<'r> {
    /// Starts reading `input` in `format`; `start` holds its first bytes,
    /// read already to tell the format. `port` as in [`Tracker::new`].
    pub fn new(
        format: Format,
        start: Vec<u8>,
        input: impl Read + 'r,
        port: Option<u16>,
    ) -> Result<Self, CaptureError> {
        Ok(Self {
            packets: Packets::new(format, start, input)?,
            tracker: Tracker::new(port),
            skipped: Skipped::default(),
        })
    }

    /// Reads the next packet and passes what it brings to `sink`, with the
    /// packet's time and number; false at the end of the capture, after
    /// every connection has ended.
    pub fn step<E: From<CaptureError>>(
        &mut self,
        sink: &mut impl FnMut(When, Flow<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        let Some(p) = self.packets.next_packet()? else {
            self.tracker.finish(&mut |f| sink(When::default(), f))?;
            return Ok(false);
        };
        let when = When {
            time: p.time,
            packet: Some(p.number),
        };
        match link::segment(p.linktype, p.data, p.origlen) {
            Ok(seg) => self.tracker.segment(&seg, &mut |f| sink(when, f))?,
            Err(NotTcp::Other) => self.skipped.other += 1,
            Err(NotTcp::Fragment) => self.skipped.fragments += 1,
            Err(NotTcp::Broken) => self.skipped.broken += 1,
            Err(NotTcp::LinkType(t)) => {
                self.skipped.link += 1;
                self.skipped.link_type.get_or_insert(t);
            }
        }
        Ok(true)
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.packets.format()
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.packets.count()
    }

    /// Connections and segments so far.
    pub fn stats(&self) -> Stats {
        self.tracker.stats()
    }

    /// Packets not followed so far.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }
}

#[cfg(test)]
pub(crate) mod synth;
#[cfg(test)]
mod tests;
