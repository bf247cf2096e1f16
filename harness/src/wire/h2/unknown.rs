//! Frames of types this codec does not know (RFC 9113 §4.1, §5.5): kept as opaque payload.

use super::FrameHeader;

/// An unknown frame type's payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unknown {
    /// The payload bytes.
    pub payload: Vec<u8>,
}

impl Unknown {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Unknown, String> {
        Ok(Unknown { payload: payload.to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.payload)
    }
}
