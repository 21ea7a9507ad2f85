//! TLS between daemons (rustls with ring): Alignak's daemon settings `use_ssl`, `ca_cert`,
//! `server_cert`, `server_key`, `hard_ssl_name_check`, and Vigia's `client_auth` (mutual TLS:
//! a daemon answers only clients with a certificate from its CA).
//!
//! A daemon serves HTTPS with its certificate, and trusts, as a client, only its CA's
//! certificates; with mutual TLS it presents the same certificate to the daemons it calls
//! (`vigia certs issue` makes certificates good for both).
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A daemon's TLS files and choices.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The CA whose certificates this daemon trusts (`ca_cert`).
    pub ca: PathBuf,
    /// This daemon's certificate chain and key (`server_cert`, `server_key`), PEM.
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Mutual TLS: clients must present a certificate from `ca`, and this daemon presents its
    /// own to those it calls.
    pub client_auth: bool,
    /// `hard_ssl_name_check`: the daemons called must have their address in their certificate.
    pub name_check: bool,
}

/// ring rather than aws-lc: no C toolchain (cmake) needed to build Vigia. ring's provider
/// lacks post-quantum key exchange, which is why rustls marks it deprecated.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's TLS provider (reqwest's clients need one installed). Idempotent.
pub fn install_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::CryptoProvider::install_default((*provider()).clone());
    });
}

fn certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading certificates from {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading certificates from {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no PEM certificate", path.display());
    Ok(certs)
}

fn key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).with_context(|| format!("reading a PEM private key from {}", path.display()))
}

fn roots(ca: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for c in certs(ca)? {
        roots
            .add(c)
            .with_context(|| format!("{} is not a usable CA certificate", ca.display()))?;
    }
    Ok(roots)
}

/// The server side: this daemon's certificate; with `client_auth`, clients must present a
/// certificate its CA signed.
pub fn server_config(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = if files.client_auth {
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots(&files.ca)?), provider())
                .build()
                .context("the client certificate verifier")?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder
        .with_single_cert(certs(&files.cert)?, key(&files.key)?)
        .with_context(|| {
            format!(
                "{} and {} do not make a certificate and its key",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The client side: only the CA's certificates are trusted; with `client_auth`, this daemon's
/// certificate is presented.
pub fn client_config(files: &TlsFiles) -> anyhow::Result<rustls::ClientConfig> {
    let roots = Arc::new(roots(&files.ca)?);
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = if files.name_check {
        builder.with_root_certificates(roots)
    } else {
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider())
            .build()
            .context("the server certificate verifier")?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyName { inner }))
    };
    if files.client_auth {
        builder
            .with_client_auth_cert(certs(&files.cert)?, key(&files.key)?)
            .with_context(|| {
                format!(
                    "{} and {} as a client certificate",
                    files.cert.display(),
                    files.key.display()
                )
            })
    } else {
        Ok(builder.with_no_client_auth())
    }
}

/// A client config trusting `ca` only, for command-line tools (`vigia status --ca-cert`).
pub fn client_trusting(ca: &Path) -> anyhow::Result<rustls::ClientConfig> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots(ca)?)
        .with_no_client_auth())
}

/// `hard_ssl_name_check 0`: the certificate must chain to the CA and be valid, whatever
/// address it names.
#[derive(Debug)]
struct AnyName {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(Error::InvalidCertificate(CertificateError::NotValidForName))
            | Err(Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
