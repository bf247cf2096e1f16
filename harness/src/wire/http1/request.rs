//! Encoding HTTP/1.x requests from their parts.

use super::body::encode_head;
pub use super::body::OutgoingBody;

/// A request ready to encode. Header fields are written exactly as given, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method token.
    pub method: String,
    /// Request target (`/path?query`, `*`, an absolute URI).
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1` (or anything a case wants to try).
    pub version: String,
    /// Header fields.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: OutgoingBody,
}

impl Request {
    /// The request line, header section and body, as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded request to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        encode_head(&format!("{} {} {}", self.method, self.target, self.version), &self.headers, out);
        self.body.encode_into(out);
    }

    /// Whether a header field of this name is present (case-insensitive).
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_requests_encode_as_drawn() {
        let req = Request {
            method: "GET".into(),
            target: "/main.html".into(),
            version: "HTTP/1.0".into(),
            headers: vec![],
            body: OutgoingBody::None,
        };
        assert_eq!(req.encode(), b"GET /main.html HTTP/1.0\r\n\r\n");
        let req = Request { version: "HTTP/1.1".into(), headers: vec![("Host".into(), "example.com".into())], ..req };
        assert_eq!(req.encode(), b"GET /main.html HTTP/1.1\r\nHost: example.com\r\n\r\n");
    }

    #[test]
    fn header_fields_are_written_verbatim_for_cases_that_break_the_rules() {
        // Cases rely on this: whitespace before the colon, obs-fold, bare CR in a value,
        // and names that differ only in case all go out exactly as written.
        let req = Request {
            method: "GET".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("Host".into(), "a".into()), ("host".into(), "b".into()), ("X-A ".into(), "1\r\n folded\rx".into())],
            body: OutgoingBody::None,
        };
        assert_eq!(req.encode(), b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\nX-A : 1\r\n folded\rx\r\n\r\n");
    }

    #[test]
    fn chunked_body_with_trailers() {
        let req = Request {
            method: "POST".into(),
            target: "/echo".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("Transfer-Encoding".into(), "chunked".into())],
            body: OutgoingBody::Chunked {
                chunks: vec![b"ab".to_vec(), vec![], b"c".to_vec()],
                trailers: vec![("X-T".into(), "1".into())],
                last_chunk: true,
            },
        };
        let text = String::from_utf8(req.encode()).unwrap();
        assert!(text.ends_with("\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\nX-T: 1\r\n\r\n"), "{text:?}");
    }
}
