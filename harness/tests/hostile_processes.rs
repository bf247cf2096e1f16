//! No process outlives peerspec, and a signal ends a run at once (issue 13, items 2 and 5):
//! clients under test run in a process group of their own, ended at the case's end, at its
//! timeout and on Ctrl-C/SIGTERM; SIGINT or SIGTERM during a flood ends the run within a second,
//! exit status 130, with complete reports.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use peerspec::run::Status;
use support::*;
use tokio::io::AsyncWriteExt;

const FLOOD_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/flood_client.py");

/// Whether process `pid` still runs (a zombie has ended: only its exit status is left).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status.lines().any(|l| l.starts_with("State:") && l.contains('Z')),
        Err(_) => false,
    }
}

/// Waits up to `LIMIT` for `path` to hold the forking client's two pids.
fn pids_in(path: &Path) -> Vec<u32> {
    let until = Instant::now() + LIMIT;
    while Instant::now() < until {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text.split_whitespace().map(|p| p.parse().unwrap()).collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the client never wrote {}", path.display());
}

/// Asserts that none of `pids` runs any more, allowing a moment for the last SIGKILL to land.
fn assert_gone(pids: &[u32]) {
    let until = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|p| running(*p)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<&u32> = pids.iter().filter(|p| running(**p)).collect();
    assert!(left.is_empty(), "processes left running: {left:?} of {pids:?}");
}

fn forking_client_case(dir: &Path, pidfile: &Path) -> PathBuf {
    let yaml = format!(
        "id: forking\nprotocol: http/1.1\nrole: server\nclient:\n  command: 'python3 {FLOOD_CLIENT} forkwait 0 60 {}'\nsteps:\n  - expect: {{ request: {{ method: GET }} }}\n",
        pidfile.display()
    );
    let path = dir.join("forking.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[tokio::test]
async fn a_client_that_forks_and_sleeps_leaves_no_process_at_the_case_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let yaml = std::fs::read_to_string(forking_client_case(dir.path(), &pidfile)).unwrap();
    // 3 s: python may be slow to start on a loaded machine, and the pids must be written first.
    let r = run_yaml(&yaml, &config_for("127.0.0.1:9".parse().unwrap(), Duration::from_secs(3))).await;
    assert_eq!(r.status, Status::Failed, "{:?}", r.message);
    assert!(r.message.as_deref().unwrap().contains("timed out waiting for the client to connect"), "{:?}", r.message);
    let pids = pids_in(&pidfile);
    assert_gone(&pids);
    let transcript = r.transcript.render();
    assert!(transcript.contains("ended the client's process group"), "{transcript}");
}

fn peerspec(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Waits up to `limit` for `child` to exit; its status code and how long that took.
fn wait_at_most(child: &mut Child, limit: Duration) -> (Option<i32>, Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("peerspec did not exit within {limit:?}");
}

fn output(child: Child) -> String {
    let o = child.wait_with_output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn send_signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on a child of this test.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Asserts both reports are complete and parse: the JSON with serde_json, the JUnit with a
/// strict XML parser; returns the JSON.
fn assert_reports(json: &Path, junit: &Path) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).expect("the JSON report parses");
    let xml = std::fs::read_to_string(junit).unwrap();
    roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed");
    value
}

#[test]
fn serve_with_a_never_connecting_forking_client_leaves_no_process() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let case = forking_client_case(dir.path(), &pidfile);
    let mut child = peerspec(&["serve", case.to_str().unwrap(), "--timeout", "1s"]);
    let (code, took) = wait_at_most(&mut child, LIMIT);
    let out = output(child);
    assert_eq!(code, Some(1), "{out}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_gone(&pids_in(&pidfile));
}

#[test]
fn ctrl_c_during_serve_ends_the_run_and_every_client_process() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let case = forking_client_case(dir.path(), &pidfile);
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let mut child = peerspec(&[
        "serve",
        case.to_str().unwrap(),
        "--timeout",
        "60s",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let pids = pids_in(&pidfile);
    send_signal(&child, libc::SIGINT);
    let (code, took) = wait_at_most(&mut child, LIMIT);
    let out = output(child);
    eprintln!("SIGINT during serve: exited after {took:?}");
    assert_eq!(code, Some(130), "{out}");
    assert!(took < Duration::from_secs(1), "{took:?}: {out}");
    assert_gone(&pids);
    let report = assert_reports(&json, &junit);
    let message = report["cases"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("interrupted") && message.contains("its client's process group"), "{message}");
}

/// A fake WebSocket server that floods a fragmented message in 3-byte frames for ever.
async fn ws_flood_peer() -> std::net::SocketAddr {
    fake_peer(|mut s| async move {
        let head = String::from_utf8_lossy(&read_head(&mut s).await).into_owned();
        let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap_or("").trim().to_string();
        let accept = peerspec::wire::ws::handshake::accept_for(&key);
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        if s.write_all(answer.as_bytes()).await.is_err() || s.write_all(&[0x01, 1, b'h']).await.is_err() {
            return;
        }
        let batch = [0x00, 1, b'a'].repeat(21845);
        let until = tokio::time::Instant::now() + LIMIT;
        while tokio::time::Instant::now() < until && s.write_all(&batch).await.is_ok() {}
    })
    .await
}

async fn signal_during_a_flood(sig: i32) {
    let addr = ws_flood_peer().await;
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("flood.yaml");
    std::fs::write(
        &case,
        "id: flood\nprotocol: websocket\nsteps:\n  - send: { message: { text: hello } }\n  - expect: { message: { text: hello } }\n",
    )
    .unwrap();
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let target = format!("ws://{addr}/");
    let mut child = peerspec(&[
        "run",
        case.to_str().unwrap(),
        "--target",
        &target,
        "--timeout",
        "60s",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send_signal(&child, sig);
    let (code, took) = tokio::task::spawn_blocking(move || {
        let r = wait_at_most(&mut child, LIMIT);
        (r, output(child))
    })
    .await
    .map(|(r, out)| {
        assert_eq!(r.0, Some(130), "{out}");
        r
    })
    .unwrap();
    eprintln!("signal {sig} during a flood: exited after {took:?}");
    assert_eq!(code, Some(130));
    assert!(took < Duration::from_secs(1), "{took:?}");
    let report = assert_reports(&json, &junit);
    assert_eq!(report["cases"][0]["status"], "interrupted", "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_flood_ends_the_run_within_a_second_with_complete_reports() {
    signal_during_a_flood(libc::SIGINT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_flood_ends_the_run_within_a_second_with_complete_reports() {
    signal_during_a_flood(libc::SIGTERM).await;
}

#[test]
fn extreme_durations_are_refused_with_the_range_never_a_panic() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_peerspec")).args(args).output().unwrap();
        (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    for value in ["18446744073709551615s", "0s", "25h"] {
        let (code, out) = run(&["run", "--timeout", value, "--list"]);
        assert_eq!(code, Some(2), "{value}: {out}");
        assert!(out.contains("out of range: the accepted range is 1ms to 24h") && !out.contains("panicked"), "{value}: {out}");
    }
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("x.yaml");
    for value in ["18446744073709551615s", "0s"] {
        std::fs::write(&case, format!("id: a\nprotocol: http/1.1\ntimeout: {value}\nsteps:\n  - pause: 1ms\n")).unwrap();
        let (code, out) = run(&["check", case.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{value}: {out}");
        assert!(out.contains("x.yaml:3:10") && out.contains("the accepted range is 1ms to 24h"), "{value}: {out}");
    }
}

#[test]
fn a_case_file_over_16_mib_is_refused_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("big.yaml");
    std::fs::File::create(&case).unwrap().set_len(200 << 20).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec")).args(["check", case.to_str().unwrap()]).output().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("over the 16777216-byte (16 MiB) limit on case files"), "{out}");
}
