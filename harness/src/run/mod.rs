//! Running cases: one loop executes a case's steps against a [`Session`], and the suite runner
//! runs many cases concurrently, each on its own connection, each bounded by its timeout.

pub(crate) mod case;
pub(crate) mod check;
pub(crate) mod client_under_test;
pub(crate) mod config;
pub(crate) mod driver;
pub(crate) mod fields;
pub(crate) mod group;
pub(crate) mod h2;
pub(crate) mod http1;
pub mod plan;
pub(crate) mod protocols;
pub(crate) mod result;
pub(crate) mod round_trips;
pub(crate) mod session;
pub(crate) mod sse;
pub(crate) mod suite;
pub(crate) mod util;
pub(crate) mod ws;

pub use case::run_case;
pub use config::{Caps, RunConfig, DEFAULT_QUIET};
pub use result::{CaseResult, FailureKind, Status};
pub use suite::{run_cases, run_cases_until};
