//! HEADERS (RFC 9113 §6.2).

use super::{flag, unpad, FrameHeader, Padding, PriorityFields};

/// A HEADERS payload: optional padding and priority, and a header block fragment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers {
    /// Padding, when PADDED.
    pub padding: Option<Padding>,
    /// Priority fields, when PRIORITY.
    pub priority: Option<PriorityFields>,
    /// The field block fragment (HPACK).
    pub fragment: Vec<u8>,
}

impl Headers {
    pub(crate) fn decode(h: &FrameHeader, payload: &[u8]) -> Result<Headers, String> {
        let (content, padding) = unpad(payload, h.has(flag::PADDED))?;
        let (priority, fragment) = if h.has(flag::PRIORITY) {
            if content.len() < 5 {
                return Err(format!("PRIORITY flag set but only {} bytes for the 5 priority bytes", content.len()));
            }
            (Some(PriorityFields::parse(content)), &content[5..])
        } else {
            (None, content)
        };
        Ok(Headers { padding, priority, fragment: fragment.to_vec() })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(p) = &self.padding {
            out.push(p.len);
        }
        if let Some(p) = &self.priority {
            p.encode(out);
        }
        out.extend_from_slice(&self.fragment);
        if let Some(p) = &self.padding {
            out.extend_from_slice(&p.bytes);
        }
    }
}
