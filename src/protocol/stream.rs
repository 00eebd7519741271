//! A sans-I/O decoder for one direction of a WebSocket connection: feed it
//! bytes split anywhere, get events in order (an HTTP head, each frame's
//! header, its payload in chunks, violations as soon as they are certain,
//! the whole frame at its end, and the message it completes); `finish`
//! says what the input left unfinished. The same bytes give the same
//! events however they are split, apart from how payload chunks are cut.
//!
//! `decode` feeds a whole buffer and then finishes; the connection endpoint
//! feeds what a socket delivers. Masked payloads are unmasked in place in
//! the caller's buffer, so a frame's payload is never copied just to be
//! read; printers that show the wire bytes mask them again.

use super::deflate::{find_deflate, DeflateParams, InflateError};
use super::frame::{whole_frames, FrameHeader, HeaderParse};
use super::handshake::{self, Issue};
use super::http::{self, HeadError, HeadKind, HeadParse, HeadProblem, Starts};
use super::mask::apply_mask;
use super::message::{Assembler, Fragment, Limits, MessageKind, MessageRef, Room};
use super::opcode::OpCode;
use super::rules::{check_header, Context};
use super::violation::{Kind, Violation};
use super::Role;

/// An HTTP upgrade head read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// An upgrade request, with what is wrong with it.
    Request {
        /// Offset in the stream.
        offset: u64,
        /// The raw head bytes.
        raw: Vec<u8>,
        /// The parsed request.
        request: http::Request,
        /// What breaks RFC 6455 §4.2.1.
        issues: Vec<Issue>,
    },
    /// An upgrade response, checked against the request's key when the
    /// request came first.
    Response {
        /// Offset in the stream.
        offset: u64,
        /// The raw head bytes.
        raw: Vec<u8>,
        /// The parsed response.
        response: http::Response,
        /// What breaks RFC 6455 §4.1 / §4.2.2.
        issues: Vec<Issue>,
    },
    /// Bytes that start like HTTP but cannot be read as a head.
    Invalid {
        /// Offset in the stream where the head started.
        offset: u64,
        /// What is wrong, and where (offset relative to the head):
        /// [`HeadProblem::Unfinished`] when the head was merely cut short.
        error: HeadError,
    },
}

impl Head {
    /// Where the head starts in the stream.
    pub fn offset(&self) -> u64 {
        match self {
            Self::Request { offset, .. }
            | Self::Response { offset, .. }
            | Self::Invalid { offset, .. } => *offset,
        }
    }

    /// Whether this is a head the input ends inside of.
    pub fn truncated(&self) -> bool {
        matches!(
            self,
            Self::Invalid {
                error: HeadError {
                    problem: HeadProblem::Unfinished { .. },
                    ..
                },
                ..
            }
        )
    }
}

/// A frame header as it completes, before its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameStart {
    /// 1-based position among the frames of this direction.
    pub index: u64,
    /// Offset of its first byte in the stream.
    pub offset: u64,
    /// The header.
    pub header: FrameHeader,
    /// Rules broken by the header and by the frame's place in the stream.
    pub violations: Vec<Violation>,
    /// Its place in a data message.
    pub fragment: Option<Fragment>,
}

/// How far a frame's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// All of it was read.
    Complete,
    /// The input ended inside it, this many bytes short (at least this
    /// many when the header itself is cut).
    Truncated {
        /// Bytes missing.
        missing: u64,
    },
    /// Decoding stopped at a violation before its payload was read (an
    /// endpoint fails the connection there); this many bytes were not read.
    Abandoned {
        /// Payload bytes not read.
        unread: u64,
    },
    /// The input lacks bytes inside the frame (a segment missing from a
    /// capture): this many of its bytes were not decoded, the gap's and
    /// those after it up to the frame's end. Not a violation.
    Gap {
        /// Bytes of the frame not decoded.
        missing: u64,
    },
}

/// Everything about one frame, at its end: what a printer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRecord<'a> {
    /// 1-based position among the frames of this direction.
    pub index: u64,
    /// Offset of its first byte in the stream.
    pub offset: u64,
    /// The header, when all of it is present.
    pub header: Option<FrameHeader>,
    /// The header bytes present (all of them when `header` is Some).
    pub header_bytes: &'a [u8],
    /// The payload bytes present, unmasked (mask them with the header's key
    /// again for the bytes as they were on the wire).
    pub payload: &'a [u8],
    /// Whether the frame is whole.
    pub extent: Extent,
    /// Rules the frame breaks, on its own and in its place in the stream.
    pub violations: &'a [Violation],
    /// Its place in a data message.
    pub fragment: Option<Fragment>,
    /// The message it completes.
    pub message: Option<MessageRef<'a>>,
}

impl FrameRecord<'_> {
    /// Total bytes of the frame present.
    pub fn present(&self) -> u64 {
        (self.header_bytes.len() + self.payload.len()) as u64
    }

    /// Bytes the frame still needs, 0 when complete.
    pub fn missing(&self) -> u64 {
        match self.extent {
            Extent::Complete => 0,
            Extent::Truncated { missing } => missing,
            Extent::Abandoned { unread } => unread,
            Extent::Gap { missing } => missing,
        }
    }
}

/// One thing decoded, in stream order.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// An HTTP head at the start.
    Head(&'a Head),
    /// A frame header is complete; its payload follows.
    FrameStart(&'a FrameStart),
    /// The next piece of the current frame's payload, unmasked.
    Payload(&'a [u8]),
    /// A rule broken inside a payload, reported as soon as its byte arrived
    /// (it is also in the frame's record).
    Violation(&'a Violation),
    /// A frame ended (or the input ended inside it).
    Frame(&'a FrameRecord<'a>),
    /// A data message is complete.
    Message(&'a MessageRef<'a>),
    /// Bytes the input lacks, or what decoding did after them.
    Gap(&'a Gap),
}

/// Bytes of a stream that the input lacks (a TCP segment missing from a
/// capture), and what became of the bytes after them. Never a violation:
/// the peer may have sent them right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// `len` bytes are missing at `offset` (the stream offset counts them).
    Missing {
        /// Offset of the first missing byte.
        offset: u64,
        /// How many bytes are missing.
        len: u64,
        /// What decoding does after them.
        after: AfterGap,
    },
    /// Decoding found frames again at `offset` after `undecoded` bytes it
    /// could not place.
    Resumed {
        /// Offset of the first frame decoded again.
        offset: u64,
        /// Bytes present but not decoded since the gap.
        undecoded: u64,
    },
    /// The input ended with `len` bytes after a gap not decoded, from
    /// `offset`.
    Undecoded {
        /// Offset of the first byte not decoded.
        offset: u64,
        /// How many.
        len: u64,
    },
}

/// What decoding does after a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterGap {
    /// The gap fell inside a frame whose length was known: the `skip`
    /// bytes of it that follow the gap are passed over, and decoding goes
    /// on at the next frame (its place is certain).
    Resumes {
        /// Bytes of the cut frame after the gap, not decoded.
        skip: u64,
    },
    /// Where the next frame starts is unknown: the bytes that follow are
    /// not decoded until frames are found again (a piece of input whose
    /// frames chain from its first byte to its last) or the input ends.
    Lost,
}

/// Where a listed violation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the HTTP head at this offset.
    Head {
        /// Offset of the head.
        offset: u64,
        /// "request", "response" or "HTTP head".
        what: &'static str,
    },
    /// In a frame.
    Frame {
        /// 1-based index of the frame.
        index: u64,
        /// Offset of the frame.
        offset: u64,
    },
    /// In one direction of one connection of several (a capture): the
    /// place within that direction's stream.
    Stream {
        /// The connection's id.
        conn: u64,
        /// Who sent the stream.
        from: Role,
        /// "request", "response", "HTTP head", or "frame".
        what: &'static str,
        /// The frame's index, for a frame.
        index: Option<u64>,
        /// Offset in that direction's stream.
        offset: u64,
    },
}

/// A listed violation: of a frame, of a head, or a head that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A frame rule.
    Frame(Violation),
    /// A handshake issue.
    Issue(Issue),
    /// A head that cannot be read.
    Head(HeadError),
}

/// Counts over everything decoded, and the first violations with where they
/// were. Its size is bounded whatever the input: only the first
/// [`Summary::MAX_LISTED`] violations are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames read, truncated ones included.
    pub frames: u64,
    /// Of those, control frames.
    pub control: u64,
    /// Data messages completed.
    pub messages: u64,
    /// Violations of frames and heads, all counted.
    pub violations: u64,
    /// The first violations, with where they were.
    pub listed: Vec<(Place, Finding)>,
    /// Who sent the frames, as given or as implied by the last head.
    pub from: Option<Role>,
    /// A data message still waiting for its final frame at the end:
    /// (kind, frames, bytes).
    pub unfinished: Option<(MessageKind, usize, u64)>,
    /// Compressed messages that could not be checked: they refer back to
    /// earlier messages the input lacks.
    pub unchecked: u64,
    /// RSV1 was set while permessage-deflate was off and no handshake said
    /// anything about it: the input may lack the handshake that enabled it.
    pub rsv1_without_deflate: bool,
    /// Gaps in the input (segments missing from a capture).
    pub gaps: u64,
    /// Bytes missing in those gaps.
    pub lost: u64,
    /// Bytes present after a gap that could not be decoded.
    pub undecoded: u64,
    /// Set when the summary covers several streams (see
    /// [`Summary::merge`]): how many connections.
    pub connections: Option<u64>,
    /// Messages that break the application protocol the connection's
    /// subprotocol agreed on (invalid JSON under `json`, a GraphQL
    /// operation before its ack...), as the payload view found them.
    pub payload_violations: u64,
    /// The first of those, in words.
    pub payload_first: Option<String>,
}

impl Summary {
    /// How many violations are kept with their place.
    pub const MAX_LISTED: usize = 100;

    /// Counts a message that breaks the agreed application protocol
    /// (`what`: the first problem the payload view found in it).
    pub fn payload_violation(&mut self, what: &str) {
        self.payload_violations += 1;
        self.payload_first.get_or_insert_with(|| what.to_string());
    }

    /// Adds the counts and listed violations of `other`, one direction
    /// (`from`) of connection `conn`, to a summary over several streams.
    pub fn merge(&mut self, other: &Summary, conn: u64, from: Role) {
        self.frames += other.frames;
        self.control += other.control;
        self.messages += other.messages;
        self.violations += other.violations;
        self.unchecked += other.unchecked;
        self.gaps += other.gaps;
        self.lost += other.lost;
        self.undecoded += other.undecoded;
        self.rsv1_without_deflate |= other.rsv1_without_deflate;
        self.payload_violations += other.payload_violations;
        if self.payload_first.is_none() {
            self.payload_first.clone_from(&other.payload_first);
        }
        if self.unfinished.is_none() {
            self.unfinished = other.unfinished;
        }
        for (place, finding) in &other.listed {
            if self.listed.len() >= Self::MAX_LISTED {
                break;
            }
            let place = match *place {
                Place::Head { offset, what } => Place::Stream {
                    conn,
                    from,
                    what,
                    index: None,
                    offset,
                },
                Place::Frame { index, offset } => Place::Stream {
                    conn,
                    from,
                    what: "frame",
                    index: Some(index),
                    offset,
                },
                p @ Place::Stream { .. } => p,
            };
            self.listed.push((place, finding.clone()));
        }
    }

    fn note(&mut self, place: Place, finding: Finding) {
        self.violations += 1;
        if self.listed.len() < Self::MAX_LISTED {
            self.listed.push((place, finding));
        }
    }
}

/// How a [`Decoder`] reads its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Who sends the frames (decides the masking rule); when None, a
    /// leading request implies the client and a response the server.
    pub from: Option<Role>,
    /// Look for HTTP upgrade heads at the start (a request, then a
    /// response) before the frames.
    pub heads: bool,
    /// Read RSV1 as permessage-deflate's bit whatever the heads say.
    pub deflate: Option<DeflateParams>,
    /// Size limits, checked when a header arrives.
    pub limits: Limits,
    /// Stop at the first violation that fails a connection (the rest of the
    /// input is left unread, and a message it would complete is not
    /// delivered).
    pub stop_at_violation: bool,
    /// Stop after a close frame: an endpoint reads nothing its peer sends
    /// after closing (RFC 6455 §5.5.1).
    pub stop_after_close: bool,
    /// Give each frame's start and payload pieces as events
    /// ([`Event::FrameStart`], [`Event::Payload`]); without them, frames,
    /// messages and violations (found inside a payload, as they arrive).
    pub pieces: bool,
    /// Give a data frame that is a whole message by itself, with no
    /// violation, as [`Event::Frame`] before its [`Event::Message`];
    /// without it, such a frame gives only its message (however the
    /// input is split).
    pub plain_frames: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            from: None,
            heads: true,
            deflate: None,
            limits: Limits::default(),
            stop_at_violation: false,
            stop_after_close: false,
            pieces: true,
            plain_frames: true,
        }
    }
}

#[derive(Debug)]
struct Current {
    start: FrameStart,
    header_len: usize,
    /// Payload bytes not yet arrived.
    remaining: u64,
    /// Payload bytes arrived (the masking key's position).
    seen: u64,
    /// The whole payload is in the piece being fed.
    whole: bool,
    violations: Vec<Violation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Looking for a head (a request only at the very start).
    Heads,
    /// Inside a head of this kind, collecting its bytes.
    InHead { response: bool },
    /// Reading frames.
    Frames,
    /// Nothing more can be read (a head that cannot be parsed, or a stop
    /// at a violation).
    Stopped,
    /// After a gap, where the next frame starts is unknown: looking for
    /// frames again at the start of each piece fed.
    Lost,
}

/// Decodes one direction of a connection. See the module documentation.
#[derive(Debug)]
pub struct Decoder {
    config: Config,
    ctx: Context,
    phase: Phase,
    head: Vec<u8>,
    head_offset: u64,
    key: Option<String>,
    deflate: Option<DeflateParams>,
    deflate_settled: bool,
    assembler: Assembler,
    offset: u64,
    header: [u8; 14],
    header_len: usize,
    current: Option<Current>,
    summary: Summary,
    finished: bool,
    head_seen: bool,
    /// A gap came: the frames no longer start with the connection.
    gapped: bool,
    /// Bytes of a frame cut by a gap still to pass over.
    skip: u64,
    /// Bytes not decoded since the last gap, and where they began.
    undecoded: (u64, u64),
    /// The input starts inside the stream, no gap said yet.
    mid_stream: bool,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new(config: Config) -> Self {
        let mut d = Self {
            config,
            ctx: Context {
                from: config.from,
                ..Context::default()
            },
            phase: if config.heads {
                Phase::Heads
            } else {
                Phase::Frames
            },
            head: Vec::new(),
            head_offset: 0,
            key: None,
            deflate: config.deflate,
            deflate_settled: config.deflate.is_some(),
            assembler: Assembler::new(),
            offset: 0,
            header: [0; 14],
            header_len: 0,
            current: None,
            summary: Summary {
                from: config.from,
                ..Summary::default()
            },
            finished: false,
            head_seen: false,
            gapped: false,
            skip: 0,
            undecoded: (0, 0),
            mid_stream: false,
        };
        if d.phase == Phase::Frames {
            d.start_frames();
        }
        d
    }

    /// Counts and violations of what has been decoded so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether decoding stopped (at a head that cannot be read, or at a
    /// violation when `stop_at_violation` is set): further input is ignored.
    pub fn stopped(&self) -> bool {
        self.phase == Phase::Stopped
    }

    /// Whether a close frame has been read.
    pub fn closed(&self) -> bool {
        self.assembler.closed()
    }

    /// Turns permessage-deflate on as a handshake agreed (before any frame
    /// was fed: the frames start afresh).
    pub fn set_deflate(&mut self, params: Option<DeflateParams>) {
        self.deflate = params;
        self.deflate_settled = true;
        if self.phase == Phase::Frames {
            self.start_frames();
        }
    }

    /// Gives the `Sec-WebSocket-Key` of a request read in the other
    /// direction, so that the response this decoder reads is checked
    /// against it (a capture has each direction in its own decoder).
    pub fn set_request_key(&mut self, key: Option<String>) {
        self.key = key;
    }

    /// Whether permessage-deflate applies to the frames.
    pub fn deflate(&self) -> Option<DeflateParams> {
        self.deflate
    }

    /// Feeds the next bytes; masked payloads are unmasked in place. Events
    /// go to `sink` in order; an error from the sink stops the feed and is
    /// returned.
    pub fn feed<E>(
        &mut self,
        buf: &mut [u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut at = 0;
        while at < buf.len() {
            match self.phase {
                Phase::Stopped => {
                    self.offset += (buf.len() - at) as u64;
                    return Ok(());
                }
                Phase::Lost => {
                    if at == 0 && self.chains(buf) {
                        let (offset, undecoded) = (self.offset, self.undecoded.1);
                        self.undecoded = (0, 0);
                        self.enter_frames();
                        // A stream taken up at a frame boundary at once
                        // has nothing to say.
                        let quiet = std::mem::take(&mut self.mid_stream) && undecoded == 0;
                        if !quiet {
                            sink(Event::Gap(&Gap::Resumed { offset, undecoded }))?;
                        }
                        continue;
                    }
                    let n = (buf.len() - at) as u64;
                    self.offset += n;
                    self.undecoded.1 += n;
                    self.summary.undecoded += n;
                    return Ok(());
                }
                Phase::Heads | Phase::InHead { .. } => {
                    at += self.feed_head(&buf[at..], sink)?;
                }
                Phase::Frames if self.skip > 0 => {
                    let n = usize::try_from(self.skip)
                        .map_or(buf.len() - at, |s| s.min(buf.len() - at));
                    self.skip -= n as u64;
                    self.offset += n as u64;
                    self.summary.undecoded += n as u64;
                    at += n;
                }
                Phase::Frames => {
                    at += self.feed_frames(&mut buf[at..], sink)?;
                }
            }
        }
        Ok(())
    }

    /// Tells the decoder that the input lacks the next `len` bytes of the
    /// stream (a segment missing from a capture). A frame the gap cuts is
    /// reported as far as it was read ([`Extent::Gap`]); when its length
    /// was known and the gap ends inside it, decoding goes on at the next
    /// frame, whose place is certain. Otherwise what follows is not decoded
    /// until a piece fed ([`Decoder::feed`]) holds whole frames from its
    /// first byte to its last (frames found again) or the input ends. The
    /// message the gap cuts is lost, and compressed messages after it may
    /// need the lost bytes (they are counted as unchecked). Nothing here is
    /// a violation.
    pub fn gap<E>(
        &mut self,
        len: u64,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.finished || len == 0 {
            return Ok(());
        }
        let offset = self.offset;
        self.mid_stream = false;
        self.summary.gaps += 1;
        self.summary.lost += len;
        self.gapped = true;
        let after = match self.phase {
            Phase::Frames if self.skip > 0 => {
                if len <= self.skip {
                    self.skip -= len;
                    AfterGap::Resumes { skip: self.skip }
                } else {
                    self.skip = 0;
                    self.lose()
                }
            }
            Phase::Frames => match self.current.as_ref().map(|c| c.remaining) {
                Some(remaining) => {
                    self.end_frame(None, Extent::Gap { missing: remaining }, sink)?;
                    if len <= remaining {
                        self.skip = remaining - len;
                        // The message it was part of cannot be completed.
                        self.start_frames();
                        AfterGap::Resumes { skip: self.skip }
                    } else {
                        self.lose()
                    }
                }
                None => {
                    // A header cut short (or none begun): the gap may hold
                    // any number of frames.
                    let had = std::mem::replace(&mut self.header_len, 0) as u64;
                    self.summary.undecoded += had;
                    self.lose()
                }
            },
            Phase::Heads | Phase::InHead { .. } => {
                let had = std::mem::take(&mut self.head).len() as u64;
                self.summary.undecoded += had;
                self.lose()
            }
            Phase::Lost | Phase::Stopped => AfterGap::Lost,
        };
        self.offset += len;
        if self.phase == Phase::Lost && self.undecoded.1 == 0 {
            self.undecoded = (self.offset, 0);
        }
        sink(Event::Gap(&Gap::Missing { offset, len, after }))
    }

    /// Says that the input stops here though the stream went on (a
    /// capture that ended while the side was still sending): a frame in
    /// progress is reported as far as it came ([`Extent::Gap`]) and a
    /// header cut short is counted as not decoded, neither as a
    /// violation. [`Decoder::finish`] follows as usual.
    pub fn cut<E>(&mut self, sink: &mut impl FnMut(Event<'_>) -> Result<(), E>) -> Result<(), E> {
        if self.finished || self.phase != Phase::Frames {
            return Ok(());
        }
        if let Some(missing) = self.current.as_ref().map(|c| c.remaining) {
            self.end_frame(None, Extent::Gap { missing }, sink)?;
        } else if self.header_len > 0 {
            self.summary.undecoded += std::mem::replace(&mut self.header_len, 0) as u64;
        }
        Ok(())
    }

    /// Says that the bytes fed from now on start at `offset` of the
    /// stream: what came before (a handshake head an endpoint read itself)
    /// is not fed, but offsets count it, as a capture of the stream does.
    /// Call it before feeding anything.
    pub fn start_at(&mut self, offset: u64) {
        if self.offset == 0 && !self.finished {
            self.offset = offset;
            self.undecoded = (offset, 0);
        }
    }

    /// Says that the input starts somewhere inside the stream (a capture
    /// that began after the connection did), so the first byte need not
    /// start a frame: nothing is decoded until a piece fed holds whole
    /// frames from its first byte to its last, as after a gap. Call it
    /// before feeding anything.
    pub fn start_mid_stream(&mut self) {
        if self.offset > 0 || self.finished {
            return;
        }
        self.gapped = true;
        self.mid_stream = true;
        self.head.clear();
        self.lose();
    }

    /// Gives up on frames until they are found again.
    fn lose(&mut self) -> AfterGap {
        self.phase = Phase::Lost;
        self.current = None;
        self.header_len = 0;
        self.undecoded = (0, 0);
        AfterGap::Lost
    }

    /// Whether frames can be taken up at the start of `buf` (see
    /// [`whole_frames`]).
    fn chains(&self, buf: &[u8]) -> bool {
        whole_frames(buf).is_some()
    }

    /// Lends room for up to `max` more bytes of the current frame's payload
    /// when they go to the message buffer anyway (a fragmented message, or
    /// a frame longer than what was fed): read them straight into it and
    /// hand it back with [`Decoder::feed_room`], saving a copy. None when
    /// the next bytes are not such payload.
    pub fn take_room(&mut self, max: usize) -> Option<Room> {
        if self.phase != Phase::Frames {
            return None;
        }
        let cur = self.current.as_ref()?;
        let n = usize::try_from(cur.remaining).map_or(max, |r| r.min(max));
        self.assembler.take_room(n)
    }

    /// Takes room back unused (the read failed or found the end).
    pub fn give_back(&mut self, room: Room) {
        self.assembler.give_back(room);
    }

    /// Feeds the `n` bytes read into `room` (see [`Decoder::take_room`]):
    /// the same events as [`Decoder::feed`] with those bytes.
    pub fn feed_room<E>(
        &mut self,
        room: Room,
        n: usize,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(cur) = self.current.as_mut() else {
            self.assembler.give_back(room);
            return Ok(());
        };
        let n = usize::try_from(cur.remaining).map_or(n, |r| r.min(n));
        let piece = self.assembler.placed_mut(room, n);
        if let Some(key) = cur.start.header.mask {
            apply_mask(piece, key, (cur.seen % 4) as usize);
        }
        let found = self.assembler.placed(n);
        let take = found.as_ref().map_or(n, |(_, upto)| *upto);
        cur.seen += take as u64;
        cur.remaining -= take as u64;
        self.offset += take as u64;
        let placed = self.assembler.last_placed(n);
        if self.config.pieces {
            sink(Event::Payload(&placed[..take]))?;
        }
        if let Some((v, _)) = found {
            let fatal = self.config.stop_at_violation && v.close_code().is_some();
            sink(Event::Violation(&v))?;
            cur.violations.push(v);
            if fatal {
                self.offset += (n - take) as u64;
                return self.abandon(None, sink);
            }
            cur.seen += (n - take) as u64;
            cur.remaining -= (n - take) as u64;
            self.offset += (n - take) as u64;
            if n > take && self.config.pieces {
                sink(Event::Payload(&placed[take..]))?;
            }
        }
        if self.current.as_ref().is_some_and(|c| c.remaining == 0) {
            self.end_frame(None, Extent::Complete, sink)?;
        }
        Ok(())
    }

    /// Ends the stream: a head or frame cut short is reported, with how
    /// many bytes it lacks, and an unfinished message is noted in the
    /// summary.
    pub fn finish<E>(
        &mut self,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match self.phase {
            Phase::Heads => {
                // Too few bytes to tell a head: they are frame bytes.
                let mut rest = std::mem::take(&mut self.head);
                self.enter_frames();
                self.offset -= rest.len() as u64;
                self.feed_frames_all(&mut rest, sink)?;
            }
            Phase::InHead { response } => {
                let len = self.head.len();
                let kind = if response {
                    HeadKind::Response
                } else {
                    HeadKind::Request
                };
                // Bytes after the last parse may hold the error: look again,
                // so that the answer does not depend on how the input came.
                let parsed = if response {
                    http::parse_response(&self.head, usize::MAX).err()
                } else {
                    http::parse_request(&self.head, usize::MAX).err()
                };
                let head = Head::Invalid {
                    offset: self.head_offset,
                    error: parsed.unwrap_or(HeadError {
                        offset: len,
                        problem: HeadProblem::Unfinished { head: kind, len },
                    }),
                };
                self.head.clear();
                self.emit_head(head, sink)?;
                self.phase = Phase::Stopped;
            }
            Phase::Lost => {
                let (offset, len) = self.undecoded;
                if len > 0 {
                    sink(Event::Gap(&Gap::Undecoded { offset, len }))?;
                }
            }
            Phase::Frames | Phase::Stopped => {}
        }
        if self.phase == Phase::Frames {
            self.finish_frame(sink)?;
        }
        self.summary.unfinished = self.assembler.open_message();
        Ok(())
    }

    fn enter_frames(&mut self) {
        self.phase = Phase::Frames;
        self.start_frames();
    }

    fn start_frames(&mut self) {
        let mut assembler = Assembler::new().with_limits(self.config.limits);
        // After a head, the frames start with the connection; after a gap
        // they do not.
        if (self.head_seen || !self.config.heads) && !self.gapped {
            assembler = assembler.from_connection_start();
        }
        if self.gapped {
            assembler = assembler.after_gap();
        }
        if let Some(params) = self.deflate {
            self.ctx.allowed_rsv[0] = true;
            let reset = match self.ctx.from {
                Some(Role::Client) => params.client_no_context_takeover,
                Some(Role::Server) => params.server_no_context_takeover,
                None => false,
            };
            assembler = assembler.with_deflate(reset);
        }
        self.assembler = assembler;
    }

    fn feed_frames_all<E>(
        &mut self,
        buf: &mut [u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut at = 0;
        while at < buf.len() && self.phase == Phase::Frames {
            at += self.feed_frames(&mut buf[at..], sink)?;
        }
        self.offset += (buf.len() - at) as u64;
        Ok(())
    }

    // ---------------------------------------------------------------- heads

    /// Takes bytes while looking for or inside a head; returns how many.
    fn feed_head<E>(
        &mut self,
        buf: &[u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        if let Phase::Heads = self.phase {
            if self.head.is_empty() {
                self.head_offset = self.offset;
            }
            // Collect just enough to tell whether a head starts here.
            let mut used = 0;
            let decision = loop {
                let d = head_starts(&self.head, self.head_offset == 0);
                if d != Decision::NeedMore || used == buf.len() {
                    break d;
                }
                self.head.push(buf[used]);
                used += 1;
            };
            self.offset += used as u64;
            match decision {
                Decision::NeedMore => return Ok(used),
                Decision::No => {
                    let mut rest = std::mem::take(&mut self.head);
                    self.enter_frames();
                    self.offset -= rest.len() as u64;
                    self.feed_frames_all(&mut rest, sink)?;
                    return Ok(used);
                }
                Decision::Request => self.phase = Phase::InHead { response: false },
                Decision::Response => self.phase = Phase::InHead { response: true },
            }
            return Ok(used + self.collect_head(&buf[used..], true, sink)?);
        }
        self.collect_head(buf, false, sink)
    }

    /// Appends head bytes and parses when a line may have ended.
    fn collect_head<E>(
        &mut self,
        buf: &[u8],
        first: bool,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let Phase::InHead { response } = self.phase else {
            return Ok(0);
        };
        let before = self.head.len();
        self.head.extend_from_slice(buf);
        // A head can only end, or go wrong in a new way, where a line
        // ends; parse on the first bytes (junk fails at once) and then only
        // when a line end arrives, so a head fed byte by byte costs a parse
        // per line, not per byte.
        if !first && !http::worth_parsing(buf) {
            self.offset += buf.len() as u64;
            return Ok(buf.len());
        }
        let parsed = if response {
            http::parse_response(&self.head, usize::MAX).map(|p| match p {
                HeadParse::Complete { head, len } => Some((Parsed::Response(head), len)),
                HeadParse::Partial => None,
            })
        } else {
            http::parse_request(&self.head, usize::MAX).map(|p| match p {
                HeadParse::Complete { head, len } => Some((Parsed::Request(head), len)),
                HeadParse::Partial => None,
            })
        };
        match parsed {
            Ok(None) => {
                self.offset += buf.len() as u64;
                Ok(buf.len())
            }
            Ok(Some((parsed, len))) => {
                let used = len - before;
                self.offset += used as u64;
                let mut raw = std::mem::take(&mut self.head);
                raw.truncate(len);
                let head = self.checked_head(parsed, raw);
                self.phase = Phase::Heads;
                self.emit_head(head, sink)?;
                Ok(used)
            }
            Err(e) => {
                // Without a well-formed head there is no telling where
                // frames would start.
                self.offset += buf.len() as u64;
                let head = Head::Invalid {
                    offset: self.head_offset,
                    error: e,
                };
                self.head = Vec::new();
                self.emit_head(head, sink)?;
                self.phase = Phase::Stopped;
                Ok(buf.len())
            }
        }
    }

    fn checked_head(&mut self, parsed: Parsed, raw: Vec<u8>) -> Head {
        self.head_seen = true;
        let offset = self.head_offset;
        let (head, role) = match parsed {
            Parsed::Request(request) => {
                let issues = handshake::validate_request(&request);
                self.note_extensions(&request.headers, false);
                self.key = request
                    .header("Sec-WebSocket-Key")
                    .map(|h| String::from_utf8_lossy(&h.value).into_owned());
                (
                    Head::Request {
                        offset,
                        raw,
                        request,
                        issues,
                    },
                    Role::Client,
                )
            }
            Parsed::Response(response) => {
                let issues = handshake::validate_response(&response, self.key.as_deref());
                self.note_extensions(&response.headers, true);
                (
                    Head::Response {
                        offset,
                        raw,
                        response,
                        issues,
                    },
                    Role::Server,
                )
            }
        };
        if self.config.from.is_none() {
            self.ctx.from = Some(role);
            self.summary.from = Some(role);
        }
        head
    }

    fn note_extensions(&mut self, headers: &[http::Header], response: bool) {
        if self.deflate_settled && !response {
            return;
        }
        let found = headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
            .find_map(|h| find_deflate(&h.value));
        if response {
            // The response decides: what it does not accept is off.
            if !self.deflate_settled || found.is_some() {
                self.deflate = found;
            }
            self.deflate_settled = true;
        } else {
            // An offer alone: frames that follow a request were sent after
            // an answer this input does not show, so go by the offer.
            self.deflate = found;
        }
    }

    fn emit_head<E>(
        &mut self,
        head: Head,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let offset = head.offset();
        match &head {
            Head::Request { issues, .. } | Head::Response { issues, .. } => {
                let what = if matches!(head, Head::Request { .. }) {
                    "request"
                } else {
                    "response"
                };
                for i in issues {
                    self.summary
                        .note(Place::Head { offset, what }, Finding::Issue(i.clone()));
                }
            }
            Head::Invalid { error, .. } => self.summary.note(
                Place::Head {
                    offset,
                    what: "HTTP head",
                },
                Finding::Head(error.clone()),
            ),
        }
        sink(Event::Head(&head))
    }

    // --------------------------------------------------------------- frames

    /// Reads frame bytes from `buf`; returns how many it took (at least one
    /// unless decoding stopped).
    fn feed_frames<E>(
        &mut self,
        buf: &mut [u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        if self.current.is_none() {
            return self.feed_header(buf, sink);
        }
        let cur = self.current.as_mut().expect("checked");
        let n = usize::try_from(cur.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let piece = &mut buf[..n];
        if let Some(key) = cur.start.header.mask {
            apply_mask(piece, key, (cur.seen % 4) as usize);
        }
        let found = self.assembler.chunk(piece);
        // A violation is reported right after its byte: the chunk is split
        // there, so the events do not depend on where the input was cut.
        let take = found.as_ref().map_or(n, |(_, upto)| *upto);
        cur.seen += take as u64;
        cur.remaining -= take as u64;
        self.offset += take as u64;
        if self.config.pieces {
            sink(Event::Payload(&piece[..take]))?;
        }
        if let Some((v, _)) = found {
            let fatal = self.config.stop_at_violation && v.close_code().is_some();
            sink(Event::Violation(&v))?;
            let cur = self.current.as_mut().expect("checked");
            cur.violations.push(v);
            if fatal {
                let read = cur.whole.then_some(&buf[..take]);
                self.abandon(read, sink)?;
                return Ok(take);
            }
            let rest = n - take;
            cur.seen += rest as u64;
            cur.remaining -= rest as u64;
            self.offset += rest as u64;
            if rest > 0 && self.config.pieces {
                sink(Event::Payload(&buf[take..n]))?;
            }
        }
        let cur = self.current.as_ref().expect("checked");
        if cur.remaining == 0 {
            // A whole payload arrived as this one piece.
            let borrowed = cur.whole.then_some(&buf[..n]);
            self.end_frame(borrowed, Extent::Complete, sink)?;
        }
        Ok(n)
    }

    fn feed_header<E>(
        &mut self,
        buf: &mut [u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let had = self.header_len;
        let take = (self.header.len() - had).min(buf.len());
        self.header[had..had + take].copy_from_slice(&buf[..take]);
        let header = match FrameHeader::parse(&self.header[..had + take]) {
            HeaderParse::Partial { .. } => {
                self.header_len = had + take;
                self.offset += take as u64;
                return Ok(take);
            }
            HeaderParse::Complete(h) => h,
        };
        let used = header.len() - had;
        self.header_len = header.len();
        let frame_offset = self.offset - had as u64;
        self.offset += used as u64;
        let index = self.summary.frames + 1;
        self.summary.frames += 1;
        if header.opcode.is_control() {
            self.summary.control += 1;
        }
        let rest = (buf.len() - used) as u64;
        let whole = rest >= header.payload_len;
        let mut violations = check_header(&header, &self.ctx);
        if violations.is_empty() && whole {
            if let Some(fragment) = self.assembler.plain_message(&header) {
                let len = header.payload_len as usize;
                let payload = &mut buf[used..used + len];
                if let Some(key) = header.mask {
                    apply_mask(payload, key, 0);
                }
                if fragment.kind == MessageKind::Binary || std::str::from_utf8(payload).is_ok() {
                    return self.plain(header, index, frame_offset, fragment, used, payload, sink);
                }
                // Not UTF-8: the general path says where, as it arrives.
                if let Some(key) = header.mask {
                    apply_mask(payload, key, 0);
                }
            }
        }
        let begun = self.assembler.begin(&header, whole);
        violations.extend(begun.violations);
        let start = FrameStart {
            index,
            offset: frame_offset,
            header,
            violations,
            fragment: begun.fragment,
        };
        if self.config.pieces {
            sink(Event::FrameStart(&start))?;
        }
        let fatal = self.config.stop_at_violation
            && start.violations.iter().any(|v| v.close_code().is_some());
        let violations = start.violations.clone();
        self.current = Some(Current {
            header_len: header.len(),
            remaining: header.payload_len,
            seen: 0,
            whole,
            start,
            violations,
        });
        if fatal {
            self.abandon(None, sink)?;
        } else if header.payload_len == 0 {
            self.end_frame(Some(&[]), Extent::Complete, sink)?;
        }
        Ok(used)
    }

    /// A whole plain message in one frame (see
    /// [`Assembler::plain_message`]), payload already unmasked: the events
    /// the general path gives for it, without its bookkeeping.
    #[allow(clippy::too_many_arguments)]
    fn plain<E>(
        &mut self,
        header: FrameHeader,
        index: u64,
        offset: u64,
        fragment: Fragment,
        used: usize,
        payload: &[u8],
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        if self.config.pieces {
            let start = FrameStart {
                index,
                offset,
                header,
                violations: Vec::new(),
                fragment: Some(fragment),
            };
            sink(Event::FrameStart(&start))?;
        }
        let len = payload.len();
        self.offset += len as u64;
        let header_len = std::mem::replace(&mut self.header_len, 0);
        if len > 0 && self.config.pieces {
            sink(Event::Payload(payload))?;
        }
        self.summary.messages += 1;
        let message = MessageRef {
            kind: fragment.kind,
            data: payload,
            frames: 1,
            valid_utf8: true,
            compressed: false,
            inflated: false,
            inflate_error: None,
        };
        if self.config.plain_frames {
            let record = FrameRecord {
                index,
                offset,
                header: Some(header),
                header_bytes: &self.header[..header_len],
                payload,
                extent: Extent::Complete,
                violations: &[],
                fragment: Some(fragment),
                message: Some(message),
            };
            sink(Event::Frame(&record))?;
        }
        sink(Event::Message(&message))?;
        Ok(used + len)
    }

    /// Stops at a violation: the frame is reported as far as it was read.
    fn abandon<E>(
        &mut self,
        read: Option<&[u8]>,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let unread = self.current.as_ref().map_or(0, |c| c.remaining);
        self.end_frame(read, Extent::Abandoned { unread }, sink)?;
        self.phase = Phase::Stopped;
        Ok(())
    }

    fn end_frame<E>(
        &mut self,
        borrowed: Option<&[u8]>,
        extent: Extent,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(mut cur) = self.current.take() else {
            return Ok(());
        };
        let header_len = std::mem::replace(&mut self.header_len, 0);
        debug_assert_eq!(header_len, cur.header_len);
        let (payload, message) = if extent == Extent::Complete {
            let ended = self.assembler.end(borrowed);
            cur.violations.extend(ended.violations);
            (ended.payload, ended.message)
        } else {
            let read = borrowed.unwrap_or(self.assembler.partial_payload());
            let seen = usize::try_from(cur.seen).unwrap_or(usize::MAX);
            (&read[..read.len().min(seen)], None)
        };
        let fatal = self.config.stop_at_violation
            && cur.violations.iter().any(|v| v.close_code().is_some());
        let message = if fatal { None } else { message };
        let stop =
            fatal || (self.config.stop_after_close && cur.start.header.opcode == OpCode::Close);
        if let Extent::Truncated { missing } = extent {
            cur.violations.push(Violation::new(Kind::TruncatedPayload {
                announced: cur.start.header.payload_len,
                present: cur.start.header.payload_len - missing,
            }));
        }
        let place = Place::Frame {
            index: cur.start.index,
            offset: cur.start.offset,
        };
        for v in &cur.violations {
            self.summary.note(place, Finding::Frame(v.clone()));
        }
        if let Some(m) = &message {
            self.summary.messages += 1;
            if matches!(
                m.inflate_error,
                Some(InflateError::NeedsEarlierMessages { .. })
            ) {
                self.summary.unchecked += 1;
            }
        }
        if self.deflate.is_none()
            && !self.head_seen
            && cur
                .violations
                .iter()
                .any(|v| v.kind == Kind::ReservedBit { bit: 1 })
        {
            self.summary.rsv1_without_deflate = true;
        }
        let record = FrameRecord {
            index: cur.start.index,
            offset: cur.start.offset,
            header: Some(cur.start.header),
            header_bytes: &self.header[..header_len],
            payload,
            extent,
            violations: &cur.violations,
            fragment: cur.start.fragment,
            message,
        };
        if stop {
            self.phase = Phase::Stopped;
        }
        let plain = extent == Extent::Complete
            && cur.violations.is_empty()
            && message.is_some_and(|m| m.frames == 1);
        if self.config.plain_frames || !plain {
            sink(Event::Frame(&record))?;
        }
        if let Some(m) = &message {
            sink(Event::Message(m))?;
        }
        Ok(())
    }

    fn finish_frame<E>(
        &mut self,
        sink: &mut impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(cur) = &self.current {
            let missing = cur.remaining;
            return self.end_frame(None, Extent::Truncated { missing }, sink);
        }
        if self.header_len == 0 {
            return Ok(());
        }
        let present = self.header_len;
        let needed = match FrameHeader::parse(&self.header[..present]) {
            HeaderParse::Partial { needed } => needed,
            HeaderParse::Complete(_) => 0,
        };
        self.header_len = 0;
        let index = self.summary.frames + 1;
        self.summary.frames += 1;
        let offset = self.offset - present as u64;
        let violations = [Violation::new(Kind::TruncatedHeader { present, needed })];
        self.summary.note(
            Place::Frame { index, offset },
            Finding::Frame(violations[0].clone()),
        );
        let record = FrameRecord {
            index,
            offset,
            header: None,
            header_bytes: &self.header[..present],
            payload: &[],
            extent: Extent::Truncated {
                missing: needed as u64,
            },
            violations: &violations,
            fragment: None,
            message: None,
        };
        sink(Event::Frame(&record))
    }
}

enum Parsed {
    Request(http::Request),
    Response(http::Response),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    NeedMore,
    No,
    Request,
    Response,
}

/// Whether the bytes collected so far start a head ([`http::head_starts`]):
/// a response wherever a head may be, a request only at the very start.
fn head_starts(bytes: &[u8], at_start: bool) -> Decision {
    match http::head_starts(bytes) {
        Starts::Head(HeadKind::Response) => Decision::Response,
        Starts::Head(HeadKind::Request) if at_start => Decision::Request,
        Starts::Head(HeadKind::Request) | Starts::Not => Decision::No,
        Starts::NeedMore if at_start || b"HTTP/".starts_with(bytes) => Decision::NeedMore,
        Starts::NeedMore => Decision::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::{RFC_REQUEST, RFC_RESPONSE};
    use crate::protocol::transcript::read;

    /// Feeds `pieces` one after another to a decoder made from `config`,
    /// returning the decoder (not finished) and the offset after each piece.
    fn fed(config: Config, pieces: &[&[u8]]) -> (Decoder, Vec<u64>) {
        let mut d = Decoder::new(config);
        let mut offsets = Vec::new();
        for p in pieces {
            let mut buf = p.to_vec();
            d.feed(&mut buf, &mut |_| Ok::<(), ()>(())).unwrap();
            offsets.push(d.offset());
        }
        (d, offsets)
    }

    #[test]
    fn heads_know_their_offsets_and_whether_they_were_cut() {
        let mut bytes = RFC_REQUEST.as_bytes().to_vec();
        bytes.extend_from_slice(RFC_RESPONSE.as_bytes());
        let t = read(&bytes, None);
        assert_eq!(t.heads.len(), 2);
        assert_eq!(t.heads[0].offset(), 0);
        assert_eq!(t.heads[1].offset(), RFC_REQUEST.len() as u64);
        assert!(!t.heads[0].truncated() && !t.heads[1].truncated());

        // A response cut short after the request: an unfinished head where
        // the response began.
        let mut cut = RFC_REQUEST.as_bytes().to_vec();
        cut.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgr");
        let t = read(&cut, None);
        assert_eq!(t.heads.len(), 2);
        assert!(t.heads[1].truncated());
        assert_eq!(t.heads[1].offset(), RFC_REQUEST.len() as u64);
        assert_eq!(
            t.summary.listed.last().map(|(p, _)| *p),
            Some(Place::Head {
                offset: RFC_REQUEST.len() as u64,
                what: "HTTP head"
            })
        );
    }

    #[test]
    fn a_response_issue_is_listed_at_the_response() {
        // The response's accept does not match the request's key.
        let mut bytes = RFC_REQUEST.as_bytes().to_vec();
        bytes.extend_from_slice(
            RFC_RESPONSE
                .replace(
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                )
                .as_bytes(),
        );
        let t = read(&bytes, None);
        assert_eq!(t.summary.violations, 1, "{:?}", t.summary.listed);
        assert_eq!(
            t.summary.listed[0].0,
            Place::Head {
                offset: RFC_REQUEST.len() as u64,
                what: "response"
            }
        );
    }

    #[test]
    fn a_record_counts_the_bytes_present() {
        // Masked text frame announcing 5 bytes; 1 arrived.
        let t = read(&[0x81, 0x85, 1, 2, 3, 4, 0x10], None);
        assert_eq!(t.frames[0].record().present(), 7);
        // Header cut after 3 of its 4 bytes.
        let t = read(&[0x82, 0x7e, 0x01], None);
        assert_eq!(t.frames[0].record().present(), 3);
    }

    #[test]
    fn offset_counts_every_byte_fed() {
        let head = RFC_REQUEST.as_bytes();
        let frame: &[u8] = &[0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
        let (_, offsets) = fed(
            Config::default(),
            &[
                &head[..3],
                &head[3..],
                &frame[..1],
                &frame[1..7],
                &frame[7..],
            ],
        );
        let h = head.len() as u64;
        assert_eq!(offsets, [3, h, h + 1, h + 7, h + 8]);

        // After a stop, the rest is skipped but still counted.
        let config = Config {
            from: Some(Role::Client),
            heads: false,
            stop_at_violation: true,
            ..Config::default()
        };
        // An unmasked frame from a client fails the connection.
        let (d, offsets) = fed(config, &[b"\x81\x02h", b"i\x81", b"\x00\x00\x00"]);
        assert!(d.stopped());
        assert_eq!(offsets, [3, 5, 8]);
    }

    #[test]
    fn stopped_only_after_a_fatal_violation() {
        let config = Config {
            from: Some(Role::Client),
            heads: false,
            stop_at_violation: true,
            ..Config::default()
        };
        let (d, _) = fed(config, &[b"\x81\x80\0\0\0\0"]);
        assert!(!d.stopped());
        let (d, _) = fed(config, &[b"\x81\x80\0\0\0\0\x81\x00"]);
        assert!(d.stopped());
    }

    #[test]
    fn closed_after_a_close_frame() {
        let config = Config {
            heads: false,
            ..Config::default()
        };
        let (d, _) = fed(config, &[b"\x81\x00"]);
        assert!(!d.closed());
        let (d, _) = fed(config, &[b"\x81\x00\x88\x02\x03\xe8"]);
        assert!(d.closed());
    }

    #[test]
    fn deflate_follows_the_handshake() {
        let (d, _) = fed(Config::default(), &[RFC_RESPONSE.as_bytes()]);
        assert_eq!(d.deflate(), None);
        let response = RFC_RESPONSE.replace(
            "\r\n\r\n",
            "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n",
        );
        let (d, _) = fed(Config::default(), &[response.as_bytes()]);
        let params = d.deflate().expect("negotiated");
        assert!(params.server_no_context_takeover);
        assert!(!params.client_no_context_takeover);
    }

    /// What a sink saw, owned: payload pieces, violations' rules, frames'
    /// extents and payloads, and messages' data.
    #[derive(Debug, Default)]
    struct Seen {
        pieces: Vec<Vec<u8>>,
        violations: Vec<Violation>,
        frames: Vec<(Extent, Vec<u8>, usize)>,
        messages: Vec<Vec<u8>>,
    }

    impl Seen {
        fn sink(&mut self) -> impl FnMut(Event<'_>) -> Result<(), ()> + '_ {
            |ev| {
                match ev {
                    Event::Payload(p) => self.pieces.push(p.to_vec()),
                    Event::Violation(v) => self.violations.push(v.clone()),
                    Event::Frame(f) => {
                        self.frames
                            .push((f.extent, f.payload.to_vec(), f.violations.len()))
                    }
                    Event::Message(m) => self.messages.push(m.data.to_vec()),
                    _ => {}
                }
                Ok(())
            }
        }
    }

    fn frames_only(from: Option<Role>, stop: bool) -> Config {
        Config {
            from,
            heads: false,
            stop_at_violation: stop,
            ..Config::default()
        }
    }

    /// Feeds `wire` (bytes as sent, masked with `key`) through lent room,
    /// `at_most` bytes a time; returns how many bytes each room offered.
    fn through_room(d: &mut Decoder, seen: &mut Seen, wire: &[u8], at_most: usize) -> Vec<usize> {
        let mut offered = Vec::new();
        for piece in wire.chunks(at_most) {
            let mut room = d.take_room(at_most).expect("room for payload");
            let bytes = room.bytes_mut();
            offered.push(bytes.len());
            bytes[..piece.len()].copy_from_slice(piece);
            d.feed_room(room, piece.len(), &mut seen.sink()).unwrap();
        }
        offered
    }

    #[test]
    fn room_takes_masked_payload_in_pieces() {
        let key = [0x11, 0x22, 0x33, 0x44];
        let mut wire = b"lo, world".to_vec();
        crate::protocol::mask::apply_mask(&mut wire, key, 0);
        let mut d = Decoder::new(frames_only(Some(Role::Client), false));
        let mut seen = Seen::default();
        let mut first = b"\x01\x83\0\0\0\0Hel\x80\x89\x11\x22\x33\x44".to_vec();
        d.feed(&mut first, &mut seen.sink()).unwrap();
        assert_eq!(d.offset(), 15);
        // 9 payload bytes left: rooms of at most 4 offer 4, 4, then 1.
        let offered = through_room(&mut d, &mut seen, &wire, 4);
        assert_eq!(offered, [4, 4, 1]);
        assert_eq!(d.offset(), 24);
        assert_eq!(seen.messages, [b"Hello, world".to_vec()]);
        assert_eq!(
            seen.pieces[1..].concat(),
            b"lo, world",
            "unmasked at the right key phase in every piece"
        );
        assert!(seen.violations.is_empty());
        // The frame is over: no more room.
        assert!(d.take_room(4).is_none());
    }

    #[test]
    fn room_given_back_keeps_the_message_so_far() {
        let mut d = Decoder::new(frames_only(None, false));
        let mut seen = Seen::default();
        let mut first = b"\x01\x03Hel\x80\x02".to_vec();
        d.feed(&mut first, &mut seen.sink()).unwrap();
        let room = d.take_room(16).expect("room");
        d.give_back(room);
        let mut rest = b"lo".to_vec();
        d.feed(&mut rest, &mut seen.sink()).unwrap();
        assert_eq!(seen.messages, [b"Hello".to_vec()]);
    }

    #[test]
    fn no_room_while_reading_a_head() {
        let mut d = Decoder::new(Config::default());
        let mut head = RFC_REQUEST.as_bytes()[..10].to_vec();
        d.feed(&mut head, &mut |_| Ok::<(), ()>(())).unwrap();
        assert!(d.take_room(16).is_none());
    }

    /// Feeds "Hel", then a masked final fragment of `rest` through room,
    /// `at_most` bytes at a time.
    fn hel_then_room(stop: bool, rest: &[u8], announced: u8, at_most: usize) -> (Decoder, Seen) {
        let key = [0xa0, 0xb1, 0xc2, 0xd3];
        let mut wire = rest.to_vec();
        crate::protocol::mask::apply_mask(&mut wire, key, 0);
        let mut d = Decoder::new(frames_only(None, stop));
        let mut seen = Seen::default();
        let mut first = b"\x01\x03Hel\x80\x80\xa0\xb1\xc2\xd3".to_vec();
        first[6] |= announced;
        d.feed(&mut first, &mut seen.sink()).unwrap();
        through_room(&mut d, &mut seen, &wire, at_most);
        (d, seen)
    }

    #[test]
    fn room_reports_bad_utf8_after_its_byte() {
        // The bad byte first in a piece of 3: split after it, and the last
        // piece unmasked at key phase 3.
        let (d, seen) = hel_then_room(false, b"\xffo!x", 4, 3);
        assert_eq!(d.offset(), 15);
        assert_eq!(seen.violations.len(), 1);
        assert_eq!(
            seen.pieces[1..],
            [b"\xff".to_vec(), b"o!".to_vec(), b"x".to_vec()]
        );
        assert_eq!(seen.frames.len(), 2);
        assert_eq!(seen.frames[1], (Extent::Complete, b"\xffo!x".to_vec(), 1));
        assert!(!d.stopped());
        // A bad message is delivered when the decoder does not stop.
        assert_eq!(seen.messages, [b"Hel\xffo!x".to_vec()]);

        // The bad byte last in its piece: no empty piece after it.
        let (d, seen) = hel_then_room(false, b"l\xffo!", 4, 2);
        assert_eq!(d.offset(), 15);
        assert_eq!(seen.pieces[1..], [b"l\xff".to_vec(), b"o!".to_vec()]);
        assert_eq!(seen.messages, [b"Hell\xffo!".to_vec()]);
    }

    #[test]
    fn room_stops_at_bad_utf8_when_asked() {
        // 5 of the frame's 7 bytes read; the violation is at the second.
        let (d, seen) = hel_then_room(true, b"l\xffo!?", 7, 8);
        assert!(d.stopped());
        // All 5 bytes read are consumed.
        assert_eq!(d.offset(), 16);
        assert_eq!(seen.pieces[1..], [b"l\xff".to_vec()]);
        assert_eq!(
            seen.frames[1],
            (Extent::Abandoned { unread: 5 }, b"l\xff".to_vec(), 1)
        );
        assert!(seen.messages.is_empty());
    }

    #[test]
    fn bytes_too_few_to_tell_a_head_are_a_frame_at_offset_0() {
        let (mut d, offsets) = fed(Config::default(), &[b"GE"]);
        assert_eq!(offsets, [2]);
        let mut seen = Seen::default();
        d.finish(&mut seen.sink()).unwrap();
        assert_eq!(d.offset(), 2);
        let t = read(b"GE", None);
        assert_eq!(t.frames.len(), 1);
        assert_eq!(t.frames[0].offset, 0);
        assert_eq!(t.frames[0].header_bytes, b"GE");
    }

    /// A compressed binary message whose only match points before it
    /// (deflate.rs's BEFORE_THE_START).
    const BACK_REFERENCE: &[u8] = &[0xc2, 0x05, 0xca, 0x40, 0x17, 0x00, 0x00];

    #[test]
    fn frames_without_heads_start_with_the_connection() {
        // No heads looked for: the input is the whole connection, so a
        // reference before it is the sender's error (1007).
        let t = crate::protocol::transcript::read_with(
            BACK_REFERENCE,
            Config {
                heads: false,
                deflate: Some(Default::default()),
                ..Config::default()
            },
        );
        assert_eq!(t.summary.unchecked, 0);
        assert_eq!(t.summary.violations, 1, "{:?}", t.summary.listed);
        assert_eq!(t.frames[0].violations[0].close_code(), Some(1007));

        // Heads looked for and none found: the capture may have started
        // mid-connection, so the message is only unchecked.
        let t = crate::protocol::transcript::read_with(
            BACK_REFERENCE,
            Config {
                deflate: Some(Default::default()),
                ..Config::default()
            },
        );
        assert_eq!(t.summary.unchecked, 1);
        assert_eq!(t.summary.violations, 0, "{:?}", t.summary.listed);
    }

    #[test]
    fn a_head_that_cannot_be_read_stops_at_once() {
        // No line end yet, but the status code is already wrong.
        let mut d = Decoder::new(Config::default());
        let mut heads = Vec::new();
        let mut buf = b"HTTP/1.1 abc".to_vec();
        d.feed(&mut buf, &mut |ev| {
            if let Event::Head(h) = ev {
                heads.push(h.clone());
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(d.stopped());
        assert_eq!(d.offset(), 12);
        assert_eq!(heads.len(), 1);
        assert!(matches!(heads[0], Head::Invalid { offset: 0, .. }));
        assert!(!heads[0].truncated());
    }

    #[test]
    fn head_bytes_that_turn_out_frames_stop_like_frames() {
        // "HTT" is no head after all: a close frame with RSV1 set and FIN
        // clear, fatal, and the byte after its header is skipped.
        let config = Config {
            stop_at_violation: true,
            ..Config::default()
        };
        let (mut d, offsets) = fed(config, &[b"HTT"]);
        assert_eq!(offsets, [3]);
        d.finish(&mut |_| Ok::<(), ()>(())).unwrap();
        assert!(d.stopped());
        assert_eq!(d.offset(), 3);
    }

    /// RFC 7692 §7.2.3.1's compressed "Hello", from a client (zero key).
    const COMPRESSED_HELLO: &[u8] = b"\xc1\x87\0\0\0\0\xf2\x48\xcd\xc9\xc9\x07\x00";

    fn inflated_hello(t: &crate::protocol::transcript::Transcript) -> bool {
        t.summary.violations == 0
            && t.frames.len() == 1
            && t.frames[0].message.as_ref().map(|m| m.data.as_slice()) == Some(&b"Hello"[..])
    }

    #[test]
    fn a_request_alone_goes_by_its_offer() {
        let mut bytes = RFC_REQUEST
            .replace(
                "\r\n\r\n",
                "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
            )
            .into_bytes();
        bytes.extend_from_slice(COMPRESSED_HELLO);
        let t = read(&bytes, None);
        assert!(inflated_hello(&t), "{:?}", t.summary.listed);
    }

    #[test]
    fn deflate_given_holds_against_a_request_without_an_offer() {
        let mut bytes = RFC_REQUEST.as_bytes().to_vec();
        bytes.extend_from_slice(COMPRESSED_HELLO);
        let t = crate::protocol::transcript::read_with(
            &bytes,
            Config {
                deflate: Some(Default::default()),
                ..Config::default()
            },
        );
        assert!(inflated_hello(&t), "{:?}", t.summary.listed);
        // Without it, the same bytes break the RSV1 rule.
        assert!(!inflated_hello(&read(&bytes, None)));
    }

    #[test]
    fn a_bad_byte_last_in_a_piece_leaves_no_empty_piece() {
        let mut d = Decoder::new(frames_only(None, false));
        let mut seen = Seen::default();
        for piece in [&b"\x81\x03a\xff"[..], b"b"] {
            let mut buf = piece.to_vec();
            d.feed(&mut buf, &mut seen.sink()).unwrap();
        }
        assert_eq!(seen.violations.len(), 1);
        assert_eq!(seen.pieces, [b"a\xff".to_vec(), b"b".to_vec()]);
        assert_eq!(seen.frames, [(Extent::Complete, b"a\xffb".to_vec(), 1)]);
    }

    #[test]
    fn summary_counts_control_frames() {
        let t = read(b"\x89\x00\x81\x01a\x8a\x00\x88\x00", None);
        assert_eq!(
            (t.summary.frames, t.summary.control, t.summary.messages),
            (4, 3, 1)
        );
    }

    #[test]
    fn an_empty_frame_has_no_payload_piece() {
        let mut d = Decoder::new(frames_only(None, false));
        let mut seen = Seen::default();
        let mut buf = b"\x81\x00\x82\x00".to_vec();
        d.feed(&mut buf, &mut seen.sink()).unwrap();
        assert!(seen.pieces.is_empty(), "{:?}", seen.pieces);
        assert_eq!(seen.messages, [Vec::<u8>::new(), Vec::new()]);
    }

    #[test]
    fn nothing_is_read_after_a_close_when_asked() {
        let bytes = b"\x88\x02\x03\xe8\x81\x01a";
        let config = Config {
            heads: false,
            stop_after_close: true,
            ..Config::default()
        };
        let (d, offsets) = fed(config, &[bytes]);
        assert!(d.stopped());
        assert_eq!(offsets, [7]);
        let t = crate::protocol::transcript::read_with(bytes, config);
        assert_eq!(t.frames.len(), 1);
        // Without the setting, the frame after the close is read (and
        // breaks a rule).
        let t = read(bytes, None);
        assert_eq!(t.frames.len(), 2);
    }

    #[test]
    fn a_truncated_payload_says_how_much_is_present() {
        let t = read(&[0x82, 0x05, 1, 2, 3], None);
        assert_eq!(t.frames[0].missing(), 2);
        assert_eq!(
            t.frames[0].violations.last().map(|v| v.kind.clone()),
            Some(Kind::TruncatedPayload {
                announced: 5,
                present: 3
            })
        );
    }

    #[test]
    fn rsv1_without_deflate_only_for_rsv1_and_no_handshake() {
        let flag = |bytes: &[u8]| read(bytes, None).summary.rsv1_without_deflate;
        assert!(flag(b"\xc1\x00"));
        // No RSV1; or another rule broken.
        assert!(!flag(b"\x81\x00"));
        assert!(!flag(b"\x83\x00"));
        // A handshake said no: RSV1 is just wrong.
        let mut bytes = RFC_RESPONSE.as_bytes().to_vec();
        bytes.extend_from_slice(b"\xc1\x00");
        let t = read(&bytes, None);
        assert!(t.summary.violations > 0 && !t.summary.rsv1_without_deflate);
    }

    #[test]
    fn a_truncated_header_has_its_index_and_offset() {
        let t = read(b"\x81\x00\x82", None);
        assert_eq!(t.frames.len(), 2);
        assert_eq!((t.frames[1].index, t.frames[1].offset), (2, 2));
        assert_eq!(
            t.summary.listed[0].0,
            Place::Frame {
                index: 2,
                offset: 2
            }
        );
    }

    #[test]
    fn a_request_only_at_the_very_start() {
        // A second request line after the first is frame bytes.
        let bytes = format!("{RFC_REQUEST}{RFC_REQUEST}");
        let t = read(bytes.as_bytes(), None);
        assert_eq!(t.heads.len(), 1);
        assert!(!t.frames.is_empty());
    }

    #[test]
    fn after_a_head_frames_are_not_held_back() {
        // "AB" could start a request line at the start, but not after a
        // head: its frame header is reported at once.
        let mut starts = 0;
        let mut d = Decoder::new(Config::default());
        let mut buf = format!("{RFC_REQUEST}AB").into_bytes();
        d.feed(&mut buf, &mut |ev| {
            if let Event::FrameStart(_) = ev {
                starts += 1;
            }
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(starts, 1);
    }

    /// A frame as the gap tests see it: index, offset, extent, payload.
    type GapSeen = (u64, u64, Extent, Vec<u8>);

    /// Feeds pieces (an `Err` is a gap of that many bytes) and collects
    /// frames and gaps.
    fn with_gaps(
        config: Config,
        pieces: &[Result<&[u8], u64>],
    ) -> (Vec<GapSeen>, Vec<Gap>, Summary) {
        let mut d = Decoder::new(config);
        let (mut frames, mut gaps) = (Vec::new(), Vec::new());
        let mut sink = |ev: Event<'_>| {
            match ev {
                Event::Frame(f) => frames.push((f.index, f.offset, f.extent, f.payload.to_vec())),
                Event::Gap(g) => gaps.push(*g),
                _ => {}
            }
            Ok::<(), ()>(())
        };
        for p in pieces {
            match p {
                Ok(bytes) => d.feed(&mut bytes.to_vec(), &mut sink).unwrap(),
                Err(len) => d.gap(*len, &mut sink).unwrap(),
            }
        }
        d.finish(&mut sink).unwrap();
        (frames, gaps, d.summary().clone())
    }

    #[test]
    fn a_gap_inside_a_frame_of_known_length_skips_to_the_next_frame() {
        let server = Config {
            from: Some(Role::Server),
            ..Config::default()
        };
        // A 10-byte binary frame: header and 3 bytes, 4 lost, 3 more; then
        // a fragment that continues the lost message, and a whole frame.
        let (frames, gaps, summary) = with_gaps(
            server,
            &[Ok(b"\x02\x0aabc"), Err(4), Ok(b"hij\x80\x01Z\x82\x01A")],
        );
        assert_eq!(
            gaps,
            [Gap::Missing {
                offset: 5,
                len: 4,
                after: AfterGap::Resumes { skip: 3 }
            }]
        );
        assert_eq!(
            frames[0],
            (1, 0, Extent::Gap { missing: 7 }, b"abc".to_vec())
        );
        assert_eq!(frames[1], (2, 12, Extent::Complete, b"Z".to_vec()));
        assert_eq!(frames[2], (3, 15, Extent::Complete, b"A".to_vec()));
        // A continuation after the gap is no violation: its start is lost.
        assert_eq!(summary.violations, 0, "{:?}", summary.listed);
        assert_eq!((summary.gaps, summary.lost, summary.undecoded), (1, 4, 3));
    }

    #[test]
    fn after_a_gap_between_frames_decoding_waits_for_a_piece_of_whole_frames() {
        let server = Config {
            from: Some(Role::Server),
            ..Config::default()
        };
        let (frames, gaps, summary) = with_gaps(
            server,
            &[
                Ok(b"\x82\x01A"),
                Err(100),
                // Not whole frames: the 0x82 announces 5 bytes, 3 follow.
                Ok(b"zz\x82\x05abc"),
                // Whole frames from first byte to last: found again.
                Ok(b"\x81\x02hi\x89\x00"),
                Err(7),
                Ok(b"\x82\x7e"),
            ],
        );
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[1], (2, 110, Extent::Complete, b"hi".to_vec()));
        assert_eq!(
            gaps,
            [
                Gap::Missing {
                    offset: 3,
                    len: 100,
                    after: AfterGap::Lost
                },
                Gap::Resumed {
                    offset: 110,
                    undecoded: 7
                },
                Gap::Missing {
                    offset: 116,
                    len: 7,
                    after: AfterGap::Lost
                },
                Gap::Undecoded {
                    offset: 123,
                    len: 2
                },
            ]
        );
        assert_eq!(summary.violations, 0);
        assert_eq!((summary.gaps, summary.lost, summary.undecoded), (2, 107, 9));
    }

    #[test]
    fn a_gap_in_a_frame_longer_than_its_rest_loses_the_place() {
        let (frames, gaps, _) = with_gaps(
            Config::default(),
            &[Ok(b"\x82\x04ab"), Err(10), Ok(b"\x82\x00")],
        );
        assert_eq!(frames[0].2, Extent::Gap { missing: 2 });
        assert_eq!(
            gaps[0],
            Gap::Missing {
                offset: 4,
                len: 10,
                after: AfterGap::Lost
            }
        );
        // "\x82\x00" is whole frames: found again.
        assert_eq!(frames.len(), 2);
    }
}
