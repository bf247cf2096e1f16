//! The server side of HTTP/1.x, for the fake peer: reading a client's request and recording how
//! it was framed, and encoding the responses a case scripts (well-formed or broken on purpose).

use super::body::{encode_head, framing, join_fields, BodyReader, MessageKind, OutgoingBody};
pub use super::body::{BodyRecord, Limits, Progress, Unit, UnitKind};

use super::WireError;

/// Everything observed about one request.
#[derive(Debug, Clone, Default)]
pub struct RequestRecord {
    /// Method token.
    pub method: String,
    /// Request target as sent.
    pub target: String,
    /// Version from the request line (`HTTP/1.1`).
    pub version: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body and how it was framed.
    pub body: BodyRecord,
    /// Units in wire order.
    pub units: Vec<Unit>,
}

impl RequestRecord {
    /// All values of a header field, joined by `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        join_fields(&self.headers, name)
    }
}

/// Incremental reader for one request (sans-I/O, like the response reader).
#[derive(Debug, Clone)]
pub struct RequestReader {
    limits: Limits,
    body: Option<BodyReader>,
    pos: usize,
    record: RequestRecord,
}

impl RequestReader {
    /// A reader at the start of a request.
    pub fn new(limits: Limits) -> Self {
        RequestReader { limits, body: None, pos: 0, record: RequestRecord::default() }
    }

    /// What has been recorded so far.
    pub fn record(&self) -> &RequestRecord {
        &self.record
    }

    /// Lets go of what has been read once the head is in, like
    /// [`ResponseReader::release`](super::response::ResponseReader::release).
    pub fn release(&mut self) -> Option<(usize, Vec<Unit>)> {
        BodyReader::release_read(self.body.as_mut(), &mut self.pos, &mut self.record.units)
    }

    /// Reads on; `buf` holds every byte received since the request began.
    pub fn advance(&mut self, buf: &[u8], eof: bool) -> Progress {
        if self.body.is_none() {
            match self.read_head(buf, eof) {
                Ok(true) => {}
                Ok(false) => return Progress::NeedMore,
                Err(e) => return Progress::Invalid(e),
            }
        }
        let body = self.body.as_mut().expect("the head has been read");
        body.progress(buf, &mut self.pos, eof, &mut self.record.body, &mut self.record.units)
    }

    fn read_head(&mut self, buf: &[u8], eof: bool) -> Result<bool, WireError> {
        let fail = |offset: usize, message: String| WireError { offset, unit: "request head", message };
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut request = httparse::Request::new(&mut fields);
        let head_len = match request.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                if buf.len() > self.limits.max_head {
                    return Err(fail(0, format!("head exceeds {} bytes", self.limits.max_head)));
                }
                if eof {
                    let what = if buf.is_empty() {
                        "the client closed the connection without sending a request".to_string()
                    } else {
                        format!("the client closed the connection after {} bytes of an incomplete request head", buf.len())
                    };
                    return Err(fail(buf.len(), what));
                }
                return Ok(false);
            }
            Err(e) => {
                let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len()).min(80);
                return Err(fail(0, format!("{e} (starting {:?})", String::from_utf8_lossy(&buf[..line_end]))));
            }
        };
        self.record.units.push(Unit { offset: 0, len: head_len, kind: UnitKind::Head });
        self.pos = head_len;
        self.record.method = request.method.unwrap_or("").to_string();
        self.record.target = request.path.unwrap_or("").to_string();
        self.record.version = format!("HTTP/1.{}", request.version.unwrap_or(1));
        self.record.headers = request.headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect();
        super::te_and_cl(&self.record.headers, "request head", 0)?;
        let (declared, te_and_cl) = framing(&self.record.headers, MessageKind::Request, false).map_err(|m| fail(0, m))?;
        self.record.body.te_and_cl = te_and_cl;
        self.body = Some(BodyReader::new(declared, self.limits, &mut self.record.body));
        Ok(true)
    }
}

/// A response to encode. Header fields go out exactly as given, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `HTTP/1.1` (or anything a case wants to try).
    pub version: String,
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Header fields.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: OutgoingBody,
}

impl Response {
    /// The status line, header section and body, as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        encode_head(&format!("{} {} {}", self.version, self.status, self.reason), &self.headers, &mut out);
        self.body.encode_into(&mut out);
        out
    }
}

/// The usual reason phrase of a status code (RFC 9110 §15), or an empty one.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::BodyEnd;

    fn read(wire: &[u8], step: usize) -> (Progress, RequestRecord) {
        let mut reader = RequestReader::new(Limits::default());
        let mut seen = 0;
        loop {
            seen = (seen + step).min(wire.len());
            let p = reader.advance(&wire[..seen], false);
            if p != Progress::NeedMore || seen == wire.len() {
                return (p, reader.record().clone());
            }
        }
    }

    #[test]
    fn requests_with_and_without_bodies_at_every_split() {
        let get = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET";
        let post = b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\nX-T: 1\r\n\r\n";
        for step in 1..post.len() {
            let (p, r) = read(get, step);
            assert_eq!(p, Progress::Done { consumed: get.len() - 3 }, "step {step}");
            assert_eq!((r.method.as_str(), r.target.as_str(), r.body.end), ("GET", "/x", Some(BodyEnd::NoBody)));
            let (p, r) = read(post, step);
            assert_eq!(p, Progress::Done { consumed: post.len() }, "step {step}");
            assert_eq!(r.body.bytes, b"abc");
            assert_eq!(r.body.trailer("x-t").as_deref(), Some("1"));
            assert_eq!(r.body.end, Some(BodyEnd::ZeroChunk));
        }
    }

    #[test]
    fn a_request_with_an_unknown_final_coding_is_invalid() {
        let (p, _) = read(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 100);
        assert!(matches!(p, Progress::Invalid(ref e) if e.message.contains("does not end in chunked")), "{p:?}");
    }

    #[test]
    fn a_request_with_content_length_and_transfer_encoding_is_invalid() {
        let wire = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n";
        for step in [1, 9, wire.len()] {
            let (p, _) = read(wire, step);
            assert!(matches!(p, Progress::Invalid(ref e) if e.unit == "request head" && e.message.contains("RFC 9112 §6.2")), "{p:?}");
        }
    }

    #[test]
    fn responses_encode_as_scripted_even_when_broken() {
        let r = Response {
            version: "HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            headers: vec![("Transfer-Encoding".into(), "chunked".into())],
            body: OutgoingBody::Chunked {
                chunks: vec!["あ".as_bytes()[..2].to_vec(), "あ".as_bytes()[2..].to_vec()],
                trailers: vec![],
                last_chunk: false,
            },
        };
        assert_eq!(r.encode(), b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\xe3\x81\r\n1\r\n\x82\r\n");
    }
}
