//! One direction of a relayed connection, frame by frame: what lets a
//! proxy hold messages back (breakpoints), let them go, drop or change
//! them, and put frames of its own between the sender's. No I/O: bytes
//! from the sender in, bytes for the receiver out.
//!
//! Frames pass as they come, byte for byte, unless messages are being
//! held: then each data message is collected whole and either held (the
//! caller decides, by its content), kept behind an earlier held one, or
//! passed on. Pings and pongs are never held (they still get answered); a
//! close frame waits behind held messages, which it would otherwise end
//! the conversation before. A frame made here (injected) waits for the end
//! of the frame in passage, and a data frame for the end of the message,
//! so the receiver never sees a frame cut in two or a message interleaved.
//!
//! permessage-deflate: with context takeover, the receiver inflates each
//! message with the window of the ones before. Dropping or changing a
//! compressed message would break that, so from the first such change on,
//! every data message this way is inflated here and compressed again with
//! a compressor of this proxy's own (as the agreement allows), which the
//! receiver's window follows from there.

use std::collections::VecDeque;

use super::compress::Deflater;
use super::deflate::Inflater;
use super::endpoint::Outbox;
use super::frame::{FrameHeader, HeaderParse};
use super::mask::apply_mask;
use super::message::MessageKind;
use super::opcode::OpCode;
use super::Role;

/// How a direction compresses, when permessage-deflate was agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    /// The sender's window bits (8-15).
    pub window_bits: u8,
    /// The sender starts each message from an empty window.
    pub no_context_takeover: bool,
}

/// A whole data message collected from the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Text or binary.
    pub kind: MessageKind,
    /// Its frames as the sender sent them.
    pub raw: Vec<u8>,
    /// Its payload, unmasked and inflated (None: it could not be inflated,
    /// or is over the limit; then it can only pass as it came).
    pub data: Option<Vec<u8>>,
    /// Whether it was compressed.
    pub compressed: bool,
    /// How many frames it came in.
    pub frames: u32,
}

/// What becomes of a held message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Passed on as it came (or re-framed, when this way re-compresses).
    Forward,
    /// Never sent.
    Drop,
    /// This payload sent in its place, in a frame made here.
    Edit(Vec<u8>),
}

/// What waits in order behind the first held message.
#[derive(Debug)]
enum Item {
    /// Held under this number until released.
    Held(u64, Held),
    /// Released, or not held itself but behind one that is.
    Ready(Held, Release),
    /// A close frame (raw).
    Close(Vec<u8>),
}

/// The frame in passage.
#[derive(Debug)]
struct Frame {
    header: FrameHeader,
    /// Payload bytes still to come.
    left: u64,
    /// Collected here (header and payload) rather than passed as it comes.
    raw: Option<Vec<u8>>,
    /// Payload bytes seen so far (the masking offset).
    seen: u64,
}

/// The data message in passage.
#[derive(Debug)]
struct Message {
    kind: MessageKind,
    compressed: bool,
    /// Its frames, when collected whole.
    raw: Option<Vec<u8>>,
    /// Its payload, unmasked and inflated as it comes (None once it could
    /// not be: an inflate error, or over the limit).
    data: Option<Vec<u8>>,
    frames: u32,
}

/// One direction of a relayed connection.
#[derive(Debug)]
pub struct Way {
    /// A partial frame header.
    head: Vec<u8>,
    frame: Option<Frame>,
    message: Option<Message>,
    queue: VecDeque<Item>,
    /// New messages are collected whole and offered to be held.
    holding: bool,
    compression: Option<Compression>,
    inflater: Option<Inflater>,
    /// Data messages are re-framed (and re-compressed) here from now on.
    reframing: bool,
    /// Frames made here, as the sender would make them.
    outbox: Outbox,
    /// Frames made here waiting for a boundary (bytes, whether a data
    /// message).
    injected: VecDeque<(Vec<u8>, bool)>,
    /// The largest message collected or inflated.
    limit: usize,
}

impl Way {
    /// The direction whose frames `sender` sends, compressed as
    /// `compression` says; messages over `limit` bytes are never held.
    pub fn new(sender: Role, compression: Option<Compression>, limit: usize, seed: u32) -> Self {
        Self {
            head: Vec::new(),
            frame: None,
            message: None,
            queue: VecDeque::new(),
            holding: false,
            compression,
            inflater: compression
                .map(|c| Inflater::new(c.no_context_takeover).at_connection_start()),
            reframing: false,
            outbox: Outbox::beside(sender, seed),
            injected: VecDeque::new(),
            limit,
        }
    }

    /// Offers new messages to be held (from the next message on), or stops
    /// (what is held stays held until released).
    pub fn hold(&mut self, on: bool) {
        self.holding = on;
    }

    /// The numbers of the messages held now, in order.
    pub fn held(&self) -> Vec<(u64, &Held)> {
        self.queue
            .iter()
            .filter_map(|i| match i {
                Item::Held(n, h) => Some((*n, h)),
                _ => None,
            })
            .collect()
    }

    /// Whether this way holds message `n`.
    pub fn holds(&self, n: u64) -> bool {
        self.queue
            .iter()
            .any(|i| matches!(i, Item::Held(m, _) if *m == n))
    }

    /// Where this way's own frames are made (to inject with).
    pub fn outbox(&mut self) -> &mut Outbox {
        &mut self.outbox
    }

    /// Takes what the outbox holds and sends it at the next boundary (a
    /// data message at the end of the message in passage).
    pub fn inject(&mut self, data: bool, out: &mut Vec<u8>) {
        let bytes = self.outbox.take();
        if !bytes.is_empty() {
            self.injected.push_back((bytes, data));
        }
        self.flush_injected(out);
    }

    /// Takes bytes from the sender; what may go on to the receiver is
    /// appended to `out`. `hold` sees each whole message while holding,
    /// and gives a number to hold it under, or None to let it pass.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        out: &mut Vec<u8>,
        hold: &mut dyn FnMut(&Held) -> Option<u64>,
    ) {
        while !bytes.is_empty() {
            let Some(frame) = self.frame.as_mut() else {
                let need = match FrameHeader::parse(&self.head) {
                    HeaderParse::Partial { needed } => needed,
                    HeaderParse::Complete(_) => 0,
                };
                let take = need.min(bytes.len());
                self.head.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if let HeaderParse::Complete(h) = FrameHeader::parse(&self.head) {
                    self.start_frame(h, out);
                    if self.frame.as_ref().is_some_and(|f| f.left == 0) {
                        self.end_frame(out, hold);
                    }
                }
                continue;
            };
            let take = usize::try_from(frame.left)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            let chunk = &bytes[..take];
            bytes = &bytes[take..];
            match frame.raw.as_mut() {
                Some(raw) => raw.extend_from_slice(chunk),
                None => out.extend_from_slice(chunk),
            }
            let data_frame = !frame.header.opcode.is_control();
            if data_frame {
                if let Some(m) = self.message.as_mut() {
                    let mut plain = chunk.to_vec();
                    if let Some(key) = frame.header.mask {
                        apply_mask(&mut plain, key, (frame.seen % 4) as usize);
                    }
                    take_payload(m, &plain, self.inflater.as_mut(), self.limit);
                }
            }
            frame.seen += take as u64;
            frame.left -= take as u64;
            if frame.left == 0 {
                self.end_frame(out, hold);
            }
        }
    }

    /// Releases message `n`; what may now go on is appended to `out`.
    /// False when this way does not hold `n`.
    pub fn release(&mut self, n: u64, how: Release, out: &mut Vec<u8>) -> bool {
        let Some(at) = self
            .queue
            .iter()
            .position(|i| matches!(i, Item::Held(m, _) if *m == n))
        else {
            return false;
        };
        if let Some(Item::Held(_, h)) = self.queue.remove(at) {
            self.queue.insert(at, Item::Ready(h, how));
        }
        self.drain(out);
        true
    }

    /// Releases every held message as it is (in order).
    pub fn release_all(&mut self, out: &mut Vec<u8>) {
        self.queue = self
            .queue
            .drain(..)
            .map(|i| match i {
                Item::Held(_, h) => Item::Ready(h, Release::Forward),
                other => other,
            })
            .collect();
        self.drain(out);
    }

    /// Whether data messages are re-framed here (after a change to a
    /// compressed stream).
    pub fn reframing(&self) -> bool {
        self.reframing
    }

    fn start_frame(&mut self, h: FrameHeader, out: &mut Vec<u8>) {
        let head = std::mem::take(&mut self.head);
        let control = h.opcode.is_control();
        if matches!(h.opcode, OpCode::Text | OpCode::Binary) {
            // A new message (one left unfinished by the sender is the
            // receiver's to judge; what was collected of it goes on).
            if let Some(old) = self.message.take() {
                if let Some(raw) = old.raw {
                    out.extend_from_slice(&raw);
                }
            }
            let collect = (self.holding || self.reframing) && h.payload_len <= self.limit as u64;
            self.message = Some(Message {
                kind: if h.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                },
                compressed: h.rsv[0] && self.compression.is_some(),
                raw: collect.then(Vec::new),
                data: Some(Vec::new()),
                frames: 0,
            });
            if h.rsv[0] {
                if let Some(i) = self.inflater.as_mut() {
                    i.begin_message();
                }
            }
        }
        let collect = if control {
            h.payload_len <= 125
        } else {
            self.message.as_ref().is_some_and(|m| m.raw.is_some())
        };
        let raw = if collect {
            Some(head)
        } else {
            out.extend_from_slice(&head);
            None
        };
        self.frame = Some(Frame {
            header: h,
            left: h.payload_len,
            raw,
            seen: 0,
        });
    }

    fn end_frame(&mut self, out: &mut Vec<u8>, hold: &mut dyn FnMut(&Held) -> Option<u64>) {
        let Some(f) = self.frame.take() else {
            return;
        };
        if f.header.opcode.is_control() {
            let raw = f.raw.unwrap_or_default();
            if f.header.opcode == OpCode::Close && !self.queue.is_empty() {
                self.queue.push_back(Item::Close(raw));
            } else {
                out.extend_from_slice(&raw);
            }
            self.flush_injected(out);
            return;
        }
        let Some(m) = self.message.as_mut() else {
            // A continuation without a message: the receiver's to judge.
            if let Some(raw) = f.raw {
                out.extend_from_slice(&raw);
            }
            self.flush_injected(out);
            return;
        };
        m.frames += 1;
        if let (Some(all), Some(raw)) = (m.raw.as_mut(), f.raw.as_ref()) {
            all.extend_from_slice(raw);
        }
        // Collected this far, but the message grew past the limit: it goes
        // on as it came, unheld.
        if m.raw.as_ref().is_some_and(|r| r.len() > self.limit) {
            if let Some(raw) = m.raw.take() {
                out.extend_from_slice(&raw);
            }
        }
        if !f.header.fin {
            return;
        }
        let mut m = self.message.take().expect("a message in passage");
        if m.compressed {
            if let Some(i) = self.inflater.as_mut() {
                let mut spill = Vec::new();
                if i.finish_message(&mut spill, self.limit).is_err() {
                    m.data = None;
                }
            }
        }
        if let Some(raw) = m.raw {
            let done = Held {
                kind: m.kind,
                raw,
                data: m.data,
                compressed: m.compressed,
                frames: m.frames,
            };
            if !self.queue.is_empty() {
                let item = match self.holding.then(|| hold(&done)).flatten() {
                    Some(n) => Item::Held(n, done),
                    None => Item::Ready(done, Release::Forward),
                };
                self.queue.push_back(item);
            } else {
                match self.holding.then(|| hold(&done)).flatten() {
                    Some(n) => self.queue.push_back(Item::Held(n, done)),
                    None => self.send(done, Release::Forward, out),
                }
            }
        }
        self.flush_injected(out);
    }

    /// Sends what is ready at the front of the queue.
    fn drain(&mut self, out: &mut Vec<u8>) {
        while let Some(item) = self.queue.front() {
            if matches!(item, Item::Held(..)) {
                break;
            }
            match self.queue.pop_front() {
                Some(Item::Ready(h, how)) => self.send(h, how, out),
                Some(Item::Close(raw)) => out.extend_from_slice(&raw),
                _ => {}
            }
        }
        self.flush_injected(out);
    }

    /// Sends one message as `how` says.
    fn send(&mut self, h: Held, how: Release, out: &mut Vec<u8>) {
        let changed = !matches!(how, Release::Forward);
        if changed && h.compressed && !self.reframing {
            if let Some(c) = self.compression.filter(|c| !c.no_context_takeover) {
                // From here on the receiver's window follows this proxy's
                // compressor, not the sender's.
                self.reframing = true;
                self.outbox
                    .compress_with(Deflater::new(c.window_bits, c.no_context_takeover));
            }
        }
        let payload = match how {
            Release::Drop => return,
            Release::Edit(p) => Some(p),
            Release::Forward if self.reframing => h.data,
            Release::Forward => None,
        };
        match payload {
            Some(p) => {
                self.outbox.send_message(h.kind, &p);
                out.extend_from_slice(&self.outbox.take());
            }
            None => out.extend_from_slice(&h.raw),
        }
    }

    /// Sends frames made here that may go now: between frames, and data
    /// messages only between messages (in their order; control frames may
    /// pass them).
    fn flush_injected(&mut self, out: &mut Vec<u8>) {
        if self.frame.is_some() || !self.head.is_empty() {
            return;
        }
        let mut kept = VecDeque::new();
        while let Some((bytes, data)) = self.injected.pop_front() {
            if data && (self.message.is_some() || !kept.is_empty()) {
                kept.push_back((bytes, data));
            } else {
                out.extend_from_slice(&bytes);
            }
        }
        self.injected = kept;
    }
}

/// Adds a payload piece to a message's data (inflated when compressed:
/// the inflater follows every compressed message, kept or not, for the
/// window of the ones after), giving up on the data past the limit or on
/// an inflate error. Only a message collected whole keeps its data.
fn take_payload(m: &mut Message, plain: &[u8], inflater: Option<&mut Inflater>, limit: usize) {
    let keep = m.raw.is_some();
    match (m.compressed, inflater) {
        (true, Some(i)) => {
            let mut sink = if keep {
                m.data.take().unwrap_or_default()
            } else {
                Vec::new()
            };
            let ok = i.feed(plain, &mut sink, limit).is_ok();
            if keep && ok {
                m.data = Some(sink);
            } else if !ok {
                m.data = None;
            }
        }
        _ if keep => {
            if let Some(d) = m.data.as_mut() {
                if d.len() + plain.len() > limit {
                    m.data = None;
                } else {
                    d.extend_from_slice(plain);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::compress::Deflater;
    use crate::protocol::frame::encode_frame;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn frame(fin: bool, opcode: OpCode, payload: &[u8], mask: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let h = FrameHeader::new(fin, opcode, mask.then_some(KEY), payload.len() as u64);
        encode_frame(&h, payload, &mut out);
        out
    }

    /// Server frames of `texts`, each compressed by one sender (with or
    /// without context takeover), and the way that reads them.
    fn compressed(texts: &[&str], no_context_takeover: bool) -> (Vec<u8>, Way) {
        let c = Compression {
            window_bits: 15,
            no_context_takeover,
        };
        let mut sender = Deflater::new(15, no_context_takeover);
        let mut input = Vec::new();
        for text in texts {
            let mut z = Vec::new();
            sender.compress(text.as_bytes(), &mut z);
            let mut h = FrameHeader::new(true, OpCode::Text, None, z.len() as u64);
            h.rsv[0] = true;
            encode_frame(&h, &z, &mut input);
        }
        (input, Way::new(Role::Server, Some(c), 1 << 20, 1))
    }

    /// Feeds `bytes` one byte at a time; what came out.
    fn feed_bytewise(
        way: &mut Way,
        bytes: &[u8],
        hold: &mut dyn FnMut(&Held) -> Option<u64>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        for b in bytes {
            way.feed(std::slice::from_ref(b), &mut out, hold);
        }
        out
    }

    #[test]
    fn without_holding_every_byte_passes_as_it_came() {
        // MDN's masked "Hello", a ping, and a message in two fragments.
        let mut input = vec![
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        input.extend(frame(true, OpCode::Ping, b"p", true));
        input.extend(frame(false, OpCode::Text, b"Hel", true));
        input.extend(frame(true, OpCode::Continuation, b"lo", true));
        let mut way = Way::new(Role::Client, None, 1 << 20, 1);
        let out = feed_bytewise(&mut way, &input, &mut |_| panic!("not holding"));
        assert_eq!(out, input);
        let mut whole = Vec::new();
        Way::new(Role::Client, None, 1 << 20, 1).feed(&input, &mut whole, &mut |_| None);
        assert_eq!(whole, input);
    }

    #[test]
    fn a_held_message_holds_back_what_follows_but_not_pings() {
        let mut way = Way::new(Role::Server, None, 1 << 20, 1);
        way.hold(true);
        let one = frame(true, OpCode::Text, b"one", false);
        let two = frame(true, OpCode::Text, b"two", false);
        let ping = frame(true, OpCode::Ping, b"", false);
        let close = frame(true, OpCode::Close, &[0x03, 0xe8], false);
        let mut input = one.clone();
        input.extend(&two);
        input.extend(&ping);
        input.extend(&close);
        let mut seen = Vec::new();
        let out = feed_bytewise(&mut way, &input, &mut |h| {
            seen.push(h.data.clone().unwrap());
            (h.data.as_deref() == Some(b"one")).then_some(7)
        });
        // "two" was offered too (it may be held as well); only the ping
        // went on.
        assert_eq!(seen, [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(out, ping);
        assert_eq!(way.held().len(), 1);
        assert!(way.holds(7) && !way.holds(8));
        let mut out = Vec::new();
        assert!(!way.release(8, Release::Forward, &mut out));
        assert!(way.release(7, Release::Forward, &mut out));
        let mut rest = one;
        rest.extend(&two);
        rest.extend(&close);
        assert_eq!(out, rest, "in order, the close last");
    }

    #[test]
    fn dropped_and_edited_messages_and_injected_frames() {
        let mut way = Way::new(Role::Client, None, 1 << 20, 1);
        way.hold(true);
        let mut input = frame(true, OpCode::Text, b"drop me", true);
        input.extend(frame(true, OpCode::Text, b"edit me", true));
        let mut n = 0;
        let mut out = Vec::new();
        way.feed(&input, &mut out, &mut |_| {
            n += 1;
            Some(n)
        });
        assert!(out.is_empty());
        way.release(1, Release::Drop, &mut out);
        assert!(out.is_empty(), "2 is still held");
        way.release(2, Release::Edit(b"edited".to_vec()), &mut out);
        // Re-framed as a client frames: masked, with a key of its own.
        let HeaderParse::Complete(h) = FrameHeader::parse(&out) else {
            panic!("{out:?}")
        };
        assert!(h.fin && h.opcode == OpCode::Text && h.payload_len == 6);
        let mut payload = out[h.len()..].to_vec();
        apply_mask(&mut payload, h.mask.expect("masked toward a server"), 0);
        assert_eq!(payload, b"edited");

        // A frame made here waits for the message in passage to end.
        way.hold(false);
        let first = frame(false, OpCode::Binary, b"ab", true);
        let last = frame(true, OpCode::Continuation, b"cd", true);
        let mut out = Vec::new();
        way.feed(&first, &mut out, &mut |_| None);
        way.outbox().send_message(MessageKind::Text, b"injected");
        way.inject(true, &mut out);
        way.outbox().send(OpCode::Ping, b"now");
        way.inject(false, &mut out);
        assert!(out.starts_with(&first));
        assert_eq!(
            out.len(),
            first.len() + 2 + 4 + 3,
            "the ping goes between frames"
        );
        way.feed(&last, &mut out, &mut |_| None);
        assert!(out[first.len() + 9..].starts_with(&last));
        assert_eq!(out.len(), first.len() + 9 + last.len() + 2 + 4 + 8);
    }

    #[test]
    fn masked_messages_are_seen_unmasked_whatever_the_pieces() {
        // MDN's masked "Hello", then the same key over a longer payload in
        // two frames, fed a byte at a time.
        let mut input = vec![
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        input.extend(frame(false, OpCode::Text, b"abcdefg", true));
        input.extend(frame(true, OpCode::Continuation, b"hijklmnop", true));
        let mut way = Way::new(Role::Client, None, 1 << 20, 1);
        way.hold(true);
        let mut seen = Vec::new();
        let out = feed_bytewise(&mut way, &input, &mut |h| {
            seen.push((h.data.clone().unwrap(), h.frames));
            None
        });
        assert_eq!(
            seen,
            [(b"Hello".to_vec(), 1), (b"abcdefghijklmnop".to_vec(), 2)]
        );
        assert_eq!(out, input, "not held: passed as they came");
    }

    #[test]
    fn without_holding_a_frame_streams_before_it_ends() {
        let f = frame(true, OpCode::Binary, &[7u8; 100], true);
        let mut way = Way::new(Role::Client, None, 1 << 20, 1);
        let mut out = Vec::new();
        way.feed(&f[..50], &mut out, &mut |_| None);
        assert_eq!(out, &f[..50], "nothing waits for the frame's end");
        way.hold(true);
        // Holding starts with the next message: this one still streams.
        way.feed(&f[50..], &mut out, &mut |_| panic!("not offered"));
        assert_eq!(out, f);
    }

    #[test]
    fn an_injected_frame_never_lands_inside_a_header() {
        let f = frame(true, OpCode::Text, b"hi", true);
        let mut way = Way::new(Role::Client, None, 1 << 20, 1);
        let mut out = Vec::new();
        way.feed(&f[..1], &mut out, &mut |_| None);
        way.outbox().send(OpCode::Ping, b"");
        way.inject(false, &mut out);
        assert!(out.is_empty(), "the header is not out yet: {out:?}");
        way.feed(&f[1..], &mut out, &mut |_| None);
        assert!(out.starts_with(&f) && out.len() == f.len() + 6, "{out:?}");
    }

    #[test]
    fn a_message_over_the_limit_is_never_held() {
        // A limit of 7 bytes of frames: one 5-byte unmasked frame fits.
        let mut way = Way::new(Role::Server, None, 7, 1);
        way.hold(true);
        let fits = frame(true, OpCode::Text, b"12345", false);
        let mut out = Vec::new();
        way.feed(&fits, &mut out, &mut |_| Some(1));
        assert!(out.is_empty() && way.holds(1));
        // Under the limit in two pieces: held whole, its data whole.
        let mut way = Way::new(Role::Server, None, 20, 1);
        way.hold(true);
        let mut two = frame(false, OpCode::Text, b"abcde", false);
        two.extend(frame(true, OpCode::Continuation, b"fghij", false));
        let mut data = None;
        way.feed(&two, &mut out, &mut |h| {
            data = h.data.clone();
            Some(2)
        });
        assert_eq!(data.as_deref(), Some(&b"abcdefghij"[..]));
        // Two frames of 4: over the limit once the second is in, so the
        // message goes on, unheld (it is not offered).
        let mut way = Way::new(Role::Server, None, 7, 1);
        way.hold(true);
        let mut big = frame(false, OpCode::Text, b"abcd", false);
        big.extend(frame(true, OpCode::Continuation, b"efgh", false));
        way.feed(&big, &mut out, &mut |_| panic!("not offered"));
        assert_eq!(out, big);
    }

    #[test]
    fn an_uncompressed_message_on_a_deflate_connection_is_read_as_it_is() {
        let (_, mut way) = compressed(&[], false);
        way.hold(true);
        let mut seen = None;
        way.feed(
            &frame(true, OpCode::Text, b"plain", false),
            &mut Vec::new(),
            &mut |h| {
                seen = Some((h.compressed, h.data.clone()));
                None
            },
        );
        assert_eq!(seen, Some((false, Some(b"plain".to_vec()))));
    }

    #[test]
    fn forwarding_a_compressed_message_as_it_came_changes_nothing() {
        let (input, mut way) = compressed(&["same same same", "same again"], false);
        way.hold(true);
        let mut n = 0;
        let mut out = Vec::new();
        way.feed(&input, &mut out, &mut |_| {
            n += 1;
            Some(n)
        });
        way.release(1, Release::Forward, &mut out);
        way.release(2, Release::Forward, &mut out);
        assert!(!way.reframing());
        assert_eq!(out, input, "the sender's own bytes");
    }

    #[test]
    fn intercept_off_lets_every_held_message_go_in_order() {
        let mut way = Way::new(Role::Server, None, 1 << 20, 1);
        way.hold(true);
        let mut input = Vec::new();
        for m in [&b"a"[..], b"b", b"c"] {
            input.extend(frame(true, OpCode::Text, m, false));
        }
        let mut n = 0;
        let mut out = Vec::new();
        way.feed(&input, &mut out, &mut |_| {
            n += 1;
            (n != 2).then_some(n)
        });
        assert!(out.is_empty());
        assert_eq!(way.held().len(), 2);
        way.release_all(&mut out);
        assert_eq!(out, input);
        assert!(way.held().is_empty());
    }

    #[test]
    fn without_context_takeover_a_change_needs_no_recompression() {
        let (input, mut way) = compressed(&["first first", "second second"], true);
        way.hold(true);
        let mut out = Vec::new();
        way.feed(&input, &mut out, &mut |h| {
            (h.data.as_deref() == Some(b"first first")).then_some(1)
        });
        assert!(!way.reframing());
        let second_raw = out.len();
        assert_eq!(second_raw, 0, "behind the held one");
        way.release(1, Release::Edit(b"edited".to_vec()), &mut out);
        assert!(!way.reframing(), "each message stands alone");
        // The edit goes uncompressed; the second as it came.
        let HeaderParse::Complete(h) = FrameHeader::parse(&out) else {
            panic!()
        };
        assert!(!h.rsv[0] && h.payload_len == 6);
        assert!(input.ends_with(&out[h.len() + 6..]));
    }

    #[test]
    fn a_change_to_a_compressed_stream_recompresses_what_follows() {
        // The sender compresses with context takeover: each message refers
        // to the one before.
        let (input, mut way) = compressed(
            &[
                "hello hello hello",
                "hello hello hello!",
                "hello again hello",
            ],
            false,
        );
        way.hold(true);
        let mut n = 0;
        let mut out = Vec::new();
        way.feed(&input, &mut out, &mut |h| {
            assert!(h.compressed);
            n += 1;
            (n == 1).then_some(1)
        });
        assert!(!way.reframing(), "nothing changed yet");
        way.release(1, Release::Drop, &mut out);
        assert!(way.reframing());
        // The receiver, whose window never saw the first message, inflates
        // the rest.
        let mut receiver = Inflater::new(false).at_connection_start();
        let mut rest = out.as_slice();
        let mut got = Vec::new();
        while !rest.is_empty() {
            let HeaderParse::Complete(h) = FrameHeader::parse(rest) else {
                panic!()
            };
            assert!(h.rsv[0], "compressed again");
            let end = h.len() + h.payload_len as usize;
            let text = receiver.inflate(&rest[h.len()..end], 1 << 20).unwrap();
            got.push(String::from_utf8(text).unwrap());
            rest = &rest[end..];
        }
        assert_eq!(got, ["hello hello hello!", "hello again hello"]);
    }
}
