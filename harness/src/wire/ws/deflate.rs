//! permessage-deflate's payload transform (RFC 7692 §7.2), sans-I/O: raw DEFLATE with or without
//! context takeover, a bounded LZ77 window, and inflation that stops at a cap on the inflated
//! size (a decompression bomb costs at most the cap). The codec is zlib-rs through `flate2`.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The four octets a sync flush ends with, which a sender removes and a receiver puts back
/// (RFC 7692 §7.2.1, §7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Compresses the messages one endpoint sends.
pub struct Deflater {
    c: Compress,
    /// Keep the LZ77 window from one message to the next (no `*_no_context_takeover`).
    takeover: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater").field("takeover", &self.takeover).finish()
    }
}

impl Deflater {
    /// A compressor whose back references reach at most 2^`window_bits` bytes (8–15). zlib cannot
    /// compress with an 8-bit window (it silently uses 9), so for 8 it stores the data in
    /// DEFLATE blocks without compression: those hold no back reference at all, which any window
    /// allows.
    pub fn new(window_bits: u8, takeover: bool) -> Self {
        let bits = window_bits.clamp(9, 15);
        let level = if window_bits <= 8 { Compression::none() } else { Compression::default() };
        Deflater { c: Compress::new_with_window_bits(level, false, bits), takeover }
    }

    /// One message's payload as sent (RFC 7692 §7.2.1): the DEFLATE data up to a sync flush, its
    /// last four octets `00 00 ff ff` removed.
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let start_in = self.c.total_in();
        // Bounded: each round either consumes input or fills the spare room it was given.
        loop {
            let done = (self.c.total_in() - start_in) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            let before = (self.c.total_in(), self.c.total_out());
            self.c.compress_vec(&data[done..], &mut out, FlushCompress::Sync).expect("compressing into memory cannot fail");
            let consumed_all = (self.c.total_in() - start_in) as usize == data.len();
            // A sync flush is complete when all input is in and the output did not fill up.
            if consumed_all && out.len() < out.capacity() {
                break;
            }
            if (self.c.total_in(), self.c.total_out()) == before && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - 4);
        }
        if !self.takeover {
            self.c.reset();
        }
        out
    }
}

/// Why a compressed message could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The data is not valid DEFLATE (or refers back past the negotiated window).
    Corrupt(String),
    /// The inflated message is longer than the cap: inflation stopped there.
    TooLarge {
        /// The cap (--max-message-size).
        limit: usize,
        /// Compressed bytes read when it stopped.
        read: usize,
    },
}

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InflateError::Corrupt(e) => write!(f, "its compressed payload is not valid DEFLATE data: {e}"),
            InflateError::TooLarge { limit, read } => write!(
                f,
                "it inflates to over {limit} bytes (--max-message-size) from the first {read} compressed bytes; peerspec stopped inflating there"
            ),
        }
    }
}

/// Inflates the messages the other endpoint sends.
pub struct Inflater {
    d: Decompress,
    takeover: bool,
    /// A previous message failed: the shared window is lost.
    broken: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater").field("takeover", &self.takeover).field("broken", &self.broken).finish()
    }
}

impl Inflater {
    /// An inflater for a sender whose window is at most 2^`window_bits` bytes. zlib inflates
    /// with 9 to 15 bits, so 8 is read with 9.
    pub fn new(window_bits: u8, takeover: bool) -> Self {
        Inflater { d: Decompress::new_with_window_bits(false, window_bits.clamp(9, 15)), takeover, broken: false }
    }

    /// One message's payload (all its frames' payloads joined), inflated (RFC 7692 §7.2.2): the
    /// four tail octets appended, then inflated, 16 KiB of output at a time, stopping as soon as
    /// the output would pass `limit` bytes.
    pub fn inflate(&mut self, payload: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
        if self.broken {
            return Err(InflateError::Corrupt("an earlier message failed to inflate, so the shared LZ77 window is lost".into()));
        }
        let result = self.run(payload, limit);
        if result.is_err() {
            self.broken = true;
        } else if !self.takeover {
            self.d.reset(false);
        }
        result
    }

    fn run(&mut self, payload: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
        let mut out: Vec<u8> = Vec::new();
        for input in [payload, &TAIL[..]] {
            let start = self.d.total_in();
            loop {
                let read = (self.d.total_in() - start) as usize;
                let room = (limit + 1).saturating_sub(out.len()).min(16 << 10);
                if room == 0 {
                    return Err(InflateError::TooLarge { limit, read: read.min(payload.len()) });
                }
                out.reserve(room);
                let before = (self.d.total_in(), self.d.total_out());
                let status = self
                    .d
                    .decompress_vec(&input[read..], &mut out, FlushDecompress::Sync)
                    .map_err(|e| InflateError::Corrupt(e.to_string()))?;
                if out.len() > limit {
                    return Err(InflateError::TooLarge { limit, read: read.min(payload.len()) });
                }
                let read_all = (self.d.total_in() - start) as usize == input.len();
                let stalled = (self.d.total_in(), self.d.total_out()) == before;
                if status == Status::StreamEnd {
                    // A final block: what follows it (if anything) is not DEFLATE data of this stream.
                    if !read_all && !matches!(&input[(self.d.total_in() - start) as usize..], [] | [0, 0, 0xff, 0xff]) {
                        return Err(InflateError::Corrupt("data after the final DEFLATE block".into()));
                    }
                    // After BFINAL the stream is over: the next message starts a new one.
                    self.d.reset(false);
                    return Ok(out);
                }
                if read_all && out.len() < out.capacity() {
                    break;
                }
                if stalled {
                    break;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| b"{\"id\":12,\"text\":\"hello deflate\"}"[i % 32] ^ (i / 97) as u8).collect()
    }

    #[test]
    fn the_rfc_7692_examples_inflate() {
        // §7.2.3.1: "Hello" compressed; §7.2.3.2 the same message again with context takeover;
        // §7.2.3.3: DEFLATE block with no compression.
        let mut i = Inflater::new(15, true);
        assert_eq!(i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 100).unwrap(), b"Hello");
        assert_eq!(i.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], 100).unwrap(), b"Hello");
        let mut i = Inflater::new(15, true);
        assert_eq!(i.inflate(&[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00], 100).unwrap(), b"Hello");
        // A final block (BFINAL set) ends the message too (§7.2.3.4).
        let mut i = Inflater::new(15, true);
        assert_eq!(i.inflate(&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 100).unwrap(), b"Hello");
        assert_eq!(i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 100).unwrap(), b"Hello");
    }

    #[test]
    fn round_trips_with_and_without_takeover_at_every_window() {
        for bits in 8..=15u8 {
            for takeover in [true, false] {
                let mut d = Deflater::new(bits, takeover);
                let mut i = Inflater::new(bits, takeover);
                for n in [0, 1, 16, 64, 1000, 70_000, 300_000] {
                    let data = sample(n);
                    let z = d.compress(&data);
                    assert!(!z.ends_with(&TAIL) || z.is_empty(), "tail removed");
                    assert_eq!(i.inflate(&z, 1 << 20).unwrap(), data, "bits {bits} takeover {takeover} n {n}");
                }
            }
        }
    }

    #[test]
    fn context_takeover_makes_a_repeated_message_shorter() {
        let data = sample(400);
        let mut d = Deflater::new(15, true);
        let first = d.compress(&data).len();
        let second = d.compress(&data).len();
        assert!(second < first / 4, "{first} then {second}");
        let mut d = Deflater::new(15, false);
        assert_eq!(d.compress(&data).len(), d.compress(&data).len());
    }

    #[test]
    fn a_bomb_stops_at_the_cap_and_corrupt_data_is_an_error() {
        let mut d = Deflater::new(15, false);
        let z = d.compress(&vec![0u8; 4 << 20]);
        assert!(z.len() < 8 << 10, "{}", z.len());
        let e = Inflater::new(15, false).inflate(&z, 1 << 20).unwrap_err();
        assert!(matches!(e, InflateError::TooLarge { limit: 1048576, .. }), "{e:?}");
        let e = Inflater::new(15, false).inflate(&[0xff, 0xff, 0xff, 0x01], 100).unwrap_err();
        assert!(matches!(e, InflateError::Corrupt(_)), "{e:?}");
        // After a failure, later messages are refused instead of inflated from a lost window.
        let mut i = Inflater::new(15, true);
        assert!(i.inflate(&[0xff, 0xff, 0xff, 0x01], 100).is_err());
        assert!(i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], 100).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 64) as usize;
            let buf: Vec<u8> = (0..len).map(|k| (x >> (k % 56)) as u8 ^ k as u8).collect();
            let _ = Inflater::new(9 + (x % 7) as u8, x & 1 == 0).inflate(&buf, 4096);
        }
    }
}
