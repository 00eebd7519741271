//! Shared by `wsload` and `bare-echo`: the handshake's accept key, masking,
//! and the position of the end of an HTTP head.

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(key);
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// XOR `data` with `key` repeated, the payload starting at key offset 0.
/// Eight bytes at a time; the compiler widens this to vector XORs.
pub fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    let k = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let w = u64::from_ne_bytes(c.try_into().unwrap()) ^ k;
        c.copy_from_slice(&w.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

/// Length of the HTTP head (through the blank line) if `buf` holds all of it.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The value of header `name` (ASCII case-insensitive) in an HTTP head.
pub fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        if line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(name.as_bytes())
        {
            Some(line[colon + 1..].trim_ascii())
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_accept_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn mask_matches_bytewise() {
        let key = [0x3d, 0x54, 0x23, 0x06];
        for len in 0..40 {
            let orig: Vec<u8> = (0..len as u8).collect();
            let mut d = orig.clone();
            apply_mask(&mut d, key);
            let want: Vec<u8> = orig
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            assert_eq!(d, want);
        }
    }

    #[test]
    fn finds_header() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nsec-websocket-KEY:  abc \r\n\r\n";
        assert_eq!(head_end(head), Some(head.len()));
        assert_eq!(header(head, "Sec-WebSocket-Key"), Some(&b"abc"[..]));
        assert_eq!(header(head, "Upgrade"), None);
    }
}
