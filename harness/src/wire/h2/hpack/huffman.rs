//! The HPACK Huffman code (RFC 7541 Appendix B).
//!
//! The code tables below are copied from the `h2` crate (src/hpack/huffman/table.rs, MIT), which
//! generated them from RFC 7541 Appendix B; encoding and decoding are this module's own.

use std::sync::OnceLock;

pub const ENCODE_CODES: [u32; 256] = [
    0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, 0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9,
    0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, 0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
    0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb, 0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8,
    0x7fa, 0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18, 0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc,
    0x20, 0xffb, 0x3fc, 0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
    0x6e, 0x6f, 0x70, 0x71, 0x72, 0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22, 0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
    0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7, 0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd,
    0x1ffd, 0xffffffc, 0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9, 0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc,
    0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf, 0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, 0x7fffe4,
    0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef, 0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8,
    0x7fffe9, 0x1fffde, 0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, 0x1fffe0, 0x1fffe1, 0x3fffe0,
    0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef, 0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
    0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec, 0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf,
    0x3ffffe5, 0xfffff1, 0x1ffffed, 0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2, 0x1fffe4, 0x1fffe5,
    0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, 0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8,
    0x7ffff3, 0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, 0x3ffffeb, 0x7ffffe6, 0x3ffffec,
    0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea, 0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0,
    0x3ffffee,
];

pub const ENCODE_CODE_LENGTHS: [u8; 256] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, 6, 10,
    10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6,
    7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23,
    21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22,
    22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28,
    27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27,
    26,
];

const _: [(); 1024] = [(); std::mem::size_of::<[u32; 256]>()];
const _: [(); 256] = [(); std::mem::size_of::<[u8; 256]>()];

// A branch has bit 15 set and its table index in bits 8..=14.

const EOS_CODE: u32 = 0x3fff_ffff;
const EOS_LEN: u8 = 30;

/// Huffman-encodes `input`, padding the last byte with the EOS prefix (all ones).
pub fn encode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut acc: u64 = 0;
    let mut bits: u32 = 0;
    for &b in input {
        let len = ENCODE_CODE_LENGTHS[b as usize] as u32;
        acc = (acc << len) | ENCODE_CODES[b as usize] as u64;
        bits += len;
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
        acc &= (1u64 << bits) - 1;
    }
    if bits > 0 {
        let pad = 8 - bits;
        out.push(((acc << pad) | ((1 << pad) - 1)) as u8);
    }
    out
}

/// The length `input` would have Huffman-encoded.
pub fn encoded_len(input: &[u8]) -> usize {
    let bits: usize = input.iter().map(|b| ENCODE_CODE_LENGTHS[*b as usize] as usize).sum();
    bits.div_ceil(8)
}

/// Canonical-code tables for decoding (RFC 7541's code is canonical: within each length the
/// codes are consecutive, in symbol order, and each length's first code follows on from the
/// previous length's last), plus a lookup of the codes of 8 bits or fewer by a byte's prefix.
struct DecodeTables {
    /// `first[l]`: the first code of length `l`; `count[l]`: how many codes have that length.
    first: [u32; 31],
    count: [u32; 31],
    /// `start[l]`: index in `symbols` of the first symbol with a code of length `l`.
    start: [usize; 31],
    /// Symbols (256 = EOS) ordered by code.
    symbols: Vec<u16>,
    /// By the next 8 bits: the symbol and code length of a code of at most 8 bits that they
    /// begin with, or length 0.
    short: [(u16, u8); 256],
}

fn decode_tables() -> &'static DecodeTables {
    static TABLES: OnceLock<DecodeTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let code_of = |s: usize| if s == 256 { (EOS_CODE, EOS_LEN) } else { (ENCODE_CODES[s], ENCODE_CODE_LENGTHS[s]) };
        let mut symbols: Vec<u16> = (0..=256).collect();
        symbols.sort_by_key(|&s| {
            let (code, len) = code_of(s as usize);
            (len, code)
        });
        let mut t = DecodeTables { first: [0; 31], count: [0; 31], start: [0; 31], symbols, short: [(0, 0); 256] };
        for (i, &s) in t.symbols.iter().enumerate() {
            let (code, len) = code_of(s as usize);
            let l = len as usize;
            if t.count[l] == 0 {
                t.first[l] = code;
                t.start[l] = i;
            }
            // The canonical property the decoder relies on.
            assert_eq!(code, t.first[l] + t.count[l], "HPACK Huffman code is not canonical at symbol {s}");
            t.count[l] += 1;
            if len <= 8 {
                let base = (code << (8 - len)) as usize;
                for e in &mut t.short[base..base + (1 << (8 - len))] {
                    *e = (s, len);
                }
            }
        }
        t
    })
}

/// Decodes a Huffman-coded string (§5.2): an EOS symbol, padding longer than 7 bits or padding
/// that is not the EOS prefix are errors.
///
/// Bits are read 56 at a time into a word; a code of up to 8 bits is found by one table lookup,
/// a longer one by comparing the word's leading bits with each length's range of codes.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, String> {
    let t = decode_tables();
    let mut out = Vec::with_capacity(input.len() * 8 / 5);
    // `acc` holds `nbits` unread bits, left-aligned; `next` is the next byte to load.
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    let mut next = 0;
    // Bits consumed so far (for the byte index in errors).
    let mut consumed: usize = 0;
    loop {
        while nbits <= 56 && next < input.len() {
            acc |= (input[next] as u64) << (56 - nbits);
            nbits += 8;
            next += 1;
        }
        if nbits == 0 {
            break;
        }
        let (sym, len) = match t.short[(acc >> 56) as usize] {
            (sym, len) if len != 0 && len as u32 <= nbits => (sym, len as u32),
            _ => {
                let mut found = None;
                for l in 5..=nbits.min(EOS_LEN as u32) {
                    let code = (acc >> (64 - l)) as u32;
                    let (first, count) = (t.first[l as usize], t.count[l as usize]);
                    if count != 0 && code >= first && code - first < count {
                        found = Some((t.symbols[t.start[l as usize] + (code - first) as usize], l));
                        break;
                    }
                }
                match found {
                    Some(f) => f,
                    // Fewer bits left than the code they begin needs: the padding.
                    None => break,
                }
            }
        };
        consumed += len as usize;
        if sym == 256 {
            return Err(format!("Huffman string contains EOS (byte {})", (consumed - 1) / 8));
        }
        out.push(sym as u8);
        acc <<= len;
        nbits -= len;
    }
    if nbits > 7 {
        return Err(format!("Huffman padding of {nbits} bits (at most 7 allowed)"));
    }
    if nbits > 0 && (acc >> (64 - nbits)) != (1u64 << nbits) - 1 {
        return Err("Huffman padding is not the EOS prefix (all ones)".into());
    }
    Ok(out)
}

/// The bit-at-a-time decoder this module used before the table-driven one, kept as the
/// reference the tests compare [`decode`] with.
#[cfg(test)]
pub(crate) fn decode_bitwise(input: &[u8]) -> Result<Vec<u8>, String> {
    static TABLE: OnceLock<std::collections::HashMap<(u8, u32), u16>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..256).map(|s| ((ENCODE_CODE_LENGTHS[s], ENCODE_CODES[s]), s as u16)).chain([((EOS_LEN, EOS_CODE), 256)]).collect()
    });
    let mut out = Vec::with_capacity(input.len() * 8 / 5);
    let mut code: u32 = 0;
    let mut len: u8 = 0;
    for (i, &byte) in input.iter().enumerate() {
        for shift in (0..8).rev() {
            code = (code << 1) | ((byte >> shift) & 1) as u32;
            len += 1;
            if len >= 5 {
                if let Some(&sym) = table.get(&(len, code)) {
                    if sym == 256 {
                        return Err(format!("Huffman string contains EOS (byte {i})"));
                    }
                    out.push(sym as u8);
                    code = 0;
                    len = 0;
                }
            }
            if len > EOS_LEN {
                return Err(format!("invalid Huffman code at byte {i}"));
            }
        }
    }
    if len > 7 {
        return Err(format!("Huffman padding of {len} bits (at most 7 allowed)"));
    }
    if code != (1u32 << len) - 1 {
        return Err("Huffman padding is not the EOS prefix (all ones)".into());
    }
    Ok(out)
}
