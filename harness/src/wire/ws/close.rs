//! Close frame payloads (RFC 6455 §5.5.1, §7.4): an optional 2-byte status code and a UTF-8
//! reason.

/// A close payload as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosePayload {
    /// The status code; `None` for an empty payload (reported as 1005, §7.1.5).
    pub code: Option<u16>,
    /// The reason bytes (valid UTF-8 when [`parse_close`] accepted them).
    pub reason: Vec<u8>,
}

impl ClosePayload {
    /// The code as an application sees it: 1005 when the payload was empty (§7.1.5).
    pub fn effective_code(&self) -> u16 {
        self.code.unwrap_or(1005)
    }
}

/// Parses a close payload: empty, or a code and a valid UTF-8 reason. A 1-byte payload and an
/// invalid reason are errors (§5.5.1).
pub fn parse_close(payload: &[u8]) -> Result<ClosePayload, String> {
    match payload.len() {
        0 => Ok(ClosePayload { code: None, reason: vec![] }),
        1 => Err("close payload of 1 byte: a status code needs 2 (RFC 6455 §5.5.1)".into()),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            let reason = &payload[2..];
            if let Err(e) = std::str::from_utf8(reason) {
                return Err(format!("close reason is not valid UTF-8 (byte {} of the reason, RFC 6455 §5.5.1)", e.valid_up_to()));
            }
            Ok(ClosePayload { code: Some(code), reason: reason.to_vec() })
        }
    }
}

/// Whether a code may appear in a close frame on the wire (§7.4.1, §7.4.2, and the IANA
/// WebSocket Close Code Number Registry): 1000–1003, 1007–1014 (1012 Service Restart, 1013 Try
/// Again Later and 1014 Bad Gateway were registered after RFC 6455), and 3000–4999. 1004, 1005,
/// 1006 and 1015 must not be sent; 0–999 are unused; 1016–2999 are reserved for future RFCs.
pub fn code_is_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Builds a close payload: the code (if any) then the reason.
pub fn encode_close(code: Option<u16>, reason: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + reason.len());
    if let Some(c) = code {
        out.extend_from_slice(&c.to_be_bytes());
    }
    out.extend_from_slice(reason);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_checks_reasons() {
        assert_eq!(parse_close(b"").unwrap().effective_code(), 1005);
        assert!(parse_close(&[0x03]).is_err());
        let c = parse_close(&encode_close(Some(1000), "さよなら".as_bytes())).unwrap();
        assert_eq!((c.code, c.reason.as_slice()), (Some(1000), "さよなら".as_bytes()));
        assert!(parse_close(&[0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD]).unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn valid_codes() {
        for c in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] {
            assert!(code_is_valid_on_wire(c), "{c}");
        }
        for c in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assert!(!code_is_valid_on_wire(c), "{c}");
        }
    }
}
