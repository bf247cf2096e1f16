//! peerspec as the fake server: the built-in HTTP/1.x client suite against curl (a real client),
//! and clients that misbehave.

use std::process::{Command, Output};

fn peerspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn the_http1_client_suite_against_curl_fails_only_where_curl_breaks_a_rule() {
    let o = peerspec(&[
        "serve",
        "cases/client/http1",
        "--client",
        "curl -sS --cacert {ca_file} {url}",
        "--known-failures",
        "ci/curl/known-failures.txt",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("1 failed as listed"), "{out}");
    assert!(out.contains("client/http1.1/fin-before-content-length ... ok"), "{out}");
}

#[test]
fn a_client_that_reports_success_on_a_truncated_body_fails_the_case() {
    // `cat` of what it got, exit 0: the contract's "non-zero when truncated" is broken.
    let client = "exec 3<>/dev/tcp/{host}/{port}; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; cat <&3; exit 0";
    let o = peerspec(&[
        "serve",
        "cases/client/http1/truncation.yaml",
        "fin-before-content-length",
        "--client",
        &format!("bash -c \"{client}\""),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("client exit status: expected failure (non-zero), saw 0"), "{out}");
}

#[test]
fn a_client_that_never_connects_or_exits_at_once_fails_with_the_reason() {
    let o = peerspec(&["serve", "cases/client/http1/bodies.yaml", "content-length-body", "--client", "exit 3"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("the client exited (status 3) instead of connecting"), "{out}");
    let o = peerspec(&["serve", "cases/client/http1/bodies.yaml", "content-length-body", "--client", "sleep 30", "--timeout", "500ms"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("timed out waiting for the client to connect"), "{out}");
    assert!(out.contains("killed"), "{out}");
}

/// Runs a file of two server-role cases: `misbehaving`, whose client is `client` (a bash
/// script), then `good`, fetched by curl. Returns the exit status and the output.
fn serve_with_a_misbehaving_client(client: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let bash = format!("bash -c \"{client}\"").replace('\'', "''");
    let yaml = format!(
        "id: misbehaving\nprotocol: http/1.1\nrole: server\nclient:\n  command: '{bash}'\n  expect: {{ exit: success, stdout_contains: ok }}\n\
         steps:\n  - expect: {{ request: {{ method: GET }} }}\n  - send: {{ response: {{ body: ok }} }}\n---\n\
         id: good\nprotocol: http/1.1\nrole: server\nclient:\n  command: 'curl -sS {{url}}'\n  expect: {{ exit: success, stdout: ok }}\n\
         steps:\n  - expect: {{ request: {{ method: GET }} }}\n  - send: {{ response: {{ body: ok }} }}\n"
    );
    let path = dir.path().join("cases.yaml");
    std::fs::write(&path, yaml).unwrap();
    let o = peerspec(&["serve", path.to_str().unwrap(), "--timeout", "2s", "--jobs", "1"]);
    (o.status.code(), text(&o))
}

#[test]
fn a_client_that_disconnects_mid_request_fails_its_case_and_the_next_case_is_served() {
    let (code, out) =
        serve_with_a_misbehaving_client("exec 3<>/dev/tcp/{host}/{port}; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n' >&3; exit 0");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("case misbehaving ... FAILED") && out.contains("case good ... ok"), "{out}");
    assert!(out.contains("step 1 (expect request)") && out.contains("incomplete request head"), "{out}");
}

#[test]
fn a_client_that_disconnects_after_its_request_fails_its_case_and_the_next_case_is_served() {
    // The request is whole, then the client leaves without reading the response.
    let (code, out) = serve_with_a_misbehaving_client(
        "exec 3<>/dev/tcp/{host}/{port}; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; exec 3>&-; exit 0",
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("case misbehaving ... FAILED") && out.contains("case good ... ok"), "{out}");
    assert!(out.contains("the client under test") && out.contains("stdout"), "{out}");
}

#[test]
fn a_client_that_connects_twice_does_not_break_the_case_or_the_run() {
    // The first connection carries the request; a second one, opened while the case runs, sends
    // another request nobody asked for. peerspec serves the first and the case passes.
    let client = "exec 3<>/dev/tcp/{host}/{port}; exec 4<>/dev/tcp/{host}/{port}; \
                  printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; printf 'GET /second HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&4; \
                  timeout 5 head -c 40 <&3";
    let (code, out) = serve_with_a_misbehaving_client(client);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("case misbehaving ... ok") && out.contains("case good ... ok"), "{out}");
}

#[test]
fn a_client_that_sends_garbage_fails_its_case_with_the_offset_and_the_next_case_is_served() {
    let (code, out) =
        serve_with_a_misbehaving_client("exec 3<>/dev/tcp/{host}/{port}; printf 'SSH-2.0-OpenSSH_9.2\\r\\n\\r\\n' >&3; sleep 1");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("case misbehaving ... FAILED") && out.contains("case good ... ok"), "{out}");
    assert!(out.contains("step 1 (expect request)") && out.contains("at byte 0"), "{out}");
}

#[test]
fn a_client_that_never_connects_fails_its_case_and_the_next_case_is_served() {
    let (code, out) = serve_with_a_misbehaving_client("sleep 30");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("case misbehaving ... FAILED") && out.contains("case good ... ok"), "{out}");
    assert!(out.contains("timed out waiting for the client to connect") && out.contains("killed"), "{out}");
}

#[test]
fn a_client_flooding_a_request_body_is_read_through_to_the_timeout_and_counted() {
    // An endless Content-Length body: peerspec reads it through a bounded buffer, keeps what
    // --max-body-kept allows, and the case ends at its timeout saying how far the body got.
    let client = "exec 3<>/dev/tcp/{host}/{port}; printf 'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 99999999999\\r\\n\\r\\n' >&3; timeout 5 cat /dev/zero >&3";
    let dir = tempfile::tempdir().unwrap();
    let bash = format!("bash -c \"{client}\"").replace('\'', "''");
    let yaml = format!(
        "id: flood\nprotocol: http/1.1\nrole: server\nclient:\n  command: '{bash}'\nsteps:\n  - expect: {{ request: {{ method: POST }} }}\n  - send: {{ response: {{ body: ok }} }}\n"
    );
    let path = dir.path().join("flood.yaml");
    std::fs::write(&path, yaml).unwrap();
    let o = peerspec(&["serve", path.to_str().unwrap(), "--timeout", "1500ms", "--max-body-kept", "1KiB"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("timed out waiting for the client's request: POST / received, body incomplete after"), "{out}");
    assert!(out.contains("(1024 of them kept, --max-body-kept; the rest counted and dropped)"), "{out}");
    let received: u64 = out.split("body incomplete after ").nth(1).and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(received > peerspec::internals::MAX_BUFFERED as u64, "more than the unread-input cap went by: {received}");
}
