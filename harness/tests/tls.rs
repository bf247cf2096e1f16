//! HTTPS targets: verification against a CA file, failure without it, and `--insecure`.

mod support;

use std::time::Duration;

use peerspec::run::Status;
use peerspec::transport::{tls_config, TlsOptions};
use support::*;
use tokio::io::AsyncWriteExt;

const CASE: &str =
    "id: t\nprotocol: http/1.1\nsteps:\n  - send: { request: { target: / } }\n  - expect: { response: { status: 200, body: ok } }\n";

/// A TLS server for `localhost` with a fresh self-signed certificate; returns its port and the
/// certificate as PEM.
async fn tls_server() -> (u16, String) {
    let (acceptor, pem) = self_signed_acceptor(&[b"http/1.1"]);
    let addr = fake_peer(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else { return };
            let mut buf = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut tls, &mut buf).await;
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
            let _ = tls.shutdown().await;
        }
    })
    .await;
    (addr.port(), pem)
}

fn https_config(port: u16, options: &TlsOptions) -> peerspec::run::RunConfig {
    let mut config = config_for(std::net::SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_secs(3));
    config.endpoint.host = "localhost".into();
    config.endpoint.tls = Some(tls_config(options, &["http/1.1"]).unwrap());
    config
}

#[tokio::test]
async fn self_signed_fails_without_its_ca_and_passes_with_it() {
    let (port, pem) = tls_server().await;
    let r = run_yaml(CASE, &https_config(port, &TlsOptions::default())).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.message.unwrap().contains("TLS handshake failed"));

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let r = run_yaml(CASE, &https_config(port, &TlsOptions { ca_file: Some(ca), insecure: false })).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    assert!(r.transcript.render().contains("over TLS, ALPN http/1.1"));
}

#[tokio::test]
async fn insecure_accepts_any_certificate() {
    let (port, _) = tls_server().await;
    let r = run_yaml(CASE, &https_config(port, &TlsOptions { ca_file: None, insecure: true })).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
}

#[test]
fn a_ca_file_without_certificates_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("empty.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let err = tls_config(&TlsOptions { ca_file: Some(ca), insecure: false }, &[]).unwrap_err();
    assert!(err.contains("no CERTIFICATE"), "{err}");
}
