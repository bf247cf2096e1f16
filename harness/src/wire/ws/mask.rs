//! Masking (RFC 6455 §5.3): payload byte `i` is XORed with key byte `i mod 4`. Done eight bytes at
//! a time with a `u64` XOR, the key repeated twice across the word; the tail byte by byte.

/// XORs `buf` with `key`, starting at key phase `phase` (the index in the payload of `buf[0]`,
/// mod 4), so a payload can be unmasked in pieces. Masking and unmasking are the same operation.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let k = rotate(key, phase);
    let word = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes((&*chunk).try_into().expect("chunks of 8")) ^ word;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    // Each chunk is 8 bytes, a multiple of 4, so the tail starts at key phase 0 of `k`.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    let p = phase & 3;
    [key[p], key[(p + 1) & 3], key[(p + 2) & 3], key[(p + 3) & 3]]
}

/// The byte-wise definition from RFC 6455 §5.3, for tests.
pub fn apply_mask_bytewise(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + phase) & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_at_a_time_matches_the_bytewise_definition() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..70 {
            for phase in 0..4 {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let (mut fast, mut slow) = (data.clone(), data.clone());
                apply_mask(&mut fast, key, phase);
                apply_mask_bytewise(&mut slow, key, phase);
                assert_eq!(fast, slow, "len {len} phase {phase}");
                apply_mask(&mut fast, key, phase);
                assert_eq!(fast, data, "masking twice restores the data");
            }
        }
    }

    #[test]
    fn rfc_6455_example_hello() {
        // §5.7: a masked "Hello" with key 37 fa 21 3d.
        let mut payload = *b"Hello";
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    #[test]
    fn in_pieces_equals_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..100u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let (a, b) = pieces.split_at_mut(13);
        apply_mask(a, key, 0);
        apply_mask(b, key, 13);
        assert_eq!(whole, pieces);
    }
}
