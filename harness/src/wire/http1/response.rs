//! Reading one HTTP/1.x response and recording how it was framed.
//!
//! [`ResponseReader`] is sans-I/O: it is handed the bytes received so far (a buffer that only
//! grows while the response is read) and whether the peer has closed, and says whether it needs
//! more. Alongside the parsed response it keeps a [`ResponseRecord`]: each unit of the wire (head,
//! chunk size lines, chunk data, the zero chunk, trailers, FIN) with its offset, which checks and
//! transcripts use. The head is parsed with `httparse`; body framing follows RFC 9112 §6.3.

use crate::case::BodyEnd;

use super::chunked::{ChunkEvent, ChunkedDecoder};
use super::WireError;

/// Limits that keep a hostile peer from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest response head (status line and fields) accepted.
    pub max_head: usize,
    /// Most body bytes kept for checks; the rest is counted, not kept.
    pub max_body_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_head: 64 * 1024, max_body_kept: 16 << 20 }
    }
}

/// How the response declared its body's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body by the rules (HEAD, 1xx, 204, 304).
    NoBody,
    /// `Content-Length: N`.
    ContentLength(u64),
    /// `Transfer-Encoding` ending in `chunked`.
    Chunked,
    /// Neither: the body runs until the connection closes.
    UntilClose,
}

/// What one wire unit was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// An interim (1xx) response head.
    InterimHead { status: u16 },
    /// The final response head: status line and header fields, up to the empty line.
    Head,
    /// Body bytes delimited by Content-Length.
    ContentLengthBody,
    /// Body bytes delimited by the connection's close.
    CloseDelimitedBody,
    /// A chunk size line.
    ChunkSize { size: u64, extensions: String, bare_lf: bool },
    /// Chunk data (with the CRLF that follows it, when it came).
    ChunkData { len: u64 },
    /// The last chunk's size line (`0`).
    LastChunk,
    /// The trailer section and the final CRLF.
    Trailers { count: usize },
    /// The peer closed the connection here.
    Fin,
}

/// A unit of the response at `offset..offset+len` of the bytes the reader was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Offset from the response's first byte.
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

/// Everything observed about one response.
#[derive(Debug, Clone, Default)]
pub struct ResponseRecord {
    /// Status codes of interim (1xx) responses before the final one.
    pub interim: Vec<u16>,
    /// Version from the status line (`HTTP/1.1`).
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How the body length was declared.
    pub framing: Option<Framing>,
    /// Body bytes (chunked coding removed), up to [`Limits::max_body_kept`].
    pub body: Vec<u8>,
    /// Total body bytes received, kept or not.
    pub body_len: u64,
    /// Chunks, in order, the zero chunk included.
    pub chunks: Vec<ChunkRecord>,
    /// Trailer fields.
    pub trailers: Vec<(String, Vec<u8>)>,
    /// How the body ended, once it has.
    pub end: Option<BodyEnd>,
    /// Units in wire order.
    pub units: Vec<Unit>,
    /// Both Transfer-Encoding and Content-Length were sent (RFC 9112 §6.3 forbids it).
    pub te_and_cl: bool,
    /// Bytes that had already arrived after the end of the body when it ended (the next
    /// response when pipelining; otherwise bytes the framing did not account for).
    pub bytes_after: usize,
}

impl ResponseRecord {
    /// All values of a header field (case-insensitive name), joined by `, ` as RFC 9110 §5.3 allows.
    pub fn header(&self, name: &str) -> Option<String> {
        join_fields(&self.headers, name)
    }

    /// A trailer field's value(s), joined like [`header`](Self::header).
    pub fn trailer(&self, name: &str) -> Option<String> {
        join_fields(&self.trailers, name)
    }

    /// The sizes of the data chunks (the zero chunk left out).
    pub fn chunk_sizes(&self) -> Vec<u64> {
        self.chunks.iter().map(|c| c.size).filter(|s| *s != 0).collect()
    }
}

fn join_fields(fields: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    let values: Vec<String> = fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The reader's answer for the bytes seen so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The response is incomplete; read more (or report the close).
    NeedMore,
    /// The response is complete and used this many bytes of the buffer.
    Done { consumed: usize },
    /// The bytes are not a valid response.
    Invalid(WireError),
}

#[derive(Debug, Clone)]
enum State {
    Head,
    Body(BodyState),
    Done,
}

#[derive(Debug, Clone)]
enum BodyState {
    Length { remaining: u64 },
    Chunked(ChunkedDecoder),
    UntilClose,
}

/// Incremental reader for one response. See the module docs.
#[derive(Debug, Clone)]
pub struct ResponseReader {
    head_request: bool,
    limits: Limits,
    state: State,
    /// Offset of the first unread byte of the buffer.
    pos: usize,
    record: ResponseRecord,
}

impl ResponseReader {
    /// A reader for the response to a request with this method (`HEAD` responses have no body).
    pub fn new(request_method: &str, limits: Limits) -> Self {
        ResponseReader {
            head_request: request_method.eq_ignore_ascii_case("HEAD"),
            limits,
            state: State::Head,
            pos: 0,
            record: ResponseRecord::default(),
        }
    }

    /// What has been recorded so far (complete once [`Progress::Done`] was returned).
    pub fn record(&self) -> &ResponseRecord {
        &self.record
    }

    /// Takes the record out of the reader.
    pub fn into_record(self) -> ResponseRecord {
        self.record
    }

    /// Reads on from where it stopped. `buf` holds every byte received since the response began
    /// (it may only have grown since the last call); `eof` says the peer has closed.
    pub fn advance(&mut self, buf: &[u8], eof: bool) -> Progress {
        loop {
            let progress = match &mut self.state {
                State::Done => {
                    self.record.bytes_after = buf.len() - self.pos;
                    return Progress::Done { consumed: self.pos };
                }
                State::Head => self.read_head(buf, eof),
                State::Body(_) => self.read_body(buf, eof),
            };
            match progress {
                Step::Continue => continue,
                Step::Wait => return Progress::NeedMore,
                Step::Fail(e) => return Progress::Invalid(e),
            }
        }
    }

    fn read_head(&mut self, buf: &[u8], eof: bool) -> Step {
        let rest = &buf[self.pos..];
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut fields);
        let head_len = match response.parse(rest) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                if rest.len() > self.limits.max_head {
                    return self.fail(self.pos, "response head", format!("head exceeds {} bytes", self.limits.max_head));
                }
                if eof {
                    let what = if rest.is_empty() {
                        "the peer closed the connection before sending a response".to_string()
                    } else {
                        format!("the peer closed the connection after {} bytes of an incomplete response head", rest.len())
                    };
                    return self.fail(self.pos + rest.len(), "response head", what);
                }
                return Step::Wait;
            }
            Err(e) => {
                let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len()).min(80);
                let shown = String::from_utf8_lossy(&rest[..line_end]);
                return self.fail(self.pos, "response head", format!("{e} (starting {shown:?})"));
            }
        };
        let status = response.code.unwrap_or(0);
        let version = format!("HTTP/1.{}", response.version.unwrap_or(1));
        let reason = response.reason.unwrap_or("").to_string();
        let headers: Vec<(String, Vec<u8>)> =
            response.headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect();
        if (100..200).contains(&status) && status != 101 {
            self.record.interim.push(status);
            self.record.units.push(Unit { offset: self.pos, len: head_len, kind: UnitKind::InterimHead { status } });
            self.pos += head_len;
            return Step::Continue;
        }
        self.record.units.push(Unit { offset: self.pos, len: head_len, kind: UnitKind::Head });
        self.pos += head_len;
        self.record.version = version;
        self.record.status = status;
        self.record.reason = reason;
        self.record.headers = headers;
        match self.framing() {
            Ok(framing) => {
                self.record.framing = Some(framing);
                self.state = match framing {
                    Framing::NoBody => {
                        self.record.end = Some(BodyEnd::NoBody);
                        State::Done
                    }
                    Framing::ContentLength(0) => {
                        self.record.end = Some(BodyEnd::ContentLength);
                        State::Done
                    }
                    Framing::ContentLength(n) => State::Body(BodyState::Length { remaining: n }),
                    Framing::Chunked => State::Body(BodyState::Chunked(ChunkedDecoder::new())),
                    Framing::UntilClose => State::Body(BodyState::UntilClose),
                };
                Step::Continue
            }
            Err(message) => self.fail(self.pos - head_len, "response head", message),
        }
    }

    /// RFC 9112 §6.3: the body length of a response.
    fn framing(&mut self) -> Result<Framing, String> {
        let status = self.record.status;
        if self.head_request || (100..200).contains(&status) || status == 204 || status == 304 {
            return Ok(Framing::NoBody);
        }
        let te = self.record.header("transfer-encoding");
        let cl = self.record.header("content-length");
        if let Some(te) = te {
            self.record.te_and_cl = cl.is_some();
            let last = te.rsplit(',').next().unwrap_or("").trim();
            return Ok(if last.eq_ignore_ascii_case("chunked") { Framing::Chunked } else { Framing::UntilClose });
        }
        if let Some(cl) = cl {
            // Repeated fields or a list must all carry the same value (RFC 9110 §8.6).
            let mut values = cl.split(',').map(str::trim);
            let first = values.next().unwrap_or("");
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) || values.any(|v| v != first) {
                return Err(format!("invalid Content-Length {cl:?}"));
            }
            let n: u64 = first.parse().map_err(|_| format!("Content-Length {first} overflows 64 bits"))?;
            return Ok(Framing::ContentLength(n));
        }
        Ok(Framing::UntilClose)
    }

    fn read_body(&mut self, buf: &[u8], eof: bool) -> Step {
        let State::Body(body) = &mut self.state else { unreachable!("read_body outside the body") };
        let rest = &buf[self.pos..];
        match body {
            BodyState::Length { remaining } => {
                let take = (*remaining).min(rest.len() as u64) as usize;
                if take > 0 {
                    let offset = self.pos;
                    keep_body(&mut self.record, &rest[..take], self.limits);
                    *remaining -= take as u64;
                    self.pos += take;
                    extend_or_push(&mut self.record.units, offset, take, UnitKind::ContentLengthBody);
                }
                if *remaining == 0 {
                    self.record.end = Some(BodyEnd::ContentLength);
                    self.state = State::Done;
                    return Step::Continue;
                }
                if eof {
                    self.truncated();
                    return Step::Continue;
                }
                Step::Wait
            }
            BodyState::UntilClose => {
                if !rest.is_empty() {
                    let offset = self.pos;
                    keep_body(&mut self.record, rest, self.limits);
                    self.pos += rest.len();
                    extend_or_push(&mut self.record.units, offset, rest.len(), UnitKind::CloseDelimitedBody);
                }
                if eof {
                    self.record.units.push(Unit { offset: self.pos, len: 0, kind: UnitKind::Fin });
                    self.record.end = Some(BodyEnd::Fin);
                    self.state = State::Done;
                    return Step::Continue;
                }
                Step::Wait
            }
            BodyState::Chunked(decoder) => {
                let base = self.pos;
                let start = decoder.position();
                let record = &mut self.record;
                let limits = self.limits;
                let mut cursor = base;
                let result = decoder.decode(rest, |event| match event {
                    ChunkEvent::Size { size, extensions, line_len, bare_lf } => {
                        let kind = if size == 0 {
                            UnitKind::LastChunk
                        } else {
                            UnitKind::ChunkSize { size, extensions: extensions.clone(), bare_lf }
                        };
                        record.units.push(Unit { offset: cursor, len: line_len, kind });
                        record.chunks.push(ChunkRecord { size, extensions });
                        cursor += line_len;
                    }
                    ChunkEvent::Data { offset, len } => {
                        keep_body(record, &rest[offset..offset + len], limits);
                        extend_or_push(&mut record.units, base + offset, len, UnitKind::ChunkData { len: len as u64 });
                        cursor = base + offset + len;
                    }
                    ChunkEvent::DataEnd { len } => {
                        // The line end after the data belongs to the chunk-data unit.
                        if let Some(u) = record.units.last_mut() {
                            u.len += len;
                        }
                        cursor += len;
                    }
                    ChunkEvent::Trailer { name, value } => record.trailers.push((name, value)),
                    ChunkEvent::LastChunk | ChunkEvent::End => {}
                });
                let consumed = match result {
                    Ok(n) => n,
                    Err(mut e) => {
                        e.offset = base - start + e.offset;
                        return Step::Fail(e);
                    }
                };
                self.pos += consumed;
                if decoder.is_done() {
                    // The trailer section starts right after the last chunk's size line.
                    let at = self.record.units.iter().rev().find(|u| u.kind == UnitKind::LastChunk).map_or(self.pos, |u| u.offset + u.len);
                    let count = self.record.trailers.len();
                    self.record.units.push(Unit { offset: at, len: self.pos - at, kind: UnitKind::Trailers { count } });
                    self.record.end = Some(BodyEnd::ZeroChunk);
                    self.state = State::Done;
                    return Step::Continue;
                }
                if eof {
                    self.truncated();
                    return Step::Continue;
                }
                Step::Wait
            }
        }
    }

    fn truncated(&mut self) {
        self.record.units.push(Unit { offset: self.pos, len: 0, kind: UnitKind::Fin });
        self.record.end = Some(BodyEnd::Truncated);
        self.state = State::Done;
    }

    fn fail(&mut self, offset: usize, unit: &'static str, message: String) -> Step {
        Step::Fail(WireError { offset, unit, message })
    }
}

enum Step {
    Continue,
    Wait,
    Fail(WireError),
}

fn keep_body(record: &mut ResponseRecord, data: &[u8], limits: Limits) {
    record.body_len += data.len() as u64;
    let room = limits.max_body_kept.saturating_sub(record.body.len());
    record.body.extend_from_slice(&data[..data.len().min(room)]);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` in pieces of `step` bytes, then the close if `fin`.
    fn read(wire: &[u8], method: &str, step: usize, fin: bool) -> (Progress, ResponseRecord) {
        let mut reader = ResponseReader::new(method, Limits::default());
        let mut seen = 0;
        loop {
            seen = (seen + step.max(1)).min(wire.len());
            let eof = fin && seen == wire.len();
            let p = reader.advance(&wire[..seen], eof);
            if p != Progress::NeedMore || seen == wire.len() {
                return (p, reader.into_record());
            }
        }
    }

    #[test]
    fn content_length_keeps_the_rest_unread() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 34\r\n\r\n<iframe src=\"hello.html\"></iframe>HTTP/1.1 200";
        for step in 1..wire.len() {
            let (p, r) = read(wire, "GET", step, false);
            let head_and_body = wire.len() - b"HTTP/1.1 200".len();
            assert_eq!(p, Progress::Done { consumed: head_and_body }, "step {step}");
            assert_eq!(r.end, Some(BodyEnd::ContentLength));
            assert_eq!(r.body, b"<iframe src=\"hello.html\"></iframe>");
            assert_eq!(r.header("content-type").as_deref(), Some("text/html"));
            // What had arrived past the body when it ended depends on where reads split it.
            assert!(r.bytes_after <= wire.len() - head_and_body);
        }
    }

    #[test]
    fn bytes_after_the_body_are_recorded() {
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", "GET", 100, false);
        assert_eq!(r.bytes_after, 5);
    }

    #[test]
    fn chunked_records_each_unit_at_every_split() {
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n<iframe src=\"hello.html\">\r\n9\r\n</iframe>\r\n0\r\n\r\n";
        for step in 1..=wire.len() {
            let (p, r) = read(wire, "GET", step, false);
            assert_eq!(p, Progress::Done { consumed: wire.len() }, "step {step}");
            assert_eq!(r.end, Some(BodyEnd::ZeroChunk));
            assert_eq!(r.chunk_sizes(), [0x19, 9]);
            assert_eq!(r.body, b"<iframe src=\"hello.html\"></iframe>");
            let kinds: Vec<_> = r.units.iter().map(|u| std::mem::discriminant(&u.kind)).collect();
            let expected = [
                UnitKind::Head,
                UnitKind::ChunkSize { size: 0, extensions: String::new(), bare_lf: false },
                UnitKind::ChunkData { len: 0 },
                UnitKind::ChunkSize { size: 0, extensions: String::new(), bare_lf: false },
                UnitKind::ChunkData { len: 0 },
                UnitKind::LastChunk,
                UnitKind::Trailers { count: 0 },
            ]
            .map(|k| std::mem::discriminant(&k));
            assert_eq!(kinds, expected, "step {step}: {:?}", r.units);
            let covered: usize = r.units.iter().map(|u| u.len).sum();
            assert_eq!(covered, wire.len(), "units cover the wire at step {step}: {:?}", r.units);
        }
    }

    #[test]
    fn fin_ends_an_unframed_body() {
        let wire = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>Hello</h1>";
        let (p, r) = read(wire, "GET", 5, true);
        assert_eq!(p, Progress::Done { consumed: wire.len() });
        assert_eq!(r.end, Some(BodyEnd::Fin));
        assert_eq!(r.version, "HTTP/1.0");
        assert_eq!(r.body, b"<h1>Hello</h1>");
        let (p, _) = read(wire, "GET", 5, false);
        assert_eq!(p, Progress::NeedMore);
    }

    #[test]
    fn fin_before_the_declared_end_is_truncation() {
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "GET", 4, true);
        assert_eq!(r.end, Some(BodyEnd::Truncated));
        assert_eq!(r.body_len, 3);
        // FIN in the middle of a chunk, and a missing zero chunk.
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nhello", "GET", 4, true);
        assert_eq!(r.end, Some(BodyEnd::Truncated));
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "GET", 4, true);
        assert_eq!(r.end, Some(BodyEnd::Truncated));
    }

    #[test]
    fn no_body_for_head_204_304_and_interim_responses_are_recorded() {
        let (p, r) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 34\r\n\r\n", "HEAD", 100, false);
        assert_eq!(p, Progress::Done { consumed: 39 });
        assert_eq!(r.end, Some(BodyEnd::NoBody));
        let (_, r) = read(b"HTTP/1.1 204 No Content\r\n\r\n", "GET", 100, false);
        assert_eq!(r.end, Some(BodyEnd::NoBody));
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let (p, r) = read(wire, "POST", 3, false);
        assert_eq!(p, Progress::Done { consumed: wire.len() });
        assert_eq!((r.interim.clone(), r.status), (vec![100], 200));
    }

    #[test]
    fn invalid_input_is_an_error_with_an_offset() {
        let (p, _) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "GET", 100, false);
        assert!(matches!(p, Progress::Invalid(ref e) if e.message.contains("Content-Length")), "{p:?}");
        let (p, _) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n", "GET", 100, false);
        assert!(matches!(p, Progress::Invalid(_)), "{p:?}");
        let (p, _) = read(b"garbage\r\n\r\n", "GET", 100, false);
        assert!(matches!(p, Progress::Invalid(ref e) if e.offset == 0), "{p:?}");
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n";
        let (p, _) = read(wire, "GET", 100, false);
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".len();
        assert!(matches!(p, Progress::Invalid(ref e) if e.offset == head + 6 && e.unit == "chunk data"), "{p:?}");
        let (p, _) = read(b"", "GET", 1, true);
        assert!(matches!(p, Progress::Invalid(ref e) if e.message.contains("before sending a response")), "{p:?}");
    }

    #[test]
    fn oversized_head_and_body_caps() {
        let mut wire = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        wire.extend(std::iter::repeat_n(b'a', 70_000));
        let (p, _) = read(&wire, "GET", 4096, false);
        assert!(matches!(p, Progress::Invalid(ref e) if e.message.contains("exceeds")), "{p:?}");
        let mut reader = ResponseReader::new("GET", Limits { max_head: 1024, max_body_kept: 4 });
        let p = reader.advance(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false);
        assert!(matches!(p, Progress::Done { .. }));
        assert_eq!((reader.record().body.len(), reader.record().body_len), (4, 10));
    }

    #[test]
    fn transfer_encoding_beats_content_length_and_is_flagged() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        let (p, r) = read(wire, "GET", 7, false);
        assert_eq!(p, Progress::Done { consumed: wire.len() });
        assert!(r.te_and_cl);
        assert_eq!(r.body, b"ok");
    }
}
