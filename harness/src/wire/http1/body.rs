//! HTTP/1.x message bodies, for requests and responses alike: how the length is declared
//! (RFC 9112 §6.3), and an incremental reader that records each unit of the body on the wire.

use crate::case::BodyEnd;

use super::chunked::{ChunkEvent, ChunkedDecoder};
use super::WireError;

/// Limits that keep a hostile peer from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest message head (start line and fields) accepted.
    pub max_head: usize,
    /// Most body bytes kept for checks; the rest is counted, not kept.
    pub max_body_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_head: 64 * 1024, max_body_kept: 16 << 20 }
    }
}

/// Chunks recorded one by one per body; later ones are only counted, so an endless stream of
/// tiny chunks cannot grow the record without end.
pub const MAX_CHUNK_RECORDS: usize = 10_000;

/// How a message declared its body's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: by the rules (HEAD, 1xx, 204, 304), or a request with neither field.
    NoBody,
    /// `Content-Length: N`.
    ContentLength(u64),
    /// `Transfer-Encoding` ending in `chunked`.
    Chunked,
    /// Neither, in a response: the body runs until the connection closes.
    UntilClose,
}

/// Which kind of message a body belongs to; the length rules differ (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A request: no framing fields means no body.
    Request,
    /// A response: no framing fields means a body until the connection closes.
    Response,
}

/// RFC 9112 §6.3: the body length declared by `headers`. `no_body` is true when the rules
/// already say there is none (a response to HEAD, 1xx, 204, 304). Also says whether both
/// Transfer-Encoding and Content-Length were present.
pub fn framing(headers: &[(String, Vec<u8>)], kind: MessageKind, no_body: bool) -> Result<(Framing, bool), String> {
    if no_body {
        return Ok((Framing::NoBody, false));
    }
    let te = join_fields(headers, "transfer-encoding");
    let cl = join_fields(headers, "content-length");
    if let Some(te) = te {
        let last = te.rsplit(',').next().unwrap_or("").trim();
        let framing = match (last.eq_ignore_ascii_case("chunked"), kind) {
            (true, _) => Framing::Chunked,
            (false, MessageKind::Response) => Framing::UntilClose,
            (false, MessageKind::Request) => {
                return Err(format!("Transfer-Encoding {te:?} does not end in chunked: the request body length cannot be determined"))
            }
        };
        return Ok((framing, cl.is_some()));
    }
    if let Some(cl) = cl {
        // Repeated fields or a list must all carry the same value (RFC 9110 §8.6).
        let mut values = cl.split(',').map(str::trim);
        let first = values.next().unwrap_or("");
        if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) || values.any(|v| v != first) {
            return Err(format!("invalid Content-Length {cl:?}"));
        }
        let n: u64 = first.parse().map_err(|_| format!("Content-Length {first} overflows 64 bits"))?;
        return Ok((Framing::ContentLength(n), false));
    }
    Ok((if kind == MessageKind::Request { Framing::NoBody } else { Framing::UntilClose }, false))
}

/// What one wire unit was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// An interim (1xx) response head.
    InterimHead { status: u16 },
    /// The message head: start line and header fields, up to the empty line.
    Head,
    /// Body bytes delimited by Content-Length.
    ContentLengthBody,
    /// Body bytes delimited by the connection's close.
    CloseDelimitedBody,
    /// A chunk size line.
    ChunkSize { size: u64, extensions: String, bare_lf: bool },
    /// Chunk data (with the line end that follows it, when it came).
    ChunkData { len: u64 },
    /// The last chunk's size line (`0`).
    LastChunk,
    /// The trailer section and the final CRLF.
    Trailers { count: usize },
    /// The peer closed the connection here.
    Fin,
}

/// A unit of a message at `offset..offset+len` of the bytes its reader was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Offset from the message's first byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// What it was.
    pub kind: UnitKind,
}

/// One chunk as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// Size from the size line.
    pub size: u64,
    /// Extensions after `;`.
    pub extensions: String,
}

/// Everything observed about one body.
#[derive(Debug, Clone, Default)]
pub struct BodyRecord {
    /// How the length was declared.
    pub framing: Option<Framing>,
    /// Both Transfer-Encoding and Content-Length were sent (RFC 9112 §6.3 item 3).
    pub te_and_cl: bool,
    /// Body bytes (chunked coding removed), up to [`Limits::max_body_kept`].
    pub bytes: Vec<u8>,
    /// Total body bytes received, kept or not.
    pub len: u64,
    /// Chunks, in order, the zero chunk included (the first [`MAX_CHUNK_RECORDS`]).
    pub chunks: Vec<ChunkRecord>,
    /// Chunks past [`MAX_CHUNK_RECORDS`], counted only.
    pub chunks_not_kept: u64,
    /// Trailer fields.
    pub trailers: Vec<(String, Vec<u8>)>,
    /// How the body ended, once it has.
    pub end: Option<BodyEnd>,
    /// Whether body bytes past [`Limits::max_body_kept`] are handed on in `overflow`.
    pub keep_overflow: bool,
    /// With `keep_overflow`: the body bytes past the kept ones that the latest read brought
    /// (its reader clears them at each read), for a consumer that follows the body as it
    /// streams (an event stream).
    pub overflow: Vec<u8>,
}

impl BodyRecord {
    /// The sizes of the data chunks (the zero chunk left out).
    pub fn chunk_sizes(&self) -> Vec<u64> {
        self.chunks.iter().map(|c| c.size).filter(|s| *s != 0).collect()
    }

    /// A trailer field's value(s), joined by `, `.
    pub fn trailer(&self, name: &str) -> Option<String> {
        join_fields(&self.trailers, name)
    }

    /// Whether all the body bytes were kept (none dropped by the limit).
    pub fn kept_whole(&self) -> bool {
        self.bytes.len() as u64 == self.len
    }
}

/// All values of a field (case-insensitive name), joined by `, ` as RFC 9110 §5.3 allows.
pub fn join_fields(fields: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    let values: Vec<String> =
        fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| String::from_utf8_lossy(v).into_owned()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

#[derive(Debug, Clone)]
enum State {
    Length { remaining: u64 },
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// The reader's answer for the bytes seen so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The message is incomplete; read more (or report the close).
    NeedMore,
    /// The message is complete and used this many bytes of the buffer.
    Done { consumed: usize },
    /// The bytes are not a valid message.
    Invalid(WireError),
}

/// Incremental reader for one body, after its head.
#[derive(Debug, Clone)]
pub struct BodyReader {
    state: State,
    limits: Limits,
    /// Bytes of the message its owner has let go of ([`BodyReader::rebase`]): buffer offsets
    /// plus this are offsets from the message's first byte.
    released: usize,
}

impl BodyReader {
    /// A reader for a body with this framing; records the framing in `record`.
    pub fn new(framing: Framing, limits: Limits, record: &mut BodyRecord) -> Self {
        record.framing = Some(framing);
        let state = match framing {
            Framing::NoBody => {
                record.end = Some(BodyEnd::NoBody);
                State::Done
            }
            Framing::ContentLength(0) => {
                record.end = Some(BodyEnd::ContentLength);
                State::Done
            }
            Framing::ContentLength(n) => State::Length { remaining: n },
            Framing::Chunked => State::Chunked(ChunkedDecoder::new()),
            Framing::UntilClose => State::UntilClose,
        };
        BodyReader { state, limits, released: 0 }
    }

    /// The owner dropped the first `n` bytes of the buffer (all read): later buffers start
    /// that much further into the message.
    pub fn rebase(&mut self, n: usize) {
        self.released += n;
    }

    /// For a message reader that owns `body` (once its head is in), its read position `pos` and
    /// the units it recorded: lets go of what has been read. Returns how many leading bytes of
    /// the buffer the reader is done with and the units they held; later buffers start after
    /// them. `None` before the head, when the body is complete, or when nothing was read.
    pub fn release_read(body: Option<&mut BodyReader>, pos: &mut usize, units: &mut Vec<Unit>) -> Option<(usize, Vec<Unit>)> {
        let body = body?;
        if *pos == 0 || body.is_done() {
            return None;
        }
        let n = std::mem::take(pos);
        body.rebase(n);
        Some((n, std::mem::take(units)))
    }

    /// Whether the body is complete.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// [`advance`](Self::advance), and where the message stands: complete (using the first
    /// `*pos` bytes of `buf`), incomplete, or invalid.
    pub fn progress(&mut self, buf: &[u8], pos: &mut usize, eof: bool, record: &mut BodyRecord, units: &mut Vec<Unit>) -> Progress {
        match self.advance(buf, pos, eof, record, units) {
            Err(e) => Progress::Invalid(e),
            Ok(()) if self.is_done() => Progress::Done { consumed: *pos },
            Ok(()) => Progress::NeedMore,
        }
    }

    /// Reads body bytes from `buf[*pos..]`, advancing `*pos` past what it used and recording
    /// units (with offsets in `buf`) and body facts. `eof`: the peer has closed.
    pub fn advance(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        eof: bool,
        record: &mut BodyRecord,
        units: &mut Vec<Unit>,
    ) -> Result<(), WireError> {
        let rest = &buf[*pos..];
        let limits = self.limits;
        let released = self.released;
        match &mut self.state {
            State::Done => {}
            State::Length { remaining } => {
                let take = (*remaining).min(rest.len() as u64) as usize;
                if take > 0 {
                    keep(record, &rest[..take], limits);
                    extend_or_push(units, *pos, take, UnitKind::ContentLengthBody);
                    *remaining -= take as u64;
                    *pos += take;
                }
                if *remaining == 0 {
                    record.end = Some(BodyEnd::ContentLength);
                    self.state = State::Done;
                } else if eof {
                    truncated(&mut self.state, record, units, *pos);
                }
            }
            State::UntilClose => {
                if !rest.is_empty() {
                    keep(record, rest, limits);
                    extend_or_push(units, *pos, rest.len(), UnitKind::CloseDelimitedBody);
                    *pos += rest.len();
                }
                if eof {
                    units.push(Unit { offset: *pos, len: 0, kind: UnitKind::Fin });
                    record.end = Some(BodyEnd::Fin);
                    self.state = State::Done;
                }
            }
            State::Chunked(decoder) => {
                let base = *pos;
                let start = decoder.position();
                let mut cursor = base;
                let result = decoder.decode(rest, |event| match event {
                    ChunkEvent::Size { size, extensions, line_len, bare_lf } => {
                        let kind = if size == 0 {
                            UnitKind::LastChunk
                        } else {
                            UnitKind::ChunkSize { size, extensions: extensions.clone(), bare_lf }
                        };
                        units.push(Unit { offset: cursor, len: line_len, kind });
                        if record.chunks.len() < MAX_CHUNK_RECORDS {
                            record.chunks.push(ChunkRecord { size, extensions });
                        } else {
                            record.chunks_not_kept += 1;
                        }
                        cursor += line_len;
                    }
                    ChunkEvent::Data { offset, len } => {
                        keep(record, &rest[offset..offset + len], limits);
                        extend_or_push(units, base + offset, len, UnitKind::ChunkData { len: len as u64 });
                        cursor = base + offset + len;
                    }
                    ChunkEvent::DataEnd { len } => {
                        // The line end after the data belongs to the chunk-data unit.
                        if let Some(u) = units.last_mut() {
                            u.len += len;
                        }
                        cursor += len;
                    }
                    ChunkEvent::Trailer { name, value } => record.trailers.push((name, value)),
                    ChunkEvent::LastChunk | ChunkEvent::End => {}
                });
                let consumed = result.map_err(|mut e| {
                    // Offsets from the start of the message, not of the chunked body.
                    e.offset += base + released - start;
                    e
                })?;
                *pos += consumed;
                if decoder.is_done() {
                    // The trailer section starts right after the last chunk's size line.
                    let at = units.iter().rev().find(|u| u.kind == UnitKind::LastChunk).map_or(*pos, |u| u.offset + u.len);
                    let count = record.trailers.len();
                    units.push(Unit { offset: at, len: *pos - at, kind: UnitKind::Trailers { count } });
                    record.end = Some(BodyEnd::ZeroChunk);
                    self.state = State::Done;
                } else if eof {
                    truncated(&mut self.state, record, units, *pos);
                }
            }
        }
        Ok(())
    }
}

fn truncated(state: &mut State, record: &mut BodyRecord, units: &mut Vec<Unit>, at: usize) {
    units.push(Unit { offset: at, len: 0, kind: UnitKind::Fin });
    record.end = Some(BodyEnd::Truncated);
    *state = State::Done;
}

fn keep(record: &mut BodyRecord, data: &[u8], limits: Limits) {
    record.len += data.len() as u64;
    let room = limits.max_body_kept.saturating_sub(record.bytes.len());
    let kept = data.len().min(room);
    record.bytes.extend_from_slice(&data[..kept]);
    if record.keep_overflow {
        record.overflow.extend_from_slice(&data[kept..]);
    }
}

/// Grows the last unit when it is of the same kind and adjacent (body bytes arriving in several
/// reads are one unit), otherwise starts a new one.
fn extend_or_push(units: &mut Vec<Unit>, offset: usize, len: usize, kind: UnitKind) {
    if let Some(last) = units.last_mut() {
        let adjacent = last.offset + last.len == offset;
        match (&mut last.kind, &kind) {
            (UnitKind::ChunkData { len: kept }, UnitKind::ChunkData { len: more }) if adjacent => {
                *kept += more;
                last.len += len;
                return;
            }
            (a, b) if adjacent && a == b => {
                last.len += len;
                return;
            }
            _ => {}
        }
    }
    units.push(Unit { offset, len, kind });
}

/// A body to send, and how to frame it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingBody {
    /// No body.
    None,
    /// These bytes, as they are (Content-Length or close-delimited framing is the head's business).
    Full(Vec<u8>),
    /// Chunked coding: one chunk per entry, then (unless `last_chunk` is false, to break the
    /// coding on purpose) the last chunk with these trailers.
    Chunked { chunks: Vec<Vec<u8>>, trailers: Vec<(String, String)>, last_chunk: bool },
}

impl OutgoingBody {
    /// Appends the body's wire bytes to `out`. Empty chunks are skipped: an empty chunk would be
    /// the last chunk.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            OutgoingBody::None => {}
            OutgoingBody::Full(b) => out.extend_from_slice(b),
            OutgoingBody::Chunked { chunks, trailers, last_chunk } => {
                for c in chunks.iter().filter(|c| !c.is_empty()) {
                    super::chunked::encode_chunk(c, out);
                }
                if *last_chunk {
                    super::chunked::last_chunk(trailers.iter().map(|(n, v)| (n.as_str(), v.as_str())), out);
                }
            }
        }
    }
}

/// Writes a start line and header fields, exactly as given, then the empty line.
pub fn encode_head(start_line: &str, headers: &[(String, String)], out: &mut Vec<u8>) {
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn request_and_response_length_rules_differ_where_the_rfc_says() {
        let none = fields(&[]);
        assert_eq!(framing(&none, MessageKind::Request, false).unwrap().0, Framing::NoBody);
        assert_eq!(framing(&none, MessageKind::Response, false).unwrap().0, Framing::UntilClose);
        let gzip = fields(&[("Transfer-Encoding", "chunked, gzip")]);
        assert!(framing(&gzip, MessageKind::Request, false).is_err());
        assert_eq!(framing(&gzip, MessageKind::Response, false).unwrap().0, Framing::UntilClose);
        let both = fields(&[("Content-Length", "3"), ("Transfer-Encoding", "chunked")]);
        assert_eq!(framing(&both, MessageKind::Request, false).unwrap(), (Framing::Chunked, true));
        let twice = fields(&[("Content-Length", "3"), ("content-length", "3")]);
        assert_eq!(framing(&twice, MessageKind::Request, false).unwrap().0, Framing::ContentLength(3));
        let differ = fields(&[("Content-Length", "3"), ("content-length", "4")]);
        assert!(framing(&differ, MessageKind::Response, false).is_err());
    }
}
