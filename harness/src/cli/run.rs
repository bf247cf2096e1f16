//! `peerspec run` and `peerspec serve`: arguments to cases, a check of the target, the run, the
//! reports and the exit status.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{
    interruption, report_load_errors, ColorChoice, NoCases, RunArgs, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NO_CASES, EXIT_OK, EXIT_USAGE,
};
use crate::case::load::LoadedCase;
use crate::case::Role;
use crate::known_failures::KnownFailures;
use crate::report::progress::Progress;
use crate::report::terminal::{self, Colours};
use crate::report::{html, json, junit, write_atomically, RunReport, Summary};
use crate::run::plan::load_paths;
use crate::run::{CaseResult, Status};
use crate::select::{near_matches, Selection};
use crate::target::probe::check_target;
use crate::target::{resolve, TargetOptions, BUILTIN_KNOWN_FAILURES, WEBSOCKET};
use crate::transport::TlsOptions;

/// Which command is running cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `peerspec run`.
    Run,
    /// `peerspec serve`.
    Serve,
}

/// Whether a word is meant as a path: it has a `/` or a case-file extension.
fn looks_like_path(word: &str) -> bool {
    word.contains('/') || word.ends_with(".yaml") || word.ends_with(".yml")
}

/// Splits `run` arguments into paths (they exist) and id filters (everything else).
fn split_args(args: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut paths = vec![];
    let mut filters = vec![];
    for a in args {
        let p = PathBuf::from(a);
        if p.exists() {
            paths.push(p);
        } else {
            filters.push(a.clone());
        }
    }
    (paths, filters)
}

/// The message for a word that looks like a path, does not exist, and matches no case id:
/// where it was looked for, and the nearest thing that does exist.
fn missing_path(word: &str, builtin_ids: &[&str]) -> String {
    let here = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
    let mut message = format!("{word}: no such file or directory (looked in {here}), and no case id contains it");
    let path = Path::new(word.trim_end_matches('/'));
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir(parent) {
        let siblings: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        if let Some(near) = near_matches(&name, siblings.iter().map(String::as_str)).first() {
            let shown = if parent == Path::new(".") { near.to_string() } else { parent.join(near).display().to_string() };
            message.push_str(&format!("\n  did you mean {shown}?"));
            return message;
        }
    }
    // `cases/ws` outside the repository: the built-in suites hold the same cases, by id.
    let stripped = word.trim_start_matches("./");
    let tail = stripped.strip_prefix("cases/").unwrap_or(stripped);
    let prefix = tail.trim_end_matches(".yaml").trim_end_matches(".yml").trim_end_matches('/');
    if !prefix.is_empty() && builtin_ids.iter().any(|id| id.starts_with(&format!("{prefix}/"))) {
        message.push_str(&format!(
            "\n  the built-in suites hold these cases: select them by id with `{prefix}/` (e.g. peerspec run {prefix}/)"
        ));
    }
    message
}

/// The capabilities cases can require: every `requires:` of the built-in suites and of `cases`.
fn known_capabilities(cases: &[LoadedCase]) -> Vec<String> {
    let builtin = load_paths(&[]).unwrap_or_default();
    let mut caps: Vec<String> = builtin.iter().chain(cases).flat_map(|c| c.case.requires.iter().cloned()).collect();
    caps.push(WEBSOCKET.to_string());
    caps.sort();
    caps.dedup();
    caps
}

/// `error: …` on stderr, usage exit status.
fn usage_error(message: &str) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

/// Prints the selected cases; a closed stdout (`| head`) ends the listing quietly.
fn list(cases: &[LoadedCase]) -> u8 {
    let mut out = std::io::stdout().lock();
    for c in cases {
        let mut line = format!("{}: case  ({}, {}", c.case.id, c.case.protocol.name(), c.case.spec.as_deref().unwrap_or("-"));
        if let Some(ids) = &c.case.autobahn {
            line.push_str(&format!("; Autobahn {}", ids.as_slice().join(", ")));
        }
        line.push(')');
        if writeln!(out, "{line}").is_err() {
            return EXIT_OK;
        }
    }
    let _ = writeln!(out, "\n{} cases", cases.len());
    EXIT_OK
}

/// What a run that tests nothing does, by `--no-cases`.
fn nothing_tested(why: &str, policy: NoCases) -> u8 {
    match policy {
        NoCases::Fail => {
            eprintln!("error: {why} (--no-cases pass allows it)");
            EXIT_NO_CASES
        }
        NoCases::Warn => {
            eprintln!("warning: {why}");
            EXIT_OK
        }
        NoCases::Pass => EXIT_OK,
    }
}

pub(super) fn run(mut args: RunArgs, command: Mode) -> u8 {
    let (paths, filters) = split_args(&args.args);
    let cases = match load_paths(&paths) {
        Ok(c) => c,
        Err(errors) => return report_load_errors(&errors),
    };
    // A path typed wrong must not become a filter that selects nothing.
    let ids: Vec<&str> = cases.iter().map(|c| c.case.id.as_str()).collect();
    for word in &filters {
        if looks_like_path(word) && !ids.iter().any(|id| id.contains(word.as_str())) {
            let builtin = if paths.is_empty() { Vec::new() } else { load_paths(&[]).unwrap_or_default() };
            let builtin_ids: Vec<&str> = if paths.is_empty() { ids.clone() } else { builtin.iter().map(|c| c.case.id.as_str()).collect() };
            return usage_error(&missing_path(word, &builtin_ids));
        }
    }
    if !args.provides.is_empty() {
        let known = known_capabilities(&cases);
        for p in &args.provides {
            if !known.contains(p) {
                let near = near_matches(p, known.iter().map(String::as_str));
                let near = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(", ")) };
                return usage_error(&format!("--provides: no case requires the capability `{p}`{near}; known: {}", known.join(", ")));
            }
        }
    }
    if command == Mode::Serve && paths.is_empty() && filters.is_empty() && args.only.is_empty() && !args.list {
        return usage_error(
            "serve plays the built-in client suites one at a time: name the one that fits your client, by id \
             (client/http1/, client/http1.0/, client/h2/, client/sse/, client/ws/), with --only (http1, h2, sse, ws), \
             or give a path to your own cases; e.g. peerspec serve client/http1/ --client 'curl -sS {url}'",
        );
    }
    let known = match &args.known_failures {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => {
                let list = KnownFailures::parse(&text, &path.display().to_string());
                for id in list.ids() {
                    if !ids.contains(&id) {
                        let near = near_matches(id, ids.iter().copied());
                        let near = if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(", ")) };
                        return usage_error(&format!("{}: `{id}` is not the id of any case loaded{near}", path.display()));
                    }
                }
                Some(list)
            }
            Err(e) => return usage_error(&format!("cannot read {}: {e}", path.display())),
        },
        None if args.target == "builtin" => Some(KnownFailures::parse(BUILTIN_KNOWN_FAILURES, "the built-in target's list")),
        None => None,
    };
    let selection = Selection {
        filters,
        skip: args.skip.clone(),
        exact: args.exact,
        only: args.only.iter().flat_map(|f| f.0.iter().copied()).collect(),
        specs: args.spec.clone(),
    };
    for query in selection.unmatched_specs(&cases) {
        eprintln!("warning: no case cites {query} (--spec)");
    }
    let cases = selection.apply(cases);
    // The built-in suites hold both roles. `run` takes the server suites, and the client suites
    // only when it has a client to test; `serve` takes the client suites.
    let cases: Vec<LoadedCase> = if paths.is_empty() {
        let serving = command == Mode::Serve;
        let has_client = args.client.is_some();
        cases
            .into_iter()
            .filter(|c| match c.case.role {
                Role::Client => !serving,
                Role::Server => serving || has_client,
            })
            .collect()
    } else {
        cases
    };
    if args.list {
        return list(&cases);
    }
    if cases.is_empty() {
        return nothing_tested("no cases to run: the arguments select none", args.no_cases);
    }
    if args.listen.port() != 0 {
        // One fixed port: server-role cases take turns.
        args.jobs = 1;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage_error(&format!("cannot start the async runtime: {e}")),
    };
    let options = TargetOptions {
        target: args.target.clone(),
        path: args.path.clone(),
        ws_path: args.ws_path.clone(),
        provides: args.provides.clone(),
        tls: TlsOptions { ca_file: args.ca_file.clone(), insecure: args.insecure },
        timeout: args.timeout,
        jobs: args.jobs,
        strict: args.strict,
        listen: args.listen,
        client_command: args.client.clone(),
        serve_tls: args.serve_tls,
        caps: args.caps.caps(),
    };
    let explicit_suites = !paths.is_empty() || !args.only.is_empty();
    let code = runtime.block_on(async move {
        let target = match resolve(&options).await {
            Ok(t) => t,
            Err(e) => return usage_error(&e),
        };
        let mut cases = cases;
        // Cases against a URL: check it once, and take the suites that fit it.
        if target.builtin.is_none() && cases.iter().any(|c| c.case.role == Role::Client) {
            let scheme = args.target.split("://").next().unwrap_or_default().to_ascii_lowercase();
            let ws_declared = args.provides.iter().any(|p| p == WEBSOCKET);
            let choice = match check_target(&target.config.endpoint, &scheme, &target.config.ws_path, ws_declared).await {
                Ok(choice) => choice,
                Err(e) => return usage_error(&e),
            };
            if explicit_suites {
                eprintln!("suites for {}: the cases named run (explicit paths or --only)\n{}", args.target, choice.describe());
            } else {
                eprintln!("suites for {}:\n{}", args.target, choice.describe());
                cases.retain(|c| c.case.role == Role::Server || choice.takes(c.case.protocol));
                if cases.is_empty() {
                    return nothing_tested("no cases to run: none of the selected cases fits the target (see above)", args.no_cases);
                }
            }
        }
        run_cases(cases, target, &args, known.as_ref()).await
    });
    // The reports are written: a task that has not noticed its cancellation yet (a case
    // mid-flood when Ctrl-C came) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// Runs, reports and judges.
async fn run_cases(cases: Vec<LoadedCase>, target: crate::target::ResolvedTarget, args: &RunArgs, known: Option<&KnownFailures>) -> u8 {
    let target_name = target.config.target_name.clone();
    let serving = cases.iter().filter(|c| c.case.role == Role::Server).count();
    let client = match &args.client {
        Some(c) => format!("the client `{c}` (or each case's own)"),
        None => "each case's client, or one that connects to the URL printed".to_string(),
    };
    let against = match (cases.len() - serving, serving) {
        (_, 0) => format!("against {target_name}"),
        (0, n) => format!("as the server ({n}), testing {client}"),
        (k, n) => format!("against {target_name} ({k}) and as the server ({n}), testing {client}"),
    };
    println!("\nrunning {} cases {against}", cases.len());
    if args.insecure {
        println!("warning: TLS certificate verification is off (--insecure)");
    }
    let started = Instant::now();
    let quiet = args.quiet;
    let colours = Colours::choose(
        match args.color {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        },
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    // A server-role case with no client to launch prints a URL on stderr and waits for a
    // person to point a client at it: no bar over that line.
    let waits_for_a_person = args.client.is_none()
        && cases.iter().any(|c| c.case.role == Role::Server && c.case.client.as_ref().is_none_or(|s| s.command.is_none()));
    let mut progress = Progress::new(cases.len(), !args.no_progress && !waits_for_a_person && std::io::stderr().is_terminal());
    let show = |r: &CaseResult| {
        let expected = known.and_then(|list| (r.status == Status::Failed && !r.is_error()).then(|| list.reason(&r.id)).flatten());
        let line = match expected {
            Some(reason) => terminal::expected_failure_line(&r.id, reason, colours),
            None => terminal::case_line(r, colours),
        };
        progress.record(r);
        if !quiet || (matches!(r.status, Status::Failed | Status::Interrupted) && expected.is_none()) {
            progress.println(&line);
        }
    };
    let mut results = crate::run::run_cases_until(cases, target.config, show, interruption()).await;
    if let Some(list) = known {
        results.iter_mut().for_each(|r| list.mark(r));
    }
    let elapsed = started.elapsed();
    progress.finish();
    drop(target.builtin);
    print!("{}", terminal::summary(&results, elapsed, colours));
    let report =
        RunReport { target: &target_name, insecure: args.insecure, duration: elapsed, summary: Summary::of(&results), cases: &results };
    type Render = fn(&RunReport<'_>) -> String;
    let writers: [(&Option<PathBuf>, Render); 3] = [(&args.junit, junit::render), (&args.json, json::render), (&args.html, html::render)];
    for (path, text) in writers {
        if let Some(path) = path {
            if let Err(e) = write_atomically(path, text(&report).as_bytes()) {
                return usage_error(&format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    let s = report.summary;
    if s.interrupted > 0 {
        return EXIT_INTERRUPTED;
    }
    let mut status = if s.failed > 0 || s.errors > 0 { EXIT_FAILED } else { EXIT_OK };
    if let Some(list) = known {
        let passed = list.passed(&results);
        if s.expected_failures > 0 || !passed.is_empty() {
            println!("known failures ({}): {} failed as listed", list.source, s.expected_failures);
        }
        for id in &passed {
            println!("  listed as failing but passed (remove it from the list): {id}");
        }
        if !passed.is_empty() {
            status = EXIT_FAILED;
        }
    }
    if status == EXIT_OK && s.passed + s.failed + s.errors + s.expected_failures + s.failed_optional == 0 {
        return nothing_tested(&format!("every case was skipped ({} skipped: see the reasons above)", s.skipped), args.no_cases);
    }
    status
}
