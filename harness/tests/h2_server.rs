//! peerspec as an HTTP/2 fake server against a small client built on the `h2` crate: the
//! truncation cases of `cases/client/h2` must catch a deliberately broken client that reports
//! success on a truncated body, and pass an honest one.
//!
//! The client under test is this test binary itself, started again by `peerspec serve` with
//! [`CLIENT_MODE`] set, so it runs as a separate process judged by its exit status like any real
//! client (see [`client_entry_point`]).

use std::process::{Command, Output};
use std::time::Duration;

/// Set in the client's environment: `broken` or `honest`.
const CLIENT_MODE: &str = "PEERSPEC_TEST_H2_CLIENT_MODE";
/// Set in the client's environment: the URL to fetch.
const CLIENT_URL: &str = "PEERSPEC_TEST_H2_CLIENT_URL";

/// Fetches `url` over h2c with prior knowledge; writes what arrived of the body to stdout.
/// Returns the exit status: the broken client says 0 whatever went wrong, the honest one 1 on
/// any error (a reset, a connection closed before END_STREAM, a content-length mismatch).
async fn fetch(url: &str, broken: bool) -> i32 {
    use std::io::Write;
    let mut body = Vec::new();
    let outcome: Result<(), String> = async {
        let authority = url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string();
        let tcp = tokio::net::TcpStream::connect(&authority).await.map_err(|e| e.to_string())?;
        let (mut client, connection) = h2::client::handshake(tcp).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let request = hyper::http::Request::get(url).body(()).map_err(|e| e.to_string())?;
        let (response, _) = client.send_request(request, true).map_err(|e| e.to_string())?;
        let mut stream = response.await.map_err(|e| e.to_string())?.into_body();
        // Bounded: the body of a test case is a few frames.
        for _ in 0..10_000 {
            match stream.data().await {
                Some(Ok(bytes)) => {
                    let _ = stream.flow_control().release_capacity(bytes.len());
                    body.extend_from_slice(&bytes);
                }
                Some(Err(e)) => return Err(e.to_string()),
                None => return Ok(()),
            }
        }
        Err("too many DATA frames".into())
    }
    .await;
    let _ = std::io::stdout().write_all(&body);
    let _ = std::io::stdout().flush();
    match outcome {
        Ok(()) => 0,
        // The bug this tool exists to catch: a broken transfer reported as a success.
        Err(_) if broken => 0,
        Err(e) => {
            eprintln!("h2 client: {e}");
            1
        }
    }
}

/// Not a test by itself: when peerspec starts this binary as the client under test
/// ([`CLIENT_MODE`] set), this is the client; otherwise it returns at once.
#[test]
fn client_entry_point() {
    let Ok(mode) = std::env::var(CLIENT_MODE) else { return };
    let url = std::env::var(CLIENT_URL).expect("the URL comes with the mode");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let code = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(8), fetch(&url, mode == "broken")).await.unwrap_or(if mode == "broken" { 0 } else { 1 })
    });
    std::process::exit(code);
}

fn serve_truncation_cases(mode: &str) -> (Output, serde_json::Value) {
    let exe = std::env::current_exe().unwrap();
    let client = format!("{CLIENT_MODE}={mode} {CLIENT_URL}={{url}} '{}' client_entry_point --exact --test-threads=1", exe.display());
    let report = tempfile::NamedTempFile::new().unwrap();
    let report_path = report.path().to_str().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["serve", "cases/client/h2/truncation.yaml", "--jobs", "2", "--timeout", "10s", "--client", &client, "--json", &report_path])
        .output()
        .expect("the binary runs");
    let json = serde_json::from_slice(&std::fs::read(report.path()).unwrap()).unwrap();
    (output, json)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn every_truncation_case_catches_a_client_that_reports_success_on_a_broken_transfer() {
    let (output, report) = serve_truncation_cases("broken");
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let cases = report["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "{out}");
    for case in cases {
        assert_eq!(case["status"], "failed", "{}: {out}", case["id"]);
        let message = case["message"].as_str().unwrap_or_default();
        assert!(message.contains("client exit status: expected failure (non-zero), saw 0"), "{}: {message}", case["id"]);
    }
}

#[test]
fn an_honest_h2_client_passes_every_truncation_case() {
    let (output, report) = serve_truncation_cases("honest");
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let cases = report["cases"].as_array().unwrap();
    assert!(cases.len() >= 10 && cases.iter().all(|c| c["status"] == "passed"), "{out}");
}

#[test]
fn over_tls_a_client_that_does_not_offer_h2_fails_with_the_reason() {
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        // --strict: the case is at level may (its rule has no BCP 14 keyword); the reason is the point.
        .args(["serve", "cases/client/h2/tls.yaml", "alpn-h2-body", "--strict", "--client", "curl -sS --http1.1 --cacert {ca_file} {url}"])
        .output()
        .expect("the binary runs");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("offered no ALPN protocol the fake server serves"), "{out}");
}

#[test]
fn cases_about_several_requests_need_urls_and_concurrency_needs_provides() {
    let run = |client: &str, provides: &[&str]| {
        let report = tempfile::NamedTempFile::new().unwrap();
        let mut args = vec!["serve", "cases/client/h2/streams.yaml", "--client", client, "--json", report.path().to_str().unwrap()];
        args.extend(provides);
        let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args(&args)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(report.path()).unwrap()).unwrap();
        (o, json["cases"].as_array().unwrap().clone())
    };
    // One URL only: every case of the file is skipped, none is failed; a run that tested
    // nothing exits 4 (--no-cases).
    let (o, cases) = run("true {url}", &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(cases.iter().all(|c| c["status"] == "skipped"), "{cases:?}");
    assert!(
        cases
            .iter()
            .filter(|c| !c["id"].as_str().unwrap().contains("interleaved"))
            .all(|c| c["message"].as_str().unwrap().contains("{urls}")),
        "{cases:?}"
    );
    // {urls} without --provides: the concurrent-streams cases are skipped; the rest run (and fail: `true` never connects).
    let (_, cases) = run("true {urls}", &[]);
    for c in &cases {
        let concurrent = c["id"].as_str().unwrap().contains("interleaved");
        assert_eq!(c["status"], if concurrent { "skipped" } else { "failed" }, "{c:?}");
    }
    let (_, cases) = run("true {urls}", &["--provides", "h2-concurrent-requests"]);
    assert!(cases.iter().all(|c| c["status"] == "failed"), "{cases:?}");
}

/// Runs one case of `cases/client/h2/bodies.yaml` with `client` (a `bash -c` script speaking to
/// `/dev/tcp/{host}/{port}`); returns the exit status and the output.
fn serve_one(case: &str, client: &str) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        // --strict: the bodies cases are at level may (their rule has no BCP 14 keyword).
        .args([
            "serve",
            "cases/client/h2/bodies.yaml",
            case,
            "--exact",
            "--strict",
            "--timeout",
            "3s",
            "--client",
            &format!("bash -c \"{client}\""),
        ])
        .output()
        .expect("the binary runs");
    (o.status.code(), text(&o))
}

const PREFACE: &str = "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n";

#[test]
fn misbehaving_clients_fail_the_case_with_the_reason_never_a_hang() {
    let case = "client/h2/end-stream-on-last-data";
    // HTTP/1.1 instead of HTTP/2.
    let (code, out) = serve_one(case, "exec 3<>/dev/tcp/{host}/{port}; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; sleep 1");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("did not start with the HTTP/2 connection preface") && out.contains("an HTTP/1.x request"), "{out}");
    // The preface, then a PING where SETTINGS must come.
    let (code, out) = serve_one(
        case,
        &format!("exec 3<>/dev/tcp/{{host}}/{{port}}; printf '{PREFACE}\\0\\0\\10\\6\\0\\0\\0\\0\\0abcdefgh' >&3; sleep 1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("first frame after the preface must be SETTINGS"), "{out}");
    // SETTINGS, then a frame header announcing 16 MiB - 1 (more than SETTINGS_MAX_FRAME_SIZE).
    let settings = "\\0\\0\\0\\4\\0\\0\\0\\0\\0";
    let (code, out) = serve_one(
        case,
        &format!("exec 3<>/dev/tcp/{{host}}/{{port}}; printf '{PREFACE}{settings}\\377\\377\\377\\0\\0\\0\\0\\0\\1' >&3; sleep 1"),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("16777215"), "{out}");
    // Half a preface, then the close.
    let (code, out) = serve_one(case, "exec 3<>/dev/tcp/{host}/{port}; printf 'PRI * HTTP/2' >&3; exec 3>&-");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("closed after 12 of the 24 octets"), "{out}");
}

#[test]
fn a_request_whose_content_length_disagrees_with_its_data_fails_the_request_step() {
    // RFC 9113 §8.1.1: a broken client sends `content-length: 5` and 2 bytes of DATA; the
    // `h2_request` step fails on it though the case asks nothing about the length.
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("post.yaml");
    std::fs::write(
        &case,
        "id: t/post\nprotocol: h2\nrole: server\nsteps:\n  - expect: { h2_request: { method: POST } }\n  - send: { h2_response: { status: 200 } }\n",
    )
    .unwrap();
    // HEADERS (END_HEADERS, stream 1): :method POST, :scheme http, :path /, :authority x,
    // content-length 5 (HPACK 83 86 84 01 01 'x' 0f 0d 01 '5'); DATA (END_STREAM, stream 1): "hi".
    let settings = "\\0\\0\\0\\4\\0\\0\\0\\0\\0";
    let headers = "\\0\\0\\12\\1\\4\\0\\0\\0\\1\\203\\206\\204\\1\\1x\\17\\15\\0015";
    let data = "\\0\\0\\2\\0\\1\\0\\0\\0\\1hi";
    let client = format!("exec 3<>/dev/tcp/{{host}}/{{port}}; printf '{PREFACE}{settings}{headers}{data}' >&3; sleep 1");
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .args(["serve", case.to_str().unwrap(), "--timeout", "3s", "--client", &format!("bash -c \"{client}\"")])
        .output()
        .expect("the binary runs");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("content-length \"5\" with a body of 2 bytes") && out.contains("§8.1.1"), "{out}");
}
