//! The probe's options (§12): `timeout`, `register`, `caFile`, `nameserver`, `localAddress`.
//! Every one is checked before anything is sent; one that does not parse is
//! `invalid_option` naming it.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};
use serde_json::Value;
use sipcreds::{Error, ErrorCode};

/// The default budget of a whole probe.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The shortest budget accepted.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(100);
/// The longest budget accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// The options of one probe.
#[derive(Clone)]
pub struct ProbeOptions {
    /// The budget of the whole probe (0.1–60 s; default 5 s).
    pub timeout: Duration,
    /// Send the REGISTER binding query: `None` is "when the credential has an `authUser`".
    pub register: Option<bool>,
    /// The CA file the TLS certificate is verified against, instead of the bundled Mozilla
    /// roots and the system's store.
    pub ca_file: Option<PathBuf>,
    /// The nameserver (`ip:port`) asked instead of the system's resolver.
    pub nameserver: Option<SocketAddr>,
    /// The local address the sockets are bound to.
    pub local_address: Option<IpAddr>,
    /// Add every message sent and received to the report (`trace`), secrets redacted.
    pub trace: bool,
    tls: Arc<ClientConfig>,
}

impl std::fmt::Debug for ProbeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeOptions")
            .field("timeout", &self.timeout)
            .field("register", &self.register)
            .field("ca_file", &self.ca_file)
            .field("nameserver", &self.nameserver)
            .field("local_address", &self.local_address)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: DEFAULT_TIMEOUT,
            register: None,
            ca_file: None,
            nameserver: None,
            local_address: None,
            trace: false,
            tls: default_tls(),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::invalid(ErrorCode::InvalidOption, field, message)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config(roots: RootCertStore) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        // ring implements every default version: this cannot fail.
        .expect("rustls with ring supports TLS 1.2 and 1.3");
    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
}

/// The bundled Mozilla roots and the system's store (read once).
fn default_tls() -> Arc<ClientConfig> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            // The system's store adds a company CA; a slim image without one just has none.
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = roots.add(cert);
            }
            config(roots)
        })
        .clone()
}

fn load_ca_file(path: &Path) -> Result<Arc<ClientConfig>, Error> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let shown = path.display();
    let data = std::fs::read(path)
        .map_err(|e| invalid("caFile", format!("the CA file {shown} cannot be read: {e}")))?;
    let mut roots = RootCertStore::empty();
    let mut bad = 0;
    for cert in CertificateDer::pem_slice_iter(&data) {
        match cert {
            Ok(c) => {
                if roots.add(c).is_err() {
                    bad += 1;
                }
            }
            Err(_) => bad += 1,
        }
    }
    if roots.is_empty() {
        return Err(invalid(
            "caFile",
            format!(
                "the CA file {shown} holds no usable PEM certificate{}",
                if bad > 0 {
                    format!(" ({bad} did not parse)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    Ok(config(roots))
}

impl ProbeOptions {
    /// The TLS client configuration (the roots chosen).
    pub fn tls_config(&self) -> Arc<ClientConfig> {
        self.tls.clone()
    }

    /// Set the budget, checked.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&timeout) {
            return Err(invalid(
                "timeout",
                format!(
                    "timeout must be 0.1 to 60 seconds, not {}",
                    timeout.as_secs_f64()
                ),
            ));
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Verify TLS against the certificates of this PEM file only.
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        self.tls = load_ca_file(&path)?;
        self.ca_file = Some(path);
        Ok(self)
    }

    /// Parse `timeout` in seconds (a number or a numeric string).
    pub fn parse_timeout(text: &str) -> Result<Duration, Error> {
        let secs: f64 = text.trim().parse().map_err(|_| {
            invalid(
                "timeout",
                format!(
                    "timeout must be a number of seconds from 0.1 to 60, not {}",
                    sipcreds::printable(text, 40)
                ),
            )
        })?;
        seconds(secs)
    }

    /// Parse a nameserver `ip:port`.
    pub fn parse_nameserver(text: &str) -> Result<SocketAddr, Error> {
        text.trim().parse().map_err(|_| {
            invalid(
                "nameserver",
                format!(
                    "nameserver must be ip:port, such as 127.0.0.1:53 or [::1]:53, not {}",
                    sipcreds::printable(text, 60)
                ),
            )
        })
    }

    /// Parse a local address (an IP).
    pub fn parse_local_address(text: &str) -> Result<IpAddr, Error> {
        text.trim().parse().map_err(|_| {
            invalid(
                "localAddress",
                format!(
                    "localAddress must be an IP address, not {}",
                    sipcreds::printable(text, 60)
                ),
            )
        })
    }

    /// The options of a JSON object (`{"timeout": 2.5, "register": false, "caFile": "...",
    /// "nameserver": "127.0.0.1:5353", "localAddress": "127.0.0.1"}`); an empty text or
    /// `null` is the defaults.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Ok(ProbeOptions::default());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                ErrorCode::InvalidOption,
                "options",
                format!("the probe options are not JSON: {e}"),
            )
        })?;
        Self::from_value(&value)
    }

    /// The options of a parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let mut o = ProbeOptions::default();
        let map = match value {
            Value::Null => return Ok(o),
            Value::Object(m) => m,
            _ => {
                return Err(invalid(
                    "options",
                    "the probe options must be a JSON object",
                ));
            }
        };
        for (key, v) in map {
            match key.as_str() {
                "timeout" => {
                    o.timeout = match v {
                        Value::Null => DEFAULT_TIMEOUT,
                        Value::Number(n) => seconds(n.as_f64().unwrap_or(f64::NAN))?,
                        Value::String(s) => Self::parse_timeout(s)?,
                        _ => return Err(invalid("timeout", "timeout must be a number of seconds")),
                    }
                }
                "register" => {
                    o.register = match v {
                        Value::Null => None,
                        Value::Bool(b) => Some(*b),
                        _ => return Err(invalid("register", "register must be true or false")),
                    }
                }
                "caFile" => match v {
                    Value::Null => {}
                    Value::String(s) if !s.is_empty() => o = o.with_ca_file(s)?,
                    _ => return Err(invalid("caFile", "caFile must be the path of a PEM file")),
                },
                "nameserver" => match v {
                    Value::Null => {}
                    Value::String(s) => o.nameserver = Some(Self::parse_nameserver(s)?),
                    _ => return Err(invalid("nameserver", "nameserver must be a string ip:port")),
                },
                "localAddress" => match v {
                    Value::Null => {}
                    Value::String(s) => o.local_address = Some(Self::parse_local_address(s)?),
                    _ => {
                        return Err(invalid(
                            "localAddress",
                            "localAddress must be a string IP address",
                        ));
                    }
                },
                "trace" => match v {
                    Value::Null => {}
                    Value::Bool(b) => o.trace = *b,
                    _ => return Err(invalid("trace", "trace must be true or false")),
                },
                other => {
                    return Err(Error::invalid(
                        ErrorCode::InvalidOption,
                        sipcreds::printable(other, sipcreds::MAX_ECHOED_FIELD_CHARS),
                        format!(
                            "unknown probe option {}; the options are timeout, register, caFile, nameserver, localAddress, trace",
                            sipcreds::printable(other, sipcreds::MAX_ECHOED_FIELD_CHARS)
                        ),
                    ));
                }
            }
        }
        Ok(o)
    }
}

fn seconds(secs: f64) -> Result<Duration, Error> {
    if !secs.is_finite() || !(0.1..=60.0).contains(&secs) {
        return Err(invalid(
            "timeout",
            format!("timeout must be 0.1 to 60 seconds, not {secs}"),
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_refuse() {
        let o = ProbeOptions::from_json(
            r#"{"timeout": 2.5, "register": false, "nameserver": "127.0.0.1:5353", "localAddress": "127.0.0.1"}"#,
        )
        .unwrap();
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert_eq!(o.register, Some(false));
        assert_eq!(o.nameserver, Some("127.0.0.1:5353".parse().unwrap()));
        for (body, field) in [
            (r#"{"timeout": 0.05}"#, "timeout"),
            (r#"{"timeout": 61}"#, "timeout"),
            (r#"{"timeout": "soon"}"#, "timeout"),
            (r#"{"register": "yes"}"#, "register"),
            (r#"{"caFile": "/nonexistent/ca.pem"}"#, "caFile"),
            (r#"{"caFile": "/etc/hostname"}"#, "caFile"),
            (r#"{"nameserver": "127.0.0.1"}"#, "nameserver"),
            (r#"{"localAddress": "host"}"#, "localAddress"),
            (r#"{"colour": 1}"#, "colour"),
            (r#"[1]"#, "options"),
            (r#"{"#, "options"),
        ] {
            let e = ProbeOptions::from_json(body).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidOption, "{body}");
            assert_eq!(e.field(), Some(field), "{body}");
        }
        assert_eq!(
            ProbeOptions::from_json("").unwrap().timeout,
            DEFAULT_TIMEOUT
        );
        assert_eq!(
            ProbeOptions::from_json("null").unwrap().timeout,
            DEFAULT_TIMEOUT
        );
    }
}
