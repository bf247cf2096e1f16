//! RST_STREAM (RFC 9113 §6.4).

use super::{need_len, FrameHeader};

/// A RST_STREAM payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RstStream {
    /// Error code (§7).
    pub code: u32,
}

impl RstStream {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<RstStream, String> {
        need_len("RST_STREAM", payload, 4)?;
        Ok(RstStream { code: u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code.to_be_bytes())
    }
}
