//! permessage-deflate (RFC 7692), the extension every browser offers: which
//! negotiation enables it, and inflating a compressed message so that a
//! debugger can show what was sent.

use flate2::{Decompress, FlushDecompress, Status};

/// The most a single message may inflate to: a compressed message is
/// input-controlled, and a few KiB can claim gigabytes.
pub const MAX_INFLATED: usize = 64 << 20;

/// What a `Sec-WebSocket-Extensions` value says about permessage-deflate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeflateParams {
    /// The client resets its compression context for every message.
    pub client_no_context_takeover: bool,
    /// The server resets its compression context for every message.
    pub server_no_context_takeover: bool,
}

/// Finds permessage-deflate in a `Sec-WebSocket-Extensions` value (a
/// comma-separated list of `name; param; param=value`).
pub fn find_deflate(value: &[u8]) -> Option<DeflateParams> {
    let value = String::from_utf8_lossy(value);
    for ext in value.split(',') {
        let mut parts = ext.split(';').map(str::trim);
        if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
            continue;
        }
        let mut params = DeflateParams::default();
        for p in parts {
            let name = p.split('=').next().unwrap_or("").trim();
            if name.eq_ignore_ascii_case("client_no_context_takeover") {
                params.client_no_context_takeover = true;
            } else if name.eq_ignore_ascii_case("server_no_context_takeover") {
                params.server_no_context_takeover = true;
            }
        }
        return Some(params);
    }
    None
}

/// Inflates the messages of one direction, keeping the LZ77 window from
/// one message to the next unless the sender resets it each time.
pub struct Inflater {
    z: Decompress,
    reset_each_message: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// An inflater; `reset_each_message` when the sender negotiated
    /// `*_no_context_takeover`.
    pub fn new(reset_each_message: bool) -> Self {
        Self {
            z: Decompress::new(false),
            reset_each_message,
        }
    }

    /// Inflates one message's payload (all its frames joined), as RFC 7692
    /// §7.2.2 says: append `00 00 ff ff` and inflate raw DEFLATE. Fails on
    /// data that is not DEFLATE or that inflates past `limit` bytes.
    pub fn inflate(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
        if self.reset_each_message {
            self.z.reset(false);
        }
        let mut input = Vec::with_capacity(data.len() + 4);
        input.extend_from_slice(data);
        input.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
        let mut out: Vec<u8> = Vec::with_capacity((data.len() * 4).clamp(64, limit.max(64)));
        let mut used = 0usize;
        loop {
            if out.len() == out.capacity() {
                if out.len() >= limit {
                    return Err(format!("the message inflates to more than {limit} bytes"));
                }
                out.reserve(out.capacity().min(limit - out.len()).max(64));
            }
            let (in_before, out_before) = (self.z.total_in(), out.len());
            let status = self
                .z
                .decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)
                .map_err(|e| format!("the compressed data is not valid DEFLATE: {e}"))?;
            used += (self.z.total_in() - in_before) as usize;
            let room_left = out.len() < out.capacity();
            if status == Status::StreamEnd || (used == input.len() && room_left) {
                break;
            }
            if self.z.total_in() == in_before && out.len() == out_before && room_left {
                return Err(
                    "the compressed data stops making progress (truncated DEFLATE stream)".into(),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7692_hello_examples() {
        // RFC 7692 §7.2.3.1: "Hello" compressed in one frame.
        let mut i = Inflater::new(false);
        assert_eq!(
            i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], MAX_INFLATED)
                .unwrap(),
            b"Hello"
        );
        // §7.2.3.2: the second "Hello" refers back into the first (context
        // takeover).
        assert_eq!(
            i.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], MAX_INFLATED)
                .unwrap(),
            b"Hello"
        );
        // §7.2.3.3: a DEFLATE block with no compression.
        let mut i = Inflater::new(true);
        assert_eq!(
            i.inflate(
                &[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00],
                MAX_INFLATED
            )
            .unwrap(),
            b"Hello"
        );
    }

    #[test]
    fn garbage_and_bombs_are_errors() {
        let mut i = Inflater::new(true);
        assert!(i.inflate(&[0xff, 0xff, 0xff, 0xff], MAX_INFLATED).is_err());
        // 1 MiB of zeros compresses to about a kilobyte; inflating it with a
        // 64 KiB limit fails instead of growing.
        let mut z = flate2::Compress::new(flate2::Compression::best(), false);
        let mut packed = Vec::with_capacity(1 << 20);
        z.compress_vec(
            &vec![0u8; 1 << 20],
            &mut packed,
            flate2::FlushCompress::Sync,
        )
        .unwrap();
        assert!(packed.len() < 8192, "{}", packed.len());
        let body = &packed[..packed.len() - 4];
        let e = Inflater::new(true).inflate(body, 64 << 10).unwrap_err();
        assert!(e.contains("more than 65536"), "{e}");
        assert_eq!(
            Inflater::new(true).inflate(body, 2 << 20).unwrap().len(),
            1 << 20
        );
    }

    #[test]
    fn a_reference_before_the_data_is_not_filled_with_invented_bytes() {
        // 'h', then a back-reference reaching before the first byte; real
        // zlib (Python: zlib.decompressobj(wbits=-15)) says "invalid
        // distance too far back".
        let r = Inflater::new(false).inflate(&[0xca, 0x40, 0x17, 0x00, 0x00], MAX_INFLATED);
        assert!(
            r.as_ref()
                .is_err_and(|e| e.contains("invalid distance too far back")),
            "{r:?}"
        );
    }

    #[test]
    fn negotiation() {
        assert_eq!(
            find_deflate(b"permessage-deflate"),
            Some(DeflateParams::default())
        );
        let p = find_deflate(
            b"x-webkit, permessage-deflate; client_max_window_bits; server_no_context_takeover",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && !p.client_no_context_takeover);
        assert_eq!(find_deflate(b"x-webkit-deflate-frame"), None);
    }
}
