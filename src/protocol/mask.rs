//! XOR masking (RFC 6455 §5.3): `D[i] = E[i] ^ M[i mod 4]`.
//!
//! The key is spread over a 64-byte block so that the inner loop is a
//! fixed-size XOR the compiler turns into vector instructions; the tail is
//! done a byte at a time. `offset` is the position of `buf[0]` within the
//! payload, so a payload can be masked in pieces (streaming).

const BLOCK: usize = 64;

fn pattern(key: [u8; 4], offset: usize) -> [u8; BLOCK] {
    let mut pat = [0u8; BLOCK];
    for (i, b) in pat.iter_mut().enumerate() {
        *b = key[(i + offset) % 4];
    }
    pat
}

/// Masks or unmasks `buf` in place; `offset` is the index of `buf[0]` in
/// the whole payload.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let pat = pattern(key, offset);
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for (b, k) in block.iter_mut().zip(pat.iter()) {
            *b ^= k;
        }
    }
    // A whole number of blocks is a multiple of 4, so the tail starts at
    // the same key phase as the pattern.
    for (b, k) in blocks.into_remainder().iter_mut().zip(pat.iter()) {
        *b ^= k;
    }
}

/// Writes `src` masked with `key` into `dst` (same length) in one pass:
/// copying and masking together, as a frame encoder needs.
///
/// # Panics
/// When `dst.len() != src.len()` (a caller bug, never input-dependent).
pub fn mask_into(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) {
    assert_eq!(dst.len(), src.len(), "mask_into needs equal lengths");
    let pat = pattern(key, offset);
    let mut d_blocks = dst.chunks_exact_mut(BLOCK);
    let mut s_blocks = src.chunks_exact(BLOCK);
    for (d, s) in (&mut d_blocks).zip(&mut s_blocks) {
        for ((d, s), k) in d.iter_mut().zip(s.iter()).zip(pat.iter()) {
            *d = s ^ k;
        }
    }
    let tail = d_blocks.into_remainder().iter_mut();
    for ((d, s), k) in tail.zip(s_blocks.remainder()).zip(pat.iter()) {
        *d = s ^ k;
    }
}

/// Byte-at-a-time reference, kept for tests and the benchmark's baseline.
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + offset) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x3d, 0x54, 0x23, 0x06];

    #[test]
    fn mdn_example() {
        let mut buf = [112u8, 16, 109];
        apply_mask(&mut buf, KEY, 0);
        assert_eq!(&buf, b"MDN");
    }

    #[test]
    fn rfc_hello_masked() {
        // RFC 6455 §5.7: 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58 "Hello"
        let mut buf = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut buf, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&buf, b"Hello");
    }

    #[test]
    fn matches_bytewise_at_all_lengths_and_offsets() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in (0..=140).chain([255, 256, 257, 300]) {
            for offset in 0..8 {
                let mut fast = data[..len].to_vec();
                let mut slow = fast.clone();
                apply_mask(&mut fast, KEY, offset);
                apply_mask_bytewise(&mut slow, KEY, offset);
                assert_eq!(fast, slow, "len {len} offset {offset}");
                let mut copied = vec![0u8; len];
                mask_into(&mut copied, &data[..len], KEY, offset);
                assert_eq!(copied, slow, "mask_into len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn pieces_equal_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, KEY, 0);
        let mut pieces = data.clone();
        let mut at = 0;
        for size in [1, 3, 64, 65, 7, 500, 360] {
            apply_mask(&mut pieces[at..at + size], KEY, at);
            at += size;
        }
        assert_eq!(at, 1000);
        assert_eq!(pieces, whole);
    }
}
