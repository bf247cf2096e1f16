//! The case model: what a YAML case file says, as Rust types.
//!
//! A case scripts one side of an exchange (peerspec's) step by step and says what the other side
//! must do. The types here are plain data; [`load`] turns files into them with precise error
//! locations and [`schema`] prints them as JSON Schema for editors.

/// Declares a case-model struct with its own fields plus the four header-field expectations
/// every message expectation takes (`headers`, `headers_match`, `headers_present`,
/// `headers_absent`), and `header_expectations()` to check them with
/// [`FieldExpect`]. A macro because serde cannot `flatten` a
/// shared struct into one that denies unknown fields (which gives the precise errors).
macro_rules! with_header_expectations {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// Header fields that must be present with exactly this value (names
            /// case-insensitive; repeated fields joined with `, `).
            #[serde(default)]
            pub headers: indexmap::IndexMap<String, String>,
            /// Header fields whose value must match a regular expression.
            #[serde(default)]
            pub headers_match: indexmap::IndexMap<String, String>,
            /// Header fields that must be present, with any value.
            #[serde(default)]
            pub headers_present: Vec<String>,
            /// Header fields that must be absent.
            #[serde(default)]
            pub headers_absent: Vec<String>,
        }

        impl $name {
            /// The header-field expectations, to check a message with.
            pub fn header_expectations(&self) -> crate::case::FieldExpect<'_> {
                crate::case::FieldExpect {
                    equal: &self.headers,
                    matching: &self.headers_match,
                    present: &self.headers_present,
                    absent: &self.headers_absent,
                }
            }
        }
    };
}

pub mod autobahn;
pub mod bytes;
pub mod client;
pub mod duration;
pub mod expect;
pub mod h2;
pub mod http1;
pub mod load;
pub mod schema;
pub mod sse;
pub mod ws;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use bytes::BytesSpec;
pub use duration::DurationSpec;
pub use expect::{ExpectKind, ExpectStep};
pub use http1::{BodyEnd, RequestExpect, RequestSpec, ResponseExpect, ResponseSpec};

/// The field expectations of one message (checked by `run::fields`).
pub struct FieldExpect<'a> {
    /// Fields that must have exactly this value.
    pub equal: &'a indexmap::IndexMap<String, String>,
    /// Fields whose value must match a regular expression.
    pub matching: &'a indexmap::IndexMap<String, String>,
    /// Fields that must be present.
    pub present: &'a [String],
    /// Fields that must be absent.
    pub absent: &'a [String],
}

/// One conformance case, as written in a YAML document.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique id, path-like: `http1.1/chunked/zero-chunk-ends-body`. Filters match substrings of it.
    pub id: String,
    /// One line a person reads in reports.
    #[serde(default)]
    pub title: Option<String>,
    /// The rule checked, e.g. `RFC 9112 §7.1`.
    #[serde(default)]
    pub spec: Option<String>,
    /// The sentence of the cited specification this case enforces, quoted word for word
    /// (whitespace may differ). Its BCP 14 keyword sets `level`: MUST, MUST NOT, REQUIRED,
    /// SHALL, SHALL NOT → `must`; SHOULD, SHOULD NOT, RECOMMENDED → `should`; MAY, OPTIONAL or
    /// none → `may`. Reports show it beside a failure.
    #[serde(default)]
    pub rule: Option<String>,
    /// For HTTP/2 client cases (`role: server`): the ids of the h2spec client-mode (h2specd)
    /// cases this case is the counterpart of (`"6.5/1"`, or a list); docs/h2specd.md maps every
    /// h2specd id to its cases and is generated from this field.
    #[serde(default)]
    pub h2specd: Option<OneOrMany<String>>,
    /// For WebSocket cases: the ids of the Autobahn|Testsuite cases this case is the counterpart
    /// of (`"6.4.1"`, or a list), in either role (Autobahn's fuzzingserver runs its cases against
    /// clients too). Only ids Autobahn has are accepted; docs/autobahn.md maps every Autobahn id
    /// to its cases and is generated from this field.
    #[serde(default, deserialize_with = "autobahn::field", skip_serializing_if = "Option::is_none")]
    pub autobahn: Option<OneOrMany<String>>,
    /// Longer explanation: why the rule matters, what a failure usually means.
    #[serde(default)]
    pub description: Option<String>,
    /// Wire protocol the case speaks.
    pub protocol: Protocol,
    /// The role peerspec plays. `client`: peerspec sends requests to the target (the server under
    /// test). `server`: peerspec is a scripted server (a fake peer) and tests a client.
    #[serde(default)]
    pub role: Role,
    /// For `role: server`: the client under test and what it must do.
    #[serde(default)]
    pub client: Option<client::ClientSpec>,
    /// How binding the rule is. `should` and `may` cases fail like any other but are reported as such.
    #[serde(default)]
    pub level: Level,
    /// Capabilities the target must declare (`--provides`) for the case to apply; otherwise it is skipped.
    /// The built-in target provides every capability.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Upper bound for the whole case (default: the run's `--timeout`, 5s), from 1ms to 24h.
    #[serde(default, deserialize_with = "duration::timeout")]
    pub timeout: Option<DurationSpec>,
    /// Whether peerspec greets the peer on connecting as its protocol does (HTTP/2: the
    /// connection preface, SETTINGS and a connection WINDOW_UPDATE; as the server, its SETTINGS
    /// and WINDOW_UPDATE and the check of the client's preface and SETTINGS). Default true;
    /// `false` lets the steps do it themselves (RFC 9113 §3.4 cases).
    #[serde(default)]
    pub preface: Option<bool>,
    /// Run this case alone: no other case of the run is in flight while it runs. For cases whose
    /// verdict depends on timing or on the peer's connection limits (default false: cases run
    /// concurrently, `--jobs` at a time).
    #[serde(default)]
    pub exclusive: bool,
    /// The steps, in order. The case passes when every step passes.
    pub steps: Vec<Step>,
}

/// The protocol a case speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
pub enum Protocol {
    /// HTTP/1.0: one exchange per connection, the body usually ended by FIN.
    #[serde(rename = "http/1.0")]
    Http10,
    /// HTTP/1.1: persistent connections, Content-Length or chunked framing.
    #[serde(rename = "http/1.1")]
    Http11,
    /// HTTP/2 (RFC 9113): h2c with prior knowledge over TCP, `h2` through ALPN over TLS.
    #[serde(rename = "h2")]
    H2,
    /// WebSocket (RFC 6455): the opening handshake, then frames.
    #[serde(rename = "websocket")]
    Ws,
}

impl Protocol {
    /// The name used in case files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http10 => "http/1.0",
            Protocol::Http11 => "http/1.1",
            Protocol::H2 => "h2",
            Protocol::Ws => "websocket",
        }
    }
}

/// Which side of the exchange peerspec plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// peerspec is the client; the target is the server under test.
    #[default]
    Client,
    /// peerspec is a scripted server; the client under test connects to it.
    Server,
}

/// Requirement level of the rule a case checks (RFC 2119).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// MUST / MUST NOT.
    #[default]
    Must,
    /// SHOULD / SHOULD NOT.
    Should,
    /// MAY: behaviour worth knowing about.
    May,
}

impl Role {
    /// The name used in case files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

impl Level {
    /// The name used in case files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::May => "may",
        }
    }
}

/// One step of a case. Written as a one-key map (`- send: {...}`) or, for steps without
/// arguments, a bare word (`- half_close`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Write something to the peer.
    Send(Send),
    /// Wait until the peer does something, and check it.
    Expect(Box<ExpectStep>),
    /// Do nothing for a while (e.g. `pause: 100ms`).
    Pause(DurationSpec),
    /// Shut down our write side (TCP FIN); we can still read.
    HalfClose,
    /// Close the connection abruptly with a TCP RST.
    Reset,
    /// Close the connection (FIN) and drop it.
    Close,
    /// Close the current connection (if any) and open a new one: to the target (role `client`),
    /// or the client's next connection (role `server`).
    Reconnect,
}

/// What to write.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Send {
    /// A well-formed HTTP/1.x request built from parts.
    Request(Box<RequestSpec>),
    /// Several requests written in one go, without waiting for responses (pipelining).
    Pipeline(Vec<RequestSpec>),
    /// An HTTP/1.x response (role `server`).
    Response(Box<ResponseSpec>),
    /// Exact bytes.
    Raw(BytesSpec),
    /// HTTP/2 frames, each with every field chosen, written in one go.
    Frames(Vec<h2::FrameSpec>),
    /// An HTTP/2 request on one stream (HEADERS, then DATA and trailers).
    H2Request(Box<h2::H2Request>),
    /// An HTTP/2 response on one stream, framed as chosen (role `server`).
    H2Response(Box<h2::H2Response>),
    /// WebSocket: the opening handshake request (the case then does its own handshake).
    Handshake(Box<ws::HandshakeSpec>),
    /// WebSocket: a text or binary message, in one frame or in fragments.
    Message(Box<ws::MessageSpec>),
    /// WebSocket: one frame with every field chosen.
    WsFrame(Box<ws::FrameSpec>),
    /// WebSocket: several frames written in one go.
    WsFrames(Vec<ws::FrameSpec>),
    /// WebSocket: a ping with this payload (masked, FIN).
    WsPing(BytesSpec),
    /// WebSocket: a close frame.
    WsClose(ws::CloseSpec),
    /// WebSocket, role `server`: the answer to the client's opening handshake (by default the
    /// fake server sends a correct 101 by itself; this step replaces it).
    WsHandshakeResponse(Box<ws::HandshakeResponseSpec>),
}

impl Step {
    /// How reports name the step (`send h2_request`, `expect any_of`, `half_close`).
    pub fn name(&self) -> String {
        match self {
            Step::Send(s) => format!("send {}", s.name()),
            Step::Expect(e) => format!("expect {}", e.kind.name()),
            Step::Pause(_) => "pause".into(),
            Step::HalfClose => "half_close".into(),
            Step::Reset => "reset".into(),
            Step::Close => "close".into(),
            Step::Reconnect => "reconnect".into(),
        }
    }

    /// Whether the step belongs in a case of `protocol` where peerspec plays `role`: the one rule
    /// for every kind, from each kind's [`Send::protocols`]/[`ExpectKind::protocols`] and
    /// `role()`; every alternative of an `any_of` is held to it too. The error names the kind
    /// that does not fit (its key in case files) and why.
    pub fn fits(&self, protocol: Protocol, role: Role) -> Result<(), (&'static str, String)> {
        let fit = |name: &'static str, protocols: &[Protocol], only: Option<Role>| {
            if !protocols.contains(&protocol) {
                let names: Vec<&str> = protocols.iter().map(|p| p.name()).collect();
                let why = format!("`{name}` does not belong in a {} case (it is a step of {} cases)", protocol.name(), names.join(", "));
                return Err((name, why));
            }
            match only {
                Some(only) if only != role => Err((name, format!(
                    "not a step for role `{}`: `{name}` is for role `{}` (a client sends requests and expects responses; a server the reverse)",
                    role.name(),
                    only.name()
                ))),
                _ => Ok(()),
            }
        };
        match self {
            Step::Send(s) => fit(s.name(), s.protocols(), s.role()),
            Step::Expect(e) => e.kind.walk().into_iter().try_for_each(|k| fit(k.name(), k.protocols(), k.role())),
            Step::Pause(_) | Step::HalfClose | Step::Reset | Step::Close | Step::Reconnect => Ok(()),
        }
    }
}

impl Send {
    /// The kind's key in case files (`h2_request`).
    pub fn name(&self) -> &'static str {
        match self {
            Send::Request(_) => "request",
            Send::Pipeline(_) => "pipeline",
            Send::Response(_) => "response",
            Send::Raw(_) => "raw",
            Send::Frames(_) => "frames",
            Send::H2Request(_) => "h2_request",
            Send::H2Response(_) => "h2_response",
            Send::Handshake(_) => "handshake",
            Send::Message(_) => "message",
            Send::WsFrame(_) => "ws_frame",
            Send::WsFrames(_) => "ws_frames",
            Send::WsPing(_) => "ws_ping",
            Send::WsClose(_) => "ws_close",
            Send::WsHandshakeResponse(_) => "ws_handshake_response",
        }
    }

    /// The protocols whose cases may send this kind.
    pub fn protocols(&self) -> &'static [Protocol] {
        match self {
            Send::Raw(_) => expect::ALL,
            Send::Request(_) | Send::Pipeline(_) | Send::Response(_) => expect::HTTP1,
            Send::Frames(_) | Send::H2Request(_) | Send::H2Response(_) => expect::H2,
            Send::Handshake(_)
            | Send::Message(_)
            | Send::WsFrame(_)
            | Send::WsFrames(_)
            | Send::WsPing(_)
            | Send::WsClose(_)
            | Send::WsHandshakeResponse(_) => expect::WS,
        }
    }

    /// The only role peerspec may play to send this kind, or `None` for both: a client sends
    /// requests, a server responses.
    pub fn role(&self) -> Option<Role> {
        match self {
            Send::Request(_) | Send::Pipeline(_) | Send::H2Request(_) | Send::Handshake(_) => Some(Role::Client),
            Send::Response(_) | Send::H2Response(_) | Send::WsHandshakeResponse(_) => Some(Role::Server),
            Send::Raw(_)
            | Send::Frames(_)
            | Send::Message(_)
            | Send::WsFrame(_)
            | Send::WsFrames(_)
            | Send::WsPing(_)
            | Send::WsClose(_) => None,
        }
    }
}

/// What to wait for and check: exactly one of the fields below (but `within`). The serde shape
/// of an `expect:` step, which loading turns into an [`ExpectStep`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// An HTTP/1.x response (role `client`).
    #[serde(default)]
    pub response: Option<Box<ResponseExpect>>,
    /// An HTTP/1.x request from the client under test (role `server`).
    #[serde(default)]
    pub request: Option<Box<RequestExpect>>,
    /// Exactly these bytes next.
    #[serde(default)]
    pub bytes: Option<BytesSpec>,
    /// A regular expression the bytes received next must match (anchored at their start with `^`
    /// if you want that); bytes up to the end of the match are consumed.
    #[serde(default, rename = "match")]
    pub pattern: Option<String>,
    /// The state of the connection.
    #[serde(default)]
    pub connection: Option<ConnectionState>,
    /// HTTP/2: a frame of a type (with flags, on a stream).
    #[serde(default)]
    pub frame: Option<Box<h2::FrameExpect>>,
    /// HTTP/2: a response on a stream, and how the stream ended.
    #[serde(default)]
    pub h2_response: Option<Box<h2::H2ResponseExpect>>,
    /// HTTP/2: a request from the client under test on a stream, and how it ended (role `server`).
    #[serde(default)]
    pub h2_request: Option<Box<h2::H2RequestExpect>>,
    /// HTTP/2: a connection error: GOAWAY with one of these codes or a generic one (or the peer
    /// closes without GOAWAY). See [`h2::ConnectionErrorExpect`].
    #[serde(default)]
    pub connection_error: Option<h2::ConnectionErrorExpect>,
    /// HTTP/2: a stream error (RST_STREAM, or a connection error) with one of these codes or a
    /// generic one. See [`h2::StreamErrorExpect`].
    #[serde(default)]
    pub stream_error: Option<Box<h2::StreamErrorExpect>>,
    /// HTTP/2: the PING acknowledgement that proves everything sent before was processed.
    #[serde(default)]
    pub ping_ack: Option<Box<h2::PingAckExpect>>,
    /// Several behaviours the RFC allows; the step passes when any one of them is seen.
    #[serde(default)]
    pub any_of: Option<Vec<Expect>>,
    /// WebSocket: the response to the opening handshake (101 with the right accept value).
    #[serde(default)]
    pub handshake: Option<Box<ws::HandshakeExpect>>,
    /// WebSocket: a data message (reassembled from its fragments).
    #[serde(default)]
    pub message: Option<Box<ws::MessageExpect>>,
    /// WebSocket: a pong carrying exactly this payload.
    #[serde(default)]
    pub pong: Option<BytesSpec>,
    /// WebSocket: a close frame (its reason must be valid UTF-8, its code valid on the wire).
    /// peerspec answers it with a close frame unless it already sent one. In role `server`, the
    /// fake server then closes TCP only when a `close` step says so (RFC 6455 §7.1.1: the server
    /// closes first).
    #[serde(default)]
    pub close: Option<Box<ws::CloseExpect>>,
    /// WebSocket: the peer fails the connection (RFC 6455 §7.1.7). `any`: a close frame with any
    /// code, or a TCP close without one; a list of codes: a close frame with one of them.
    #[serde(default)]
    pub fail: Option<ws::FailExpect>,
    /// WebSocket: one frame, field by field.
    #[serde(default)]
    pub ws_frame: Option<Box<ws::FrameExpect>>,
    /// WebSocket, role `server`: the client's opening handshake request (by default the fake
    /// server reads and checks it by itself; this step checks more).
    #[serde(default)]
    pub ws_handshake_request: Option<Box<ws::HandshakeRequestExpect>>,
    /// How long to wait. For `connection: open`, how long the peer must stay quiet (default 100ms);
    /// otherwise the step's timeout (default: what is left of the case's).
    #[serde(default)]
    pub within: Option<DurationSpec>,
}

/// A connection state the peer must leave the connection in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// The peer closed (FIN, or RST) with no further bytes.
    Closed,
    /// The peer keeps the connection open and sends nothing unasked.
    Open,
}

/// A value or a list of allowed values (`status: 400` or `status: [400, 411]`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected one value or a list of allowed values (status: 400 or status: [400, 411]), each of the field's type"
)]
pub enum OneOrMany<T> {
    /// A single allowed value.
    One(T),
    /// Any of these values.
    Many(Vec<T>),
}

impl<T: PartialEq> OneOrMany<T> {
    /// Whether `v` is allowed.
    pub fn allows(&self, v: &T) -> bool {
        match self {
            OneOrMany::One(x) => x == v,
            OneOrMany::Many(xs) => xs.contains(v),
        }
    }
    /// The allowed values.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(x) => std::slice::from_ref(x),
            OneOrMany::Many(xs) => xs,
        }
    }
}
