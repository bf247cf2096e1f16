//! Targets peerspec runs against: a URL the user names, or the built-in reference server.

pub mod builtin;
pub mod probe;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::run::RunConfig;
use crate::transport::{tls_config, Endpoint, TlsOptions};

/// The capability of a WebSocket endpoint (at the `ws://` URL, or at `--ws-path` of an http
/// target that declares `--provides websocket`), which WebSocket cases require.
pub const WEBSOCKET: &str = "websocket";

/// The built-in target's own known deviations (hyper/h2 bugs), in the known-failures format
/// (see [`crate::known_failures`]): a run against the built-in target shows them as expected
/// failures with their reason, unless `--known-failures` names another list.
pub const BUILTIN_KNOWN_FAILURES: &str = include_str!("known-failures.txt");

/// What the user said about the target, before it is resolved.
#[derive(Debug, Clone)]
pub struct TargetOptions {
    /// `builtin`, or a URL (`http://host:port/path`, `https://…`).
    pub target: String,
    /// Base path for `{path}`; default: the URL's path, else `/`.
    pub path: Option<String>,
    /// Request target of WebSocket handshakes for `http(s)://` and built-in targets (default
    /// `/ws`); a `ws(s)://` URL's own path is used for those.
    pub ws_path: Option<String>,
    /// Capabilities an external target declares.
    pub provides: Vec<String>,
    /// Certificate verification settings.
    pub tls: TlsOptions,
    /// Default case timeout.
    pub timeout: Duration,
    /// Cases run at once.
    pub jobs: usize,
    /// Count SHOULD / MAY failures as failures.
    pub strict: bool,
    /// Where server-role cases listen.
    pub listen: std::net::SocketAddr,
    /// Client command template for server-role cases.
    pub client_command: Option<String>,
    /// Limits on what peerspec keeps of a peer's input.
    pub caps: crate::run::Caps,
}

impl TargetOptions {
    /// Options for `target` with the command line's defaults.
    pub fn new(target: &str) -> Self {
        TargetOptions {
            target: target.to_string(),
            path: None,
            ws_path: None,
            provides: Vec::new(),
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(5),
            jobs: 8,
            strict: false,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            client_command: None,
            caps: Default::default(),
        }
    }
}

/// A resolved target: the run configuration, and the built-in server when that is the target
/// (it serves for as long as this value lives).
pub struct ResolvedTarget {
    /// How to run cases against it.
    pub config: RunConfig,
    /// The built-in server, if it is the target.
    pub builtin: Option<builtin::BuiltinTarget>,
}

/// Starts the built-in server or parses the URL. Errors are usage errors.
pub async fn resolve(options: &TargetOptions) -> Result<ResolvedTarget, String> {
    let connect_timeout = options.timeout;
    let mut builtin_server = None;
    let mut ws_url_path = None;
    let (endpoint, url_path, name) = if options.target == "builtin" {
        let server = builtin::BuiltinTarget::start().await.map_err(|e| format!("cannot start the built-in target: {e}"))?;
        let addr = server.addr();
        let name = format!("builtin ({})", server.url());
        builtin_server = Some(server);
        let endpoint = Endpoint { host: addr.ip().to_string(), port: addr.port(), tls: None, connect_timeout };
        (endpoint, "/".to_string(), name)
    } else {
        let url = url::Url::parse(&options.target).map_err(|e| format!("invalid target {:?}: {e}", options.target))?;
        let tls = match url.scheme() {
            "http" => None,
            "https" => Some(tls_config(&options.tls, &["http/1.1"])?),
            // WebSocket targets: the handshake goes to the URL's path (with its query).
            "ws" | "wss" => {
                let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
                ws_url_path = Some(format!("{}{query}", url.path()));
                (url.scheme() == "wss").then(|| tls_config(&options.tls, &["http/1.1"])).transpose()?
            }
            other => return Err(format!("unsupported target scheme {other:?}: use http://, https://, ws://, wss:// (or builtin)")),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string(),
            None => return Err(format!("target {:?} has no host", options.target)),
        };
        let port = url.port_or_known_default().ok_or("target has no port")?;
        (Endpoint { host, port, tls, connect_timeout }, url.path().to_string(), options.target.clone())
    };
    let provides = if builtin_server.is_some() {
        None
    } else {
        let mut declared = options.provides.iter().cloned().collect::<BTreeSet<_>>();
        // A ws:// or wss:// target is a WebSocket server: the cases that require one apply.
        if ws_url_path.is_some() {
            declared.insert(WEBSOCKET.to_string());
        }
        Some(declared)
    };
    let config = RunConfig {
        endpoint,
        target_name: name,
        base_path: options.path.clone().unwrap_or(url_path),
        ws_path: ws_url_path.or_else(|| options.ws_path.clone()).unwrap_or_else(|| "/ws".into()),
        provides,
        client_provides: options.provides.iter().cloned().collect(),
        default_timeout: options.timeout,
        jobs: options.jobs,
        strict: options.strict,
        listen: options.listen,
        client_command: options.client_command.clone(),
        caps: options.caps,
    };
    Ok(ResolvedTarget { config, builtin: builtin_server })
}
