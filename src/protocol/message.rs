//! Message reassembly over fragments (RFC 6455 §5.4), with control frames
//! allowed in between, and the rules that only a sequence of frames can
//! break: continuation without an open message, a new data frame inside an
//! open one, text that is not UTF-8 (checked per fragment, failing at the
//! first bad byte), anything after a close frame.

use super::deflate::{Inflater, MAX_INFLATED};
use super::frame::FrameHeader;
use super::opcode::OpCode;
use super::rules::{check_close, Rule, Violation};
use super::utf8::{self, Utf8Validator};

/// Text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Opcode 0x1: the payload must be UTF-8.
    Text,
    /// Opcode 0x2.
    Binary,
}

impl MessageKind {
    /// "text" or "binary".
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Binary => "binary",
        }
    }
}

/// A complete data message.
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

/// What pushing one frame produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Rules this frame broke in the context of the stream.
    pub violations: Vec<Violation>,
    /// The frame's place in a data message (None for control frames and
    /// for continuation frames with no message open).
    pub fragment: Option<Fragment>,
    /// The message this frame completed.
    pub message: Option<Message>,
}

#[derive(Debug)]
struct Open {
    kind: MessageKind,
    compressed: bool,
    data: Vec<u8>,
    frames: usize,
    utf8: Option<Utf8Validator>,
    utf8_ok: bool,
}

/// Reassembles messages from the frames of one direction of a connection.
#[derive(Debug, Default)]
pub struct Assembler {
    open: Option<Open>,
    closed: bool,
    inflater: Option<Inflater>,
}

impl Assembler {
    /// An assembler at the start of a connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Treats RSV1 as permessage-deflate's "compressed" bit and inflates
    /// compressed messages with `inflater` (RFC 7692).
    pub fn with_deflate(mut self, inflater: Inflater) -> Self {
        self.inflater = Some(inflater);
        self
    }

    /// Whether a close frame has been seen.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The kind, frame count and size of a message still waiting for its
    /// final frame.
    pub fn open_message(&self) -> Option<(MessageKind, usize, usize)> {
        self.open.as_ref().map(|o| (o.kind, o.frames, o.data.len()))
    }

    /// Takes the next frame (header and unmasked payload).
    pub fn push(&mut self, h: &FrameHeader, payload: &[u8]) -> Pushed {
        let mut out = Pushed::default();
        // §5.5.1 forbids data frames after a close, and each side closes
        // once; ping and pong may still cross.
        let data_or_close = matches!(
            h.opcode,
            OpCode::Text | OpCode::Binary | OpCode::Continuation | OpCode::Close
        );
        if self.closed && data_or_close {
            out.violations.push(Violation::new(
                Rule::FrameAfterClose,
                format!(
                    "{} frame sent after this side's close frame; no data frame or second close may follow it",
                    h.opcode.name()
                ),
            ));
        }
        let deflate = self.inflater.is_some();
        if deflate && h.rsv[0] && (h.opcode.is_control() || h.opcode == OpCode::Continuation) {
            out.violations.push(Violation::new(
                Rule::CompressedBitMisplaced,
                format!(
                    "RSV1 is set on a {} frame; permessage-deflate sets it only on the first frame of a data message",
                    h.opcode.name()
                ),
            ));
        }
        match h.opcode {
            OpCode::Close => {
                self.closed = true;
                out.violations.extend(check_close(payload));
            }
            OpCode::Ping | OpCode::Pong | OpCode::Reserved(_) => {}
            OpCode::Text | OpCode::Binary => {
                let kind = if h.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                if let Some(old) = self.open.take() {
                    out.violations.push(Violation::new(
                        Rule::DataInsideMessage,
                        format!(
                            "new {} frame while a fragmented {} message ({} frames so far) is still open; its fragments must continue with opcode 0x0",
                            kind.name(),
                            old.kind.name(),
                            old.frames
                        ),
                    ));
                }
                let compressed = deflate && h.rsv[0];
                self.open = Some(Open {
                    kind,
                    compressed,
                    data: Vec::new(),
                    frames: 0,
                    // Compressed text is checked once inflated.
                    utf8: (kind == MessageKind::Text && !compressed).then(Utf8Validator::new),
                    utf8_ok: true,
                });
                self.append(h, payload, &mut out);
            }
            OpCode::Continuation => {
                if self.open.is_none() {
                    out.violations.push(Violation::new(
                        Rule::ContinuationWithoutMessage,
                        "continuation frame with no message open; a message starts with a text or binary frame",
                    ));
                } else {
                    self.append(h, payload, &mut out);
                }
            }
        }
        out
    }

    fn append(&mut self, h: &FrameHeader, payload: &[u8], out: &mut Pushed) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let start = open.data.len();
        open.frames += 1;
        open.data.extend_from_slice(payload);
        if let Some(v) = open.utf8.as_mut() {
            let mut result = v.feed(payload);
            if result.is_ok() && h.fin {
                result = v.finish();
            }
            if let Err(e) = result {
                if open.utf8_ok {
                    let message = if open.frames == 1 && h.fin {
                        format!("text is not UTF-8: {e}")
                    } else if e.offset >= start as u64 {
                        format!(
                            "text message is not UTF-8: {e} of the message (byte {} of this frame's payload)",
                            e.offset - start as u64
                        )
                    } else {
                        format!(
                            "text message is not UTF-8: {e} of the message, in an earlier fragment"
                        )
                    };
                    out.violations.push(Violation::new(Rule::TextUtf8, message));
                }
                open.utf8_ok = false;
            }
        }
        out.fragment = Some(Fragment {
            kind: open.kind,
            number: open.frames,
            last: h.fin,
            compressed: open.compressed,
        });
        if h.fin {
            if let Some(mut done) = self.open.take() {
                if done.compressed {
                    self.inflate(&mut done, out);
                }
                out.message = Some(Message {
                    kind: done.kind,
                    data: done.data,
                    frames: done.frames,
                    valid_utf8: done.utf8_ok,
                    compressed: done.compressed,
                });
            }
        }
    }

    fn inflate(&mut self, done: &mut Open, out: &mut Pushed) {
        let Some(inflater) = self.inflater.as_mut() else {
            return;
        };
        match inflater.inflate(&done.data, MAX_INFLATED) {
            Ok(plain) => {
                done.data = plain;
                if done.kind == MessageKind::Text {
                    if let Err(e) = utf8::validate(&done.data) {
                        done.utf8_ok = false;
                        out.violations.push(Violation::new(
                            Rule::TextUtf8,
                            format!(
                                "text message is not UTF-8 once inflated: {e} of the inflated text"
                            ),
                        ));
                    }
                }
            }
            Err(e) => {
                done.utf8_ok = done.kind == MessageKind::Binary;
                out.violations.push(Violation::new(
                    Rule::BadCompressedData,
                    format!(
                        "compressed {} message cannot be inflated: {e}",
                        done.kind.name()
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(p.violations[0].rule, Rule::ContinuationWithoutMessage);
        assert!(p.message.is_none());
    }

    #[test]
    fn data_frame_inside_open_message() {
        let mut a = Assembler::new();
        a.push(&h(false, OpCode::Binary, 1), b"a");
        let p = a.push(&h(true, OpCode::Text, 1), b"b");
        assert_eq!(p.violations[0].rule, Rule::DataInsideMessage);
        assert!(p.violations[0]
            .message
            .contains("binary message (1 frames so far)"));
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
        assert_eq!(p.violations[0].rule, Rule::TextUtf8);
        assert!(
            p.violations[0].message.contains("byte 4 of the message"),
            "{}",
            p.violations[0].message
        );
        assert!(
            p.violations[0].message.contains("byte 1 of this frame"),
            "{}",
            p.violations[0].message
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
        assert_eq!(p.violations[0].rule, Rule::TextUtf8);
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
        assert_eq!(p.violations[0].rule, Rule::CloseCode);
        assert!(a.closed());
        assert!(
            a.push(&h(true, OpCode::Pong, 0), b"").violations.is_empty(),
            "control frames may follow"
        );
        assert!(a.push(&h(true, OpCode::Ping, 0), b"").violations.is_empty());
        let p = a.push(&h(true, OpCode::Text, 1), b"x");
        assert_eq!(p.violations[0].rule, Rule::FrameAfterClose);
        let p = a.push(&h(true, OpCode::Close, 0), b"");
        assert_eq!(
            p.violations[0].rule,
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
            p.violations[0].message.contains("in an earlier fragment"),
            "{}",
            p.violations[0].message
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
        let mut a = Assembler::new().with_deflate(Inflater::new(false));
        let data = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        let p = a.push(&rsv1(h(true, OpCode::Text, 7)), &data);
        assert!(p.violations.is_empty(), "{:?}", p.violations);
        assert!(p.fragment.is_some_and(|f| f.compressed));
        let m = p.message.unwrap();
        assert_eq!(
            (m.data.as_slice(), m.compressed, m.valid_utf8),
            (&b"Hello"[..], true, true)
        );
        let mut a = Assembler::new().with_deflate(Inflater::new(false));
        assert!(a
            .push(&rsv1(h(false, OpCode::Text, 3)), &data[..3])
            .violations
            .is_empty());
        let p = a.push(&h(true, OpCode::Continuation, 4), &data[3..]);
        assert_eq!(p.message.map(|m| m.data), Some(b"Hello".to_vec()));
    }

    #[test]
    fn compressed_bit_only_on_first_frames() {
        let mut a = Assembler::new().with_deflate(Inflater::new(false));
        a.push(&rsv1(h(false, OpCode::Text, 3)), &[0xf2, 0x48, 0xcd]);
        let p = a.push(
            &rsv1(h(true, OpCode::Continuation, 4)),
            &[0xc9, 0xc9, 0x07, 0x00],
        );
        assert_eq!(p.violations[0].rule, Rule::CompressedBitMisplaced);
        let p = a.push(&rsv1(h(true, OpCode::Ping, 0)), b"");
        assert_eq!(p.violations[0].rule, Rule::CompressedBitMisplaced);
    }

    #[test]
    fn bad_compressed_data() {
        let mut a = Assembler::new().with_deflate(Inflater::new(true));
        let p = a.push(&rsv1(h(true, OpCode::Text, 4)), &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(p.violations[0].rule, Rule::BadCompressedData);
        // Without the extension RSV1 changes nothing here (check_header
        // flags the bit itself) and the text is checked as it is.
        let mut a = Assembler::new();
        let p = a.push(&rsv1(h(true, OpCode::Text, 1)), &[0xff]);
        assert_eq!(p.violations[0].rule, Rule::TextUtf8);
    }
}
