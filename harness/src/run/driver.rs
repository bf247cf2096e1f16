//! The seam between the step loop and a protocol: a [`Driver`] turns its protocol's `send` steps
//! into bytes and its `expect` steps into checks, and says what to answer after a check passes.
//! Drivers do no I/O; the loop does all of it, so every protocol waits the same way.
//!
//! This file is the contract only and knows no driver ([`super::protocols`] picks one per
//! protocol and role). The seam is **one ordered byte stream per connection**: the loop keeps one
//! buffer of unread input, a check polls it, and units are written in order. A protocol with many
//! streams in one connection (HTTP/3 over QUIC) does not fit it as it is.

use crate::case::{ExpectKind, Protocol, Send, Step};

use super::check::Check;
use super::config::Caps;

/// One piece of what peerspec writes: its transcript label and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// What the transcript calls it (`HEADERS stream=1 ...`, `request GET /`).
    pub label: String,
    /// The bytes, as written.
    pub bytes: Vec<u8>,
}

impl Unit {
    /// A unit labelled `label`.
    pub fn new(label: impl Into<String>, bytes: Vec<u8>) -> Unit {
        Unit { label: label.into(), bytes }
    }
}

/// Units to write, in order (written together, each recorded on its own).
pub type Units = Vec<Unit>;

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

/// Whether a connection is over TLS and, if so, which protocol its ALPN selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// Plain TCP.
    Cleartext,
    /// TLS, with the protocol ALPN selected (`None`: none was).
    Tls {
        /// The selected protocol's identifier.
        alpn: Option<Vec<u8>>,
    },
}

/// Everything a driver needs to know about its case and run, given once, before the first
/// connect.
#[derive(Debug, Clone, Copy)]
pub struct DriverConfig<'a> {
    /// The case's protocol (HTTP/1.0 and HTTP/1.1 share a driver).
    pub protocol: Protocol,
    /// Values substituted into what the case sends.
    pub subs: &'a Substitutions,
    /// The run's limits on what to keep of the peer's input.
    pub caps: Caps,
    /// Whether the connection is over TLS, to the target or to the fake server.
    pub tls: bool,
    /// Whether the driver greets the peer itself after each connect (the case's `preface`).
    pub preface: bool,
    /// The case's steps, for drivers that plan ahead.
    pub steps: &'a [Step],
}

impl<'a> DriverConfig<'a> {
    /// The run's defaults (default caps, cleartext, the driver's own greeting), for unit tests.
    #[cfg(test)]
    pub(crate) fn with_defaults(protocol: Protocol, subs: &'a Substitutions, steps: &'a [Step]) -> Self {
        DriverConfig { protocol, subs, caps: Caps::default(), tls: false, preface: true, steps }
    }
}

/// A protocol's part in the step loop, for one role.
pub trait Driver: std::marker::Send + Sized {
    /// The driver's own checks. The loop hands the one that passed back to [`Driver::passed`].
    type Check: Check + 'static;
    /// The ALPN protocols the fake server offers for this protocol over TLS.
    const ALPN_OFFERED: &'static [&'static str] = &["http/1.1"];
    /// The ALPN protocols peerspec as the client offers over TLS (empty: the run's default).
    const ALPN_ASKED: &'static [&'static str] = &[];
    /// The URL scheme of this protocol (for the client under test's command).
    fn url_scheme(tls: bool) -> &'static str {
        if tls {
            "https"
        } else {
            "http"
        }
    }
    /// A driver for one case.
    fn new(cfg: DriverConfig<'_>) -> Self;
    /// After each connect: whether it is over TLS, and what ALPN selected. An error ends the
    /// case (a protocol that needs ALPN did not get it).
    fn negotiated(&mut self, _channel: &Channel) -> Result<(), String> {
        Ok(())
    }
    /// Bytes to send right after each connect (a protocol's preface).
    fn on_connect(&mut self) -> Result<Units, String> {
        Ok(Vec::new())
    }
    /// A check to pass right after connecting and greeting, before the first step (a protocol's
    /// handshake response).
    fn on_connect_check(&mut self) -> Option<Self::Check> {
        None
    }
    /// Encodes a send step of this protocol.
    fn encode(&mut self, send: &Send) -> Result<Units, String>;
    /// Builds the check for an expectation of this protocol (the protocol-neutral kinds, `bytes`,
    /// `match`, `connection` and `any_of`, are the step loop's; loading made sure the kind
    /// belongs to this protocol and role).
    fn check(&mut self, expect: &ExpectKind) -> Result<Self::Check, String>;
    /// One of the driver's checks passed: update the protocol state from it and return anything
    /// to send back. (A protocol-neutral check that passes changes no protocol state.)
    fn passed(&mut self, check: Self::Check) -> Units;
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
