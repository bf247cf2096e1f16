//! Terminal output in the style of `cargo test`: a line per case as it finishes, then each
//! failure with expected vs seen and the wire transcript, then the summary line.

use std::fmt::Write as _;
use std::time::Duration;

use super::Summary;
use crate::run::{CaseResult, Status};

/// The line printed when a case finishes.
pub fn case_line(r: &CaseResult) -> String {
    match r.status {
        Status::Passed => format!("case {} ... ok", r.id),
        Status::Failed if r.required => format!("case {} ... FAILED", r.id),
        Status::Failed => format!("case {} ... FAILED ({}, not required)", r.id, r.level.name()),
        Status::Skipped => format!("case {} ... skipped ({})", r.id, r.message.as_deref().unwrap_or("")),
        Status::Interrupted => format!("case {} ... interrupted", r.id),
    }
}

/// The failures section and the summary line.
pub fn summary(results: &[CaseResult], elapsed: Duration) -> String {
    let mut out = String::new();
    let failed: Vec<&CaseResult> = results.iter().filter(|r| r.status == Status::Failed).collect();
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for r in &failed {
            let _ = writeln!(out, "\n---- {} ----", r.id);
            if let Some(t) = &r.title {
                let _ = writeln!(out, "  {t}");
            }
            let spec = r.spec.as_deref().unwrap_or("-");
            let _ = writeln!(out, "  spec: {spec} ({})   source: {}", r.level.name(), r.source);
            for line in r.message.as_deref().unwrap_or("").lines() {
                let _ = writeln!(out, "  {line}");
            }
            if !r.transcript.entries.is_empty() {
                out.push_str("  transcript:\n");
                for line in r.transcript.render().lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        out.push_str("\nfailures:\n");
        for r in &failed {
            let _ = writeln!(out, "    {}", r.id);
        }
    }
    let s = Summary::of(results);
    let verdict = if s.interrupted > 0 {
        "INTERRUPTED"
    } else if s.failed == 0 {
        "ok"
    } else {
        "FAILED"
    };
    let optional = if s.failed_optional > 0 {
        format!("{} failed, not required (SHOULD/MAY; --strict counts them); ", s.failed_optional)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\ncase result: {verdict}. {} passed; {} failed; {optional}{} skipped;{} finished in {:.2}s",
        s.passed,
        s.failed,
        s.skipped,
        if s.interrupted > 0 { format!(" {} interrupted;", s.interrupted) } else { String::new() },
        elapsed.as_secs_f64()
    );
    out
}
