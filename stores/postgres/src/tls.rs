//! TLS to PostgreSQL with rustls, chosen by libpq's `sslmode` and `sslrootcert` on the URL (or
//! in a `key=value` connection string):
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (the default, as libpq's) | if the server offers it, else plain | not checked: encryption against a passive listener only |
//! | `require` | always (a server without TLS is refused) | chains to `sslrootcert` or the system's roots |
//! | `verify-ca` | always | chains to `sslrootcert` or the system's roots |
//! | `verify-full` | always | chains to `sslrootcert` or the system's roots, and names the host |
//!
//! `sslrootcert` is a PEM file of one or more CA certificates, or `system` for the system's
//! store (as libpq 16, which then means `verify-full`). One difference from libpq, on purpose
//! (SPEC §10: a TLS connection is verified against the system's or a given CA): libpq's
//! `require` checks nothing unless a root file exists, ours always checks the chain, as
//! `verify-ca`. A server whose certificate no root vouches for is reached with `prefer`
//! (encrypted, unchecked, plain when it offers no TLS) or with its CA as `sslrootcert`.
//! `verify-full` is what a production URL should say.
//! rust-postgres parses neither `verify-*` nor `sslrootcert`, so they are taken out of the
//! location here and the rest goes to its parser.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode as DriverMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sipcreds::{Error, Result};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it; the certificate is not checked.
    #[default]
    Prefer,
    /// TLS always; the certificate chains to a trusted root (unlike libpq's, see above).
    Require,
    /// TLS always; the certificate chains to a trusted root.
    VerifyCa,
    /// TLS always; the certificate chains to a trusted root and names the host.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries plain first: a downgrade we do not offer.
            other => {
                return Err(Error::storage(format!(
                    "the PostgreSQL URL's sslmode {:?} is not one of disable, prefer, require, verify-ca, verify-full",
                    sipcreds::printable(other, 32)
                )));
            }
        })
    }

    /// The spelling on a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS settings of a location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `sslmode`.
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file, or `None` for the system's roots.
    pub root_cert: Option<PathBuf>,
}

/// Take `sslmode` and `sslrootcert` out of `location` (a `postgres://` URL or a libpq
/// `key=value` string); the rest is for rust-postgres's parser.
pub fn split_location(location: &str) -> Result<(String, TlsSettings)> {
    let mut mode = None;
    let mut root = None;
    let mut take = |key: &str, value: String| -> Result<bool> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => root = Some(value),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if sipcreds::location_scheme(location).is_some() {
        match location.split_once('?') {
            None => location.to_owned(),
            Some((base, query)) => {
                let mut keep = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = percent_encoding::percent_decode_str(v)
                        .decode_utf8()
                        .map_err(|_| Error::storage("the PostgreSQL URL's query is not UTF-8"))?
                        .into_owned();
                    if !take(k, v)? {
                        keep.push(pair);
                    }
                }
                if keep.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", keep.join("&"))
                }
            }
        }
    } else {
        let mut keep = Vec::new();
        for token in location.split_whitespace() {
            match token.split_once('=') {
                Some((k @ ("sslmode" | "sslrootcert"), v)) => {
                    if v.is_empty() || v.starts_with('\'') {
                        return Err(Error::storage(format!(
                            "write {k}=VALUE without spaces or quotes in the connection string, or use a postgres:// URL with ?{k}=..."
                        )));
                    }
                    take(k, v.to_owned())?;
                }
                _ => keep.push(token),
            }
        }
        keep.join(" ")
    };
    let root_cert = match root.as_deref() {
        None | Some("system") => None,
        Some(path) => Some(PathBuf::from(path)),
    };
    let mode = match (mode, root.as_deref()) {
        (Some(m), _) => m,
        // libpq: sslrootcert=system without an sslmode means verify-full.
        (None, Some("system")) => SslMode::VerifyFull,
        (None, _) => SslMode::default(),
    };
    Ok((rest, TlsSettings { mode, root_cert }))
}

impl TlsSettings {
    /// What rust-postgres is told: whether to ask for TLS, and whether to go on without it.
    pub(crate) fn driver_mode(&self) -> DriverMode {
        match self.mode {
            SslMode::Disable => DriverMode::Disable,
            SslMode::Prefer => DriverMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverMode::Require,
        }
    }

    /// The rustls configuration of these settings (ring as the crypto provider).
    pub(crate) fn client_config(&self) -> Result<ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::storage(format!("TLS: {e}")))?;
        let checks = match (self.mode, &self.root_cert) {
            (SslMode::Disable | SslMode::Prefer, _) => Checks::None,
            (SslMode::Require | SslMode::VerifyCa, _) => Checks::Chain,
            (SslMode::VerifyFull, _) => Checks::Full,
        };
        let config = match checks {
            Checks::None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
                .with_no_client_auth(),
            Checks::Full => builder
                .with_root_certificates(self.roots()?)
                .with_no_client_auth(),
            Checks::Chain => {
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(self.roots()?), provider)
                        .build()
                        .map_err(|e| Error::storage(format!("TLS: {e}")))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            }
        };
        Ok(config)
    }

    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                let (added, _) = roots.add_parsable_certificates(read_pem_certificates(path)?);
                if added == 0 {
                    return Err(Error::storage(format!(
                        "sslrootcert {}: no usable CA certificate in it",
                        path.display()
                    )));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(Error::storage(format!(
                        "sslmode={}: the system has no CA certificates (install ca-certificates), or give the server's CA as sslrootcert=FILE",
                        self.mode.as_str()
                    )));
                }
            }
        }
        Ok(roots)
    }
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: std::result::Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::storage(format!("sslrootcert {}: {e}", path.display())))?
        .collect();
    let certs =
        certs.map_err(|e| Error::storage(format!("sslrootcert {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::storage(format!(
            "sslrootcert {}: no PEM certificate in it",
            path.display()
        )));
    }
    Ok(certs)
}

enum Checks {
    None,
    Chain,
    Full,
}

/// `prefer`: encryption only (libpq's meaning), when the server offers it. The handshake's
/// signatures are still verified, so the session is with whoever holds the certificate's key.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `require` and `verify-ca`: the chain is checked (trusted root, validity, usage), the host
/// name is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last: a name error means a good chain.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (String, TlsSettings) {
        split_location(s).unwrap()
    }

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_urls_and_strings() {
        let (rest, tls) = split(
            "postgres://u:p@h:5432/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
        );
        assert_eq!(rest, "postgres://u:p@h:5432/db?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert.as_deref(), Some(Path::new("/tmp/ca.pem")));

        let (rest, tls) = split("postgres://h/db");
        assert_eq!(
            (rest.as_str(), tls),
            ("postgres://h/db", TlsSettings::default())
        );
        assert_eq!(TlsSettings::default().mode, SslMode::Prefer);

        let (rest, tls) = split("postgres://h/db?sslmode=require");
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("postgres://h/db", SslMode::Require)
        );

        let (rest, tls) = split("host=h user=u sslmode=disable dbname=d");
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("host=h user=u dbname=d", SslMode::Disable)
        );

        let (_, tls) = split("postgres://h/db?sslrootcert=system");
        assert_eq!((tls.mode, tls.root_cert), (SslMode::VerifyFull, None));
    }

    #[test]
    fn an_unknown_sslmode_or_a_quoted_value_is_refused_with_the_fix() {
        for bad in [
            "postgres://h/db?sslmode=allow",
            "postgres://h/db?sslmode=VERIFY",
            "host=h sslmode=bogus",
        ] {
            let e = split_location(bad).unwrap_err().to_string();
            assert!(
                e.contains("disable, prefer, require, verify-ca, verify-full"),
                "{e}"
            );
        }
        let e = split_location("host=h sslrootcert='/a b/ca.pem'")
            .unwrap_err()
            .to_string();
        assert!(e.contains("without spaces or quotes"), "{e}");
    }

    #[test]
    fn a_root_file_that_is_missing_or_holds_no_certificate_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for (path, says) in [
            (dir.path().join("missing.pem"), "missing.pem"),
            (empty, "no PEM certificate"),
        ] {
            let tls = TlsSettings {
                mode: SslMode::VerifyFull,
                root_cert: Some(path),
            };
            let e = tls.client_config().unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}
