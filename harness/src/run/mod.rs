//! Running cases: one loop executes a case's steps against a [`Session`], and the suite runner
//! runs many cases concurrently, each on its own connection, each bounded by its timeout.

pub mod case;
pub mod check;
pub mod client_under_test;
pub mod config;
pub mod driver;
pub mod fields;
pub mod group;
pub mod h2;
pub mod http1;
pub mod plan;
pub mod result;
pub mod session;
pub mod sse;
pub mod suite;
pub mod util;
pub mod ws;

pub use case::run_case;
pub use config::{Caps, RunConfig, DEFAULT_QUIET};
pub use result::{CaseResult, FailureKind, Status};
pub use suite::{run_cases, run_cases_until};
