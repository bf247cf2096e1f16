//! The opening handshake (RFC 6455 §4): the client's key, the server's accept value, and the
//! upgrade request.

/// The GUID appended to the key before hashing (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A fresh random `Sec-WebSocket-Key`: 16 random bytes, base64 (§4.1).
pub fn generate_key() -> String {
    tokio_tungstenite::tungstenite::handshake::client::generate_key()
}

/// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)) (§4.2.2).
pub fn accept_for(key: &str) -> String {
    tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes())
}

/// An upgrade request. `headers` are written in order, after the request line, as given: the
/// caller decides which of the usual fields to include (to test a missing or wrong one).
pub fn encode_request(method: &str, target: &str, version: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("{method} {target} {version}\r\n");
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Whether a comma-separated header value contains `token` (case-insensitive), as `Connection:
/// keep-alive, Upgrade` contains `upgrade`.
pub fn has_token(value: &str, token: &str) -> bool {
    value.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_section_1_3_accept_example() {
        assert_eq!(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn keys_are_16_bytes_base64_and_fresh() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(a.len(), 24);
        assert!(a.ends_with("=="));
        assert_ne!(a, b);
    }

    #[test]
    fn tokens() {
        assert!(has_token("keep-alive, Upgrade", "upgrade"));
        assert!(!has_token("upgraded", "upgrade"));
        let r = encode_request("GET", "/ws", "HTTP/1.1", &[("Host".into(), "h".into())]);
        assert_eq!(r, b"GET /ws HTTP/1.1\r\nHost: h\r\n\r\n");
    }
}
