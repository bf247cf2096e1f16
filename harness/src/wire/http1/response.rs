//! Reading one HTTP/1.x response and recording how it was framed.
//!
//! [`ResponseReader`] is sans-I/O: it is handed the bytes received so far (a buffer that only
//! grows while the response is read) and whether the peer has closed, and says whether it needs
//! more. Alongside the parsed response it keeps a [`ResponseRecord`]: each unit of the wire (head,
//! chunk size lines, chunk data, the zero chunk, trailers, FIN) with its offset, which checks and
//! transcripts use. The head is parsed with `httparse`; the body is read by [`BodyReader`].

use super::body::{framing, join_fields, BodyReader, MessageKind};
pub use super::body::{BodyRecord, ChunkRecord, Framing, Limits, Progress, Unit, UnitKind};
use super::WireError;

/// Interim (1xx) responses read before the final one; past that, a peer sending them without
/// end is cut off (each is small, so the head cap alone would let millions through).
pub const MAX_INTERIM: usize = 100;

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
    /// The body and how it was framed.
    pub body: BodyRecord,
    /// Units in wire order.
    pub units: Vec<Unit>,
    /// Bytes that had already arrived after the end of the body when it ended (the next
    /// response when pipelining; otherwise bytes the framing did not account for).
    pub bytes_after: usize,
}

impl ResponseRecord {
    /// All values of a header field (case-insensitive name), joined by `, ` as RFC 9110 §5.3 allows.
    pub fn header(&self, name: &str) -> Option<String> {
        join_fields(&self.headers, name)
    }
}

/// Incremental reader for one response. See the module docs.
#[derive(Debug, Clone)]
pub struct ResponseReader {
    head_request: bool,
    limits: Limits,
    body: Option<BodyReader>,
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
            body: None,
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

    /// Hands on the body bytes past the kept ones at each read ([`BodyRecord::overflow`]).
    pub fn follow_overflow(&mut self) {
        self.record.body.keep_overflow = true;
    }

    /// Lets go of what has been read, once the head is in: returns how many leading bytes of
    /// the buffer the reader is done with and the units they held; later buffers must start
    /// after those bytes (offsets rebase to them). `None` before the head or when nothing was
    /// read.
    pub fn release(&mut self) -> Option<(usize, Vec<Unit>)> {
        BodyReader::release_read(self.body.as_mut(), &mut self.pos, &mut self.record.units)
    }

    /// Reads on from where it stopped. `buf` holds every byte received since the response began
    /// (it may only have grown since the last call); `eof` says the peer has closed.
    pub fn advance(&mut self, buf: &[u8], eof: bool) -> Progress {
        self.record.body.overflow.clear();
        while self.body.is_none() {
            match self.read_head(buf, eof) {
                Ok(true) => {}
                Ok(false) => return Progress::NeedMore,
                Err(e) => return Progress::Invalid(e),
            }
        }
        let body = self.body.as_mut().expect("the head has been read");
        let progress = body.progress(buf, &mut self.pos, eof, &mut self.record.body, &mut self.record.units);
        if let Progress::Done { .. } = progress {
            self.record.bytes_after = buf.len() - self.pos;
        }
        progress
    }

    /// Reads one head (an interim one, or the final one, which starts the body). Ok(false): it
    /// is not complete yet.
    fn read_head(&mut self, buf: &[u8], eof: bool) -> Result<bool, WireError> {
        let rest = &buf[self.pos..];
        let fail = |offset: usize, message: String| WireError { offset, unit: "response head", message };
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut fields);
        let head_len = match response.parse(rest) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                if rest.len() > self.limits.max_head {
                    return Err(fail(self.pos, format!("head exceeds {} bytes", self.limits.max_head)));
                }
                if eof {
                    let what = if rest.is_empty() {
                        "the peer closed the connection before sending a response".to_string()
                    } else {
                        format!("the peer closed the connection after {} bytes of an incomplete response head", rest.len())
                    };
                    return Err(fail(self.pos + rest.len(), what));
                }
                return Ok(false);
            }
            Err(e) => {
                let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len()).min(80);
                let shown = String::from_utf8_lossy(&rest[..line_end]);
                return Err(fail(self.pos, format!("{e} (starting {shown:?})")));
            }
        };
        let status = response.code.unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            if self.record.interim.len() >= MAX_INTERIM {
                return Err(fail(
                    self.pos,
                    format!("more than {MAX_INTERIM} interim (1xx) responses and no final one; peerspec stops reading"),
                ));
            }
            self.record.interim.push(status);
            self.record.units.push(Unit { offset: self.pos, len: head_len, kind: UnitKind::InterimHead { status } });
            self.pos += head_len;
            return Ok(true);
        }
        let head_at = self.pos;
        self.record.units.push(Unit { offset: head_at, len: head_len, kind: UnitKind::Head });
        self.pos += head_len;
        self.record.version = format!("HTTP/1.{}", response.version.unwrap_or(1));
        self.record.status = status;
        self.record.reason = response.reason.unwrap_or("").to_string();
        self.record.headers = response.headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect();
        super::te_and_cl(&self.record.headers, "response head", head_at)?;
        // RFC 9112 §6.3 item 1: no body after HEAD, 1xx, 204, 304.
        let no_body = self.head_request || (100..200).contains(&status) || status == 204 || status == 304;
        let (declared, te_and_cl) = framing(&self.record.headers, MessageKind::Response, no_body).map_err(|m| fail(head_at, m))?;
        self.record.body.te_and_cl = te_and_cl;
        self.body = Some(BodyReader::new(declared, self.limits, &mut self.record.body));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::BodyEnd;

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
        let wire =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 34\r\n\r\n<iframe src=\"hello.html\"></iframe>HTTP/1.1 200";
        for step in 1..wire.len() {
            let (p, r) = read(wire, "GET", step, false);
            let head_and_body = wire.len() - b"HTTP/1.1 200".len();
            assert_eq!(p, Progress::Done { consumed: head_and_body }, "step {step}");
            assert_eq!(r.body.end, Some(BodyEnd::ContentLength));
            assert_eq!(r.body.bytes, b"<iframe src=\"hello.html\"></iframe>");
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
            assert_eq!(r.body.end, Some(BodyEnd::ZeroChunk));
            assert_eq!(r.body.chunk_sizes(), [0x19, 9]);
            assert_eq!(r.body.bytes, b"<iframe src=\"hello.html\"></iframe>");
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
        assert_eq!(r.body.end, Some(BodyEnd::Fin));
        assert_eq!(r.version, "HTTP/1.0");
        assert_eq!(r.body.bytes, b"<h1>Hello</h1>");
        let (p, _) = read(wire, "GET", 5, false);
        assert_eq!(p, Progress::NeedMore);
    }

    #[test]
    fn fin_before_the_declared_end_is_truncation() {
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "GET", 4, true);
        assert_eq!(r.body.end, Some(BodyEnd::Truncated));
        assert_eq!(r.body.len, 3);
        // FIN in the middle of a chunk, and a missing zero chunk.
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nhello", "GET", 4, true);
        assert_eq!(r.body.end, Some(BodyEnd::Truncated));
        let (_, r) = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "GET", 4, true);
        assert_eq!(r.body.end, Some(BodyEnd::Truncated));
    }

    #[test]
    fn no_body_for_head_204_304_and_interim_responses_are_recorded() {
        let (p, r) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 34\r\n\r\n", "HEAD", 100, false);
        assert_eq!(p, Progress::Done { consumed: 39 });
        assert_eq!(r.body.end, Some(BodyEnd::NoBody));
        let (_, r) = read(b"HTTP/1.1 204 No Content\r\n\r\n", "GET", 100, false);
        assert_eq!(r.body.end, Some(BodyEnd::NoBody));
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
        assert_eq!((reader.record().body.bytes.len(), reader.record().body.len), (4, 10));
    }

    #[test]
    fn releasing_read_bytes_gives_the_same_record_and_error_offsets_count_from_the_message() {
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let mut wire = head.clone();
        for _ in 0..100 {
            wire.extend_from_slice(b"5\r\nhello\r\n");
        }
        let bad_at = wire.len() + 6;
        wire.extend_from_slice(b"3\r\nabcd\r\n");
        let mut reader = ResponseReader::new("GET", Limits::default());
        let (mut buf, mut units, mut fed) = (Vec::new(), 0, 0);
        let progress = loop {
            let next = (fed + 37).min(wire.len());
            buf.extend_from_slice(&wire[fed..next]);
            fed = next;
            let p = reader.advance(&buf, false);
            if p != Progress::NeedMore || fed == wire.len() {
                break p;
            }
            if let Some((n, released)) = reader.release() {
                units += released.len();
                buf.drain(..n);
            }
        };
        assert!(matches!(progress, Progress::Invalid(ref e) if e.offset == bad_at && e.unit == "chunk data"), "{progress:?}");
        let r = reader.record();
        assert_eq!((r.body.len, r.body.chunks.len()), (503, 101));
        assert!(units > 100, "units went out with the released bytes: {units}");
    }

    #[test]
    fn content_length_with_transfer_encoding_is_invalid_whatever_the_status() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        for step in [1, 7, wire.len()] {
            let (p, _) = read(wire, "GET", step, false);
            assert!(
                matches!(p, Progress::Invalid(ref e) if e.offset == 0 && e.message.contains("MUST NOT send a Content-Length")),
                "{p:?}"
            );
        }
        // §6.2 is about any message: a 304, or the response to HEAD, too (after an interim one:
        // the offset is the final head's).
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\ncontent-length: 0\r\n\r\n";
        let (p, _) = read(wire, "HEAD", 100, false);
        assert!(matches!(p, Progress::Invalid(ref e) if e.offset == 25 && e.unit == "response head"), "{p:?}");
        // Either field alone is fine.
        let (p, _) = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", 100, false);
        assert!(matches!(p, Progress::Done { .. }), "{p:?}");
    }
}
