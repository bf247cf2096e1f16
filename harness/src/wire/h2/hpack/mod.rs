//! HPACK (RFC 7541): header compression for HTTP/2, sans-I/O, with every encoding choice open to
//! a case (indexed, literal with or without indexing, never indexed, Huffman or not, dynamic
//! table size updates) and a decoder that keeps the dynamic table a connection shares.

pub mod huffman;

use std::collections::VecDeque;
use std::fmt;

/// The static table (Appendix A), 1-based.
pub const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// A header field as bytes.
pub type Field = (Vec<u8>, Vec<u8>);

/// Literal representation kinds (§6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexing {
    /// Literal with incremental indexing (§6.2.1): the field enters the dynamic table.
    Incremental,
    /// Literal without indexing (§6.2.2).
    Without,
    /// Literal never indexed (§6.2.3).
    Never,
}

/// A literal's name: an index into the tables or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// Indexed name.
    Index(u32),
    /// Literal name, Huffman-coded or not.
    Literal { name: Vec<u8>, huffman: bool },
}

/// One field representation (§6), as a case scripts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rep {
    /// Indexed field (§6.1).
    Indexed(u32),
    /// Literal field.
    Literal { name: Name, value: Vec<u8>, huffman: bool, indexing: Indexing },
    /// Dynamic table size update (§6.3).
    SizeUpdate(u32),
}

/// Encodes an integer with an `n`-bit prefix (§5.1); `first` holds the bits above the prefix.
pub fn encode_int(value: u64, n: u8, first: u8, out: &mut Vec<u8>) {
    let max = (1u64 << n) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    let mut v = value - max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// Encodes a string literal (§5.2).
pub fn encode_string(s: &[u8], huffman: bool, out: &mut Vec<u8>) {
    if huffman {
        let h = huffman::encode(s);
        encode_int(h.len() as u64, 7, 0x80, out);
        out.extend(h);
    } else {
        encode_int(s.len() as u64, 7, 0, out);
        out.extend_from_slice(s);
    }
}

/// Encodes representations in order.
pub fn encode(reps: &[Rep]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in reps {
        match r {
            Rep::Indexed(i) => encode_int(*i as u64, 7, 0x80, &mut out),
            Rep::SizeUpdate(n) => encode_int(*n as u64, 5, 0x20, &mut out),
            Rep::Literal { name, value, huffman, indexing } => {
                let (n, first) = match indexing {
                    Indexing::Incremental => (6, 0x40),
                    Indexing::Without => (4, 0x00),
                    Indexing::Never => (4, 0x10),
                };
                match name {
                    Name::Index(i) => encode_int(*i as u64, n, first, &mut out),
                    Name::Literal { name, huffman } => {
                        out.push(first);
                        encode_string(name, *huffman, &mut out);
                    }
                }
                encode_string(value, *huffman, &mut out);
            }
        }
    }
    out
}

/// The representations a plain header list gets: static-table hits indexed, everything else a
/// literal without indexing (so the encoder needs no dynamic table), Huffman when asked.
pub fn reps_for(fields: &[(String, String)], huffman: bool) -> Vec<Rep> {
    fields
        .iter()
        .map(|(n, v)| {
            if let Some(i) = STATIC_TABLE.iter().position(|(sn, sv)| sn == n && sv == v && !sv.is_empty()) {
                return Rep::Indexed(i as u32 + 1);
            }
            let name = match STATIC_TABLE.iter().position(|(sn, _)| sn == n) {
                Some(i) => Name::Index(i as u32 + 1),
                None => Name::Literal { name: n.as_bytes().to_vec(), huffman },
            };
            Rep::Literal { name, value: v.as_bytes().to_vec(), huffman, indexing: Indexing::Without }
        })
        .collect()
}

/// A header block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpackError {
    /// Offset in the block.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HPACK error at byte {} of the field block: {}", self.offset, self.message)
    }
}

/// The decoder: the dynamic table a connection's received field blocks share.
#[derive(Debug, Clone)]
pub struct Decoder {
    table: VecDeque<Field>,
    size: usize,
    max_size: usize,
    /// The limit our SETTINGS_HEADER_TABLE_SIZE allows the peer.
    pub max_allowed: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(4096)
    }
}

/// Entry size (§4.1).
fn entry_size(f: &Field) -> usize {
    f.0.len() + f.1.len() + 32
}

impl Decoder {
    /// A decoder whose table may grow to `max` bytes.
    pub fn new(max: usize) -> Decoder {
        Decoder { table: VecDeque::new(), size: 0, max_size: max, max_allowed: max }
    }

    /// The dynamic table, newest first.
    pub fn table(&self) -> &VecDeque<Field> {
        &self.table
    }

    /// The dynamic table's size (§4.1).
    pub fn size(&self) -> usize {
        self.size
    }

    fn evict(&mut self) {
        while self.size > self.max_size {
            let Some(f) = self.table.pop_back() else { break };
            self.size -= entry_size(&f);
        }
    }

    fn insert(&mut self, f: Field) {
        let s = entry_size(&f);
        self.size += s;
        self.table.push_front(f);
        self.evict();
    }

    fn get(&self, index: u64) -> Result<Field, String> {
        match index {
            0 => Err("index 0 is not a valid table index".into()),
            1..=61 => {
                let (n, v) = STATIC_TABLE[index as usize - 1];
                Ok((n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            }
            _ => self
                .table
                .get(index as usize - 62)
                .cloned()
                .ok_or_else(|| format!("index {index} is past the end of the tables ({} dynamic entries)", self.table.len())),
        }
    }

    /// Decodes a complete field block, updating the dynamic table. On error the table may be
    /// partly updated (the connection is broken anyway, §4.3).
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<Field>, HpackError> {
        match self.decode_bounded(block, u64::MAX) {
            Ok(fields) => Ok(fields),
            Err(BoundedError::Hpack(e)) => Err(e),
            Err(BoundedError::TooLarge { .. }) => unreachable!("no field section is over u64::MAX bytes"),
        }
    }

    /// [`Decoder::decode`] that keeps at most `max_list` bytes of decoded field section (each
    /// field counted as name + value + 32, as SETTINGS_MAX_HEADER_LIST_SIZE counts it, RFC 9113
    /// §6.5.2): a small block that references a large table entry many times would otherwise
    /// decode to hundreds of megabytes (§10.5.1). Past the limit, the rest of the block is only
    /// measured (the table still follows it), and the error says how large it was.
    pub fn decode_bounded(&mut self, block: &[u8], max_list: u64) -> Result<Vec<Field>, BoundedError> {
        let mut fields = Vec::new();
        let mut decoded: u64 = 0;
        let mut over_at = None;
        let mut keep = |f: Field, at: usize, fields: &mut Vec<Field>| {
            decoded = decoded.saturating_add(entry_size(&f) as u64);
            if decoded > max_list {
                over_at.get_or_insert(at);
            } else {
                fields.push(f);
            }
        };
        let mut pos = 0;
        let mut seen_field = false;
        while pos < block.len() {
            let at = pos;
            let err = |message: String| HpackError { offset: at, message };
            let b = block[pos];
            if b & 0x80 != 0 {
                let i = decode_int(block, &mut pos, 7).map_err(err)?;
                keep(self.get(i).map_err(err)?, at, &mut fields);
                seen_field = true;
            } else if b & 0xe0 == 0x20 {
                if seen_field {
                    return Err(err("dynamic table size update after a field representation (RFC 7541 §4.2)".into()).into());
                }
                let n = decode_int(block, &mut pos, 5).map_err(err)?;
                if n as usize > self.max_allowed {
                    return Err(err(format!("dynamic table size update to {n} exceeds the limit {}", self.max_allowed)).into());
                }
                self.max_size = n as usize;
                self.evict();
            } else {
                let (n, incremental) = if b & 0x40 != 0 { (6, true) } else { (4, false) };
                let i = decode_int(block, &mut pos, n).map_err(err)?;
                let name = if i == 0 { decode_string(block, &mut pos).map_err(err)? } else { self.get(i).map_err(err)?.0 };
                let value = decode_string(block, &mut pos).map_err(err)?;
                let f = (name, value);
                if incremental {
                    self.insert(f.clone());
                }
                keep(f, at, &mut fields);
                seen_field = true;
            }
        }
        match over_at {
            None => Ok(fields),
            Some(offset) => Err(BoundedError::TooLarge { decoded, limit: max_list, offset, block: block.len() }),
        }
    }
}

/// Why a bounded decode failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundedError {
    /// The block is not valid HPACK.
    Hpack(HpackError),
    /// The decoded field section is over the limit.
    TooLarge {
        /// Its decoded size (name + value + 32 per field).
        decoded: u64,
        /// The limit.
        limit: u64,
        /// Where in the block the limit was passed.
        offset: usize,
        /// The block's (compressed) size.
        block: usize,
    },
}

impl From<HpackError> for BoundedError {
    fn from(e: HpackError) -> Self {
        BoundedError::Hpack(e)
    }
}

impl fmt::Display for BoundedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundedError::Hpack(e) => e.fmt(f),
            BoundedError::TooLarge { decoded, limit, offset, block } => write!(
                f,
                "the {block}-byte field block decodes to a {decoded}-byte field section (name + value + 32 per field), \
                 over the {limit}-byte limit peerspec announces as SETTINGS_MAX_HEADER_LIST_SIZE (set by --max-header-bytes); \
                 the limit was passed at byte {offset} of the block and peerspec kept nothing past it (RFC 9113 §10.5.1)"
            ),
        }
    }
}

/// Decodes an integer with an `n`-bit prefix at `*pos` (§5.1).
pub fn decode_int(b: &[u8], pos: &mut usize, n: u8) -> Result<u64, String> {
    let max = (1u64 << n) - 1;
    let first = *b.get(*pos).ok_or("truncated integer")? as u64 & max;
    *pos += 1;
    if first < max {
        return Ok(first);
    }
    let mut value = max;
    let mut shift = 0;
    loop {
        let byte = *b.get(*pos).ok_or("truncated integer")?;
        *pos += 1;
        if shift > 28 {
            return Err("integer too large".into());
        }
        value += ((byte & 0x7f) as u64) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// Decodes a string literal at `*pos` (§5.2).
pub fn decode_string(b: &[u8], pos: &mut usize) -> Result<Vec<u8>, String> {
    let huffman = b.get(*pos).ok_or("truncated string")? & 0x80 != 0;
    let len = decode_int(b, pos, 7)? as usize;
    let end = pos.checked_add(len).filter(|e| *e <= b.len()).ok_or_else(|| format!("string of {len} bytes runs past the block"))?;
    let raw = &b[*pos..end];
    *pos = end;
    if huffman {
        huffman::decode(raw)
    } else {
        Ok(raw.to_vec())
    }
}

#[cfg(test)]
mod tests;
