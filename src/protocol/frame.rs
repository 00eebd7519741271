//! Frame header parsing and encoding (RFC 6455 §5.2).
//!
//! The parser reads anything, reserved bits and opcodes included: a
//! debugger shows a bad frame instead of refusing it. The checks live in
//! [`crate::protocol::rules`].

use super::mask::apply_mask;
use super::opcode::OpCode;

/// Which of the three payload length encodings a header used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthForm {
    /// 0–125 in the 7-bit field.
    Short,
    /// 126 in the 7-bit field, then a 16-bit length.
    Medium,
    /// 127 in the 7-bit field, then a 64-bit length.
    Long,
}

impl LengthForm {
    /// The smallest form that can carry `len`.
    pub fn minimal(len: u64) -> Self {
        match len {
            0..=125 => Self::Short,
            126..=0xffff => Self::Medium,
            _ => Self::Long,
        }
    }

    /// The form from its number of bits: `7`, `16` or `64`.
    pub fn parse(bits: &str) -> Option<Self> {
        match bits {
            "7" => Some(Self::Short),
            "16" => Some(Self::Medium),
            "64" => Some(Self::Long),
            _ => None,
        }
    }

    /// Bytes of extended length after the second header byte.
    pub fn extra_bytes(self) -> usize {
        match self {
            Self::Short => 0,
            Self::Medium => 2,
            Self::Long => 8,
        }
    }

    /// "7-bit", "16-bit" or "64-bit".
    pub fn name(self) -> &'static str {
        match self {
            Self::Short => "7-bit",
            Self::Medium => "16-bit",
            Self::Long => "64-bit",
        }
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the last frame of a message.
    pub fin: bool,
    /// RSV1, RSV2, RSV3.
    pub rsv: [bool; 3],
    /// The opcode, reserved values included.
    pub opcode: OpCode,
    /// The masking key when the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length the header announces.
    pub payload_len: u64,
    /// How the length was encoded (needed to check minimal encoding).
    pub length_form: LengthForm,
}

/// The result of parsing a header from a buffer that may be short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderParse {
    /// The whole header was there; it occupies `header.len()` bytes.
    Complete(FrameHeader),
    /// The buffer ends inside the header; at least `needed` more bytes
    /// are required before it can be read.
    Partial {
        /// How many more bytes the header needs.
        needed: usize,
    },
}

impl FrameHeader {
    /// A header with the minimal length form, no reserved bits.
    pub fn new(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload_len: u64) -> Self {
        Self {
            fin,
            rsv: [false; 3],
            opcode,
            mask,
            payload_len,
            length_form: LengthForm::minimal(payload_len),
        }
    }

    /// Parses a header from the start of `buf`. Never fails: short input is
    /// [`HeaderParse::Partial`] with the number of bytes still missing.
    pub fn parse(buf: &[u8]) -> HeaderParse {
        let (b0, b1) = match buf {
            [b0, b1, ..] => (*b0, *b1),
            _ => {
                return HeaderParse::Partial {
                    needed: 2 - buf.len(),
                }
            }
        };
        let masked = b1 & 0x80 != 0;
        let length_form = match b1 & 0x7f {
            126 => LengthForm::Medium,
            127 => LengthForm::Long,
            _ => LengthForm::Short,
        };
        let total = 2 + length_form.extra_bytes() + if masked { 4 } else { 0 };
        if buf.len() < total {
            return HeaderParse::Partial {
                needed: total - buf.len(),
            };
        }
        let ext_end = 2 + length_form.extra_bytes();
        let payload_len = match length_form {
            LengthForm::Short => u64::from(b1 & 0x7f),
            LengthForm::Medium => u64::from(u16::from_be_bytes([buf[2], buf[3]])),
            LengthForm::Long => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&buf[2..10]);
                u64::from_be_bytes(be)
            }
        };
        let mask = masked.then(|| {
            [
                buf[ext_end],
                buf[ext_end + 1],
                buf[ext_end + 2],
                buf[ext_end + 3],
            ]
        });
        HeaderParse::Complete(Self {
            fin: b0 & 0x80 != 0,
            rsv: [b0 & 0x40 != 0, b0 & 0x20 != 0, b0 & 0x10 != 0],
            opcode: OpCode::from_bits(b0),
            mask,
            payload_len,
            length_form,
        })
    }

    /// Encoded size of the header in bytes (2 to 14).
    pub fn len(&self) -> usize {
        2 + self.length_form.extra_bytes() + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Always false: a header is at least two bytes. Present because
    /// `len` is.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The first header byte: FIN, RSV1-3, opcode.
    pub fn first_byte(&self) -> u8 {
        self.opcode.bits()
            | u8::from(self.fin) << 7
            | u8::from(self.rsv[0]) << 6
            | u8::from(self.rsv[1]) << 5
            | u8::from(self.rsv[2]) << 4
    }

    /// The second header byte: MASK and the 7-bit length field.
    pub fn second_byte(&self) -> u8 {
        let len7 = match self.length_form {
            // A short form can only hold 0-125; larger values are truncated
            // to 7 bits so that encoding a deliberately wrong header cannot
            // spill into the MASK bit.
            LengthForm::Short => (self.payload_len & 0x7f) as u8,
            LengthForm::Medium => 126,
            LengthForm::Long => 127,
        };
        len7 | if self.mask.is_some() { 0x80 } else { 0 }
    }

    /// Appends the encoded header to `out`, using `length_form` as given
    /// (so non-minimal encodings can be produced on purpose).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let (bytes, n) = self.to_bytes();
        out.extend_from_slice(&bytes[..n]);
    }

    /// The encoded header in a fixed array, and how many of its bytes it
    /// takes (see [`FrameHeader::encode`]).
    pub fn to_bytes(&self) -> ([u8; 14], usize) {
        let mut b = [0u8; 14];
        b[0] = self.first_byte();
        b[1] = self.second_byte();
        let mut n = 2;
        match self.length_form {
            LengthForm::Short => {}
            LengthForm::Medium => {
                b[2..4].copy_from_slice(&(self.payload_len as u16).to_be_bytes());
                n = 4;
            }
            LengthForm::Long => {
                b[2..10].copy_from_slice(&self.payload_len.to_be_bytes());
                n = 10;
            }
        }
        if let Some(key) = self.mask {
            b[n..n + 4].copy_from_slice(&key);
            n += 4;
        }
        (b, n)
    }
}

/// Appends a whole frame: `header` then `payload` (unmasked data), masked
/// with the header's key when it has one. The header's `payload_len` must
/// equal `payload.len()`.
pub fn encode_frame(header: &FrameHeader, payload: &[u8], out: &mut Vec<u8>) {
    debug_assert_eq!(header.payload_len, payload.len() as u64);
    if header.mask.is_none() && header.length_form == LengthForm::Short {
        // The common answer of a server: two header bytes, then the payload.
        out.reserve(2 + payload.len());
        out.extend_from_slice(&[header.first_byte(), header.second_byte()]);
        out.extend_from_slice(payload);
        return;
    }
    out.reserve(header.len() + payload.len());
    header.encode(out);
    match header.mask {
        Some(key) => {
            let start = out.len();
            out.extend_from_slice(payload);
            apply_mask(&mut out[start..], key, 0);
        }
        None => out.extend_from_slice(payload),
    }
}

/// A frame to build by hand, with any bits a sender might get wrong: the
/// one description behind `mask --frame` and the consoles' `/frame`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameSpec {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1, RSV2, RSV3.
    pub rsv: [bool; 3],
    /// The opcode, any of the 16.
    pub opcode: OpCode,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length the header claims (default: the payload's own).
    pub length: Option<u64>,
    /// How the length is written (default: the shortest form that holds it).
    pub form: Option<LengthForm>,
}

/// A [`FrameSpec`] that no header can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecError {
    /// The length to write.
    pub length: u64,
    /// The form asked for, too short for it.
    pub form: LengthForm,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max: u64 = match self.form {
            LengthForm::Short => 125,
            LengthForm::Medium => 0xffff,
            LengthForm::Long => u64::MAX,
        };
        write!(
            f,
            "a {} length holds at most {max}, not {}",
            self.form.name(),
            self.length
        )
    }
}

impl FrameSpec {
    /// A final frame of `opcode`, masked with `mask` if given.
    pub fn new(opcode: OpCode, mask: Option<[u8; 4]>) -> Self {
        Self {
            fin: true,
            rsv: [false; 3],
            opcode,
            mask,
            length: None,
            form: None,
        }
    }

    /// The header for a payload of `payload_len` bytes.
    pub fn header(&self, payload_len: usize) -> Result<FrameHeader, SpecError> {
        let length = self.length.unwrap_or(payload_len as u64);
        let form = self.form.unwrap_or(LengthForm::minimal(length));
        let fits = match form {
            LengthForm::Short => length <= 125,
            LengthForm::Medium => length <= 0xffff,
            LengthForm::Long => true,
        };
        if !fits {
            return Err(SpecError { length, form });
        }
        Ok(FrameHeader {
            fin: self.fin,
            rsv: self.rsv,
            opcode: self.opcode,
            mask: self.mask,
            payload_len: length,
            length_form: form,
        })
    }

    /// Appends the frame: its header, then `payload` (masked when the spec
    /// has a key), whatever length the header claims.
    pub fn encode(&self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), SpecError> {
        let header = self.header(payload.len())?;
        header.encode(out);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(key) = header.mask {
            apply_mask(&mut out[start..], key, 0);
        }
        Ok(())
    }
}

/// Whether `bytes` are whole frames and nothing else, from the first byte
/// to the last, each with a known opcode and RSV2 and RSV3 clear, control
/// frames final and at most 125 bytes, and all masked or none: then
/// whether they are masked. This is where frames can be taken up in a
/// stream whose place was lost (a capture that starts inside a frame, or
/// lacks a segment): random bytes almost never pass, their lengths would
/// have to add up. The masking direction and RSV1 are not asked about, so
/// that a peer that breaks those rules is still decoded (and its
/// violations shown).
pub fn whole_frames(bytes: &[u8]) -> Option<bool> {
    let mut at = 0usize;
    let mut masked = None;
    while at < bytes.len() {
        let HeaderParse::Complete(h) = FrameHeader::parse(&bytes[at..]) else {
            return None;
        };
        let control_ok = !h.opcode.is_control() || (h.fin && h.payload_len <= 125);
        let same_mask = *masked.get_or_insert(h.mask.is_some()) == h.mask.is_some();
        if h.opcode.is_reserved() || h.rsv[1] || h.rsv[2] || !control_ok || !same_mask {
            return None;
        }
        at = usize::try_from(h.payload_len)
            .ok()
            .and_then(|n| n.checked_add(at + h.len()))?;
    }
    if at == bytes.len() {
        masked
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> FrameHeader {
        match FrameHeader::parse(buf) {
            HeaderParse::Complete(h) => h,
            other => panic!("expected a complete header, got {other:?}"),
        }
    }

    /// Every proper prefix of a header is Partial with the exact number of
    /// bytes that the next step needs, and the whole is Complete.
    fn assert_prefixes(buf: &[u8]) {
        let h = complete(buf);
        for cut in 0..h.len() {
            match FrameHeader::parse(&buf[..cut]) {
                HeaderParse::Partial { needed } => {
                    assert!(
                        needed >= 1 && cut + needed <= h.len(),
                        "cut {cut} needed {needed}"
                    );
                    if cut >= 2 {
                        assert_eq!(cut + needed, h.len(), "cut {cut}");
                    }
                }
                c => panic!("prefix of {cut} bytes parsed as {c:?}"),
            }
        }
    }

    macro_rules! header_cases {
        ($($name:ident: $bytes:expr => fin $fin:expr, $op:expr, mask $mask:expr, len $len:expr, $form:expr, hlen $hlen:expr;)*) => {$(
            #[test]
            fn $name() {
                let bytes: &[u8] = &$bytes;
                let h = complete(bytes);
                assert_eq!(h.fin, $fin);
                assert_eq!(h.opcode, $op);
                assert_eq!(h.mask, $mask);
                assert_eq!(h.payload_len, $len);
                assert_eq!(h.length_form, $form);
                assert_eq!(h.len(), $hlen);
                assert_prefixes(&bytes[..h.len()]);
                let mut out = Vec::new();
                h.encode(&mut out);
                assert_eq!(out, &bytes[..h.len()], "re-encoding");
            }
        )*};
    }

    header_cases! {
        // MDN's example: 129 131 61 84 35 6 112 16 109
        mdn_masked_text: [0x81, 0x83, 0x3d, 0x54, 0x23, 0x06, 0x70, 0x10, 0x6d]
            => fin true, OpCode::Text, mask Some([0x3d, 0x54, 0x23, 0x06]), len 3, LengthForm::Short, hlen 6;
        // RFC 6455 §5.7 examples.
        rfc_unmasked_hello: [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
            => fin true, OpCode::Text, mask None, len 5, LengthForm::Short, hlen 2;
        rfc_masked_hello: [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
            => fin true, OpCode::Text, mask Some([0x37, 0xfa, 0x21, 0x3d]), len 5, LengthForm::Short, hlen 6;
        rfc_fragment_first: [0x01, 0x03, 0x48, 0x65, 0x6c]
            => fin false, OpCode::Text, mask None, len 3, LengthForm::Short, hlen 2;
        rfc_fragment_last: [0x80, 0x02, 0x6c, 0x6f]
            => fin true, OpCode::Continuation, mask None, len 2, LengthForm::Short, hlen 2;
        rfc_ping: [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
            => fin true, OpCode::Ping, mask None, len 5, LengthForm::Short, hlen 2;
        rfc_masked_pong: [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
            => fin true, OpCode::Pong, mask Some([0x37, 0xfa, 0x21, 0x3d]), len 5, LengthForm::Short, hlen 6;
        rfc_256_bytes: [0x82, 0x7e, 0x01, 0x00]
            => fin true, OpCode::Binary, mask None, len 256, LengthForm::Medium, hlen 4;
        rfc_64_kib: [0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
            => fin true, OpCode::Binary, mask None, len 65536, LengthForm::Long, hlen 10;
        masked_64_bit: [0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]
            => fin true, OpCode::Binary, mask Some([1, 2, 3, 4]), len 65536, LengthForm::Long, hlen 14;
        reserved_opcode_read: [0x83, 0x00]
            => fin true, OpCode::Reserved(3), mask None, len 0, LengthForm::Short, hlen 2;
        top_bit_length_read: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]
            => fin true, OpCode::Binary, mask None, len 1 << 63, LengthForm::Long, hlen 10;
        non_minimal_read: [0x81, 0x7e, 0x00, 0x05]
            => fin true, OpCode::Text, mask None, len 5, LengthForm::Medium, hlen 4;
    }

    #[test]
    fn reserved_bits_are_read() {
        let h = complete(&[0xf1, 0x00]);
        assert_eq!(h.rsv, [true, true, true]);
        assert_eq!(complete(&[0xc1, 0x00]).rsv, [true, false, false]);
        assert_eq!(complete(&[0x91, 0x00]).rsv, [false, false, true]);
    }

    #[test]
    fn the_first_byte_has_each_bit_in_its_place() {
        // RFC 6455 §5.2: FIN 0x80, RSV1 0x40, RSV2 0x20, RSV3 0x10, then
        // the opcode in the low four bits.
        let first = |fin, rsv, opcode| {
            let h = FrameHeader {
                fin,
                rsv,
                opcode,
                mask: None,
                payload_len: 0,
                length_form: LengthForm::Short,
            };
            let mut out = Vec::new();
            encode_frame(&h, b"", &mut out);
            assert_eq!(out[0], h.first_byte());
            h.first_byte()
        };
        let none = [false; 3];
        assert_eq!(first(true, none, OpCode::Continuation), 0x80);
        assert_eq!(
            first(false, [true, false, false], OpCode::Continuation),
            0x40
        );
        assert_eq!(
            first(false, [false, true, false], OpCode::Continuation),
            0x20
        );
        assert_eq!(
            first(false, [false, false, true], OpCode::Continuation),
            0x10
        );
        assert_eq!(first(false, none, OpCode::Reserved(0xf)), 0x0f);
        assert_eq!(first(true, [true; 3], OpCode::Pong), 0xfa);
    }

    #[test]
    fn length_forms_by_their_bits() {
        // The 7-bit field, 126 and a 16-bit length, 127 and a 64-bit one.
        let spec = |bits| FrameSpec {
            form: LengthForm::parse(bits),
            ..FrameSpec::new(OpCode::Text, None)
        };
        for (bits, header) in [
            ("7", &[0x81, 0x02][..]),
            ("16", &[0x81, 0x7e, 0, 2]),
            ("64", &[0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 2]),
        ] {
            assert!(LengthForm::parse(bits).is_some(), "{bits}");
            let mut out = Vec::new();
            spec(bits).encode(b"hi", &mut out).unwrap();
            assert_eq!(out, [header, b"hi"].concat(), "{bits}");
        }
        for bad in ["8", "", "07", "16-bit", "32"] {
            assert_eq!(LengthForm::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn partial_counts() {
        assert_eq!(FrameHeader::parse(&[]), HeaderParse::Partial { needed: 2 });
        assert_eq!(
            FrameHeader::parse(&[0x81]),
            HeaderParse::Partial { needed: 1 }
        );
        assert_eq!(
            FrameHeader::parse(&[0x81, 0xff]),
            HeaderParse::Partial { needed: 12 }
        );
        assert_eq!(
            FrameHeader::parse(&[0x81, 0xfe, 0]),
            HeaderParse::Partial { needed: 5 }
        );
    }

    #[test]
    fn encoder_picks_minimal_form() {
        for (len, form, hlen) in [
            (0, LengthForm::Short, 2),
            (125, LengthForm::Short, 2),
            (126, LengthForm::Medium, 4),
            (65535, LengthForm::Medium, 4),
            (65536, LengthForm::Long, 10),
        ] {
            let h = FrameHeader::new(true, OpCode::Binary, None, len);
            assert_eq!(h.length_form, form);
            assert_eq!(h.len(), hlen);
            let mut out = Vec::new();
            h.encode(&mut out);
            assert_eq!(complete(&out), h);
        }
    }

    #[test]
    fn encode_frame_masks_payload() {
        let h = FrameHeader::new(true, OpCode::Text, Some([0x37, 0xfa, 0x21, 0x3d]), 5);
        let mut out = Vec::new();
        encode_frame(&h, b"Hello", &mut out);
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        let h = FrameHeader::new(true, OpCode::Binary, None, 256);
        let mut out = Vec::new();
        encode_frame(&h, &[7u8; 256], &mut out);
        assert_eq!(&out[..4], [0x82, 0x7e, 0x01, 0x00]);
        assert_eq!(out.len(), 260);
    }

    #[test]
    fn a_spec_builds_what_it_says_even_when_it_lies() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let spec = FrameSpec::new(OpCode::Text, Some([0x37, 0xfa, 0x21, 0x3d]));
        let mut out = Vec::new();
        spec.encode(b"Hello", &mut out).unwrap();
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
        // A fragment with RSV1 and RSV3, claiming 300 bytes in 64 bits.
        let spec = FrameSpec {
            fin: false,
            rsv: [true, false, true],
            length: Some(300),
            form: Some(LengthForm::Long),
            ..FrameSpec::new(OpCode::Binary, None)
        };
        let mut out = Vec::new();
        spec.encode(b"ab", &mut out).unwrap();
        assert_eq!(out, [0x52, 127, 0, 0, 0, 0, 0, 0, 1, 0x2c, b'a', b'b']);
        // A length written in a form too short for it is refused.
        let spec = FrameSpec {
            length: Some(126),
            form: Some(LengthForm::Short),
            ..FrameSpec::new(OpCode::Text, None)
        };
        let e = spec.encode(b"", &mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "a 7-bit length holds at most 125, not 126");
        let spec = FrameSpec {
            length: Some(65_536),
            form: Some(LengthForm::Medium),
            ..spec
        };
        assert!(spec.header(0).is_err());
        assert_eq!(
            FrameSpec {
                length: Some(65_535),
                ..spec
            }
            .header(0)
            .unwrap()
            .len(),
            4
        );
    }

    #[test]
    fn whole_frames_from_first_byte_to_last() {
        // Two unmasked frames; then masked ones.
        assert_eq!(whole_frames(b"\x81\x02hi\x89\x00"), Some(false));
        assert_eq!(whole_frames(b"\x82\x81abcdX"), Some(true));
        // A frame that runs past the end, or bytes after the last frame.
        assert_eq!(whole_frames(b"\x81\x05hi"), None);
        assert_eq!(whole_frames(b"\x81\x02hiX"), None);
        // Masked and unmasked mixed; a reserved opcode; RSV2; a long or
        // fragmented control frame; nothing at all.
        assert_eq!(whole_frames(b"\x81\x00\x81\x80abcd"), None);
        assert_eq!(whole_frames(b"\x83\x00"), None);
        assert_eq!(whole_frames(b"\xa1\x00"), None);
        assert_eq!(whole_frames(b"\x09\x00"), None);
        assert_eq!(whole_frames(b""), None);
        // RSV1 and masking direction are not asked about.
        assert_eq!(whole_frames(b"\xc1\x00"), Some(false));
    }
}
