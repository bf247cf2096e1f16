//! Peers that break the rules or never answer: each case fails with a reason that names what it
//! was waiting for, within its timeout, and nothing panics or hangs.

mod support;

use std::time::Duration;

use peerspec::run::Status;
use support::*;
use tokio::io::AsyncWriteExt;

const GET_EXPECT_200: &str =
    "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n";

#[tokio::test]
async fn a_target_that_is_not_listening_fails_the_case() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.as_deref().unwrap().contains("cannot connect"), "{:?}", r.message);
}

#[tokio::test]
async fn a_black_hole_fails_at_the_case_timeout_naming_what_it_waited_for() {
    let addr = fake_peer(|s| async move {
        tokio::time::sleep(LIMIT).await;
        drop(s);
    })
    .await;
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_millis(300))).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.unwrap();
    assert!(msg.contains("step 2 (expect response)") && msg.contains("timed out waiting for"), "{msg}");
    assert!(msg.contains("no complete response head"), "{msg}");
    assert!(r.duration < Duration::from_secs(3), "{:?}", r.duration);
}

#[tokio::test]
async fn a_slow_drip_still_ends_at_the_timeout() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".iter().cycle().take(2000) {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_millis(300))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("timed out"));
}

#[tokio::test]
async fn garbage_is_an_invalid_response_with_its_offset() {
    let addr = answers_with(b"SSH-2.0-OpenSSH_9.2\r\n\r\n").await;
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.unwrap();
    assert!(msg.contains("invalid response: response head at byte 0"), "{msg}");
    assert!(r.transcript.render().contains("SSH-2.0"), "the unread bytes are in the transcript");
}

#[tokio::test]
async fn fin_before_content_length_is_reported_as_truncation() {
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").await;
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("truncated (FIN after 3 of 10 bytes declared by Content-Length)"));
}

#[tokio::test]
async fn fin_in_the_middle_of_a_chunk_fails_zero_chunk_and_matches_truncated() {
    const WIRE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n<iframe src=";
    let case = |end: &str| {
        format!("id: t\nprotocol: http/1.1\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ ends_with: {end} }} }}\n")
    };
    let addr = answers_with(WIRE).await;
    let r = run_yaml(&case("zero-chunk"), &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("FIN before the zero chunk"));
    let addr = answers_with(WIRE).await;
    let r = run_yaml(&case("truncated"), &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
}

#[tokio::test]
async fn a_size_line_that_lies_is_a_framing_error_at_its_offset() {
    // The seed article's `11` before a 9-byte chunk.
    let addr = answers_with(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n<iframe src=\"hello.html\">\r\n11\r\n</iframe>\r\n0\r\n\r\n",
    )
    .await;
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.unwrap();
    // 17 bytes of data swallow "</iframe>\r\n0\r\n\r\n" (16 bytes); then FIN.
    assert!(msg.contains("truncated") || msg.contains("chunk"), "{msg}");
}

#[tokio::test]
async fn connection_open_fails_when_the_peer_closes_and_closed_fails_when_it_talks() {
    let open = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n  - expect: { connection: open }\n";
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
    let r = run_yaml(open, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("peer closed it"));

    let closed = open.replace("connection: open", "connection: closed, within: 1s");
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nextra").await;
    let r = run_yaml(&closed, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("5 more bytes"));
}

#[tokio::test]
async fn any_of_accepts_a_400_or_a_close() {
    let case = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { raw: \"GET / HTTP/1.1\\r\\n\\r\\n\" }\n  - expect:\n      any_of:\n        - response: { status: 400 }\n        - connection: closed\n";
    let addr = answers_with(b"").await;
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    let addr = answers_with(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("none of the allowed behaviours"));
}

#[tokio::test]
async fn cases_requiring_undeclared_capabilities_are_skipped() {
    let addr = answers_with(b"").await;
    let mut config = config_for(addr, Duration::from_secs(1));
    config.provides = Some(Default::default());
    let yaml = GET_EXPECT_200.replace("steps:", "requires: [echo]\nsteps:");
    let r = run_yaml(&yaml, &config).await;
    assert_eq!(r.status, Status::Skipped);
    assert!(r.message.unwrap().contains("--provides echo"));
}

#[tokio::test]
async fn a_body_after_a_head_response_is_bytes_no_step_accounted_for() {
    let case = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { method: HEAD, target: / } }\n  - expect: { response: { status: 200, ends_with: no-body } }\n";
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").await;
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("5 bytes arrived that no step accounted for"));
}

#[tokio::test]
async fn interim_responses_can_be_required_or_forbidden() {
    let case = |interim: &str| {
        format!("id: t\nprotocol: http/1.1\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ status: 200, interim: {interim} }} }}\n")
    };
    const WIRE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let addr = answers_with(WIRE).await;
    assert_eq!(run_yaml(&case("[100]"), &config_for(addr, Duration::from_secs(2))).await.status, Status::Passed);
    let addr = answers_with(WIRE).await;
    let r = run_yaml(&case("[]"), &config_for(addr, Duration::from_secs(2))).await;
    assert!(r.message.unwrap().contains("interim responses: expected [], saw [100]"));
}

#[tokio::test]
async fn raw_sends_substitute_path_and_host() {
    let (tx, rx) = tokio::sync::oneshot::channel::<Vec<u8>>();
    let tx = std::sync::Mutex::new(Some(tx));
    let addr = fake_peer(move |mut s| {
        let tx = tx.lock().unwrap().take();
        async move {
            let head = read_head(&mut s).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
            if let Some(tx) = tx {
                let _ = tx.send(head);
            }
        }
    })
    .await;
    let case = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { raw: \"GET {path} HTTP/1.1\\r\\nHost: {host}\\r\\n\\r\\n\" }\n  - expect: { response: { status: 200 } }\n";
    let mut config = config_for(addr, Duration::from_secs(2));
    config.base_path = "/index.html".into();
    let r = run_yaml(case, &config).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    let head = tokio::time::timeout(LIMIT, rx).await.unwrap().unwrap();
    assert_eq!(head, format!("GET /index.html HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Floods, endless units and stalls in every protocol. Each fake peer's loop is bounded in count
// and in time (`LIMIT`, and the write fails once peerspec has closed); each case must end within
// its timeout plus a little slack, failing with a reason that names what it waited for.

/// Slack over a case's timeout for it to wind down (on a loaded, shared machine).
const SLACK: Duration = Duration::from_millis(1500);

/// Writes `piece` again and again (at most `times`, for at most `LIMIT`) until peerspec closes.
async fn flood(s: &mut (impl tokio::io::AsyncWrite + Unpin), piece: &[u8], times: usize) {
    let until = tokio::time::Instant::now() + LIMIT;
    for _ in 0..times {
        if tokio::time::Instant::now() > until || s.write_all(piece).await.is_err() {
            return;
        }
    }
}

fn assert_ends_in_time(r: &peerspec::run::CaseResult, timeout: Duration) {
    assert!(r.duration < timeout + SLACK, "the case took {:?} (timeout {timeout:?})", r.duration);
    let entries = r.transcript.entries.len();
    assert!(
        entries <= peerspec::transcript::HEAD_ENTRIES + peerspec::transcript::TAIL_ENTRIES + 1,
        "the transcript stays bounded: {entries} entries"
    );
}

/// A fake HTTP/2 server: reads and ignores what peerspec sends, writes an empty SETTINGS frame,
/// then runs `script` on the write half.
async fn h2_peer<F, Fut>(script: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::tcp::OwnedWriteHalf) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    fake_peer(move |s| async move {
        let (read, mut write) = s.into_split();
        drain_in_background(read, 10_000);
        if write.write_all(&h2_frame(4, 0, 0, &[])).await.is_ok() {
            script(write).await;
        }
    })
    .await
}

const H2_GET: &str = "id: t\nprotocol: h2\nsteps:\n  - send: { h2_request: { stream: 1, path: / } }\n  - expect: { h2_response: { stream: 1, status: 200 } }\n";

#[tokio::test]
async fn h2_endless_continuation_frames_fail_at_the_header_block_cap() {
    let addr = h2_peer(|mut w| async move {
        // HEADERS without END_HEADERS (":status: 200" indexed), then CONTINUATION, never ending.
        if w.write_all(&h2_frame(1, 0, 1, &[0x88])).await.is_err() {
            return;
        }
        flood(&mut w, &h2_frame(9, 0, 1, &[0x40; 1000]), 1_000_000).await;
    })
    .await;
    let timeout = Duration::from_secs(3);
    let r = run_yaml(H2_GET, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(
        msg.contains("step 2 (expect h2_response)") && msg.contains("field block on stream 1") && msg.contains("--max-header-bytes"),
        "{msg}"
    );
    assert_ends_in_time(&r, timeout);
    // With a smaller cap the case says so sooner.
    let mut config = config_for(addr, timeout);
    config.caps.max_header_bytes = 4096;
    let r = run_yaml(H2_GET, &config).await;
    assert!(r.message.unwrap().contains("over 4096 bytes"));
}

#[tokio::test]
async fn h2_endless_settings_frames_fail_with_a_reason_and_in_time() {
    let addr = h2_peer(|mut w| async move {
        flood(&mut w, &h2_frame(4, 0, 0, &[0, 4, 0, 0, 0xff, 0xff]), 5_000_000).await;
    })
    .await;
    let timeout = Duration::from_secs(3);
    let r = run_yaml(H2_GET, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("step 2 (expect h2_response)") && msg.contains("over 1000 SETTINGS and PING frames to acknowledge"), "{msg}");
    assert_ends_in_time(&r, timeout);
}

#[tokio::test]
async fn h2_a_frame_header_announcing_a_huge_length_then_stalling() {
    // Over SETTINGS_MAX_FRAME_SIZE: a frame size error at once, without waiting for the payload.
    let addr = h2_peer(|mut w| async move {
        let _ = w.write_all(&[0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1]).await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let timeout = Duration::from_secs(2);
    let r = run_yaml(H2_GET, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("exceeds SETTINGS_MAX_FRAME_SIZE 16384"), "{msg}");
    assert!(r.duration < timeout, "no need to wait for the payload: {:?}", r.duration);
    // Within the limit, then 100 of its 16384 bytes and silence: the timeout, naming the frame.
    let addr = h2_peer(|mut w| async move {
        let mut f = vec![0, 0x40, 0, 0, 0, 0, 0, 0, 1];
        f.extend_from_slice(&[0; 100]);
        let _ = w.write_all(&f).await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let timeout = Duration::from_millis(800);
    let r = run_yaml(H2_GET, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("timed out waiting for the response on stream 1") && msg.contains("109 bytes of an incomplete frame"), "{msg}");
    assert_ends_in_time(&r, timeout);
}

#[tokio::test]
async fn h2_a_reset_in_the_middle_of_a_frame() {
    let addr = fake_peer(|s| async move {
        let mut s = s;
        let mut sink = [0u8; 1024];
        let _ = tokio::time::timeout(Duration::from_millis(200), tokio::io::AsyncReadExt::read(&mut s, &mut sink)).await;
        let mut wire = h2_frame(4, 0, 0, &[]);
        wire.extend_from_slice(&h2_frame(1, 4, 1, &[0x88; 20])[..15]);
        let _ = s.write_all(&wire).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = s.set_zero_linger();
        drop(s);
    })
    .await;
    let timeout = Duration::from_secs(3);
    let r = run_yaml(H2_GET, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("response on stream 1") && msg.contains("15 bytes of an incomplete frame"), "{msg}");
    assert!(r.duration < timeout, "a reset ends the wait at once: {:?}", r.duration);
}

/// A fake WebSocket server: answers the opening handshake, then runs `script`.
async fn ws_peer<F, Fut>(script: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    fake_peer(move |mut s| async move {
        let head = String::from_utf8_lossy(&read_head(&mut s).await).into_owned();
        let key = head.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap_or("").trim().to_string();
        let accept = peerspec::wire::ws::handshake::accept_for(&key);
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        if s.write_all(answer.as_bytes()).await.is_ok() {
            script(s).await;
        }
    })
    .await
}

const WS_ECHO: &str =
    "id: t\nprotocol: websocket\nsteps:\n  - send: { message: { text: hello } }\n  - expect: { message: { text: hello } }\n";

#[tokio::test]
async fn ws_a_2_pow_63_minus_1_length_fails_at_the_frame_cap_and_2_pow_63_is_invalid() {
    for (len, want) in
        [(u64::MAX >> 1, "over the 16777216-byte limit (--max-frame-size)"), (1u64 << 63, "most significant bit set (RFC 6455 §5.2)")]
    {
        let addr = ws_peer(move |mut s| async move {
            let mut header = vec![0x82, 127];
            header.extend_from_slice(&len.to_be_bytes());
            if s.write_all(&header).await.is_ok() {
                flood(&mut s, &[0u8; 16384], 1_000_000).await;
            }
        })
        .await;
        let timeout = Duration::from_secs(3);
        let r = run_yaml(WS_ECHO, &config_for(addr, timeout)).await;
        assert_eq!(r.status, Status::Failed);
        let msg = r.message.clone().unwrap();
        assert!(msg.contains("step 2 (expect message)") && msg.contains(want), "{len:#x}: {msg}");
        assert!(r.duration < timeout, "decided from the header alone: {:?}", r.duration);
    }
}

#[tokio::test]
async fn ws_an_endless_fragmented_message_is_counted_and_ends_at_the_timeout() {
    let addr = ws_peer(|mut s| async move {
        if s.write_all(&[0x01, 5, b'h', b'e', b'l', b'l', b'o']).await.is_err() {
            return;
        }
        // Continuation frames of 16 KiB, FIN=0, for ever.
        let mut frame = vec![0x00, 126, 0x40, 0x00];
        frame.extend_from_slice(&[b'a'; 16384]);
        flood(&mut s, &frame, 1_000_000).await;
    })
    .await;
    let timeout = Duration::from_secs(2);
    let mut config = config_for(addr, timeout);
    config.caps.max_message_size = 1 << 20;
    let r = run_yaml(WS_ECHO, &config).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("timed out waiting for a text message \"hello\"") && msg.contains("fragmented text message still open"), "{msg}");
    assert!(msg.contains("1048576 kept (--max-message-size)"), "{msg}");
    assert_ends_in_time(&r, timeout);
}

#[tokio::test]
async fn tls_a_black_hole_that_never_completes_the_handshake_fails_https_and_wss_targets() {
    let addr = fake_peer(|s| async move {
        tokio::time::sleep(LIMIT).await;
        drop(s);
    })
    .await;
    let options = peerspec::transport::TlsOptions { ca_file: None, insecure: true };
    for (yaml, alpn) in [(GET_EXPECT_200, "http/1.1"), (WS_ECHO, "http/1.1")] {
        let timeout = Duration::from_millis(800);
        let mut config = config_for(addr, timeout);
        config.endpoint.host = "localhost".into();
        config.endpoint.tls = Some(peerspec::transport::tls_config(&options, &[alpn]).unwrap());
        let r = run_yaml(yaml, &config).await;
        assert_eq!(r.status, Status::Failed);
        let msg = r.message.clone().unwrap();
        assert!(msg.contains("TLS handshake") && msg.contains("did not complete"), "{msg}");
        assert_ends_in_time(&r, timeout);
    }
}

#[tokio::test]
async fn an_endless_header_line_fails_at_the_head_cap() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        if s.write_all(b"HTTP/1.1 200 OK\r\nX-Endless: ").await.is_ok() {
            flood(&mut s, &[b'a'; 4096], 1_000_000).await;
        }
    })
    .await;
    let timeout = Duration::from_secs(3);
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("response head at byte 0: head exceeds 65536 bytes"), "{msg}");
    assert!(r.duration < timeout, "{:?}", r.duration);
    let mut config = config_for(addr, timeout);
    config.caps.max_header_bytes = 1000;
    let r = run_yaml(GET_EXPECT_200, &config).await;
    assert!(r.message.clone().unwrap().contains("head exceeds 1000 bytes"), "{:?}", r.message);
}

#[tokio::test]
async fn an_endless_body_streams_through_counted_past_the_cap_until_the_timeout() {
    for (framing, piece) in [("Content-Length: 99999999999", vec![b'x'; 8192]), ("Transfer-Encoding: chunked", b"1\r\nx\r\n".repeat(1000))]
    {
        let addr = fake_peer(move |mut s| {
            let piece = piece.clone();
            async move {
                read_head(&mut s).await;
                if s.write_all(format!("HTTP/1.1 200 OK\r\n{framing}\r\n\r\n").as_bytes()).await.is_ok() {
                    flood(&mut s, &piece, 10_000_000).await;
                }
            }
        })
        .await;
        let timeout = Duration::from_millis(1500);
        let mut config = config_for(addr, timeout);
        config.caps.max_body_kept = 1000;
        let r = run_yaml(GET_EXPECT_200, &config).await;
        assert_eq!(r.status, Status::Failed);
        let msg = r.message.clone().unwrap();
        assert!(msg.contains("timed out waiting for the response: HTTP/1.1 200 received, body incomplete after"), "{framing}: {msg}");
        assert!(msg.contains("(1000 of them kept for checks, --max-body-kept; the rest counted and dropped"), "{framing}: {msg}");
        assert_ends_in_time(&r, timeout);
        // The body streamed through the session's buffer: far more than it holds went by.
        let received: u64 = msg.split("incomplete after ").nth(1).and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
        assert!(r.transcript.render().contains("bytes were read through a bounded buffer"), "the transcript says so");
        if framing.starts_with("Content-Length") {
            assert!(received > peerspec::run::session::MAX_BUFFERED as u64, "more than the unread-input cap went by: {received}");
        } else {
            // One-byte chunks: each is recorded up to a bound, then counted.
            assert!(msg.contains("chunks past the first 10000 counted only"), "{msg}");
        }
    }
}

#[tokio::test]
async fn a_slowloris_server_one_byte_per_100ms_ends_at_the_timeout() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        // 43 bytes at one per 100 ms: 4.3 s, far past the 1 s timeout.
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let timeout = Duration::from_millis(1000);
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("step 2 (expect response)") && msg.contains("no complete response head"), "{msg}");
    assert_ends_in_time(&r, timeout);
}

#[tokio::test]
async fn events_past_the_kept_body_are_still_parsed_over_http1_and_h2() {
    // 200 events of 9 bytes and a last one, with 100 body bytes kept: every event is seen.
    let events: String = "data: x\n\n".repeat(200) + "data: end\n\n";
    let list = std::iter::repeat_n("{ data: x }", 200).chain(["{ data: end }"]).collect::<Vec<_>>().join(", ");
    let http1 = format!("id: t\nprotocol: http/1.1\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ status: 200, event_stream: {{ events: [{list}] }} }} }}\n");
    let body = events.clone();
    let addr = fake_peer(move |mut s| {
        let wire = format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        async move {
            read_head(&mut s).await;
            let _ = s.write_all(wire.as_bytes()).await;
        }
    })
    .await;
    let mut config = config_for(addr, Duration::from_secs(3));
    config.caps.max_body_kept = 100;
    let r = run_yaml(&http1, &config).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);

    let h2 = format!("id: t\nprotocol: h2\nsteps:\n  - send: {{ h2_request: {{ stream: 1, path: / }} }}\n  - expect: {{ h2_response: {{ stream: 1, status: 200, event_stream: {{ events: [{list}] }} }} }}\n");
    let addr = h2_peer(|mut w| async move {
        let body = "data: x\n\n".repeat(200) + "data: end\n\n";
        let mut wire = h2_frame(1, 4, 1, &[0x88]);
        wire.extend(h2_frame(0, 0, 1, &body.as_bytes()[..1000]));
        wire.extend(h2_frame(0, 1, 1, &body.as_bytes()[1000..]));
        let _ = w.write_all(&wire).await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let mut config = config_for(addr, Duration::from_secs(3));
    config.caps.max_body_kept = 100;
    let r = run_yaml(&h2, &config).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
}

#[tokio::test]
async fn ws_a_message_over_the_message_cap_is_counted_and_the_failure_says_what_was_kept() {
    let addr = ws_peer(|mut s| async move {
        let mut frame = vec![0x81, 126, 0x0b, 0xb8];
        frame.extend_from_slice(&[b'a'; 3000]);
        let _ = s.write_all(&frame).await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let mut config = config_for(addr, Duration::from_secs(2));
    config.caps.max_message_size = 1000;
    let r = run_yaml(WS_ECHO, &config).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.unwrap();
    assert!(msg.contains("(3000 B, 1000 of them kept for checks (--max-message-size))"), "{msg}");
    let length = WS_ECHO.replace("expect: { message: { text: hello } }", "expect: { message: { length: 3000 } }");
    let r = run_yaml(&length, &config).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
}

#[tokio::test]
async fn endless_interim_responses_are_cut_off() {
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        flood(&mut s, &b"HTTP/1.1 100 Continue\r\n\r\n".repeat(100), 1_000_000).await;
    })
    .await;
    let timeout = Duration::from_secs(3);
    let r = run_yaml(GET_EXPECT_200, &config_for(addr, timeout)).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.clone().unwrap();
    assert!(msg.contains("more than 100 interim (1xx) responses and no final one"), "{msg}");
    assert!(r.duration < timeout, "{:?}", r.duration);
}

#[tokio::test]
async fn many_hostile_peers_at_once_each_end_at_their_timeout() {
    // Forty cases at once, half against a peer that says nothing, half against one that floods
    // an endless chunked body: the runs end when the cases' timeout does, not later, and each
    // case says what it waited for.
    let black_hole = fake_peer_accepting(20, |s| async move {
        tokio::time::sleep(LIMIT).await;
        drop(s);
    })
    .await;
    let flooder = fake_peer_accepting(20, |mut s| async move {
        read_head(&mut s).await;
        let chunk: Vec<u8> = b"4000\r\n".iter().chain(&[b'x'; 0x4000]).chain(b"\r\n").copied().collect();
        if s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").await.is_ok() {
            flood(&mut s, &chunk, 1_000_000).await;
        }
    })
    .await;
    let yaml: Vec<String> = (0..20).map(|i| GET_EXPECT_200.replace("id: t", &format!("id: t{i}"))).collect();
    let cases = peerspec::run::plan::parse_cases("many.yaml", &yaml.join("---\n")).unwrap();
    let timeout = Duration::from_millis(800);
    let started = std::time::Instant::now();
    let runs: Vec<_> = [black_hole, flooder]
        .into_iter()
        .map(|addr| {
            let config = peerspec::run::RunConfig { jobs: 20, ..config_for(addr, timeout) };
            tokio::spawn(peerspec::run::run_cases(cases.clone(), config, |_| {}))
        })
        .collect();
    let mut all = vec![];
    for run in runs {
        all.extend(tokio::time::timeout(LIMIT, run).await.expect("the runs end").unwrap());
    }
    assert!(started.elapsed() < timeout + SLACK, "{:?}", started.elapsed());
    assert_eq!(all.len(), 40);
    for r in &all {
        assert_eq!(r.status, Status::Failed);
        let msg = r.message.as_deref().unwrap();
        assert!(msg.contains("timed out waiting for the response"), "{}: {msg}", r.id);
    }
}
