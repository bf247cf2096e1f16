//! The typed expectation: what an `expect:` step waits for, as one enum variant per kind.
//!
//! [`Expect`] is the serde shape (a map with one optional field per kind, so that an unknown or
//! misspelled key is reported at its position); right after deserializing, it becomes an
//! [`ExpectStep`], whose [`ExpectKind`] holds exactly one kind. "Exactly one" is checked once,
//! here, and every later `match` on [`ExpectKind`] is exhaustive: adding a kind makes the
//! compiler list every place that must handle it ([`ExpectKind::name`],
//! [`ExpectKind::protocols`], [`ExpectKind::role`], the conversions below, and each driver's
//! `check`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{h2, ws, BytesSpec, ConnectionState, DurationSpec, Expect, Protocol, RequestExpect, ResponseExpect, Role};

/// One expectation step, typed: its kind and how long to wait.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "Expect", into = "Expect")]
pub struct ExpectStep {
    /// What to wait for.
    pub kind: ExpectKind,
    /// How long to wait. For `connection: open`, how long the peer must stay quiet (default
    /// 100ms); otherwise the step's timeout (default: what is left of the case's).
    pub within: Option<DurationSpec>,
}

/// What to wait for and check: exactly one kind.
#[derive(Debug, Clone)]
pub enum ExpectKind {
    /// Exactly these bytes next.
    Bytes(BytesSpec),
    /// A regular expression the bytes received next must match.
    Match(String),
    /// The state of the connection.
    Connection(ConnectionState),
    /// Several behaviours the RFC allows; the step passes when any one of them is seen.
    AnyOf(Vec<ExpectKind>),
    /// HTTP/1.x: a response (role `client`).
    Response(Box<ResponseExpect>),
    /// HTTP/1.x: a request from the client under test (role `server`).
    Request(Box<RequestExpect>),
    /// HTTP/2: a frame of a type (with flags, on a stream).
    Frame(Box<h2::FrameExpect>),
    /// HTTP/2: a response on a stream (role `client`).
    H2Response(Box<h2::H2ResponseExpect>),
    /// HTTP/2: a request from the client under test (role `server`).
    H2Request(Box<h2::H2RequestExpect>),
    /// HTTP/2: a connection error.
    ConnectionError(h2::ConnectionErrorExpect),
    /// HTTP/2: a stream error.
    StreamError(Box<h2::StreamErrorExpect>),
    /// HTTP/2: the PING acknowledgement.
    PingAck(Box<h2::PingAckExpect>),
    /// WebSocket: the response to the opening handshake (role `client`).
    Handshake(Box<ws::HandshakeExpect>),
    /// WebSocket: a data message.
    Message(Box<ws::MessageExpect>),
    /// WebSocket: a pong carrying exactly this payload.
    Pong(BytesSpec),
    /// WebSocket: a close frame.
    Close(Box<ws::CloseExpect>),
    /// WebSocket: the peer fails the connection.
    Fail(ws::FailExpect),
    /// WebSocket: one frame, field by field.
    WsFrame(Box<ws::FrameExpect>),
    /// WebSocket: the client's opening handshake request (role `server`).
    WsHandshakeRequest(Box<ws::HandshakeRequestExpect>),
}

/// Every protocol: the protocol-neutral kinds.
pub(crate) const ALL: &[Protocol] = &[Protocol::Http10, Protocol::Http11, Protocol::H2, Protocol::Ws];
/// HTTP/1.0 and HTTP/1.1.
pub(crate) const HTTP1: &[Protocol] = &[Protocol::Http10, Protocol::Http11];
/// HTTP/2.
pub(crate) const H2: &[Protocol] = &[Protocol::H2];
/// WebSocket.
pub(crate) const WS: &[Protocol] = &[Protocol::Ws];

/// The key of every kind, in the order an error message lists them.
const KINDS: &str = "response, request, bytes, match, connection, any_of, frame, h2_response, h2_request, connection_error, \
                     stream_error, ping_ack, handshake, message, pong, close, fail, ws_frame, ws_handshake_request";

impl ExpectKind {
    /// The kind's key in case files (`h2_response`).
    pub fn name(&self) -> &'static str {
        match self {
            ExpectKind::Bytes(_) => "bytes",
            ExpectKind::Match(_) => "match",
            ExpectKind::Connection(_) => "connection",
            ExpectKind::AnyOf(_) => "any_of",
            ExpectKind::Response(_) => "response",
            ExpectKind::Request(_) => "request",
            ExpectKind::Frame(_) => "frame",
            ExpectKind::H2Response(_) => "h2_response",
            ExpectKind::H2Request(_) => "h2_request",
            ExpectKind::ConnectionError(_) => "connection_error",
            ExpectKind::StreamError(_) => "stream_error",
            ExpectKind::PingAck(_) => "ping_ack",
            ExpectKind::Handshake(_) => "handshake",
            ExpectKind::Message(_) => "message",
            ExpectKind::Pong(_) => "pong",
            ExpectKind::Close(_) => "close",
            ExpectKind::Fail(_) => "fail",
            ExpectKind::WsFrame(_) => "ws_frame",
            ExpectKind::WsHandshakeRequest(_) => "ws_handshake_request",
        }
    }

    /// The protocols whose cases may expect this kind. For `any_of`, every protocol: each
    /// alternative is held to its own (see [`ExpectKind::alternatives`]).
    pub fn protocols(&self) -> &'static [Protocol] {
        match self {
            ExpectKind::Bytes(_) | ExpectKind::Match(_) | ExpectKind::Connection(_) | ExpectKind::AnyOf(_) => ALL,
            ExpectKind::Response(_) | ExpectKind::Request(_) => HTTP1,
            ExpectKind::Frame(_)
            | ExpectKind::H2Response(_)
            | ExpectKind::H2Request(_)
            | ExpectKind::ConnectionError(_)
            | ExpectKind::StreamError(_)
            | ExpectKind::PingAck(_) => H2,
            ExpectKind::Handshake(_)
            | ExpectKind::Message(_)
            | ExpectKind::Pong(_)
            | ExpectKind::Close(_)
            | ExpectKind::Fail(_)
            | ExpectKind::WsFrame(_)
            | ExpectKind::WsHandshakeRequest(_) => WS,
        }
    }

    /// The only role peerspec may play to expect this kind, or `None` for both: a client
    /// expects responses, a server requests.
    pub fn role(&self) -> Option<Role> {
        match self {
            ExpectKind::Response(_) | ExpectKind::H2Response(_) | ExpectKind::Handshake(_) => Some(Role::Client),
            ExpectKind::Request(_) | ExpectKind::H2Request(_) | ExpectKind::WsHandshakeRequest(_) => Some(Role::Server),
            ExpectKind::Bytes(_)
            | ExpectKind::Match(_)
            | ExpectKind::Connection(_)
            | ExpectKind::AnyOf(_)
            | ExpectKind::Frame(_)
            | ExpectKind::ConnectionError(_)
            | ExpectKind::StreamError(_)
            | ExpectKind::PingAck(_)
            | ExpectKind::Message(_)
            | ExpectKind::Pong(_)
            | ExpectKind::Close(_)
            | ExpectKind::Fail(_)
            | ExpectKind::WsFrame(_) => None,
        }
    }

    /// The alternatives of an `any_of`; empty for every other kind.
    pub fn alternatives(&self) -> &[ExpectKind] {
        match self {
            ExpectKind::AnyOf(alternatives) => alternatives,
            _ => &[],
        }
    }

    /// This kind and, recursively, every alternative inside it (depth first).
    pub fn walk(&self) -> Vec<&ExpectKind> {
        let mut out = vec![self];
        for a in self.alternatives() {
            out.extend(a.walk());
        }
        out
    }

    /// Reads the one kind an [`Expect`] names. `within` belongs to the step, so an alternative
    /// of an `any_of` (`nested`) that sets it is an error rather than a setting silently ignored.
    fn from_expect(e: Expect, nested: bool) -> Result<ExpectKind, String> {
        // Destructured whole, so that a field added to `Expect` is a compile error here.
        let Expect {
            response,
            request,
            bytes,
            pattern,
            connection,
            frame,
            h2_response,
            h2_request,
            connection_error,
            stream_error,
            ping_ack,
            any_of,
            handshake,
            message,
            pong,
            close,
            fail,
            ws_frame,
            ws_handshake_request,
            within,
        } = e;
        if nested && within.is_some() {
            return Err("`within` inside an `any_of` alternative has no effect: put it beside `any_of`, on the step".into());
        }
        let any_of = match any_of {
            Some(alternatives) if alternatives.is_empty() => return Err("any_of needs at least one alternative".into()),
            Some(alternatives) => Some(alternatives.into_iter().map(|a| ExpectKind::from_expect(a, true)).collect::<Result<Vec<_>, _>>()?),
            None => None,
        };
        let kinds: Vec<ExpectKind> = [
            response.map(ExpectKind::Response),
            request.map(ExpectKind::Request),
            bytes.map(ExpectKind::Bytes),
            pattern.map(ExpectKind::Match),
            connection.map(ExpectKind::Connection),
            any_of.map(ExpectKind::AnyOf),
            frame.map(ExpectKind::Frame),
            h2_response.map(ExpectKind::H2Response),
            h2_request.map(ExpectKind::H2Request),
            connection_error.map(ExpectKind::ConnectionError),
            stream_error.map(ExpectKind::StreamError),
            ping_ack.map(ExpectKind::PingAck),
            handshake.map(ExpectKind::Handshake),
            message.map(ExpectKind::Message),
            pong.map(ExpectKind::Pong),
            close.map(ExpectKind::Close),
            fail.map(ExpectKind::Fail),
            ws_frame.map(ExpectKind::WsFrame),
            ws_handshake_request.map(ExpectKind::WsHandshakeRequest),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut kinds = kinds.into_iter();
        match (kinds.next(), kinds.next()) {
            (Some(kind), None) => Ok(kind),
            (None, _) => Err(format!("expect needs one of {KINDS}")),
            (Some(a), Some(b)) => Err(format!("expect takes exactly one of {KINDS}; this one has `{}` and `{}`", a.name(), b.name())),
        }
    }

    /// Back to the serde shape, with no `within`.
    fn into_expect(self) -> Expect {
        let mut e = Expect::default();
        match self {
            ExpectKind::Bytes(b) => e.bytes = Some(b),
            ExpectKind::Match(p) => e.pattern = Some(p),
            ExpectKind::Connection(c) => e.connection = Some(c),
            ExpectKind::AnyOf(alternatives) => e.any_of = Some(alternatives.into_iter().map(ExpectKind::into_expect).collect()),
            ExpectKind::Response(r) => e.response = Some(r),
            ExpectKind::Request(r) => e.request = Some(r),
            ExpectKind::Frame(f) => e.frame = Some(f),
            ExpectKind::H2Response(r) => e.h2_response = Some(r),
            ExpectKind::H2Request(r) => e.h2_request = Some(r),
            ExpectKind::ConnectionError(c) => e.connection_error = Some(c),
            ExpectKind::StreamError(s) => e.stream_error = Some(s),
            ExpectKind::PingAck(p) => e.ping_ack = Some(p),
            ExpectKind::Handshake(h) => e.handshake = Some(h),
            ExpectKind::Message(m) => e.message = Some(m),
            ExpectKind::Pong(p) => e.pong = Some(p),
            ExpectKind::Close(c) => e.close = Some(c),
            ExpectKind::Fail(f) => e.fail = Some(f),
            ExpectKind::WsFrame(f) => e.ws_frame = Some(f),
            ExpectKind::WsHandshakeRequest(r) => e.ws_handshake_request = Some(r),
        }
        e
    }
}

impl TryFrom<Expect> for ExpectStep {
    type Error = String;

    fn try_from(e: Expect) -> Result<Self, String> {
        let within = e.within;
        Ok(ExpectStep { kind: ExpectKind::from_expect(e, false)?, within })
    }
}

impl From<ExpectStep> for Expect {
    fn from(step: ExpectStep) -> Expect {
        Expect { within: step.within, ..step.kind.into_expect() }
    }
}

impl From<ExpectKind> for ExpectStep {
    fn from(kind: ExpectKind) -> ExpectStep {
        ExpectStep { kind, within: None }
    }
}

/// The schema of the serde shape, [`Expect`], which is what case files are written in.
impl JsonSchema for ExpectStep {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Expect::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        Expect::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Expect::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(yaml: &str) -> Result<ExpectStep, String> {
        serde_norway::from_str::<ExpectStep>(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn one_kind_each() {
        let s = step("{ h2_response: { status: 200 }, within: 1s }").unwrap();
        assert_eq!(s.kind.name(), "h2_response");
        assert_eq!(s.kind.protocols(), H2);
        assert_eq!(s.kind.role(), Some(Role::Client));
        assert!(s.within.is_some());
        assert!(step("{ connection: open, bytes: x }").unwrap_err().contains("has `bytes` and `connection`"));
        assert!(step("{ within: 1s }").unwrap_err().contains("expect needs one of"));
        assert!(step("{ any_of: [] }").unwrap_err().contains("at least one alternative"));
    }

    /// Acceptance bug 4 of issue 17: `within` in an alternative was silently ignored.
    #[test]
    fn within_inside_an_any_of_alternative_is_an_error() {
        let err = step("{ any_of: [ { connection: closed, within: 2s }, { bytes: x } ] }").unwrap_err();
        assert!(err.contains("`within` inside an `any_of` alternative"), "{err}");
        let ok = step("{ any_of: [ { connection: closed }, { bytes: x } ], within: 2s }").unwrap();
        assert_eq!(ok.kind.walk().iter().map(|k| k.name()).collect::<Vec<_>>(), ["any_of", "connection", "bytes"]);
    }

    #[test]
    fn round_trips_through_the_serde_shape() {
        let s = step("{ any_of: [ { connection: closed }, { pong: ab } ], within: 2s }").unwrap();
        let back: Expect = s.into();
        assert_eq!(back.any_of.as_ref().map(Vec::len), Some(2));
        assert!(back.within.is_some() && back.any_of.unwrap()[1].pong.is_some());
    }
}
