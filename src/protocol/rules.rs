//! The rules of RFC 6455 §5 that a header or a close payload breaks on
//! their own, as checks that return typed [`Violation`]s.

use super::close::ClosePayload;
use super::frame::{FrameHeader, LengthForm};
use super::utf8;
use super::violation::{Kind, Violation};
use super::Role;

pub use super::violation::{Field, Rule};

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
            out.push(Violation::new(Kind::ReservedBit { bit: i as u8 + 1 }));
        }
    }
    if h.opcode.is_reserved() {
        out.push(Violation::new(Kind::ReservedOpcode {
            opcode: h.opcode.bits(),
        }));
    }
    if h.opcode.is_control() {
        if h.payload_len > 125 {
            out.push(Violation::new(Kind::ControlTooLong {
                opcode: h.opcode,
                len: h.payload_len,
            }));
        }
        if !h.fin {
            out.push(Violation::new(Kind::ControlFragmented { opcode: h.opcode }));
        }
    }
    if h.length_form == LengthForm::Long && h.payload_len >> 63 != 0 {
        out.push(Violation::new(Kind::LengthTopBit { len: h.payload_len }));
    } else if h.length_form != LengthForm::minimal(h.payload_len) {
        out.push(Violation::new(Kind::NonMinimalLength {
            len: h.payload_len,
            form: h.length_form,
        }));
    }
    match (ctx.from, h.mask.is_some()) {
        (Some(Role::Client), false) => out.push(Violation::new(Kind::UnmaskedClientFrame)),
        (Some(Role::Server), true) => out.push(Violation::new(Kind::MaskedServerFrame)),
        _ => {}
    }
    out
}

/// Checks an unmasked close payload: length, code, reason.
pub fn check_close(payload: &[u8]) -> Vec<Violation> {
    let mut out = Vec::new();
    if payload.len() == 1 {
        out.push(Violation::new(Kind::CloseLengthOne { byte: payload[0] }));
        return out;
    }
    let close = ClosePayload::parse(payload);
    if let Some(code) = close.code {
        if !code.is_allowed_on_wire() {
            out.push(Violation::new(Kind::CloseCode { code: code.0 }));
        }
    }
    if let Err(error) = utf8::validate(close.reason) {
        out.push(Violation::new(Kind::CloseReasonUtf8 { error }));
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
        .map(|v| v.rule())
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
        assert_eq!(
            v[0].kind,
            Kind::ControlTooLong {
                opcode: crate::protocol::opcode::OpCode::Ping,
                len: 130
            }
        );
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
                .map(|v| v.rule())
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
        assert_eq!(v[0].kind, Kind::CloseCode { code: 1005 });
    }
}
