//! HTTP/1.x steps: requests to send and responses to expect.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BytesSpec, OneOrMany};

/// An HTTP/1.x request. Defaults make the common case short: `{ target: /main.html }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Request method (default `GET`).
    #[serde(default)]
    pub method: Option<String>,
    /// Request target. `{path}` stands for the run's base path (`--path`, default `/`).
    #[serde(default)]
    pub target: Option<String>,
    /// Version in the request line (default: the case protocol's, `HTTP/1.0` or `HTTP/1.1`).
    #[serde(default)]
    pub version: Option<String>,
    /// Header fields, in order. `{host}` in a value stands for the target's authority.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Add the headers the request needs unless already given: `Host` (HTTP/1.1), `Content-Length`
    /// for `body`, `Transfer-Encoding: chunked` for `chunks` (default true).
    #[serde(default = "yes")]
    pub auto_headers: bool,
    /// Body sent as is (with Content-Length when `auto_headers`).
    #[serde(default)]
    pub body: Option<BytesSpec>,
    /// Body sent with chunked coding, one chunk per entry, then the last chunk.
    #[serde(default)]
    pub chunks: Option<Vec<BytesSpec>>,
    /// Trailer fields after the last chunk (only with `chunks`).
    #[serde(default)]
    pub trailers: IndexMap<String, String>,
}

fn yes() -> bool {
    true
}

/// How a response body ended on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BodyEnd {
    /// `Content-Length: N` and exactly N bytes.
    ContentLength,
    /// Chunked coding ended by the zero-length chunk (then trailers and CRLF).
    ZeroChunk,
    /// No framing: the body ran until the peer closed the connection (TCP FIN).
    Fin,
    /// No body by the rules (HEAD, 1xx, 204, 304).
    NoBody,
    /// The peer closed before the declared end (Content-Length not reached, or no zero chunk).
    Truncated,
}

impl BodyEnd {
    /// The name used in case files.
    pub fn name(self) -> &'static str {
        match self {
            BodyEnd::ContentLength => "content-length",
            BodyEnd::ZeroChunk => "zero-chunk",
            BodyEnd::Fin => "fin",
            BodyEnd::NoBody => "no-body",
            BodyEnd::Truncated => "truncated",
        }
    }
}

with_header_expectations! {
    /// What an HTTP/1.x response must look like. Everything left out is not checked.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ResponseExpect {
        /// HTTP version in the status line, e.g. `HTTP/1.1`.
        #[serde(default)]
        pub version: Option<OneOrMany<String>>,
        /// The interim (1xx) responses that must come before the final one, in order (`[]`: none
        /// allowed). Left out: any are accepted.
        #[serde(default)]
        pub interim: Option<Vec<u16>>,
        /// Status code, or the allowed codes.
        #[serde(default)]
        pub status: Option<OneOrMany<u16>>,
        /// The exact body (after removing chunked coding).
        #[serde(default)]
        pub body: Option<BytesSpec>,
        /// Bytes the body must contain.
        #[serde(default)]
        pub body_contains: Option<BytesSpec>,
        /// The body length in bytes.
        #[serde(default)]
        pub body_length: Option<usize>,
        /// How the body must end on the wire (one value or the allowed values).
        #[serde(default)]
        pub ends_with: Option<OneOrMany<BodyEnd>>,
        /// The exact data sizes of the chunks, in order, not counting the zero chunk.
        #[serde(default)]
        pub chunks: Option<Vec<usize>>,
        /// Trailer fields that must arrive after the zero chunk with exactly this value.
        #[serde(default)]
        pub trailers: IndexMap<String, String>,
        /// The body as a Server-Sent Events stream (`text/event-stream`).
        #[serde(default)]
        pub event_stream: Option<super::sse::EventStreamExpect>,
        /// The request method this response answers, when peerspec cannot know it (after `raw` sends).
        /// It decides whether a body may follow (`HEAD`).
        #[serde(default)]
        pub method: Option<String>,
    }
}

/// An HTTP/1.x response the fake server sends (role `server`). Defaults: `200 OK`, the case
/// protocol's version, Content-Length for `body`, chunked coding for `chunks`/`chunk_sizes`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// Status code (default 200).
    #[serde(default)]
    pub status: Option<u16>,
    /// Reason phrase (default: the usual one for the status).
    #[serde(default)]
    pub reason: Option<String>,
    /// Version in the status line (default: the case protocol's).
    #[serde(default)]
    pub version: Option<String>,
    /// Header fields, in order, exactly as written.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Add `Content-Length` (for `body`) or `Transfer-Encoding: chunked` (for chunks) unless
    /// given (default true).
    #[serde(default = "yes")]
    pub auto_headers: bool,
    /// The body. Sent as is, or split into chunks by `chunk_sizes`.
    #[serde(default)]
    pub body: Option<BytesSpec>,
    /// Send `body` with chunked coding, in chunks of these sizes (the last size repeats until
    /// the body is used up). Splits may fall anywhere, even inside a UTF-8 character.
    #[serde(default)]
    pub chunk_sizes: Option<Vec<usize>>,
    /// The body as chunked coding, one chunk per entry.
    #[serde(default)]
    pub chunks: Option<Vec<BytesSpec>>,
    /// Trailer fields after the last chunk.
    #[serde(default)]
    pub trailers: IndexMap<String, String>,
    /// Send the last chunk (default true). `false` breaks the coding on purpose: the body never
    /// ends by its framing.
    #[serde(default = "yes")]
    pub last_chunk: bool,
}

with_header_expectations! {
    /// What a client's request must look like (role `server`). Everything left out is not checked.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RequestExpect {
        /// Method, or the allowed methods.
        #[serde(default)]
        pub method: Option<OneOrMany<String>>,
        /// Request target; `{path}` stands for the path the client was given.
        #[serde(default)]
        pub target: Option<String>,
        /// Version in the request line.
        #[serde(default)]
        pub version: Option<OneOrMany<String>>,
        /// The exact body.
        #[serde(default)]
        pub body: Option<BytesSpec>,
        /// How the request body must end on the wire.
        #[serde(default)]
        pub ends_with: Option<OneOrMany<BodyEnd>>,
    }
}
