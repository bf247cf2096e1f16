//! HTTP/1.x messages (RFC 9112): request encoding, the chunked coding, and a response reader
//! that records exactly how each response was framed on the wire.

pub mod body;
pub mod chunked;
pub mod request;
pub mod response;
pub mod server;

use std::fmt;

/// A framing or syntax error found on the wire, at a byte offset of the message being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Offset of the offending byte, from the start of the message.
    pub offset: usize,
    /// The unit being read when it went wrong (`status line`, `chunk size line`, ...).
    pub unit: &'static str,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}: {}", self.unit, self.offset, self.message)
    }
}

/// RFC 9112 §6.2, quoted in the error a reader gives for a message carrying both framing fields.
pub const TE_AND_CL_RULE: &str = "RFC 9112 §6.2: \"A sender MUST NOT send a Content-Length header field in any message that \
                                  contains a Transfer-Encoding header field.\"";

/// The error for a message head carrying both Content-Length and Transfer-Encoding, if it does:
/// whatever the framing rules make of such a message, its sender broke RFC 9112 §6.2.
pub(crate) fn te_and_cl(headers: &[(String, Vec<u8>)], unit: &'static str, offset: usize) -> Result<(), WireError> {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if has("transfer-encoding") && has("content-length") {
        return Err(WireError {
            offset,
            unit,
            message: format!("both Content-Length and Transfer-Encoding are present; {TE_AND_CL_RULE}"),
        });
    }
    Ok(())
}

/// Finds the first line end (LF) in `buf`. Returns (content length without CR/LF, total length
/// including the terminator, whether the terminator was a bare LF).
pub(crate) fn find_line(buf: &[u8]) -> Option<(usize, usize, bool)> {
    let lf = buf.iter().position(|&b| b == b'\n')?;
    if lf > 0 && buf[lf - 1] == b'\r' {
        Some((lf - 1, lf + 1, false))
    } else {
        Some((lf, lf + 1, true))
    }
}
