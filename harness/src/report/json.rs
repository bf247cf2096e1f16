//! The JSON report: the run summary and every case with its status, message and transcript.

use super::RunReport;

/// The report as pretty-printed JSON.
pub fn render(report: &RunReport<'_>) -> String {
    serde_json::to_string_pretty(report).expect("results always serialize")
}
