//! WebSocket in the runner, whichever side peerspec plays, as hyperium/h2 and rustls lay out a
//! protocol: the role-neutral core, then one file per role.
//! - [`frames`]: [`WsFrames`], the frame-level half both roles share: messages, frames, pings and
//!   close frames encoded with the sans-I/O codec in [`crate::wire::ws`] (masked when peerspec is
//!   the client, unmasked when it is the server);
//! - [`checks`]: [`FrameCheck`]s that read the peer's frames one by one, hold them to the rules of
//!   their sender (RFC 6455 §5.1–§5.6) and record each frame's FIN bit, opcode and length for the
//!   transcript;
//! - [`client`]: [`WsClient`], peerspec as the client (role `client`), with its opening handshake;
//! - [`server`]: [`WsServer`], peerspec as the fake server (role `server`).

mod checks;
mod client;
mod frames;
mod server;

pub use checks::{opcode_of, parse_mask_key};
pub use client::WsClient;
pub use frames::WsFrames;
pub use server::WsServer;

/// The URL scheme of a WebSocket endpoint, whichever side peerspec plays (RFC 6455 §3).
fn url_scheme(tls: bool) -> &'static str {
    if tls {
        "wss"
    } else {
        "ws"
    }
}
