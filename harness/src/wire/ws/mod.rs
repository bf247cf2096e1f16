//! WebSocket (RFC 6455), sans-I/O: the frame codec with every header field under control
//! ([`frame`]), word-at-a-time masking ([`mask`]), message reassembly that keeps each fragment's
//! boundary and FIN bit, close payloads ([`close`]) and the opening handshake's key and accept
//! values ([`handshake`]), and permessage-deflate (RFC 7692): its negotiation ([`extensions`]) and
//! its payload transform ([`deflate`]).
//!
//! Nothing here refuses to build a malformed frame: a conformance client must be able to send
//! reserved opcodes, set RSV bits, leave frames unmasked and use non-minimal lengths. Parsing is
//! strict only where the bytes cannot be read at all (a 64-bit length with its top bit set);
//! everything else is recorded and judged by the caller.

pub mod close;
pub mod deflate;
pub mod extensions;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;

/// Opcode values (RFC 6455 §5.2, §11.8).
pub mod opcode {
    /// Continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame.
    pub const BINARY: u8 = 0x2;
    /// Connection close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;

    /// Whether `op` is a control opcode (its high bit set).
    pub fn is_control(op: u8) -> bool {
        op & 0x8 != 0
    }

    /// Whether `op` is one RFC 6455 defines (the others are reserved: 3–7, B–F).
    pub fn is_defined(op: u8) -> bool {
        matches!(op, 0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA)
    }

    /// The opcode's name, or `reserved-0xN`.
    pub fn name(op: u8) -> String {
        match op {
            0x0 => "continuation".into(),
            0x1 => "text".into(),
            0x2 => "binary".into(),
            0x8 => "close".into(),
            0x9 => "ping".into(),
            0xA => "pong".into(),
            other => format!("reserved-0x{other:X}"),
        }
    }

    /// Parses a name (`text`, `ping`, ...) or a number 0–15.
    pub fn parse(s: &str) -> Option<u8> {
        let by_name = match s.to_ascii_lowercase().as_str() {
            "continuation" | "cont" => Some(0x0),
            "text" => Some(0x1),
            "binary" => Some(0x2),
            "close" => Some(0x8),
            "ping" => Some(0x9),
            "pong" => Some(0xA),
            _ => None,
        };
        by_name.or_else(|| {
            let n = match s.strip_prefix("0x") {
                Some(hex) => u8::from_str_radix(hex, 16).ok()?,
                None => s.parse().ok()?,
            };
            (n <= 0xF).then_some(n)
        })
    }
}
