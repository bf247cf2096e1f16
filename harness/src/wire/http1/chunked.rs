//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and recorded unit by unit.
//!
//! Written by hand rather than taken from a crate: peerspec must report each size line, each
//! chunk boundary and the exact offset where a peer broke the coding, which no HTTP crate exposes.

use super::{find_line, WireError};

/// Longest chunk size line (with extensions) or trailer line accepted, so a peer cannot make us
/// buffer without end.
pub const MAX_LINE: usize = 8 * 1024;

/// One piece of the chunked coding, as the decoder met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkEvent {
    /// A chunk size line: the size, its extensions (text after `;`), and the whole line's length
    /// including CRLF. `bare_lf` when it ended in LF alone.
    Size { size: u64, extensions: String, line_len: usize, bare_lf: bool },
    /// Chunk data bytes at `offset..offset+len` of the input given to [`ChunkedDecoder::decode`].
    Data { offset: usize, len: usize },
    /// The line end after a chunk's data (`len` 2 for CRLF, 1 for a bare LF).
    DataEnd { len: usize },
    /// The last chunk (`0`) has been read; trailers follow.
    LastChunk,
    /// A trailer field line.
    Trailer { name: String, value: Vec<u8> },
    /// The empty line ending the trailer section: the chunked body is complete.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeLine,
    Data { remaining: u64 },
    DataCrlf,
    Trailers,
    Done,
}

/// Incremental decoder for a chunked body. Feed it the unread input; it consumes only whole
/// units (a partial size line stays unconsumed until its end arrives).
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Offset of the next unread byte from the start of the chunked body.
    position: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub fn new() -> Self {
        ChunkedDecoder { state: State::SizeLine, position: 0 }
    }

    /// Whether the whole body, trailers included, has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether the decoder is inside a chunk's data (for reporting a FIN mid-chunk).
    pub fn in_chunk_data(&self) -> Option<u64> {
        match self.state {
            State::Data { remaining } => Some(remaining),
            _ => None,
        }
    }

    /// Decodes as much of `input` as forms whole units, calling `on_event` for each. Returns the
    /// number of bytes consumed. Error offsets count from the start of the chunked body.
    pub fn decode(&mut self, input: &[u8], mut on_event: impl FnMut(ChunkEvent)) -> Result<usize, WireError> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.state {
                State::Done => break,
                State::SizeLine => {
                    let Some((content, total, bare_lf)) = find_line(rest) else {
                        self.check_line_cap(rest.len(), "chunk size line")?;
                        break;
                    };
                    self.check_line_cap(content, "chunk size line")?;
                    let (size, extensions) = parse_size_line(&rest[..content]).map_err(|message| WireError {
                        offset: self.position,
                        unit: "chunk size line",
                        message,
                    })?;
                    on_event(ChunkEvent::Size { size, extensions, line_len: total, bare_lf });
                    self.advance(&mut at, total);
                    if size == 0 {
                        on_event(ChunkEvent::LastChunk);
                        self.state = State::Trailers;
                    } else {
                        self.state = State::Data { remaining: size };
                    }
                }
                State::Data { remaining } => {
                    if rest.is_empty() {
                        break;
                    }
                    let take = remaining.min(rest.len() as u64) as usize;
                    on_event(ChunkEvent::Data { offset: at, len: take });
                    self.advance(&mut at, take);
                    let left = remaining - take as u64;
                    self.state = if left == 0 { State::DataCrlf } else { State::Data { remaining: left } };
                }
                State::DataCrlf => {
                    let len = match rest {
                        [] | [b'\r'] => break,
                        [b'\r', b'\n', ..] => 2,
                        [b'\n', ..] => 1,
                        _ => {
                            return Err(WireError {
                                offset: self.position,
                                unit: "chunk data",
                                message: format!(
                                    "chunk data not followed by CRLF (found {:?}): the size line announced fewer bytes than were sent",
                                    String::from_utf8_lossy(&rest[..rest.len().min(8)])
                                ),
                            })
                        }
                    };
                    self.advance(&mut at, len);
                    on_event(ChunkEvent::DataEnd { len });
                    self.state = State::SizeLine;
                }
                State::Trailers => {
                    let Some((content, total, _)) = find_line(rest) else {
                        self.check_line_cap(rest.len(), "trailer line")?;
                        break;
                    };
                    self.check_line_cap(content, "trailer line")?;
                    if content == 0 {
                        self.advance(&mut at, total);
                        on_event(ChunkEvent::End);
                        self.state = State::Done;
                        break;
                    }
                    let line = &rest[..content];
                    let colon = line.iter().position(|&b| b == b':').ok_or_else(|| WireError {
                        offset: self.position,
                        unit: "trailer line",
                        message: "trailer field without a colon".into(),
                    })?;
                    let name = String::from_utf8_lossy(&line[..colon]).into_owned();
                    if name.is_empty() || !name.bytes().all(is_tchar) {
                        return Err(WireError {
                            offset: self.position,
                            unit: "trailer line",
                            message: format!("invalid trailer field name {name:?}"),
                        });
                    }
                    let value = trim_ows(&line[colon + 1..]).to_vec();
                    on_event(ChunkEvent::Trailer { name, value });
                    self.advance(&mut at, total);
                }
            }
        }
        Ok(at)
    }

    fn advance(&mut self, at: &mut usize, n: usize) {
        *at += n;
        self.position += n;
    }

    fn check_line_cap(&self, len: usize, unit: &'static str) -> Result<(), WireError> {
        if len > MAX_LINE {
            return Err(WireError { offset: self.position, unit, message: format!("line longer than {MAX_LINE} bytes") });
        }
        Ok(())
    }
}

/// Parses `1*HEXDIG [ BWS ";" ext ]`: the size and the extension text.
fn parse_size_line(line: &[u8]) -> Result<(u64, String), String> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(format!("expected hex digits, found {:?}", String::from_utf8_lossy(line)));
    }
    // Leading zeros are allowed; the value must fit in 64 bits.
    let significant = line[..digits].iter().skip_while(|&&b| b == b'0').count();
    if significant > 16 {
        return Err(format!("chunk size {:?} overflows 64 bits", String::from_utf8_lossy(&line[..digits])));
    }
    let size = u64::from_str_radix(std::str::from_utf8(&line[..digits]).expect("hex digits are ASCII"), 16).map_err(|e| e.to_string())?;
    let rest = &line[digits..];
    let after_ws = trim_ows(rest);
    if after_ws.is_empty() && rest.iter().all(|b| *b == b' ' || *b == b'\t') {
        return Ok((size, String::new()));
    }
    if after_ws.first() != Some(&b';') {
        return Err(format!("unexpected {:?} after the chunk size", String::from_utf8_lossy(rest)));
    }
    Ok((size, String::from_utf8_lossy(&after_ws[1..]).into_owned()))
}

/// `tchar` of RFC 9110 §5.6.2: the characters of a token (field names, methods).
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Strips optional whitespace (SP / HTAB) from both ends.
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Encodes `data` as one chunk (size line, data, CRLF). An empty `data` would be the last
/// chunk, so callers write that with [`last_chunk`].
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Encodes the last chunk, trailer fields and the final CRLF.
pub fn last_chunk<'a>(trailers: impl IntoIterator<Item = (&'a str, &'a str)>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Body, chunk sizes, trailers, and whether the body ended.
    type Decoded = (Vec<u8>, Vec<u64>, Vec<(String, Vec<u8>)>, bool);

    /// Decodes `input` fed in pieces of `step` bytes, as reads from a socket would deliver it.
    fn decode_in_steps(input: &[u8], step: usize) -> Result<Decoded, WireError> {
        let mut dec = ChunkedDecoder::new();
        let (mut body, mut sizes, mut trailers) = (Vec::new(), Vec::new(), Vec::new());
        let mut buf: Vec<u8> = Vec::new();
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            let snapshot = buf.clone();
            let used = dec.decode(&snapshot, |ev| match ev {
                ChunkEvent::Data { offset, len } => body.extend_from_slice(&snapshot[offset..offset + len]),
                ChunkEvent::Size { size, .. } => sizes.push(size),
                ChunkEvent::Trailer { name, value } => trailers.push((name, value)),
                _ => {}
            })?;
            buf.drain(..used);
        }
        Ok((body, sizes, trailers, dec.is_done()))
    }

    const SEED: &[u8] = b"19\r\n<iframe src=\"hello.html\">\r\n9\r\n</iframe>\r\n0\r\n\r\n";

    #[test]
    fn seed_body_decodes_at_every_split() {
        for step in 1..=SEED.len() {
            let (body, sizes, trailers, done) = decode_in_steps(SEED, step).unwrap();
            assert_eq!(body, b"<iframe src=\"hello.html\"></iframe>", "step {step}");
            assert_eq!(sizes, [0x19, 9, 0]);
            assert!(trailers.is_empty());
            assert!(done);
        }
    }

    #[test]
    fn size_line_split_across_reads_waits_for_its_end() {
        let mut dec = ChunkedDecoder::new();
        assert_eq!(dec.decode(b"1", |_| panic!("no event yet")).unwrap(), 0);
        let mut events = vec![];
        assert_eq!(dec.decode(b"19\r\n", |e| events.push(e)).unwrap(), 4);
        assert!(matches!(events[0], ChunkEvent::Size { size: 0x19, .. }));
    }

    #[test]
    fn trailers_and_extensions() {
        let input = b"5;name=value\r\nhello\r\n0\r\nX-Checksum: abc \r\nOther:1\r\n\r\n";
        let (body, sizes, trailers, done) = decode_in_steps(input, 3).unwrap();
        assert_eq!(body, b"hello");
        assert_eq!(sizes, [5, 0]);
        assert_eq!(trailers, vec![("X-Checksum".into(), b"abc".to_vec()), ("Other".into(), b"1".to_vec())]);
        assert!(done);
    }

    #[test]
    fn the_articles_0x11_chunk_is_a_framing_error() {
        // The seed article draws `11` (17 bytes) before the 9-byte `</iframe>`: the declared size
        // swallows the CRLF and the last chunk, so a decoder must not see a complete body there.
        let drawn = b"19\r\n<iframe src=\"hello.html\">\r\n11\r\n</iframe>\r\n0\r\n\r\n";
        let (_, _, _, done) = decode_in_steps(drawn, drawn.len()).unwrap();
        assert!(!done);
    }

    #[test]
    fn bad_size_lines_name_their_offset() {
        let mut dec = ChunkedDecoder::new();
        let err = dec.decode(b"3\r\nabc\r\nzz\r\n", |_| {}).unwrap_err();
        assert_eq!((err.offset, err.unit), (8, "chunk size line"));
        let err = ChunkedDecoder::new().decode(b"11111111111111111\r\n", |_| {}).unwrap_err();
        assert!(err.message.contains("overflows"), "{err}");
        let err = ChunkedDecoder::new().decode(b"-1\r\n", |_| {}).unwrap_err();
        assert!(err.message.contains("hex digits"), "{err}");
        let err = ChunkedDecoder::new().decode(b"3\r\nabcd\r\n", |_| {}).unwrap_err();
        assert_eq!((err.offset, err.unit), (6, "chunk data"));
        let long = vec![b'1'; MAX_LINE + 10];
        assert!(ChunkedDecoder::new().decode(&long, |_| {}).is_err());
    }

    #[test]
    fn fin_inside_chunk_data_is_visible() {
        let mut dec = ChunkedDecoder::new();
        dec.decode(b"a\r\nhello", |_| {}).unwrap();
        assert_eq!(dec.in_chunk_data(), Some(5));
        assert!(!dec.is_done());
    }

    #[test]
    fn encode_round_trips() {
        let mut out = vec![];
        encode_chunk(b"<iframe src=\"hello.html\">", &mut out);
        encode_chunk(b"</iframe>", &mut out);
        last_chunk([("X-A", "1")], &mut out);
        let (body, sizes, trailers, done) = decode_in_steps(&out, 7).unwrap();
        assert_eq!(body, b"<iframe src=\"hello.html\"></iframe>");
        assert_eq!(sizes, [0x19, 9, 0]);
        assert_eq!(trailers, vec![("X-A".into(), b"1".to_vec())]);
        assert!(done);
    }
}
