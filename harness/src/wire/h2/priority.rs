//! PRIORITY (RFC 9113 §6.3).

use super::{need_len, FrameHeader, PriorityFields};

/// A PRIORITY payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Priority {
    /// Dependency, exclusive bit, weight.
    pub fields: PriorityFields,
}

impl Priority {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Priority, String> {
        need_len("PRIORITY", payload, 5)?;
        Ok(Priority { fields: PriorityFields::parse(payload) })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.fields.encode(out)
    }
}
