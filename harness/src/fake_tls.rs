//! TLS for the fake server (role `server`): a certificate authority and a `localhost` /
//! `127.0.0.1` certificate made on the fly with rcgen, the CA written to a file the client under
//! test is given (`{ca_file}`), and ALPN offering the case's protocol.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A certificate authority and a server certificate it signed, for one run.
pub struct FakeServerTls {
    /// PEM file holding the CA certificate, for the client under test to trust.
    pub ca_file: PathBuf,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl FakeServerTls {
    /// Makes a CA and a server certificate for `localhost`, `127.0.0.1` and `::1`, and writes
    /// the CA's PEM to a file in the temporary folder.
    pub fn generate() -> Result<Self, String> {
        let fail = |e: rcgen::Error| format!("cannot make the fake server's certificate: {e}");
        let ca_key = KeyPair::generate().map_err(fail)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "peerspec fake-server CA");
        let ca_cert = ca_params.self_signed(&ca_key).map_err(fail)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().map_err(fail)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()]).map_err(fail)?;
        params.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &issuer).map_err(fail)?;
        let ca_file = std::env::temp_dir().join(format!("peerspec-ca-{}.pem", std::process::id()));
        std::fs::write(&ca_file, ca_cert.pem()).map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;
        Ok(FakeServerTls { ca_file, chain: vec![cert.der().clone()], key_der: key.serialize_der() })
    }

    /// A TLS acceptor offering these ALPN protocols.
    pub fn acceptor(&self, alpn: &[&str]) -> Result<TlsAcceptor, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .map_err(|e| format!("the fake server's certificate is unusable: {e}"))?;
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// The run's certificates, made the first time they are asked for.
    pub fn shared() -> Result<&'static FakeServerTls, String> {
        static SHARED: OnceLock<Result<FakeServerTls, String>> = OnceLock::new();
        SHARED.get_or_init(FakeServerTls::generate).as_ref().map_err(Clone::clone)
    }
}

impl Drop for FakeServerTls {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_trusting_the_ca_file_accepts_the_server_certificate() {
        let tls = FakeServerTls::generate().unwrap();
        let options = crate::transport::TlsOptions { ca_file: Some(tls.ca_file.clone()), insecure: false };
        // The CA file parses and builds a client configuration.
        crate::transport::tls_config(&options, &["http/1.1"]).unwrap();
        assert!(std::fs::read_to_string(&tls.ca_file).unwrap().contains("BEGIN CERTIFICATE"));
        tls.acceptor(&["http/1.1"]).unwrap();
    }
}
