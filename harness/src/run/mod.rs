//! Running cases: one loop executes a case's steps against a [`Session`], and the suite runner
//! runs many cases concurrently, each on its own connection, each bounded by its timeout.

pub mod check;
pub mod client;
pub mod driver;
pub mod fields;
pub mod group;
pub mod h2;
mod h2_errors;
pub mod h2_server;
pub mod http1;
pub mod http1_server;
pub mod session;
pub mod sse;
pub mod ws;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::case::load::LoadedCase;
use crate::case::{ConnectionState, Expect, Level, Role, Send, Step};
use crate::transcript::Transcript;
use crate::transport::Endpoint;
use check::{AnyOf, Check, Closed, ExactBytes, Matches, Open};
use driver::{Driver, Substitutions, Units};
use session::{Link, Session};

/// How long `connection: open` waits for the peer to stay quiet, unless the step says `within`.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(100);

/// What a run needs to know about its target.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// What the target is called in reports (`builtin`, or its URL).
    pub target_name: String,
    /// `{path}` in request targets.
    pub base_path: String,
    /// The request target of WebSocket handshakes.
    pub ws_path: String,
    /// Capabilities the target declares; `None` means all (the built-in target).
    pub provides: Option<BTreeSet<String>>,
    /// Capabilities declared for the client under test of server-role cases (`--provides`, as
    /// given: the built-in target's "all" is about a server, not the client).
    pub client_provides: BTreeSet<String>,
    /// Timeout of a case that does not set its own.
    pub default_timeout: Duration,
    /// Cases run at once.
    pub jobs: usize,
    /// Count failures of SHOULD and MAY cases as failures of the run.
    pub strict: bool,
    /// Where server-role cases listen (port 0: a free port per case).
    pub listen: std::net::SocketAddr,
    /// Command template for the client under test (`{url}`, `{host}`, `{port}`, `{path}`), for
    /// server-role cases that name none.
    pub client_command: Option<String>,
    /// Serve every server-role case over TLS, as if each set `client.tls` (`--serve-tls`).
    pub serve_tls: bool,
    /// What peerspec keeps of what a peer sends.
    pub caps: Caps,
}

/// Limits on what peerspec keeps of what a peer sends, so a flooding or hostile peer cannot
/// exhaust its memory (`--max-header-bytes`, `--max-body-kept`, `--max-frame-size`,
/// `--max-message-size`). What goes over a cap either fails the case with a reason naming the
/// cap (a head, header block or frame too large to read) or is counted and dropped (body and
/// message bytes past what is kept), and the case says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Largest HTTP/1.x message head and HTTP/2 field block (HEADERS plus CONTINUATION) read.
    pub max_header_bytes: usize,
    /// Body bytes kept for checks per HTTP/1.x or HTTP/2 response (or request); the rest are
    /// counted, not kept.
    pub max_body_kept: usize,
    /// Largest WebSocket frame payload read (HTTP/2 frames are held to the
    /// SETTINGS_MAX_FRAME_SIZE peerspec announces, 16 384).
    pub max_frame_size: u64,
    /// WebSocket message bytes kept for checks (all fragments together); the rest are counted.
    pub max_message_size: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { max_header_bytes: 64 << 10, max_body_kept: 16 << 20, max_frame_size: 16 << 20, max_message_size: 16 << 20 }
    }
}

impl Caps {
    /// The limits of an HTTP/1.x message reader (responses, requests, WebSocket handshakes).
    pub fn http1_limits(&self) -> crate::wire::http1::body::Limits {
        crate::wire::http1::body::Limits { max_head: self.max_header_bytes, max_body_kept: self.max_body_kept }
    }
}

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
type Failure = (FailureKind, String);

/// A failure of the exchange: a timeout when the case's deadline has passed, else the peer's.
fn exchange_failure(deadline: Instant) -> impl FnOnce(String) -> Failure {
    move |why| (if Instant::now() >= deadline { FailureKind::Timeout } else { FailureKind::Conformance }, why)
}

fn authoring(why: String) -> Failure {
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

/// Runs `cases` concurrently (`config.jobs` at a time); `on_result` sees each result as it
/// finishes. Results come back in the order of `cases`.
pub async fn run_cases(cases: Vec<LoadedCase>, config: RunConfig, on_result: impl FnMut(&CaseResult)) -> Vec<CaseResult> {
    run_cases_until(cases, config, on_result, std::future::pending::<String>()).await
}

/// [`run_cases`] that stops early when `stop` completes (Ctrl-C, say): running cases are
/// aborted and, with the ones not started, marked [`Status::Interrupted`] with `stop`'s reason;
/// finished results are kept.
pub async fn run_cases_until(
    cases: Vec<LoadedCase>,
    config: RunConfig,
    mut on_result: impl FnMut(&CaseResult),
    stop: impl std::future::Future<Output = String>,
) -> Vec<CaseResult> {
    let config = Arc::new(config);
    let permits = Arc::new(Semaphore::new(config.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let count = cases.len();
    let mut task_index = std::collections::HashMap::new();
    let mut meta = Vec::with_capacity(count);
    for (index, case) in cases.into_iter().enumerate() {
        // Shared, not copied: ten thousand cases at once are held once.
        let case = Arc::new(case);
        meta.push(case.clone());
        let (config, permits) = (config.clone(), permits.clone());
        // An exclusive case takes every permit, so it waits for the cases in flight and holds
        // the others back until it ends.
        let needed = if case.case.exclusive { config.jobs.max(1) as u32 } else { 1 };
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_many_owned(needed).await.expect("the semaphore is never closed");
            (index, run_case(&case, &config).await)
        });
        task_index.insert(handle.id(), index);
    }
    let mut results: Vec<Option<CaseResult>> = vec![None; count];
    tokio::pin!(stop);
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(joined) => joined,
                None => break,
            },
            why = &mut stop => {
                // No client under test outlives the run: every group still running is ended.
                let groups = group::take_all();
                tasks.abort_all();
                let ended = group::end_all(groups).await;
                for (index, slot) in results.iter_mut().enumerate().filter(|(_, r)| r.is_none()) {
                    let id = &meta[index].case.id;
                    let clients: String = ended
                        .iter()
                        .filter(|(_, case, _)| case == id)
                        .map(|(pgid, _, how)| format!("; its client's process group {pgid} was ended ({how})"))
                        .collect();
                    let mut result =
                        failed_without_run(&meta[index], config.strict, &format!("interrupted before it finished ({why}){clients}"));
                    result.status = Status::Interrupted;
                    on_result(&result);
                    *slot = Some(result);
                }
                break;
            }
        };
        let (index, result) = match joined {
            Ok(done) => done,
            // A panic in a case is a bug in peerspec: it fails that case, not the run.
            Err(e) => {
                let index = task_index[&e.id()];
                let why = match e.try_into_panic() {
                    Ok(payload) => {
                        let text = payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        format!("peerspec panicked while running this case (a bug; please report it): {text}")
                    }
                    Err(_) => "the case was cancelled".to_string(),
                };
                let mut result = failed_without_run(&meta[index], config.strict, &why);
                result.failure_kind = Some(FailureKind::Setup);
                (index, result)
            }
        };
        on_result(&result);
        results[index] = Some(result);
    }
    results.into_iter().map(|r| r.expect("every task reports once")).collect()
}

impl RunConfig {
    /// The capabilities `case` requires that the target does not declare (none for the built-in
    /// target, which has them all).
    pub fn missing_capabilities<'a>(&self, case: &'a crate::case::Case) -> Vec<&'a str> {
        if case.role == Role::Server {
            return case.requires.iter().filter(|r| !self.client_provides.contains(*r)).map(String::as_str).collect();
        }
        match &self.provides {
            None => Vec::new(),
            Some(provides) => case.requires.iter().filter(|r| !provides.contains(*r)).map(String::as_str).collect(),
        }
    }
}

/// A failed result for a case that did not run to its end (a panic, an interruption), or the
/// starting point of one that will; `strict` makes every failure required.
fn failed_without_run(case: &LoadedCase, strict: bool, why: &str) -> CaseResult {
    CaseResult {
        id: case.case.id.clone(),
        title: case.case.title.clone(),
        spec: case.case.spec.clone(),
        rule: case.case.rule.clone(),
        level: case.case.level,
        required: strict || case.case.level == Level::Must,
        protocol: case.case.protocol.name(),
        source: format!("{}:{}", case.file, case.line),
        status: Status::Failed,
        message: Some(fit_message(why)),
        failed_step: None,
        duration: Duration::ZERO,
        transcript: Transcript::default(),
        failure_kind: None,
        expected_failure: None,
    }
}

/// Runs one case to its end or its timeout.
pub async fn run_case(loaded: &LoadedCase, config: &RunConfig) -> CaseResult {
    let case = &loaded.case;
    let mut result = failed_without_run(loaded, config.strict, "");
    result.message = None;
    let missing = config.missing_capabilities(case);
    if !missing.is_empty() {
        let list = missing.join(", ");
        result.status = Status::Skipped;
        let who = if case.role == Role::Server { "the client under test" } else { "the target" };
        result.message = Some(format!("{who} does not declare {list} (--provides {list})"));
        return result;
    }
    if let Some(why) = cannot_fetch_all(case, config) {
        result.status = Status::Skipped;
        result.message = Some(why);
        return result;
    }
    let started = Instant::now();
    let timeout = case.timeout.map(|t| t.0).unwrap_or(config.default_timeout);
    // Timeouts are at most a day (checked at load), but a clock never overflows whatever comes.
    let deadline = started.checked_add(timeout).unwrap_or(started + crate::case::duration::MAX);
    let (link, path) = match case.role {
        // Over TLS, HTTP/2 is negotiated through ALPN (RFC 9113 §3.2).
        Role::Client if case.protocol == crate::case::Protocol::H2 => {
            (Link::Connect(config.endpoint.with_alpn(&["h2"])), config.base_path.clone())
        }
        Role::Client => (Link::Connect(config.endpoint.clone()), config.base_path.clone()),
        Role::Server => match tokio::net::TcpListener::bind(config.listen).await {
            Ok(listener) => {
                let path = case.client.as_ref().and_then(|c| c.path.clone()).unwrap_or_else(|| "/".into());
                let tls = match serves_tls(case, config) {
                    false => None,
                    // HTTP/2 over TLS is negotiated through ALPN (RFC 9113 §3.2): offer h2 only.
                    true => match crate::fake_tls::FakeServerTls::shared().and_then(|t| t.acceptor(alpn_offered(case.protocol))) {
                        Ok(acceptor) => Some(acceptor),
                        Err(e) => {
                            result.message = Some(e);
                            result.failure_kind = Some(FailureKind::Setup);
                            return result;
                        }
                    },
                };
                (Link::Accept(listener, tls), path)
            }
            Err(e) => {
                result.message = Some(format!("cannot listen on {}: {e}", config.listen));
                result.failure_kind = Some(FailureKind::Setup);
                return result;
            }
        },
    };
    let tls = match &link {
        Link::Connect(e) => e.tls.is_some(),
        Link::Accept(_, acceptor) => acceptor.is_some(),
        Link::Accepted(_) => false,
    };
    let mut session = Session::new(link, started, deadline);
    let subs = Substitutions { path, host: session.authority(), ws_path: config.ws_path.clone() };
    let mut driver = driver::for_protocol(case.protocol, case.role, subs.clone(), &case.steps);
    driver.set_caps(&config.caps);
    driver.prepare(case, tls);

    let mut client = None;
    let accepting = case.role == Role::Server;
    let mut outcome = Ok(());
    // Set when a step failed only because the peer closed a connection it had said it would close.
    let mut not_applicable = None;
    if case.role == Role::Server {
        outcome = start_client(loaded, config, &mut session, &subs).map(|c| client = c).map_err(|e| (0, (FailureKind::Setup, e)));
    }
    if outcome.is_ok() {
        outcome = connect_watching(&mut session, driver.as_mut(), client.as_mut(), accepting).await.map_err(|e| (0, e));
        // One connection per case unless it reconnects: the listener's socket is not held for
        // the whole case (ten thousand cases at once would hold twice the sockets).
        if case.role == Role::Server && !case.steps.iter().any(|s| matches!(s, Step::Reconnect)) {
            session.close_listener();
        }
    }
    if outcome.is_ok() {
        for (i, step) in case.steps.iter().enumerate() {
            let stepped = match step {
                Step::Reconnect => connect_watching(&mut session, driver.as_mut(), client.as_mut(), accepting).await,
                _ => run_step(step, &mut session, driver.as_mut(), &subs, accepting).await,
            };
            if let Err(e) = stepped {
                // Only a verdict on the peer can turn out not to apply; a setup or authoring error stays one.
                if matches!(e.0, FailureKind::Conformance | FailureKind::Timeout) {
                    not_applicable = after_declared_close(&session, driver.as_ref(), i + 1, step, &e.1);
                }
                outcome = Err((i + 1, e));
                break;
            }
        }
        // Bytes that arrived and that no step accounted for are a failure too: a body after a
        // HEAD response, a second response to one request.
        if outcome.is_ok() && !session.input.is_empty() && driver.unread_is_fine(&session.input) {
            let at = session.elapsed();
            session.transcript.push(at, crate::transcript::Direction::Received, "frames no step was about", &session.input);
        } else if outcome.is_ok() && !session.input.is_empty() {
            let at = session.elapsed();
            let n = session.input.len();
            session.transcript.push(at, crate::transcript::Direction::Received, "bytes no step accounted for", &session.input);
            outcome = Err((
                case.steps.len(),
                (FailureKind::Conformance, format!("{n} bytes arrived that no step accounted for (see the transcript)")),
            ));
        }
    }
    if let Some(running) = client {
        // After the script, the client gets until the deadline to finish; after a failure, a
        // moment to notice it, so its output is in the transcript.
        let wait_until = if outcome.is_ok() { deadline } else { deadline.min(Instant::now() + Duration::from_millis(500)) };
        // After a failure the script is over: hang up, so a client waiting for the server to
        // close (as a WebSocket client should, RFC 6455 §7.1.1) can finish and say what it saw.
        // Bounded by the same moment: a TLS close_notify to a client that stopped reading must
        // not hold the case until its deadline.
        if outcome.is_err() && session.is_open() {
            let _ = tokio::time::timeout_at(wait_until, session.close()).await;
        }
        let ended = running.finish(wait_until).await;
        let at = session.elapsed();
        session.transcript.note(at, ended.describe());
        if outcome.is_ok() {
            let expect = case.client.as_ref().map(|c| c.expect.clone()).unwrap_or_default();
            let problems = client::judge(&expect, &ended);
            if !problems.is_empty() {
                outcome = Err((0, (FailureKind::Conformance, format!("the client under test:\n{}", problems.join("\n")))));
            }
        }
    }
    result.duration = started.elapsed();
    if outcome.is_err() && not_applicable.is_none() {
        not_applicable = driver.not_applicable();
    }
    match outcome {
        Err(_) if not_applicable.is_some() => {
            result.status = Status::Skipped;
            result.message = not_applicable;
        }
        Ok(()) => result.status = Status::Passed,
        Err((step, (kind, why))) => {
            result.status = Status::Failed;
            result.failure_kind = Some(kind);
            result.failed_step = (step > 0).then_some(step);
            let at = if step > 0 { format!("step {step} ({}): ", step_name(&case.steps[step - 1])) } else { String::new() };
            result.message = Some(format!("{at}{why}"));
        }
    }
    if session.released() > 0 {
        let at = session.elapsed();
        let n = session.released();
        session.transcript.note(
            at,
            format!("{n} bytes were read through a bounded buffer while a check waited (their units above, up to the transcript's limit)"),
        );
    }
    result.transcript = session.transcript;
    // Units are recorded when a check judges them but dated by their arrival: restore wire order.
    result.transcript.sort();
    result.transcript.fit_for_reports();
    result.message = result.message.map(|m| fit_message(&m));
    result
}

/// When step `n` failed (`why`) only because the peer closed a connection one of its responses
/// had said would end (RFC 9112 §9.3, §9.6: closing then is the server's right): what to report
/// instead of a failure. The close must have followed the declaration with nothing after it:
/// bytes left unread, or a connection still open, keep the failure.
fn after_declared_close(session: &Session, driver: &dyn Driver, n: usize, step: &Step, why: &str) -> Option<String> {
    let declared = driver.declared_close()?;
    if session.closed.is_none() || !session.input.is_empty() {
        return None;
    }
    let name = step_name(step);
    Some(format!(
        "not applicable from step {n} ({name}) on: {declared}, and the server then closed the connection, as RFC 9112 §9.3 and §9.6 \
         allow; the steps before passed, the rest need the connection to persist (the step saw: {})",
        why.lines().next().unwrap_or(why)
    ))
}

/// A failure message as reports show it: characters they forbid escaped visibly, cut at
/// [`crate::transcript::MAX_MESSAGE_BYTES`].
fn fit_message(message: &str) -> String {
    crate::transcript::clip(&crate::transcript::visible(message), crate::transcript::MAX_MESSAGE_BYTES)
}

/// Whether a server-role case is served over TLS: the case says so, or the run does.
fn serves_tls(case: &crate::case::Case, config: &RunConfig) -> bool {
    config.serve_tls || case.client.as_ref().is_some_and(|c| c.tls)
}

/// Why a server-role case about several URLs cannot run: its client command takes one URL.
fn cannot_fetch_all(case: &crate::case::Case, config: &RunConfig) -> Option<String> {
    let spec = case.client.as_ref()?;
    let template = spec.command.as_deref().or(config.client_command.as_deref())?;
    (!spec.more_paths.is_empty() && !template.contains("{urls}"))
        .then(|| "the case needs a client that fetches several URLs, and the client command has no {urls}".to_string())
}

/// The ALPN protocols the fake server offers for a protocol.
fn alpn_offered(protocol: crate::case::Protocol) -> &'static [&'static str] {
    match protocol {
        crate::case::Protocol::H2 => &["h2"],
        _ => &["http/1.1"],
    }
}

/// Launches the client under test for a server-role case: the case's command, or the run's
/// `--client` template; without either, announces the URL for an external client.
fn start_client(
    loaded: &LoadedCase,
    config: &RunConfig,
    session: &mut Session,
    subs: &Substitutions,
) -> Result<Option<client::RunningClient>, String> {
    let spec = loaded.case.client.clone().unwrap_or_default();
    let authority = session.authority();
    let (host, port) = authority.rsplit_once(':').map(|(h, p)| (h.to_string(), p.parse().unwrap_or(0))).unwrap_or_default();
    let tls = serves_tls(&loaded.case, config);
    let scheme = match (loaded.case.protocol, tls) {
        (crate::case::Protocol::Ws, false) => "ws",
        (crate::case::Protocol::Ws, true) => "wss",
        (_, false) => "http",
        (_, true) => "https",
    };
    let url = format!("{scheme}://{authority}{}", subs.path);
    let Some(template) = spec.command.as_deref().or(config.client_command.as_deref()) else {
        eprintln!("case {}: waiting for a client at {url}", loaded.case.id);
        let at = session.elapsed();
        session.transcript.note(at, format!("waiting for an external client at {url}"));
        return Ok(None);
    };
    // The CA file exists once a case serves TLS or a command asks for it.
    let ca_file = if tls || template.contains("{ca_file}") {
        crate::fake_tls::FakeServerTls::shared()?.ca_file.display().to_string()
    } else {
        String::new()
    };
    let urls: Vec<String> =
        std::iter::once(url.clone()).chain(spec.more_paths.iter().map(|p| format!("{scheme}://{authority}{p}"))).collect();
    let command = client::fill(template, &url, &host, port, &subs.path).replace("{ca_file}", &ca_file).replace("{urls}", &urls.join(" "));
    let env: Vec<(String, String)> = spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let running = client::launch(&command, &env, &loaded.case.id)?;
    let at = session.elapsed();
    session.transcript.note(at, format!("started the client: {command}"));
    Ok(Some(running))
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Send(Send::Request(_)) => "send request",
        Step::Send(Send::Pipeline(_)) => "send pipeline",
        Step::Send(Send::Raw(_)) => "send raw",
        Step::Send(Send::Response(_)) => "send response",
        Step::Send(Send::Frames(_)) => "send frames",
        Step::Send(Send::H2Request(_)) => "send h2_request",
        Step::Send(Send::H2Response(_)) => "send h2_response",
        Step::Expect(e) if e.frame.is_some() => "expect frame",
        Step::Expect(e) if e.h2_response.is_some() => "expect h2_response",
        Step::Expect(e) if e.h2_request.is_some() => "expect h2_request",
        Step::Expect(e) if e.connection_error.is_some() => "expect connection_error",
        Step::Expect(e) if e.stream_error.is_some() => "expect stream_error",
        Step::Expect(e) if e.ping_ack.is_some() => "expect ping_ack",
        Step::Send(Send::Handshake(_)) => "send handshake",
        Step::Send(Send::Message(_)) => "send message",
        Step::Send(Send::WsFrame(_)) => "send ws_frame",
        Step::Send(Send::WsFrames(_)) => "send ws_frames",
        Step::Send(Send::WsPing(_)) => "send ws_ping",
        Step::Send(Send::WsClose(_)) => "send ws_close",
        Step::Send(Send::WsHandshakeResponse(_)) => "send ws_handshake_response",
        Step::Expect(e) if e.ws_handshake_request.is_some() => "expect ws_handshake_request",
        Step::Expect(e) if e.handshake.is_some() => "expect handshake",
        Step::Expect(e) if e.message.is_some() => "expect message",
        Step::Expect(e) if e.pong.is_some() => "expect pong",
        Step::Expect(e) if e.close.is_some() => "expect close",
        Step::Expect(e) if e.fail.is_some() => "expect fail",
        Step::Expect(e) if e.ws_frame.is_some() => "expect ws_frame",
        Step::Expect(e) if e.response.is_some() => "expect response",
        Step::Expect(e) if e.request.is_some() => "expect request",
        Step::Expect(e) if e.connection.is_some() => "expect connection",
        Step::Expect(e) if e.any_of.is_some() => "expect any_of",
        Step::Expect(_) => "expect bytes",
        Step::Pause(_) => "pause",
        Step::HalfClose => "half_close",
        Step::Reset => "reset",
        Step::Close => "close",
        Step::Reconnect => "reconnect",
    }
}

/// [`connect`], but when a launched client exits while peerspec waits for it to connect, the wait
/// ends there and then instead of at the case's deadline.
async fn connect_watching(
    session: &mut Session,
    driver: &mut dyn Driver,
    client: Option<&mut client::RunningClient>,
    accepting: bool,
) -> Result<(), Failure> {
    match client {
        // Biased: a client that connected and then exited still gets its connection served.
        Some(running) => tokio::select! {
            biased;
            connected = connect(session, driver, true) => connected,
            code = running.exited() => Err((FailureKind::Conformance, format!("the client exited (status {}) instead of connecting", code.map_or("a signal".into(), |c| c.to_string())))),
        },
        None => connect(session, driver, accepting).await,
    }
}

/// Opens a connection and lets the driver greet the peer.
/// Failing to connect to a target is a setup error; a client under test that does not connect in
/// time is a timeout.
async fn connect(session: &mut Session, driver: &mut dyn Driver, accepting: bool) -> Result<(), Failure> {
    let deadline = session.deadline;
    session.connect().await.map_err(|e| match accepting {
        true => exchange_failure(deadline)(e),
        false => (FailureKind::Setup, e),
    })?;
    driver.negotiated(session.tls_alpn()).map_err(exchange_failure(deadline))?;
    let greeting = driver.on_connect().map_err(authoring)?;
    let greeted = send_units(session, greeting).await.map_err(exchange_failure(deadline));
    if let Some(mut check) = driver.on_connect_check() {
        // A peer that sent its part and closed may make our greeting fail: what it sent says
        // more about it than the failed write, so it is judged first.
        session
            .wait_for(check.as_mut(), deadline)
            .await
            .map_err(|e| format!("after connecting, waiting for {}: {e}", check.describe()))
            .map_err(exchange_failure(deadline))?;
        greeted?;
        let replies = driver.passed(check.as_mut());
        return send_units(session, replies).await.map_err(exchange_failure(deadline));
    }
    greeted
}

async fn send_units(session: &mut Session, units: Units) -> Result<(), String> {
    if units.is_empty() {
        return Ok(());
    }
    session.send_units(&units).await
}

/// The one step loop body every protocol goes through: common steps here, the rest through the
/// protocol's [`Driver`].
async fn run_step(
    step: &Step,
    session: &mut Session,
    driver: &mut dyn Driver,
    subs: &Substitutions,
    accepting: bool,
) -> Result<(), Failure> {
    let failed = exchange_failure(session.deadline);
    match step {
        Step::Send(Send::Raw(bytes)) => {
            let bytes = subs.apply_bytes(&bytes.to_bytes().map_err(authoring)?);
            session.send("raw bytes", &bytes).await.map_err(failed)
        }
        Step::Send(send) => {
            let units = driver.encode(send).map_err(authoring)?;
            session.send_units(&units).await.map_err(failed)
        }
        Step::Expect(expect) => {
            let mut check = build_check(expect, driver).map_err(authoring)?;
            let quiet = check.passes_on_quiet();
            let wait = expect.within.map(|d| d.0).unwrap_or(if quiet { DEFAULT_QUIET } else { Duration::MAX });
            let deadline = Instant::now().checked_add(wait).unwrap_or(session.deadline);
            session.wait_for(check.as_mut(), deadline).await.map_err(failed)?;
            let replies = driver.passed(check.as_mut());
            // An answer the protocol owes (a WebSocket close reply) may meet a peer that has
            // already closed; that is the peer's right, not a failure of the step.
            if let Err(e) = send_units(session, replies).await {
                let at = session.elapsed();
                session.transcript.note(at, format!("automatic reply not delivered: {e}"));
            }
            Ok(())
        }
        Step::Pause(d) => {
            let until = Instant::now().checked_add(d.0).unwrap_or(session.deadline).min(session.deadline);
            tokio::time::sleep_until(until).await;
            let at = session.elapsed();
            session.transcript.note(at, format!("paused {:?}", d.0));
            if until == session.deadline {
                return Err((FailureKind::Timeout, "case timed out during a pause".into()));
            }
            Ok(())
        }
        Step::HalfClose => session.half_close().await.map_err(failed),
        Step::Reset => session.reset().map_err(failed),
        Step::Close => session.close().await.map_err(failed),
        Step::Reconnect => connect(session, driver, accepting).await,
    }
}

/// Builds the check for an expectation: the protocol-neutral ones here, the rest by the driver.
fn build_check(expect: &Expect, driver: &mut dyn Driver) -> Result<Box<dyn Check>, String> {
    if let Some(b) = &expect.bytes {
        return Ok(Box::new(ExactBytes(b.to_bytes()?)));
    }
    if let Some(p) = &expect.pattern {
        return Ok(Box::new(Matches(regex::bytes::Regex::new(p).map_err(|e| e.to_string())?)));
    }
    if let Some(state) = expect.connection {
        return Ok(match state {
            ConnectionState::Closed => Box::new(Closed),
            ConnectionState::Open => Box::new(Open),
        });
    }
    if let Some(alternatives) = &expect.any_of {
        let checks = alternatives.iter().map(|a| build_check(a, driver)).collect::<Result<Vec<_>, _>>()?;
        return Ok(Box::new(AnyOf::new(checks)));
    }
    driver.check(expect)
}
