//! HTTP/1.x in the runner, one file per role over the sans-I/O codec in [`crate::wire::http1`]:
//! - `client`: [`Http1Client`], peerspec as the client (role `client`): request specs into wire
//!   requests, response expectations into [`ResponseCheck`]s;
//! - `server`: [`Http1Server`], peerspec as the fake server (role `server`): scripted responses,
//!   and the client's requests checked through [`RequestCheck`]s.

mod client;
mod server;

pub use client::{compare, declared_close, DeclaredClose, Http1Client, ResponseCheck};
pub use server::{Http1Server, RequestCheck};
