//! What a run needs to know: its target, its limits.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::case::Role;
use crate::transport::Endpoint;

/// How long `connection: open` waits for the peer to stay quiet, unless the step says `within`.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(100);

/// What a run needs to know about its target.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// What the target is called in reports (`builtin`, or its URL).
    pub target_name: String,
    /// `{path}` in request targets.
    pub base_path: String,
    /// The request target of WebSocket handshakes.
    pub ws_path: String,
    /// Capabilities the target declares; `None` means all (the built-in target).
    pub provides: Option<BTreeSet<String>>,
    /// Capabilities declared for the client under test of server-role cases (`--provides`, as
    /// given: the built-in target's "all" is about a server, not the client).
    pub client_provides: BTreeSet<String>,
    /// Timeout of a case that does not set its own.
    pub default_timeout: Duration,
    /// Cases run at once.
    pub jobs: usize,
    /// Count failures of SHOULD and MAY cases as failures of the run.
    pub strict: bool,
    /// Where server-role cases listen (port 0: a free port per case).
    pub listen: std::net::SocketAddr,
    /// Command template for the client under test (`{url}`, `{host}`, `{port}`, `{path}`), for
    /// server-role cases that name none.
    pub client_command: Option<String>,
    /// Serve every server-role case over TLS, as if each set `client.tls` (`--serve-tls`).
    pub serve_tls: bool,
    /// What peerspec keeps of what a peer sends.
    pub caps: Caps,
}

/// Limits on what peerspec keeps of what a peer sends, so a flooding or hostile peer cannot
/// exhaust its memory (`--max-header-bytes`, `--max-body-kept`, `--max-frame-size`,
/// `--max-message-size`). What goes over a cap either fails the case with a reason naming the
/// cap (a head, header block or frame too large to read) or is counted and dropped (body and
/// message bytes past what is kept), and the case says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Largest HTTP/1.x message head and HTTP/2 field block (HEADERS plus CONTINUATION) read.
    pub max_header_bytes: usize,
    /// Body bytes kept for checks per HTTP/1.x or HTTP/2 response (or request); the rest are
    /// counted, not kept.
    pub max_body_kept: usize,
    /// Largest WebSocket frame payload read (HTTP/2 frames are held to the
    /// SETTINGS_MAX_FRAME_SIZE peerspec announces, 16 384).
    pub max_frame_size: u64,
    /// WebSocket message bytes kept for checks (all fragments together); the rest are counted.
    pub max_message_size: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { max_header_bytes: 64 << 10, max_body_kept: 16 << 20, max_frame_size: 16 << 20, max_message_size: 16 << 20 }
    }
}

impl Caps {
    /// The limits of an HTTP/1.x message reader (responses, requests, WebSocket handshakes).
    pub fn http1_limits(&self) -> crate::wire::http1::body::Limits {
        crate::wire::http1::body::Limits { max_head: self.max_header_bytes, max_body_kept: self.max_body_kept }
    }
}

impl RunConfig {
    /// The capabilities `case` requires that the target does not declare (none for the built-in
    /// target, which has them all).
    pub fn missing_capabilities<'a>(&self, case: &'a crate::case::Case) -> Vec<&'a str> {
        if case.role == Role::Server {
            return case.requires.iter().filter(|r| !self.client_provides.contains(*r)).map(String::as_str).collect();
        }
        match &self.provides {
            None => Vec::new(),
            Some(provides) => case.requires.iter().filter(|r| !provides.contains(*r)).map(String::as_str).collect(),
        }
    }
}
