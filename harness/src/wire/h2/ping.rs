//! PING (RFC 9113 §6.7).

use super::{need_len, FrameHeader};

/// A PING payload: 8 opaque bytes (any length when encoding on purpose).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ping {
    /// Opaque data.
    pub data: Vec<u8>,
}

impl Ping {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Ping, String> {
        need_len("PING", payload, 8)?;
        Ok(Ping { data: payload.to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.data)
    }
}
