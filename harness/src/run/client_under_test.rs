//! The client under test, when peerspec plays the server: launching its command, collecting its
//! exit status and output (bounded), and judging them against the case.

use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::case::client::{ClientExpect, ExitExpect, ExitKind};
use crate::transcript::escape;

/// Most output kept from each of the client's stdout and stderr; the rest is counted.
pub const MAX_OUTPUT: usize = 1 << 20;

/// Output read from a pipe: the bytes kept and the total length.
type Captured = (Vec<u8>, usize);

/// A launched client.
pub struct RunningClient {
    /// The command line, as run.
    pub command: String,
    child: Child,
    /// The client's process group (its leader's pid), until it is ended.
    group: Option<i32>,
    stdout: JoinHandle<Captured>,
    stderr: JoinHandle<Captured>,
}

/// How the client ended.
#[derive(Debug, Clone)]
pub struct ClientOutcome {
    /// Exit code; `None` when killed by a signal or by peerspec.
    pub code: Option<i32>,
    /// peerspec killed it at the deadline.
    pub killed: bool,
    /// Standard output (kept part) and its full length.
    pub stdout: Captured,
    /// Standard error (kept part) and its full length.
    pub stderr: Captured,
    /// What peerspec did to end the client's process group when the case ended, if anything
    /// of it was still running (the client, or a process it started).
    pub ended: Option<String>,
}

/// Fills `{url}`, `{host}`, `{port}`, `{path}` in a command template.
pub fn fill(template: &str, url: &str, host: &str, port: u16, path: &str) -> String {
    template.replace("{url}", url).replace("{host}", host).replace("{port}", &port.to_string()).replace("{path}", path)
}

/// Starts `command` with `sh -c` in a process group of its own (for case `case`), output
/// piped; the whole group is ended when the case ends or the client is dropped.
pub fn launch(command: &str, env: &[(String, String)], case: &str) -> Result<RunningClient, String> {
    let mut command_line = Command::new("sh");
    #[cfg(unix)]
    command_line.process_group(0);
    let mut child = command_line
        .arg("-c")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the client `{command}`: {e}"))?;
    let group = child.id().and_then(|pid| i32::try_from(pid).ok()).filter(|_| cfg!(unix));
    if let Some(pgid) = group {
        super::group::register(pgid, case);
    }
    let stdout = tokio::spawn(capture(child.stdout.take()));
    let stderr = tokio::spawn(capture(child.stderr.take()));
    Ok(RunningClient { command: command.to_string(), child, group, stdout, stderr })
}

impl Drop for RunningClient {
    /// A case cancelled (Ctrl-C) or failed before [`RunningClient::finish`]: nothing of the
    /// client may outlive it.
    fn drop(&mut self) {
        if let Some(pgid) = self.group.take() {
            super::group::signal(pgid, super::group::SIGKILL);
            super::group::forget(pgid);
        }
    }
}

async fn capture(pipe: Option<impl AsyncRead + Unpin>) -> Captured {
    let Some(mut pipe) = pipe else { return (Vec::new(), 0) };
    let mut kept = Vec::new();
    let mut total = 0;
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        total += n;
        let room = MAX_OUTPUT.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    (kept, total)
}

impl RunningClient {
    /// Waits for the client to exit (it may already have).
    pub async fn exited(&mut self) -> Option<i32> {
        self.child.wait().await.ok().and_then(|s| s.code())
    }

    /// Waits until `deadline` for the client to exit, kills it after that, and collects output.
    pub async fn finish(mut self, deadline: Instant) -> ClientOutcome {
        let (code, killed) = match tokio::time::timeout_at(deadline, self.child.wait()).await {
            Ok(status) => (status.ok().and_then(|s| s.code()), false),
            Err(_) => (None, true),
        };
        let ended = self.end_group().await;
        if killed {
            let _ = self.child.kill().await;
        }
        // The pipes close when the client (and anything it started) exits; don't wait forever
        // for a grandchild that keeps them open.
        let grace = Instant::now() + std::time::Duration::from_millis(500);
        let stdout = tokio::time::timeout_at(grace, &mut self.stdout).await.ok().and_then(Result::ok).unwrap_or_default();
        let stderr = tokio::time::timeout_at(grace, &mut self.stderr).await.ok().and_then(Result::ok).unwrap_or_default();
        self.stdout.abort();
        self.stderr.abort();
        ClientOutcome { code, killed, stdout, stderr, ended }
    }

    /// Ends what is left of the client's process group: SIGTERM, then SIGKILL after
    /// [`super::group::GRACE`]; says what it did (`None`: nothing was left).
    async fn end_group(&mut self) -> Option<String> {
        use super::group::{signal, GRACE, SIGKILL, SIGTERM};
        let pgid = self.group.take()?;
        // Reaped first: the leader, once exited, is a zombie until then.
        let alive = |child: &mut Child| {
            let _ = child.try_wait();
            super::group::alive(pgid)
        };
        let mut what = None;
        if alive(&mut self.child) && signal(pgid, SIGTERM) {
            let until = Instant::now() + GRACE;
            let mut how = "SIGTERM";
            while alive(&mut self.child) {
                if Instant::now() >= until {
                    signal(pgid, SIGKILL);
                    how = "SIGTERM, then SIGKILL after 200 ms";
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            what = Some(format!("ended the client's process group {pgid} ({how})"));
        }
        super::group::forget(pgid);
        what
    }
}

impl ClientOutcome {
    /// One line for the transcript.
    pub fn describe(&self) -> String {
        let status = match (self.killed, self.code) {
            (true, _) => "did not exit before the case's deadline and was killed".to_string(),
            (false, Some(c)) => format!("exited with status {c}"),
            (false, None) => "was ended by a signal".to_string(),
        };
        let ended = self.ended.as_deref().map(|e| format!("; {e}")).unwrap_or_default();
        format!(
            "client {status}; stdout {} B {}; stderr {} B {}{ended}",
            self.stdout.1,
            escape(&self.stdout.0, 200),
            self.stderr.1,
            escape(&self.stderr.0, 200)
        )
    }
}

/// Every way the client's ending differs from `expect`.
pub fn judge(expect: &ClientExpect, outcome: &ClientOutcome) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.killed {
        problems.push("  client: expected it to exit, but it was still running at the deadline".to_string());
        return problems;
    }
    if let Some(exit) = expect.exit {
        let ok = match (exit, outcome.code) {
            (ExitExpect::Kind(ExitKind::Success), Some(0)) => true,
            (ExitExpect::Kind(ExitKind::Failure), Some(c)) => c != 0,
            (ExitExpect::Code(want), Some(c)) => c == want,
            _ => false,
        };
        if !ok {
            let want = match exit {
                ExitExpect::Kind(ExitKind::Success) => "success (0)".to_string(),
                ExitExpect::Kind(ExitKind::Failure) => "failure (non-zero)".to_string(),
                ExitExpect::Code(c) => c.to_string(),
            };
            let saw = outcome.code.map_or("a signal".to_string(), |c| c.to_string());
            problems.push(format!("  client exit status: expected {want}, saw {saw}"));
        }
    }
    let stdout = &outcome.stdout.0;
    if let Some(want) = &expect.stdout {
        if stdout != want.as_bytes() {
            problems.push(format!("  client stdout: expected {}, saw {}", escape(want.as_bytes(), 200), escape(stdout, 200)));
        }
    }
    if let Some(part) = &expect.stdout_contains {
        if !String::from_utf8_lossy(stdout).contains(part.as_str()) {
            problems.push(format!("  client stdout: expected to contain {part:?}, saw {}", escape(stdout, 200)));
        }
    }
    if let Some(pattern) = &expect.stdout_match {
        match regex::bytes::Regex::new(pattern) {
            Ok(re) if re.is_match(stdout) => {}
            Ok(_) => problems.push(format!("  client stdout: expected a match for /{pattern}/, saw {}", escape(stdout, 200))),
            Err(e) => problems.push(format!("  client stdout: invalid pattern: {e}")),
        }
    }
    if let Some(want) = &expect.stdout_json {
        match serde_json::from_slice::<serde_json::Value>(stdout) {
            Ok(saw) if json_equal(&saw, want) => {}
            Ok(saw) => problems.push(format!("  client stdout (JSON): expected {want}, saw {saw}")),
            Err(e) => {
                problems.push(format!("  client stdout: expected the JSON {want}, but it is not JSON ({e}): {}", escape(stdout, 200)))
            }
        }
    }
    if let Some(want) = &expect.stdout_json_lines {
        let lines = stdout.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        let saw: Result<Vec<serde_json::Value>, String> = lines
            .enumerate()
            .map(|(i, l)| serde_json::from_slice(l).map_err(|e| format!("line {} is not JSON ({e}): {}", i + 1, escape(l, 200))))
            .collect();
        match saw {
            Ok(saw) if saw.len() == want.len() && saw.iter().zip(want).all(|(s, w)| json_equal(s, w)) => {}
            Ok(saw) => problems.push(json_lines_difference(want, &saw)),
            Err(e) => problems.push(format!("  client stdout (JSON lines): {e}")),
        }
    }
    if let Some(part) = &expect.stderr_contains {
        if !String::from_utf8_lossy(&outcome.stderr.0).contains(part.as_str()) {
            problems.push(format!("  client stderr: expected to contain {part:?}, saw {}", escape(&outcome.stderr.0, 200)));
        }
    }
    problems
}

/// JSON equality where numbers compare by value (`1` equals `1.0`), as a person reading the case
/// expects; everything else is `serde_json`'s structural equality.
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64().is_some_and(|x| y.as_f64() == Some(x)),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w))),
        _ => a == b,
    }
}

/// Where the JSON lines a client printed first differ from the expected ones.
fn json_lines_difference(want: &[serde_json::Value], saw: &[serde_json::Value]) -> String {
    match want.iter().zip(saw).position(|(w, s)| !json_equal(s, w)) {
        Some(i) => format!("  client stdout (JSON lines): line {} expected {}, saw {}", i + 1, want[i], saw[i]),
        None => format!("  client stdout (JSON lines): expected {} lines, saw {}", want.len(), saw.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(stdout: &str) -> ClientOutcome {
        ClientOutcome {
            code: Some(0),
            killed: false,
            stdout: (stdout.as_bytes().to_vec(), stdout.len()),
            stderr: (Vec::new(), 0),
            ended: None,
        }
    }

    #[test]
    fn stdout_json_ignores_layout_and_key_order() {
        let expect = ClientExpect { stdout_json: Some(json!({"a": 1, "b": [true, "x"]})), ..Default::default() };
        assert!(judge(&expect, &outcome("{ \"b\": [true, \"x\"],\n \"a\": 1.0 }\n")).is_empty());
        let problems = judge(&expect, &outcome(r#"{"a": 2, "b": [true, "x"]}"#));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(judge(&expect, &outcome("not json"))[0].contains("not JSON"));
    }

    #[test]
    fn stdout_json_lines_name_the_first_differing_line() {
        let expect = ClientExpect { stdout_json_lines: Some(vec![json!({"data": "a"}), json!({"data": "b"})]), ..Default::default() };
        assert!(judge(&expect, &outcome("{\"data\":\"a\"}\n\n{\"data\":\"b\"}\n")).is_empty());
        let problems = judge(&expect, &outcome("{\"data\":\"a\"}\n{\"data\":\"c\"}\n"));
        assert!(problems[0].contains("line 2"), "{problems:?}");
        let problems = judge(&expect, &outcome("{\"data\":\"a\"}\n"));
        assert!(problems[0].contains("expected 2 lines, saw 1"), "{problems:?}");
    }
}
