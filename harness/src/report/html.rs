//! The HTML report: one self-contained page a person can read — the summary, a section per
//! protocol, and every failure with its message and its annotated wire transcript.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::RunReport;
use crate::run::{CaseResult, Status};
use crate::transcript::Direction;

/// The report as an HTML page.
pub fn render(report: &RunReport<'_>) -> String {
    let s = &report.summary;
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>peerspec report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n");
    let _ = write!(
        out,
        "<h1>peerspec report</h1>\n<p class=\"target\">Target: <code>{}</code> · {:.2} s{}</p>\n",
        esc(report.target),
        report.duration.as_secs_f64(),
        if report.insecure { " · <strong>TLS certificate verification off (--insecure)</strong>" } else { "" }
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\"><span class=\"pass\">{} passed</span> <span class=\"fail\">{} failed</span> \
         <span class=\"optional\">{} failed, not required</span> <span class=\"skip\">{} skipped</span>{}{}{}</p>",
        s.passed,
        s.failed,
        s.failed_optional,
        s.skipped,
        if s.errors > 0 { format!(" <span class=\"fail\">{} errors</span>", s.errors) } else { String::new() },
        if s.expected_failures > 0 {
            format!(" <span class=\"optional\">{} expected failures</span>", s.expected_failures)
        } else {
            String::new()
        },
        if s.interrupted > 0 { format!(" <span class=\"fail\">{} interrupted</span>", s.interrupted) } else { String::new() }
    );
    let mut by_protocol: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for case in report.cases {
        by_protocol.entry(case.protocol).or_default().push(case);
    }
    for (protocol, cases) in by_protocol {
        let failed = cases.iter().filter(|c| matches!(c.status, Status::Failed | Status::Interrupted)).count();
        let _ = write!(out, "<h2>{} <small>{} cases, {} not passed</small></h2>\n<table>\n", esc(protocol), cases.len(), failed);
        out.push_str("<tr><th>case</th><th>rule</th><th>result</th><th>time</th></tr>\n");
        for c in &cases {
            let (class, label) = match c.status {
                Status::Passed => ("pass", "ok".to_string()),
                Status::Failed if c.expected_failure.is_some() => {
                    ("optional", format!("expected failure: {}", c.expected_failure.as_deref().unwrap_or("")))
                }
                Status::Failed if c.is_error() => ("fail", format!("ERROR ({})", c.failure_kind.map(|k| k.name()).unwrap_or("setup"))),
                Status::Failed if c.required => ("fail", "FAILED".to_string()),
                Status::Failed => ("optional", format!("failed ({}, not required)", c.level.name())),
                Status::Skipped => ("skip", format!("skipped: {}", c.message.as_deref().unwrap_or("not applicable"))),
                Status::Interrupted => ("fail", "interrupted".to_string()),
            };
            let link = if matches!(c.status, Status::Failed | Status::Interrupted) {
                format!("<a href=\"#{}\">{}</a>", anchor(&c.id), esc(&c.id))
            } else {
                esc(&c.id)
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td>{link}</td><td>{}{}</td><td>{}</td><td>{:.1} ms</td></tr>",
                esc(c.spec.as_deref().unwrap_or("")),
                autobahn(c),
                esc(&label),
                c.duration.as_secs_f64() * 1000.0
            );
        }
        out.push_str("</table>\n");
        for c in cases.iter().filter(|c| matches!(c.status, Status::Failed | Status::Interrupted)) {
            failure(&mut out, c);
        }
    }
    out.push_str("</body></html>\n");
    out
}

/// The Autobahn cases a case stands for, after its rule: ` · Autobahn 6.4.1`, or nothing.
fn autobahn(c: &CaseResult) -> String {
    if c.autobahn.is_empty() {
        String::new()
    } else {
        format!(" · Autobahn {}", esc(&c.autobahn.join(", ")))
    }
}

fn failure(out: &mut String, c: &CaseResult) {
    let _ = write!(out, "<section class=\"failure\" id=\"{}\">\n<h3>{}</h3>\n", anchor(&c.id), esc(&c.id));
    if let Some(t) = &c.title {
        let _ = writeln!(out, "<p>{}</p>", esc(t));
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} ({}){} · <code>{}</code></p>",
        esc(c.spec.as_deref().unwrap_or("-")),
        c.level.name(),
        autobahn(c),
        esc(&c.source)
    );
    if let Some(rule) = &c.rule {
        let _ = writeln!(out, "<blockquote class=\"rule\">{}</blockquote>", esc(&super::one_line(rule)));
    }
    let _ = writeln!(out, "<pre class=\"message\">{}</pre>", esc(c.message.as_deref().unwrap_or("")));
    if c.transcript.entries.is_empty() {
        out.push_str("</section>\n");
        return;
    }
    out.push_str("<table class=\"wire\"><tr><th>time</th><th></th><th>unit</th><th>bytes</th></tr>\n");
    for e in &c.transcript.entries {
        let (class, arrow) = match e.direction {
            Direction::Sent => ("sent", "→"),
            Direction::Received => ("received", "←"),
            Direction::Note => ("note", "·"),
        };
        let len = if e.len > 0 || e.direction != Direction::Note { format!(" <small>{} B</small>", e.len) } else { String::new() };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{:.3} ms</td><td>{arrow}</td><td>{}{len}</td><td><code>{}</code></td></tr>",
            e.at.as_secs_f64() * 1000.0,
            esc(&e.unit),
            esc(&e.preview)
        );
    }
    out.push_str("</table>\n</section>\n");
}

/// An id usable as a URL fragment.
fn anchor(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c if crate::transcript::needs_escape(c) => out.push_str(&crate::transcript::visible(c.encode_utf8(&mut [0; 4]))),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}h2 small{font-weight:normal;color:#57606a;font-size:.7em}
code,pre{font:13px/1.4 ui-monospace,monospace}
.summary span{display:inline-block;padding:.15rem .6rem;border-radius:1rem;margin-right:.4rem;font-weight:600}
span.pass{background:#dafbe1;color:#116329}span.fail{background:#ffebe9;color:#a40e26}
span.optional{background:#fff8c5;color:#7d4e00}span.skip{background:#eaeef2;color:#57606a}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td:last-child{white-space:nowrap}td,th{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
tr.fail td:nth-child(3){color:#a40e26;font-weight:600}tr.optional td:nth-child(3){color:#7d4e00}tr.skip td{color:#57606a}
.failure{border:1px solid #ffcecb;border-radius:6px;padding:.5rem 1rem;margin:1rem 0;background:#fffafa}
.meta{color:#57606a}blockquote.rule{margin:.5rem 0;padding:.25rem .75rem;border-left:3px solid #8c959f;color:#24292f;font-style:italic}pre.message{background:#fff;border:1px solid #eaeef2;padding:.5rem;white-space:pre-wrap}
table.wire td:first-child{white-space:nowrap;color:#57606a}table.wire code{white-space:pre-wrap;word-break:break-all}
tr.sent td:nth-child(2){color:#0969da}tr.received td:nth-child(2){color:#8250df}tr.note td{color:#57606a;font-style:italic}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_ids_make_anchors() {
        assert_eq!(esc("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
        assert_eq!(anchor("http1.1/chunked/zero"), "http1_1_chunked_zero");
    }
}
