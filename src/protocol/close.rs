//! Close frame status codes and payloads (RFC 6455 §5.5.1, §7.4).

/// A close status code as it appears in the first two bytes of a close
/// frame's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

/// Where a close code falls among the ranges of RFC 6455 §7.4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseClass {
    /// Defined by RFC 6455 (or registered with IANA later) and allowed on the wire.
    Standard,
    /// 1005, 1006, 1015: "MUST NOT be set as a status code in a Close control frame".
    NotOnWire,
    /// 1004 and 1016–2999: reserved for future versions of the protocol.
    Reserved,
    /// 3000–3999: registered with IANA by libraries and frameworks.
    Registered,
    /// 4000–4999: private use by applications.
    Private,
    /// 0–999 and 5000 and up: not used by any specification.
    OutOfRange,
}

impl CloseCode {
    /// The range this code belongs to.
    pub fn class(self) -> CloseClass {
        match self.0 {
            1000..=1003 | 1007..=1014 => CloseClass::Standard,
            1005 | 1006 | 1015 => CloseClass::NotOnWire,
            1004 | 1016..=2999 => CloseClass::Reserved,
            3000..=3999 => CloseClass::Registered,
            4000..=4999 => CloseClass::Private,
            _ => CloseClass::OutOfRange,
        }
    }

    /// Whether an endpoint may send this code in a close frame.
    pub fn is_allowed_on_wire(self) -> bool {
        matches!(
            self.class(),
            CloseClass::Standard | CloseClass::Registered | CloseClass::Private
        )
    }

    /// The code's name from RFC 6455 §7.4.1 and the IANA registry, or a
    /// description of its range.
    pub fn name(self) -> &'static str {
        match self.0 {
            1000 => "Normal Closure",
            1001 => "Going Away",
            1002 => "Protocol Error",
            1003 => "Unsupported Data",
            1004 => "Reserved",
            1005 => "No Status Received",
            1006 => "Abnormal Closure",
            1007 => "Invalid Frame Payload Data",
            1008 => "Policy Violation",
            1009 => "Message Too Big",
            1010 => "Mandatory Extension",
            1011 => "Internal Error",
            1012 => "Service Restart",
            1013 => "Try Again Later",
            1014 => "Bad Gateway",
            1015 => "TLS Handshake",
            _ => match self.class() {
                CloseClass::Reserved => "reserved for future use",
                CloseClass::Registered => "registered (library/framework)",
                CloseClass::Private => "private use",
                _ => "out of range",
            },
        }
    }

    /// Why this code may not be sent, when it may not.
    pub fn why_not_allowed(self) -> Option<&'static str> {
        match self.class() {
            CloseClass::NotOnWire => Some("it is reserved to report a condition locally and must never be sent (RFC 6455 §7.4.1)"),
            CloseClass::Reserved => Some("1004 and 1016-2999 are reserved for future versions of the protocol (RFC 6455 §7.4.2)"),
            CloseClass::OutOfRange => Some("codes below 1000 and from 5000 up are not used (RFC 6455 §7.4.2)"),
            _ => None,
        }
    }
}

impl std::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.name())
    }
}

/// The parts of a close frame's payload: an optional code and a reason
/// (raw bytes, which should be UTF-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosePayload<'a> {
    /// Present when the payload has at least two bytes.
    pub code: Option<CloseCode>,
    /// What follows the code.
    pub reason: &'a [u8],
}

impl<'a> ClosePayload<'a> {
    /// Splits an unmasked close payload. A one-byte payload has no code and
    /// keeps its byte as the reason; the checks in `rules` flag it.
    pub fn parse(payload: &'a [u8]) -> Self {
        match payload {
            [hi, lo, reason @ ..] => Self {
                code: Some(CloseCode(u16::from_be_bytes([*hi, *lo]))),
                reason,
            },
            _ => Self {
                code: None,
                reason: payload,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_rfc_ranges() {
        for (code, allowed) in [
            (999, false),
            (1000, true),
            (1003, true),
            (1004, false),
            (1005, false),
            (1006, false),
            (1007, true),
            (1011, true),
            (1014, true),
            (1015, false),
            (1016, false),
            (2999, false),
            (3000, true),
            (4999, true),
            (5000, false),
            (0, false),
            (65535, false),
        ] {
            assert_eq!(CloseCode(code).is_allowed_on_wire(), allowed, "{code}");
            assert_eq!(
                CloseCode(code).why_not_allowed().is_none(),
                allowed,
                "{code}"
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(CloseCode(1002).to_string(), "1002 Protocol Error");
        assert_eq!(CloseCode(4001).name(), "private use");
    }

    #[test]
    fn parse_payloads() {
        let p = ClosePayload::parse(&[0x03, 0xe8, b'b', b'y', b'e']);
        assert_eq!(p.code, Some(CloseCode(1000)));
        assert_eq!(p.reason, b"bye");
        assert_eq!(ClosePayload::parse(&[]).code, None);
        let one = ClosePayload::parse(&[0x03]);
        assert_eq!((one.code, one.reason), (None, &[0x03][..]));
    }
}
