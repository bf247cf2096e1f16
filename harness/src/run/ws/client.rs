//! WebSocket as the client (role `client`): the opening handshake, automatic or scripted, and
//! the check of the server's answer; frames go through the shared [`super::WsFrames`].

use std::sync::{Arc, Mutex};

use crate::case::ws::{DeflateExpect, HandshakeExpect, HandshakeSpec};
use crate::case::{ExpectKind, OneOrMany, Send};
use crate::wire::http1::response::{Progress, ResponseReader, ResponseRecord};
use crate::wire::ws::extensions::{self, Agreement, PERMESSAGE_DEFLATE};
use crate::wire::ws::handshake::{accept_for, encode_request, generate_key, has_token};
use crate::wire::ws::message::Sender;

use super::checks::join;
use super::checks::WsCheck;
use super::frames::script_fields;
use super::WsFrames;

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
    /// The `Sec-WebSocket-Extensions` of the last handshake sent.
    offered: Option<String>,
    /// Set by a handshake check when the server made an allowed choice the case cannot use.
    not_applicable: Arc<Mutex<Option<String>>>,
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
        if let Some(e) = &spec.extensions {
            headers.push(("Sec-WebSocket-Extensions".into(), e.clone()));
        }
        script_fields(&mut headers, &spec.omit, &spec.headers, &self.subs);
        let offered: Vec<&str> =
            headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v.as_str()).collect();
        self.offered = (!offered.is_empty()).then(|| offered.join(", "));
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
            offered: self.offered.clone(),
            agreement: None,
            not_applicable: self.not_applicable.clone(),
            consumed: 0,
        }
    }
}

/// The checks of the WebSocket client: the handshake response, or frames.
pub type WsClientCheck = WsCheck<HandshakeCheck>;

delegate_check!(WsClientCheck, inner, inner_mut);

impl Driver for WsClient {
    type Check = WsClientCheck;

    fn url_scheme(tls: bool) -> &'static str {
        super::url_scheme(tls)
    }

    /// Handshakes go to `subs.ws_path` by default.
    fn new(cfg: DriverConfig<'_>) -> Self {
        let manual = crate::case::split::each_step(cfg.steps).any(|s| matches!(s.as_send(), Some(Send::Handshake(_))));
        let mut frames = WsFrames::new(Sender::Server);
        frames.set_caps(&cfg.caps);
        WsClient { subs: cfg.subs.clone(), manual, key: None, offered: None, not_applicable: Default::default(), frames }
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
            WsClientCheck::Handshake(mut hc) => {
                self.frames.advance(hc.consumed);
                self.frames.set_deflate(hc.agreement.take());
                vec![]
            }
            WsClientCheck::Frames(mut fc) => self.frames.passed(&mut fc),
        }
    }

    fn not_applicable(&self) -> Option<String> {
        self.not_applicable.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Reads the response to the opening handshake and checks it (RFC 6455 §4.1, §4.2.2).
pub struct HandshakeCheck {
    reader: ResponseReader,
    expect: HandshakeExpect,
    key: Option<String>,
    /// The `Sec-WebSocket-Extensions` value peerspec sent.
    offered: Option<String>,
    /// The permessage-deflate agreement the response made, once it passed.
    agreement: Option<Agreement>,
    not_applicable: Arc<Mutex<Option<String>>>,
    /// Bytes of the response, once it passed.
    consumed: usize,
}

impl HandshakeCheck {
    /// Checks the extensions the server selected against those offered (RFC 6455 §4.1, §9.1;
    /// RFC 7692 §7) and returns the permessage-deflate agreement, if any.
    fn judge_extensions(&self, answered: Option<String>, problems: &mut Vec<String>) -> Option<Agreement> {
        let want = self.expect.deflate;
        let Some(answered) = answered else {
            if want == Some(DeflateExpect::Accepted) {
                let why = "not applicable: the server declined permessage-deflate (its response has no Sec-WebSocket-Extensions), \
                           as RFC 7692 §5 allows; this case needs the offer accepted";
                *self.not_applicable.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.into());
                problems.push(why.into());
            }
            return None;
        };
        let Some(offered) = &self.offered else {
            problems.push("Sec-WebSocket-Extensions: the server selected an extension peerspec did not offer (RFC 6455 §4.1)".into());
            return None;
        };
        // A case may offer something unreadable on purpose: then only a decline is right.
        let offers = extensions::parse(offered).unwrap_or_default();
        let selected = match extensions::parse(&answered) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("Sec-WebSocket-Extensions {answered:?} cannot be read: {e}"));
                return None;
            }
        };
        let mut agreement = None;
        for ext in &selected {
            if !offers.iter().any(|o| o.name.eq_ignore_ascii_case(&ext.name)) {
                problems.push(format!(
                    "Sec-WebSocket-Extensions: the server selected {:?}, which peerspec did not offer (RFC 6455 §4.1)",
                    ext.name
                ));
                continue;
            }
            if !ext.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) {
                continue;
            }
            if agreement.is_some() {
                problems.push("Sec-WebSocket-Extensions: the server selected permessage-deflate twice".into());
                continue;
            }
            let mut why = vec![];
            for (i, offer) in offers.iter().enumerate().filter(|(_, o)| o.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE)) {
                // An offer the server must decline cannot be the one it accepted.
                match extensions::read_offer(&offer.params).and_then(|o| extensions::read_answer(&ext.params, &o)) {
                    Ok(a) => {
                        agreement = Some(a);
                        break;
                    }
                    Err(e) => why.push(format!("offer {}: {e}", i + 1)),
                }
            }
            if agreement.is_none() {
                problems.push(format!(
                    "Sec-WebSocket-Extensions: {answered:?} accepts none of the offers {offered:?}, and a client must fail the connection on it (RFC 7692 §7): {}",
                    why.join("; ")
                ));
            }
        }
        if agreement.is_some() && want == Some(DeflateExpect::Declined) {
            problems.push(format!("Sec-WebSocket-Extensions: expected the offer {offered:?} declined, saw it accepted with {answered:?}"));
        }
        agreement
    }

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

    /// Judges the response, keeping the permessage-deflate agreement of a 101 that passed.
    fn judge_all(&mut self, r: &ResponseRecord) -> Vec<String> {
        let mut problems = self.judge(r);
        if r.status == 101 {
            self.agreement = self.judge_extensions(r.header("sec-websocket-extensions"), &mut problems);
        }
        problems
    }
}

impl Check for HandshakeCheck {
    fn poll(&mut self, input: &[u8], eof: bool) -> Verdict {
        match self.reader.advance(input, eof) {
            Progress::NeedMore => Verdict::Pending,
            Progress::Done { consumed } => {
                let r = self.reader.record().clone();
                let problems = self.judge_all(&r);
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
