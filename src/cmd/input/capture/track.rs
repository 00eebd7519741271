//! TCP connections in a capture, and which of them are WebSocket: one
//! whose first bytes from one side are an HTTP request asking for
//! `Upgrade: websocket` (that side is the client), or, with a port named,
//! any connection to that port (the side with that source port is the
//! server), for a capture that starts after the handshake.
//!
//! Connections that are not WebSocket cost their table entry and nothing
//! else: no bytes are kept for them once that is known (those that start
//! with TLS are counted, and the first that carries bare frames gives the
//! port to suggest). A WebSocket connection keeps only what its
//! reassembly holds out of order, [`MAX_HELD_ALL`] bytes over all of them.
//! A side first seen without its SYN is said to start mid-stream
//! ([`Flow::MidStream`]): its first byte need not start a frame.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::link::Segment;
use super::tcp::{Chunk, Half};
use crate::protocol::frame::whole_frames;
use crate::protocol::http::{self, HeadParse};
use crate::protocol::Role;

/// The most bytes of a connection's start kept while deciding whether it
/// is a WebSocket handshake.
pub const MAX_HANDSHAKE: usize = 64 << 10;

/// The most bytes held out of order over all connections: past it, the
/// side that just added to them gives up on its holes (they are gaps), so
/// that many connections with holes cannot add up to unbounded memory.
pub const MAX_HELD_ALL: usize = 64 << 20;

/// What the tracker reports, in capture order.
#[derive(Debug)]
pub enum Flow<'a> {
    /// A WebSocket connection was found; ids count from 1 in the order
    /// connections were found.
    Opened {
        /// Its id.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The server's address.
        server: SocketAddr,
        /// The request target, when it was found by its handshake (None:
        /// by its port).
        target: Option<String>,
    },
    /// The next bytes one side sent.
    Data {
        /// The connection.
        conn: u64,
        /// Who sent them.
        from: Role,
        /// The bytes (the decoder may unmask them in place).
        bytes: &'a mut [u8],
    },
    /// One side's stream is first seen without its SYN (the connection
    /// began before the capture): its first byte need not start a frame.
    /// Comes before that side's first data.
    MidStream {
        /// The connection.
        conn: u64,
        /// Which side.
        from: Role,
    },
    /// The next `len` bytes one side sent are missing from the capture.
    Gap {
        /// The connection.
        conn: u64,
        /// Who sent them.
        from: Role,
        /// How many.
        len: u64,
    },
    /// Both sides ended (FIN or RST), or the capture did.
    Ended {
        /// The connection.
        conn: u64,
        /// For the client, then the server: the capture ended while that
        /// side had not ended its stream (no FIN or RST seen), so what it
        /// was sending is cut by the capture, not by the side.
        cut: [bool; 2],
    },
}

/// Counts of what the capture held, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// TCP segments read.
    pub segments: u64,
    /// TCP connections seen.
    pub connections: u64,
    /// WebSocket connections found.
    pub websocket: u64,
    /// Connections that start with a TLS handshake (`wss://`, HTTPS):
    /// encrypted, so not decoded.
    pub tls: u64,
    /// The server port of the first connection not followed whose first
    /// bytes are WebSocket frames (it started before the capture): what
    /// `--port` would decode.
    pub frames_on_port: Option<u16>,
}

#[derive(Debug)]
enum State {
    /// Reading the first bytes of each direction until the request shows.
    Undecided { start: [Vec<u8>; 2] },
    /// A WebSocket connection; `client` is the direction the client sends.
    Ws { id: u64, client: usize },
    /// Not WebSocket: nothing is kept.
    Ignored,
}

#[derive(Debug)]
struct Conn {
    /// `addrs[d]` sends direction `d`.
    addrs: [SocketAddr; 2],
    halves: [Half; 2],
    state: State,
    fins: [bool; 2],
}

/// How a connection's record ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Both sides ended, or one reset it.
    Closed,
    /// The capture ended, or the addresses were taken by a new connection,
    /// with sides still open.
    Cut,
}

/// Follows the TCP connections of a capture. See the module documentation.
#[derive(Debug, Default)]
pub struct Tracker {
    port: Option<u16>,
    conns: HashMap<(SocketAddr, SocketAddr), Conn>,
    next_id: u64,
    scratch: Vec<u8>,
    stats: Stats,
    /// Bytes held out of order by every connection.
    held: usize,
}

impl Tracker {
    /// A tracker; with `port`, connections to that port are WebSocket
    /// whether or not their handshake is in the capture, and no others.
    pub fn new(port: Option<u16>) -> Self {
        Self {
            port,
            next_id: 1,
            ..Self::default()
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Takes the next TCP segment of the capture.
    pub fn segment<E>(
        &mut self,
        seg: &Segment<'_>,
        sink: &mut impl FnMut(Flow<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.stats.segments += 1;
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let fresh_syn = seg.syn && seg.ack.is_none();
        if let Some(c) = self.conns.get(&key) {
            // A new connection on the same addresses and ports.
            let d = usize::from(seg.src != c.addrs[0]);
            if fresh_syn && (c.halves[d].delivered() > 0 || c.fins[d]) {
                let old = self.conns.remove(&key).expect("present");
                self.held -= old.halves[0].held() + old.halves[1].held();
                end(old, Ending::Cut, sink)?;
            }
        }
        if !self.conns.contains_key(&key) {
            let Some(conn) = self.start(seg, sink)? else {
                return Ok(());
            };
            self.conns.insert(key, conn);
        }
        let c = self.conns.get_mut(&key).expect("inserted");
        let d = usize::from(seg.src != c.addrs[0]);
        if seg.fin {
            c.fins[d] = true;
        }
        if matches!(c.state, State::Ignored) {
            if seg.rst || c.fins == [true, true] {
                self.conns.remove(&key);
            }
            return Ok(());
        }
        let Conn {
            addrs,
            halves,
            state,
            ..
        } = c;
        let next_id = &mut self.next_id;
        let stats = &mut self.stats;
        let [h0, h1] = halves;
        let (this, other) = if d == 0 { (h0, h1) } else { (h1, h0) };
        if let (false, false, State::Ws { id, client }) = (this.started(), seg.syn, &*state) {
            let from = if d == *client {
                Role::Client
            } else {
                Role::Server
            };
            sink(Flow::MidStream { conn: *id, from })?;
        }
        let held_before = this.held() + other.held();
        this.segment(
            seg.seq,
            seg.syn,
            seg.fin,
            seg.payload,
            seg.cut,
            &mut self.scratch,
            &mut |chunk| deliver(state, *addrs, d, chunk, next_id, stats, sink),
        )?;
        if let Some(ack) = seg.ack {
            other.acknowledged(ack, &mut |chunk| {
                deliver(state, *addrs, 1 - d, chunk, next_id, stats, sink)
            })?;
        }
        self.held = self.held + this.held() + other.held() - held_before;
        if self.held > MAX_HELD_ALL {
            let before = this.held();
            this.finish(&mut |chunk| deliver(state, *addrs, d, chunk, next_id, stats, sink))?;
            self.held -= before;
        }
        let over = seg.rst || (this.ended && other.ended);
        if matches!(c.state, State::Ignored) || over {
            self.held -= c.halves[0].held() + c.halves[1].held();
        }
        if matches!(c.state, State::Ignored) {
            c.halves = [Half::default(), Half::default()];
        }
        if over {
            let c = self.conns.remove(&key).expect("present");
            end(c, Ending::Closed, sink)?;
        }
        Ok(())
    }

    /// The capture ended: every hole left is a gap, and every connection
    /// ends, in the order they were found.
    pub fn finish<E>(&mut self, sink: &mut impl FnMut(Flow<'_>) -> Result<(), E>) -> Result<(), E> {
        let mut open: Vec<Conn> = self.conns.drain().map(|(_, c)| c).collect();
        open.sort_by_key(|c| match c.state {
            State::Ws { id, .. } => id,
            _ => u64::MAX,
        });
        for c in open {
            end(c, Ending::Cut, sink)?;
        }
        Ok(())
    }

    /// A table entry for a connection first seen in `seg`, None when it
    /// cannot be WebSocket.
    fn start<E>(
        &mut self,
        seg: &Segment<'_>,
        sink: &mut impl FnMut(Flow<'_>) -> Result<(), E>,
    ) -> Result<Option<Conn>, E> {
        // A bare ACK or FIN of a connection not followed (its start was
        // before the capture, or it ended) starts nothing.
        if seg.payload.is_empty() && !seg.syn {
            return Ok(None);
        }
        let mut conn = Conn {
            addrs: [seg.src, seg.dst],
            halves: [Half::default(), Half::default()],
            state: State::Undecided {
                start: [Vec::new(), Vec::new()],
            },
            fins: [false, false],
        };
        if let Some(port) = self.port {
            let client = if seg.src.port() == port {
                1
            } else if seg.dst.port() == port {
                0
            } else {
                return Ok(None);
            };
            self.stats.connections += 1;
            self.stats.websocket += 1;
            let id = self.next_id;
            self.next_id += 1;
            conn.state = State::Ws { id, client };
            sink(Flow::Opened {
                conn: id,
                client: conn.addrs[client],
                server: conn.addrs[1 - client],
                target: None,
            })?;
            return Ok(Some(conn));
        }
        self.stats.connections += 1;
        Ok(Some(conn))
    }
}

/// Whether a request asks for a WebSocket upgrade.
fn asks_for_websocket(request: &http::Request) -> bool {
    request.headers_named("Upgrade").any(|h| {
        h.value
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

/// Passes a chunk of direction `dir` on, or keeps it while the connection
/// is undecided.
fn deliver<E>(
    state: &mut State,
    addrs: [SocketAddr; 2],
    dir: usize,
    chunk: Chunk<'_>,
    next_id: &mut u64,
    stats: &mut Stats,
    sink: &mut impl FnMut(Flow<'_>) -> Result<(), E>,
) -> Result<(), E> {
    match state {
        State::Ignored => Ok(()),
        State::Ws { id, client } => {
            let from = if dir == *client {
                Role::Client
            } else {
                Role::Server
            };
            match chunk {
                Chunk::Data(bytes) => sink(Flow::Data {
                    conn: *id,
                    from,
                    bytes,
                }),
                Chunk::Gap(len) => sink(Flow::Gap {
                    conn: *id,
                    from,
                    len,
                }),
            }
        }
        State::Undecided { start } => {
            let Chunk::Data(bytes) = chunk else {
                // The start is incomplete: no telling what it was.
                *state = State::Ignored;
                return Ok(());
            };
            // A TLS handshake record (ContentType 22, version 3.x).
            if start.iter().all(Vec::is_empty) && bytes.starts_with(&[0x16, 0x03]) {
                stats.tls += 1;
                *state = State::Ignored;
                return Ok(());
            }
            if start[dir].len() + bytes.len() > MAX_HANDSHAKE {
                *state = State::Ignored;
                return Ok(());
            }
            start[dir].extend_from_slice(bytes);
            let target = match http::parse_request(&start[dir], MAX_HANDSHAKE) {
                Ok(HeadParse::Partial) => return Ok(()),
                Ok(HeadParse::Complete { head, .. }) if asks_for_websocket(&head) => head.target,
                Ok(HeadParse::Complete { .. }) | Err(_) => {
                    if stats.frames_on_port.is_none() {
                        stats.frames_on_port = whole_frames(&start[dir]).map(|masked| {
                            // Clients mask, servers do not.
                            let server = if masked { 1 - dir } else { dir };
                            addrs[server].port()
                        });
                    }
                    *state = State::Ignored;
                    return Ok(());
                }
            };
            let id = *next_id;
            *next_id += 1;
            stats.websocket += 1;
            let mut kept = std::mem::take(start);
            *state = State::Ws { id, client: dir };
            sink(Flow::Opened {
                conn: id,
                client: addrs[dir],
                server: addrs[1 - dir],
                target: Some(target),
            })?;
            // The client's bytes first: the server's (if any came already)
            // answer them.
            for d in [dir, 1 - dir] {
                if !kept[d].is_empty() {
                    deliver(
                        state,
                        addrs,
                        d,
                        Chunk::Data(&mut kept[d]),
                        next_id,
                        stats,
                        sink,
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// Ends a connection: its holes become gaps, then it is over.
fn end<E>(
    mut c: Conn,
    ending: Ending,
    sink: &mut impl FnMut(Flow<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let State::Ws { id, client } = c.state else {
        return Ok(());
    };
    let Conn {
        addrs,
        halves,
        state,
        ..
    } = &mut c;
    let (mut next_id, mut stats) = (0, Stats::default());
    for (d, half) in halves.iter_mut().enumerate() {
        half.finish(&mut |chunk| deliver(state, *addrs, d, chunk, &mut next_id, &mut stats, sink))?;
    }
    let open = |d: usize| ending == Ending::Cut && !c.halves[d].ended;
    sink(Flow::Ended {
        conn: id,
        cut: [open(client), open(1 - client)],
    })
}
