//! DATA (RFC 9113 §6.1).

use super::{flag, unpad, FrameHeader, Padding};

/// A DATA payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Data {
    /// Application data.
    pub data: Vec<u8>,
    /// Padding, when the frame is PADDED.
    pub padding: Option<Padding>,
}

impl Data {
    pub(crate) fn decode(h: &FrameHeader, payload: &[u8]) -> Result<Data, String> {
        let (content, padding) = unpad(payload, h.has(flag::PADDED))?;
        Ok(Data { data: content.to_vec(), padding })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(p) = &self.padding {
            out.push(p.len);
        }
        out.extend_from_slice(&self.data);
        if let Some(p) = &self.padding {
            out.extend_from_slice(&p.bytes);
        }
    }
}
