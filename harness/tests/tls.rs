//! HTTPS targets: verification against a CA file, failure without it, and `--insecure`.

mod support;

use std::time::Duration;

use peerspec::internals::{tls_config, TlsOptions};
use peerspec::run::Status;
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
    let message = r.message.unwrap();
    assert!(message.contains("TLS handshake failed") && message.contains("UnknownIssuer"), "{message}");
    assert!(
        message.contains("give the CA, or the self-signed certificate itself, with --ca-file FILE, or skip verification with --insecure")
    );
    assert_eq!(r.failure_kind, Some(peerspec::run::FailureKind::Setup), "cannot connect is a setup error");

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let r = run_yaml(CASE, &https_config(port, &TlsOptions { ca_file: Some(ca), insecure: false })).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    assert!(r.transcript.render().contains("over TLS, ALPN http/1.1"));
}

/// A TLS server with a self-signed certificate that says it is a CA (as `openssl req -x509`
/// makes them), for `names`, valid from `not_before` to `not_after` (years); returns its port and
/// the certificate as PEM.
async fn ca_flagged_self_signed_server(names: &[&str], not_before: i32, not_after: i32) -> (u16, String) {
    use std::sync::Arc;
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(not_before, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
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
    (addr.port(), cert.pem())
}

#[tokio::test]
async fn a_self_signed_ca_flagged_certificate_given_with_ca_file_is_trusted_as_curl_trusts_it() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("cert.pem");
    let with_ca = || TlsOptions { ca_file: Some(ca.clone()), insecure: false };
    let (port, pem) = ca_flagged_self_signed_server(&["localhost"], 2020, 2100).await;
    std::fs::write(&ca, &pem).unwrap();
    let r = run_yaml(CASE, &https_config(port, &with_ca())).await;
    assert_eq!(r.status, Status::Passed, "{:?}", r.message);
    // Without it (webpki says CaUsedAsEndEntity here, UnknownIssuer for a certificate that is no
    // CA): the hint says what to do.
    let r = run_yaml(CASE, &https_config(port, &TlsOptions::default())).await;
    let message = r.message.unwrap();
    assert!(message.contains("TLS handshake failed") && message.contains("--ca-file") && message.contains("--insecure"), "{message}");
    // Every other check holds: the name, and the validity period.
    let (port, pem) = ca_flagged_self_signed_server(&["example.org"], 2020, 2100).await;
    std::fs::write(&ca, &pem).unwrap();
    let r = run_yaml(CASE, &https_config(port, &with_ca())).await;
    let message = r.message.unwrap_or_default();
    assert!(message.contains("not valid for name \"localhost\"") && message.contains("target the name it was issued for"), "{message}");
    let (port, pem) = ca_flagged_self_signed_server(&["localhost"], 2001, 2002).await;
    std::fs::write(&ca, &pem).unwrap();
    let r = run_yaml(CASE, &https_config(port, &with_ca())).await;
    let message = r.message.unwrap_or_default();
    assert!(message.contains("expired") && message.contains("outside its validity period"), "{message}");
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
