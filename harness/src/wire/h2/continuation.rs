//! CONTINUATION (RFC 9113 §6.10).

use super::FrameHeader;

/// A CONTINUATION payload: a field block fragment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Continuation {
    /// Field block fragment.
    pub fragment: Vec<u8>,
}

impl Continuation {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Continuation, String> {
        Ok(Continuation { fragment: payload.to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.fragment)
    }
}
