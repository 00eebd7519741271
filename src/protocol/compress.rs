//! permessage-deflate's other half (RFC 7692): agreeing on it in the
//! handshake (a server's answer to offers, a client's offer and its check
//! of the answer) and compressing what this end sends. Inflating is in
//! [`crate::protocol::deflate`].

use flate2::{Compress, Compression, FlushCompress};

use super::deflate::DeflateParams;
use super::Role;

/// permessage-deflate as agreed in a handshake (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agreement {
    /// The context-takeover flags.
    pub params: DeflateParams,
    /// The largest window the server compresses with (8-15; None: 15).
    pub server_max_window_bits: Option<u8>,
    /// The largest window the client compresses with (8-15; None: 15).
    pub client_max_window_bits: Option<u8>,
}

impl Agreement {
    /// The `Sec-WebSocket-Extensions` value of a server that agrees to this.
    pub fn header_value(&self) -> String {
        let mut v = String::from("permessage-deflate");
        if self.params.server_no_context_takeover {
            v.push_str("; server_no_context_takeover");
        }
        if self.params.client_no_context_takeover {
            v.push_str("; client_no_context_takeover");
        }
        if let Some(b) = self.server_max_window_bits {
            v.push_str(&format!("; server_max_window_bits={b}"));
        }
        if let Some(b) = self.client_max_window_bits {
            v.push_str(&format!("; client_max_window_bits={b}"));
        }
        v
    }

    /// How `role` compresses: its window bits, and whether it starts every
    /// message from an empty window.
    pub fn sending(&self, role: Role) -> (u8, bool) {
        match role {
            Role::Server => (
                self.server_max_window_bits.unwrap_or(15),
                self.params.server_no_context_takeover,
            ),
            Role::Client => (
                self.client_max_window_bits.unwrap_or(15),
                self.params.client_no_context_takeover,
            ),
        }
    }
}

/// A client's offer, as `connect --deflate` sends it: permessage-deflate,
/// and room for the server to limit the client's window.
pub const CLIENT_OFFER: &str = "permessage-deflate; client_max_window_bits";

/// One `name; param; param=value` element, its parameters parsed; None
/// when it is not permessage-deflate. `Err` for a parameter that is
/// unknown, repeated, or has a bad value (RFC 7692 §7.1: such an offer is
/// declined, such an answer fails the connection).
fn parse_element(element: &str) -> Option<Result<Agreement, String>> {
    let mut parts = element.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
        return None;
    }
    let mut a = Agreement::default();
    let mut seen = Vec::new();
    for p in parts.filter(|p| !p.is_empty()) {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (p, None),
        };
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Some(Err(format!("{name} appears twice")));
        }
        seen.push(name.clone());
        let bits = |required: bool| -> Result<Option<u8>, String> {
            match value {
                None if required => Err(format!("{name} needs a value 8-15")),
                None => Ok(None),
                Some(v) => match v.parse::<u8>() {
                    Ok(b @ 8..=15) if v.bytes().all(|c| c.is_ascii_digit()) => Ok(Some(b)),
                    _ => Err(format!("{name}={} is not 8-15", v.escape_debug())),
                },
            }
        };
        let result = match name.as_str() {
            "server_no_context_takeover" | "client_no_context_takeover" if value.is_some() => {
                Err(format!("{name} takes no value"))
            }
            "server_no_context_takeover" => {
                a.params.server_no_context_takeover = true;
                Ok(())
            }
            "client_no_context_takeover" => {
                a.params.client_no_context_takeover = true;
                Ok(())
            }
            "server_max_window_bits" => bits(true).map(|b| a.server_max_window_bits = b),
            // In an offer, without a value: the client can take a limit.
            "client_max_window_bits" => bits(false).map(|b| {
                a.client_max_window_bits = b.or(Some(15));
            }),
            _ => Err(format!("unknown parameter {}", name.escape_debug())),
        };
        if let Err(e) = result {
            return Some(Err(e));
        }
    }
    Some(Ok(a))
}

/// What a server agrees to from the `Sec-WebSocket-Extensions` values of
/// a request: the first valid permessage-deflate offer it can honour, or
/// None (the extension stays off). A server window of 8 bits is declined:
/// zlib cannot compress with it.
pub fn accept(values: &[&[u8]]) -> Option<Agreement> {
    for value in values {
        let value = String::from_utf8_lossy(value);
        for element in value.split(',') {
            let Some(Ok(offer)) = parse_element(element) else {
                continue;
            };
            if offer.server_max_window_bits == Some(8) {
                continue;
            }
            // The client's window: only limited when it asked for a limit
            // it can take; we need none.
            return Some(Agreement {
                client_max_window_bits: None,
                ..offer
            });
        }
    }
    None
}

/// Checks a server's answer to [`CLIENT_OFFER`]: None when it declined
/// (no permessage-deflate in it), the agreement, or why the answer is one
/// the client must fail the connection for (RFC 7692 §5.1).
pub fn check_answer(values: &[&[u8]]) -> Result<Option<Agreement>, String> {
    let mut found = None;
    for value in values {
        let value = String::from_utf8_lossy(value);
        for element in value.split(',') {
            match parse_element(element) {
                None if element.trim().is_empty() => {}
                None => {
                    return Err(format!(
                        "the server answered with an extension that was not offered: {}",
                        element.trim().escape_debug()
                    ))
                }
                Some(Err(e)) => return Err(format!("permessage-deflate: {e}")),
                Some(Ok(_)) if found.is_some() => {
                    return Err("permessage-deflate appears twice in the answer".into())
                }
                Some(Ok(a)) => {
                    if a.server_max_window_bits == Some(8) {
                        // zlib reads 8 as 9; a window of 8 inflates fine.
                    }
                    found = Some(a);
                }
            }
        }
    }
    Ok(found)
}

/// Compresses messages for one direction (RFC 7692 §7.2.1): raw DEFLATE
/// ending in an empty stored block, whose last four bytes are left off.
pub struct Deflater {
    z: Compress,
    reset_each_message: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("reset_each_message", &self.reset_each_message)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor with a window of `window_bits` (9-15; 8 is taken as
    /// 9, as zlib does); `reset_each_message` when this end agreed to
    /// no context takeover.
    pub fn new(window_bits: u8, reset_each_message: bool) -> Self {
        Self::with_level(
            window_bits,
            reset_each_message,
            Compression::default().level(),
        )
    }

    /// [`Deflater::new`] at a zlib compression level (1 fastest, 9 the
    /// smallest output).
    pub fn with_level(window_bits: u8, reset_each_message: bool, level: u32) -> Self {
        Self {
            z: Compress::new_with_window_bits(
                Compression::new(level.clamp(1, 9)),
                false,
                window_bits.clamp(9, 15),
            ),
            reset_each_message,
        }
    }

    /// Appends the compressed form of a whole message to `out`.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let mut consumed = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve((data.len() - consumed) / 2 + 256);
            }
            let before = self.z.total_in();
            // Compressing into memory cannot fail but for a bad state,
            // which this compressor never gets into.
            let _ = self
                .z
                .compress_vec(&data[consumed..], out, FlushCompress::Sync);
            consumed += usize::try_from(self.z.total_in() - before).unwrap_or(0);
            // A sync flush is complete when it left room unused.
            if consumed == data.len() && out.capacity() > out.len() {
                break;
            }
        }
        if out[start..].ends_with(&[0x00, 0x00, 0xff, 0xff]) {
            out.truncate(out.len() - 4);
        }
        if self.reset_each_message {
            self.z.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::deflate::Inflater;

    #[test]
    fn rfc_7692_hello_compresses_to_its_example() {
        // RFC 7692 §7.2.3.1: "Hello" is f2 48 cd c9 c9 07 00.
        let mut d = Deflater::new(15, false);
        let mut out = Vec::new();
        d.compress(b"Hello", &mut out);
        assert_eq!(out, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        // With context takeover the second "Hello" refers back to the
        // first (§7.2.3.2: f2 00 11 00 00).
        let mut again = Vec::new();
        d.compress(b"Hello", &mut again);
        assert_eq!(again, [0xf2, 0x00, 0x11, 0x00, 0x00]);
        // Without it, the same bytes as the first.
        let mut d = Deflater::new(15, true);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        d.compress(b"Hello", &mut a);
        d.compress(b"Hello", &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn an_empty_message_is_one_byte_and_everything_inflates_back() {
        let mut d = Deflater::new(15, false);
        let mut out = Vec::new();
        d.compress(b"", &mut out);
        assert_eq!(out, [0x00]);
        // Messages of every size inflate back, in one context.
        let mut d = Deflater::new(10, false);
        let mut inf = Inflater::new(false).at_connection_start();
        for n in [0usize, 1, 100, 5000, 70_000] {
            let msg: Vec<u8> = (0..n).map(|i| (i % 251) as u8 ^ (i / 7) as u8).collect();
            let mut c = Vec::new();
            d.compress(&msg, &mut c);
            assert_eq!(inf.inflate(&c, 1 << 20).unwrap(), msg, "{n}");
        }
    }

    #[test]
    fn a_server_takes_the_first_offer_it_can_honour() {
        let agreed = |v: &str| accept(&[v.as_bytes()]);
        assert_eq!(
            agreed("permessage-deflate; client_max_window_bits"),
            Some(Agreement::default())
        );
        let a = agreed("x-webkit, permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=\"10\"").unwrap();
        assert!(a.params.server_no_context_takeover && a.params.client_no_context_takeover);
        assert_eq!(a.server_max_window_bits, Some(10));
        assert_eq!(
            a.header_value(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"
        );
        assert_eq!(a.sending(Role::Server), (10, true));
        for bad in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; mystery",
            "x-other",
        ] {
            assert_eq!(agreed(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_client_checks_the_answer() {
        let check = |v: &str| check_answer(&[v.as_bytes()]);
        assert_eq!(check(""), Ok(None));
        let a = check("permessage-deflate; client_max_window_bits=9; client_no_context_takeover")
            .unwrap()
            .unwrap();
        assert_eq!(a.sending(Role::Client), (9, true));
        assert!(check("permessage-deflate; bogus").is_err());
        assert!(check("x-mine").unwrap_err().contains("not offered"));
        assert!(check("permessage-deflate, permessage-deflate").is_err());
    }
}
