//! The `peerspec` command line: `run`, `check`, `schema`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

use crate::case::load::{load_paths, LoadError};
use crate::report::progress::Progress;
use crate::report::terminal::Colours;
use crate::report::{html, json, junit, terminal, write_atomically, RunReport, Summary};
use crate::select::{Family, Selection, SpecQuery};
use crate::target::{resolve, TargetOptions};
use crate::transport::TlsOptions;

/// Exit status: every case passed or was skipped.
pub const EXIT_OK: u8 = 0;
/// Exit status: a case failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: usage error or invalid case files.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: stopped by SIGINT or SIGTERM (reports are still written).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Completes at the first SIGINT (Ctrl-C) or SIGTERM, with its name.
async fn interruption() -> String {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT".to_string(),
                _ = term.recv() => "SIGTERM".to_string(),
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C".to_string()
    }
}

#[derive(Debug, Parser)]
#[command(name = "peerspec", version, about = "Protocol-conformance harness: checks where data ends on the wire")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run cases against a target (default: the built-in suites against the built-in target).
    /// Server-role cases among them run too, testing the client they name or `--client`.
    Run(RunArgs),
    /// Play scripted servers (server-role cases) to test a client: `peerspec serve
    /// cases/client/http1 --client 'mycli fetch {url}'`.
    Serve(RunArgs),
    /// Validate case files without running them.
    Check {
        /// Case files or folders (default: the built-in suites).
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the case format (for yaml-language-server and editors).
    Schema,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Case files or folders to run; any other word is a filter on case ids (substring, like
    /// `cargo test`). Without paths, the built-in suites run.
    args: Vec<String>,
    /// The server under test: `builtin`, or a URL such as http://127.0.0.1:8080, https://host:8443 or ws://127.0.0.1:9001/.
    #[arg(long, short, default_value = "builtin", env = "PEERSPEC_TARGET")]
    target: String,
    /// Base path substituted for `{path}` in cases (default: the URL's path, else `/`).
    #[arg(long)]
    path: Option<String>,
    /// Request target of WebSocket handshakes for http(s) and built-in targets (default /ws; a
    /// ws:// or wss:// target's own path wins).
    #[arg(long)]
    ws_path: Option<String>,
    /// Capabilities the target has (comma-separated), enabling cases that require them, e.g. seed-files,
    /// or websocket (a WebSocket endpoint at --ws-path; implied by ws:// and wss:// targets).
    #[arg(long, value_delimiter = ',')]
    provides: Vec<String>,
    /// Trust the CA certificates in this PEM file (for https targets).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Do not verify the target's TLS certificate. Reports say so.
    #[arg(long)]
    insecure: bool,
    /// Cases run at once.
    #[arg(long, short, default_value_t = 8)]
    jobs: usize,
    /// Timeout of a case that sets none (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s", value_parser = crate::case::duration::parse_timeout)]
    timeout: Duration,
    /// List the selected cases instead of running them.
    #[arg(long)]
    list: bool,
    /// Filters match whole ids, not substrings.
    #[arg(long)]
    exact: bool,
    /// Leave out cases whose id contains this (repeatable).
    #[arg(long)]
    skip: Vec<String>,
    /// Only cases of these protocols (comma-separated): http1 (= http/1.0 + http/1.1),
    /// http/1.0, http/1.1, h2, ws (or websocket), sse. Server-Sent Events cases are `sse`
    /// whatever HTTP version carries them.
    #[arg(long, value_delimiter = ',', value_parser = parse_families, value_name = "PROTOCOLS")]
    only: Vec<Families>,
    /// Only cases whose `spec:` cites this rule or a subsection of it: 'RFC 9112 §7.1' takes
    /// §7.1 and §7.1.2, not §7.10; 'RFC 9112' takes the whole document (repeatable: any of them).
    #[arg(long, value_parser = SpecQuery::parse, value_name = "DOC §SECTION")]
    spec: Vec<SpecQuery>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write an HTML report here: one self-contained page with every failure's transcript.
    #[arg(long)]
    html: Option<PathBuf>,
    /// The client under test for server-role cases, as a shell command template: `{url}`,
    /// `{host}`, `{port}`, `{path}`, `{ca_file}` and `{urls}` (every URL a case fetches; cases
    /// about several requests are skipped without it) are filled in. Without it (and without a
    /// command in the case), peerspec prints the URL and waits for a client to connect.
    #[arg(long)]
    client: Option<String>,
    /// Where server-role cases listen (port 0: a free port per case; a fixed port means one
    /// case at a time).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Count failures of SHOULD and MAY cases as failures of the run (exit status 1).
    #[arg(long)]
    strict: bool,
    /// Print only failures and the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Colour the terminal output: auto (when stdout is a terminal and NO_COLOR is unset or
    /// empty), always, never. Report files are never coloured.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// No progress bar (it is drawn on stderr, only when stderr is a terminal, on runs longer
    /// than a second).
    #[arg(long)]
    no_progress: bool,
    /// A file of case ids known to fail against this target (one per line, `#` comments). The
    /// exit status is then 0 only when exactly those cases fail: a new failure, or a listed case
    /// that now passes, exits 1. Failures are still reported in full.
    #[arg(long)]
    known_failures: Option<PathBuf>,
    #[command(flatten)]
    caps: CapArgs,
}

/// Limits on what peerspec keeps of a peer's input (sizes: `65536`, `64KiB`, `16MiB`, `1GiB`).
#[derive(Debug, clap::Args)]
struct CapArgs {
    /// Largest HTTP/1.x message head or HTTP/2 field block read; a larger one fails the case.
    #[arg(long, default_value = "64KiB", value_parser = parse_size)]
    max_header_bytes: u64,
    /// Body bytes kept for checks per response (or request); the rest are counted and dropped,
    /// and a check that needed them says so.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    max_body_kept: u64,
    /// Largest WebSocket frame payload read; a larger one fails the case.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    max_frame_size: u64,
    /// WebSocket message bytes kept for checks; the rest are counted and dropped.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    max_message_size: u64,
}

impl CapArgs {
    fn caps(&self) -> crate::run::Caps {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        crate::run::Caps {
            max_header_bytes: size(self.max_header_bytes),
            max_body_kept: size(self.max_body_kept),
            max_frame_size: self.max_frame_size,
            max_message_size: size(self.max_message_size),
        }
    }
}

/// A byte count: digits, optionally followed by `B`, `KiB`/`K`/`KB`, `MiB`/`M`/`MB` or
/// `GiB`/`G`/`GB` (all powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a size (e.g. 65536, 64KiB, 16MiB)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (B, KiB, MiB, GiB)")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("{text:?} is too large"))
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set (or empty).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The protocol families one `--only` word names.
#[derive(Debug, Clone)]
struct Families(Vec<Family>);

fn parse_families(word: &str) -> Result<Families, String> {
    Family::parse(word).map(Families)
}

/// Runs the command line; returns the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    ExitCode::from(match cli.command {
        Command::Schema => {
            println!("{}", crate::case::schema::case_schema_json());
            EXIT_OK
        }
        Command::Check { paths } => match load_paths(&paths) {
            Ok(cases) => {
                println!("{} cases OK", cases.len());
                EXIT_OK
            }
            Err(errors) => report_load_errors(&errors),
        },
        Command::Run(args) => run(args, Mode::Run),
        Command::Serve(args) => run(args, Mode::Serve),
    })
}

fn report_load_errors(errors: &[LoadError]) -> u8 {
    for e in errors {
        eprintln!("error: {e}");
    }
    eprintln!("{} error(s) in case files", errors.len());
    EXIT_USAGE
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

/// Which command is running cases.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Run,
    Serve,
}

fn run(mut args: RunArgs, command: Mode) -> u8 {
    let (paths, filters) = split_args(&args.args);
    let cases = match load_paths(&paths) {
        Ok(c) => c,
        Err(errors) => return report_load_errors(&errors),
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
    let cases = if paths.is_empty() {
        let serving = matches!(command, Mode::Serve);
        let has_client = args.client.is_some();
        cases
            .into_iter()
            .filter(|c| match c.case.role {
                crate::case::Role::Client => !serving,
                crate::case::Role::Server => serving || has_client,
            })
            .collect()
    } else {
        cases
    };
    if args.list {
        for c in &cases {
            println!("{}: case  ({}, {})", c.case.id, c.case.protocol.name(), c.case.spec.as_deref().unwrap_or("-"));
        }
        println!("\n{} cases", cases.len());
        return EXIT_OK;
    }
    if args.listen.port() != 0 {
        // One fixed port: server-role cases take turns.
        args.jobs = 1;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_USAGE;
        }
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
        caps: args.caps.caps(),
    };
    let code = runtime.block_on(async move {
        let target = match resolve(&options).await {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        };
        let target_name = target.config.target_name.clone();
        let serving = cases.iter().filter(|c| c.case.role == crate::case::Role::Server).count();
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
            && cases.iter().any(|c| c.case.role == crate::case::Role::Server && c.case.client.as_ref().is_none_or(|s| s.command.is_none()));
        let mut progress = Progress::new(cases.len(), !args.no_progress && !waits_for_a_person && std::io::stderr().is_terminal());
        let show = |r: &crate::run::CaseResult| {
            progress.record(r);
            if !quiet || matches!(r.status, crate::run::Status::Failed | crate::run::Status::Interrupted) {
                progress.println(&terminal::case_line(r, colours));
            }
        };
        let results = crate::run::run_cases_until(cases, target.config, show, interruption()).await;
        let elapsed = started.elapsed();
        progress.finish();
        drop(target.builtin);
        print!("{}", terminal::summary(&results, elapsed, colours));
        let report =
            RunReport { target: &target_name, insecure: args.insecure, duration: elapsed, summary: Summary::of(&results), cases: &results };
        type Render = fn(&RunReport<'_>) -> String;
        let writers: [(&Option<PathBuf>, Render); 3] =
            [(&args.junit, junit::render), (&args.json, json::render), (&args.html, html::render)];
        for (path, text) in writers {
            if let Some(path) = path {
                if let Err(e) = write_atomically(path, text(&report).as_bytes()) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    return EXIT_USAGE;
                }
            }
        }
        if report.summary.interrupted > 0 {
            return EXIT_INTERRUPTED;
        }
        match &args.known_failures {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => compare_known_failures(&results, &parse_id_list(&text), path),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    EXIT_USAGE
                }
            },
            None if report.summary.failed > 0 => EXIT_FAILED,
            None => EXIT_OK,
        }
    });
    // The reports are written: a task that has not noticed its cancellation yet (a case
    // mid-flood when Ctrl-C came) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// Case ids from a list file: one per line, blank lines and `#` comments ignored.
pub fn parse_id_list(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// Checks the failures against a list of known ones; prints the differences.
fn compare_known_failures(results: &[crate::run::CaseResult], known: &[String], path: &std::path::Path) -> u8 {
    use crate::run::Status;
    let status_of = |id: &str| results.iter().find(|r| r.id == id).map(|r| r.status);
    // Failures that do not fail a run (SHOULD/MAY without --strict) are not new failures either.
    let new: Vec<&str> =
        results.iter().filter(|r| r.status == Status::Failed && r.required && !known.contains(&r.id)).map(|r| r.id.as_str()).collect();
    let fixed: Vec<&str> = known.iter().filter(|id| status_of(id) == Some(Status::Passed)).map(String::as_str).collect();
    let expected = known.iter().filter(|id| status_of(id) == Some(Status::Failed)).count();
    println!("known failures ({}): {expected} failed as listed", path.display());
    for id in &new {
        println!("  new failure, not in the list: {id}");
    }
    for id in &fixed {
        println!("  listed as failing but passed (remove it from the list): {id}");
    }
    if new.is_empty() && fixed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}
