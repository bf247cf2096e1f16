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
//! - [`transport`]: TCP and TLS connections;
//! - [`run`]: the step loop, checks and the concurrent suite runner;
//! - [`select`]: which cases a run takes (id filters, `--only` protocols, `--spec` sections);
//! - [`report`]: terminal, JUnit and JSON output;
//! - [`target`]: the built-in reference server;
//! - [`libtest`]: the suite as `cargo test` trials, for use from other crates' tests.

pub mod case;
pub mod cli;
pub mod fake_tls;
pub mod known_failures;
pub mod libtest;
pub mod report;
pub mod run;
pub mod select;
pub mod target;
pub mod transcript;
pub mod transport;
pub mod wire;
