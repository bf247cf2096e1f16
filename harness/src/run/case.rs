//! The case executor: one loop runs a case's steps against a [`Session`] through its protocol's
//! [`Driver`].

use std::time::Duration;

use tokio::time::Instant;

use std::future::Future;
use std::pin::Pin;

use super::check::{AnyOf, Check, Closed, ExactBytes, Matches, Open, StepCheck};
use super::client_under_test;
use super::config::{RunConfig, DEFAULT_QUIET};
use super::driver::{Driver, DriverConfig, Substitutions, Unit, Units};
use super::protocols::{self, WithDriver};
use super::result::{authoring, exchange_failure, failed_without_run, fit_message, CaseResult, Failure, FailureKind, Status};
use super::round_trips::RoundTrips;
use super::session::{Link, Session};
use crate::case::load::LoadedCase;
use crate::case::split::RepeatSpec;
use crate::case::{ConnectionState, ExpectKind, Role, Send, Step};

/// Runs one case to its end or its timeout.
pub async fn run_case(loaded: &LoadedCase, config: &RunConfig) -> CaseResult {
    protocols::with_driver(loaded.case.protocol, loaded.case.role, Execute { loaded, config }).await
}

/// [`execute`] with the driver of the case's protocol and role.
struct Execute<'a> {
    loaded: &'a LoadedCase,
    config: &'a RunConfig,
}

impl<'a> WithDriver for Execute<'a> {
    type Output = Pin<Box<dyn Future<Output = CaseResult> + std::marker::Send + 'a>>;
    fn run<D: Driver + 'static>(self) -> Self::Output {
        Box::pin(execute::<D>(self.loaded, self.config))
    }
}

/// Runs one case with driver `D`.
async fn execute<D: Driver>(loaded: &LoadedCase, config: &RunConfig) -> CaseResult {
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
        Role::Client if !D::ALPN_ASKED.is_empty() => (Link::Connect(config.endpoint.with_alpn(D::ALPN_ASKED)), config.base_path.clone()),
        Role::Client => (Link::Connect(config.endpoint.clone()), config.base_path.clone()),
        Role::Server => match tokio::net::TcpListener::bind(config.listen).await {
            Ok(listener) => {
                let path = case.client.as_ref().and_then(|c| c.path.clone()).unwrap_or_else(|| "/".into());
                let tls = match serves_tls(case, config) {
                    false => None,
                    true => match crate::fake_tls::FakeServerTls::shared().and_then(|t| t.acceptor(D::ALPN_OFFERED)) {
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
    let mut driver = D::new(DriverConfig {
        protocol: case.protocol,
        subs: &subs,
        caps: config.caps,
        tls,
        preface: case.preface.unwrap_or(true),
        steps: &case.steps,
    });

    let mut client = None;
    let accepting = case.role == Role::Server;
    let mut outcome = Ok(());
    // Set when a step failed only because the peer closed a connection it had said it would close.
    let mut not_applicable = None;
    if case.role == Role::Server {
        outcome = start_client::<D>(loaded, config, &mut session, &subs).map(|c| client = c).map_err(|e| (0, (FailureKind::Setup, e)));
    }
    if outcome.is_ok() {
        outcome = connect_watching(&mut session, &mut driver, client.as_mut(), accepting).await.map_err(|e| (0, e));
        // One connection per case unless it reconnects: the listener's socket is not held for
        // the whole case (ten thousand cases at once would hold twice the sockets).
        if case.role == Role::Server && !crate::case::split::each_step(&case.steps).any(|s| matches!(s, Step::Reconnect)) {
            session.close_listener();
        }
    }
    if outcome.is_ok() {
        for (i, step) in case.steps.iter().enumerate() {
            let stepped = match step {
                Step::Reconnect => connect_watching(&mut session, &mut driver, client.as_mut(), accepting).await,
                _ => run_step(step, &mut session, &mut driver, &subs, accepting).await,
            };
            if let Err(e) = stepped {
                // Only a verdict on the peer can turn out not to apply; a setup or authoring error stays one.
                if matches!(e.0, FailureKind::Conformance | FailureKind::Timeout) {
                    not_applicable = after_declared_close(&session, &driver, i + 1, step, &e.1);
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
            let problems = client_under_test::judge(&expect, &ended);
            if !problems.is_empty() {
                outcome = Err((0, (FailureKind::Conformance, format!("the client under test:\n{}", problems.join("\n")))));
            }
        }
    }
    result.duration = started.elapsed();
    result.round_trips = session.round_trips;
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
            let at = if step > 0 { format!("step {step} ({}): ", case.steps[step - 1].name()) } else { String::new() };
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
fn after_declared_close<D: Driver>(session: &Session, driver: &D, n: usize, step: &Step, why: &str) -> Option<String> {
    let declared = driver.declared_close()?;
    if session.closed.is_none() || !session.input.is_empty() {
        return None;
    }
    let name = step.name();
    Some(format!(
        "not applicable from step {n} ({name}) on: {declared}, and the server then closed the connection, as RFC 9112 §9.3 and §9.6 \
         allow; the steps before passed, the rest need the connection to persist (the step saw: {})",
        why.lines().next().unwrap_or(why)
    ))
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

/// Launches the client under test for a server-role case: the case's command, or the run's
/// `--client` template; without either, announces the URL for an external client.
fn start_client<D: Driver>(
    loaded: &LoadedCase,
    config: &RunConfig,
    session: &mut Session,
    subs: &Substitutions,
) -> Result<Option<client_under_test::RunningClient>, String> {
    let spec = loaded.case.client.clone().unwrap_or_default();
    let authority = session.authority();
    let (host, port) = authority.rsplit_once(':').map(|(h, p)| (h.to_string(), p.parse().unwrap_or(0))).unwrap_or_default();
    let tls = serves_tls(&loaded.case, config);
    let scheme = D::url_scheme(tls);
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
    let command =
        client_under_test::fill(template, &url, &host, port, &subs.path).replace("{ca_file}", &ca_file).replace("{urls}", &urls.join(" "));
    let env: Vec<(String, String)> = spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let running = client_under_test::launch(&command, &env, &loaded.case.id)?;
    let at = session.elapsed();
    session.transcript.note(at, format!("started the client: {command}"));
    Ok(Some(running))
}

/// [`connect`], but when a launched client exits while peerspec waits for it to connect, the wait
/// ends there and then instead of at the case's deadline.
async fn connect_watching<D: Driver>(
    session: &mut Session,
    driver: &mut D,
    client: Option<&mut client_under_test::RunningClient>,
    accepting: bool,
) -> Result<(), Failure> {
    match client {
        // Only the accept races the exit: a client that connected, wrote and exited at once
        // (half a preface, then the close) is judged on what it sent. Biased for the same reason.
        Some(running) => {
            tokio::select! {
                biased;
                opened = open(session, true) => opened?,
                code = running.exited() => return Err((FailureKind::Conformance, format!("the client exited (status {}) instead of connecting", code.map_or("a signal".into(), |c| c.to_string())))),
            }
            greet(session, driver).await
        }
        None => connect(session, driver, accepting).await,
    }
}

/// Opens a connection and lets the driver greet the peer.
async fn connect<D: Driver>(session: &mut Session, driver: &mut D, accepting: bool) -> Result<(), Failure> {
    open(session, accepting).await?;
    greet(session, driver).await
}

/// Connects to the target or accepts the client under test. Failing to connect to a target is a
/// setup error; a client under test that does not connect in time is a timeout.
async fn open(session: &mut Session, accepting: bool) -> Result<(), Failure> {
    let deadline = session.deadline;
    session.connect().await.map_err(|e| match accepting {
        true => exchange_failure(deadline)(e),
        false => (FailureKind::Setup, e),
    })
}

/// The driver's greeting on a new connection, and its wait for the peer's (an HTTP/2 preface).
async fn greet<D: Driver>(session: &mut Session, driver: &mut D) -> Result<(), Failure> {
    let deadline = session.deadline;
    driver.negotiated(&session.channel()).map_err(exchange_failure(deadline))?;
    let greeting = driver.on_connect().map_err(authoring)?;
    let greeted = send_units(session, greeting).await.map_err(exchange_failure(deadline));
    if let Some(mut check) = driver.on_connect_check() {
        // A peer that sent its part and closed may make our greeting fail: what it sent says
        // more about it than the failed write, so it is judged first.
        session
            .wait_for(&mut check, deadline)
            .await
            .map_err(|e| format!("after connecting, waiting for {}: {e}", check.describe()))
            .map_err(exchange_failure(deadline))?;
        greeted?;
        let replies = driver.passed(check);
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
pub(super) async fn run_step<D: Driver>(
    step: &Step,
    session: &mut Session,
    driver: &mut D,
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
        Step::Split(split) => {
            let units = match &split.send {
                Send::Raw(bytes) => vec![Unit::new("raw bytes", subs.apply_bytes(&bytes.to_bytes().map_err(authoring)?))],
                send => driver.encode(send).map_err(authoring)?,
            };
            session.send_split(&units, split.cuts(), split.pause.map(|p| p.0)).await.map_err(failed)
        }
        Step::Repeat(spec) => Box::pin(run_repeat(spec, session, driver, subs, accepting)).await,
        Step::Expect(expect) => {
            let mut check = build_check(&expect.kind, driver).map_err(authoring)?;
            let quiet = check.passes_on_quiet();
            let wait = expect.within.map(|d| d.0).unwrap_or(if quiet { DEFAULT_QUIET } else { Duration::MAX });
            let deadline = Instant::now().checked_add(wait).unwrap_or(session.deadline);
            session.wait_for(&mut check, deadline).await.map_err(failed)?;
            // The driver's own check that passed goes back to it, typed (any_of: the one chosen).
            let replies = check.into_chosen().map(|c| driver.passed(c)).unwrap_or_default();
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
fn build_check<D: Driver>(expect: &ExpectKind, driver: &mut D) -> Result<StepCheck<D::Check>, String> {
    match expect {
        ExpectKind::Bytes(b) => Ok(StepCheck::Neutral(Box::new(ExactBytes(b.to_bytes()?)))),
        ExpectKind::Match(p) => Ok(StepCheck::Neutral(Box::new(Matches(regex::bytes::Regex::new(p).map_err(|e| e.to_string())?)))),
        ExpectKind::Connection(ConnectionState::Closed) => Ok(StepCheck::Neutral(Box::new(Closed))),
        ExpectKind::Connection(ConnectionState::Open) => Ok(StepCheck::Neutral(Box::new(Open))),
        ExpectKind::AnyOf(alternatives) => {
            let checks = alternatives.iter().map(|a| build_check(a, driver)).collect::<Result<Vec<_>, _>>()?;
            Ok(StepCheck::AnyOf(AnyOf::new(checks)))
        }
        kind => driver.check(kind).map(StepCheck::Proto),
    }
}

/// Runs the rounds of a `repeat` step, adding each one's time to the session's figures. A
/// failing step ends it, its message naming the round and the step in the round.
async fn run_repeat<D: Driver>(
    spec: &RepeatSpec,
    session: &mut Session,
    driver: &mut D,
    subs: &Substitutions,
    accepting: bool,
) -> Result<(), Failure> {
    let times = spec.times.get();
    for round in 1..=times {
        let started = Instant::now();
        for (i, step) in spec.steps.iter().enumerate() {
            if let Err((kind, why)) = run_step(step, session, driver, subs, accepting).await {
                return Err((kind, format!("round {round} of {times}, step {} ({}): {why}", i + 1, step.name())));
            }
        }
        session.round_trips = Some(RoundTrips::add(session.round_trips, started.elapsed()));
    }
    let at = session.elapsed();
    if let Some(r) = session.round_trips {
        session.transcript.note(at, r.describe());
    }
    Ok(())
}
