//! HTTP/2 cases end to end: against the built-in target (hyper/h2), and against scripted fake
//! peers that break the rules on purpose, to see that the checks catch them and say why.

mod support;

use std::time::Duration;

use peerspec::run::Status;
use peerspec::target::builtin::BuiltinTarget;
use peerspec::wire::h2::hpack;
use peerspec::wire::h2::{data, flag, goaway, headers, kind, settings, Frame, Payload};
use support::{config_for, fake_peer, run_yaml, self_signed_acceptor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SEED: &str = r#"
id: t/seed-h2
protocol: h2
steps:
  - send: { h2_request: { stream: 1, path: /main.html } }
  - send: { h2_request: { stream: 3, path: /hoge.html } }
  - expect: { h2_response: { stream: 1, status: 200, body: '<iframe src="hello.html"></iframe>', ends_with: end-stream-on-data } }
  - expect: { h2_response: { stream: 3, status: 404, body: '<h1>Not Found</h1>', ends_with: end-stream-on-data } }
  - send: { frames: [ ping: {} ] }
  - expect: { ping_ack: { quiet_streams: [1, 3] } }
"#;

#[tokio::test]
async fn seed_exchange_passes_against_the_builtin_target_with_a_frame_transcript() {
    let target = BuiltinTarget::start().await.unwrap();
    let result = run_yaml(SEED, &config_for(target.addr(), Duration::from_secs(5))).await;
    let transcript = result.transcript.render();
    assert_eq!(result.status, Status::Passed, "{:?}\n{transcript}", result.message);
    assert!(transcript.contains("HEADERS stream=1 flags=END_STREAM|END_HEADERS"), "{transcript}");
    assert!(transcript.contains("DATA stream=1 flags=END_STREAM len=34"), "{transcript}");
    assert!(transcript.contains(":status: 404"), "{transcript}");
    assert!(transcript.contains("PING stream=0 flags=ACK len=8"), "{transcript}");
}

#[tokio::test]
async fn a_wrong_expectation_fails_with_expected_and_seen() {
    let target = BuiltinTarget::start().await.unwrap();
    let yaml = SEED.replace("status: 404", "status: 200");
    let result = run_yaml(&yaml, &config_for(target.addr(), Duration::from_secs(5))).await;
    assert_eq!(result.status, Status::Failed);
    let message = result.message.unwrap();
    assert!(message.contains(":status: expected 200, saw 404"), "{message}");
}

fn frame(k: u8, flags: u8, stream: u32, payload: Payload) -> Vec<u8> {
    Frame::new(k, flags, stream, payload).encode()
}

fn response_bytes(extra: Vec<u8>) -> Vec<u8> {
    let mut out = frame(kind::SETTINGS, 0, 0, Payload::Settings(settings::Settings::default()));
    let block = hpack::encode(&hpack::reps_for(&[(":status".to_string(), "200".to_string())], false));
    out.extend(frame(
        kind::HEADERS,
        flag::END_HEADERS,
        1,
        Payload::Headers(headers::Headers { padding: None, priority: None, fragment: block }),
    ));
    out.extend(frame(kind::DATA, flag::END_STREAM, 1, Payload::Data(data::Data { data: b"hi".to_vec(), padding: None })));
    out.extend(extra);
    out
}

/// A fake HTTP/2 server: reads the client's first bytes, writes `reply`, then either closes or
/// stays open (reading and discarding) until the client goes.
async fn h2_peer(reply: Vec<u8>, close: bool) -> std::net::SocketAddr {
    fake_peer(move |mut s| {
        let reply = reply.clone();
        async move {
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&reply).await;
            if close {
                let _ = s.shutdown().await;
                return;
            }
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_frame_after_end_stream_fails_the_barrier() {
    let late = frame(kind::DATA, 0, 1, Payload::Data(data::Data { data: b"late".to_vec(), padding: None }));
    let addr = h2_peer(response_bytes(late), false).await;
    let yaml = r#"
id: t/late
protocol: h2
steps:
  - send: { h2_request: { stream: 1 } }
  - expect: { h2_response: { stream: 1, status: 200, body: hi } }
  - send: { frames: [ ping: {} ] }
  - expect: { ping_ack: { quiet_streams: [1] } }
"#;
    let result = run_yaml(yaml, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(result.status, Status::Failed);
    let message = result.message.unwrap();
    assert!(message.contains("DATA stream=1") && message.contains("must stay quiet"), "{message}");
}

const CONNECTION_ERROR: &str = r#"
id: t/conn-error
protocol: h2
steps:
  - send: { frames: [ data: { stream: 1, data: x }, ping: {} ] }
  - expect: { connection_error: PROTOCOL_ERROR }
"#;

fn goaway(code: u32) -> Vec<u8> {
    frame(kind::GOAWAY, 0, 0, Payload::Goaway(goaway::Goaway { last_stream_id: 0, code, debug: vec![] }))
}

#[tokio::test]
async fn connection_errors_need_an_allowed_code() {
    let config = |addr| config_for(addr, Duration::from_secs(2));
    // GOAWAY PROTOCOL_ERROR, then close: pass.
    let addr = h2_peer(goaway(1), true).await;
    assert_eq!(run_yaml(CONNECTION_ERROR, &config(addr)).await.status, Status::Passed);
    // GOAWAY INTERNAL_ERROR, a generic code, and no close: the error is there, the step passes
    // and the transcript says which code came.
    let addr = h2_peer(goaway(2), false).await;
    let result = run_yaml(CONNECTION_ERROR, &config(addr)).await;
    assert_eq!(result.status, Status::Passed, "{:?}", result.message);
    assert!(result.transcript.render().contains("connection error with INTERNAL_ERROR, a generic code"), "{}", result.transcript.render());
    // With `close: true` the missing close is what fails, and the message says what arrived.
    let addr = h2_peer(goaway(1), false).await;
    let result = run_yaml(
        &CONNECTION_ERROR.replace("connection_error: PROTOCOL_ERROR", "connection_error: { error: PROTOCOL_ERROR, close: true }"),
        &config(addr),
    )
    .await;
    assert_eq!(result.status, Status::Failed);
    let message = result.message.unwrap();
    assert!(message.contains("GOAWAY") && message.contains("arrived") && message.contains("still waiting for the TCP close"), "{message}");
    // Closing without GOAWAY meets the MUST (close); GOAWAY is a SHOULD.
    let addr = h2_peer(vec![], true).await;
    assert_eq!(run_yaml(CONNECTION_ERROR, &config(addr)).await.status, Status::Passed);
    // The wrong code fails at once.
    let addr = h2_peer(goaway(6), true).await;
    let result = run_yaml(CONNECTION_ERROR, &config(addr)).await;
    assert_eq!(result.status, Status::Failed);
    assert!(result.message.unwrap().contains("FRAME_SIZE_ERROR"));
    // A PING ACK for the barrier and no error: fails without waiting for the timeout.
    let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(peerspec::wire::h2::ping::Ping { data: b"peerspec".to_vec() }));
    let addr = h2_peer(ack, false).await;
    let started = std::time::Instant::now();
    let result = run_yaml(CONNECTION_ERROR, &config_for(addr, Duration::from_secs(5))).await;
    assert_eq!(result.status, Status::Failed);
    assert!(result.message.unwrap().contains("let the error pass"));
    assert!(started.elapsed() < Duration::from_secs(2), "the barrier, not the timeout, decided");
}

#[tokio::test]
async fn an_error_just_behind_the_barrier_ack_still_counts() {
    // RFC 9113 §6.7 lets a peer answer PING before the GOAWAY the frame under test caused.
    let ack = frame(kind::PING, flag::ACK, 0, Payload::Ping(peerspec::wire::h2::ping::Ping { data: b"peerspec".to_vec() }));
    let addr = fake_peer(move |mut s| {
        let ack = ack.clone();
        async move {
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&ack).await;
            tokio::time::sleep(Duration::from_millis(40)).await;
            let _ = s.write_all(&goaway(1)).await;
            let _ = s.shutdown().await;
        }
    })
    .await;
    let result = run_yaml(CONNECTION_ERROR, &config_for(addr, Duration::from_secs(5))).await;
    assert_eq!(result.status, Status::Passed, "{:?}", result.message);
    assert!(result.transcript.render().contains("connection error with PROTOCOL_ERROR"), "{}", result.transcript.render());
}

/// A response of `status` with `content-length` and `body` in one DATA frame with END_STREAM.
fn response_with_length(status: &str, content_length: &str, body: &[u8]) -> Vec<u8> {
    let mut out = frame(kind::SETTINGS, 0, 0, Payload::Settings(settings::Settings::default()));
    let fields = [(":status".to_string(), status.to_string()), ("content-length".to_string(), content_length.to_string())];
    let block = hpack::encode(&hpack::reps_for(&fields, false));
    out.extend(frame(
        kind::HEADERS,
        flag::END_HEADERS,
        1,
        Payload::Headers(headers::Headers { padding: None, priority: None, fragment: block }),
    ));
    out.extend(frame(kind::DATA, flag::END_STREAM, 1, Payload::Data(data::Data { data: body.to_vec(), padding: None })));
    out
}

#[tokio::test]
async fn a_response_whose_content_length_disagrees_with_its_data_fails_any_response_step() {
    // RFC 9113 §8.1.1: malformed, and "Clients MUST NOT accept a malformed response" — whatever
    // the step asks for.
    let config = |addr| config_for(addr, Duration::from_secs(2));
    let yaml = |method: &str, expect: &str| {
        format!("id: t/cl\nprotocol: h2\nsteps:\n  - send: {{ h2_request: {{ stream: 1, method: {method} }} }}\n  - expect: {{ h2_response: {expect} }}\n")
    };
    for expect in ["{ stream: 1 }", "{ stream: 1, status: 200, body: hi }"] {
        let addr = h2_peer(response_with_length("200", "5", b"hi"), false).await;
        let result = run_yaml(&yaml("GET", expect), &config(addr)).await;
        assert_eq!(result.status, Status::Failed, "{expect}");
        let message = result.message.unwrap();
        assert!(message.contains("content-length \"5\" with 2 bytes of DATA") && message.contains("§8.1.1"), "{message}");
    }
    // Equal: passes.
    let addr = h2_peer(response_with_length("200", "2", b"hi"), false).await;
    assert_eq!(run_yaml(&yaml("GET", "{ stream: 1, body: hi }"), &config(addr)).await.status, Status::Passed);
    // No content by definition: a response to HEAD, or a 304, may carry any content-length.
    let addr = h2_peer(response_with_length("200", "5", b""), false).await;
    assert_eq!(run_yaml(&yaml("HEAD", "{ stream: 1 }"), &config(addr)).await.status, Status::Passed);
    let addr = h2_peer(response_with_length("304", "5", b""), false).await;
    assert_eq!(run_yaml(&yaml("GET", "{ stream: 1 }"), &config(addr)).await.status, Status::Passed);
}

/// An HTTP/2 server over TLS (the `h2` crate) offering ALPN `h2` and `http/1.1`; returns its port
/// and its self-signed certificate.
async fn h2_tls_server(alpn: &[&[u8]]) -> (u16, String) {
    let (acceptor, pem) = self_signed_acceptor(alpn);
    let addr = fake_peer(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let Ok(mut conn) = h2::server::handshake(tls).await else { return };
            while let Some(Ok((_request, mut respond))) = conn.accept().await {
                let response = hyper::Response::builder().status(200).body(()).unwrap();
                if let Ok(mut body) = respond.send_response(response, false) {
                    let _ = body.send_data(bytes::Bytes::from_static(b"ok"), true);
                }
            }
        }
    })
    .await;
    (addr.port(), pem)
}

#[tokio::test]
async fn https_targets_negotiate_h2_through_alpn_for_h2_cases() {
    use peerspec::internals::{tls_config, TlsOptions};
    let (port, pem) = h2_tls_server(&[b"h2", b"http/1.1"]).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let mut config = config_for(std::net::SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(3));
    config.endpoint.host = "localhost".into();
    // The target is configured for HTTP/1.1, as `--target https://…` does; the h2 case asks for h2.
    config.endpoint.tls = Some(tls_config(&TlsOptions { ca_file: Some(ca), insecure: false }, &["http/1.1"]).unwrap());
    let yaml = r#"
id: t/tls
protocol: h2
steps:
  - send: { h2_request: { path: / } }
  - expect: { h2_response: { status: 200, body: ok, ends_with: end-stream-on-data } }
"#;
    let result = run_yaml(yaml, &config).await;
    let transcript = result.transcript.render();
    assert_eq!(result.status, Status::Passed, "{:?}\n{transcript}", result.message);
    assert!(transcript.contains("over TLS, ALPN h2"), "{transcript}");
    assert!(transcript.contains(":scheme: https"), "{transcript}");
}

#[tokio::test]
async fn an_h2_case_fails_clearly_when_the_tls_server_does_not_select_h2() {
    use peerspec::internals::{tls_config, TlsOptions};
    // A server that knows no ALPN at all completes the handshake without selecting a protocol.
    let (port, _) = h2_tls_server(&[]).await;
    let mut config = config_for(std::net::SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(3));
    config.endpoint.host = "localhost".into();
    config.endpoint.tls = Some(tls_config(&TlsOptions { ca_file: None, insecure: true }, &["http/1.1"]).unwrap());
    let yaml = "id: t/alpn\nprotocol: h2\nsteps:\n  - send: { h2_request: { path: / } }\n  - expect: { h2_response: { status: 200 } }\n";
    let result = run_yaml(yaml, &config).await;
    assert_eq!(result.status, Status::Failed);
    let message = result.message.unwrap();
    assert!(message.contains("did not select h2") && message.contains("no protocol"), "{message}");
}
