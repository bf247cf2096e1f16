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
    let o = peerspec(&["serve", "cases/client/http1/truncation.yaml", "fin-before-content-length", "--client", &format!("bash -c \"{client}\"")]);
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
