//! HTTP/1.x verdicts against deliberately broken (or merely HTTP/1.0-style) peers: a message
//! carrying both Content-Length and Transfer-Encoding fails with RFC 9112 §6.2 in both roles,
//! and a server that closes a connection it said it would close is not failed for the steps
//! that needed the connection, while one that closes without saying so still is.

mod support;

use std::process::Command;
use std::time::Duration;

use peerspec::run::Status;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TE_CL_RULE: &str = "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding";

/// Answers every request head on the connection with `response` (at most 8), then closes.
async fn answers_each_with(response: &'static [u8]) -> std::net::SocketAddr {
    // Enough connections for the target check's probes and every case of three suite files.
    fake_peer_accepting(256, move |mut s| async move {
        for _ in 0..8 {
            if read_head(&mut s).await.is_empty() {
                break;
            }
            if s.write_all(response).await.is_err() {
                break;
            }
        }
        let _ = s.shutdown().await;
    })
    .await
}

/// Reads request heads until the peer has sent `n` of them (pipelined requests come in one read).
async fn read_heads(s: &mut tokio::net::TcpStream, n: usize) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.windows(4).filter(|w| w == b"\r\n\r\n").count() < n && got.len() < 65536 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(k) => got.extend_from_slice(&buf[..k]),
        }
    }
}

#[tokio::test]
async fn a_response_with_content_length_and_transfer_encoding_fails_with_the_rule() {
    // Both fields, well-formed chunked body: before, every case reading it passed.
    let addr =
        answers_each_with(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").await;
    let yaml =
        "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200, body: hello } }\n";
    let r = run_yaml(yaml, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    let msg = r.message.unwrap();
    assert!(msg.contains("step 2 (expect response)") && msg.contains("RFC 9112 §6.2") && msg.contains(TE_CL_RULE), "{msg}");

    // A HEAD response too: §6.2 is about any message.
    let addr = answers_each_with(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").await;
    let yaml = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { method: HEAD, target: / } }\n  - expect: { response: { status: 200 } }\n";
    let r = run_yaml(yaml, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.as_deref().unwrap().contains(TE_CL_RULE), "{:?}", r.message);

    // Either field alone passes: the check is about the pair.
    let addr = answers_each_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").await;
    let yaml =
        "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200, body: hello } }\n";
    let r = run_yaml(yaml, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
}

#[test]
fn the_http1_suite_fails_a_server_that_sends_content_length_with_transfer_encoding() {
    // The whole HTTP/1.1 suite against a server that answers everything that way: every case
    // that reads a response fails, each with the rule.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(answers_each_with(
        b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n<h1>Hello</h1>\r\n0\r\n\r\n",
    ));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["run", "cases/http1/keep-alive.yaml", "cases/http1/pipelining.yaml", "cases/http1/body-length.yaml"])
        .args(["--target", &format!("http://{addr}"), "--provides", "seed-files", "--timeout", "2s", "--quiet"])
        .args(["--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let cases = report["cases"].as_array().unwrap();
    let ran: Vec<&serde_json::Value> = cases.iter().filter(|c| c["status"] != "skipped").collect();
    assert!(ran.len() >= 10, "{}", String::from_utf8_lossy(&o.stdout));
    for c in ran {
        assert_eq!(c["status"], "failed", "{c}");
        assert!(c["message"].as_str().unwrap().contains(TE_CL_RULE), "{c}");
    }
}

#[test]
fn a_request_with_content_length_and_transfer_encoding_fails_the_client_with_the_rule() {
    let client = "exec 3<>/dev/tcp/{host}/{port}; printf 'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\n\
                  Transfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\n' >&3; cat <&3";
    let dir = tempfile::tempdir().unwrap();
    let bash = format!("bash -c \"{client}\"").replace('\'', "''");
    let yaml = format!(
        "id: te-cl\nprotocol: http/1.1\nrole: server\nclient:\n  command: '{bash}'\n\
         steps:\n  - expect: {{ request: {{ method: POST }} }}\n  - send: {{ response: {{ body: ok }} }}\n"
    );
    let path = dir.path().join("te-cl.yaml");
    std::fs::write(&path, yaml).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_peerspec"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["serve", path.to_str().unwrap(), "--timeout", "3s"])
        .output()
        .unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("invalid request") && out.contains(TE_CL_RULE), "{out}");
}

/// Two requests on one connection, each expecting 200, then a quiet open connection.
const TWO_ON_ONE: &str = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n\
                          \x20 - send: { request: { target: / } }\n  - expect: { response: { status: 200 } }\n  - expect: { connection: open }\n";

#[tokio::test]
async fn a_server_that_declares_its_close_and_closes_makes_the_rest_not_applicable() {
    // Python's http.server: an HTTP/1.0 response without keep-alive, then FIN.
    let addr = answers_with(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Skipped, "{:?}", r.message);
    let msg = r.message.unwrap();
    assert!(
        msg.contains("not applicable from step 4") && msg.contains("response 1 (HTTP/1.0 200) was HTTP/1.0 without keep-alive"),
        "{msg}"
    );
    // `Connection: close` on HTTP/1.1, and a body that ends with the close.
    for response in [
        &b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"[..],
        &b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\nok"[..],
        &b"HTTP/1.1 200 OK\r\n\r\nok"[..],
    ] {
        let addr = fake_peer(move |mut s| async move {
            read_head(&mut s).await;
            let _ = s.write_all(response).await;
            let _ = s.shutdown().await;
        })
        .await;
        let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_secs(2))).await;
        assert_eq!(r.status, Status::Skipped, "{:?}: {:?}", String::from_utf8_lossy(response), r.message);
    }
}

#[tokio::test]
async fn a_failure_before_the_declared_close_or_bytes_after_it_still_fail() {
    // The declaring response itself is judged: 404 where 200 was expected.
    let addr = answers_with(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n").await;
    let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!((r.status, r.failed_step), (Status::Failed, Some(2)), "{:?}", r.message);
    // Garbage after the declaring response, then FIN: not a clean close.
    let addr = answers_with(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE").await;
    let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed, "{:?}", r.message);
}

#[tokio::test]
async fn a_server_that_closes_without_declaring_it_is_judged_as_before() {
    let addr = answers_with(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!((r.status, r.failed_step), (Status::Failed, Some(4)), "{:?}", r.message);
    assert!(r.message.unwrap().contains("closed the connection before sending a response"));
}

#[tokio::test]
async fn a_server_that_declares_close_but_keeps_the_connection_still_fails() {
    // Connection: close, then silence with the connection open: the next response times out.
    let addr = fake_peer(|mut s| async move {
        read_head(&mut s).await;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok").await;
        tokio::time::sleep(LIMIT).await;
    })
    .await;
    let r = run_yaml(TWO_ON_ONE, &config_for(addr, Duration::from_millis(800))).await;
    assert_eq!((r.status, r.failed_step), (Status::Failed, Some(4)), "{:?}", r.message);
}

#[tokio::test]
async fn a_response_after_connection_close_fails_with_rfc_9112_9_6() {
    // Two pipelined requests; the first response says close, the second is answered anyway.
    let addr = fake_peer(|mut s| async move {
        read_heads(&mut s, 2).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .await;
        let _ = s.shutdown().await;
    })
    .await;
    let yaml = "id: t\nprotocol: http/1.1\nsteps:\n  - send: { pipeline: [{ target: / }, { target: / }] }\n\
                \x20 - expect: { response: { status: 200 } }\n  - expect: { response: { status: 200 } }\n";
    let r = run_yaml(yaml, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!((r.status, r.failed_step), (Status::Failed, Some(3)), "{:?}", r.message);
    let msg = r.message.unwrap();
    assert!(msg.contains("The server MUST NOT process any further requests received on that connection"), "{msg}");
}
