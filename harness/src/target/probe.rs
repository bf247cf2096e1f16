//! Before a run against a URL: one check that the target is there and answers its protocol, and
//! the choice of the suites that fit it (nextest's "no tests to run" spirit: a run that cannot
//! test anything says so once, instead of failing every case the same way).
//!
//! - `ws://`, `wss://`: the WebSocket suites; the check is one opening handshake (any HTTP
//!   answer counts).
//! - `http://`: the HTTP/1.x suites (SSE over HTTP/1 among them) when `HEAD /` gets an HTTP/1.x
//!   answer, and the HTTP/2 suites when the target answers the HTTP/2 connection preface (plus
//!   an empty SETTINGS frame) with a SETTINGS frame.
//! - `https://`: the same, HTTP/2 chosen by ALPN (`h2` offered and chosen).
//!
//! The two exchanges of an http(s) target run at once, each on its own connection, each bounded
//! by a short deadline, so a dead target is told within a second and a silent one within
//! [`ANSWER_DEADLINE`].

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::case::Protocol;
use crate::transport::{Endpoint, Stream};

/// How long connecting (TCP and TLS) may take in the check.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(3);
/// How long the target has to answer the check's request.
pub const ANSWER_DEADLINE: Duration = Duration::from_secs(3);

/// A family of suites as the target choice sees it (by the cases' wire protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// HTTP/1.0 and HTTP/1.1 cases (SSE over HTTP/1 included).
    Http1,
    /// HTTP/2 cases (SSE over HTTP/2 included).
    H2,
    /// WebSocket cases.
    WebSocket,
}

impl Suite {
    /// The suite of a case protocol.
    pub fn of(protocol: Protocol) -> Suite {
        match protocol {
            Protocol::Http10 | Protocol::Http11 => Suite::Http1,
            Protocol::H2 => Suite::H2,
            Protocol::Ws => Suite::WebSocket,
        }
    }

    /// The `--only` word that takes this suite.
    pub fn only_word(self) -> &'static str {
        match self {
            Suite::Http1 => "http1",
            Suite::H2 => "h2",
            Suite::WebSocket => "ws",
        }
    }
}

/// Which suites a run takes, and why: one decision per suite.
#[derive(Debug, Clone, Default)]
pub struct SuiteChoice {
    /// `(suite, runs, why)`, in a fixed order.
    pub decisions: Vec<(Suite, bool, String)>,
}

impl SuiteChoice {
    /// Every suite (the built-in target, or an explicit choice).
    pub fn all(why: &str) -> SuiteChoice {
        SuiteChoice { decisions: [Suite::Http1, Suite::H2, Suite::WebSocket].map(|s| (s, true, why.to_string())).to_vec() }
    }

    /// Whether cases of `protocol` run.
    pub fn takes(&self, protocol: Protocol) -> bool {
        let suite = Suite::of(protocol);
        self.decisions.iter().any(|(s, runs, _)| *s == suite && *runs)
    }

    /// The lines printed at the start of a run (on stderr), one per suite:
    /// `h2: not run — the target did not answer …; --only h2 runs it anyway`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (suite, runs, why) in &self.decisions {
            let word = suite.only_word();
            if *runs {
                out.push_str(&format!("  {word}: run — {why}\n"));
            } else {
                out.push_str(&format!("  {word}: not run — {why}; --only {word} runs it anyway\n"));
            }
        }
        out
    }
}

/// What one exchange of the check saw.
#[derive(Debug)]
enum Seen {
    /// The connection (TCP or TLS) could not be made.
    NoConnection(String),
    /// Connected, then nothing within the deadline.
    Silent,
    /// Connected, then the peer closed without a byte.
    Closed,
    /// Some bytes (the first ones) and the ALPN protocol chosen.
    Answer(Vec<u8>, Option<Vec<u8>>),
}

/// Connects and sends `request`; returns what came back first.
async fn exchange(endpoint: &Endpoint, request: &[u8], want: usize) -> Seen {
    let deadline = Instant::now() + CONNECT_DEADLINE;
    let mut stream = match endpoint.connect_by(deadline).await {
        Ok(s) => s,
        Err(e) => return Seen::NoConnection(e.to_string()),
    };
    let alpn = stream.alpn();
    let answer_by = Instant::now() + ANSWER_DEADLINE;
    if tokio::time::timeout_at(answer_by, stream.write_all(request)).await.is_err() {
        return Seen::Silent;
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout_at(answer_by, stream.read(&mut buf)).await {
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.len() >= want {
                    break;
                }
            }
        }
    }
    drop_quietly(stream);
    match got.is_empty() {
        true if Instant::now() >= answer_by => Seen::Silent,
        true => Seen::Closed,
        false => Seen::Answer(got, alpn),
    }
}

/// Closes without waiting on the peer (a TLS close_notify to a silent peer must not block).
fn drop_quietly(stream: Stream) {
    drop(stream);
}

/// The HTTP/2 connection preface (RFC 9113 §3.4) and an empty SETTINGS frame.
const H2_PREFACE_AND_SETTINGS: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// Whether `bytes` start with a SETTINGS frame (type 4) on stream 0.
fn starts_with_settings(bytes: &[u8]) -> bool {
    bytes.len() >= 9 && bytes[3] == 0x04 && bytes[5..9] == [0, 0, 0, 0]
}

/// The first line of an answer, for messages.
fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line).trim_end().to_string();
    if text.chars().all(|c| !c.is_control()) && !text.is_empty() {
        text.chars().take(80).collect()
    } else {
        format!("{} bytes that are not text", bytes.len())
    }
}

/// A hint for a connection error: what the user can do about it (TLS hints come with the
/// handshake error itself, from [`crate::transport`]).
fn hint_for(error: &str) -> &'static str {
    if error.contains("Connection refused") {
        " (is the server running, on this port?)"
    } else {
        ""
    }
}

/// Checks an http(s) or ws(s) target once and chooses its suites. `scheme` is the URL's;
/// `ws_declared` says `--provides websocket` was given (an http target with a WebSocket
/// endpoint at `--ws-path`). An `Err` is the one message of a target that cannot be tested.
pub async fn check_target(endpoint: &Endpoint, scheme: &str, ws_path: &str, ws_declared: bool) -> Result<SuiteChoice, String> {
    let authority = endpoint.authority();
    let name = format!("{scheme}://{authority}");
    let unreachable = |e: &str| format!("cannot reach the target {name}: {e}{}", hint_for(e));
    if scheme == "ws" || scheme == "wss" {
        let request = format!(
            "GET {ws_path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        let why = match exchange(endpoint, request.as_bytes(), 12).await {
            Seen::NoConnection(e) => return Err(unreachable(&e)),
            Seen::Silent => return Err(silent(&name, &format!("a WebSocket opening handshake (GET {ws_path})"))),
            Seen::Closed => {
                return Err(format!(
                    "the target {name} closed the connection without answering a WebSocket opening handshake (GET {ws_path})"
                ))
            }
            Seen::Answer(bytes, _) => format!("a {scheme}:// target (it answered the opening handshake with {})", first_line(&bytes)),
        };
        let not_ws = format!("a {scheme}:// target is a WebSocket endpoint");
        return Ok(SuiteChoice {
            decisions: vec![(Suite::Http1, false, not_ws.clone()), (Suite::H2, false, not_ws), (Suite::WebSocket, true, why)],
        });
    }
    let tls = scheme == "https";
    let head = format!("HEAD / HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    let h2_endpoint = if tls { endpoint.with_alpn(&["h2", "http/1.1"]) } else { endpoint.clone() };
    let (http1, h2) = tokio::join!(exchange(endpoint, head.as_bytes(), 16), exchange(&h2_endpoint, H2_PREFACE_AND_SETTINGS, 9));
    let mut decisions = Vec::new();
    match &http1 {
        Seen::Answer(bytes, _) if bytes.starts_with(b"HTTP/1.") => {
            decisions.push((Suite::Http1, true, format!("the target answered HEAD / with {}", first_line(bytes))))
        }
        Seen::Answer(bytes, _) => {
            decisions.push((Suite::Http1, false, format!("the target answered HEAD / with {}, not HTTP/1.x", first_line(bytes))))
        }
        Seen::Silent => decisions.push((Suite::Http1, false, format!("the target did not answer HEAD / within {ANSWER_DEADLINE:?}"))),
        Seen::Closed => decisions.push((Suite::Http1, false, "the target closed the connection without answering HEAD /".to_string())),
        Seen::NoConnection(e) => decisions.push((Suite::Http1, false, format!("no HTTP/1.1 connection: {e}"))),
    }
    let h2_runs = match &h2 {
        Seen::Answer(bytes, alpn) if tls => match alpn.as_deref() {
            Some(b"h2") if starts_with_settings(bytes) => {
                Ok("the target chose h2 by ALPN and answered the connection preface with SETTINGS".to_string())
            }
            Some(b"h2") => Err("the target chose h2 by ALPN but did not answer the connection preface with SETTINGS".to_string()),
            Some(other) => Err(format!("the target chose {} by ALPN, not h2", String::from_utf8_lossy(other))),
            None => Err("the target chose no protocol by ALPN (h2 was offered)".to_string()),
        },
        Seen::Answer(bytes, _) if starts_with_settings(bytes) => {
            Ok("the target answered the HTTP/2 connection preface with SETTINGS".to_string())
        }
        Seen::Answer(bytes, _) => Err(format!("the target did not answer the HTTP/2 connection preface (it sent {})", first_line(bytes))),
        Seen::Silent | Seen::Closed | Seen::NoConnection(_) => Err("the target did not answer the HTTP/2 connection preface".to_string()),
    };
    match h2_runs {
        Ok(why) => decisions.push((Suite::H2, true, why)),
        Err(why) => decisions.push((Suite::H2, false, why)),
    }
    if decisions.iter().all(|(_, runs, _)| !runs) {
        return Err(match (http1, h2) {
            (Seen::NoConnection(e), _) => unreachable(&e),
            (Seen::Silent, _) => silent(&name, "HEAD / nor the HTTP/2 connection preface"),
            (Seen::Answer(bytes, _), _) => {
                format!(
                    "the target {name} answered HEAD / with {} and did not answer the HTTP/2 connection preface: is it an HTTP server?",
                    first_line(&bytes)
                )
            }
            (Seen::Closed, _) => {
                format!("the target {name} closed the connection without answering HEAD / or the HTTP/2 connection preface")
            }
        });
    }
    decisions.push(if ws_declared {
        (Suite::WebSocket, true, "--provides websocket (handshakes go to --ws-path)".to_string())
    } else {
        (
            Suite::WebSocket,
            false,
            format!("an {scheme}:// target; give the WebSocket endpoint as ws://… (or --provides websocket with --ws-path)"),
        )
    });
    Ok(SuiteChoice { decisions })
}

fn silent(name: &str, what: &str) -> String {
    format!(
        "the target {name} accepted the connection but did not answer {what} within {} s: is it the right port, and the right protocol?",
        ANSWER_DEADLINE.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settings_frame_is_recognised_and_other_bytes_are_not() {
        assert!(starts_with_settings(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"));
        assert!(!starts_with_settings(b"HTTP/1.0 400 Bad request\r\n"));
        assert!(!starts_with_settings(b"\x00\x00\x08\x07\x00\x00\x00\x00\x00"), "GOAWAY is not SETTINGS");
        assert_eq!(first_line(b"HTTP/1.0 200 OK\r\nServer: x\r\n"), "HTTP/1.0 200 OK");
        assert_eq!(first_line(b"\x00\x00\x00\x04"), "4 bytes that are not text");
    }

    #[test]
    fn a_choice_says_why_and_how_to_override() {
        let choice = SuiteChoice {
            decisions: vec![
                (Suite::Http1, true, "answered".into()),
                (Suite::H2, false, "the target did not answer the HTTP/2 connection preface".into()),
            ],
        };
        assert!(choice.takes(Protocol::Http11) && !choice.takes(Protocol::H2) && !choice.takes(Protocol::Ws));
        assert!(choice
            .describe()
            .contains("h2: not run — the target did not answer the HTTP/2 connection preface; --only h2 runs it anyway"));
    }
}
