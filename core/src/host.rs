//! Hosts, ports, the `server` field and the `domain` field (§4 of the spec).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{Error, ErrorCode};
use crate::text::quote;

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

mod fields;
pub use fields::{Domain, ServerAddress};

#[cfg(test)]
mod tests;
