//! The wire transcript of a case: what went each way, in order, annotated with the protocol unit
//! each piece was (a request head, a chunk size line, the zero chunk, FIN) and when it happened.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

/// Most bytes of one entry kept for display.
pub const PREVIEW_BYTES: usize = 512;

/// Which way an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From peerspec to the peer.
    Sent,
    /// From the peer to peerspec.
    Received,
    /// Something peerspec did or noticed that is not bytes (connect, pause, a check).
    Note,
}

/// One line of the transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Time since the case started.
    #[serde(serialize_with = "micros")]
    pub at: Duration,
    /// Which way.
    pub direction: Direction,
    /// What the unit was: `request head`, `chunk size 0x19`, `FIN`, ...
    pub unit: String,
    /// Its length on the wire.
    pub len: usize,
    /// Its first bytes (up to [`PREVIEW_BYTES`]), escaped for display.
    pub preview: String,
}

fn micros<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// A case's transcript.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    /// Entries in order.
    pub entries: Vec<Entry>,
}

impl Transcript {
    /// Adds an entry for `bytes` (previewed, not kept whole).
    pub fn push(&mut self, at: Duration, direction: Direction, unit: impl Into<String>, bytes: &[u8]) {
        let preview = if bytes.is_empty() { String::new() } else { escape(bytes, PREVIEW_BYTES) };
        self.entries.push(Entry { at, direction, unit: unit.into(), len: bytes.len(), preview });
    }

    /// Adds a note (no bytes).
    pub fn note(&mut self, at: Duration, text: impl Into<String>) {
        self.entries.push(Entry { at, direction: Direction::Note, unit: text.into(), len: 0, preview: String::new() });
    }

    /// Puts the entries in wire order: by time, keeping the order of entries of the same time.
    pub fn sort(&mut self) {
        self.entries.sort_by_key(|e| e.at);
    }

    /// Renders the transcript for a terminal or a text report, one entry per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let arrow = match e.direction {
                Direction::Sent => "→",
                Direction::Received => "←",
                Direction::Note => "·",
            };
            let ms = e.at.as_secs_f64() * 1000.0;
            let _ = write!(out, "  {ms:>9.3}ms {arrow} {}", e.unit);
            if e.direction != Direction::Note && e.len > 0 {
                let _ = write!(out, " ({} B)", e.len);
            }
            if !e.preview.is_empty() {
                let _ = write!(out, "  {}", e.preview);
            }
            out.push('\n');
        }
        out
    }
}

/// Escapes bytes for display: printable ASCII and valid UTF-8 as is, `\r` `\n` `\t` spelled out,
/// other bytes as `\xNN`; cut at `max` bytes with a note of what was left out.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('"');
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    if bytes.len() > shown.len() {
        let _ = write!(out, " … (+{} B)", bytes.len() - shown.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_text_and_spells_out_the_rest() {
        assert_eq!(escape(b"GET / HTTP/1.1\r\n", 100), r#""GET / HTTP/1.1\r\n""#);
        assert_eq!(escape("あ".as_bytes(), 100), "\"あ\"");
        // A UTF-8 character cut by a chunk boundary shows as bytes.
        assert_eq!(escape(&"あ".as_bytes()[..2], 100), r#""\xe3\x81""#);
        assert_eq!(escape(b"abcdef", 3), "\"abc\" … (+3 B)");
    }
}
