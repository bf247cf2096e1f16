//! Floods of the smallest units each protocol has (1-byte chunks, 1-byte WebSocket fragments,
//! 1-byte HTTP/2 DATA frames, tiny events, 1-byte chunks of a request body): input that is always
//! ready must not starve the case's deadline. Every case ends by its timeout plus a small margin,
//! in both roles, whatever the peer keeps sending (issue 13, item 1).

mod support;

use std::time::Duration;

use peerspec::run::{CaseResult, Status};
use support::*;
use tokio::io::AsyncWriteExt;

/// The case timeout of these tests; short, since the peers flood for longer than that.
const TIMEOUT: Duration = Duration::from_secs(1);

/// How far past its timeout a case may end (generous: the machine is shared and loaded; the
/// target is ~100 ms).
const MARGIN: Duration = Duration::from_secs(1);

/// Writes `unit` repeated in 64 KiB batches until peerspec closes or `LIMIT` passes.
async fn flood_units(s: &mut (impl tokio::io::AsyncWrite + Unpin), unit: &[u8]) {
    let batch = unit.repeat((65536 / unit.len()).max(1));
    let until = tokio::time::Instant::now() + LIMIT;
    while tokio::time::Instant::now() < until {
        if s.write_all(&batch).await.is_err() {
            return;
        }
    }
}

fn assert_in_time(r: &CaseResult, what: &str) {
    eprintln!("{what}: ended after {:?} (timeout {TIMEOUT:?})", r.duration);
    assert_eq!(r.status, Status::Failed, "{what}: {:?}", r.message);
    assert!(r.duration < TIMEOUT + MARGIN, "{what}: the case took {:?} (timeout {TIMEOUT:?}): {:?}", r.duration, r.message);
    let msg = r.message.as_deref().unwrap_or_default();
    assert!(msg.contains("timed out"), "{what}: {msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_one_byte_chunks_end_at_the_deadline() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        if s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").await.is_ok() {
            flood_units(&mut s, b"1\r\nx\r\n").await;
        }
    })
    .await;
    let case = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200, ends_with: zero-chunk } }\n";
    let r = run_yaml(case, &config_for(addr, TIMEOUT)).await;
    assert_in_time(&r, "1-byte chunks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_tiny_events_end_at_the_deadline() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        if s.write_all(head).await.is_ok() {
            flood_units(&mut s, b"9\r\ndata: x\n\n\r\n").await;
        }
    })
    .await;
    let case = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200, ends_with: zero-chunk, event_stream: { events: [ { data: x } ] } } }\n";
    let r = run_yaml(case, &config_for(addr, TIMEOUT)).await;
    assert_in_time(&r, "tiny events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_one_byte_fragments_end_at_the_deadline() {
    let addr = fake_peer(|mut s| async move {
        let head = String::from_utf8_lossy(&read_head(&mut s).await).into_owned();
        let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap_or("").trim().to_string();
        let accept = peerspec::wire::ws::handshake::accept_for(&key);
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        // A text message opened with FIN=0, then 3-byte continuation frames for ever.
        if s.write_all(answer.as_bytes()).await.is_ok() && s.write_all(&[0x01, 1, b'h']).await.is_ok() {
            flood_units(&mut s, &[0x00, 1, b'a']).await;
        }
    })
    .await;
    let case = "id: t\nprotocol: websocket\nsteps:\n  - send: { message: { text: hello } }\n  - expect: { message: { text: hello } }\n";
    let r = run_yaml(case, &config_for(addr, TIMEOUT)).await;
    assert_in_time(&r, "3-byte fragments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_one_byte_data_frames_end_at_the_deadline() {
    let addr = fake_peer(|s| async move {
        let (read, mut write) = s.into_split();
        drain_in_background(read, 100_000);
        let mut start = h2_frame(4, 0, 0, &[]);
        start.extend_from_slice(&h2_frame(1, 4, 1, &[0x88]));
        if write.write_all(&start).await.is_ok() {
            flood_units(&mut write, &h2_frame(0, 0, 1, b"x")).await;
        }
    })
    .await;
    let case = "id: t\nprotocol: h2\nsteps:\n  - send: { h2_request: { stream: 1, path: / } }\n  - expect: { h2_response: { stream: 1, status: 200 } }\n";
    let r = run_yaml(case, &config_for(addr, TIMEOUT)).await;
    assert_in_time(&r, "1-byte DATA frames");
}

/// A server-role case whose client is `support/flood_client.py KIND`.
async fn serve_flood(kind: &str, steps: &str, protocol: &str) -> CaseResult {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/flood_client.py");
    let yaml = format!("id: t\nprotocol: {protocol}\nrole: server\nsteps:\n{steps}");
    let mut config = config_for("127.0.0.1:9".parse().unwrap(), TIMEOUT);
    config.client_command = Some(format!("python3 {script} {kind} {{port}} 8"));
    run_yaml(&yaml, &config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_role_one_byte_request_body_chunks_end_at_the_deadline() {
    let r = serve_flood("http1", "  - expect: { request: { method: POST } }\n  - send: { response: { body: ok } }\n", "http/1.1").await;
    assert_in_time(&r, "server role, 1-byte request body chunks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_role_one_byte_ws_fragments_end_at_the_deadline() {
    let r = serve_flood("ws", "  - send: { message: { text: hi } }\n  - expect: { message: { text: hi } }\n", "websocket").await;
    assert_in_time(&r, "server role, 1-byte WebSocket fragments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_role_one_byte_h2_data_frames_end_at_the_deadline() {
    let r = serve_flood("h2", "  - expect: { h2_request: { method: POST } }\n  - send: { h2_response: { status: 200 } }\n", "h2").await;
    assert_in_time(&r, "server role, 1-byte DATA frames");
}

/// A fake HTTP/2 server that floods `frame` after its SETTINGS, reading what peerspec sends.
async fn h2_flood_peer(frame: Vec<u8>) -> std::net::SocketAddr {
    fake_peer(move |s| {
        let frame = frame.clone();
        async move {
            let (read, mut write) = s.into_split();
            drain_in_background(read, 100_000);
            if write.write_all(&h2_frame(4, 0, 0, &[])).await.is_ok() {
                flood_units(&mut write, &frame).await;
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_ping_and_unknown_frame_floods_make_bounded_reports() {
    let case = "id: t\nprotocol: h2\nsteps:\n  - send: { h2_request: { stream: 1, path: / } }\n  - expect: { h2_response: { stream: 1, status: 200 } }\n";
    // SETTINGS with many parameters, PINGs, and unknown frames of 16 KiB of control bytes: each
    // would bring its full preview to the transcript.
    let settings: Vec<u8> = (0..2000u16).flat_map(|i| [(i >> 8) as u8, i as u8, 0, 0, 0, 1]).collect();
    for (what, frame) in [
        ("SETTINGS", h2_frame(4, 0, 0, &settings)),
        ("PING", h2_frame(6, 0, 0, &[1; 8])),
        ("unknown frames", h2_frame(0xfa, 0, 0, &[0x01; 16000])),
    ] {
        let addr = h2_flood_peer(frame).await;
        let r = run_yaml(case, &config_for(addr, TIMEOUT)).await;
        assert_eq!(r.status, Status::Failed, "{what}");
        let json = serde_json::to_string(&r).unwrap();
        eprintln!("{what} flood: {} B of JSON for the case, {:?}", json.len(), r.duration);
        assert!(json.len() < 1 << 20, "{what}: {} B of JSON", json.len());
    }
}
