//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2):
//! computing the accept value step by step, checking a key, making one.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID that RFC 6455 §1.3 appends to the client's key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The four steps of RFC 6455 §4.2.2 / MDN's guide for computing
/// `Sec-WebSocket-Accept`, each intermediate value kept so that
/// `accept-key -v` can show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptSteps {
    /// Step 1: the key as sent, trimmed of surrounding whitespace (not base64-decoded).
    pub key: String,
    /// Step 2: the key followed by [`GUID`].
    pub concatenated: String,
    /// Step 3: the SHA-1 digest of `concatenated`.
    pub sha1: [u8; 20],
    /// Step 4: `sha1` in base64: the value of `Sec-WebSocket-Accept`.
    pub accept: String,
}

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`, keeping every step.
///
/// The key is used as a string, exactly as RFC 6455 §4.2.2 says (trimmed, not
/// decoded), so an invalid key still yields a value; see [`check_key`].
pub fn accept_steps(key: &str) -> AcceptSteps {
    let key = key.trim().to_owned();
    let concatenated = format!("{key}{GUID}");
    let sha1: [u8; 20] = Sha1::digest(concatenated.as_bytes()).into();
    let accept = STANDARD.encode(sha1);
    AcceptSteps {
        key,
        concatenated,
        sha1,
        accept,
    }
}

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`
/// (`base64(SHA-1(key + GUID))`, RFC 6455 §4.2.2).
pub fn accept_key(key: &str) -> String {
    accept_steps(key).accept
}

/// What is wrong with a `Sec-WebSocket-Key` value (RFC 6455 §4.1: the base64
/// of 16 random bytes, so 24 characters ending in `==`).
///
/// Character indexes are 0-based and count `char`s of the string given to
/// [`check_key`], including any leading whitespace it trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// The key is empty or only whitespace.
    Empty,
    /// A character outside the base64 alphabet.
    NotBase64 {
        /// Index of the offending character.
        index: usize,
        /// The offending character.
        found: char,
    },
    /// `=` somewhere other than as one or two padding characters at the very end.
    BadPadding {
        /// Index of the first misplaced `=`.
        index: usize,
    },
    /// The key's length is not a multiple of 4, so it is not padded base64.
    BadLength {
        /// Number of characters in the trimmed key.
        chars: usize,
    },
    /// The last character before the padding sets bits that the padding says
    /// are unused, so the text is not the canonical base64 of any bytes.
    NonCanonical {
        /// Index of that character.
        index: usize,
    },
    /// Valid base64, but not of 16 bytes.
    WrongLength {
        /// How many bytes the key decodes to.
        decoded: usize,
    },
}

/// Checks that a `Sec-WebSocket-Key` is the canonical base64 of 16 bytes
/// (RFC 6455 §4.1) and returns those bytes.
///
/// Surrounding whitespace is ignored, as [`accept_steps`] ignores it. The first
/// problem in reading order is reported.
///
/// # Errors
///
/// The [`KeyProblem`] that makes the key invalid.
pub fn check_key(key: &str) -> Result<[u8; 16], KeyProblem> {
    let trimmed = key.trim();
    if trimmed.is_empty() {
        return Err(KeyProblem::Empty);
    }
    // Report indexes in the caller's string, not the trimmed one.
    let lead = key[..key.len() - key.trim_start().len()].chars().count();
    let mut first_pad: Option<usize> = None;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => {
                if let Some(p) = first_pad {
                    return Err(KeyProblem::BadPadding { index: lead + p });
                }
            }
            '=' => {
                first_pad.get_or_insert(i);
            }
            _ => {
                return Err(KeyProblem::NotBase64 {
                    index: lead + i,
                    found: c,
                })
            }
        }
    }
    // From here on every character is ASCII, so byte and char indexes agree.
    let bytes = trimmed.as_bytes();
    let n = bytes.len();
    let pads = first_pad.map_or(0, |p| n - p);
    if pads > 2 {
        return Err(KeyProblem::BadPadding {
            index: lead + first_pad.unwrap_or(0),
        });
    }
    if !n.is_multiple_of(4) {
        return Err(KeyProblem::BadLength { chars: n });
    }
    if pads > 0 {
        let last = n - pads - 1;
        let unused_bits = if pads == 2 { 0x0F } else { 0x03 };
        if sextet(bytes[last]) & unused_bits != 0 {
            return Err(KeyProblem::NonCanonical { index: lead + last });
        }
    }
    let decoded = n / 4 * 3 - pads;
    if decoded != 16 {
        return Err(KeyProblem::WrongLength { decoded });
    }
    // Everything the decoder could object to has been ruled out above; the
    // fallbacks only keep this panic-free.
    let raw = STANDARD
        .decode(bytes)
        .map_err(|_| KeyProblem::NonCanonical { index: lead })?;
    raw.try_into()
        .map_err(|v: Vec<u8>| KeyProblem::WrongLength { decoded: v.len() })
}

fn sextet(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0,
    }
}

/// A `Sec-WebSocket-Key` for 16 random bytes the caller supplies (RFC 6455 §4.1).
pub fn key_from_bytes(random: [u8; 16]) -> String {
    STANDARD.encode(random)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fixtures::RFC_KEY;

    #[test]
    fn rfc_1_3_key_gives_rfc_accept() {
        assert_eq!(accept_key(RFC_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let steps = accept_steps(RFC_KEY);
        assert_eq!(steps.key, RFC_KEY);
        assert_eq!(
            steps.concatenated,
            "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        );
        // The digest RFC 6455 §1.3 prints: 0xb3 0x7a 0x4f 0x2c ... 0xc4 0xea.
        assert_eq!(
            steps.sha1,
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38,
                0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        assert_eq!(steps.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            check_key(RFC_KEY).map(|b| b.to_vec()),
            Ok(b"the sample nonce".to_vec())
        );
    }

    #[test]
    fn mdn_key_is_too_short_but_still_has_an_accept_value() {
        assert_eq!(
            check_key("dGhlIHNhbXBsZQ=="),
            Err(KeyProblem::WrongLength { decoded: 10 })
        );
        // Independent computation, run in a shell:
        //   printf '%s' 'dGhlIHNhbXBsZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum
        //   -> 3843d23676ef6b1627b3e1184afefe7369018fea
        //   ... | sha1sum | cut -d' ' -f1 | xxd -r -p | base64
        //   -> OEPSNnbvaxYns+EYSv7+c2kBj+o=
        let steps = accept_steps("dGhlIHNhbXBsZQ==");
        assert_eq!(
            steps.sha1,
            [
                0x38, 0x43, 0xd2, 0x36, 0x76, 0xef, 0x6b, 0x16, 0x27, 0xb3, 0xe1, 0x18, 0x4a, 0xfe,
                0xfe, 0x73, 0x69, 0x01, 0x8f, 0xea
            ]
        );
        assert_eq!(steps.accept, "OEPSNnbvaxYns+EYSv7+c2kBj+o=");
        assert_eq!(
            accept_key("dGhlIHNhbXBsZQ=="),
            "OEPSNnbvaxYns+EYSv7+c2kBj+o="
        );
    }

    #[test]
    fn accept_steps_trim_whitespace() {
        let steps = accept_steps(" \tdGhlIHNhbXBsZSBub25jZQ==\r\n");
        assert_eq!(steps.key, RFC_KEY);
        assert_eq!(steps.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn key_problems() {
        use KeyProblem::*;
        assert_eq!(check_key(""), Err(Empty));
        assert_eq!(check_key(" \t "), Err(Empty));
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZQ=!"),
            Err(NotBase64 {
                index: 23,
                found: '!'
            })
        );
        assert_eq!(
            check_key("dGhl IHNhbXBsZSBub25jZQ=="),
            Err(NotBase64 {
                index: 4,
                found: ' '
            })
        );
        // URL-safe base64 is not what RFC 6455 uses.
        assert_eq!(
            check_key("dGhl_HNhbXBsZSBub25jZQ=="),
            Err(NotBase64 {
                index: 4,
                found: '_'
            })
        );
        // Indexes count chars of the string given, leading whitespace included.
        assert_eq!(
            check_key("  dGé"),
            Err(NotBase64 {
                index: 4,
                found: 'é'
            })
        );
        assert_eq!(
            check_key("dGhl=HNhbXBsZSBub25jZQ=="),
            Err(BadPadding { index: 4 })
        );
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25j===="),
            Err(BadPadding { index: 20 })
        );
        assert_eq!(check_key("dGhlIHNhbXBsZQ"), Err(BadLength { chars: 14 }));
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZQ="),
            Err(BadLength { chars: 23 })
        );
        // 'R' = 17 = 0b010001: its low 4 bits are not zero, unlike 'Q' = 0b010000.
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZR=="),
            Err(NonCanonical { index: 21 })
        );
        assert_eq!(
            check_key("dGhlIHNhbXBsZSBub25jZSB4"),
            Err(WrongLength { decoded: 18 })
        );
        assert_eq!(
            check_key("AAAAAAAAAAAAAAAAAAAAAAA="),
            Err(WrongLength { decoded: 17 })
        );
        assert!(check_key(" dGhlIHNhbXBsZSBub25jZQ== ").is_ok());
    }

    #[test]
    fn key_from_bytes_round_trips() {
        assert_eq!(key_from_bytes(*b"the sample nonce"), RFC_KEY);
        for seed in 0u8..=255 {
            let bytes: [u8; 16] =
                std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 17));
            let key = key_from_bytes(bytes);
            assert_eq!(key.len(), 24);
            assert!(key.ends_with("=="));
            assert_eq!(check_key(&key), Ok(bytes));
        }
    }
}
