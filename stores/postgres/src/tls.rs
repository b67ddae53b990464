//! TLS to PostgreSQL with rustls, chosen by libpq's `sslmode` and `sslrootcert` on the URL (or
//! in a `key=value` connection string, or libpq's `PGSSLMODE`/`PGSSLROOTCERT` where the
//! location says nothing):
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (the default for a server on this machine) | if the server offers it, else plain | not checked: encryption against a passive listener only |
//! | `require` | always (a server without TLS is refused) | chains to `sslrootcert` or the system's roots |
//! | `verify-ca` | always | chains to `sslrootcert` or the system's roots |
//! | `verify-full` (the default for any other host) | always | chains to `sslrootcert` or the system's roots, and names the host |
//!
//! `sslrootcert` is a PEM file of one or more CA certificates, or `system` for the system's
//! store (as libpq 16, which then means `verify-full`). Two differences from libpq, on
//! purpose (a store's traffic is never silently plaintext or unverified off the machine):
//! - with no `sslmode` written, libpq's default is `prefer` everywhere; ours is `prefer` only
//!   when every host is loopback (`localhost`, `127.0.0.0/8`, `::1`) or a Unix socket, and
//!   `verify-full` otherwise. Write `sslmode=prefer` or `disable` to reach a remote server
//!   without checks;
//! - libpq's `require` checks nothing unless a root file exists; ours always checks the chain,
//!   as `verify-ca`.
//!
//! A server whose certificate no root vouches for is reached with its CA as `sslrootcert`
//! (or, knowingly, `prefer`). rust-postgres parses neither `verify-*` nor `sslrootcert`, so
//! they are taken out of the location here and the rest goes to its parser.

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
    fn parse(value: &str, source: &str) -> Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries plain first: a downgrade we do not offer.
            other => {
                return Err(Error::storage(format!(
                    "{source} {:?} is not one of disable, prefer, require, verify-ca, verify-full",
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

/// What a location (and libpq's environment) asks for, before the default is chosen by the
/// host (see [`TlsRequest::settings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsRequest {
    /// `sslmode`, if written.
    pub mode: Option<SslMode>,
    /// `sslrootcert`, if written (a PEM file or `system`).
    pub root_cert: Option<String>,
}

/// Take `sslmode` and `sslrootcert` out of `location` (a `postgres://` URL or a libpq
/// `key=value` string); the rest is for rust-postgres's parser (a `key=value` string comes
/// back with every value quoted as libpq reads it).
pub fn split_location(location: &str) -> Result<(String, TlsRequest)> {
    let mut request = TlsRequest::default();
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
                    match k {
                        "sslmode" => {
                            request.mode = Some(SslMode::parse(&v, "the PostgreSQL URL's sslmode")?)
                        }
                        "sslrootcert" => request.root_cert = Some(v),
                        _ => keep.push(pair),
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
        let info = sipcreds::Conninfo::parse(location)?;
        if let Some(v) = info.get("sslmode") {
            request.mode = Some(SslMode::parse(v, "the connection string's sslmode")?);
        }
        if let Some(v) = info.get("sslrootcert") {
            request.root_cert = Some(v.to_owned());
        }
        info.without(&["sslmode", "sslrootcert"])
            .to_conninfo_string()
    };
    if request.root_cert.as_deref() == Some("") {
        return Err(Error::storage(
            "sslrootcert is empty: give the PEM file of the server's CA, or system",
        ));
    }
    Ok((rest, request))
}

/// The libpq environment variables read here, each only where the location does not say:
/// `PGSSLMODE`, `PGSSLROOTCERT` and `PGPASSWORD`. The others (`PGHOST`, `PGPORT`,
/// `PGDATABASE`, `PGUSER`, `PGPASSFILE`, `PGSERVICE`, `PGSSLCERT`, `PGSSLKEY`, ...) are
/// ignored: the location names what they would.
pub const HONOURED_ENV: &[&str] = &["PGSSLMODE", "PGSSLROOTCERT", "PGPASSWORD"];

impl TlsRequest {
    /// Fill what the location did not say from `PGSSLMODE` and `PGSSLROOTCERT` (as libpq).
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Result<TlsRequest> {
        if self.mode.is_none()
            && let Some(v) = env("PGSSLMODE").filter(|v| !v.is_empty())
        {
            self.mode = Some(SslMode::parse(&v, "PGSSLMODE")?);
        }
        if self.root_cert.is_none() {
            self.root_cert = env("PGSSLROOTCERT").filter(|v| !v.is_empty());
        }
        Ok(self)
    }

    /// The settings for a server at these hosts. With no `sslmode` written: `prefer` when
    /// every host is this machine (loopback or a Unix socket), else `verify-full`, so a
    /// remote server is never reached in plaintext by default; `sslrootcert=system` alone
    /// means `verify-full` (as libpq 16).
    pub fn settings(self, loopback_only: bool) -> TlsSettings {
        let mode = match (self.mode, self.root_cert.as_deref()) {
            (Some(m), _) => m,
            (None, Some("system")) => SslMode::VerifyFull,
            (None, _) if loopback_only => SslMode::Prefer,
            (None, _) => SslMode::VerifyFull,
        };
        let root_cert = match self.root_cert.as_deref() {
            None | Some("system") => None,
            Some(path) => Some(PathBuf::from(path)),
        };
        TlsSettings { mode, root_cert }
    }
}

/// Are all these hosts this machine: a Unix socket, `localhost`, or a loopback address?
/// Addresses given as `hostaddr` are where the connection goes, so they decide when present.
pub fn loopback_only(hosts: &[postgres::config::Host], hostaddrs: &[std::net::IpAddr]) -> bool {
    if !hostaddrs.is_empty() {
        return hostaddrs.iter().all(|a| a.is_loopback());
    }
    hosts.iter().all(|h| match h {
        postgres::config::Host::Unix(_) => true,
        postgres::config::Host::Tcp(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|a| a.is_loopback())
        }
    })
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
        let chain = match checks {
            Checks::Full => {
                let builder = builder.with_root_certificates(self.roots()?);
                return Ok(builder.with_no_client_auth());
            }
            Checks::None => None,
            Checks::Chain => Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(self.roots()?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| Error::storage(format!("TLS: {e}")))?,
            ),
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ShortOfFull { chain, provider }))
            .with_no_client_auth();
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

/// What libpq checks short of `verify-full`: with `chain`, the chain of the server's certificate
/// (trusted root, validity, usage) and not the host name (`require`, `verify-ca`); without it,
/// nothing (`prefer`: encryption only, when the server offers it). Either way the handshake's
/// signatures are verified, so the session is with whoever holds the certificate's key.
#[derive(Debug)]
struct ShortOfFull {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ShortOfFull {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain first and the name last: a name error means a good chain.
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
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
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> (String, TlsSettings) {
        let (rest, request) = split_location(s).unwrap();
        (rest, request.settings(true))
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
            ("host='h' user='u' dbname='d'", SslMode::Disable)
        );
        let (rest, tls) = split("host = h password = 'a b\\'c' sslmode = require");
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("host='h' password='a b\\'c'", SslMode::Require)
        );

        let (_, tls) = split("postgres://h/db?sslrootcert=system");
        assert_eq!((tls.mode, tls.root_cert), (SslMode::VerifyFull, None));
    }

    #[test]
    fn with_no_sslmode_a_remote_host_is_verify_full_and_this_machine_prefer() {
        use postgres::config::Host;
        let tcp = |h: &str| Host::Tcp(h.into());
        for (hosts, addrs, loopback) in [
            (vec![tcp("localhost")], vec![], true),
            (vec![tcp("127.0.0.1"), tcp("::1")], vec![], true),
            (vec![Host::Unix("/run/postgresql".into())], vec![], true),
            (vec![tcp("db.internal")], vec![], false),
            (vec![tcp("localhost"), tcp("10.0.0.5")], vec![], false),
            (
                vec![tcp("db.internal")],
                vec!["127.0.0.1".parse().unwrap()],
                true,
            ),
            (
                vec![tcp("localhost")],
                vec!["192.0.2.1".parse().unwrap()],
                false,
            ),
        ] {
            assert_eq!(
                loopback_only(&hosts, &addrs),
                loopback,
                "{hosts:?} {addrs:?}"
            );
        }
        let none = TlsRequest::default();
        assert_eq!(none.clone().settings(false).mode, SslMode::VerifyFull);
        assert_eq!(none.settings(true).mode, SslMode::Prefer);
        // Written out, prefer and disable hold for a remote host too.
        for (query, mode) in [("prefer", SslMode::Prefer), ("disable", SslMode::Disable)] {
            let (_, request) =
                split_location(&format!("postgres://db.internal/x?sslmode={query}")).unwrap();
            assert_eq!(request.settings(false).mode, mode);
        }
    }

    #[test]
    fn pgsslmode_and_pgsslrootcert_fill_what_the_location_does_not_say() {
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("verify-full".to_owned()),
            "PGSSLROOTCERT" => Some("/etc/ca.pem".to_owned()),
            _ => None,
        };
        let (_, request) = split_location("postgres://127.0.0.1/db").unwrap();
        let tls = request.with_env(env).unwrap().settings(true);
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        // The location wins.
        let (_, request) = split_location("postgres://127.0.0.1/db?sslmode=disable").unwrap();
        assert_eq!(
            request.with_env(env).unwrap().settings(true).mode,
            SslMode::Disable
        );
        let e = TlsRequest::default()
            .with_env(|_| Some("allow".to_owned()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PGSSLMODE"), "{e}");
    }

    #[test]
    fn an_unknown_sslmode_is_refused_with_the_fix_and_a_quoted_root_is_read() {
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
        let (rest, request) = split_location("host=h sslrootcert='/a b/ca.pem'").unwrap();
        assert_eq!(rest, "host='h'");
        assert_eq!(request.root_cert.as_deref(), Some("/a b/ca.pem"));
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

    proptest::proptest! {
        // rust-postgres as the oracle: whatever password it reads from a libpq string (or a
        // URL's query) is hidden by the redaction, and reaches it unchanged through
        // split_location's rebuilt string.
        #[test]
        fn the_drivers_password_is_never_shown_and_survives_the_split(
            before in "(host=h |dbname='a b' |user = u )",
            spaces in "( ?)= ?",
            password in "Q7[A-Za-z0-9 '\\\\=@:/?#&;]{2,16}",
            quoted in proptest::bool::ANY,
            after in "( sslmode=disable| sslrootcert=/ca\\.pem| port=5433|)",
        ) {
            let value = sipcreds::Conninfo::value_text(&password, quoted);
            let location = format!("{before}password{spaces}{value}{after}");
            let driver: postgres::Config = location.parse().unwrap_or_else(|e| {
                // rust-postgres knows neither verify-* nor sslrootcert: without them it must parse.
                let (rest, _) = split_location(&location).unwrap();
                rest.parse().unwrap_or_else(|_| panic!("{location}: {e}"))
            });
            let from_driver = String::from_utf8(driver.get_password().unwrap().to_vec()).unwrap();
            proptest::prop_assert_eq!(&from_driver, &password);
            let shown = sipcreds::redact_location(&location);
            proptest::prop_assert!(!shown.contains("Q7"), "{} -> {}", location, shown);
            let (rest, _) = split_location(&location).unwrap();
            let again: postgres::Config = rest.parse().unwrap();
            proptest::prop_assert_eq!(again.get_password(), Some(password.as_bytes()));

            let url = format!(
                "postgres://h/db?sslmode=disable&password={}",
                percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC)
            );
            let shown = sipcreds::redact_location(&url);
            proptest::prop_assert!(!shown.contains("Q7"), "{} -> {}", url, shown);
        }
    }
}
