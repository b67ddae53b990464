//! SIP messages of the probe: the two requests it builds (OPTIONS and a Contact-less
//! REGISTER), and the parsing of the responses it reads, with `ezk-sip-types`.
//!
//! Parsing never panics and never trusts a length: a response is at most
//! [`MAX_MESSAGE_BYTES`], a header line that does not parse is skipped, and a head that does
//! not parse at all is a [`ParseError`] (the probe's `invalid_response`).

use std::fmt::Write as _;
use std::net::SocketAddr;

use bytes::Bytes;
use ezk_sip_types::Name;
use ezk_sip_types::header::HeaderParse;
use ezk_sip_types::header::typed::{AuthChallenge, CSeq, CallID, RetryAfter, Via};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use zeroize::Zeroizing;

/// The largest response the probe reads (a UDP datagram is at most 65,507 bytes; a TCP stream
/// that sends more without ending its head is not a SIP server worth reading).
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// How many characters of a reason phrase or Server header a report keeps.
pub const MAX_TEXT_CHARS: usize = 200;

/// One digest challenge of a 401 (`WWW-Authenticate`) or 407 (`Proxy-Authenticate`).
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    /// From `Proxy-Authenticate` (answered with `Proxy-Authorization`).
    pub proxy: bool,
    /// The realm the server asks for.
    pub realm: String,
    /// The server's nonce (never reported).
    pub nonce: String,
    /// The opaque value to echo.
    pub opaque: Option<String>,
    /// The algorithm as the server spelled it (`MD5` when absent).
    pub algorithm: String,
    /// The qop options offered (`auth`, `auth-int`), empty for RFC 2069 digest.
    pub qop: Vec<String>,
    /// `stale=true`: the nonce expired, the credentials were right.
    pub stale: bool,
    /// `userhash=true` (RFC 7616 §3.4.4).
    pub userhash: bool,
}

impl std::fmt::Debug for Challenge {
    // The nonce is not shown: a report, a log or an error never holds it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("proxy", &self.proxy)
            .field("realm", &self.realm)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

/// A parsed SIP response: what the probe needs of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase, if any (at most [`MAX_TEXT_CHARS`] characters).
    pub reason: Option<String>,
    /// The top Via's `branch`.
    pub branch: Option<String>,
    /// The top Via's `received` (the address the server saw).
    pub received: Option<String>,
    /// The top Via's `rport` value (the port the server saw).
    pub rport: Option<u16>,
    /// `CSeq` number and method.
    pub cseq: Option<(u32, String)>,
    /// `Call-ID`.
    pub call_id: Option<String>,
    /// The digest challenges, in order (`WWW-Authenticate` first).
    pub challenges: Vec<Challenge>,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u32>,
    /// The `Server` header (at most [`MAX_TEXT_CHARS`] characters).
    pub server: Option<String>,
}

/// Why a response does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bounded(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Where the head of a stream message ends and how long its body is: `Ok(None)` while the
/// head is incomplete, `Ok(Some(total))` once the whole message (head and body) is
/// `total` bytes, an error when what arrived cannot be a SIP message.
pub fn frame(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    // RFC 3261 §7.5: CRLFs before a message (keep-alives) are skipped by the caller. What
    // does not start as a status line can be refused at its first bytes.
    let n = buf.len().min(4);
    if buf[..n] != b"SIP/"[..n] {
        return Err(ParseError(
            "the answer does not start with a SIP status line".into(),
        ));
    }
    // The head ends at the first empty line: a line terminator (LF, or CRLF) right after
    // another. A folded header line has whitespace after its LF, so it never matches.
    let end = buf.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        let rest = &buf[i + 1..];
        if rest.starts_with(b"\r\n") {
            Some(i + 3)
        } else if rest.starts_with(b"\n") {
            Some(i + 2)
        } else {
            None
        }
    });
    let Some(head) = end else {
        if buf.len() > MAX_MESSAGE_BYTES {
            return Err(ParseError(format!(
                "no end of the message head in {MAX_MESSAGE_BYTES} bytes"
            )));
        }
        return Ok(None);
    };
    let mut content_length: Option<usize> = None;
    for line in buf[..head].split(|b| *b == b'\n').skip(1) {
        if let Some(v) = header_value(line, &["content-length", "l"]) {
            let v = v.trim();
            content_length = Some(
                v.parse::<usize>()
                    .map_err(|_| ParseError("the Content-Length is not a number".into()))?,
            );
        }
    }
    // Over a stream a message without Content-Length has no body (RFC 3261 §18.3 makes the
    // header mandatory there; a missing one is read as 0).
    let total = head.saturating_add(content_length.unwrap_or(0));
    if total > MAX_MESSAGE_BYTES {
        return Err(ParseError(format!(
            "the message is larger than {MAX_MESSAGE_BYTES} bytes"
        )));
    }
    Ok(Some(total))
}

fn header_value<'a>(line: &'a [u8], names: &[&str]) -> Option<&'a str> {
    let line = std::str::from_utf8(line).ok()?;
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    names
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
        .then_some(value)
}

/// Parse one whole response (a UDP datagram, or a message framed by [`frame`]).
pub fn parse_response(data: &[u8]) -> Result<Response, ParseError> {
    if data.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError("the response is too large".into()));
    }
    // The parser slices every value out of one shared buffer.
    let src = Bytes::copy_from_slice(data);
    let mut lines = PullParser::new(&src, 0);
    let first = match lines.next() {
        Some(Ok(line)) => line,
        _ => return Err(ParseError("the response has no complete first line".into())),
    };
    let first = std::str::from_utf8(first)
        .map_err(|_| ParseError("the status line is not UTF-8".into()))?;
    let status_line = match MessageLine::parse(&src)(first) {
        Ok((_, MessageLine::Response(line))) => line,
        Ok((_, MessageLine::Request(_))) => {
            return Err(ParseError("a request came back, not a response".into()));
        }
        Err(_) => {
            return Err(ParseError(format!(
                "the status line does not parse: {}",
                printable_start(first)
            )));
        }
    };
    let status = status_line.code.into_u16();
    if !(100..=699).contains(&status) {
        return Err(ParseError(format!("the status {status} is not 100–699")));
    }
    let mut response = Response {
        status,
        reason: status_line.reason.as_deref().map(bounded),
        ..Response::default()
    };
    let mut via_seen = false;
    for line in lines.by_ref() {
        let Ok(line) = line else {
            break;
        };
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let Ok((_, Line { name, value })) = Line::parse(&src, text) else {
            continue;
        };
        let raw = value.as_str().trim();
        if name == Name::VIA {
            if via_seen {
                continue;
            }
            via_seen = true;
            if let Ok((_, via)) = Via::parse(&src, raw) {
                response.branch = via.params.get_val("branch").map(|v| v.to_string());
                response.received = via.params.get_val("received").map(|v| v.to_string());
                response.rport = via
                    .params
                    .get_val("rport")
                    .and_then(|v| v.as_str().parse().ok());
            }
        } else if name == Name::CSEQ {
            if let Ok((_, cseq)) = CSeq::parse(&src, raw) {
                response.cseq = Some((cseq.cseq, cseq.method.to_string()));
            }
        } else if name == Name::CALL_ID {
            if let Ok((_, id)) = CallID::parse(&src, raw) {
                response.call_id = Some(id.0.to_string());
            }
        } else if name == Name::WWW_AUTHENTICATE || name == Name::PROXY_AUTHENTICATE {
            let proxy = name == Name::PROXY_AUTHENTICATE;
            challenges(&src, raw, proxy, &mut response.challenges);
        } else if name == Name::RETRY_AFTER {
            if let Ok((_, ra)) = RetryAfter::parse(&src, raw) {
                response.retry_after = Some(ra.value);
            }
        } else if name == Name::SERVER && response.server.is_none() {
            response.server = Some(bounded(raw));
        }
    }
    // 401 and 407 with no challenge to answer stay as they are: the probe then reports them.
    response.challenges.sort_by_key(|c| c.proxy);
    Ok(response)
}

fn printable_start(s: &str) -> String {
    sipcreds::printable(s, 40)
}

fn challenges(src: &Bytes, raw: &str, proxy: bool, out: &mut Vec<Challenge>) {
    // One header may hold several challenges separated by commas (RFC 7235 §4.1), and a
    // response may carry several headers (RFC 8760 §2.4: one per algorithm).
    let mut rest = raw;
    while let Ok((remaining, challenge)) = AuthChallenge::parse(src, rest) {
        if let Some(c) = convert(challenge, proxy) {
            out.push(c);
        }
        let remaining = remaining.trim_start();
        match remaining.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None => break,
        }
        if out.len() > 16 {
            break;
        }
    }
}

fn convert(challenge: AuthChallenge, proxy: bool) -> Option<Challenge> {
    match challenge {
        AuthChallenge::Digest(d) => Some(Challenge {
            proxy,
            realm: d.realm.to_string(),
            nonce: d.nonce.to_string(),
            opaque: d.opaque.as_ref().map(|o| o.to_string()),
            algorithm: d.algorithm.to_string(),
            qop: d.qop.iter().map(|q| q.to_string()).collect(),
            stale: d.stale,
            userhash: d.userhash,
        }),
        // The parser knows the scheme only as "Digest"; RFC 7235 makes it case-insensitive.
        AuthChallenge::Other(auth) if auth.scheme.eq_ignore_ascii_case("digest") => {
            let get = |n: &str| {
                auth.params
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(n))
                    .map(|p| p.value.to_string())
            };
            Some(Challenge {
                proxy,
                realm: get("realm")?,
                nonce: get("nonce")?,
                opaque: get("opaque"),
                algorithm: get("algorithm").unwrap_or_else(|| "MD5".into()),
                qop: get("qop")
                    .map(|q| q.split(',').map(|s| s.trim().to_owned()).collect())
                    .unwrap_or_default(),
                stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
                userhash: get("userhash").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            })
        }
        AuthChallenge::Other(_) => None,
    }
}

/// The invariants the fuzz target `sip_response` checks on any bytes (and the replay of its
/// corpus in `probe/tests/fuzz_replay.rs`): no panic; a parsed response has a status of
/// 100–699, bounded texts and at most 17 challenges; framing never claims more than
/// [`MAX_MESSAGE_BYTES`]; a framed message frames to itself again (the stream reader never
/// loops on its own output).
#[doc(hidden)]
pub fn check_invariants(data: &[u8]) {
    if let Ok(r) = parse_response(data) {
        assert!((100..=699).contains(&r.status));
        for t in [&r.reason, &r.server].into_iter().flatten() {
            assert!(t.chars().count() <= MAX_TEXT_CHARS + 1, "{t:?}");
        }
        assert!(r.challenges.len() <= 17);
    }
    if let Ok(Some(n)) = frame(data) {
        assert!(n <= MAX_MESSAGE_BYTES);
        if n <= data.len() {
            assert_eq!(frame(&data[..n]), Ok(Some(n)));
        }
    }
}

/// The transport token of a Via header.
pub fn via_transport(transport: sipcreds::Transport) -> &'static str {
    match transport {
        sipcreds::Transport::Udp => "UDP",
        sipcreds::Transport::Tcp => "TCP",
        sipcreds::Transport::Tls => "TLS",
    }
}

/// A request the probe sends. No Contact, ever: a REGISTER without one is a binding query
/// (RFC 3261 §10.2.3) and registers nothing.
#[derive(Debug, Clone)]
pub struct Request {
    /// `OPTIONS` or `REGISTER`.
    pub method: &'static str,
    /// The Request-URI.
    pub uri: String,
    /// The transport of the Via.
    pub transport: sipcreds::Transport,
    /// The local address of the socket (the Via sent-by).
    pub local: SocketAddr,
    /// The Via branch, `z9hG4bK…` (RFC 3261 §8.1.1.7), new for every request.
    pub branch: String,
    /// From URI (also To, for REGISTER).
    pub from: String,
    /// To URI.
    pub to: String,
    /// The From tag.
    pub from_tag: String,
    /// The Call-ID, kept across the authenticated retry.
    pub call_id: String,
    /// The CSeq number (+1 on the retry).
    pub cseq: u32,
    /// `(proxy, header value)` of the digest answer, if any.
    pub authorization: Option<(bool, Zeroizing<String>)>,
}

/// The User-Agent the probe sends.
pub const USER_AGENT: &str = concat!("sipcreds-probe/", env!("CARGO_PKG_VERSION"));

impl Request {
    /// The bytes on the wire. They may hold a digest response: zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut s = Zeroizing::new(String::with_capacity(512));
        let sent_by = match self.local {
            SocketAddr::V4(a) => a.to_string(),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        };
        let _ = write!(
            s,
            "{m} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{tp} {sent_by};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <{from}>;tag={tag}\r\n\
             To: <{to}>\r\n\
             Call-ID: {cid}\r\n\
             CSeq: {cseq} {m}\r\n",
            m = self.method,
            uri = self.uri,
            tp = via_transport(self.transport),
            branch = self.branch,
            from = self.from,
            tag = self.from_tag,
            to = self.to,
            cid = self.call_id,
            cseq = self.cseq,
        );
        if let Some((proxy, value)) = &self.authorization {
            let name = if *proxy {
                "Proxy-Authorization"
            } else {
                "Authorization"
            };
            let _ = write!(s, "{name}: {}\r\n", value.as_str());
        }
        if self.method == "OPTIONS" {
            s.push_str("Accept: application/sdp\r\n");
        }
        let _ = write!(s, "User-Agent: {USER_AGENT}\r\nContent-Length: 0\r\n\r\n");
        Zeroizing::new(s.as_bytes().to_vec())
    }
}

/// A random token of `n` hex digits (tags, branches, Call-IDs, cnonces).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n.div_ceil(2)];
    if getrandom::fill(&mut bytes).is_err() {
        // No entropy source: fall back on the clock (these tokens need uniqueness, not secrecy,
        // except the cnonce, which the server's nonce already makes unpredictable).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    let mut s = String::with_capacity(n + 1);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s.truncate(n);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &[u8] = b"SIP/2.0 401 Unauthorized\r\n\
v: SIP/2.0/UDP 10.0.0.2:40000;branch=z9hG4bKabc;rport=40001;received=203.0.113.9\r\n\
f: <sip:u@example.com>;tag=1\r\n\
t: <sip:u@example.com>;tag=2\r\n\
i: call-1@example\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"\r\n\
WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n2\", algorithm=MD5, qop=\"auth,auth-int\", stale=true\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
l: 0\r\n\r\n";

    #[test]
    fn a_challenge_with_compact_headers_and_two_algorithms() {
        let r = parse_response(CHALLENGE).unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.reason.as_deref(), Some("Unauthorized"));
        assert_eq!(r.branch.as_deref(), Some("z9hG4bKabc"));
        assert_eq!(r.received.as_deref(), Some("203.0.113.9"));
        assert_eq!(r.rport, Some(40001));
        assert_eq!(r.cseq, Some((1, "REGISTER".into())));
        assert_eq!(r.call_id.as_deref(), Some("call-1@example"));
        assert_eq!(r.challenges.len(), 2);
        assert_eq!(r.challenges[0].algorithm, "SHA-256");
        assert_eq!(r.challenges[0].qop, vec!["auth"]);
        assert_eq!(r.challenges[1].algorithm, "MD5");
        assert_eq!(r.challenges[1].qop, vec!["auth", "auth-int"]);
        assert!(r.challenges[1].stale);
        assert_eq!(r.server.as_deref(), Some("kamailio (5.6.3 (x86_64/linux))"));
        assert!(
            !format!("{r:?}").contains("n1"),
            "the nonce is not in Debug"
        );
        assert_eq!(frame(CHALLENGE).unwrap(), Some(CHALLENGE.len()));
    }

    #[test]
    fn framing_waits_for_the_head_and_the_body() {
        let msg = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd";
        // Every cut short of the whole message is "not yet".
        for cut in 1..msg.len() {
            let f = frame(&msg[..cut]).unwrap();
            assert!(f.is_none_or(|n| n > cut), "{cut}: {f:?}");
        }
        assert_eq!(frame(msg).unwrap(), Some(msg.len()));
        assert!(
            frame(b"\x16\x03\x01\x02\x00").is_err(),
            "a TLS record is not SIP"
        );
        assert!(frame(b"SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
    }

    #[test]
    fn retry_after_and_a_lowercase_scheme() {
        let r = parse_response(
            b"SIP/2.0 407 Proxy Authentication Required\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bKx\r\n\
Proxy-Authenticate: digest realm=\"r\", nonce=\"n\"\r\n\
Retry-After: 30\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.challenges.len(), 1);
        assert!(r.challenges[0].proxy);
        assert_eq!(r.challenges[0].algorithm, "MD5");
        assert_eq!(r.retry_after, Some(30));
        assert_eq!(r.rport, None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"hello\r\n\r\n",
            b"SIP/2.0 abc\r\n\r\n",
            b"SIP/2.0 999 Nope\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
        ] {
            assert!(parse_response(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_request_has_no_contact_and_a_magic_branch() {
        let req = Request {
            method: "REGISTER",
            uri: "sip:example.com".into(),
            transport: sipcreds::Transport::Udp,
            local: "127.0.0.1:5555".parse().unwrap(),
            branch: format!("z9hG4bK{}", random_hex(16)),
            from: "sip:u@example.com".into(),
            to: "sip:u@example.com".into(),
            from_tag: random_hex(8),
            call_id: random_hex(20),
            cseq: 2,
            authorization: None,
        };
        let bytes = req.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("REGISTER sip:example.com SIP/2.0\r\n"));
        assert!(text.contains(";branch=z9hG4bK"));
        assert!(text.contains(";rport\r\n"));
        assert!(text.contains("CSeq: 2 REGISTER\r\n"));
        assert!(!text.to_ascii_lowercase().contains("contact"));
        assert!(!text.contains("INVITE"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }
}
