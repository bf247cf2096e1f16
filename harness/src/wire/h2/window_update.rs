//! WINDOW_UPDATE (RFC 9113 §6.9).

use super::{need_len, FrameHeader};

/// A WINDOW_UPDATE payload. When encoding, `increment` is written with all 32 bits as given (so a
/// case can set the reserved bit); when decoding, the reserved bit is dropped as §6.9 says a
/// receiver must, and `increment` holds the 31-bit value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowUpdate {
    /// Window Size Increment (the top bit is the reserved bit).
    pub increment: u32,
}

impl WindowUpdate {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<WindowUpdate, String> {
        need_len("WINDOW_UPDATE", payload, 4)?;
        Ok(WindowUpdate { increment: u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) & 0x7fff_ffff })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.increment.to_be_bytes())
    }
}
