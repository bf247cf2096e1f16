//! HTTP/2 steps (RFC 9113): requests at the stream level, raw frames with every field chosen,
//! HPACK representations, and the expectations a server's frames are held to.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BytesSpec, OneOrMany};

/// A number or a name (`type: HEADERS` or `type: 0xff`; `error: PROTOCOL_ERROR` or `error: 1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "expected a name or a number (type: HEADERS or type: 0x1; error: PROTOCOL_ERROR or error: 1)")]
pub enum NameOrNumber {
    /// A number.
    Number(u64),
    /// A name.
    Name(String),
}

impl NameOrNumber {
    /// Resolves a name with `lookup`, or takes the number if it fits `max`.
    pub fn resolve(&self, lookup: impl Fn(&str) -> Option<u64>, max: u64, what: &str) -> Result<u64, String> {
        match self {
            NameOrNumber::Number(n) if *n <= max => Ok(*n),
            NameOrNumber::Number(n) => Err(format!("{what} {n} is out of range (at most {max})")),
            NameOrNumber::Name(s) => lookup(s).filter(|n| *n <= max).ok_or_else(|| format!("unknown {what} {s:?}")),
        }
    }
}

/// An HTTP/2 request on one stream: a HEADERS frame (pseudo-header fields first), then the body
/// in DATA frames and trailers, END_STREAM on the last frame.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct H2Request {
    /// Stream id (default: the next unused odd id).
    #[serde(default)]
    pub stream: Option<u32>,
    /// `:method` (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// `:path` (default `{path}`, the run's base path).
    #[serde(default)]
    pub path: Option<String>,
    /// `:scheme` (default `http`, or `https` over TLS).
    #[serde(default)]
    pub scheme: Option<String>,
    /// `:authority` (default `{host}`).
    #[serde(default)]
    pub authority: Option<String>,
    /// Pseudo-header fields to leave out (`[":authority"]`), for malformed requests.
    #[serde(default)]
    pub omit: Vec<String>,
    /// More fields after the pseudo-header fields, in order (names sent as written).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Request body, sent in DATA frames of at most 16384 bytes.
    #[serde(default)]
    pub body: Option<BytesSpec>,
    /// Trailer fields, in a HEADERS frame after the body.
    #[serde(default)]
    pub trailers: IndexMap<String, String>,
    /// Whether the last frame carries END_STREAM (default true).
    #[serde(default = "yes")]
    pub end_stream: bool,
    /// Huffman-code the HPACK strings (default false).
    #[serde(default)]
    pub huffman: bool,
}

fn yes() -> bool {
    true
}

/// A header block, given one of three ways: `fields` (a map, encoded plainly), `hpack` (every
/// representation chosen), or `block` (the exact bytes).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    /// Fields in order: static-table hits indexed, the rest literals without indexing.
    #[serde(default)]
    pub fields: Option<IndexMap<String, String>>,
    /// Explicit HPACK representations.
    #[serde(default)]
    pub hpack: Option<Vec<HpackRep>>,
    /// The field block's exact bytes.
    #[serde(default)]
    pub block: Option<BytesSpec>,
    /// Huffman-code the strings of `fields`.
    #[serde(default)]
    pub huffman: bool,
}

/// One HPACK representation (RFC 7541 §6).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HpackRep {
    /// Indexed field (§6.1): the table index.
    Indexed(u32),
    /// A literal field (§6.2).
    Literal(HpackLiteral),
    /// Dynamic table size update (§6.3).
    SizeUpdate(u32),
}

/// A literal field representation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HpackLiteral {
    /// The name as a string (or give `index`).
    #[serde(default)]
    pub name: Option<String>,
    /// The name as a table index.
    #[serde(default)]
    pub index: Option<u32>,
    /// The value.
    pub value: String,
    /// `incremental` (§6.2.1), `without` (§6.2.2, default) or `never` (§6.2.3).
    #[serde(default)]
    pub indexing: IndexingSpec,
    /// Huffman-code name and value.
    #[serde(default)]
    pub huffman: bool,
}

/// How a literal is indexed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexingSpec {
    /// Added to the dynamic table.
    Incremental,
    /// Not added.
    #[default]
    Without,
    /// Never indexed, by anyone.
    Never,
}

/// Priority fields (RFC 9113 §5.3, deprecated but still parsed).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritySpec {
    /// Stream dependency.
    #[serde(default)]
    pub depends_on: u32,
    /// Weight 1..=256 (default 16).
    #[serde(default)]
    pub weight: Option<u16>,
    /// Exclusive flag.
    #[serde(default)]
    pub exclusive: bool,
}

/// Fields every frame takes to be made malformed on purpose.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    /// The whole flags byte, replacing what the frame's own fields give.
    #[serde(default)]
    pub flags: Option<u8>,
    /// Bits OR-ed into the flags (undefined flags).
    #[serde(default)]
    pub extra_flags: u8,
    /// The Length field, replacing the payload's real length.
    #[serde(default)]
    pub length: Option<u32>,
    /// Set the reserved bit before the stream id.
    #[serde(default)]
    pub reserved: bool,
}

/// One frame to send. Every type has its fields; `raw` builds any frame from parts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FrameSpec {
    /// The client connection preface octets (RFC 9113 §3.4).
    Preface,
    /// DATA (§6.1).
    Data(DataFrame),
    /// HEADERS (§6.2), optionally followed by CONTINUATION frames.
    Headers(HeadersFrame),
    /// PRIORITY (§6.3).
    Priority(PriorityFrame),
    /// RST_STREAM (§6.4).
    RstStream(RstStreamFrame),
    /// SETTINGS (§6.5).
    Settings(SettingsFrame),
    /// PUSH_PROMISE (§6.6).
    PushPromise(PushPromiseFrame),
    /// PING (§6.7).
    Ping(PingFrame),
    /// GOAWAY (§6.8).
    Goaway(GoawayFrame),
    /// WINDOW_UPDATE (§6.9).
    WindowUpdate(WindowUpdateFrame),
    /// CONTINUATION (§6.10).
    Continuation(ContinuationFrame),
    /// Any frame from its parts.
    Raw(RawFrame),
    /// HEADERS (without END_STREAM, so each stream stays open) on new streams, one more than the
    /// server's SETTINGS_MAX_CONCURRENT_STREAMS (read by an earlier step): RFC 9113 §5.1.2.
    ExceedConcurrentStreams(ExceedSpec),
    /// A DATA or HEADERS frame one octet longer than the peer's SETTINGS_MAX_FRAME_SIZE (read
    /// from its SETTINGS by an earlier step; 16384 when it announced none): RFC 9113 §4.2.
    ExceedMaxFrameSize(OversizeSpec),
}

/// A frame over the peer's SETTINGS_MAX_FRAME_SIZE.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OversizeSpec {
    /// `DATA` (the payload filled with `a`) or `HEADERS` (a response header block, `:status`
    /// 200 and one `x-pad` field long enough; END_HEADERS set).
    #[serde(rename = "type")]
    pub kind: NameOrNumber,
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
}

/// Streams past the server's concurrency limit.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceedSpec {
    /// `:method` of each request (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// `:path` of each request (default `{path}`).
    #[serde(default)]
    pub path: Option<String>,
}

/// DATA.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Payload data.
    #[serde(default)]
    pub data: Option<BytesSpec>,
    /// END_STREAM.
    #[serde(default)]
    pub end_stream: bool,
    /// PADDED with this many zero bytes of padding.
    #[serde(default)]
    pub padding: Option<u8>,
    /// The Pad Length byte written, when it must disagree with `padding`.
    #[serde(default)]
    pub pad_length: Option<u8>,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

fn one() -> u32 {
    1
}

/// HEADERS.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadersFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Start the block with a GET request's pseudo-header fields (`:method: GET`, `:scheme`,
    /// `:authority: {host}`, `:path: {path}`), then `fields`.
    #[serde(default)]
    pub request: bool,
    /// Fields as a map (see [`BlockSpec`]).
    #[serde(default)]
    pub fields: Option<IndexMap<String, String>>,
    /// Explicit HPACK representations.
    #[serde(default)]
    pub hpack: Option<Vec<HpackRep>>,
    /// Exact field block bytes.
    #[serde(default)]
    pub block: Option<BytesSpec>,
    /// Huffman-code the strings of `fields`.
    #[serde(default)]
    pub huffman: bool,
    /// END_STREAM.
    #[serde(default)]
    pub end_stream: bool,
    /// END_HEADERS on the last frame of the block (default true).
    #[serde(default = "yes")]
    pub end_headers: bool,
    /// Split the block over this many CONTINUATION frames after the HEADERS frame.
    #[serde(default)]
    pub continuations: usize,
    /// PADDED with this many zero bytes.
    #[serde(default)]
    pub padding: Option<u8>,
    /// The Pad Length byte written, when it must disagree with `padding`.
    #[serde(default)]
    pub pad_length: Option<u8>,
    /// PRIORITY flag and fields.
    #[serde(default)]
    pub priority: Option<PrioritySpec>,
    /// Malformations (applied to the HEADERS frame).
    #[serde(default)]
    pub raw: Raw,
}

/// PRIORITY.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Stream dependency.
    #[serde(default)]
    pub depends_on: u32,
    /// Weight 1..=256 (default 16).
    #[serde(default)]
    pub weight: Option<u16>,
    /// Exclusive flag.
    #[serde(default)]
    pub exclusive: bool,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// RST_STREAM.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RstStreamFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Error code (default CANCEL).
    #[serde(default)]
    pub error: Option<NameOrNumber>,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// SETTINGS.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsFrame {
    /// ACK flag (then no parameters).
    #[serde(default)]
    pub ack: bool,
    /// Parameters in order: name (`INITIAL_WINDOW_SIZE`) or number (`"0xff"`), and value.
    #[serde(default)]
    pub params: IndexMap<String, u32>,
    /// Stream id (default 0).
    #[serde(default)]
    pub stream: u32,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// PUSH_PROMISE (which a client must never send).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushPromiseFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Promised stream id.
    #[serde(default)]
    pub promised: u32,
    /// Fields of the promised request.
    #[serde(default)]
    pub fields: Option<IndexMap<String, String>>,
    /// END_HEADERS (default true).
    #[serde(default = "yes")]
    pub end_headers: bool,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// PING.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PingFrame {
    /// ACK flag.
    #[serde(default)]
    pub ack: bool,
    /// Opaque data (default `peerspec`, 8 bytes).
    #[serde(default)]
    pub data: Option<BytesSpec>,
    /// Stream id (default 0).
    #[serde(default)]
    pub stream: u32,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// GOAWAY.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoawayFrame {
    /// Last stream id.
    #[serde(default)]
    pub last_stream: u32,
    /// Error code (default NO_ERROR).
    #[serde(default)]
    pub error: Option<NameOrNumber>,
    /// Debug data.
    #[serde(default)]
    pub debug: Option<BytesSpec>,
    /// Stream id (default 0).
    #[serde(default)]
    pub stream: u32,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// WINDOW_UPDATE.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowUpdateFrame {
    /// Stream id (default 0: the connection).
    #[serde(default)]
    pub stream: u32,
    /// Window Size Increment (all 32 bits as given).
    pub increment: u32,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// CONTINUATION.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContinuationFrame {
    /// Stream id (default 1).
    #[serde(default = "one")]
    pub stream: u32,
    /// Fields as a map.
    #[serde(default)]
    pub fields: Option<IndexMap<String, String>>,
    /// Explicit HPACK representations.
    #[serde(default)]
    pub hpack: Option<Vec<HpackRep>>,
    /// Exact fragment bytes.
    #[serde(default)]
    pub block: Option<BytesSpec>,
    /// END_HEADERS (default true).
    #[serde(default = "yes")]
    pub end_headers: bool,
    /// Malformations.
    #[serde(default)]
    pub raw: Raw,
}

/// Any frame from its parts.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFrame {
    /// Frame type: a name (`DATA`) or a number (`0xff`).
    #[serde(rename = "type")]
    pub kind: NameOrNumber,
    /// Flags byte.
    #[serde(default)]
    pub flags: u8,
    /// Stream id.
    #[serde(default)]
    pub stream: u32,
    /// Reserved bit.
    #[serde(default)]
    pub reserved: bool,
    /// The Length field (default: the payload's length).
    #[serde(default)]
    pub length: Option<u32>,
    /// Payload bytes.
    #[serde(default)]
    pub payload: Option<BytesSpec>,
}

/// How a stream's response ended on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StreamEnd {
    /// END_STREAM on the response HEADERS (no body).
    EndStreamOnHeaders,
    /// END_STREAM on the last DATA frame.
    EndStreamOnData,
    /// END_STREAM on a trailer HEADERS frame.
    EndStreamOnTrailers,
    /// RST_STREAM.
    RstStream,
}

impl StreamEnd {
    /// The name used in case files.
    pub fn name(self) -> &'static str {
        match self {
            StreamEnd::EndStreamOnHeaders => "end-stream-on-headers",
            StreamEnd::EndStreamOnData => "end-stream-on-data",
            StreamEnd::EndStreamOnTrailers => "end-stream-on-trailers",
            StreamEnd::RstStream => "rst-stream",
        }
    }
}

with_header_expectations! {
    /// A response on one stream. Everything left out is not checked.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct H2ResponseExpect {
        /// Stream id (default: the stream of the last request sent).
        #[serde(default)]
        pub stream: Option<u32>,
        /// `:status`, or the allowed values.
        #[serde(default)]
        pub status: Option<OneOrMany<u16>>,
        /// The exact body.
        #[serde(default)]
        pub body: Option<BytesSpec>,
        /// The body length.
        #[serde(default)]
        pub body_length: Option<usize>,
        /// The number of DATA frames (empty ones included).
        #[serde(default)]
        pub data_frames: Option<usize>,
        /// Trailer fields.
        #[serde(default)]
        pub trailers: IndexMap<String, String>,
        /// How the stream must end (default: any END_STREAM; RST_STREAM fails).
        #[serde(default)]
        pub ends_with: Option<OneOrMany<StreamEnd>>,
        /// When the stream ends with RST_STREAM: the allowed error codes.
        #[serde(default)]
        pub rst_error: Option<OneOrMany<NameOrNumber>>,
        /// The body as a Server-Sent Events stream (`text/event-stream`), read across DATA frames.
        #[serde(default)]
        pub event_stream: Option<super::sse::EventStreamExpect>,
    }
}

/// A frame the peer must send.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameExpect {
    /// Frame type, by name or number. Frames of other types are set aside for later steps.
    #[serde(rename = "type")]
    pub kind: NameOrNumber,
    /// Stream id it must be on (frames on other streams are set aside).
    #[serde(default)]
    pub stream: Option<u32>,
    /// Flags that must be set (`[ACK]`, `[END_STREAM, END_HEADERS]`).
    #[serde(default)]
    pub flags: Vec<String>,
    /// Flags that must not be set.
    #[serde(default)]
    pub flags_absent: Vec<String>,
    /// For RST_STREAM and GOAWAY: the allowed error codes.
    #[serde(default)]
    pub error: Option<OneOrMany<NameOrNumber>>,
    /// The exact payload of DATA (data without padding) or PING (opaque data).
    #[serde(default)]
    pub data: Option<BytesSpec>,
}

/// An HTTP/2 error code the peer must use: by default the named codes or a generic one, which
/// RFC 9113 §5.4 always allows ("a generic error code (such as PROTOCOL_ERROR or
/// INTERNAL_ERROR) can always be used in place of more specific error codes").
///
/// ```yaml
/// connection_error: FRAME_SIZE_ERROR          # FRAME_SIZE_ERROR, PROTOCOL_ERROR or INTERNAL_ERROR
/// connection_error: [PROTOCOL_ERROR, STREAM_CLOSED]
/// connection_error: { error: FRAME_SIZE_ERROR, exact: true }   # only FRAME_SIZE_ERROR
/// connection_error: { error: PROTOCOL_ERROR, close: true }     # and then the TCP close (§5.4.1)
/// ```
///
/// `exact: true` is the stricter wish for the specific code: a case of its own, at level `may`
/// (§5.4 "an endpoint MAY use any applicable error code").
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected an error code, a list of codes, or { error: <code or list>, exact: true|false, close: true|false } \
                 (connection_error: PROTOCOL_ERROR, connection_error: [PROTOCOL_ERROR, 0x7])"
)]
pub enum ConnectionErrorExpect {
    /// The codes alone (generic codes accepted as well).
    Codes(OneOrMany<NameOrNumber>),
    /// The codes with options.
    Full(ConnectionErrorSpec),
}

impl ConnectionErrorExpect {
    /// The named codes, whether only they are accepted, and whether the TCP close is awaited.
    pub fn parts(&self) -> (&OneOrMany<NameOrNumber>, bool, bool) {
        match self {
            ConnectionErrorExpect::Codes(c) => (c, false, false),
            ConnectionErrorExpect::Full(f) => (&f.error, f.exact, f.close),
        }
    }
}

/// A connection error with options (see [`ConnectionErrorExpect`]).
///
/// The step passes when the GOAWAY with an allowed code arrives, or when the peer closes the
/// connection without one (RFC 9113 §5.4.1: GOAWAY is a SHOULD, the close a MUST). With
/// `close: true` it also waits for the TCP close after the GOAWAY: that is §5.4.1's own rule
/// ("After sending the GOAWAY frame for an error condition, the endpoint MUST close the TCP
/// connection"), checked by a case of its own rather than by every case that provokes an error.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionErrorSpec {
    /// The error codes named by the rule.
    pub error: OneOrMany<NameOrNumber>,
    /// Accept only the named codes, not the generic PROTOCOL_ERROR and INTERNAL_ERROR.
    #[serde(default)]
    pub exact: bool,
    /// After the GOAWAY, wait for the peer to close the TCP connection.
    #[serde(default)]
    pub close: bool,
}

/// A stream error: RST_STREAM on the stream with one of the codes, or a generic one
/// (PROTOCOL_ERROR, INTERNAL_ERROR; RFC 9113 §5.4) unless `exact`. A connection error (GOAWAY
/// with one of those codes, or closing) also passes, since an endpoint MAY treat a stream error
/// as a connection error (RFC 9113 §5.4.1). The transcript notes which the peer chose.
///
/// ```yaml
/// stream_error: { stream: 1, error: STREAM_CLOSED }   # STREAM_CLOSED, PROTOCOL_ERROR, INTERNAL_ERROR
/// stream_error: { stream: 1, error: STREAM_CLOSED, exact: true }
/// stream_error: { stream: 1, error: PROTOCOL_ERROR, or_response: 4xx }   # a malformed request
/// ```
///
/// `or_response` is for malformed requests (client role: peerspec sends the request, the server
/// under test judges it). RFC 9113 §8.1.1: "For malformed requests, a server MAY send an HTTP
/// response prior to closing or resetting the stream." With `or_response: 4xx`, a final response
/// whose status is in that class, followed by the stream's end, also passes: END_STREAM on the
/// response when peerspec's side of the stream had already ended, else (or after it) a RST_STREAM
/// of any code. A final response with another status (a 2xx or 3xx: the malformed request
/// processed as valid) that completes without a stream error fails, saying so. The transcript
/// notes which choice the peer made.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamErrorExpect {
    /// Stream id (default: the stream of the last request sent, else 1).
    #[serde(default)]
    pub stream: Option<u32>,
    /// The error codes named by the rule.
    pub error: OneOrMany<NameOrNumber>,
    /// Accept only the named codes, not the generic PROTOCOL_ERROR and INTERNAL_ERROR.
    #[serde(default)]
    pub exact: bool,
    /// Also accept a final response with a status in this class (`2xx` to `5xx`), then the
    /// stream's end: RFC 9113 §8.1.1's choice for malformed requests (client role only).
    #[serde(default)]
    pub or_response: Option<String>,
}

impl StreamErrorExpect {
    /// The status class `or_response` names, as its first digit (`4xx` → 4).
    pub fn response_class(&self) -> Result<Option<u16>, String> {
        let Some(class) = &self.or_response else { return Ok(None) };
        match class.as_bytes() {
            [d @ b'2'..=b'5', b'x', b'x'] => Ok(Some(u16::from(d - b'0'))),
            _ => Err(format!("or_response: {class:?} is not a final status class (2xx, 3xx, 4xx or 5xx)")),
        }
    }
}

/// A PING acknowledgement: the barrier that proves everything sent before it was processed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PingAckExpect {
    /// The opaque data it must echo (default: that of the last PING sent).
    #[serde(default)]
    pub data: Option<BytesSpec>,
    /// Streams that must see no frame before the ACK (e.g. after their END_STREAM).
    #[serde(default)]
    pub quiet_streams: Vec<u32>,
}

with_header_expectations! {
    /// Role `server`: a request the client under test sends on one stream, and how the stream ended.
    /// Everything left out is not checked.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct H2RequestExpect {
        /// Stream id (default: the next stream the client opens, one it has not used before).
        #[serde(default)]
        pub stream: Option<u32>,
        /// `:method`, or the allowed methods.
        #[serde(default)]
        pub method: Option<OneOrMany<String>>,
        /// `:path` (`{path}` is the path in the client's URL).
        #[serde(default)]
        pub path: Option<String>,
        /// `:scheme` (`http` or `https`; `{scheme}` is the scheme of the URL the client was given).
        #[serde(default)]
        pub scheme: Option<String>,
        /// `:authority` (`{host}` is the fake server's `host:port`).
        #[serde(default)]
        pub authority: Option<String>,
        /// The exact request body.
        #[serde(default)]
        pub body: Option<BytesSpec>,
        /// Trailer fields.
        #[serde(default)]
        pub trailers: IndexMap<String, String>,
        /// How the request must end: `end-stream-on-headers` (a GET: END_STREAM on its HEADERS),
        /// `end-stream-on-data` (END_STREAM on the last DATA), `end-stream-on-trailers`.
        /// Default: any END_STREAM; a stream the client resets fails.
        #[serde(default)]
        pub ends_with: Option<OneOrMany<StreamEnd>>,
        /// Check the request is well-formed (RFC 9113 §8.2, §8.3.1): field names in lower case,
        /// pseudo-header fields first, exactly one each of `:method`, `:scheme`, `:path` (not empty),
        /// no response or unknown pseudo-header fields, no connection-specific fields, `te` only
        /// `trailers`, and a `host` field, if any, equal to `:authority`.
        #[serde(default)]
        pub well_formed: bool,
    }
}

/// Role `server`: a response on one stream, framed as chosen. END_STREAM goes on the last frame
/// sent (trailers, else the last DATA, else the HEADERS frame) unless `end_stream: false`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct H2Response {
    /// Stream id (default: the stream of the last request an `h2_request` step read).
    #[serde(default)]
    pub stream: Option<u32>,
    /// `:status` (default 200).
    #[serde(default)]
    pub status: Option<u16>,
    /// Fields after `:status`, in order (sent as written; nothing is added, not even
    /// `content-length`).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// The body: in DATA frames of at most 16384 bytes, or of the sizes in `data_sizes`. An empty
    /// body is one empty DATA frame (so END_STREAM comes on DATA, not on HEADERS). peerspec does
    /// not wait for the client's flow-control window: more than it allows (65535 bytes unless
    /// its SETTINGS say otherwise) breaks RFC 9113 §6.9 on purpose.
    #[serde(default)]
    pub body: Option<BytesSpec>,
    /// Sizes of the DATA frames `body` is split into, the last size repeating: `[1]` sends a
    /// byte per frame; `[2]` splits `あい` inside each character.
    #[serde(default)]
    pub data_sizes: Option<Vec<usize>>,
    /// The body as given pieces, one DATA frame each (instead of `body`); `""` is an empty frame.
    #[serde(default)]
    pub data: Option<Vec<BytesSpec>>,
    /// Trailer fields, in a HEADERS frame after the body.
    #[serde(default)]
    pub trailers: IndexMap<String, String>,
    /// Whether the last frame carries END_STREAM (default true). `false` leaves the stream open:
    /// the response is unfinished until a later step ends it (or breaks it).
    #[serde(default = "yes")]
    pub end_stream: bool,
    /// Split the header block: the sizes of its pieces, the HEADERS frame carrying the first and
    /// a CONTINUATION frame each of the rest, the last size repeating until the block is used
    /// up (END_HEADERS on the last). `[1]`: a byte per frame.
    #[serde(default)]
    pub continuation: Vec<usize>,
    /// Huffman-code the HPACK strings (default false).
    #[serde(default)]
    pub huffman: bool,
}
