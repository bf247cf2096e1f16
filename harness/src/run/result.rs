//! What a run reports: a [`CaseResult`] per case, its [`Status`] and, for a failure, its [`FailureKind`].

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::case::load::LoadedCase;
use crate::case::Level;
use crate::transcript::Transcript;

/// Pass, fail or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed or the case timed out.
    Failed,
    /// The case does not apply to this target.
    Skipped,
    /// The run was stopped (Ctrl-C, SIGTERM) before the case finished.
    Interrupted,
}

/// Why a case failed (issue 17): a peer broke a rule, or ran out of time, or the case could not
/// be run at all. Setup and authoring errors are errors, not failures: JUnit writes them as
/// `<error>`, the terminal as `ERROR`, and a known-failures list never forgives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The peer broke the rule the case checks.
    Conformance,
    /// The case's time ran out while it waited on the peer.
    Timeout,
    /// The run could not set the exchange up: cannot connect, cannot listen, TLS setup, the
    /// client command cannot start (or peerspec itself failed).
    Setup,
    /// The case cannot be run as written (a send that cannot be encoded, a pattern that does
    /// not compile).
    Authoring,
}

impl FailureKind {
    /// Setup and authoring errors: not a verdict on the peer.
    pub fn is_error(self) -> bool {
        matches!(self, FailureKind::Setup | FailureKind::Authoring)
    }

    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Conformance => "conformance",
            FailureKind::Timeout => "timeout",
            FailureKind::Setup => "setup",
            FailureKind::Authoring => "authoring",
        }
    }
}

/// A step's failure: its kind and its message.
pub(super) type Failure = (FailureKind, String);

/// A failure of the exchange: a timeout when the case's deadline has passed, else the peer's.
pub(super) fn exchange_failure(deadline: Instant) -> impl FnOnce(String) -> Failure {
    move |why| (if Instant::now() >= deadline { FailureKind::Timeout } else { FailureKind::Conformance }, why)
}

pub(super) fn authoring(why: String) -> Failure {
    (FailureKind::Authoring, why)
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Case title.
    pub title: Option<String>,
    /// The rule checked.
    pub spec: Option<String>,
    /// The sentence of the spec the case enforces, quoted (the case's `rule:`), shown beside a
    /// failure so a reader judges the verdict without opening the spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The Autobahn|Testsuite cases this case stands for (the case's `autobahn:`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub autobahn: Vec<String>,
    /// Requirement level.
    pub level: Level,
    /// Whether a failure of this case fails the run (MUST cases, or every case with `--strict`).
    pub required: bool,
    /// Protocol name.
    pub protocol: &'static str,
    /// File and line of the case.
    pub source: String,
    /// Pass, fail or skip.
    pub status: Status,
    /// Why it failed or was skipped.
    pub message: Option<String>,
    /// The 1-based step that failed.
    pub failed_step: Option<usize>,
    /// Wall time.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// The round trips of the case's `repeat` steps (Autobahn's category 9 figures), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trips: Option<super::round_trips::RoundTrips>,
    /// What went over the wire.
    pub transcript: Transcript,
    /// Why it failed (failed cases only).
    pub failure_kind: Option<FailureKind>,
    /// The reason a known-failures list gives for this failure: the case failed as expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_failure: Option<String>,
}

impl CaseResult {
    /// A setup or authoring error.
    pub fn is_error(&self) -> bool {
        self.status == Status::Failed && self.failure_kind.is_some_and(FailureKind::is_error)
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// A failed result for a case that did not run to its end (a panic, an interruption), or the
/// starting point of one that will; `strict` makes every failure required.
pub(super) fn failed_without_run(case: &LoadedCase, strict: bool, why: &str) -> CaseResult {
    CaseResult {
        id: case.case.id.clone(),
        title: case.case.title.clone(),
        spec: case.case.spec.clone(),
        rule: case.case.rule.clone(),
        autobahn: case.case.autobahn.as_ref().map(|a| a.as_slice().to_vec()).unwrap_or_default(),
        level: case.case.level,
        required: strict || case.case.level == Level::Must,
        protocol: case.case.protocol.name(),
        source: format!("{}:{}", case.file, case.line),
        status: Status::Failed,
        message: Some(fit_message(why)),
        failed_step: None,
        duration: Duration::ZERO,
        round_trips: None,
        transcript: Transcript::default(),
        failure_kind: None,
        expected_failure: None,
    }
}

/// A failure message as reports show it: characters they forbid escaped visibly, cut at
/// [`crate::transcript::MAX_MESSAGE_BYTES`].
pub(super) fn fit_message(message: &str) -> String {
    crate::transcript::clip(&crate::transcript::visible(message), crate::transcript::MAX_MESSAGE_BYTES)
}
