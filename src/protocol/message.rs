//! Message reassembly over fragments (RFC 6455 §5.4), fed a frame's
//! payload in chunks as it arrives, with control frames allowed in between,
//! and the rules that only a sequence of frames can break: continuation
//! without an open message, a new data frame inside an open one, text that
//! is not UTF-8 (checked on each chunk, failing at the first bad byte as it
//! arrives), anything after a close frame, and the size limits (checked
//! when a header arrives, before anything is buffered).
//!
//! Payload bytes are copied only when they must be: a message of one frame
//! whose payload arrived in one piece is that piece, borrowed; the bytes of
//! a fragmented message are appended once to the message buffer.

use super::deflate::{InflateError, Inflater, MAX_INFLATED};
use super::frame::FrameHeader;
use super::opcode::OpCode;
use super::rules::check_close;
use super::utf8::{self, Utf8Validator};
use super::violation::{Kind, SizeOf, Utf8Place, Violation};

/// Text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Opcode 0x1: the payload must be UTF-8.
    Text,
    /// Opcode 0x2.
    Binary,
}

impl MessageKind {
    /// The opcode that starts a message of this kind.
    pub fn opcode(self) -> OpCode {
        match self {
            Self::Text => OpCode::Text,
            Self::Binary => OpCode::Binary,
        }
    }

    /// "text" or "binary".
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Binary => "binary",
        }
    }
}

/// A complete data message, borrowing its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef<'a> {
    /// Text or binary.
    pub kind: MessageKind,
    /// The unmasked payload of all its frames (inflated when compressed and
    /// it inflated; else the compressed bytes).
    pub data: &'a [u8],
    /// How many frames carried it.
    pub frames: usize,
    /// False when a text message is not valid UTF-8 (or a compressed one
    /// did not inflate).
    pub valid_utf8: bool,
    /// Sent compressed (permessage-deflate).
    pub compressed: bool,
    /// Whether `data` is the inflated text (false when inflating failed).
    pub inflated: bool,
    /// Why a compressed message was not inflated.
    pub inflate_error: Option<InflateError>,
}

impl MessageRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> Message {
        Message {
            kind: self.kind,
            data: self.data.to_vec(),
            frames: self.frames,
            valid_utf8: self.valid_utf8,
            compressed: self.compressed,
        }
    }
}

/// A complete data message, owning its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Text or binary.
    pub kind: MessageKind,
    /// The unmasked payload of all its frames.
    pub data: Vec<u8>,
    /// How many frames carried it.
    pub frames: usize,
    /// False when a text message is not valid UTF-8.
    pub valid_utf8: bool,
    /// Sent compressed (permessage-deflate); `data` is the inflated payload
    /// when it inflated, else the compressed one.
    pub compressed: bool,
}

/// Where a data frame stands within its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Text or binary (the message's kind, also for continuation frames).
    pub kind: MessageKind,
    /// 1 for the first frame of the message.
    pub number: usize,
    /// Whether this frame ends the message.
    pub last: bool,
    /// The message is compressed (permessage-deflate): the frame's payload
    /// is DEFLATE data, not text.
    pub compressed: bool,
}

/// Size limits a receiver applies before buffering (None: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most payload one frame may announce.
    pub max_frame: Option<u64>,
    /// The most a message may hold, on the wire and once inflated.
    pub max_message: Option<u64>,
}

/// What the start of a frame decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Begun {
    /// Rules the frame breaks by its place in the stream or its size.
    pub violations: Vec<Violation>,
    /// Its place in a data message.
    pub fragment: Option<Fragment>,
}

/// What the end of a frame produced; borrows the assembler (and the
/// caller's buffer when the payload was there in one piece).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended<'a> {
    /// Rules found once the whole payload was there (close payload, a text
    /// ending inside a character, data that does not inflate).
    pub violations: Vec<Violation>,
    /// The frame's whole payload, unmasked.
    pub payload: &'a [u8],
    /// The message this frame completed.
    pub message: Option<MessageRef<'a>>,
}

#[derive(Debug)]
struct Open {
    kind: MessageKind,
    compressed: bool,
    /// Frames begun, the current one included.
    frames: usize,
    /// Payload bytes of the finished frames.
    len: u64,
    utf8: Option<Utf8Validator>,
    utf8_ok: bool,
}

/// Where the current frame's payload goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Appended to the message buffer from this offset.
    Message(usize),
    /// Arrives in one piece: borrowed from the caller at the end.
    Borrow,
    /// Collected in the frame buffer (a frame that spans pieces).
    Frame,
    /// Not kept (over a limit).
    Drop,
}

#[derive(Debug)]
struct Current {
    opcode: OpCode,
    fin: bool,
    /// Part of a data message (a text, binary or continuation frame with
    /// a message open).
    data: bool,
    keep: Keep,
    /// Payload bytes seen so far.
    seen: u64,
    /// Payload bytes of the message before this frame.
    message_before: u64,
}

/// A buffer whose bytes past its length stay allocated and initialised,
/// so that reading into it again costs no zero-filling; one bigger than
/// [`KEEP`] is freed when its message is done.
#[derive(Debug, Default)]
struct Buf {
    data: Vec<u8>,
    len: usize,
}

/// The most message buffer kept between messages.
const KEEP: usize = 2 << 20;

impl Buf {
    fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }

    fn clear(&mut self) {
        self.len = 0;
        if self.data.len() > KEEP {
            self.data = Vec::new();
        }
    }

    fn extend(&mut self, s: &[u8]) {
        let end = self.len + s.len();
        if self.len == self.data.len() {
            self.data.extend_from_slice(s);
        } else {
            let have = (self.data.len() - self.len).min(s.len());
            self.data[self.len..self.len + have].copy_from_slice(&s[..have]);
            self.data.extend_from_slice(&s[have..]);
        }
        self.len = end;
    }

    /// The next `n` bytes past the end, to be written and then committed.
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if end > self.data.len() {
            self.data.resize(end, 0);
        }
        &mut self.data[self.len..end]
    }

    fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(self.data.len());
    }
}

/// Room lent out of the message buffer, so that the rest of a frame's
/// payload can be read right where its message is reassembled (no copy);
/// give it back with [`Assembler::placed`] (or [`Assembler::give_back`]).
#[derive(Debug)]
pub struct Room {
    buf: Buf,
    n: usize,
}

impl Room {
    /// Where to read the payload bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let n = self.n;
        self.buf.room(n)
    }
}

/// Reassembles messages from the frames of one direction of a connection.
#[derive(Debug, Default)]
pub struct Assembler {
    open: Option<Open>,
    closed: bool,
    /// permessage-deflate is on: the sender's `no_context_takeover`, and the
    /// inflater once the first compressed message needs one.
    deflate: Option<bool>,
    /// The input holds this direction from the connection's start, so a
    /// back-reference before it is the sender's error.
    from_start: bool,
    /// The input lacks the bytes before (a gap in a capture): continuation
    /// frames before the next text or binary frame end a message whose
    /// start is missing, and are no violation.
    cut: bool,
    // Boxed: a connection without compression never makes one.
    inflater: Option<Box<Inflater>>,
    limits: Limits,
    current: Option<Current>,
    /// The open message's payload (or a compressed message's DEFLATE data).
    message: Buf,
    /// A frame's payload that arrived in several pieces and is not part of
    /// the message buffer (control frames, single-frame messages).
    frame: Vec<u8>,
    inflated: Vec<u8>,
    /// The message buffer holds a finished message, emptied at the next frame.
    stale: bool,
}

impl Assembler {
    /// An assembler at the start of a connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Treats RSV1 as permessage-deflate's "compressed" bit and inflates
    /// compressed messages (RFC 7692); `reset_each_message` when the sender
    /// negotiated `*_no_context_takeover`. The inflater itself is created
    /// when the first compressed message arrives.
    pub fn with_deflate(mut self, reset_each_message: bool) -> Self {
        self.deflate = Some(reset_each_message);
        self
    }

    /// Says that the frames start with the connection (a handshake came
    /// first): a compressed message cannot need messages before them.
    pub fn from_connection_start(mut self) -> Self {
        self.from_start = true;
        self
    }

    /// Says that the frames follow a gap in the input: a message may be
    /// under way, its start lost, so continuation frames before the next
    /// text or binary frame are taken as its rest (unchecked, no message).
    pub fn after_gap(mut self) -> Self {
        self.cut = true;
        self
    }

    /// Applies size limits (see [`Limits`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether permessage-deflate is on.
    pub fn deflate(&self) -> bool {
        self.deflate.is_some()
    }

    /// Whether a close frame has been seen.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The kind, frame count and size of a message still waiting for its
    /// final frame, leaving out a frame still in progress.
    pub fn open_message(&self) -> Option<(MessageKind, usize, u64)> {
        let open = self.open.as_ref()?;
        match &self.current {
            Some(c) if c.data => {
                (open.frames > 1).then_some((open.kind, open.frames - 1, c.message_before))
            }
            _ => Some((open.kind, open.frames, open.len)),
        }
    }

    /// Whether `h` starts and ends a plain message with nothing else to
    /// check: a final text or binary frame, not compressed, no message open,
    /// no close seen, within the limits. Such a frame is the common case;
    /// the caller can take it whole without going through
    /// [`Assembler::begin`] and [`Assembler::end`] (which would find
    /// nothing more), so long as a text payload is UTF-8.
    pub fn plain_message(&self, h: &FrameHeader) -> Option<Fragment> {
        let kind = match h.opcode {
            OpCode::Text => MessageKind::Text,
            OpCode::Binary => MessageKind::Binary,
            _ => return None,
        };
        let within = |limit: Option<u64>| limit.is_none_or(|l| h.payload_len <= l);
        let plain = h.fin
            && !(self.deflate.is_some() && h.rsv[0])
            && self.open.is_none()
            && !self.cut
            && !self.closed
            && self.current.is_none()
            && within(self.limits.max_frame)
            && within(self.limits.max_message);
        plain.then_some(Fragment {
            kind,
            number: 1,
            last: true,
            compressed: false,
        })
    }

    /// Starts a frame. `whole` says that its entire payload will come in
    /// the next chunk (so nothing needs copying unless it joins a
    /// fragmented message).
    pub fn begin(&mut self, h: &FrameHeader, whole: bool) -> Begun {
        if self.stale {
            self.message.clear();
            self.inflated.clear();
            self.stale = false;
        }
        self.frame.clear();
        let mut out = Begun::default();
        // §5.5.1 forbids data frames after a close, and each side closes
        // once; ping and pong may still cross.
        let data_or_close = matches!(
            h.opcode,
            OpCode::Text | OpCode::Binary | OpCode::Continuation | OpCode::Close
        );
        if self.closed && data_or_close {
            out.violations
                .push(Violation::new(Kind::FrameAfterClose { opcode: h.opcode }));
        }
        let deflate = self.deflate.is_some();
        if deflate && h.rsv[0] && (h.opcode.is_control() || h.opcode == OpCode::Continuation) {
            out.violations
                .push(Violation::new(Kind::CompressedBitMisplaced {
                    opcode: h.opcode,
                }));
        }
        if let Some(limit) = self.limits.max_frame {
            if h.payload_len > limit {
                out.violations.push(Violation::new(Kind::FrameTooBig {
                    len: h.payload_len,
                    limit,
                }));
            }
        }
        let mut data = false;
        match h.opcode {
            OpCode::Close => self.closed = true,
            OpCode::Text | OpCode::Binary => {
                self.cut = false;
                let kind = if h.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                if let Some(old) = self.open.take() {
                    out.violations.push(Violation::new(Kind::DataInsideMessage {
                        new: kind,
                        open: old.kind,
                        frames: old.frames,
                    }));
                    self.message.clear();
                }
                let compressed = deflate && h.rsv[0];
                self.open = Some(Open {
                    kind,
                    compressed,
                    frames: 0,
                    len: 0,
                    // Compressed text is checked once inflated.
                    utf8: (kind == MessageKind::Text && !compressed).then(Utf8Validator::new),
                    utf8_ok: true,
                });
                data = true;
            }
            OpCode::Continuation => {
                if self.open.is_none() && self.cut {
                    // The rest of a message cut by a gap.
                    self.cut = !h.fin;
                } else if self.open.is_none() {
                    out.violations
                        .push(Violation::new(Kind::ContinuationWithoutMessage));
                } else {
                    data = true;
                }
            }
            OpCode::Ping | OpCode::Pong | OpCode::Reserved(_) => {}
        }
        let mut message_before = 0;
        let mut keep = if whole { Keep::Borrow } else { Keep::Frame };
        if data {
            let open = self
                .open
                .as_mut()
                .expect("a data frame has its message open");
            open.frames += 1;
            message_before = open.len;
            if let Some(limit) = self.limits.max_message {
                let total = open.len.saturating_add(h.payload_len);
                if total > limit {
                    out.violations.push(Violation::new(Kind::MessageTooBig {
                        of: SizeOf::Message,
                        len: total,
                        limit,
                    }));
                }
            }
            // A message of one frame in one piece is borrowed; otherwise its
            // bytes go to the message buffer, once.
            let single = open.frames == 1 && h.fin;
            if !(single && whole) {
                keep = Keep::Message(self.message.len());
            }
            out.fragment = Some(Fragment {
                kind: open.kind,
                number: open.frames,
                last: h.fin,
                compressed: open.compressed,
            });
        }
        if out.violations.iter().any(|v| {
            matches!(
                v.kind,
                Kind::FrameTooBig { .. } | Kind::MessageTooBig { .. }
            )
        }) {
            keep = Keep::Drop;
        }
        self.current = Some(Current {
            opcode: h.opcode,
            fin: h.fin,
            data,
            keep,
            seen: 0,
            message_before,
        });
        out
    }

    /// The next piece of the current frame's payload, unmasked. Returns the
    /// first invalid UTF-8 byte of a text message as soon as it is here,
    /// with how many bytes of `chunk` go up to and include it.
    pub fn chunk(&mut self, chunk: &[u8]) -> Option<(Violation, usize)> {
        let cur = self.current.as_mut()?;
        let frame_start = cur.message_before;
        let chunk_start = frame_start + cur.seen;
        cur.seen += chunk.len() as u64;
        match cur.keep {
            Keep::Message(_) => self.message.extend(chunk),
            Keep::Frame => self.frame.extend_from_slice(chunk),
            Keep::Borrow | Keep::Drop => {}
        }
        self.check_utf8(chunk_start, chunk)
    }

    /// Lends the room for the next `n` payload bytes of the current frame,
    /// when its payload goes to the message buffer (a fragmented or
    /// spanning message); see [`Room`].
    pub fn take_room(&mut self, n: usize) -> Option<Room> {
        let cur = self.current.as_ref()?;
        if !matches!(cur.keep, Keep::Message(_)) || n == 0 {
            return None;
        }
        Some(Room {
            buf: std::mem::take(&mut self.message),
            n,
        })
    }

    /// Takes room back unused.
    pub fn give_back(&mut self, room: Room) {
        self.message = room.buf;
    }

    /// Takes room back with `n` payload bytes written at its start, and
    /// returns them for unmasking in place, before [`Assembler::placed`].
    pub fn placed_mut(&mut self, room: Room, n: usize) -> &mut [u8] {
        self.message = room.buf;
        let n = n.min(room.n);
        self.message.room(n)
    }

    /// Counts the `n` bytes written into the room (unmasked) as the next
    /// piece of the payload: as [`Assembler::chunk`], without a copy.
    pub fn placed(&mut self, n: usize) -> Option<(Violation, usize)> {
        let cur = self.current.as_mut()?;
        let chunk_start = cur.message_before + cur.seen;
        cur.seen += n as u64;
        let start = self.message.len();
        self.message.commit(n);
        let message = std::mem::take(&mut self.message);
        let found = self.check_utf8(chunk_start, &message.bytes()[start..]);
        self.message = message;
        found
    }

    /// The last `n` bytes placed (for the payload event).
    pub fn last_placed(&self, n: usize) -> &[u8] {
        let b = self.message.bytes();
        &b[b.len() - n.min(b.len())..]
    }

    fn check_utf8(&mut self, chunk_start: u64, chunk: &[u8]) -> Option<(Violation, usize)> {
        let cur = self.current.as_ref()?;
        let frame_start = cur.message_before;
        if !cur.data {
            return None;
        }
        let open = self.open.as_mut()?;
        let v = open.utf8.as_mut()?;
        if !open.utf8_ok {
            return None;
        }
        let Err(error) = v.feed(chunk) else {
            return None;
        };
        open.utf8_ok = false;
        let only = open.frames == 1 && cur.fin;
        // The validator blames a byte of this chunk (an unfinished
        // character only fails at the message's end).
        let upto = usize::try_from(error.offset.saturating_sub(chunk_start))
            .map_or(chunk.len(), |i| (i + 1).min(chunk.len()));
        Some((utf8_violation(error, frame_start, only), upto))
    }

    /// Ends the current frame. `borrowed` is its whole payload when it came
    /// in one piece (see [`Assembler::begin`]).
    pub fn end<'a>(&'a mut self, borrowed: Option<&'a [u8]>) -> Ended<'a> {
        let mut violations = Vec::new();
        let Some(cur) = self.current.take() else {
            return Ended {
                violations,
                payload: &[],
                message: None,
            };
        };
        if cur.opcode == OpCode::Close {
            let payload = self.payload_of(&cur, borrowed);
            violations.extend(check_close(payload));
        }
        if !cur.data {
            let payload = self.payload_of(&cur, borrowed);
            return Ended {
                violations,
                payload,
                message: None,
            };
        }
        let open = self
            .open
            .as_mut()
            .expect("a data frame has its message open");
        open.len += cur.seen;
        if let Some(v) = open.utf8.as_mut() {
            if open.utf8_ok && cur.fin {
                if let Err(error) = v.finish() {
                    open.utf8_ok = false;
                    violations.push(utf8_violation(error, cur.message_before, open.frames == 1));
                }
            }
        }
        if !cur.fin {
            let payload = self.payload_of(&cur, borrowed);
            return Ended {
                violations,
                payload,
                message: None,
            };
        }
        let done = self.open.take().expect("checked above");
        self.stale = true;
        let mut message = MessageRef {
            kind: done.kind,
            data: &[],
            frames: done.frames,
            valid_utf8: done.utf8_ok,
            compressed: done.compressed,
            inflated: false,
            inflate_error: None,
        };
        if done.compressed && cur.keep != Keep::Drop {
            let compressed: &[u8] = match cur.keep {
                Keep::Borrow => borrowed.unwrap_or_default(),
                _ => self.message.bytes(),
            };
            let reset = self.deflate.unwrap_or(false);
            let from_start = self.from_start;
            let inflater = self.inflater.get_or_insert_with(|| {
                let i = Inflater::new(reset);
                Box::new(if from_start {
                    i.at_connection_start()
                } else {
                    i
                })
            });
            let limit = self
                .limits
                .max_message
                .map_or(MAX_INFLATED, |m| usize::try_from(m).unwrap_or(usize::MAX));
            match inflater.inflate(compressed, limit) {
                Ok(plain) => {
                    self.inflated = plain;
                    message.inflated = true;
                    if done.kind == MessageKind::Text {
                        if let Err(error) = utf8::validate(&self.inflated) {
                            message.valid_utf8 = false;
                            violations.push(Violation::new(Kind::TextUtf8 {
                                error,
                                place: Utf8Place::Inflated,
                            }));
                        }
                    }
                }
                Err(error) => {
                    message.valid_utf8 = done.kind == MessageKind::Binary;
                    message.inflate_error = Some(error);
                    match error {
                        InflateError::TooBig { limit } => {
                            violations.push(Violation::new(Kind::MessageTooBig {
                                of: SizeOf::Inflated,
                                len: limit as u64 + 1,
                                limit: limit as u64,
                            }));
                        }
                        e if e.is_violation() => {
                            violations.push(Violation::new(Kind::BadCompressedData {
                                kind: done.kind,
                                error: e,
                            }));
                        }
                        // The sender may be right: the input lacks what the
                        // message refers to. Not a violation; said as such.
                        _ => {}
                    }
                }
            }
        }
        let payload = self.payload_of(&cur, borrowed);
        message.data = if message.inflated {
            &self.inflated
        } else {
            match cur.keep {
                Keep::Borrow | Keep::Drop => payload,
                _ => self.message.bytes(),
            }
        };
        Ended {
            violations,
            payload,
            message: Some(message),
        }
    }

    /// The payload collected so far of a frame that did not end (empty
    /// when it was to be borrowed whole).
    pub fn partial_payload(&self) -> &[u8] {
        match &self.current {
            Some(cur) => self.payload_of(cur, None),
            None => &[],
        }
    }

    fn payload_of<'a>(&'a self, cur: &Current, borrowed: Option<&'a [u8]>) -> &'a [u8] {
        match cur.keep {
            Keep::Message(start) => self.message.bytes().get(start..).unwrap_or_default(),
            Keep::Frame => &self.frame,
            Keep::Borrow => borrowed.unwrap_or_default(),
            Keep::Drop => &[],
        }
    }

    /// Takes a whole frame at once (header and unmasked payload): the
    /// start, the payload in one chunk, the end. For tests and callers that
    /// have whole frames.
    pub fn push(&mut self, h: &FrameHeader, payload: &[u8]) -> Pushed {
        let begun = self.begin(h, true);
        let mut violations = begun.violations;
        violations.extend(self.chunk(payload).map(|(v, _)| v));
        let ended = self.end(Some(payload));
        violations.extend(ended.violations);
        Pushed {
            violations,
            fragment: begun.fragment,
            message: ended.message.map(|m| m.to_owned()),
        }
    }
}

fn utf8_violation(error: utf8::Utf8Error, frame_start: u64, only_frame: bool) -> Violation {
    let place = if only_frame {
        Utf8Place::OnlyFrame
    } else if error.offset >= frame_start {
        Utf8Place::ThisFragment {
            byte: error.offset - frame_start,
        }
    } else {
        Utf8Place::EarlierFragment
    };
    Violation::new(Kind::TextUtf8 { error, place })
}

/// What pushing one whole frame produced (see [`Assembler::push`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Rules this frame broke in the context of the stream.
    pub violations: Vec<Violation>,
    /// The frame's place in a data message.
    pub fragment: Option<Fragment>,
    /// The message this frame completed.
    pub message: Option<Message>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::violation::Rule;

    fn h(fin: bool, op: OpCode, len: usize) -> FrameHeader {
        FrameHeader::new(fin, op, None, len as u64)
    }

    #[test]
    fn rfc_fragmented_hello_with_ping_between() {
        let mut a = Assembler::new();
        let p1 = a.push(&h(false, OpCode::Text, 3), b"Hel");
        assert!(p1.violations.is_empty() && p1.message.is_none());
        assert_eq!(
            p1.fragment,
            Some(Fragment {
                kind: MessageKind::Text,
                number: 1,
                last: false,
                compressed: false
            })
        );
        let ping = a.push(&h(true, OpCode::Ping, 5), b"Hello");
        assert!(ping.violations.is_empty() && ping.fragment.is_none());
        let p2 = a.push(&h(true, OpCode::Continuation, 2), b"lo");
        assert!(p2.violations.is_empty());
        let m = p2.message.expect("message complete");
        assert_eq!(
            (m.kind, m.data.as_slice(), m.frames, m.valid_utf8),
            (MessageKind::Text, &b"Hello"[..], 2, true)
        );
        assert!(a.open_message().is_none());
    }

    #[test]
    fn continuation_without_message() {
        let mut a = Assembler::new();
        let p = a.push(&h(true, OpCode::Continuation, 1), b"x");
        assert_eq!(p.violations[0].rule(), Rule::ContinuationWithoutMessage);
        assert!(p.message.is_none());
    }

    #[test]
    fn data_frame_inside_open_message() {
        let mut a = Assembler::new();
        a.push(&h(false, OpCode::Binary, 1), b"a");
        let p = a.push(&h(true, OpCode::Text, 1), b"b");
        assert_eq!(
            p.violations[0].kind,
            Kind::DataInsideMessage {
                new: MessageKind::Text,
                open: MessageKind::Binary,
                frames: 1
            }
        );
        assert_eq!(p.message.map(|m| m.data), Some(b"b".to_vec()));
    }

    #[test]
    fn utf8_fails_in_the_fragment_with_the_bad_byte() {
        let mut a = Assembler::new();
        // "κ" is CE BA: split between fragments, then an invalid byte.
        assert!(a
            .push(&h(false, OpCode::Text, 2), &[b'a', 0xce])
            .violations
            .is_empty());
        assert!(a
            .push(&h(false, OpCode::Continuation, 1), &[0xba])
            .violations
            .is_empty());
        let p = a.push(&h(false, OpCode::Continuation, 2), &[b'b', 0xff]);
        assert_eq!(p.violations.len(), 1);
        assert_eq!(
            p.violations[0].kind,
            Kind::TextUtf8 {
                error: utf8::Utf8Error {
                    offset: 4,
                    incomplete: false
                },
                place: Utf8Place::ThisFragment { byte: 1 }
            }
        );
        // Reported once per message.
        let p = a.push(&h(true, OpCode::Continuation, 1), b"c");
        assert!(p.violations.is_empty());
        assert!(!p.message.unwrap().valid_utf8);
    }

    #[test]
    fn text_ending_inside_a_character() {
        let mut a = Assembler::new();
        let p = a.push(&h(true, OpCode::Text, 2), &[b'a', 0xce]);
        assert_eq!(p.violations[0].rule(), Rule::TextUtf8);
    }

    #[test]
    fn binary_is_not_utf8_checked() {
        let mut a = Assembler::new();
        assert!(a
            .push(&h(true, OpCode::Binary, 1), &[0xff])
            .violations
            .is_empty());
    }

    #[test]
    fn close_checked_and_no_data_after_it() {
        let mut a = Assembler::new();
        let p = a.push(&h(true, OpCode::Close, 2), &1005u16.to_be_bytes());
        assert_eq!(p.violations[0].rule(), Rule::CloseCode);
        assert!(a.closed());
        assert!(
            a.push(&h(true, OpCode::Pong, 0), b"").violations.is_empty(),
            "control frames may follow"
        );
        assert!(a.push(&h(true, OpCode::Ping, 0), b"").violations.is_empty());
        let p = a.push(&h(true, OpCode::Text, 1), b"x");
        assert_eq!(p.violations[0].rule(), Rule::FrameAfterClose);
        let p = a.push(&h(true, OpCode::Close, 0), b"");
        assert_eq!(
            p.violations[0].rule(),
            Rule::FrameAfterClose,
            "a second close"
        );
    }

    #[test]
    fn unfinished_character_from_an_earlier_fragment() {
        let mut a = Assembler::new();
        assert!(a
            .push(&h(false, OpCode::Text, 2), &[b'a', 0xce])
            .violations
            .is_empty());
        let p = a.push(&h(true, OpCode::Continuation, 0), b"");
        assert!(
            matches!(
                p.violations[0].kind,
                Kind::TextUtf8 {
                    place: Utf8Place::EarlierFragment,
                    ..
                }
            ),
            "{:?}",
            p.violations[0]
        );
    }

    fn rsv1(mut header: FrameHeader) -> FrameHeader {
        header.rsv[0] = true;
        header
    }

    #[test]
    fn compressed_messages_are_inflated() {
        // RFC 7692 §7.2.3.1 and its fragmented form (§7.2.3.4 splits the
        // same DEFLATE data over two frames).
        let mut a = Assembler::new().with_deflate(false);
        let data = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let p = a.push(&rsv1(h(true, OpCode::Text, 7)), &data);
        assert!(p.violations.is_empty(), "{:?}", p.violations);
        assert!(p.fragment.is_some_and(|f| f.compressed));
        let m = p.message.unwrap();
        assert_eq!(
            (m.data.as_slice(), m.compressed, m.valid_utf8),
            (&b"Hello"[..], true, true)
        );
        let mut a = Assembler::new().with_deflate(false);
        assert!(a
            .push(&rsv1(h(false, OpCode::Text, 3)), &data[..3])
            .violations
            .is_empty());
        let p = a.push(&h(true, OpCode::Continuation, 4), &data[3..]);
        assert_eq!(p.message.map(|m| m.data), Some(b"Hello".to_vec()));
    }

    #[test]
    fn compressed_bit_only_on_first_frames() {
        let mut a = Assembler::new().with_deflate(false);
        a.push(&rsv1(h(false, OpCode::Text, 3)), &[0xf2, 0x48, 0xcd]);
        let p = a.push(
            &rsv1(h(true, OpCode::Continuation, 4)),
            &[0xc9, 0xc9, 0x07, 0x00],
        );
        assert_eq!(p.violations[0].rule(), Rule::CompressedBitMisplaced);
        let p = a.push(&rsv1(h(true, OpCode::Ping, 0)), b"");
        assert_eq!(p.violations[0].rule(), Rule::CompressedBitMisplaced);
    }

    #[test]
    fn bad_compressed_data() {
        let mut a = Assembler::new().with_deflate(true);
        let p = a.push(&rsv1(h(true, OpCode::Text, 4)), &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(p.violations[0].rule(), Rule::BadCompressedData);
        // Without the extension RSV1 changes nothing here (check_header
        // flags the bit itself) and the text is checked as it is.
        let mut a = Assembler::new();
        let p = a.push(&rsv1(h(true, OpCode::Text, 1)), &[0xff]);
        assert_eq!(p.violations[0].rule(), Rule::TextUtf8);
    }
}
