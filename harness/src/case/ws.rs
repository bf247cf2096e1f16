//! WebSocket steps (RFC 6455): the opening handshake, messages, raw frames with every field
//! chosen, pings and close frames to send; the 101 response, messages, pongs, close frames,
//! frames and failed connections to expect.
//!
//! A `protocol: websocket` case connects and performs the opening handshake by itself (to the
//! run's WebSocket path) before its first step, unless one of its steps sends a `handshake`:
//! then the case does the handshake itself, after every connect.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{BytesSpec, OneOrMany};

/// An opening handshake request (RFC 6455 §4.1). By default a correct one; every field can be
/// changed or left out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandshakeSpec {
    /// Request method (default `GET`).
    #[serde(default)]
    pub method: Option<String>,
    /// Version in the request line (default `HTTP/1.1`).
    #[serde(default)]
    pub http_version: Option<String>,
    /// Request target (default: the run's WebSocket path, `--ws-path` or the `ws://` URL's path).
    #[serde(default)]
    pub target: Option<String>,
    /// `Sec-WebSocket-Key` (default: 16 random bytes, base64). Use `omit` to leave it out.
    #[serde(default)]
    pub key: Option<String>,
    /// `Sec-WebSocket-Version` (default `13`).
    #[serde(default)]
    pub version: Option<String>,
    /// `Sec-WebSocket-Protocol` values offered, in order.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// `Sec-WebSocket-Extensions`: the extensions offered, as the field's value
    /// (`permessage-deflate; client_max_window_bits`). When the server accepts a
    /// permessage-deflate offer (RFC 7692), messages are compressed both ways from then on.
    #[serde(default)]
    pub extensions: Option<String>,
    /// Header fields to add, or to replace the default ones of the same name (`Upgrade`,
    /// `Connection`, `Host`...). `{host}` stands for the target's authority.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Default header fields to leave out (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`).
    #[serde(default)]
    pub omit: Vec<String>,
}

with_header_expectations! {
    /// What the server must answer to the opening handshake.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct HandshakeExpect {
        /// Status code(s) (default 101). A 101 is always checked for `Upgrade: websocket`,
        /// `Connection: Upgrade` and the right `Sec-WebSocket-Accept` (RFC 6455 §4.2.2, §4.1).
        #[serde(default)]
        pub status: Option<OneOrMany<u16>>,
        /// The subprotocol the server must select (`Sec-WebSocket-Protocol`); `""` means none.
        #[serde(default)]
        pub protocol: Option<String>,
        /// What the server must do with the permessage-deflate offer. Whatever this says, an
        /// acceptance is checked against the offer (RFC 7692 §7: parameters defined, valid, once,
        /// and within what was offered).
        #[serde(default)]
        pub deflate: Option<DeflateExpect>,
    }
}

/// The server's answer to a permessage-deflate offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeflateExpect {
    /// The case needs the offer accepted. Declining is the server's right (RFC 7692 §5), so a
    /// decline makes the case not applicable (skipped), never failed.
    Accepted,
    /// The server must decline it (leave it out of its response), or refuse the handshake.
    Declined,
}

/// A message to send: `text` or `binary`, in one frame or split into `fragments`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageSpec {
    /// A text message's payload (UTF-8 is not enforced: invalid text is a test too).
    #[serde(default)]
    pub text: Option<BytesSpec>,
    /// A binary message's payload.
    #[serde(default)]
    pub binary: Option<BytesSpec>,
    /// Split the payload into frames of these sizes (the last fragment takes the rest, if any):
    /// `[3, 5]` on 10 bytes sends 3 + 5 + 2. Without it the message is one frame.
    #[serde(default)]
    pub fragments: Option<Vec<usize>>,
    /// Split the payload into frames of this many bytes each (the last takes the rest): for
    /// messages of many fragments without a list (`fragment_size: 64` on 4 MiB is 65 536
    /// frames). Not with `fragments`.
    #[serde(default)]
    pub fragment_size: Option<std::num::NonZeroUsize>,
    /// Masking of every frame (default: a random key per frame).
    #[serde(default)]
    pub mask: Option<MaskSpec>,
    /// With permessage-deflate negotiated, messages are compressed (RSV1 on the first frame,
    /// `fragments` then split the compressed payload); `compress: false` sends this one as it is.
    #[serde(default)]
    pub compress: Option<bool>,
}

/// Masking: `true` (a random key, the default), `false` (unmasked), or a key in hex (`37fa213d`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "expected true (a random key), false (unmasked) or a key of 8 hex digits (mask: 37fa213d)")]
pub enum MaskSpec {
    /// Random key or unmasked.
    On(bool),
    /// This key (8 hex digits).
    Key(String),
}

/// An opcode by name (`continuation`, `text`, `binary`, `close`, `ping`, `pong`) or number 0–15
/// (reserved ones included).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "expected an opcode: continuation, text, binary, close, ping, pong, or a number 0-15 (opcode: 0xB)")]
pub enum OpcodeSpec {
    /// Number 0–15.
    Number(u8),
    /// Name, or a number as text (`0xB`).
    Name(String),
}

/// One frame with every field chosen (RFC 6455 §5.2).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameSpec {
    /// The FIN bit (default true).
    #[serde(default = "yes")]
    pub fin: bool,
    /// RSV1–RSV3 as a number 0–7 (RSV1 = 4, RSV2 = 2, RSV3 = 1; default 0).
    #[serde(default)]
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpcodeSpec,
    /// Masking (default: a random key).
    #[serde(default)]
    pub mask: Option<MaskSpec>,
    /// The length form: 7, 16 or 64 bits (default: the minimal one for the length).
    #[serde(default)]
    pub length_bits: Option<u8>,
    /// A declared payload length that differs from the payload sent (default: the payload's).
    #[serde(default)]
    pub length: Option<u64>,
    /// The payload (default empty).
    #[serde(default)]
    pub payload: Option<BytesSpec>,
    /// For close frames: the status code, written before `reason` (or `payload`).
    #[serde(default)]
    pub code: Option<u16>,
    /// For close frames: the reason text, after `code`.
    #[serde(default)]
    pub reason: Option<BytesSpec>,
}

fn yes() -> bool {
    true
}

/// A close frame to send (FIN, opcode 8, masked).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseSpec {
    /// The status code; without it the payload is empty.
    #[serde(default)]
    pub code: Option<u16>,
    /// The reason (needs `code`).
    #[serde(default)]
    pub reason: Option<BytesSpec>,
}

/// A message the server must send.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageExpect {
    /// A text message with exactly this payload.
    #[serde(default)]
    pub text: Option<BytesSpec>,
    /// A binary message with exactly this payload.
    #[serde(default)]
    pub binary: Option<BytesSpec>,
    /// The last message this case sent, back: same type, same payload (however fragmented).
    #[serde(default)]
    pub echo: bool,
    /// The payload length in bytes.
    #[serde(default)]
    pub length: Option<usize>,
    /// The payload sizes of the fragments, in order (checks how the message was split; for a
    /// compressed message, the compressed sizes).
    #[serde(default)]
    pub fragments: Option<Vec<usize>>,
    /// Whether the message must be compressed (permessage-deflate: RSV1 on its first frame). Its
    /// payload is always checked after inflation.
    #[serde(default)]
    pub compressed: Option<bool>,
}

/// A close frame the server must send.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseExpect {
    /// The code, or the allowed codes; 1005 stands for an empty close payload (RFC 6455 §7.1.5).
    /// Without it, any valid code.
    #[serde(default)]
    pub code: Option<OneOrMany<u16>>,
    /// The exact reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// How the peer must fail the connection (RFC 6455 §7.1.7), written `fail: any` or
/// `fail: [1002, 1007]`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "expected `any` or one close code or a list of them (fail: any, fail: 1002 or fail: [1002, 1007])")]
pub enum FailExpect {
    /// `any`: every way of failing the connection passes: a close frame with any valid code
    /// (or none), or closing TCP without a close frame. Failing the connection is what RFC 6455
    /// requires (§5.1, §7.1.7, §8.1); the code is a SHOULD at most. The transcript says which
    /// way the peer chose.
    Any(AnyWay),
    /// A close frame carrying one of these codes (§7.1.7: the endpoint "SHOULD send a Close frame
    /// with an appropriate status code"). Closing TCP without a close frame does not pass.
    Codes(OneOrMany<u16>),
}

/// The keyword `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnyWay {
    /// Any way at all.
    Any,
}

impl FailExpect {
    /// The codes a close frame must carry; `None` for `any`.
    pub fn codes(&self) -> Option<&[u16]> {
        match self {
            FailExpect::Any(_) => None,
            FailExpect::Codes(c) => Some(c.as_slice()),
        }
    }
}

/// A frame the server must send next, field by field; fields left out are not checked. Server
/// frames must in any case be unmasked, with RSV 0 and a defined opcode.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameExpect {
    /// The FIN bit.
    #[serde(default)]
    pub fin: Option<bool>,
    /// The opcode.
    #[serde(default)]
    pub opcode: Option<OpcodeSpec>,
    /// The exact payload.
    #[serde(default)]
    pub payload: Option<BytesSpec>,
    /// The payload length.
    #[serde(default)]
    pub length: Option<u64>,
}

with_header_expectations! {
    /// The client's opening handshake request, as the fake server (role `server`) must see it. It
    /// is always checked for what RFC 6455 §4.1 requires of every client (GET, HTTP/1.1 or later,
    /// `Host`, `Upgrade: websocket`, `Connection: Upgrade`, a `Sec-WebSocket-Key` of 16 bytes in
    /// base64, `Sec-WebSocket-Version: 13`); these fields check more.
    #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct HandshakeRequestExpect {
        /// The exact request target (`/chat?room=1`); `{path}` stands for the case's `client.path`.
        #[serde(default)]
        pub target: Option<String>,
        /// The subprotocols the client must offer in `Sec-WebSocket-Protocol`, in order; `[]` means
        /// it must offer none.
        #[serde(default)]
        pub protocols: Option<Vec<String>>,
    }
}

/// The fake server's answer to the opening handshake (role `server`). By default a correct 101
/// (RFC 6455 §4.2.2): `Upgrade: websocket`, `Connection: Upgrade` and the `Sec-WebSocket-Accept`
/// computed from the client's key. Every part can be changed to check that the client then
/// fails the connection (§4.1).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandshakeResponseSpec {
    /// Status code (default 101). Any other status is sent with `Content-Length: 0` unless
    /// `headers` give one.
    #[serde(default)]
    pub status: Option<u16>,
    /// Reason phrase (default: the usual one for the status).
    #[serde(default)]
    pub reason: Option<String>,
    /// `Sec-WebSocket-Accept`: `correct` (default), `wrong` (a well-formed value for another key)
    /// or `omit`. `headers` can set any other value.
    #[serde(default)]
    pub accept: AcceptSpec,
    /// `Sec-WebSocket-Protocol`: the subprotocol the server selects (whether or not the client
    /// offered it). Default: none.
    #[serde(default)]
    pub protocol: Option<String>,
    /// `Sec-WebSocket-Extensions`: the extensions the server selects, as the field's value
    /// (whether or not the client offered them; nothing is compressed). Default: none.
    #[serde(default)]
    pub extensions: Option<String>,
    /// Accept the client's first valid permessage-deflate offer (RFC 7692), with these parameters
    /// in the answer; messages are then compressed both ways. A client that offered none makes
    /// the case not applicable (offering is its choice); one whose offers are all invalid fails.
    #[serde(default)]
    pub deflate: Option<DeflateAnswer>,
    /// Header fields to add, or to replace the default ones of the same name.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Default header fields to leave out (`Upgrade`, `Connection`, `Sec-WebSocket-Accept`).
    #[serde(default)]
    pub omit: Vec<String>,
}

/// The `Sec-WebSocket-Accept` value the fake server sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcceptSpec {
    /// base64(SHA-1(key + GUID)), as RFC 6455 §4.2.2 says.
    #[default]
    Correct,
    /// A well-formed value that is not the one for the client's key.
    Wrong,
    /// No `Sec-WebSocket-Accept` field at all.
    Omit,
}

/// The parameters of the fake server's permessage-deflate answer (RFC 7692 §7.1).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeflateAnswer {
    /// Include `server_no_context_takeover` (it is included anyway when the offer has it).
    #[serde(default)]
    pub server_no_context_takeover: bool,
    /// Include `client_no_context_takeover`.
    #[serde(default)]
    pub client_no_context_takeover: bool,
    /// Include `server_max_window_bits=N` (8–15; an offer's smaller value wins).
    #[serde(default)]
    pub server_max_window_bits: Option<u8>,
    /// Include `client_max_window_bits=N` (8–15): only offers that carry the parameter can take it.
    #[serde(default)]
    pub client_max_window_bits: Option<u8>,
}
