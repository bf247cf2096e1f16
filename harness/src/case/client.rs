//! The client under test, for cases where peerspec plays the server: how to launch it and what
//! its exit status and output must be.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The client a server-role case tests.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// Shell command that runs the client. `{url}`, `{host}`, `{port}`, `{path}`, `{urls}` (the
    /// URLs of `path` and `more_paths`, space-separated) and `{ca_file}` (the PEM file of the CA
    /// that signed the fake server's certificate) are replaced.
    /// Left out: the run's `--client` template, or else peerspec prints the URL and waits for
    /// a client to connect.
    #[serde(default)]
    pub command: Option<String>,
    /// The path in `{url}` (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// More paths the client fetches after `path`, in order, listed with it in `{urls}`: for
    /// cases about several requests (connection reuse, concurrent streams). Such a case is
    /// skipped when the client command has no `{urls}`.
    #[serde(default)]
    pub more_paths: Vec<String>,
    /// Serve over TLS (`https://` in `{url}`) with a certificate made for the run; the client is
    /// given its CA as `{ca_file}`.
    #[serde(default)]
    pub tls: bool,
    /// Extra environment variables for the command.
    #[serde(default)]
    pub env: IndexMap<String, String>,
    /// What the client must do.
    #[serde(default)]
    pub expect: ClientExpect,
}

/// How the client must end. Everything left out is not checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientExpect {
    /// `success` (exit 0), `failure` (any non-zero exit, not a signal), or an exact code.
    #[serde(default)]
    pub exit: Option<ExitExpect>,
    /// Exactly this on standard output.
    #[serde(default)]
    pub stdout: Option<String>,
    /// Standard output must contain this.
    #[serde(default)]
    pub stdout_contains: Option<String>,
    /// Standard output must match this regular expression.
    #[serde(default)]
    pub stdout_match: Option<String>,
    /// Standard output, parsed as one JSON document, must equal this value (key order and
    /// whitespace do not matter; numbers compare by value).
    #[serde(default)]
    pub stdout_json: Option<serde_json::Value>,
    /// Standard output, read as JSON lines (one document per non-empty line), must equal this
    /// list: for clients that print what they receive as it arrives.
    #[serde(default)]
    pub stdout_json_lines: Option<Vec<serde_json::Value>>,
    /// Standard error must contain this.
    #[serde(default)]
    pub stderr_contains: Option<String>,
}

/// An expected exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged, expecting = "expected an exit status: success, failure, or a number (exit: 0)")]
pub enum ExitExpect {
    /// `success` or `failure`.
    Kind(ExitKind),
    /// This exact code.
    Code(i32),
}

/// Success or failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExitKind {
    /// Exit status 0: the transfer completed.
    Success,
    /// A non-zero exit status: the client noticed the transfer was broken.
    Failure,
}
