//! The `server` field (a host and an optional port) and the `domain` field (a host alone).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::{Host, Port, check_chars, plain_dns_name};
use crate::error::{Error, ErrorCode};
use crate::text::{mask_userinfo, quote};

/// The `server` field: a host and an optional explicit port.
///
/// ```
/// use sipcreds::ServerAddress;
/// let s: ServerAddress = "Trunk.Example.com:5061".parse().unwrap();
/// assert_eq!(s.to_string(), "trunk.example.com:5061");
/// let s: ServerAddress = "[2001:db8::0:1]:5060".parse().unwrap();
/// assert_eq!(s.to_string(), "[2001:db8::1]:5060");
/// let err = "sip:trunk.example.com".parse::<ServerAddress>().unwrap_err();
/// assert!(err.to_string().contains("\"trunk.example.com\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddress {
    host: Host,
    port: Option<Port>,
}

impl ServerAddress {
    /// A server from parts.
    pub fn new(host: Host, port: Option<Port>) -> Self {
        ServerAddress { host, port }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port, if one was given.
    pub fn port(&self) -> Option<Port> {
        self.port
    }

    fn parse_inner(s: &str) -> Result<ServerAddress, String> {
        if let Some(plain) = ServerAddress::parse_plain(s) {
            return Ok(plain);
        }
        ServerAddress::parse_full(s)
    }

    /// The common case in one pass over the bytes: a name of letter-digit-hyphen labels
    /// (none punycode, the last not all digits), then `:` and a port or nothing. `None` for
    /// anything else, which the full parser reads (and explains when it refuses it); on what
    /// this accepts, the full parser answers the same (a property test holds them equal).
    pub(super) fn parse_plain(s: &str) -> Option<ServerAddress> {
        let (host, port) = match s.as_bytes().iter().position(|&b| b == b':') {
            Some(colon) => (&s[..colon], Some(Port::parse_digits(&s[colon + 1..]).ok()?)),
            None => (s, None),
        };
        plain_dns_name(host.as_bytes()).then(|| ServerAddress {
            host: Host::Dns(host.to_ascii_lowercase()),
            port,
        })
    }

    pub(super) fn parse_full(s: &str) -> Result<ServerAddress, String> {
        // A userinfo password must never reach a message: every message below is built from
        // the masked text, which still holds its `@` and so is always refused.
        if let Cow::Owned(masked) = mask_userinfo(s) {
            return Err(ServerAddress::parse_unmasked(&masked)
                .err()
                .unwrap_or_else(|| {
                    "server: remove the user part; server is a host or host:port, not a URI".into()
                }));
        }
        ServerAddress::parse_unmasked(s)
    }

    fn parse_unmasked(s: &str) -> Result<ServerAddress, String> {
        if s.is_empty() {
            return Err("server is empty; give a host such as \"sip.example.com\" or \"sip.example.com:5061\"".into());
        }
        if let Err(p) = check_chars(s) {
            let fixed: String = s
                .chars()
                .filter(|c| !(c.is_whitespace() || c.is_control()))
                .collect();
            return Err(format!("server {}: {} → {}", quote(s), p.0, quote(&fixed)));
        }
        if let Some(problem) = uri_syntax_problem(s) {
            return Err(problem);
        }
        let (host_part, port_part) = split_host_port(s);
        let host =
            Host::parse_inner(host_part).map_err(|p| format!("server {}: {}", quote(s), p.0))?;
        let port = match port_part {
            Some(digits) => Some(
                Port::parse_digits(digits).map_err(|p| format!("server {}: {}", quote(s), p.0))?,
            ),
            None => None,
        };
        Ok(ServerAddress { host, port })
    }
}

/// Split `host[:port]`, leaving bracketed IPv6 whole; an unbracketed IPv6 stays in the host
/// part so the host parser can say to bracket it.
fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if s.starts_with('[') {
        if let Some(end) = s.find(']') {
            let (host, rest) = s.split_at(end + 1);
            return match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if rest.is_empty() => (host, None),
                None => (s, None),
            };
        }
        return (s, None);
    }
    // One colon: host and port. None, or several (an unbracketed IPv6): all host.
    let b = s.as_bytes();
    match b.iter().position(|&c| c == b':') {
        Some(i) if !b[i + 1..].contains(&b':') => (&s[..i], Some(&s[i + 1..])),
        _ => (s, None),
    }
}

/// Catch the usual URI pieces (scheme, userinfo, path, params, headers) and say how to fix them.
fn uri_syntax_problem(s: &str) -> Option<String> {
    let has_prefix = |p: &str| s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    let schemeish = has_prefix("sip:") || has_prefix("sips:") || has_prefix("tel:");
    // `sip:5061` is the host `sip` with a port, not a scheme with nothing after it: it is how
    // that host prints (from `sip.:5061`, say), so it must read back (found by fuzzing).
    if schemeish
        && s.split_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if !schemeish
        && !s
            .bytes()
            .any(|b| matches!(b, b'/' | b'@' | b';' | b'?' | b'#'))
    {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let mut rest = s;
    let mut what = Vec::new();
    if let Some(i) = lower.find("://") {
        what.push(format!("the \"{}\" scheme", &s[..i + 3]));
        rest = &s[i + 3..];
    } else {
        for scheme in ["sips:", "sip:", "tel:"] {
            if lower.starts_with(scheme) {
                what.push(format!("the \"{}\" scheme", &s[..scheme.len()]));
                rest = &s[scheme.len()..];
                break;
            }
        }
    }
    if let Some(at) = rest.rfind('@') {
        what.push(format!("the user part \"{}\"", &rest[..=at]));
        rest = &rest[at + 1..];
    }
    if let Some(cut) = rest.find(['/', ';', '?', '#']) {
        let piece = match rest.as_bytes()[cut] {
            b'/' => "the path",
            b';' => "the ;parameters",
            b'?' => "the ?headers",
            _ => "the #fragment",
        };
        what.push(format!("{piece} \"{}\"", &rest[cut..]));
        rest = &rest[..cut];
    }
    if what.is_empty() {
        return None;
    }
    let mut msg = format!("server {}: remove {}", quote(s), what.join(", "));
    if !rest.is_empty() {
        msg.push_str(&format!(" → {}", quote(rest)));
    }
    msg.push_str("; server is a host or host:port, not a URI");
    Some(msg)
}

impl ServerAddress {
    /// The host and the port, consuming the address.
    pub fn into_parts(self) -> (Host, Option<Port>) {
        (self.host, self.port)
    }

    /// The normalized `server` text (what `Display` shows), built without the formatter.
    pub fn to_wire_string(&self) -> String {
        let mut out = match &self.host {
            // Room for the port at once (a clone then a push would allocate twice).
            Host::Dns(n) => {
                let mut out = String::with_capacity(n.len() + 6);
                out.push_str(n);
                out
            }
            other => other.to_uri_form(),
        };
        if let Some(p) = self.port {
            out.push(':');
            let mut buf = [0u8; 5];
            let mut n = p.get();
            let mut i = buf.len();
            loop {
                i -= 1;
                buf[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
        }
        out
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire_string())
    }
}

impl FromStr for ServerAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<ServerAddress, Error> {
        ServerAddress::parse_inner(s)
            .map_err(|m| Error::invalid(ErrorCode::InvalidServer, "server", m))
    }
}

/// The `domain` field: a host without a port. It is the digest realm when set.
///
/// ```
/// use sipcreds::Domain;
/// let d: Domain = "Example.COM".parse().unwrap();
/// assert_eq!(d.to_string(), "example.com");
/// assert!("example.com:5060".parse::<Domain>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(Host);

impl Domain {
    /// The host.
    pub fn host(&self) -> &Host {
        &self.0
    }
}

impl Domain {
    /// The host, consuming the domain.
    pub fn into_host(self) -> Host {
        self.0
    }
}

/// Shown as it is written in input: an IPv6 address in brackets, so the output re-parses.
impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_uri_form())
    }
}

impl FromStr for Domain {
    type Err = Error;
    fn from_str(s: &str) -> Result<Domain, Error> {
        // The common case (see `ServerAddress::parse_plain`); anything else is read in full.
        if plain_dns_name(s.as_bytes()) {
            return Ok(Domain(Host::Dns(s.to_ascii_lowercase())));
        }
        let shown = mask_userinfo(s);
        let fail = |why: String| {
            Error::invalid(
                ErrorCode::InvalidDomain,
                "domain",
                format!("domain {}: {why}", quote(&shown)),
            )
        };
        if s.is_empty() {
            return Err(fail(
                "the domain is empty; omit the field or give a host such as \"example.com\"".into(),
            ));
        }
        check_chars(&shown).map_err(|p| fail(p.0))?;
        if uri_syntax_problem(s).is_some() {
            return Err(fail(
                "give only a host, without scheme, user, path or parameters".into(),
            ));
        }
        let (host, port) = split_host_port(s);
        if port.is_some() {
            return Err(fail(format!(
                "remove the port: the domain is a host only → {}",
                quote(host)
            )));
        }
        Host::parse_inner(s).map(Domain).map_err(|p| fail(p.0))
    }
}
