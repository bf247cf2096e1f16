//! The `peerspec` command line: `run`, `serve`, `check`, `schema`.

mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::case::load::LoadError;
use crate::run::plan::load_paths;
use crate::select::{Family, SpecQuery};

/// Exit status: every case passed or was skipped.
pub const EXIT_OK: u8 = 0;
/// Exit status: a case failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: usage error, invalid case files, or a target that cannot be tested (unreachable,
/// or silent).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: nothing was tested: no case was selected, or every case was skipped (as
/// cargo-nextest's "no tests to run"); `--no-cases pass` (or `warn`) makes it 0.
pub const EXIT_NO_CASES: u8 = 4;
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
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Play scripted servers (server-role cases) to test a client: `peerspec serve
    /// cases/client/http1 --client 'mycli fetch {url}'`. Name the client suite (a path, an id
    /// filter such as client/h2/, or --only): one client fits one suite.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(RunArgs),
    /// Validate case files without running them.
    Check {
        /// Case files or folders (default: the built-in suites).
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the case format (for yaml-language-server and editors).
    Schema,
}

const RUN_EXAMPLES: &str = "\
Examples:
  peerspec run                                         the built-in suites against the built-in target
  peerspec run --target http://127.0.0.1:8080          the suites that fit your server (chosen by probing it)
  peerspec run --target ws://127.0.0.1:9001/           the WebSocket suites
  peerspec run --target https://localhost:8443 --ca-file ca.pem --only h2
  peerspec run seed/http1.1/ --list                    list the cases whose id contains seed/http1.1/
  peerspec run my-cases/ --target http://127.0.0.1:8080 --junit reports/junit.xml

Exit status: 0 every case passed (or failed as expected); 1 a case failed; 2 usage error,
invalid case file, or a target that cannot be reached; 4 no case ran (--no-cases); 130 interrupted.";

const SERVE_EXAMPLES: &str = "\
Examples:
  peerspec serve cases/client/http1 --client 'curl -sS --cacert {ca_file} {url}'
  peerspec serve --only h2 --client 'curl -sS --http2-prior-knowledge {url}'
  peerspec serve client/ws/ --client 'python3 my_ws_client.py {url}'

The built-in client suites: client/http1 (HTTP/1.1), client/http1.0, client/h2, client/sse,
client/ws; choose one with an id filter, --only, or a path to your own cases.";

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Case files or folders to run; any other word is a filter on case ids (substring, like
    /// `cargo test`). Without paths, the built-in suites run. A word that looks like a path
    /// (has a `/`, or ends in .yaml/.yml), does not exist and matches no case id is an error.
    args: Vec<String>,
    /// The server under test: `builtin`, or a URL such as http://127.0.0.1:8080, https://host:8443 or ws://127.0.0.1:9001/.
    /// A URL is checked once before the run (unreachable or silent: exit 2), and the suites that
    /// fit it run: ws(s):// the WebSocket suites; http:// HTTP/1.x, plus HTTP/2 when the target
    /// answers the HTTP/2 connection preface; https:// HTTP/1.x, plus HTTP/2 when ALPN chooses
    /// h2. The choice and its reasons are printed on stderr; --only or case paths override it.
    #[arg(help_heading = "Target", long, short, default_value = "builtin", env = "PEERSPEC_TARGET")]
    target: String,
    /// Base path substituted for `{path}` in cases (default: the URL's path, else `/`).
    #[arg(help_heading = "Target", long)]
    path: Option<String>,
    /// Request target of WebSocket handshakes for http(s) and built-in targets (default /ws; a
    /// ws:// or wss:// target's own path wins).
    #[arg(help_heading = "Target", long)]
    ws_path: Option<String>,
    /// Capabilities the target has (comma-separated), enabling cases that require them, e.g. seed-files,
    /// or websocket (a WebSocket endpoint at --ws-path; implied by ws:// and wss:// targets).
    #[arg(help_heading = "Target", long, value_delimiter = ',')]
    provides: Vec<String>,
    /// Trust the CA certificates in this PEM file (for https and wss targets); a self-signed
    /// server certificate given here is trusted as the server's own, as curl does.
    #[arg(help_heading = "Target", long)]
    ca_file: Option<PathBuf>,
    /// Do not verify the target's TLS certificate. Reports say so.
    #[arg(help_heading = "Target", long)]
    insecure: bool,
    /// Cases run at once.
    #[arg(help_heading = "Running", long, short, default_value_t = 8)]
    jobs: usize,
    /// Timeout of a case that sets none (e.g. 5s, 500ms).
    #[arg(help_heading = "Running", long, default_value = "5s", value_parser = crate::case::duration::parse_timeout)]
    timeout: Duration,
    /// List the selected cases instead of running them.
    #[arg(help_heading = "Selection", long)]
    list: bool,
    /// Filters match whole ids, not substrings.
    #[arg(help_heading = "Selection", long)]
    exact: bool,
    /// Leave out cases whose id contains this (repeatable).
    #[arg(help_heading = "Selection", long)]
    skip: Vec<String>,
    /// Only cases of these protocols (comma-separated): http1 (= http/1.0 + http/1.1),
    /// http/1.0, http/1.1, h2, ws (or websocket), sse. Server-Sent Events cases are `sse`
    /// whatever HTTP version carries them. Overrides the choice of suites by the target.
    #[arg(help_heading = "Selection", long, value_delimiter = ',', value_parser = parse_families, value_name = "PROTOCOLS")]
    only: Vec<Families>,
    /// Only cases whose `spec:` cites this rule or a subsection of it: 'RFC 9112 §7.1' takes
    /// §7.1 and §7.1.2, not §7.10; 'RFC 9112' takes the whole document (repeatable: any of them).
    #[arg(help_heading = "Selection", long, value_parser = SpecQuery::parse, value_name = "DOC §SECTION")]
    spec: Vec<SpecQuery>,
    /// Write a JUnit XML report here.
    #[arg(help_heading = "Reports", long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(help_heading = "Reports", long)]
    json: Option<PathBuf>,
    /// Write an HTML report here: one self-contained page with every failure's transcript.
    #[arg(help_heading = "Reports", long)]
    html: Option<PathBuf>,
    /// The client under test for server-role cases, as a shell command template: `{url}`,
    /// `{host}`, `{port}`, `{path}`, `{ca_file}` and `{urls}` (every URL a case fetches; cases
    /// about several requests are skipped without it) are filled in. Without it (and without a
    /// command in the case), peerspec prints the URL and waits for a client to connect.
    #[arg(help_heading = "Clients under test (server-role cases)", long)]
    client: Option<String>,
    /// Where server-role cases listen (port 0: a free port per case; a fixed port means one
    /// case at a time).
    #[arg(help_heading = "Clients under test (server-role cases)", long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Serve every server-role case over TLS, as if each case set `client.tls` (`https://`
    /// URLs, the run's CA as `{ca_file}`): for clients that speak HTTP/2 only over TLS, such as
    /// browsers.
    #[arg(long)]
    serve_tls: bool,
    /// Count failures of SHOULD and MAY cases as failures of the run (exit status 1).
    #[arg(help_heading = "Verdicts", long)]
    strict: bool,
    /// Print only failures and the summary.
    #[arg(help_heading = "Reports", long, short)]
    quiet: bool,
    /// Colour the terminal output: auto (when stdout is a terminal and NO_COLOR is unset or
    /// empty), always, never. Report files are never coloured.
    #[arg(help_heading = "Reports", long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// No progress bar (it is drawn on stderr, only when stderr is a terminal, on runs longer
    /// than a second).
    #[arg(help_heading = "Reports", long)]
    no_progress: bool,
    /// A file of case ids known to fail against this target (one per line, `#` comments). The
    /// exit status is then 0 only when exactly those cases fail: a new failure, or a listed case
    /// that now passes, exits 1. Listed failures are shown as `expected failure: <reason>` (the
    /// comment paragraph above the id); a setup error is never forgiven; an id that is no case's
    /// is an error. The built-in target brings its own list; this one replaces it.
    #[arg(help_heading = "Verdicts", long)]
    known_failures: Option<PathBuf>,
    /// What a run that tests nothing does (no case selected, or every case skipped): fail
    /// (exit 4, the default: a CI job that tests nothing must not pass), warn (say so, exit 0),
    /// pass (exit 0).
    #[arg(help_heading = "Verdicts", long, value_enum, default_value_t = NoCases::Fail, value_name = "fail|warn|pass")]
    no_cases: NoCases,
    #[command(flatten, next_help_heading = "Limits on what peerspec keeps of a peer's input")]
    caps: CapArgs,
}

/// `--no-cases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum NoCases {
    /// Exit 4 with an error.
    Fail,
    /// A warning, exit 0.
    Warn,
    /// Exit 0.
    Pass,
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
        Command::Run(args) => run::run(args, run::Mode::Run),
        Command::Serve(args) => run::run(args, run::Mode::Serve),
    })
}

fn report_load_errors(errors: &[LoadError]) -> u8 {
    for e in errors {
        eprintln!("error: {e}");
    }
    eprintln!("{} error(s) in case files", errors.len());
    EXIT_USAGE
}

/// Case ids from a list file: one per line, blank lines and `#` comments ignored.
pub fn parse_id_list(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}
