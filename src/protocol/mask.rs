//! XOR masking (RFC 6455 §5.3): `D[i] = E[i] ^ M[i mod 4]`.
//!
//! The key, rotated to the phase of `buf[0]`, is held twice in one `u64`
//! (a register, not a table), and the payload is XORed in 64-byte blocks of
//! eight such words: the compiler turns the block into vector instructions
//! (four 16-byte XORs on baseline x86-64). What is left after the blocks
//! goes a word, then a byte, at a time. `offset` is the position of
//! `buf[0]` within the payload, so a payload can be masked in pieces
//! (streaming).

const WORD: usize = 8;
const BLOCK: usize = 8 * WORD;

/// The key as a `u64` whose bytes in memory are `key[(i + offset) % 4]`.
fn key_word(key: [u8; 4], offset: usize) -> u64 {
    // In little-endian order the rotation brings `key[offset % 4]` to the
    // first byte; both halves of the `u64` hold the same 4 bytes, so it is
    // right on any endianness.
    let phased = u32::from_le_bytes(key).rotate_right(8 * (offset % 4) as u32);
    u64::from(u32::from_ne_bytes(phased.to_le_bytes())) * 0x1_0000_0001
}

fn xor_word(chunk: &mut [u8], word: u64) {
    let v = u64::from_ne_bytes((&*chunk).try_into().expect("8-byte chunk")) ^ word;
    chunk.copy_from_slice(&v.to_ne_bytes());
}

/// Masks or unmasks `buf` in place; `offset` is the index of `buf[0]` in
/// the whole payload.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let word = key_word(key, offset);
    let mut blocks = buf.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for w in block.chunks_exact_mut(WORD) {
            xor_word(w, word);
        }
    }
    // Blocks and words are multiples of 4 bytes, so what follows them
    // starts at the same key phase.
    let mut words = blocks.into_remainder().chunks_exact_mut(WORD);
    for w in &mut words {
        xor_word(w, word);
    }
    for (b, k) in words.into_remainder().iter_mut().zip(word.to_ne_bytes()) {
        *b ^= k;
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
