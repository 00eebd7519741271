//! Sentences for people, rendered from the protocol's typed values: what a
//! peer did, with its numbers, and what the RFC asks instead. Text and JSON
//! printers use the same sentences, so they cannot disagree.

use crate::protocol::close::CloseCode;
use crate::protocol::deflate::InflateError;
use crate::protocol::frame::LengthForm;
use crate::protocol::utf8::Utf8Error;
use crate::protocol::violation::{Kind, SizeOf, Utf8Place, Violation};

use super::plural;

/// "invalid UTF-8 at byte 4", or the character cut short at the end.
pub fn utf8_error(e: &Utf8Error) -> String {
    if e.incomplete {
        format!(
            "text ends inside a multi-byte character that starts at byte {}",
            e.offset
        )
    } else {
        format!("invalid UTF-8 at byte {}", e.offset)
    }
}

/// Why a compressed message did not inflate.
pub fn inflate_error(e: &InflateError) -> String {
    match *e {
        InflateError::TooBig { limit } => format!("the message inflates to more than {limit} bytes"),
        InflateError::Invalid { zlib_message, at } => format!(
            "the compressed data is not valid DEFLATE: {zlib_message} (compressed byte {at})"
        ),
        InflateError::NeedsEarlierMessages { at } => format!(
            "compressed byte {at} refers back to earlier messages of the connection (context takeover) that the input lacks; decode the connection from its start to see it"
        ),
        InflateError::Truncated { len } => format!(
            "the compressed data ({len} bytes) ends inside a DEFLATE block, not at a block boundary"
        ),
    }
}

/// What the violation says, without its section.
pub fn message(v: &Violation) -> String {
    match &v.kind {
        Kind::ReservedBit { bit } => {
            format!("RSV{bit} is set but no extension was negotiated that defines it")
        }
        Kind::ReservedOpcode { opcode } => format!(
            "opcode 0x{opcode:x} is reserved for future {} frames",
            if opcode & 0x08 != 0 {
                "control"
            } else {
                "non-control"
            }
        ),
        Kind::ControlTooLong { opcode, len } => format!(
            "{} frame has a payload of {len} bytes; control frames carry at most 125",
            opcode.name()
        ),
        Kind::ControlFragmented { opcode } => format!(
            "{} frame has FIN=0; control frames must not be fragmented",
            opcode.name()
        ),
        Kind::NonMinimalLength { len, form } => format!(
            "length {len} is written in the {} form; the minimal number of bytes ({}) must be used",
            form.name(),
            LengthForm::minimal(*len).name()
        ),
        Kind::LengthTopBit { len } => format!(
            "64-bit length 0x{len:016x} has its most significant bit set; it must be 0"
        ),
        Kind::UnmaskedClientFrame => {
            "frame from the client is not masked; a client must mask every frame".into()
        }
        Kind::MaskedServerFrame => {
            "frame from the server is masked; a server must not mask its frames".into()
        }
        Kind::CloseLengthOne { byte } => format!(
            "close payload is 1 byte (0x{byte:02x}); it must be empty or start with a 2-byte status code"
        ),
        Kind::CloseCode { code } => {
            let c = CloseCode(*code);
            format!(
                "close code {code} ({}) may not be sent: {}",
                c.name(),
                c.why_not_allowed().unwrap_or("it is not allowed")
            )
        }
        Kind::CloseReasonUtf8 { error } => format!(
            "close reason is not UTF-8: {} of the reason (payload byte {})",
            utf8_error(error),
            error.offset + 2
        ),
        Kind::TextUtf8 { error, place } => match place {
            Utf8Place::OnlyFrame => format!("text is not UTF-8: {}", utf8_error(error)),
            Utf8Place::ThisFragment { byte } => format!(
                "text message is not UTF-8: {} of the message (byte {byte} of this frame's payload)",
                utf8_error(error)
            ),
            Utf8Place::EarlierFragment => format!(
                "text message is not UTF-8: {} of the message, in an earlier fragment",
                utf8_error(error)
            ),
            Utf8Place::Inflated => format!(
                "text message is not UTF-8 once inflated: {} of the inflated text",
                utf8_error(error)
            ),
        },
        Kind::ContinuationWithoutMessage => {
            "continuation frame with no message open; a message starts with a text or binary frame"
                .into()
        }
        Kind::DataInsideMessage { new, open, frames } => format!(
            "new {} frame while a fragmented {} message ({frames} frames so far) is still open; its fragments must continue with opcode 0x0",
            new.name(),
            open.name()
        ),
        Kind::FrameAfterClose { opcode } => format!(
            "{} frame sent after this side's close frame; no data frame or second close may follow it",
            opcode.name()
        ),
        Kind::TruncatedHeader { present, needed } => format!(
            "the input ends inside a frame header: {present} byte{} present, at least {needed} more needed",
            plural(*present as u64)
        ),
        Kind::TruncatedPayload { announced, present } => format!(
            "frame is truncated: the header announces {announced} byte{} of payload, {present} present ({} missing)",
            plural(*announced),
            announced - present
        ),
        Kind::CompressedBitMisplaced { opcode } => format!(
            "RSV1 is set on a {} frame; permessage-deflate sets it only on the first frame of a data message",
            opcode.name()
        ),
        Kind::BadCompressedData { kind, error } => format!(
            "compressed {} message cannot be inflated: {}",
            kind.name(),
            inflate_error(error)
        ),
        Kind::FrameTooBig { len, limit } => format!(
            "frame announces {len} bytes of payload; this receiver takes at most {limit} per frame"
        ),
        Kind::MessageTooBig { of, len, limit } => match of {
            SizeOf::Message => format!(
                "message reaches {len} bytes; this receiver takes at most {limit} per message"
            ),
            SizeOf::Inflated => format!(
                "message inflates past {limit} bytes, the most this receiver takes per message"
            ),
        },
    }
}

/// The violation as one line: "RFC 6455 §5.2: ...".
pub fn violation(v: &Violation) -> String {
    format!("{}: {}", v.rule().section(), message(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::opcode::OpCode;

    #[test]
    fn sentences_carry_the_numbers() {
        let v = Violation::new(Kind::ControlTooLong {
            opcode: OpCode::Ping,
            len: 130,
        });
        assert_eq!(
            violation(&v),
            "RFC 6455 §5.5: ping frame has a payload of 130 bytes; control frames carry at most 125"
        );
        let v = Violation::new(Kind::CloseCode { code: 1005 });
        assert!(
            message(&v).contains("1005 (No Status Received)"),
            "{}",
            message(&v)
        );
        let v = Violation::new(Kind::TruncatedPayload {
            announced: 5,
            present: 1,
        });
        assert!(message(&v).contains("(4 missing)"), "{}", message(&v));
    }
}
