//! The settings of a credential that are not text: its transport and its CPS limit.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::{Error, ErrorCode};
use crate::text::quote;

/// The SIP transport.
///
/// ```
/// use sipcreds::Transport;
/// assert_eq!(Transport::parse("TLS").unwrap(), Transport::Tls);
/// assert_eq!(Transport::default(), Transport::Udp);
/// assert_eq!(Transport::Tls.default_port().get(), 5061);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Transport {
    /// UDP (the default).
    #[default]
    Udp,
    /// TCP.
    Tcp,
    /// TLS (SIPS).
    Tls,
}

impl Transport {
    /// Every transport, in declaration order (`as u32` is the index).
    pub const ALL: [Transport; 3] = [Transport::Udp, Transport::Tcp, Transport::Tls];

    /// Parse, case-insensitively.
    pub fn parse(s: &str) -> Result<Transport, Error> {
        match s {
            _ if s.eq_ignore_ascii_case("udp") => Ok(Transport::Udp),
            _ if s.eq_ignore_ascii_case("tcp") => Ok(Transport::Tcp),
            _ if s.eq_ignore_ascii_case("tls") => Ok(Transport::Tls),
            _ => Err(Error::invalid(
                ErrorCode::InvalidTransport,
                "transport",
                format!("transport {}: use \"udp\", \"tcp\" or \"tls\"", quote(s)),
            )),
        }
    }

    /// The lowercase wire form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }

    /// 5061 for TLS, 5060 otherwise.
    pub const fn default_port(self) -> crate::Port {
        match self {
            Transport::Tls => crate::Port::SIPS,
            _ => crate::Port::SIP,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Transport {
    type Err = Error;
    fn from_str(s: &str) -> Result<Transport, Error> {
        Transport::parse(s)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Transport {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Transport".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "enum": ["udp", "tcp", "tls"]})
    }
}

impl Serialize for Transport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A calls-per-second limit, 1–10000.
///
/// ```
/// use sipcreds::CpsLimit;
/// assert_eq!(CpsLimit::new(10).unwrap().get(), 10);
/// assert!(CpsLimit::new(0).is_err());
/// assert!(CpsLimit::new(10_001).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpsLimit(u32);

impl CpsLimit {
    /// The largest limit.
    pub const MAX: u32 = 10_000;

    /// A limit from a number.
    pub fn new(n: i64) -> Result<CpsLimit, Error> {
        if (1..=i64::from(Self::MAX)).contains(&n) {
            Ok(CpsLimit(n as u32))
        } else {
            Err(Error::invalid(
                ErrorCode::InvalidCpsLimit,
                "cpsLimit",
                format!(
                    "cpsLimit {n} is out of range; use a whole number from 1 to 10000, below your provider's limit"
                ),
            ))
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for CpsLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for CpsLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}
