//! SETTINGS (RFC 9113 §6.5).

use super::FrameHeader;

pub const HEADER_TABLE_SIZE: u16 = 0x1;
pub const ENABLE_PUSH: u16 = 0x2;
pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
pub const MAX_FRAME_SIZE: u16 = 0x5;
pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;

const NAMES: [&str; 6] =
    ["HEADER_TABLE_SIZE", "ENABLE_PUSH", "MAX_CONCURRENT_STREAMS", "INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE"];

/// A setting's name (without `SETTINGS_`), or its number.
pub fn name(id: u16) -> String {
    id.checked_sub(1).and_then(|i| NAMES.get(i as usize)).map(|s| s.to_string()).unwrap_or_else(|| format!("0x{id:x}"))
}

/// A setting id by name (`INITIAL_WINDOW_SIZE`, with or without `SETTINGS_`) or number.
pub fn by_name(s: &str) -> Option<u16> {
    let upper = s.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("SETTINGS_").unwrap_or(&upper);
    NAMES.iter().position(|n| *n == bare).map(|i| i as u16 + 1).or_else(|| super::parse_int(bare).and_then(|v| u16::try_from(v).ok()))
}

/// A SETTINGS payload: parameters in order (the ACK flag is in the header).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// Identifier and value pairs.
    pub params: Vec<(u16, u32)>,
    /// Bytes after the last whole parameter (only when encoding on purpose).
    pub trailing: Vec<u8>,
}

impl Settings {
    pub(crate) fn decode(_: &FrameHeader, payload: &[u8]) -> Result<Settings, String> {
        if payload.len() % 6 != 0 {
            return Err(format!("SETTINGS payload length {} is not a multiple of 6", payload.len()));
        }
        let params =
            payload.chunks_exact(6).map(|c| (u16::from_be_bytes([c[0], c[1]]), u32::from_be_bytes([c[2], c[3], c[4], c[5]]))).collect();
        Ok(Settings { params, trailing: vec![] })
    }
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        for (id, v) in &self.params {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.trailing);
    }
    /// The last value of a parameter.
    pub fn get(&self, id: u16) -> Option<u32> {
        self.params.iter().rev().find(|(i, _)| *i == id).map(|(_, v)| *v)
    }
}
