//! The seam between the step loop and a protocol: a [`Driver`] turns its protocol's `send` steps
//! into bytes and its `expect` steps into [`Check`]s, and says what to answer after a check
//! passes. Drivers do no I/O; the loop does all of it, so every protocol waits the same way.

use crate::case::{Case, ExpectKind, Protocol, Role, Send, Step};

use super::check::Check;
use super::h2::{H2Client, H2Server};
use super::http1::{Http1Client, Http1Server};
use super::ws::{WsClient, WsServer};

/// Units to write: a transcript label and the bytes, in order.
pub type Units = Vec<(String, Vec<u8>)>;

/// Values substituted into what a case sends.
#[derive(Debug, Clone)]
pub struct Substitutions {
    /// `{path}`: the run's base path.
    pub path: String,
    /// `{host}`: the target's authority.
    pub host: String,
    /// The WebSocket handshake's default request target.
    pub ws_path: String,
}

impl Substitutions {
    /// Replaces `{path}` and `{host}` in `s`.
    pub fn apply(&self, s: &str) -> String {
        s.replace("{path}", &self.path).replace("{host}", &self.host)
    }

    /// Replaces `{path}` and `{host}` in raw bytes, leaving every other byte as it is.
    pub fn apply_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(i) = rest.iter().position(|&b| b == b'{') {
            out.extend_from_slice(&rest[..i]);
            rest = &rest[i..];
            if let Some(tail) = rest.strip_prefix(b"{path}") {
                out.extend_from_slice(self.path.as_bytes());
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix(b"{host}") {
                out.extend_from_slice(self.host.as_bytes());
                rest = tail;
            } else {
                out.push(b'{');
                rest = &rest[1..];
            }
        }
        out.extend_from_slice(rest);
        out
    }
}

/// A protocol's part in the step loop.
pub trait Driver: std::marker::Send {
    /// Takes what the driver needs from the case and the target before the first connect
    /// (`tls`: whether the connection is over TLS, to the target or to the fake server).
    fn prepare(&mut self, _case: &Case, _tls: bool) {}
    /// Takes the run's limits on what to keep of the peer's input (before [`Driver::prepare`]).
    fn set_caps(&mut self, _caps: &super::Caps) {}
    /// After each connect: the TLS state (`None` over cleartext, else the ALPN protocol the peer
    /// selected). An error ends the case (a protocol that needs ALPN did not get it).
    fn negotiated(&mut self, _tls_alpn: Option<Option<Vec<u8>>>) -> Result<(), String> {
        Ok(())
    }
    /// Bytes to send right after each connect (a protocol's preface).
    fn on_connect(&mut self) -> Result<Units, String> {
        Ok(Vec::new())
    }
    /// A check to pass right after connecting and greeting, before the first step (a protocol's
    /// handshake response).
    fn on_connect_check(&mut self) -> Option<Box<dyn Check>> {
        None
    }
    /// Encodes a send step of this protocol.
    fn encode(&mut self, send: &Send) -> Result<Units, String>;
    /// Builds the check for an expectation of this protocol (the protocol-neutral kinds, `bytes`,
    /// `match`, `connection` and `any_of`, are the step loop's; loading made sure the kind
    /// belongs to this protocol and role).
    fn check(&mut self, expect: &ExpectKind) -> Result<Box<dyn Check>, String>;
    /// A check passed: update the protocol state from it and return anything to send back.
    fn passed(&mut self, check: &mut dyn Check) -> Units;
    /// Whether the peer has said it will close the current connection (an HTTP/1.x response
    /// with `Connection: close`, or HTTP/1.0 without keep-alive: RFC 9112 §9.3, §9.6), and how.
    /// A step that fails because the peer then closed does not apply (see [`super::run_case`]).
    fn declared_close(&self) -> Option<String> {
        None
    }
    /// After a failure: why the case does not apply to this peer, when the peer made a choice
    /// its RFC allows and the case needs the other one (a WebSocket server declining
    /// permessage-deflate). The case is then skipped with this reason.
    fn not_applicable(&self) -> Option<String> {
        None
    }
    /// After the last step: whether bytes received that no step used are still fine (HTTP/2:
    /// whole frames the connection exchanges on its own, such as WINDOW_UPDATE).
    fn unread_is_fine(&mut self, _input: &[u8]) -> bool {
        false
    }
}

/// The driver for a case's protocol and role (`steps`: the case's, for drivers that plan ahead).
pub fn for_protocol(protocol: Protocol, role: Role, subs: Substitutions, steps: &[Step]) -> Box<dyn Driver> {
    match (protocol, role) {
        (Protocol::Http10 | Protocol::Http11, Role::Client) => Box::new(Http1Client::new(protocol, subs)),
        (Protocol::Http10 | Protocol::Http11, Role::Server) => Box::new(Http1Server::new(protocol, subs)),
        (Protocol::H2, Role::Client) => Box::new(H2Client::new(subs)),
        (Protocol::H2, Role::Server) => Box::new(H2Server::new(subs)),
        (Protocol::Ws, Role::Client) => Box::new(WsClient::new(subs, steps)),
        (Protocol::Ws, Role::Server) => Box::new(WsServer::new(subs, steps)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_raw_bytes() {
        let subs = Substitutions { path: "/x".into(), host: "h:1".into(), ws_path: "/ws".into() };
        assert_eq!(
            subs.apply_bytes(b"GET {path} HTTP/1.1\r\nHost: {host}\r\n{other}\xff{"),
            b"GET /x HTTP/1.1\r\nHost: h:1\r\n{other}\xff{"
        );
    }
}
