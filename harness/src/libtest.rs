//! The suite as `cargo test` trials (libtest-mimic), so a Rust project runs conformance cases
//! against its server from its own tests, with filters, `--list` and the familiar summary.
//!
//! ```no_run
//! // tests/conformance.rs, with `harness = false` for this test in Cargo.toml
//! fn main() -> std::process::ExitCode {
//!     // Start your server first, then:
//!     peerspec::libtest::run_main("http://127.0.0.1:8080", &[], &[])
//! }
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::case::load::LoadedCase;
use crate::run::plan::load_paths;
use crate::run::{run_case, RunConfig, Status};
use crate::target::{resolve, TargetOptions};

/// One trial per case. Cases the target does not apply to are marked ignored up front.
pub fn trials(cases: Vec<LoadedCase>, config: RunConfig, runtime: tokio::runtime::Handle) -> Vec<Trial> {
    trials_with_known_failures(cases, config, runtime, &[])
}

/// Like [`trials`], with the ids of cases the target is known to fail (a `--known-failures`
/// list): their trial passes while the case fails, and fails once the case passes, so the list
/// stays true.
pub fn trials_with_known_failures(
    cases: Vec<LoadedCase>,
    config: RunConfig,
    runtime: tokio::runtime::Handle,
    known_failures: &[String],
) -> Vec<Trial> {
    let config = Arc::new(config);
    cases
        .into_iter()
        .map(|case| {
            let missing = !config.missing_capabilities(&case.case).is_empty();
            let kind = case.case.protocol.name();
            let id = case.case.id.clone();
            let known = known_failures.contains(&id);
            let kind = if known { "known failure" } else { kind };
            let (config, runtime) = (config.clone(), runtime.clone());
            Trial::test(id, move || {
                let result = runtime.block_on(run_case(&case, &config));
                match result.status {
                    // A known-failures list is about the peer: a setup or authoring error is never forgiven.
                    Status::Failed if known && !result.is_error() => Ok(()),
                    Status::Passed if known => {
                        Err(Failed::from("listed as a known failure but passed: remove it from the known-failures list"))
                    }
                    Status::Passed | Status::Skipped => Ok(()),
                    Status::Failed if !result.required => {
                        // A SHOULD/MAY rule broken: reported, not a test failure.
                        eprintln!(
                            "note: {} ({}) failed, not required: {}",
                            result.id,
                            result.level.name(),
                            result.message.unwrap_or_default()
                        );
                        Ok(())
                    }
                    Status::Failed | Status::Interrupted => {
                        Err(Failed::from(format!("{}\n{}", result.message.unwrap_or_default(), result.transcript.render())))
                    }
                }
            })
            .with_kind(kind)
            .with_ignored_flag(missing)
        })
        .collect()
}

/// Runs the cases in `paths` (the built-in suites when empty) against `target` (`builtin` or a
/// URL) as a libtest-style test binary, taking its arguments from the command line.
/// `provides` declares the target's capabilities.
pub fn run_main(target: &str, paths: &[PathBuf], provides: &[&str]) -> ExitCode {
    run_main_with_known_failures(target, paths, provides, "")
}

/// [`run_main`] with a known-failures list (the text of a `--known-failures` file: one case id a
/// line, `#` comments); see [`trials_with_known_failures`]. An empty list for the built-in
/// target means its own list ([`crate::target::BUILTIN_KNOWN_FAILURES`]).
pub fn run_main_with_known_failures(target: &str, paths: &[PathBuf], provides: &[&str], known_failures: &str) -> ExitCode {
    let args = Arguments::from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let cases = match load_paths(paths) {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(2);
        }
    };
    // Server-role cases need a client to test; without paths, only the server suites run.
    let cases: Vec<LoadedCase> =
        if paths.is_empty() { cases.into_iter().filter(|c| c.case.role == crate::case::Role::Client).collect() } else { cases };
    let options = TargetOptions { provides: provides.iter().map(|s| s.to_string()).collect(), jobs: 1, ..TargetOptions::new(target) };
    let resolved = match runtime.block_on(resolve(&options)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let known_failures =
        if known_failures.is_empty() && target == "builtin" { crate::target::BUILTIN_KNOWN_FAILURES } else { known_failures };
    let known = crate::cli::parse_id_list(known_failures);
    let trials = trials_with_known_failures(cases, resolved.config.clone(), runtime.handle().clone(), &known);
    let conclusion = libtest_mimic::run(&args, trials);
    drop(resolved);
    conclusion.exit_code()
}
