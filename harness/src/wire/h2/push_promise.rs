//! PUSH_PROMISE (RFC 9113 §6.6).

use super::{flag, unpad, FrameHeader, Padding};

/// A PUSH_PROMISE payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushPromise {
    /// Padding, when PADDED.
    pub padding: Option<Padding>,
    /// The reserved bit before the promised stream id.
    pub reserved: bool,
    /// Promised stream id.
    pub promised_id: u32,
    /// Field block fragment.
    pub fragment: Vec<u8>,
}

impl PushPromise {
    pub(crate) fn decode(h: &FrameHeader, payload: &[u8]) -> Result<PushPromise, String> {
        let (content, padding) = unpad(payload, h.has(flag::PADDED))?;
        let Some(id) = content.first_chunk::<4>() else {
            return Err(format!("PUSH_PROMISE needs 4 bytes for the promised stream id, has {}", content.len()));
        };
        let id = u32::from_be_bytes(*id);
        Ok(PushPromise { padding, reserved: id & 0x8000_0000 != 0, promised_id: id & 0x7fff_ffff, fragment: content[4..].to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(p) = &self.padding {
            out.push(p.len);
        }
        let id = (self.promised_id & 0x7fff_ffff) | if self.reserved { 0x8000_0000 } else { 0 };
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&self.fragment);
        if let Some(p) = &self.padding {
            out.extend_from_slice(&p.bytes);
        }
    }
}
