//! The JUnit XML report (through `quick-junit`): one test suite per protocol, one test case per
//! case; a failure's message is expected vs seen, the wire transcript goes to system-out.

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::RunReport;
use crate::run::{FailureKind, Status};

/// The message attribute: the failure's first line, and when that line only introduces a list
/// ("step 2 (expect response): response differs:"), the first item of the list too, so a CI
/// summary that shows only the message shows the first difference.
fn headline(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("failed").to_string();
    match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {next}"),
        _ => first,
    }
}

/// The report as JUnit XML.
pub fn render(report: &RunReport<'_>) -> String {
    let mut junit = Report::new("peerspec");
    junit.set_time(report.duration);
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for case in report.cases {
        let status = match case.status {
            Status::Passed => TestCaseStatus::success(),
            // A known-failures list expects it: reported with the list's reason, not failing.
            Status::Failed if case.expected_failure.is_some() => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("expected failure: {}", case.expected_failure.as_deref().unwrap_or("")));
                s.set_description(case.message.clone().unwrap_or_default());
                s
            }
            Status::Failed => {
                // Setup and authoring errors are errors: the case could not be run.
                let kind = case.failure_kind.unwrap_or(FailureKind::Conformance);
                let mut s = TestCaseStatus::non_success(if kind.is_error() { NonSuccessKind::Error } else { NonSuccessKind::Failure });
                let message = case.message.clone().unwrap_or_default();
                s.set_message(headline(&message));
                // The quoted rule leads the failure text, so CI pages show it beside the failure.
                s.set_description(match &case.rule {
                    Some(rule) => format!("rule: \"{}\"\n{message}", super::one_line(rule)),
                    None => message,
                });
                s.set_type(kind.name());
                s
            }
            Status::Interrupted => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(case.message.clone().unwrap_or_default());
                s.set_type("interrupted");
                s
            }
            Status::Skipped => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(case.message.clone().unwrap_or_default());
                s
            }
        };
        let mut test = TestCase::new(case.id.clone(), status);
        let class = case.id.rsplit_once('/').map(|(dir, _)| dir).unwrap_or(case.protocol);
        test.set_classname(class.to_string());
        test.set_time(case.duration);
        if !case.transcript.entries.is_empty() {
            test.set_system_out(case.transcript.render());
        }
        if let Some(spec) = &case.spec {
            test.add_property(quick_junit::Property::new("spec", spec.clone()));
        }
        if let Some(rule) = &case.rule {
            test.add_property(quick_junit::Property::new("rule", super::one_line(rule)));
        }
        if !case.autobahn.is_empty() {
            test.add_property(quick_junit::Property::new("autobahn", case.autobahn.join(", ")));
        }
        test.add_property(quick_junit::Property::new("source", case.source.clone()));
        suites.entry(case.protocol).or_insert_with(|| TestSuite::new(case.protocol)).add_test_case(test);
    }
    for (_, mut suite) in suites {
        suite.add_property(quick_junit::Property::new("target", report.target.to_string()));
        if report.insecure {
            suite.add_property(quick_junit::Property::new("tls-verification", "off (--insecure)"));
        }
        junit.add_test_suite(suite);
    }
    let xml = junit.to_string().expect("JUnit serialization does not fail on valid strings");
    // Whatever a case file or a peer put in a string, the XML stays well-formed (XML 1.0 §2.2).
    crate::transcript::visible(&xml).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_first_difference() {
        let m = "step 2 (expect response): response differs:\n  header Content-Length: expected \"35\", saw \"34\"\n  body: …";
        assert_eq!(headline(m), "step 2 (expect response): response differs: header Content-Length: expected \"35\", saw \"34\"");
        assert_eq!(headline("cannot connect to x: refused"), "cannot connect to x: refused");
        assert_eq!(headline(""), "failed");
    }
}
