//! peerspec: a protocol-conformance harness that checks where data ends on the wire.
//!
//! YAML cases script both sides of an exchange; peerspec plays a scripted client against a
//! server under test and checks how each protocol marks the end of its units: TCP FIN in
//! HTTP/1.0, `Content-Length` and the zero-length chunk in HTTP/1.1, the FIN bit, close frames
//! and who closes TCP first in WebSocket.
//!
//! The crate is layered the way the data flows:
//! - [`case`]: the case model, loaded from YAML with file/line/column errors;
//! - [`wire`]: sans-I/O codecs, tested on bytes;
//! - `transport`: TCP and TLS connections (internal);
//! - [`run`]: the concurrent suite runner and its results (the step loop, drivers and checks
//!   behind it are internal);
//! - [`select`]: which cases a run takes (id filters, `--only` protocols, `--spec` sections);
//! - [`report`]: terminal, JUnit and JSON output;
//! - [`target`]: the built-in reference server;
//! - [`libtest`]: the suite as `cargo test` trials, for use from other crates' tests.

pub mod case;
pub mod cli;
pub(crate) mod fake_tls;
pub mod known_failures;
pub mod libtest;
pub mod report;
pub mod run;
pub mod select;
pub mod target;
pub(crate) mod transcript;
pub(crate) mod transport;
pub mod wire;

/// Internals the crate's own integration tests reach (tests/): not API, and not kept stable.
#[doc(hidden)]
pub mod internals {
    pub use crate::run::session::MAX_BUFFERED;
    pub use crate::transcript::{escape, needs_escape, Direction, HEAD_ENTRIES, TAIL_ENTRIES};
    pub use crate::transport::{tls_config, Endpoint, TlsOptions};
}
