//! peerspec as a fake WebSocket server (role `server`): a real client (tokio-tungstenite) in
//! process against a case served with no command (as a browser page would connect), a client
//! that does not mask its frames, and a deliberately broken client that reports success on a
//! truncated message, which every truncation case of the client suite must catch.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use peerspec::run::Status;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn peerspec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_peerspec"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test]
async fn served_without_a_command_it_prints_the_url_and_an_external_client_passes() {
    let mut child = peerspec()
        .args([
            "serve",
            "cases/client/ws/messages.yaml",
            "--exact",
            "client/ws/5.4/utf8-character-split-across-fragments",
            "--timeout",
            "5s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // "case …: waiting for a client at ws://127.0.0.1:PORT/"
    let stderr = child.stderr.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        for _ in 0..20 {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line.contains("waiting for a client at") {
                break;
            }
        }
        line
    });
    let line = tokio::time::timeout(LIMIT, line).await.unwrap().unwrap();
    let url = line.split("waiting for a client at ").nth(1).unwrap_or_else(|| panic!("no URL in {line:?}")).trim().to_string();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");

    let (mut ws, _) = tokio::time::timeout(LIMIT, tokio_tungstenite::connect_async(&url)).await.unwrap().unwrap();
    let mut received = vec![];
    while let Ok(Some(Ok(m))) = tokio::time::timeout(LIMIT, ws.next()).await {
        if m.is_text() {
            received.push(m.to_text().unwrap().to_string());
            ws.send(m).await.unwrap();
        } else if m.is_close() {
            // tungstenite has queued the close reply; flushing writes it.
            let _ = ws.flush().await;
        }
    }
    assert_eq!(received, ["{\"id\":456,\"text\":\"今からこれふぁぼります\"}"]);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let out = text(&out);
    assert!(out.contains("client/ws/5.4/utf8-character-split-across-fragments ... ok"), "{out}");
}

/// Finds a free loopback port (a fixed `listen` lets an in-process client know where to go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unmasked_client_frame_fails_naming_the_frame_and_its_offset() {
    let port = free_port();
    let mut config = config_for("127.0.0.1:9".parse().unwrap(), Duration::from_secs(3));
    config.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let case = "id: t\nprotocol: websocket\nrole: server\nsteps:\n\
      - send: { message: { text: hello } }\n\
      - expect: { message: { echo: true } }\n";
    let request = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let request_len = request.len();
    // A raw client: a correct handshake, then the echo of the message in an unmasked frame.
    let client = tokio::spawn(async move {
        let mut s = None;
        for _ in 0..100 {
            if let Ok(c) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                s = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut s = s.expect("the fake server listens");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut got = read_head(&mut s).await;
        let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").expect("a whole head") + 4;
        assert!(String::from_utf8_lossy(&got[..head_end]).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{}", String::from_utf8_lossy(&got));
        let mut buf = [0u8; 64];
        while got.len() < head_end + 7 {
            match tokio::time::timeout(LIMIT, s.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        assert_eq!(&got[head_end..], b"\x81\x05hello", "the fake server's frame is unmasked");
        s.write_all(b"\x81\x05hello").await.unwrap();
        let mut rest = vec![];
        let _ = tokio::time::timeout(LIMIT, s.read_to_end(&mut rest)).await;
    });
    let r = run_yaml(case, &config).await;
    client.await.unwrap();
    assert_eq!(r.status, Status::Failed, "{}", r.transcript.render());
    let message = r.message.unwrap_or_default();
    assert!(message.contains(&format!("frame 1 of the connection, at byte offset {request_len}")), "{message}");
    assert!(message.contains("a client MUST mask every frame"), "{message}");
}

/// A WebSocket client with the bug this suite exists to catch: it takes whatever payload bytes
/// arrived before the connection ended as a whole message, and reports a clean close (exit 0).
/// Complete text frames it echoes, masked, as a real client does.
const BROKEN_CLIENT: &str = r#"
import json, socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=5)
s.sendall(("GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" % (u.hostname, u.port)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
buf = buf.split(b"\r\n\r\n", 1)[1]
def out(o):
    sys.stdout.write(json.dumps(o, separators=(",", ":")) + "\n")
def frames(buf):
    while len(buf) >= 2:
        n, at = buf[1] & 0x7F, 2
        if n == 126: n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127: n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n: break
        payload, buf = buf[at:at + n], buf[at + n:]
        out({"text": payload.decode("utf-8", "replace")})
        s.sendall(bytes([0x81, 0x80 | len(payload), 0, 0, 0, 0]) + payload)
    return buf
buf = frames(buf)
while True:
    try:
        data = s.recv(65536)
    except OSError:
        data = b""
    if not data:
        break
    buf = frames(buf + data)
partial = buf[2:]
if partial:
    out({"text": partial.decode("utf-8", "replace")})
out({"close": 1000, "reason": ""})
sys.exit(0)
"#;

#[test]
fn a_client_that_reports_success_on_a_truncated_message_fails_every_truncation_case() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("broken_ws_client.py");
    std::fs::write(&script, BROKEN_CLIENT).unwrap();
    let command = format!("python3 {} {{url}}", script.display());
    let o = peerspec().args(["serve", "cases/client/ws/truncation.yaml", "--timeout", "10s", "--client", &command]).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let cases = [
        "fin-inside-fragmented-message",
        "fin-inside-frame-payload",
        "fin-inside-64-bit-frame",
        "fin-inside-frame-header",
        "fin-without-close-frame",
        "reset-inside-fragmented-message",
    ];
    for case in cases {
        assert!(out.contains(&format!("client/ws/7.1.5/{case} ... FAILED")), "{case} must catch the broken client:\n{out}");
    }
    // fin-without-close-frame checks the 1006 report, which RFC 6455 §7.1.5 states without a
    // keyword (a may): it fails, not required.
    assert!(out.contains(&format!("0 passed; {} failed; 1 failed, not required", cases.len() - 1)), "{out}");
    assert_eq!(out.matches("client exit status: expected failure (non-zero), saw 0").count(), cases.len(), "{out}");
}
