//! GOAWAY (RFC 9113 §6.8).

use super::FrameHeader;

/// A GOAWAY payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Goaway {
    /// Last stream id the sender processed (reserved bit dropped).
    pub last_stream_id: u32,
    /// Error code (§7).
    pub code: u32,
    /// Additional debug data.
    pub debug: Vec<u8>,
}

impl Goaway {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Goaway, String> {
        if payload.len() < 8 {
            return Err(format!("GOAWAY payload must be at least 8 bytes, is {}", payload.len()));
        }
        let last = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) & 0x7fff_ffff;
        let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
        Ok(Goaway { last_stream_id: last, code, debug: payload[8..].to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.last_stream_id.to_be_bytes());
        out.extend_from_slice(&self.code.to_be_bytes());
        out.extend_from_slice(&self.debug);
    }
}
