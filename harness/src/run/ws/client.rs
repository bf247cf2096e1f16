//! WebSocket as the client (role `client`): the opening handshake, automatic or scripted, and
//! the check of the server's answer; frames go through the shared [`super::WsFrames`].

use crate::case::ws::{HandshakeExpect, HandshakeSpec, OpcodeSpec};
use crate::case::{ExpectKind, OneOrMany, Send};
use crate::wire::http1::response::{Progress, ResponseReader, ResponseRecord};
use crate::wire::ws::handshake::{accept_for, encode_request, generate_key, has_token};
use crate::wire::ws::message::Sender;
use crate::wire::ws::opcode;

use super::checks::join;
use super::frames::script_fields;
use super::{FrameCheck, WsFrames};

use crate::run::check::{annotated, delegate_check, Annotated, Check, Released, Verdict};
use crate::run::driver::{Driver, DriverConfig, Substitutions, Unit, Units};
/// WebSocket as the client (role `client`): the opening handshake, automatic or scripted, then
/// the frames.
pub struct WsClient {
    subs: Substitutions,
    /// The case sends its own handshake (no automatic one on connect).
    manual: bool,
    /// The key of the last handshake sent, for checking the accept value.
    key: Option<String>,
    frames: WsFrames,
}

impl WsClient {
    fn handshake(&mut self, spec: &HandshakeSpec) -> Unit {
        let key = spec.key.clone().unwrap_or_else(generate_key);
        let target = self.subs.apply(spec.target.as_deref().unwrap_or(&self.subs.ws_path));
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), self.subs.host.clone()),
            ("Upgrade".into(), "websocket".into()),
            ("Connection".into(), "Upgrade".into()),
            ("Sec-WebSocket-Key".into(), key.clone()),
            ("Sec-WebSocket-Version".into(), spec.version.clone().unwrap_or_else(|| "13".into())),
        ];
        if !spec.protocols.is_empty() {
            headers.push(("Sec-WebSocket-Protocol".into(), spec.protocols.join(", ")));
        }
        script_fields(&mut headers, &spec.omit, &spec.headers, &self.subs);
        let sent_key = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-key")).map(|(_, v)| v.clone());
        self.key = sent_key;
        self.frames.on_connect();
        let method = spec.method.clone().unwrap_or_else(|| "GET".into());
        let version = spec.http_version.clone().unwrap_or_else(|| "HTTP/1.1".into());
        Unit::new(format!("opening handshake {method} {target} {version}"), encode_request(&method, &target, &version, &headers))
    }

    fn handshake_check(&self, expect: &HandshakeExpect) -> HandshakeCheck {
        HandshakeCheck {
            reader: ResponseReader::new("GET", self.frames.caps().http1_limits()),
            expect: expect.clone(),
            key: self.key.clone(),
            consumed: 0,
        }
    }
}

/// Parses a masking key written as 8 hex digits.
pub fn parse_mask_key(hex: &str) -> Result<[u8; 4], String> {
    let bytes = crate::case::bytes::decode_hex(hex)?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("a masking key is 4 bytes (8 hex digits), not {}", b.len()))
}

/// The opcode number a spec names.
pub fn opcode_of(spec: &OpcodeSpec) -> Result<u8, String> {
    match spec {
        OpcodeSpec::Number(n) if *n <= 0xF => Ok(*n),
        OpcodeSpec::Number(n) => Err(format!("opcode {n} is not 0-15")),
        OpcodeSpec::Name(s) => opcode::parse(s).ok_or_else(|| format!("unknown opcode {s:?}")),
    }
}

/// The checks of the WebSocket client: the handshake response, or frames.
pub enum WsClientCheck {
    /// The server's answer to the opening handshake.
    Handshake(Box<HandshakeCheck>),
    /// Frames.
    Frames(Box<FrameCheck>),
}

impl WsClientCheck {
    fn inner(&self) -> &dyn Check {
        match self {
            WsClientCheck::Handshake(c) => &**c,
            WsClientCheck::Frames(c) => &**c,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Check {
        match self {
            WsClientCheck::Handshake(c) => &mut **c,
            WsClientCheck::Frames(c) => &mut **c,
        }
    }
}

delegate_check!(WsClientCheck, inner, inner_mut);

impl Driver for WsClient {
    type Check = WsClientCheck;

    fn url_scheme(tls: bool) -> &'static str {
        if tls {
            "wss"
        } else {
            "ws"
        }
    }

    /// Handshakes go to `subs.ws_path` by default.
    fn new(cfg: DriverConfig<'_>) -> Self {
        let manual = crate::case::split::each_step(cfg.steps).any(|s| matches!(s.as_send(), Some(Send::Handshake(_))));
        let mut frames = WsFrames::new(Sender::Server);
        frames.set_caps(&cfg.caps);
        WsClient { subs: cfg.subs.clone(), manual, key: None, frames }
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.frames.on_connect();
        if self.manual {
            return Ok(vec![]);
        }
        Ok(vec![self.handshake(&HandshakeSpec::default())])
    }

    fn on_connect_check(&mut self) -> Option<WsClientCheck> {
        (!self.manual).then(|| WsClientCheck::Handshake(Box::new(self.handshake_check(&HandshakeExpect::default()))))
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::Handshake(spec) => Ok(vec![self.handshake(spec)]),
            other => self.frames.encode(other).unwrap_or_else(|| {
                Err("this send step is not one a WebSocket client knows (use handshake, message, ws_frame(s), ws_ping, ws_close or raw)".into())
            }),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<WsClientCheck, String> {
        if let ExpectKind::Handshake(h) = expect {
            return Ok(WsClientCheck::Handshake(Box::new(self.handshake_check(h))));
        }
        let frames = self.frames.check(expect).unwrap_or_else(|| Err("this expectation is not one a WebSocket client knows".into()));
        frames.map(|f| WsClientCheck::Frames(Box::new(f)))
    }

    fn passed(&mut self, check: WsClientCheck) -> Units {
        match check {
            WsClientCheck::Handshake(hc) => {
                self.frames.advance(hc.consumed);
                vec![]
            }
            WsClientCheck::Frames(mut fc) => self.frames.passed(&mut fc),
        }
    }
}

/// Reads the response to the opening handshake and checks it (RFC 6455 §4.1, §4.2.2).
pub struct HandshakeCheck {
    reader: ResponseReader,
    expect: HandshakeExpect,
    key: Option<String>,
    /// Bytes of the response, once it passed.
    consumed: usize,
}

impl HandshakeCheck {
    fn judge(&self, r: &ResponseRecord) -> Vec<String> {
        let mut problems = vec![];
        let statuses = self.expect.status.clone().unwrap_or(OneOrMany::One(101));
        if !statuses.allows(&r.status) {
            problems.push(format!("status: expected {}, saw {} {}", join(&statuses), r.status, r.reason));
        }
        if r.status == 101 {
            match r.header("upgrade") {
                Some(v) if v.trim().eq_ignore_ascii_case("websocket") => {}
                other => problems.push(format!("Upgrade: expected \"websocket\", saw {other:?} (RFC 6455 §4.2.2)")),
            }
            match r.header("connection") {
                Some(v) if has_token(&v, "upgrade") => {}
                other => problems.push(format!("Connection: expected the token \"Upgrade\", saw {other:?} (RFC 6455 §4.2.2)")),
            }
            if let Some(key) = &self.key {
                let want = accept_for(key);
                match r.header("sec-websocket-accept") {
                    Some(v) if v.trim() == want => {}
                    other => {
                        problems.push(format!("Sec-WebSocket-Accept: expected {want:?} for key {key:?}, saw {other:?} (RFC 6455 §4.2.2)"))
                    }
                }
            }
            if r.header("sec-websocket-extensions").is_some() {
                problems.push("Sec-WebSocket-Extensions: the server selected an extension peerspec did not offer (RFC 6455 §4.1)".into());
            }
        }
        if let Some(p) = &self.expect.protocol {
            let seen = r.header("sec-websocket-protocol");
            let ok = match (p.as_str(), &seen) {
                ("", None) => true,
                (p, Some(s)) => s.trim() == p,
                _ => false,
            };
            if !ok {
                problems.push(format!(
                    "Sec-WebSocket-Protocol: expected {}, saw {seen:?}",
                    if p.is_empty() { "none".into() } else { format!("{p:?}") }
                ));
            }
        }
        self.expect.header_expectations().compare(|name| r.header(name), &mut problems);
        problems
    }
}

impl Check for HandshakeCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        match self.reader.advance(input, eof) {
            Progress::NeedMore => Verdict::Pending,
            Progress::Done { consumed } => {
                let r = self.reader.record();
                let problems = self.judge(r);
                let unit = format!("handshake response {} {} {}", r.version, r.status, r.reason);
                if problems.is_empty() {
                    self.consumed = consumed;
                    Verdict::Pass { consumed, units: vec![annotated(0, consumed, unit)] }
                } else {
                    Verdict::Fail(format!("handshake response differs:\n  {}", problems.join("\n  ")))
                }
            }
            Progress::Invalid(e) => Verdict::Fail(format!("invalid handshake response: {e}")),
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        Verdict::Fail(format!("timed out waiting for the handshake response ({} bytes received)", input.len()))
    }
    fn describe(&self) -> String {
        "the handshake response".into()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        let r = self.reader.record();
        r.units.iter().map(|u| annotated(u.offset, u.len, format!("response {} {}", r.status, r.reason))).collect()
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
