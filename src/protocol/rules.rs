//! The rules of RFC 6455 §5 as named checks. Each violation says what the
//! peer did, with the numbers, and which section it breaks.

use super::close::ClosePayload;
use super::frame::{FrameHeader, LengthForm};
use super::utf8;
use super::Role;

/// The part of a frame a rule is about, so a printer can mark that line.
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

/// A rule of RFC 6455 that a frame or a sequence of frames can break.
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
        }
    }

    /// The field a printer should mark.
    pub fn field(self) -> Field {
        match self {
            Self::ReservedBit => Field::Rsv(0),
            Self::ReservedOpcode => Field::Opcode,
            Self::ControlTooLong | Self::NonMinimalLength | Self::LengthTopBit => Field::Length,
            Self::ControlFragmented => Field::Fin,
            Self::UnmaskedClientFrame | Self::MaskedServerFrame => Field::Mask,
            Self::CloseLengthOne | Self::CloseCode | Self::CloseReasonUtf8 | Self::TextUtf8 => {
                Field::Payload
            }
            Self::ContinuationWithoutMessage | Self::DataInsideMessage => Field::Opcode,
            Self::FrameAfterClose | Self::Truncated => Field::Frame,
            Self::CompressedBitMisplaced => Field::Rsv(0),
            Self::BadCompressedData => Field::Payload,
        }
    }
}

/// One rule broken, described with what the peer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The field concerned (for RSV bits, which one).
    pub field: Field,
    /// What the frame did, with its numbers: "RSV1 is set but no extension
    /// was negotiated".
    pub message: String,
}

impl Violation {
    /// A violation marked on the rule's usual field.
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Self {
            rule,
            field: rule.field(),
            message: message.into(),
        }
    }

    /// The violation as one line: "RFC 6455 §5.2: ...".
    pub fn describe(&self) -> String {
        format!("{}: {}", self.rule.section(), self.message)
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// What the checks need to know beyond the header itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// Who sent the frame, when known (decides the masking rule).
    pub from: Option<Role>,
    /// RSV bits an extension allows, as `[rsv1, rsv2, rsv3]`.
    pub allowed_rsv: [bool; 3],
}

/// Checks the rules that a header breaks on its own.
pub fn check_header(h: &FrameHeader, ctx: &Context) -> Vec<Violation> {
    let mut out = Vec::new();
    for i in 0..3 {
        if h.rsv[i] && !ctx.allowed_rsv[i] {
            out.push(Violation {
                rule: Rule::ReservedBit,
                field: Field::Rsv(i as u8),
                message: format!(
                    "RSV{} is set but no extension was negotiated that defines it",
                    i + 1
                ),
            });
        }
    }
    if h.opcode.is_reserved() {
        out.push(Violation::new(
            Rule::ReservedOpcode,
            format!(
                "opcode 0x{:x} is reserved for future {} frames",
                h.opcode.bits(),
                if h.opcode.is_control() {
                    "control"
                } else {
                    "non-control"
                }
            ),
        ));
    }
    if h.opcode.is_control() {
        if h.payload_len > 125 {
            out.push(Violation::new(
                Rule::ControlTooLong,
                format!(
                    "{} frame has a payload of {} bytes; control frames carry at most 125",
                    h.opcode.name(),
                    h.payload_len
                ),
            ));
        }
        if !h.fin {
            out.push(Violation::new(
                Rule::ControlFragmented,
                format!(
                    "{} frame has FIN=0; control frames must not be fragmented",
                    h.opcode.name()
                ),
            ));
        }
    }
    if h.length_form == LengthForm::Long && h.payload_len >> 63 != 0 {
        out.push(Violation::new(
            Rule::LengthTopBit,
            format!(
                "64-bit length 0x{:016x} has its most significant bit set; it must be 0",
                h.payload_len
            ),
        ));
    } else if h.length_form != LengthForm::minimal(h.payload_len) {
        out.push(Violation::new(
            Rule::NonMinimalLength,
            format!(
                "length {} is written in the {} form; the minimal number of bytes ({}) must be used",
                h.payload_len,
                h.length_form.name(),
                LengthForm::minimal(h.payload_len).name()
            ),
        ));
    }
    match (ctx.from, h.mask.is_some()) {
        (Some(Role::Client), false) => out.push(Violation::new(
            Rule::UnmaskedClientFrame,
            "frame from the client is not masked; a client must mask every frame",
        )),
        (Some(Role::Server), true) => out.push(Violation::new(
            Rule::MaskedServerFrame,
            "frame from the server is masked; a server must not mask its frames",
        )),
        _ => {}
    }
    out
}

/// Checks an unmasked close payload: length, code, reason.
pub fn check_close(payload: &[u8]) -> Vec<Violation> {
    let mut out = Vec::new();
    if payload.len() == 1 {
        out.push(Violation::new(
            Rule::CloseLengthOne,
            format!(
                "close payload is 1 byte (0x{:02x}); it must be empty or start with a 2-byte status code",
                payload[0]
            ),
        ));
        return out;
    }
    let close = ClosePayload::parse(payload);
    if let Some(code) = close.code {
        if let Some(why) = code.why_not_allowed() {
            out.push(Violation::new(
                Rule::CloseCode,
                format!(
                    "close code {} ({}) may not be sent: {}",
                    code.0,
                    code.name(),
                    why
                ),
            ));
        }
    }
    if let Err(e) = utf8::validate(close.reason) {
        out.push(Violation::new(
            Rule::CloseReasonUtf8,
            format!(
                "close reason is not UTF-8: {} of the reason (payload byte {})",
                e,
                e.offset + 2
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::frame::HeaderParse;
    use super::*;

    fn rules(bytes: &[u8], from: Option<Role>) -> Vec<Rule> {
        let HeaderParse::Complete(h) = FrameHeader::parse(bytes) else {
            panic!("incomplete header");
        };
        check_header(
            &h,
            &Context {
                from,
                ..Context::default()
            },
        )
        .into_iter()
        .map(|v| v.rule)
        .collect()
    }

    macro_rules! header_rules {
        ($($name:ident: $bytes:expr, $from:expr => [$($rule:ident),*];)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(rules(&$bytes, $from), vec![$(Rule::$rule),*]);
            }
        )*};
    }

    const C: Option<Role> = Some(Role::Client);
    const S: Option<Role> = Some(Role::Server);

    header_rules! {
        mdn_from_client_is_clean: [0x81, 0x83, 0x3d, 0x54, 0x23, 0x06], C => [];
        rfc_unmasked_hello_from_server_is_clean: [0x81, 0x05], S => [];
        unmasked_from_client: [0x81, 0x05], C => [UnmaskedClientFrame];
        masked_from_server: [0x81, 0x85, 1, 2, 3, 4], S => [MaskedServerFrame];
        direction_unknown_checks_no_mask: [0x81, 0x05], None => [];
        rsv1: [0xc1, 0x00], None => [ReservedBit];
        all_rsv: [0xf1, 0x00], None => [ReservedBit, ReservedBit, ReservedBit];
        reserved_data_opcode: [0x83, 0x00], None => [ReservedOpcode];
        reserved_control_opcode: [0x8b, 0x00], None => [ReservedOpcode];
        ping_126_bytes: [0x89, 0x7e, 0x00, 0x7e], None => [ControlTooLong];
        close_not_final: [0x08, 0x00], None => [ControlFragmented];
        pong_not_final_and_long: [0x0a, 0x7e, 0x00, 0x80], None => [ControlTooLong, ControlFragmented];
        non_minimal_16: [0x82, 0x7e, 0x00, 0x7d], None => [NonMinimalLength];
        non_minimal_64: [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff], None => [NonMinimalLength];
        minimal_64: [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0], None => [];
        top_bit: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1], None => [LengthTopBit];
    }

    #[test]
    fn messages_carry_numbers() {
        let HeaderParse::Complete(h) = FrameHeader::parse(&[0x89, 0x7e, 0x00, 0x82]) else {
            panic!()
        };
        let v = check_header(&h, &Context::default());
        assert_eq!(v[0].to_string(), "RFC 6455 §5.5: ping frame has a payload of 130 bytes; control frames carry at most 125");
    }

    #[test]
    fn extension_allows_rsv1() {
        let HeaderParse::Complete(h) = FrameHeader::parse(&[0xc1, 0x00]) else {
            panic!()
        };
        let ctx = Context {
            from: None,
            allowed_rsv: [true, false, false],
        };
        assert!(check_header(&h, &ctx).is_empty());
    }

    #[test]
    fn close_payloads() {
        let ids = |p: &[u8]| {
            check_close(p)
                .into_iter()
                .map(|v| v.rule)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&[]), vec![]);
        assert_eq!(ids(&[0x03, 0xe8]), vec![]);
        assert_eq!(ids(&[0x03, 0xe8, b'o', b'k']), vec![]);
        assert_eq!(ids(&[0x03]), vec![Rule::CloseLengthOne]);
        for code in [999u16, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 0] {
            assert_eq!(ids(&code.to_be_bytes()), vec![Rule::CloseCode], "{code}");
        }
        for code in [1000u16, 1001, 1002, 1003, 1007, 1011, 3000, 4999] {
            assert_eq!(ids(&code.to_be_bytes()), vec![], "{code}");
        }
        assert_eq!(
            ids(&[0x03, 0xe8, 0xce, 0xba, 0xff]),
            vec![Rule::CloseReasonUtf8]
        );
        let v = check_close(&[0x03, 0xed]);
        assert!(
            v[0].message.contains("1005 (No Status Received)"),
            "{}",
            v[0].message
        );
    }
}
