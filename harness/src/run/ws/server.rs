//! WebSocket as the fake server (role `server`): the client's opening handshake read as an
//! HTTP/1.1 request (through the sans-I/O [`RequestReader`]) and held to RFC 6455 §4.1, the
//! answer (a correct 101 by default, or whatever the case scripts to see the client fail), then
//! frames through the same [`WsFrames`] the client role uses: sent unmasked, and every frame
//! from the client checked for its mask (§5.1).
//!
//! Unless the case says otherwise, each connection starts with the handshake done for it: the
//! request is read and checked (a case replaces that with `expect: ws_handshake_request`), and
//! answered with a correct 101 (a case replaces that with `send: ws_handshake_response`).

use std::sync::{Arc, Mutex};

use crate::case::ws::{AcceptSpec, HandshakeRequestExpect, HandshakeResponseSpec};
use crate::case::{ExpectKind, Send, Step};
use crate::wire::http1::body::OutgoingBody;
use crate::wire::http1::response::Progress;
use crate::wire::http1::server::{reason_phrase, RequestReader, RequestRecord, Response};
use crate::wire::ws::extensions::{self, Agreement, AnswerWish, PERMESSAGE_DEFLATE};
use crate::wire::ws::handshake::{accept_for, has_token};
use crate::wire::ws::message::Sender;

use super::checks::WsCheck;
use super::frames::script_fields;
use super::WsFrames;
use crate::run::check::{annotated, delegate_check, Annotated, Check, Released, Verdict};
use crate::run::driver::{Driver, DriverConfig, Substitutions, Unit, Units};
use crate::run::fields::differ;

/// The fake WebSocket server's state in a case.
pub struct WsServer {
    subs: Substitutions,
    /// The case checks the handshake request itself (`expect: ws_handshake_request`).
    scripted_request: bool,
    /// The case answers the handshake itself (`send: ws_handshake_response`).
    scripted_response: bool,
    /// The `Sec-WebSocket-Key` of the client's last handshake request.
    key: Option<String>,
    /// How the case's response answers a permessage-deflate offer (its `deflate:`), if it does.
    wish: Option<AnswerWish>,
    /// The agreement the answer makes with the client's offers.
    agreement: Option<Agreement>,
    /// Set by a request check when the client made an allowed choice the case cannot use.
    not_applicable: Arc<Mutex<Option<String>>>,
    frames: WsFrames,
}

impl WsServer {
    fn request_check(&self, expect: &HandshakeRequestExpect) -> HandshakeRequestCheck {
        HandshakeRequestCheck {
            reader: RequestReader::new(self.frames.caps().http1_limits()),
            target: expect.target.as_deref().map(|t| self.subs.apply(t)),
            expect: expect.clone(),
            key: None,
            wish: self.wish.clone(),
            agreement: None,
            not_applicable: self.not_applicable.clone(),
            consumed: 0,
        }
    }

    /// The wire bytes of the answer to the client's handshake.
    pub fn response(&self, spec: &HandshakeResponseSpec) -> Unit {
        let status = spec.status.unwrap_or(101);
        let reason = spec.reason.clone().unwrap_or_else(|| reason_phrase(status).to_string());
        let accept = accept_for(self.key.as_deref().unwrap_or(""));
        let mut headers: Vec<(String, String)> = vec![("Upgrade".into(), "websocket".into()), ("Connection".into(), "Upgrade".into())];
        match spec.accept {
            AcceptSpec::Correct => headers.push(("Sec-WebSocket-Accept".into(), accept)),
            // Still 28 characters of base64 for 20 bytes: only the value is wrong.
            AcceptSpec::Wrong => {
                let first = if accept.starts_with('A') { "B" } else { "A" };
                headers.push(("Sec-WebSocket-Accept".into(), format!("{first}{}", &accept[1..])));
            }
            AcceptSpec::Omit => {}
        }
        if let Some(p) = &spec.protocol {
            headers.push(("Sec-WebSocket-Protocol".into(), p.clone()));
        }
        if let Some(e) = &spec.extensions {
            headers.push(("Sec-WebSocket-Extensions".into(), e.clone()));
        }
        if let (Some(_), Some(a)) = (&spec.deflate, &self.agreement) {
            headers.push(("Sec-WebSocket-Extensions".into(), a.header()));
        }
        script_fields(&mut headers, &spec.omit, &spec.headers, &self.subs);
        // A refusal has an empty body, framed, so the client need not wait for the close.
        if status != 101
            && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding"))
        {
            headers.push(("Content-Length".into(), "0".into()));
        }
        let response = Response { version: "HTTP/1.1".into(), status, reason, headers, body: OutgoingBody::None };
        Unit::new(format!("handshake response {} {} {}", response.version, response.status, response.reason), response.encode())
    }
}

/// The checks of the fake WebSocket server: the opening handshake request, or frames.
pub type WsServerCheck = WsCheck<HandshakeRequestCheck>;

delegate_check!(WsServerCheck, inner, inner_mut);

impl Driver for WsServer {
    type Check = WsServerCheck;

    fn url_scheme(tls: bool) -> &'static str {
        super::url_scheme(tls)
    }

    fn new(cfg: DriverConfig<'_>) -> Self {
        let scripted_request = crate::case::split::each_step(cfg.steps)
            .any(|s| matches!(s, Step::Expect(e) if matches!(e.kind, ExpectKind::WsHandshakeRequest(_))));
        let scripted_response = crate::case::split::each_step(cfg.steps).any(|s| matches!(s.as_send(), Some(Send::WsHandshakeResponse(_))));
        let wish = crate::case::split::each_step(cfg.steps).find_map(|s| match s.as_send() {
            Some(Send::WsHandshakeResponse(r)) => r.deflate.as_ref().map(|d| AnswerWish {
                server_no_context_takeover: d.server_no_context_takeover,
                client_no_context_takeover: d.client_no_context_takeover,
                server_max_window_bits: d.server_max_window_bits,
                client_max_window_bits: d.client_max_window_bits,
            }),
            _ => None,
        });
        let mut frames = WsFrames::new(Sender::Client);
        frames.set_caps(&cfg.caps);
        WsServer {
            subs: cfg.subs.clone(),
            scripted_request,
            scripted_response,
            key: None,
            wish,
            agreement: None,
            not_applicable: Default::default(),
            frames,
        }
    }

    fn on_connect(&mut self) -> Result<Units, String> {
        self.frames.on_connect();
        self.key = None;
        Ok(vec![])
    }

    fn on_connect_check(&mut self) -> Option<WsServerCheck> {
        (!self.scripted_request).then(|| WsServerCheck::Handshake(Box::new(self.request_check(&HandshakeRequestExpect::default()))))
    }

    fn encode(&mut self, send: &Send) -> Result<Units, String> {
        match send {
            Send::WsHandshakeResponse(spec) => {
                let unit = self.response(spec);
                // A 101 with permessage-deflate: compressed messages both ways from now on.
                if spec.status.unwrap_or(101) == 101 && spec.deflate.is_some() {
                    self.frames.set_deflate(self.agreement);
                }
                Ok(vec![unit])
            }
            other => self.frames.encode(other).unwrap_or_else(|| {
                Err("this send step is not one a WebSocket server knows (use ws_handshake_response, message, ws_frame(s), ws_ping, ws_close or raw)".into())
            }),
        }
    }

    fn check(&mut self, expect: &ExpectKind) -> Result<WsServerCheck, String> {
        if let ExpectKind::WsHandshakeRequest(r) = expect {
            return Ok(WsServerCheck::Handshake(Box::new(self.request_check(r))));
        }
        let frames = self.frames.check(expect).unwrap_or_else(|| Err("this expectation is not one a WebSocket server knows".into()));
        frames.map(|f| WsServerCheck::Frames(Box::new(f)))
    }

    fn passed(&mut self, check: WsServerCheck) -> Units {
        match check {
            WsServerCheck::Handshake(mut request) => {
                self.frames.advance(request.consumed);
                self.key = request.key.take();
                self.agreement = request.agreement.take();
                if self.scripted_response {
                    vec![]
                } else {
                    vec![self.response(&HandshakeResponseSpec::default())]
                }
            }
            WsServerCheck::Frames(mut fc) => self.frames.passed(&mut fc),
        }
    }

    fn not_applicable(&self) -> Option<String> {
        self.not_applicable.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether `key` is 16 bytes in base64 (RFC 6455 §4.1 item 7): 22 characters of the base64
/// alphabet and `==`.
fn is_valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 24 && b.ends_with(b"==") && b[..22].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// Reads the client's opening handshake request and checks it (RFC 6455 §4.1).
pub struct HandshakeRequestCheck {
    reader: RequestReader,
    expect: HandshakeRequestExpect,
    target: Option<String>,
    /// The client's key, once the request passed.
    key: Option<String>,
    /// How the case answers a permessage-deflate offer, when it does.
    wish: Option<AnswerWish>,
    /// The agreement the answer makes, once the request passed.
    agreement: Option<Agreement>,
    not_applicable: Arc<Mutex<Option<String>>>,
    /// Bytes of the request, once it passed.
    consumed: usize,
}

impl HandshakeRequestCheck {
    fn judge(&self, r: &RequestRecord) -> Vec<String> {
        let mut problems = vec![];
        if r.method != "GET" {
            differ(&mut problems, "method", "GET (RFC 6455 §4.1 item 2)".into(), r.method.clone());
        }
        // "the HTTP version MUST be at least 1.1". The request reader (httparse) reads only
        // HTTP/1.0 and HTTP/1.1 request lines, so a later version already failed to parse.
        let minor = r.version.strip_prefix("HTTP/1.").and_then(|m| m.parse::<u32>().ok());
        if minor.unwrap_or(0) < 1 {
            differ(&mut problems, "version", "HTTP/1.1 or later (RFC 6455 §4.1 item 2)".into(), r.version.clone());
        }
        if r.header("host").is_none() {
            differ(&mut problems, "header Host", "present (RFC 6455 §4.1 item 4)".into(), "absent".into());
        }
        let token = |name: &str, token: &str, item: u8, problems: &mut Vec<String>| match r.header(name) {
            Some(v) if has_token(&v, token) => {}
            other => differ(
                problems,
                &format!("header {name}"),
                format!("the token {token:?} (RFC 6455 §4.1 item {item})"),
                format!("{other:?}"),
            ),
        };
        token("Upgrade", "websocket", 5, &mut problems);
        token("Connection", "Upgrade", 6, &mut problems);
        match r.header("sec-websocket-key") {
            Some(k) if is_valid_key(k.trim()) => {}
            other => {
                differ(&mut problems, "header Sec-WebSocket-Key", "16 bytes in base64 (RFC 6455 §4.1 item 7)".into(), format!("{other:?}"))
            }
        }
        match r.header("sec-websocket-version") {
            Some(v) if v.trim() == "13" => {}
            other => differ(&mut problems, "header Sec-WebSocket-Version", "\"13\" (RFC 6455 §4.1 item 9)".into(), format!("{other:?}")),
        }
        if let Some(t) = &self.target {
            if t != &r.target {
                differ(&mut problems, "target", t.clone(), r.target.clone());
            }
        }
        if let Some(want) = &self.expect.protocols {
            let offered: Vec<String> = r
                .header("sec-websocket-protocol")
                .map(|v| v.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
                .unwrap_or_default();
            if &offered != want {
                differ(&mut problems, "subprotocols offered", format!("{want:?}"), format!("{offered:?}"));
            }
        }
        let e = &self.expect;
        let fields = e.header_expectations();
        fields.compare(|name| r.header(name), &mut problems);
        problems
    }

    /// The answer to the client's permessage-deflate offers the case asks for (RFC 7692 §7.1). A
    /// client that offered none made its choice (the case does not apply); offers that are all
    /// invalid break RFC 7692 §7.1's rules on their parameters.
    fn answer(&self, r: &RequestRecord, problems: &mut Vec<String>) -> Option<Agreement> {
        let wish = self.wish.as_ref()?;
        let offers = match r.header("sec-websocket-extensions").map(|v| extensions::parse(&v)).transpose() {
            Ok(o) => o.unwrap_or_default(),
            Err(e) => {
                differ(problems, "header Sec-WebSocket-Extensions", "a list of extensions (RFC 6455 §9.1)".into(), e);
                return None;
            }
        };
        if !offers.iter().any(|o| o.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE)) {
            let why = format!(
                "not applicable: the client offered no permessage-deflate (Sec-WebSocket-Extensions: {:?}), as is its choice; this case needs it offered",
                r.header("sec-websocket-extensions").unwrap_or_default()
            );
            *self.not_applicable.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
            problems.push(why);
            return None;
        }
        match extensions::answer(&offers, wish) {
            Ok(a) => Some(a),
            Err(e)
                if offers.iter().any(|o| o.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) && extensions::read_offer(&o.params).is_ok()) =>
            {
                let why = format!("not applicable: the client's permessage-deflate offers cannot take this case's answer: {e}");
                *self.not_applicable.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
                problems.push(why);
                None
            }
            Err(e) => {
                problems.push(format!("the client's permessage-deflate offers are all invalid (RFC 7692 §7.1): {e}"));
                None
            }
        }
    }
}

impl Check for HandshakeRequestCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        match self.reader.advance(input, eof) {
            Progress::NeedMore => Verdict::Pending,
            Progress::Invalid(e) => Verdict::Fail(format!("invalid opening handshake request: {e}")),
            Progress::Done { consumed } => {
                let r = self.reader.record();
                let mut problems = self.judge(r);
                let agreement = self.answer(r, &mut problems);
                if !problems.is_empty() {
                    return Verdict::Fail(format!("the opening handshake request differs:\n{}", problems.join("\n")));
                }
                let unit = format!("opening handshake request {} {} {}", r.method, r.target, r.version);
                self.key = r.header("sec-websocket-key").map(|k| k.trim().to_string());
                self.agreement = agreement;
                self.consumed = consumed;
                Verdict::Pass { consumed, units: vec![annotated(0, consumed, unit)] }
            }
        }
    }
    fn on_deadline(&mut self, input: &[u8]) -> Verdict {
        Verdict::Fail(format!("timed out waiting for the client's opening handshake ({} bytes received)", input.len()))
    }
    fn describe(&self) -> String {
        "the opening handshake request".into()
    }
    fn units_so_far(&self) -> Vec<Annotated> {
        let r = self.reader.record();
        r.units.iter().map(|u| annotated(u.offset, u.len, format!("request {} {} {}", r.method, r.target, r.version))).collect()
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
