//! Peers that break the rules or never answer: each case fails with a reason that names what it
//! was waiting for, within its timeout, and nothing panics or hangs.

mod support;

use std::time::Duration;

use peerspec::run::Status;
use support::*;
use tokio::io::AsyncWriteExt;

const GET_EXPECT_200: &str = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n";

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
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n<iframe src=\"hello.html\">\r\n11\r\n</iframe>\r\n0\r\n\r\n").await;
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
    let case = |interim: &str| format!("id: t\nprotocol: http/1.1\nsteps:\n  - send: {{ request: {{ target: / }} }}\n  - expect: {{ response: {{ status: 200, interim: {interim} }} }}\n");
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
