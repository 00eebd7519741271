//! Incremental UTF-8 validation across fragments (RFC 6455 §5.6, §8.1).
//!
//! Text messages may be split anywhere, even inside a character, so the
//! validator carries up to three bytes of an unfinished character from one
//! piece to the next. It fails at the first byte that makes the sequence
//! invalid (fail fast, as Autobahn's 6.x cases expect), not at the end of
//! the message.

/// The position of the first byte that cannot be part of valid UTF-8,
/// counted from the start of everything fed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error {
    /// Offset of the offending byte within the whole text.
    pub offset: u64,
    /// True when the text ended in the middle of a character.
    pub incomplete: bool,
}

impl std::fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.incomplete {
            write!(
                f,
                "text ends inside a multi-byte character that starts at byte {}",
                self.offset
            )
        } else {
            write!(f, "invalid UTF-8 at byte {}", self.offset)
        }
    }
}

/// Validates UTF-8 fed in pieces.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: usize,
    /// Bytes fed before `pending` (offset of `pending[0]`).
    consumed: u64,
    failed: Option<Utf8Error>,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next piece. After the first error every call returns it.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), Utf8Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // Finish a character left over from the previous piece, one byte at
        // a time so that the error points at the exact byte.
        while self.pending_len > 0 {
            let Some((&b, rest)) = piece.split_first() else {
                return Ok(());
            };
            self.pending[self.pending_len] = b;
            self.pending_len += 1;
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => {
                    self.consumed += self.pending_len as u64;
                    self.pending_len = 0;
                }
                Err(e) if e.error_len().is_some() => {
                    return Err(self.fail(self.consumed + self.pending_len as u64 - 1, false));
                }
                Err(_) => {}
            }
            piece = rest;
        }
        match std::str::from_utf8(piece) {
            Ok(_) => {
                self.consumed += piece.len() as u64;
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                match e.error_len() {
                    Some(bad) => {
                        // A byte that can start a character was followed by one
                        // that cannot continue it: the follower is at fault.
                        // Any other byte is invalid where it stands.
                        let at = match piece[valid] {
                            0xc2..=0xf4 => valid + bad,
                            _ => valid,
                        };
                        Err(self.fail(self.consumed + at as u64, false))
                    }
                    None => {
                        let tail = &piece[valid..];
                        self.pending[..tail.len()].copy_from_slice(tail);
                        self.pending_len = tail.len();
                        self.consumed += valid as u64;
                        Ok(())
                    }
                }
            }
        }
    }

    /// Ends the text: an unfinished character is an error.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.pending_len > 0 {
            return Err(self.fail(self.consumed, true));
        }
        Ok(())
    }

    fn fail(&mut self, offset: u64, incomplete: bool) -> Utf8Error {
        let e = Utf8Error { offset, incomplete };
        self.failed = Some(e);
        e
    }
}

/// Validates a whole text at once, with the same error positions.
pub fn validate(text: &[u8]) -> Result<(), Utf8Error> {
    let mut v = Utf8Validator::new();
    v.feed(text)?;
    v.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_all_splits(bytes: &[u8], expected: Result<(), Utf8Error>) {
        assert_eq!(validate(bytes), expected, "whole");
        for cut in 0..=bytes.len() {
            let mut v = Utf8Validator::new();
            let r = v
                .feed(&bytes[..cut])
                .and_then(|_| v.feed(&bytes[cut..]))
                .and_then(|_| v.finish());
            assert_eq!(r, expected, "split at {cut}");
        }
        let mut v = Utf8Validator::new();
        let mut r = Ok(());
        for b in bytes {
            r = v.feed(std::slice::from_ref(b));
            if r.is_err() {
                break;
            }
        }
        let r = r.and_then(|_| v.finish());
        assert_eq!(r, expected, "byte by byte");
    }

    #[test]
    fn valid_texts() {
        check_all_splits("Hello-µ@ßöäüàá-UTF-8!!".as_bytes(), Ok(()));
        check_all_splits("κόσμε 𝄞 €".as_bytes(), Ok(()));
        check_all_splits(b"", Ok(()));
    }

    #[test]
    fn invalid_points_at_first_bad_byte() {
        let bad = |offset| {
            Err(Utf8Error {
                offset,
                incomplete: false,
            })
        };
        // Autobahn 6.3.1: "κόσμε" then ED A0 80 (a surrogate) then "edited".
        let mut text = "κόσμε".as_bytes().to_vec();
        let at = text.len() as u64;
        text.extend_from_slice(&[0xed, 0xa0, 0x80, b'e']);
        check_all_splits(&text, bad(at + 1));
        // A lone continuation byte.
        check_all_splits(&[b'a', 0x80, b'b'], bad(1));
        // F4 90 is past U+10FFFF: fails at the second byte already.
        check_all_splits(&[0xf4, 0x90, 0x80, 0x80], bad(1));
        // Overlong encoding of '/'.
        check_all_splits(&[0xc0, 0xaf], bad(0));
        // A start byte cut short by an ASCII byte.
        check_all_splits(&[0xe2, 0x82, b'A'], bad(2));
    }

    #[test]
    fn truncated_character_at_end() {
        check_all_splits(
            &[b'a', 0xe2, 0x82],
            Err(Utf8Error {
                offset: 1,
                incomplete: true,
            }),
        );
    }

    #[test]
    fn error_is_sticky() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xff]).is_err());
        assert_eq!(
            v.feed(b"ok"),
            Err(Utf8Error {
                offset: 0,
                incomplete: false
            })
        );
    }
}
