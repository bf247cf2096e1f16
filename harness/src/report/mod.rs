//! Reporting results: to the terminal as cases finish (with a progress bar on long runs), and to
//! JUnit XML, JSON and HTML files.

pub mod html;
pub mod json;
pub mod junit;
pub mod progress;
pub mod terminal;

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::run::{CaseResult, Status};

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Required cases that failed (MUST cases; every case with `--strict`).
    pub failed: usize,
    /// SHOULD / MAY cases that failed without failing the run.
    pub failed_optional: usize,
    /// Cases skipped as not applicable.
    pub skipped: usize,
    /// Cases the run was stopped before they finished.
    pub interrupted: usize,
    /// Cases that could not be run: setup errors (cannot connect, cannot listen, the client
    /// command cannot start) and authoring errors (a case that cannot be run as written).
    pub errors: usize,
    /// Failures a known-failures list expects (with its reason); they do not fail the run.
    pub expected_failures: usize,
}

impl Summary {
    /// Counts `results`.
    pub fn of(results: &[CaseResult]) -> Self {
        let mut s = Summary::default();
        for r in results {
            match r.status {
                Status::Passed => s.passed += 1,
                Status::Failed if r.is_error() => s.errors += 1,
                Status::Failed if r.expected_failure.is_some() => s.expected_failures += 1,
                Status::Failed if r.required => s.failed += 1,
                Status::Failed => s.failed_optional += 1,
                Status::Skipped => s.skipped += 1,
                Status::Interrupted => s.interrupted += 1,
            }
        }
        s
    }
}

/// A finished run, as reports see it.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport<'a> {
    /// The target, as the user named it.
    pub target: &'a str,
    /// Certificate checks were off (`--insecure`).
    pub insecure: bool,
    /// Wall time of the run.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Counts.
    pub summary: Summary,
    /// Every case, in suite order.
    pub cases: &'a [CaseResult],
}

/// A quoted rule on one line: case files fold long quotes over several lines.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Writes `contents` to `path` atomically: a temporary file beside it, then a rename, so a
/// report is never left half-written.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
