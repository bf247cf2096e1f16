//! Test support: scripted fake peers on loopback and a way to run one YAML case against them.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use peerspec::run::plan::parse_cases;
use peerspec::run::{run_case, CaseResult, RunConfig};
use peerspec::transport::Endpoint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every test wait is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(10);

/// A loopback server that handles each accepted connection with `script` (at most 16
/// connections, so a test can never spin).
pub async fn fake_peer<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fake_peer_accepting(16, script).await
}

/// [`fake_peer`] that accepts at most `connections` connections.
pub async fn fake_peer_accepting<F, Fut>(connections: usize, script: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..connections {
            let Ok(Ok((stream, _))) = tokio::time::timeout(LIMIT, listener.accept()).await else { return };
            tokio::spawn(tokio::time::timeout(LIMIT, script(stream)));
        }
    });
    addr
}

/// An HTTP/2 frame: its 9-byte header (length, type, flags, stream) and the payload.
pub fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads and drops what peerspec sends, in the background (at most `reads` reads, each bounded by
/// [`LIMIT`]), so a flooding peer's writes never stall on a full receive window.
pub fn drain_in_background(mut read: tokio::net::tcp::OwnedReadHalf, reads: usize) {
    tokio::spawn(async move {
        let mut sink = [0u8; 4096];
        for _ in 0..reads {
            match tokio::time::timeout(LIMIT, read.read(&mut sink)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => break,
            }
        }
    });
}

/// A fake peer that reads one request head, then writes `response` and closes (FIN).
pub async fn answers_with(response: &'static [u8]) -> SocketAddr {
    fake_peer(move |mut s| async move {
        read_head(&mut s).await;
        let _ = s.write_all(response).await;
        let _ = s.shutdown().await;
    })
    .await
}

/// Reads until the end of a request head (or 64 KiB, or the peer closes).
pub async fn read_head(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 65536 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// Run configuration for a plain TCP target.
pub fn config_for(addr: SocketAddr, timeout: Duration) -> RunConfig {
    RunConfig {
        endpoint: Endpoint { host: addr.ip().to_string(), port: addr.port(), tls: None, connect_timeout: timeout },
        target_name: addr.to_string(),
        base_path: "/".into(),
        ws_path: "/ws".into(),
        provides: None,
        client_provides: Default::default(),
        default_timeout: timeout,
        jobs: 1,
        strict: false,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        client_command: None,
        serve_tls: false,
        caps: Default::default(),
    }
}

/// Parses one case from YAML and runs it.
pub async fn run_yaml(yaml: &str, config: &RunConfig) -> CaseResult {
    let cases = parse_cases("test.yaml", yaml).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(cases.len(), 1);
    tokio::time::timeout(LIMIT, run_case(&cases[0], config)).await.expect("a case never outlives its timeout")
}

/// A TLS acceptor for `localhost` with a fresh self-signed certificate, offering `alpn`; returns
/// it and the certificate as PEM (to trust it with `--ca-file`).
pub fn self_signed_acceptor(alpn: &[&[u8]]) -> (tokio_rustls::TlsAcceptor, String) {
    use std::sync::Arc;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), pem)
}
