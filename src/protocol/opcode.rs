//! Frame opcodes (RFC 6455 §5.2, §11.8).

/// The 4-bit opcode of a frame, reserved values included so that a debugger
/// can show a frame that uses one instead of refusing to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// 0x3–0x7 and 0xB–0xF: reserved for future use.
    Reserved(u8),
}

impl OpCode {
    /// Reads the low four bits of `bits`.
    pub fn from_bits(bits: u8) -> Self {
        match bits & 0x0f {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            other => Self::Reserved(other),
        }
    }

    /// The 4-bit value on the wire.
    pub fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xa,
            Self::Reserved(b) => b & 0x0f,
        }
    }

    /// Control frames are those whose opcode has the high bit set (§5.5).
    pub fn is_control(self) -> bool {
        self.bits() & 0x08 != 0
    }

    /// True for the opcodes RFC 6455 leaves reserved.
    pub fn is_reserved(self) -> bool {
        matches!(self, Self::Reserved(_))
    }

    /// Lower-case name as used in annotations and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Continuation => "continuation",
            Self::Text => "text",
            Self::Binary => "binary",
            Self::Close => "close",
            Self::Ping => "ping",
            Self::Pong => "pong",
            Self::Reserved(b) if b & 0x08 != 0 => "reserved control",
            Self::Reserved(_) => "reserved non-control",
        }
    }

    /// Parses a name (`text`, `binary`, `close`, `ping`, `pong`,
    /// `continuation`/`cont`) or a number (`1`, `0x1`, `0xa`) into an opcode.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let named = match s.as_str() {
            "continuation" | "cont" => Some(Self::Continuation),
            "text" => Some(Self::Text),
            "binary" | "bin" => Some(Self::Binary),
            "close" => Some(Self::Close),
            "ping" => Some(Self::Ping),
            "pong" => Some(Self::Pong),
            _ => None,
        };
        if named.is_some() {
            return named;
        }
        let n = match s.strip_prefix("0x") {
            Some(hex) => u8::from_str_radix(hex, 16).ok()?,
            None => s.parse::<u8>().ok()?,
        };
        (n <= 0x0f).then(|| Self::from_bits(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for b in 0u8..16 {
            assert_eq!(OpCode::from_bits(b).bits(), b);
        }
    }

    #[test]
    fn control_and_reserved() {
        assert!(OpCode::Close.is_control());
        assert!(OpCode::Ping.is_control());
        assert!(!OpCode::Text.is_control());
        assert!(OpCode::from_bits(0xb).is_control());
        assert!(OpCode::from_bits(0x3).is_reserved());
        assert!(!OpCode::from_bits(0x3).is_control());
        assert_eq!(OpCode::from_bits(0xf).name(), "reserved control");
    }

    #[test]
    fn parse_names_and_numbers() {
        assert_eq!(OpCode::parse("Text"), Some(OpCode::Text));
        assert_eq!(OpCode::parse("0xa"), Some(OpCode::Pong));
        assert_eq!(OpCode::parse("3"), Some(OpCode::Reserved(3)));
        assert_eq!(OpCode::parse("16"), None);
        assert_eq!(OpCode::parse("txt"), None);
    }
}
