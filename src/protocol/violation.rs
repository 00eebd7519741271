//! Violations as typed values: what rule was broken, with the numbers that
//! show how, where in the frame it sits, and what an endpoint answers with
//! (the close code that fails the connection). Sentences for people are
//! rendered by `print`, from these values, through one escaper; the short
//! reason sent in a close frame is built here because it goes on the wire.
//!
//! Frame violations are one family; handshake issues
//! ([`Issue`](super::handshake::Issue)), HTTP head errors
//! ([`HeadError`](super::http::HeadError)) and inflate errors
//! ([`InflateError`]) are the others. Each family is its own type, since
//! what they mark (a bit of a frame header, a header line of a head) and
//! what they earn (a close code on an open connection, an HTTP status
//! before it opens) differ, and every family exposes the same numbers
//! through [`Broken`].

use super::deflate::InflateError;
use super::frame::LengthForm;
use super::message::MessageKind;
use super::opcode::OpCode;
use super::utf8::Utf8Error;

/// What every typed violation exposes, whatever its family: the stable
/// id, the RFC section, what the receiving end answers with, and a short
/// reason that can go on the wire.
pub trait Broken {
    /// A stable kebab-case id for scripts: `reserved-bit`, `missing-key`.
    fn id(&self) -> &'static str;

    /// The RFC and section that state the rule: "RFC 6455 §4.2.1".
    fn section(&self) -> &'static str;

    /// What the end that received the offending bytes answers with: the
    /// close code that fails an open connection, or the HTTP status that
    /// refuses a handshake. None when nothing is to be answered (a
    /// response's issues, an input cut short, a limit of this receiver's).
    fn answer(&self) -> Option<Answer>;

    /// What the peer did, in a few words: ASCII, at most
    /// [`MAX_CLOSE_REASON`] bytes, so that it fits a close frame's reason
    /// or a refusal's body line. It quotes nothing the peer wrote but
    /// numbers (a length, a byte in hex, an HTTP version), so it needs no
    /// escaping wherever it goes.
    fn reason(&self) -> String;
}

/// What an endpoint answers a violation with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Fail the open connection with this close code (RFC 6455 §7.4.1).
    Close(u16),
    /// Refuse the handshake with this HTTP status.
    Status(u16),
}

/// `s` cut to [`MAX_CLOSE_REASON`] bytes: a short reason, which is ASCII,
/// so any cut keeps it valid.
pub(crate) fn fit_reason(mut s: String) -> String {
    debug_assert!(s.is_ascii(), "a short reason must be ASCII: {s:?}");
    if !s.is_ascii() {
        s = s.chars().filter(char::is_ascii).collect();
    }
    s.truncate(MAX_CLOSE_REASON);
    s
}

/// The part of a frame a violation is about, so a printer can mark that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The FIN bit.
    Fin,
    /// RSV1, RSV2 or RSV3 (index 0-2).
    Rsv(u8),
    /// The opcode bits.
    Opcode,
    /// The MASK bit.
    Mask,
    /// The 7-bit length field and any extended length.
    Length,
    /// The payload bytes.
    Payload,
    /// The frame as a whole (its place in the stream).
    Frame,
}

impl Field {
    /// Lower-case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fin => "fin",
            Self::Rsv(0) => "rsv1",
            Self::Rsv(1) => "rsv2",
            Self::Rsv(_) => "rsv3",
            Self::Opcode => "opcode",
            Self::Mask => "mask",
            Self::Length => "length",
            Self::Payload => "payload",
            Self::Frame => "frame",
        }
    }
}

/// A rule that a frame or a sequence of frames can break, without its
/// numbers: the stable id scripts match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// RSV1/2/3 set with no extension negotiated that defines it.
    ReservedBit,
    /// An opcode RFC 6455 reserves.
    ReservedOpcode,
    /// A control frame with more than 125 bytes of payload.
    ControlTooLong,
    /// A control frame with FIN clear.
    ControlFragmented,
    /// A length in a longer form than needed.
    NonMinimalLength,
    /// A 64-bit length with its most significant bit set.
    LengthTopBit,
    /// A client frame without a mask.
    UnmaskedClientFrame,
    /// A server frame with a mask.
    MaskedServerFrame,
    /// A close payload of exactly one byte.
    CloseLengthOne,
    /// A close code that may not be sent.
    CloseCode,
    /// A close reason that is not UTF-8.
    CloseReasonUtf8,
    /// Text (a text message) that is not UTF-8.
    TextUtf8,
    /// A continuation frame when no fragmented message is open.
    ContinuationWithoutMessage,
    /// A text or binary frame while a fragmented message is still open.
    DataInsideMessage,
    /// A frame after the close frame.
    FrameAfterClose,
    /// The input ends inside a frame.
    Truncated,
    /// permessage-deflate: RSV1 on a control frame or a non-first fragment.
    CompressedBitMisplaced,
    /// permessage-deflate: a compressed message that does not inflate.
    BadCompressedData,
    /// A frame larger than the receiver's limit.
    FrameTooBig,
    /// A message larger than the receiver's limit (as sent or inflated).
    MessageTooBig,
}

impl Rule {
    /// A stable kebab-case id for scripts.
    pub fn id(self) -> &'static str {
        match self {
            Self::ReservedBit => "reserved-bit",
            Self::ReservedOpcode => "reserved-opcode",
            Self::ControlTooLong => "control-too-long",
            Self::ControlFragmented => "control-fragmented",
            Self::NonMinimalLength => "non-minimal-length",
            Self::LengthTopBit => "length-top-bit",
            Self::UnmaskedClientFrame => "unmasked-client-frame",
            Self::MaskedServerFrame => "masked-server-frame",
            Self::CloseLengthOne => "close-length-one",
            Self::CloseCode => "close-code",
            Self::CloseReasonUtf8 => "close-reason-utf8",
            Self::TextUtf8 => "text-utf8",
            Self::ContinuationWithoutMessage => "continuation-without-message",
            Self::DataInsideMessage => "data-inside-message",
            Self::FrameAfterClose => "frame-after-close",
            Self::Truncated => "truncated",
            Self::CompressedBitMisplaced => "compressed-bit-misplaced",
            Self::BadCompressedData => "bad-compressed-data",
            Self::FrameTooBig => "frame-too-big",
            Self::MessageTooBig => "message-too-big",
        }
    }

    /// The RFC and section that state the rule: "RFC 6455 §5.2".
    pub fn section(self) -> &'static str {
        match self {
            Self::ReservedBit
            | Self::ReservedOpcode
            | Self::NonMinimalLength
            | Self::LengthTopBit
            | Self::Truncated => "RFC 6455 §5.2",
            Self::ControlTooLong | Self::ControlFragmented => "RFC 6455 §5.5",
            Self::UnmaskedClientFrame | Self::MaskedServerFrame => "RFC 6455 §5.1",
            Self::CloseLengthOne | Self::CloseReasonUtf8 | Self::FrameAfterClose => {
                "RFC 6455 §5.5.1"
            }
            Self::CloseCode => "RFC 6455 §7.4",
            Self::TextUtf8 => "RFC 6455 §8.1",
            Self::ContinuationWithoutMessage | Self::DataInsideMessage => "RFC 6455 §5.4",
            Self::CompressedBitMisplaced => "RFC 7692 §6",
            Self::BadCompressedData => "RFC 7692 §7.2.2",
            Self::FrameTooBig | Self::MessageTooBig => "RFC 6455 §10.4",
        }
    }

    /// The field a printer marks by default.
    pub fn field(self) -> Field {
        match self {
            Self::ReservedBit | Self::CompressedBitMisplaced => Field::Rsv(0),
            Self::ReservedOpcode | Self::ContinuationWithoutMessage | Self::DataInsideMessage => {
                Field::Opcode
            }
            Self::ControlTooLong
            | Self::NonMinimalLength
            | Self::LengthTopBit
            | Self::FrameTooBig
            | Self::MessageTooBig => Field::Length,
            Self::ControlFragmented => Field::Fin,
            Self::UnmaskedClientFrame | Self::MaskedServerFrame => Field::Mask,
            Self::CloseLengthOne
            | Self::CloseCode
            | Self::CloseReasonUtf8
            | Self::TextUtf8
            | Self::BadCompressedData => Field::Payload,
            Self::FrameAfterClose | Self::Truncated => Field::Frame,
        }
    }

    /// The status code an endpoint closes with when its peer breaks this
    /// rule (RFC 6455 §7.4.1): 1007 for data inconsistent with its type,
    /// 1009 for too big, 1002 for the rest. None for a cut-off input, which
    /// is not the peer's doing.
    pub fn close_code(self) -> Option<u16> {
        match self {
            Self::Truncated => None,
            Self::TextUtf8 | Self::CloseReasonUtf8 | Self::BadCompressedData => Some(1007),
            Self::FrameTooBig | Self::MessageTooBig => Some(1009),
            _ => Some(1002),
        }
    }
}

/// Where in a text message the first invalid UTF-8 byte was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8Place {
    /// In a message of one frame: the offset is the payload's.
    OnlyFrame,
    /// In this fragment, at this byte of its payload.
    ThisFragment {
        /// Offset within this frame's payload.
        byte: u64,
    },
    /// An unfinished character that started in an earlier fragment.
    EarlierFragment,
    /// In the inflated text of a compressed message.
    Inflated,
}

/// Which limit a size broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeOf {
    /// The message as it came on the wire (all its frames' payloads).
    Message,
    /// The message once inflated (permessage-deflate).
    Inflated,
}

/// A rule broken, with the numbers that show how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// RSV1, RSV2 or RSV3 set with no extension that defines it.
    ReservedBit {
        /// 1, 2 or 3.
        bit: u8,
    },
    /// An opcode that RFC 6455 reserves.
    ReservedOpcode {
        /// The 4-bit value.
        opcode: u8,
    },
    /// A control frame with more than 125 bytes of payload.
    ControlTooLong {
        /// Its opcode.
        opcode: OpCode,
        /// Its payload length.
        len: u64,
    },
    /// A control frame with FIN clear.
    ControlFragmented {
        /// Its opcode.
        opcode: OpCode,
    },
    /// A length written in a longer form than needed.
    NonMinimalLength {
        /// The length.
        len: u64,
        /// The form used.
        form: LengthForm,
    },
    /// A 64-bit length with its most significant bit set.
    LengthTopBit {
        /// The length as written.
        len: u64,
    },
    /// A client frame without a mask.
    UnmaskedClientFrame,
    /// A server frame with a mask.
    MaskedServerFrame,
    /// A close payload of one byte.
    CloseLengthOne {
        /// That byte.
        byte: u8,
    },
    /// A close code that may not be sent.
    CloseCode {
        /// The code.
        code: u16,
    },
    /// A close reason that is not UTF-8.
    CloseReasonUtf8 {
        /// Where, within the reason.
        error: Utf8Error,
    },
    /// A text message that is not UTF-8.
    TextUtf8 {
        /// Where, within the message's text.
        error: Utf8Error,
        /// How that position relates to the frame.
        place: Utf8Place,
    },
    /// A continuation frame with no message open.
    ContinuationWithoutMessage,
    /// A new text or binary frame inside an open fragmented message.
    DataInsideMessage {
        /// The new frame's kind.
        new: MessageKind,
        /// The open message's kind.
        open: MessageKind,
        /// Frames of the open message so far.
        frames: usize,
    },
    /// A data frame or a second close after this side's close frame.
    FrameAfterClose {
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// The input ends inside a frame header.
    TruncatedHeader {
        /// Header bytes present.
        present: usize,
        /// At least this many more are needed.
        needed: usize,
    },
    /// The input ends inside a frame's payload.
    TruncatedPayload {
        /// The length the header announces.
        announced: u64,
        /// Payload bytes present.
        present: u64,
    },
    /// permessage-deflate's RSV1 on a control frame or a continuation.
    CompressedBitMisplaced {
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// A compressed message that does not inflate.
    BadCompressedData {
        /// The message's kind.
        kind: MessageKind,
        /// What inflating said.
        error: InflateError,
    },
    /// A frame whose payload is larger than the receiver accepts.
    FrameTooBig {
        /// The payload length the header announces.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A message larger than the receiver accepts.
    MessageTooBig {
        /// Which size: on the wire or inflated.
        of: SizeOf,
        /// The size reached (at least this much).
        len: u64,
        /// The limit.
        limit: u64,
    },
}

impl Kind {
    /// The rule's id without the numbers.
    pub fn rule(&self) -> Rule {
        match self {
            Self::ReservedBit { .. } => Rule::ReservedBit,
            Self::ReservedOpcode { .. } => Rule::ReservedOpcode,
            Self::ControlTooLong { .. } => Rule::ControlTooLong,
            Self::ControlFragmented { .. } => Rule::ControlFragmented,
            Self::NonMinimalLength { .. } => Rule::NonMinimalLength,
            Self::LengthTopBit { .. } => Rule::LengthTopBit,
            Self::UnmaskedClientFrame => Rule::UnmaskedClientFrame,
            Self::MaskedServerFrame => Rule::MaskedServerFrame,
            Self::CloseLengthOne { .. } => Rule::CloseLengthOne,
            Self::CloseCode { .. } => Rule::CloseCode,
            Self::CloseReasonUtf8 { .. } => Rule::CloseReasonUtf8,
            Self::TextUtf8 { .. } => Rule::TextUtf8,
            Self::ContinuationWithoutMessage => Rule::ContinuationWithoutMessage,
            Self::DataInsideMessage { .. } => Rule::DataInsideMessage,
            Self::FrameAfterClose { .. } => Rule::FrameAfterClose,
            Self::TruncatedHeader { .. } | Self::TruncatedPayload { .. } => Rule::Truncated,
            Self::CompressedBitMisplaced { .. } => Rule::CompressedBitMisplaced,
            Self::BadCompressedData { .. } => Rule::BadCompressedData,
            Self::FrameTooBig { .. } => Rule::FrameTooBig,
            Self::MessageTooBig { .. } => Rule::MessageTooBig,
        }
    }
}

/// One rule broken: what, with its numbers, and the field to mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule and its numbers.
    pub kind: Kind,
    /// The field concerned (for RSV bits, which one).
    pub field: Field,
}

/// The most a close frame's reason may hold: 125 bytes of payload less the
/// two-byte code (RFC 6455 §5.5).
pub const MAX_CLOSE_REASON: usize = 123;

impl Violation {
    /// A violation marked on its rule's usual field.
    pub fn new(kind: Kind) -> Self {
        let field = match kind {
            Kind::ReservedBit { bit } => Field::Rsv(bit.saturating_sub(1).min(2)),
            _ => kind.rule().field(),
        };
        Self { kind, field }
    }

    /// The rule's id without the numbers.
    pub fn rule(&self) -> Rule {
        self.kind.rule()
    }

    /// The status code to close the connection with, when the peer broke
    /// the rule (see [`Rule::close_code`]).
    pub fn close_code(&self) -> Option<u16> {
        self.rule().close_code()
    }

    /// A short reason for a close frame, ASCII, at most
    /// [`MAX_CLOSE_REASON`] bytes: what the peer did, in a few words.
    pub fn close_reason(&self) -> String {
        let s = match &self.kind {
            Kind::ReservedBit { bit } => format!("RSV{bit} set, no extension negotiated"),
            Kind::ReservedOpcode { opcode } => format!("reserved opcode 0x{opcode:x}"),
            Kind::ControlTooLong { opcode, len } => {
                format!(
                    "{} frame of {len} bytes (control frames: 125 at most)",
                    opcode.name()
                )
            }
            Kind::ControlFragmented { opcode } => format!("fragmented {} frame", opcode.name()),
            Kind::NonMinimalLength { len, form } => {
                format!("length {len} in the {} form, not minimal", form.name())
            }
            Kind::LengthTopBit { .. } => "64-bit length with its top bit set".into(),
            Kind::UnmaskedClientFrame => "client frame not masked".into(),
            Kind::MaskedServerFrame => "server frame masked".into(),
            Kind::CloseLengthOne { .. } => "close payload of 1 byte".into(),
            Kind::CloseCode { code } => format!("close code {code} may not be sent"),
            Kind::CloseReasonUtf8 { error } => {
                format!("close reason not UTF-8 at byte {}", error.offset)
            }
            Kind::TextUtf8 { error, .. } => {
                format!("text message not UTF-8 at byte {}", error.offset)
            }
            Kind::ContinuationWithoutMessage => "continuation frame with no message open".into(),
            Kind::DataInsideMessage { new, open, .. } => format!(
                "{} frame inside an unfinished {} message",
                new.name(),
                open.name()
            ),
            Kind::FrameAfterClose { opcode } => format!("{} frame after close", opcode.name()),
            Kind::TruncatedHeader { .. } | Kind::TruncatedPayload { .. } => {
                "connection ended inside a frame".into()
            }
            Kind::CompressedBitMisplaced { opcode } => {
                format!("RSV1 on a {} frame", opcode.name())
            }
            Kind::BadCompressedData { .. } => "compressed message does not inflate".into(),
            Kind::FrameTooBig { len, limit } => {
                format!("frame of {len} bytes exceeds the limit of {limit}")
            }
            Kind::MessageTooBig { of, limit, .. } => match of {
                SizeOf::Message => format!("message exceeds the limit of {limit} bytes"),
                SizeOf::Inflated => format!("message inflates past the limit of {limit} bytes"),
            },
        };
        fit_reason(s)
    }
}

impl Broken for Violation {
    fn id(&self) -> &'static str {
        self.rule().id()
    }

    fn section(&self) -> &'static str {
        self.rule().section()
    }

    fn answer(&self) -> Option<Answer> {
        self.close_code().map(Answer::Close)
    }

    fn reason(&self) -> String {
        self.close_reason()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_by_rule() {
        let v = |k| Violation::new(k).close_code();
        assert_eq!(v(Kind::ReservedBit { bit: 2 }), Some(1002));
        assert_eq!(
            v(Kind::TextUtf8 {
                error: Utf8Error {
                    offset: 3,
                    incomplete: false
                },
                place: Utf8Place::OnlyFrame
            }),
            Some(1007)
        );
        assert_eq!(
            v(Kind::FrameTooBig {
                len: 1 << 40,
                limit: 1 << 20
            }),
            Some(1009)
        );
        assert_eq!(
            v(Kind::TruncatedPayload {
                announced: 5,
                present: 1
            }),
            None
        );
    }

    #[test]
    fn reserved_bit_marks_its_own_field() {
        assert_eq!(
            Violation::new(Kind::ReservedBit { bit: 3 }).field,
            Field::Rsv(2)
        );
        assert_eq!(
            Violation::new(Kind::ReservedBit { bit: 1 }).field,
            Field::Rsv(0)
        );
    }

    #[test]
    fn broken_gives_the_rule_numbers() {
        let v = Violation::new(Kind::ReservedBit { bit: 3 });
        assert_eq!(
            (Broken::id(&v), Broken::section(&v), v.answer()),
            ("reserved-bit", "RFC 6455 §5.2", Some(Answer::Close(1002)))
        );
        assert_eq!(v.reason(), "RSV3 set, no extension negotiated");
        let cut = Violation::new(Kind::TruncatedPayload {
            announced: 5,
            present: 1,
        });
        assert_eq!(cut.answer(), None);
        for e in [
            InflateError::TooBig { limit: usize::MAX },
            InflateError::Invalid {
                zlib_message: "invalid block type",
                at: u64::MAX,
            },
            InflateError::NeedsEarlierMessages { at: 3 },
            InflateError::Truncated { len: 7 },
        ] {
            let reason = Broken::reason(&e);
            assert!(reason.is_ascii() && reason.len() <= MAX_CLOSE_REASON);
            assert_eq!(Broken::id(&e), e.id());
            assert_eq!(e.answer(), e.close_code().map(Answer::Close));
        }
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = Violation::new(Kind::MessageTooBig {
            of: SizeOf::Inflated,
            len: u64::MAX,
            limit: u64::MAX,
        });
        assert!(long.close_reason().len() <= MAX_CLOSE_REASON);
        let v = Violation::new(Kind::ControlTooLong {
            opcode: OpCode::Ping,
            len: 130,
        });
        assert_eq!(
            v.close_reason(),
            "ping frame of 130 bytes (control frames: 125 at most)"
        );
    }
}
