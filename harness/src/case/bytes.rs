//! Byte strings in case files: text, hex, concatenations and repeats.
//!
//! YAML double-quoted strings already give CR and LF (`"\r\n"`), but their `\xNN` yields a Unicode
//! code point, not a byte, so arbitrary bytes are written as `{ hex: "ff 00" }`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A byte string as written in a case.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected bytes: a string, { hex: \"0d0a\" }, { repeat: \"a\", times: 1000 }, { chunk: \"data\" }, or a list of these"
)]
pub enum BytesSpec {
    /// UTF-8 text, taken as its bytes.
    Text(String),
    /// Pieces joined in order.
    Concat(Vec<BytesSpec>),
    /// Hex digits (whitespace ignored): `{ hex: "0d0a ff" }`.
    Hex {
        /// The hex digits.
        hex: String,
    },
    /// A piece repeated: `{ repeat: "a", times: 1000 }`.
    Repeat {
        /// What to repeat.
        repeat: Box<BytesSpec>,
        /// How many times.
        times: usize,
    },
    /// One HTTP/1.1 chunk of chunked coding around these bytes, its size line counted for you:
    /// `{ chunk: "data: a\r" }` is `"9\r\ndata: a\r\r\n"`. For raw sends that stream a body a
    /// piece at a time; `"0\r\n\r\n"` is the last chunk.
    Chunk {
        /// The chunk's data.
        chunk: Box<BytesSpec>,
    },
}

/// Upper bound on the bytes one [`BytesSpec`] may expand to, so a case file cannot exhaust memory.
pub const MAX_BYTES: usize = 64 << 20;

impl BytesSpec {
    /// The bytes this spec stands for.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.append_to(&mut out)?;
        Ok(out)
    }

    fn append_to(&self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            BytesSpec::Text(s) => out.extend_from_slice(s.as_bytes()),
            BytesSpec::Concat(parts) => {
                for p in parts {
                    p.append_to(out)?;
                }
            }
            BytesSpec::Hex { hex } => out.extend(decode_hex(hex)?),
            BytesSpec::Chunk { chunk } => crate::wire::http1::chunked::encode_chunk(&chunk.to_bytes()?, out),
            BytesSpec::Repeat { repeat, times } => {
                let one = repeat.to_bytes()?;
                let total = one.len().checked_mul(*times).filter(|n| out.len() + n <= MAX_BYTES);
                if total.is_none() {
                    return Err(format!("repeat expands past the {MAX_BYTES}-byte limit"));
                }
                // Doubling what is there: a few copies for a 16 MiB payload, not one per byte.
                let start = out.len();
                let total = total.unwrap_or(0);
                out.reserve(total);
                if total > 0 {
                    out.extend_from_slice(&one);
                }
                while out.len() - start < total {
                    let have = out.len() - start;
                    out.extend_from_within(start..start + have.min(total - have));
                }
            }
        }
        if out.len() > MAX_BYTES {
            return Err(format!("bytes exceed the {MAX_BYTES}-byte limit"));
        }
        Ok(())
    }
}

/// Decodes hex digits, ignoring ASCII whitespace.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!("hex string has an odd number of digits ({})", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(format!("not a hex digit pair: {:?}", String::from_utf8_lossy(pair))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hex_concat_repeat() {
        let spec = BytesSpec::Concat(vec![
            BytesSpec::Text("a\r\n".into()),
            BytesSpec::Hex { hex: "ff 00".into() },
            BytesSpec::Repeat { repeat: Box::new(BytesSpec::Text("xy".into())), times: 3 },
        ]);
        assert_eq!(spec.to_bytes().unwrap(), b"a\r\n\xff\x00xyxyxy");
        for times in [0, 1, 2, 3, 7, 1000] {
            let spec = BytesSpec::Repeat { repeat: Box::new(BytesSpec::Text("abc".into())), times };
            assert_eq!(spec.to_bytes().unwrap(), "abc".repeat(times).into_bytes(), "{times}");
        }
    }

    #[test]
    fn chunk_counts_its_size() {
        let spec: BytesSpec = serde_norway::from_str("[{ chunk: \"data: a\\r\" }, { chunk: { hex: ff } }, \"0\\r\\n\\r\\n\"]").unwrap();
        assert_eq!(spec.to_bytes().unwrap(), b"8\r\ndata: a\r\r\n1\r\n\xff\r\n0\r\n\r\n");
    }

    #[test]
    fn bad_hex_and_huge_repeat_are_errors() {
        assert!(decode_hex("abc").is_err());
        assert!(decode_hex("zz").is_err());
        let huge = BytesSpec::Repeat { repeat: Box::new(BytesSpec::Text("x".into())), times: usize::MAX };
        assert!(huge.to_bytes().is_err());
    }
}
