//! Connections to a target: TCP, or TLS over TCP through rustls, with every wait bounded.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// How to verify a TLS target's certificate.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM) to trust besides the built-in web roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Accept any certificate. Reports say so.
    pub insecure: bool,
}

/// Where to connect, and how.
#[derive(Clone)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS settings, for `https`/`wss` targets.
    pub tls: Option<Arc<ClientConfig>>,
    /// How long connecting (TCP and TLS handshake) may take.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("host", &self.host).field("port", &self.port).field("tls", &self.tls.is_some()).finish()
    }
}

impl Endpoint {
    /// The `host:port` authority (IPv6 hosts bracketed), for `Host` headers.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The same endpoint offering other ALPN protocols over TLS (cleartext endpoints unchanged).
    pub fn with_alpn(&self, alpn: &[&str]) -> Endpoint {
        let mut e = self.clone();
        if let Some(tls) = &self.tls {
            let mut config = (**tls).clone();
            config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
            e.tls = Some(Arc::new(config));
        }
        e
    }

    /// Opens a connection, TLS included when configured, within `connect_timeout` (TCP and TLS
    /// handshake together); a timeout says which of the two did not finish.
    pub async fn connect(&self) -> io::Result<Stream> {
        self.connect_by(tokio::time::Instant::now() + self.connect_timeout).await
    }

    /// [`Endpoint::connect`] by `deadline` or within `connect_timeout`, whichever comes first.
    pub async fn connect_by(&self, deadline: tokio::time::Instant) -> io::Result<Stream> {
        let started = tokio::time::Instant::now();
        let deadline = deadline.min(started + self.connect_timeout);
        let timed_out = |what: String| io::Error::new(io::ErrorKind::TimedOut, what);
        let tcp = match tokio::time::timeout_at(deadline, TcpStream::connect((self.host.as_str(), self.port))).await {
            Ok(tcp) => tcp?,
            Err(_) => return Err(timed_out(format!("no TCP connection to {} within {:?}", self.authority(), started.elapsed()))),
        };
        tcp.set_nodelay(true)?;
        let Some(config) = &self.tls else { return Ok(Stream::Tcp(tcp)) };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("invalid TLS server name {:?}: {e}", self.host)))?;
        match tokio::time::timeout_at(deadline, TlsConnector::from(config.clone()).connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(Stream::Tls(Box::new(tls))),
            Ok(Err(e)) => Err(io::Error::new(e.kind(), format!("TLS handshake failed: {e}{}", tls_hint(&e.to_string())))),
            Err(_) => Err(timed_out(format!(
                "TCP connected, but the TLS handshake with {} did not complete within {:?} of connecting",
                self.authority(),
                started.elapsed()
            ))),
        }
    }
}

/// What to do about a certificate error, for messages.
pub fn tls_hint(error: &str) -> &'static str {
    if error.contains("UnknownIssuer") || error.contains("CaUsedAsEndEntity") {
        " (the certificate is not signed by a CA peerspec trusts: give the CA, or the self-signed certificate itself, \
         with --ca-file FILE, or skip verification with --insecure)"
    } else if error.contains("NotValidForName") || error.contains("not valid for name") {
        " (the certificate does not name this host: target the name it was issued for, or use --insecure)"
    } else if error.contains("Expired") || error.contains("expired") || error.contains("NotValidYet") || error.contains("not valid yet") {
        " (the certificate is outside its validity period; --insecure skips verification)"
    } else {
        ""
    }
}

/// Builds the rustls client configuration: web roots plus `ca_file`, or no verification when
/// `insecure`. `alpn` lists the protocols to offer (`http/1.1`, `h2`).
pub fn tls_config(options: &TlsOptions, alpn: &[&str]) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().map_err(|e| e.to_string())?;
    let mut config = if options.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider))).with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut given = Vec::new();
        if let Some(path) = &options.ca_file {
            for cert in read_pem_certificates(path)? {
                roots.add(cert.clone()).map_err(|e| format!("{}: unusable CA certificate: {e}", path.display()))?;
                given.push(cert);
            }
        }
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| format!("cannot build the certificate verifier: {e}"))?;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(TrustGivenCertificates { webpki, given })).with_no_client_auth()
    };
    config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(Arc::new(config))
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs: Result<Vec<_>, _> =
        CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: cannot read CA file: {e}", path.display()))?.collect();
    let certs = certs.map_err(|e| format!("{}: invalid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no CERTIFICATE block found", path.display()));
    }
    Ok(certs)
}

/// The web PKI verifier, which also trusts a self-signed certificate given in `--ca-file` as
/// the server's own certificate, as curl does. webpki refuses such a certificate when it says it
/// is a CA (`openssl req -x509` makes them so): `CaUsedAsEndEntity`. For a certificate
/// byte-equal to one the user gave, that one refusal is overruled after the name check; its
/// validity period was checked before (webpki checks validity, then basic constraints), and
/// the handshake signatures are still checked by the web PKI verifier.
#[derive(Debug)]
struct TrustGivenCertificates {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    given: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for TrustGivenCertificates {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)))
                if format!("{other:?}").contains("CaUsedAsEndEntity") && self.given.iter().any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            verdict => verdict,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Certificate verifier for `--insecure`: signatures are still checked, the chain is not.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// An open connection: plain TCP or TLS.
pub enum Stream {
    /// Cleartext.
    Tcp(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
    /// TLS over TCP, peerspec being the server (the fake peer).
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref().0,
            Stream::TlsServer(s) => s.get_ref().0,
        }
    }

    /// The ALPN protocol the server chose, if any.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        match self {
            Stream::Tcp(_) => None,
            Stream::Tls(s) => s.get_ref().1.alpn_protocol().map(<[u8]>::to_vec),
            Stream::TlsServer(s) => s.get_ref().1.alpn_protocol().map(<[u8]>::to_vec),
        }
    }

    /// Drops the connection with a TCP RST instead of a FIN (SO_LINGER 0).
    pub fn reset(self) {
        let _ = self.tcp().set_zero_linger();
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
            Stream::TlsServer(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
            Stream::TlsServer(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
            Stream::TlsServer(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
            Stream::TlsServer(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
