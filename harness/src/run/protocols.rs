//! Which [`Driver`] plays which protocol in which role: the one place the step loop meets the
//! protocols (a new protocol adds its folder and a line here).

use crate::case::{Protocol, Role};

use super::driver::Driver;
use super::h2::{H2Client, H2Server};
use super::http1::{Http1Client, Http1Server};
use super::ws::{WsClient, WsServer};

/// Work to do with the driver of a case's protocol and role, as a type parameter: the step loop
/// is generic over its driver, so checks pass between them typed, and is chosen here once.
pub trait WithDriver {
    /// What the work gives.
    type Output;
    /// Does the work with driver type `D`.
    fn run<D: Driver + 'static>(self) -> Self::Output;
}

/// Runs `work` with the driver of `protocol` in `role`.
pub fn with_driver<W: WithDriver>(protocol: Protocol, role: Role, work: W) -> W::Output {
    match (protocol, role) {
        (Protocol::Http10 | Protocol::Http11, Role::Client) => work.run::<Http1Client>(),
        (Protocol::Http10 | Protocol::Http11, Role::Server) => work.run::<Http1Server>(),
        (Protocol::H2, Role::Client) => work.run::<H2Client>(),
        (Protocol::H2, Role::Server) => work.run::<H2Server>(),
        (Protocol::Ws, Role::Client) => work.run::<WsClient>(),
        (Protocol::Ws, Role::Server) => work.run::<WsServer>(),
    }
}
