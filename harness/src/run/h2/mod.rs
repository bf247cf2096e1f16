//! HTTP/2 in the runner: frame specs into bytes, and expectations into [`Check`]s that read the
//! peer's frames.
//!
//! Connection state that must change exactly once per received frame (the HPACK dynamic table,
//! a header block split over CONTINUATION frames, frames set aside for a later step) lives in a
//! [`Reader`]. Each check works on its own clone, re-reading the unread input from that clone on
//! every poll, so polling is a pure function of the input and `any_of` alternatives cannot
//! disturb each other; the driver takes the reader of the check that passed. Frames a check is
//! not about are either housekeeping (SETTINGS, PING, WINDOW_UPDATE, PRIORITY, unknown types:
//! used up, with SETTINGS and PING acknowledged by the driver) or stream frames, which are set
//! aside in the reader's backlog for the step that is about them, so concurrent streams can be
//! checked one after the other whatever the interleaving.
//!
//! Laid out as hyperium/h2 and rustls lay out a protocol, the role-neutral core first, then one
//! file per role:
//! - `encode`: frame specs, requests and header blocks into bytes;
//! - `reader`: [`Reader`], the peer's frames read once with the connection state they change;
//! - `matchers`: [`H2Check`] and the matchers of the role-neutral expectations;
//! - `errors`: the `connection_error` and `stream_error` matchers;
//! - `client`: [`H2Client`], peerspec as the client (role `client`);
//! - `server`: [`H2Server`], peerspec as the fake server (role `server`);
//! - `validate`: the load-time checks of sends and expectations.

mod client;
mod encode;
mod errors;
mod matchers;
mod reader;
mod server;
mod validate;

pub use client::H2Client;
pub use encode::{block_bytes, encode_frame, encode_request, oversize_frame};
pub use matchers::H2Check;
pub use reader::{Event, Flow, Reader, MAX_KEPT_FRAMES, MAX_OWED_ACKS};
pub use server::{encode_response, ClientPrefaceCheck, H2Server, SERVER_MAX_CONCURRENT_STREAMS};
pub use validate::{validate_expect, validate_frame, validate_request, validate_response};

/// The INITIAL_WINDOW_SIZE peerspec announces, and the connection window it opens, so flow
/// control never stalls a response unless a case asks for it.
pub const BIG_WINDOW: u32 = 1 << 30;
/// PING data sent when a case gives none.
pub const DEFAULT_PING: &[u8; 8] = b"peerspec";
