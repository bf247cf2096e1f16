//! WebSocket end to end: the seed exchange against the built-in target, a wss:// target over
//! rustls, ws:// target resolution, and hostile servers peerspec must catch (a wrong accept value,
//! a masked server frame, a server that never answers the close), and permessage-deflate: a
//! declined offer, an answer outside the offer, a decompression bomb.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use peerspec::run::Status;
use peerspec::target::{resolve, TargetOptions};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsAcceptor;

const ECHO_AND_CLOSE: &str = "id: t\nprotocol: websocket\nsteps:\n\
  - send: { message: { text: \"今から\", fragments: [1, 3] } }\n\
  - expect: { message: { echo: true } }\n\
  - send: { ws_ping: hi }\n\
  - expect: { pong: hi }\n\
  - send: { ws_close: { code: 1000 } }\n\
  - expect: { close: { code: 1000 } }\n\
  - expect: { connection: closed, within: 1s }\n";

fn options(target: &str) -> TargetOptions {
    TargetOptions { timeout: Duration::from_secs(3), jobs: 1, ..TargetOptions::new(target) }
}

#[tokio::test]
async fn seed_exchange_and_echo_against_the_builtin_target() {
    let target = resolve(&options("builtin")).await.unwrap();
    assert_eq!(target.config.ws_path, "/ws");
    let r = run_yaml(ECHO_AND_CLOSE, &target.config).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    let text = r.transcript.render();
    assert!(text.contains("frame FIN=0 RSV=000 op=text"), "{text}");
    assert!(text.contains("op=continuation"), "{text}");
    assert!(text.contains("handshake response HTTP/1.1 101"), "{text}");

    let seed = peerspec::run::plan::load_paths(&[std::path::PathBuf::from("../cases/seed/websocket.yaml")]).unwrap();
    let r = tokio::time::timeout(LIMIT, peerspec::run::run_case(&seed[0], &target.config)).await.unwrap();
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
}

#[tokio::test]
async fn ws_and_wss_urls_set_the_handshake_path() {
    let t = resolve(&options("ws://127.0.0.1:9/chat?room=1")).await.unwrap();
    assert_eq!((t.config.ws_path.as_str(), t.config.endpoint.tls.is_none()), ("/chat?room=1", true));
    assert!(t.config.provides.unwrap().contains("websocket"), "a ws:// target is a WebSocket server");
    let t = resolve(&options("wss://localhost:9/")).await.unwrap();
    assert!(t.config.endpoint.tls.is_some());
    let mut o = options("http://127.0.0.1:9/");
    o.ws_path = Some("/socket".into());
    assert_eq!(resolve(&o).await.unwrap().config.ws_path, "/socket");
    let t = resolve(&options("http://127.0.0.1:9/")).await.unwrap();
    assert_eq!(t.config.ws_path, "/ws");
    assert!(!t.config.provides.unwrap().contains("websocket"), "http targets declare it with --provides");
}

#[tokio::test]
async fn wss_over_rustls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let addr = fake_peer(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
            while let Some(Ok(m)) = ws.next().await {
                if m.is_text() || m.is_binary() {
                    let _ = ws.send(m).await;
                } else if m.is_close() {
                    let _ = ws.flush().await;
                    break;
                }
            }
        }
    })
    .await;
    let mut o = options(&format!("wss://localhost:{}/", addr.port()));
    o.tls.insecure = true;
    let target = resolve(&o).await.unwrap();
    let r = run_yaml(ECHO_AND_CLOSE, &target.config).await;
    assert_eq!(r.status, Status::Passed, "{:?}\n{}", r.message, r.transcript.render());
    assert!(r.transcript.render().contains("over TLS"));
}

/// A fake server that answers any upgrade with `response`, then writes `after`.
async fn scripted_server(response: &'static str, after: &'static [u8]) -> std::net::SocketAddr {
    fake_peer(move |mut s| async move {
        read_head(&mut s).await;
        let _ = s.write_all(response.as_bytes()).await;
        let _ = s.write_all(after).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await
}

/// A 101 whose accept value is right only for the RFC's sample key.
const SAMPLE_KEY_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

#[tokio::test]
async fn a_wrong_accept_value_fails_the_handshake() {
    let addr = scripted_server(SAMPLE_KEY_101, b"").await;
    let r = run_yaml(ECHO_AND_CLOSE, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.as_deref().unwrap_or("").contains("Sec-WebSocket-Accept"), "{:?}", r.message);
}

#[tokio::test]
async fn a_masked_server_frame_and_a_missing_close_reply_fail() {
    // The fixed key makes the accept value known: the RFC's sample.
    let case = "id: t\nprotocol: websocket\nsteps:\n\
      - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n\
      - expect: { handshake: {} }\n\
      - expect: { message: { text: Hello } }\n";
    let masked: &[u8] = &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let addr = scripted_server(SAMPLE_KEY_101, masked).await;
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.as_deref().unwrap_or("").contains("MUST NOT mask"), "{:?}", r.message);

    // A server that never answers the close: the close expectation times out within its bound.
    let case = "id: t\nprotocol: websocket\nsteps:\n\
      - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ== } }\n\
      - expect: { handshake: {} }\n\
      - send: { ws_close: { code: 1000 } }\n\
      - expect: { close: {}, within: 200ms }\n";
    let addr = scripted_server(SAMPLE_KEY_101, b"").await;
    let started = std::time::Instant::now();
    let r = run_yaml(case, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.as_deref().unwrap_or("").contains("timed out waiting for a close frame"), "{:?}", r.message);
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// A 101 for the RFC's sample key that accepts permessage-deflate as offered.
const SAMPLE_KEY_101_DEFLATE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

const DEFLATE_OFFER: &str = "id: t\nprotocol: websocket\nsteps:\n\
  - send: { handshake: { key: dGhlIHNhbXBsZSBub25jZQ==, extensions: permessage-deflate } }\n\
  - expect: { handshake: { deflate: accepted } }\n\
  - expect: { message: { length: 1 } }\n";

#[tokio::test]
async fn a_decompression_bomb_stops_at_the_message_limit() {
    // 64 MiB of zeros in about 64 KiB: peerspec inflates no more than --max-message-size.
    let bomb = peerspec::wire::ws::deflate::Deflater::new(15, false).compress(&vec![0; 64 << 20]);
    let mut frame = vec![0xC2, 127];
    frame.extend((bomb.len() as u64).to_be_bytes());
    frame.extend(&bomb);
    let addr = scripted_server(SAMPLE_KEY_101_DEFLATE, Box::leak(frame.into_boxed_slice())).await;
    let mut config = config_for(addr, Duration::from_secs(5));
    config.caps.max_message_size = 1 << 20;
    let r = run_yaml(DEFLATE_OFFER, &config).await;
    assert_eq!(r.status, Status::Failed);
    let m = r.message.unwrap_or_default();
    assert!(m.contains("inflates to over 1048576 bytes (--max-message-size)"), "{m}");
}

#[tokio::test]
async fn a_declined_offer_is_not_applicable_and_a_bad_answer_fails() {
    let addr = scripted_server(SAMPLE_KEY_101, b"").await;
    let r = run_yaml(DEFLATE_OFFER, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Skipped, "{:?}", r.message);
    assert!(r.message.unwrap_or_default().contains("declined permessage-deflate"));
    // client_max_window_bits in the answer to an offer without it (RFC 7692 §7.1.2.2).
    let bad = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n";
    let addr = scripted_server(bad, b"").await;
    let r = run_yaml(DEFLATE_OFFER, &config_for(addr, Duration::from_secs(2))).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap_or_default().contains("which the offer did not include"));
}
