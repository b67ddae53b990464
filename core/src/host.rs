//! Hosts, ports, the `server` field and the `domain` field (§4 of the spec).

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{Error, ErrorCode};
use crate::text::{mask_userinfo, quote};

/// The longest DNS name, without its trailing dot.
const MAX_DNS_NAME: usize = 253;
/// The longest DNS label.
const MAX_DNS_LABEL: usize = 63;

/// A validated, normalized host: a lowercase ASCII DNS name (IDNs in punycode), an IPv4
/// address, or an IPv6 address.
///
/// ```
/// use sipcreds::Host;
/// let h: Host = "SIP.Example.COM.".parse().unwrap();
/// assert_eq!(h.to_string(), "sip.example.com");
/// let h: Host = "bücher.example".parse().unwrap();
/// assert_eq!(h.to_string(), "xn--bcher-kva.example");
/// let h: Host = "[2001:DB8:0:0::1]".parse().unwrap();
/// assert_eq!(h.to_string(), "2001:db8::1");
/// assert!("01.2.3.4".parse::<Host>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A DNS name, lowercase ASCII, without a trailing dot.
    Dns(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (shown bare; in brackets inside a `server`).
    Ipv6(Ipv6Addr),
}

/// Why a host did not parse; turned into a field error by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostProblem(pub String);

impl Host {
    /// True for IPv4 and IPv6 literals.
    pub fn is_ip(&self) -> bool {
        !matches!(self, Host::Dns(_))
    }

    /// The host as it appears inside a `server` value: IPv6 in brackets.
    pub fn to_uri_form(&self) -> String {
        match self {
            Host::Ipv6(a) => format!("[{a}]"),
            Host::Dns(n) => n.clone(),
            Host::Ipv4(a) => a.to_string(),
        }
    }

    /// The bare host as text, consuming it (no copy for names).
    pub fn into_plain_string(self) -> String {
        match self {
            Host::Dns(n) => n,
            other => other.to_string(),
        }
    }

    /// The bare host as text (no brackets); cheaper than `to_string` for names.
    pub fn to_plain_string(&self) -> String {
        match self {
            Host::Dns(n) => n.clone(),
            other => other.to_string(),
        }
    }

    /// Parse a host; IPv6 must be in brackets.
    pub(crate) fn parse_inner(s: &str) -> Result<Host, HostProblem> {
        if s.is_empty() {
            return Err(HostProblem("the host is empty".into()));
        }
        if let Some(rest) = s.strip_prefix('[') {
            let Some(inner) = rest.strip_suffix(']') else {
                return Err(HostProblem("an IPv6 address needs a closing \"]\"".into()));
            };
            return Ipv6Addr::from_str(inner).map(Host::Ipv6).map_err(|_| {
                HostProblem(format!(
                    "\"{inner}\" inside brackets is not an IPv6 address"
                ))
            });
        }
        if s.as_bytes().contains(&b':') {
            return Err(if Ipv6Addr::from_str(s).is_ok() {
                HostProblem(format!("put the IPv6 address in brackets: \"[{s}]\""))
            } else {
                HostProblem("the host contains \":\"".into())
            });
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return parse_dotted_quad(s).map(Host::Ipv4);
        }
        parse_dns_name(s).map(Host::Dns)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(n) => f.write_str(n),
            Host::Ipv4(a) => write!(f, "{a}"),
            // std's Display is RFC 5952: lowercase, longest zero run compressed.
            Host::Ipv6(a) => write!(f, "{a}"),
        }
    }
}

impl FromStr for Host {
    type Err = Error;
    /// Parses a host as in `domain` (bracketed IPv6, no port).
    fn from_str(s: &str) -> Result<Host, Error> {
        check_chars(s)
            .and_then(|()| Host::parse_inner(s))
            .map_err(|p| {
                Error::invalid(
                    ErrorCode::InvalidDomain,
                    "domain",
                    format!("domain {}: {}", quote(s), p.0),
                )
            })
    }
}

/// A strict dotted quad: four decimal parts 0–255 without leading zeros.
fn parse_dotted_quad(s: &str) -> Result<Ipv4Addr, HostProblem> {
    let bad = || {
        HostProblem(format!(
            "\"{s}\" is not an IPv4 address (four numbers 0-255 without leading zeros)"
        ))
    };
    let mut parts = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0'))
        {
            return Err(bad());
        }
        parts[n] = part.parse::<u8>().map_err(|_| bad())?;
        n += 1;
    }
    if n != 4 {
        return Err(bad());
    }
    Ok(Ipv4Addr::from(parts))
}

/// A DNS name: LDH labels, lowercased, IDNs to punycode through the `url` crate's IDNA
/// processing (UTS #46), one trailing dot removed.
fn parse_dns_name(s: &str) -> Result<String, HostProblem> {
    let trimmed = s.strip_suffix('.').unwrap_or(s);
    let ascii = if trimmed.is_ascii() {
        let lower = trimmed.to_ascii_lowercase();
        // Punycode labels must decode: let IDNA check them.
        if check_ldh(&lower, s)? {
            idna_to_ascii(&lower, s)?;
        }
        lower
    } else {
        let ascii = idna_to_ascii(trimmed, s)?;
        let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_owned();
        check_ldh(&ascii, s)?;
        ascii
    };
    Ok(ascii)
}

fn idna_to_ascii(name: &str, original: &str) -> Result<String, HostProblem> {
    match url::Host::parse(name) {
        Ok(url::Host::Domain(d)) => Ok(d),
        Ok(_) => Err(HostProblem(format!(
            "\"{original}\" maps to an IP address under IDNA; write the address itself"
        ))),
        Err(_) => Err(HostProblem(format!(
            "\"{original}\" is not a valid internationalized domain name"
        ))),
    }
}

/// A name the fast paths may take as it is (lowercased): 1 to 253 bytes of labels of 1 to 63
/// letters, digits and hyphens, none starting or ending with a hyphen or starting with
/// `xn--` (punycode, which IDNA must check), the last not all digits (an IPv4 address or a
/// refused name). [`check_ldh`] and [`parse_dns_name`] accept every such name unchanged but
/// for case.
fn plain_dns_name(name: &[u8]) -> bool {
    if name.is_empty() || name.len() > MAX_DNS_NAME {
        return false;
    }
    let label_ok = |label: &[u8]| {
        !label.is_empty()
            && label.len() <= MAX_DNS_LABEL
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && !(label.len() >= 4
                && label[..2].eq_ignore_ascii_case(b"xn")
                && &label[2..4] == b"--")
    };
    let mut start = 0;
    let mut digits = true;
    for (i, &c) in name.iter().enumerate() {
        match c {
            b'0'..=b'9' => {}
            b'a'..=b'z' | b'A'..=b'Z' | b'-' => digits = false,
            b'.' => {
                if !label_ok(&name[start..i]) {
                    return false;
                }
                start = i + 1;
                digits = true;
            }
            _ => return false,
        }
    }
    label_ok(&name[start..]) && !digits
}

/// Check LDH labels (one pass over the bytes, no split); says whether a label is punycode
/// (`xn--`), which IDNA must then check.
fn check_ldh(name: &str, original: &str) -> Result<bool, HostProblem> {
    if name.is_empty() {
        return Err(HostProblem("the host is empty".into()));
    }
    if name.len() > MAX_DNS_NAME {
        return Err(HostProblem(format!(
            "the host name is {} characters long; the limit is {MAX_DNS_NAME}",
            name.len()
        )));
    }
    let mut all_digits_and_dots = true;
    let mut punycode = false;
    let last_digits;
    // Label by label over the bytes (no iterator adapters in the inner loop).
    let b = name.as_bytes();
    let mut start = 0;
    loop {
        let end = b[start..]
            .iter()
            .position(|&c| c == b'.')
            .map_or(b.len(), |p| start + p);
        let bytes = &b[start..end];
        let label = &name[start..end];
        if bytes.is_empty() {
            return Err(HostProblem(format!(
                "\"{original}\" has an empty label (\"..\" or a leading dot)"
            )));
        }
        if bytes.len() > MAX_DNS_LABEL {
            return Err(HostProblem(format!(
                "the label \"{label}\" is {} characters long; the limit is {MAX_DNS_LABEL}",
                label.len()
            )));
        }
        let mut digits = true;
        for &c in bytes {
            if c.is_ascii_digit() {
                continue;
            }
            digits = false;
            if !(c.is_ascii_alphanumeric() || c == b'-') {
                return Err(HostProblem(format!(
                    "\"{}\" is not allowed in a host name (letters, digits and \"-\" only)",
                    (c as char).escape_default()
                )));
            }
        }
        all_digits_and_dots &= digits;
        if bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-' {
            return Err(HostProblem(format!(
                "the label \"{label}\" starts or ends with \"-\""
            )));
        }
        punycode |= bytes.starts_with(b"xn--");
        if end == b.len() {
            last_digits = digits;
            break;
        }
        start = end + 1;
    }
    if all_digits_and_dots {
        // Only reachable after IDNA mapping (e.g. full-width digits).
        return Err(HostProblem(format!(
            "\"{original}\" maps to an all-numeric name; write an IPv4 address as four numbers 0-255, or a host name"
        )));
    }
    // RFC 3696 §2: a top-level label is never all-numeric. This also refuses the numeric
    // forms that URL parsers read as IPv4 (`0x7f.0.0.1`), which a SIP stack might not.
    if last_digits {
        return Err(HostProblem(format!(
            "\"{original}\" ends in an all-numeric label: write an IPv4 address as four numbers 0-255, or a host name"
        )));
    }
    Ok(punycode)
}

/// Whitespace and control characters are never allowed in a host or server.
fn check_chars(s: &str) -> Result<(), HostProblem> {
    if s.bytes().all(|b| b > b' ' && b < 0x7f) {
        return Ok(());
    }
    match s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        Some(c) => Err(HostProblem(format!(
            "remove the whitespace or control character {}",
            c.escape_unicode()
        ))),
        None => Ok(()),
    }
}

/// A port, 1–65535.
///
/// ```
/// use sipcreds::Port;
/// assert_eq!("5061".parse::<Port>().unwrap().get(), 5061);
/// assert!("0".parse::<Port>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port(u16);

impl Port {
    /// The default SIP port for UDP and TCP.
    pub const SIP: Port = Port(5060);
    /// The default SIP port for TLS.
    pub const SIPS: Port = Port(5061);

    /// A port from a number; `None` for 0.
    pub const fn new(n: u16) -> Option<Port> {
        if n == 0 { None } else { Some(Port(n)) }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    fn parse_digits(s: &str) -> Result<Port, HostProblem> {
        if s.is_empty() {
            return Err(HostProblem("the port after \":\" is empty".into()));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HostProblem(format!(
                "the port \"{s}\" must be decimal digits only"
            )));
        }
        let value = s.bytes().try_fold(0u32, |acc, b| {
            let next = acc * 10 + u32::from(b - b'0');
            (next <= 65535).then_some(next)
        });
        match value {
            Some(v) if v >= 1 => Ok(Port(v as u16)),
            _ => Err(HostProblem(format!(
                "the port {s} is out of range (1-65535)"
            ))),
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Port {
    type Err = Error;
    fn from_str(s: &str) -> Result<Port, Error> {
        Port::parse_digits(s).map_err(|p| Error::invalid(ErrorCode::InvalidServer, "server", p.0))
    }
}

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
    fn parse_plain(s: &str) -> Option<ServerAddress> {
        let (host, port) = match s.as_bytes().iter().position(|&b| b == b':') {
            Some(colon) => (&s[..colon], Some(Port::parse_digits(&s[colon + 1..]).ok()?)),
            None => (s, None),
        };
        plain_dns_name(host.as_bytes()).then(|| ServerAddress {
            host: Host::Dns(host.to_ascii_lowercase()),
            port,
        })
    }

    fn parse_full(s: &str) -> Result<ServerAddress, String> {
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

#[cfg(test)]
mod tests;
