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
use ezk_sip_types::header::typed::{CSeq, CallID, RetryAfter, Via};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use zeroize::Zeroizing;

/// The longest message head the probe reads (status line and headers, up to the empty line):
/// past it, the response is `invalid_response`.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// The longest body the probe accepts (by its Content-Length).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest message the probe reads: a head and a body at their limits.
pub const MAX_MESSAGE_BYTES: usize = MAX_HEAD_BYTES + MAX_BODY_BYTES;

/// The receive buffer of a UDP datagram (the largest a UDP datagram can be).
pub const MAX_DATAGRAM_BYTES: usize = 65_535;

/// How many characters of a text from the server (reason phrase, `Server`, realm) a report
/// keeps, after escaping.
pub const MAX_TEXT_CHARS: usize = 256;

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
    /// How many Via values the response has (a response to the probe has exactly one).
    pub via_count: usize,
    /// The `Content-Length`, if the response has one.
    pub content_length: Option<usize>,
    /// The bytes after the head.
    pub body_len: usize,
}

/// Why a response does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A text from the server as a report shows it: trimmed, every control, bidi control and line
/// separator escaped as `\uXXXX`, at most [`MAX_TEXT_CHARS`] characters.
pub fn server_text(s: &str) -> String {
    sipcreds::printable(s.trim(), MAX_TEXT_CHARS)
}

/// Where the head ends (the index just past its empty line), if it does.
fn head_end(buf: &[u8]) -> Option<usize> {
    // A line terminator (LF, or CRLF) right after another. A folded header line has
    // whitespace after its LF, so it never matches.
    buf.iter().enumerate().find_map(|(i, &b)| {
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
    })
}

fn head_too_long() -> ParseError {
    ParseError(format!(
        "the message head does not end within {MAX_HEAD_BYTES} bytes"
    ))
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
    let Some(head) = head_end(&buf[..buf.len().min(MAX_HEAD_BYTES + 3)]) else {
        if buf.len() > MAX_HEAD_BYTES {
            return Err(head_too_long());
        }
        return Ok(None);
    };
    if head > MAX_HEAD_BYTES {
        return Err(head_too_long());
    }
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
    let body = content_length.unwrap_or(0);
    if body > MAX_BODY_BYTES {
        return Err(ParseError(format!(
            "the Content-Length {body} is over the {MAX_BODY_BYTES} bytes of a body"
        )));
    }
    Ok(Some(head + body))
}

/// The bytes of a TCP or TLS stream, cut into messages by [`frame`]. Between messages, CRLF
/// keep-alives (RFC 5626) are dropped. It never holds more than one message and one read:
/// [`StreamBuffer::push`] refuses more, so a server that streams bytes without end gets
/// `invalid_response` (or the deadline) and never unbounded memory.
#[derive(Debug, Default)]
pub struct StreamBuffer {
    buf: Vec<u8>,
}

/// The most bytes one read adds to a [`StreamBuffer`].
pub const MAX_READ_BYTES: usize = 8192;

impl StreamBuffer {
    /// The next whole message, `Ok(None)` while more bytes are needed. Each `Ok(Some(_))`
    /// consumes at least one byte, so a caller's loop always ends.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, ParseError> {
        let skip = self
            .buf
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        self.buf.drain(..skip);
        if self.buf.is_empty() {
            return Ok(None);
        }
        match frame(&self.buf)? {
            Some(total) if total <= self.buf.len() => {
                let rest = self.buf.split_off(total);
                Ok(Some(std::mem::replace(&mut self.buf, rest)))
            }
            _ => Ok(None),
        }
    }

    /// Add the bytes of one read (at most [`MAX_READ_BYTES`] are expected).
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.buf.len() + bytes.len() > MAX_MESSAGE_BYTES + MAX_READ_BYTES {
            return Err(ParseError(
                "the server sent more than a message can hold".into(),
            ));
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
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
    let head = match head_end(&data[..data.len().min(MAX_HEAD_BYTES + 3)]) {
        Some(h) if h <= MAX_HEAD_BYTES => h,
        None if data.len() <= MAX_HEAD_BYTES => data.len(),
        _ => return Err(head_too_long()),
    };
    if data.len() - head > MAX_BODY_BYTES {
        return Err(ParseError(format!(
            "the body is over {MAX_BODY_BYTES} bytes"
        )));
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
        reason: status_line.reason.as_deref().map(server_text),
        body_len: data.len() - head,
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
            response.via_count += via_values(raw);
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
            challenges(raw, proxy, &mut response.challenges);
        } else if name == Name::CONTENT_LENGTH {
            response.content_length = raw.parse().ok();
        } else if name == Name::RETRY_AFTER {
            if let Ok((_, ra)) = RetryAfter::parse(&src, raw) {
                response.retry_after = Some(ra.value);
            }
        } else if name == Name::SERVER && response.server.is_none() {
            response.server = Some(server_text(raw));
        }
    }
    // 401 and 407 with no challenge to answer stay as they are: the probe then reports them.
    response.challenges.sort_by_key(|c| c.proxy);
    Ok(response)
}

fn printable_start(s: &str) -> String {
    sipcreds::printable(s, 40)
}

/// How many Via values a Via header holds (comma-separated, outside quotes and brackets).
fn via_values(raw: &str) -> usize {
    let mut n = 1;
    let (mut quoted, mut bracket) = (false, false);
    for c in raw.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            ',' if !quoted && !bracket => n += 1,
            _ => {}
        }
    }
    n
}

/// The most challenges kept from one response.
pub const MAX_CHALLENGES: usize = 16;

/// The challenges of one `WWW-Authenticate`/`Proxy-Authenticate` value (RFC 7235 §4.1: one
/// header may hold several, separated by commas). Scheme and parameter names are
/// case-insensitive (`Digest`, `REALM=`, `Nonce=`); values are tokens or quoted strings. Only
/// Digest challenges with a realm and a nonce are kept (never Basic).
fn challenges(raw: &str, proxy: bool, out: &mut Vec<Challenge>) {
    let mut current: Option<(String, Vec<(String, String)>)> = None;
    let flush = |c: Option<(String, Vec<(String, String)>)>, out: &mut Vec<Challenge>| {
        if let Some((scheme, params)) = c
            && scheme.eq_ignore_ascii_case("digest")
            && out.len() < MAX_CHALLENGES
            && let Some(c) = digest_challenge(&params, proxy)
        {
            out.push(c);
        }
    };
    let b = raw.as_bytes();
    let mut i = 0;
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if start == i {
            // Not a token (a stray quote, `=` of a token68): skip one character.
            i += 1;
            continue;
        }
        let word = &raw[start..i];
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && current.is_some() {
            // A parameter of the current challenge.
            j += 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if j < b.len() && b[j] == b'"' {
                j += 1;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' && j + 1 < b.len() {
                        j += 1;
                    }
                    // Byte-wise copy of UTF-8 is safe: '"' and '\\' never occur inside a
                    // multi-byte sequence, and the pieces are joined in order.
                    let ch_end = (j + 1..=b.len())
                        .find(|&k| raw.is_char_boundary(k))
                        .unwrap_or(b.len());
                    value.push_str(&raw[j..ch_end]);
                    j = ch_end;
                }
                j += 1;
            } else {
                let vs = j;
                while j < b.len() && b[j] != b',' && !b[j].is_ascii_whitespace() {
                    j += 1;
                }
                value.push_str(&raw[vs..j]);
            }
            if let Some((_, params)) = current.as_mut()
                && params.len() < 32
            {
                params.push((word.to_ascii_lowercase(), value));
            }
            i = j.min(b.len());
        } else {
            // A new challenge's scheme.
            flush(current.take(), out);
            current = Some((word.to_owned(), Vec::new()));
        }
    }
    flush(current.take(), out);
}

fn digest_challenge(params: &[(String, String)], proxy: bool) -> Option<Challenge> {
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    Some(Challenge {
        proxy,
        realm: get("realm")?,
        nonce: get("nonce")?,
        opaque: get("opaque"),
        algorithm: get("algorithm").unwrap_or_else(|| "MD5".into()),
        qop: get("qop")
            .map(|q| {
                q.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        userhash: get("userhash").is_some_and(|s| s.eq_ignore_ascii_case("true")),
    })
}

/// The invariants the fuzz target `sip_response` checks on any bytes (and the replay of its
/// corpus in `probe/tests/fuzz_replay.rs`): no panic; a parsed response has a status of
/// 100–699, bounded texts and a bounded number of challenges; framing never claims more than
/// [`MAX_MESSAGE_BYTES`]; a framed message frames to itself again (the stream reader never
/// loops on its own output).
#[doc(hidden)]
pub fn check_invariants(data: &[u8]) {
    if let Ok(r) = parse_response(data) {
        assert!((100..=699).contains(&r.status));
        for t in [&r.reason, &r.server].into_iter().flatten() {
            assert!(t.chars().count() <= MAX_TEXT_CHARS + 1, "{t:?}");
        }
        assert!(r.challenges.len() <= 2 * MAX_CHALLENGES);
    }
    if let Ok(Some(n)) = frame(data) {
        assert!(n <= MAX_MESSAGE_BYTES);
        if n <= data.len() {
            assert_eq!(frame(&data[..n]), Ok(Some(n)));
        }
    }
    check_stream(data);
}

/// The stream reader on `data` cut into reads (each read's size taken from the byte that
/// starts it): a deadline counted in reads. Whatever the bytes, every read is followed by a
/// bounded number of steps (each message taken consumes bytes), the buffer never holds more
/// than a message and a read, and every message taken is within the limits; so no input keeps
/// the reader busy past the read that the deadline stops.
fn check_stream(data: &[u8]) {
    let mut stream = StreamBuffer::default();
    let mut rest = data;
    let (mut reads, mut steps) = (0usize, 0usize);
    'reads: while !rest.is_empty() {
        let n = (usize::from(rest[0]) * 37 % MAX_READ_BYTES + 1).min(rest.len());
        let (chunk, r) = rest.split_at(n);
        rest = r;
        reads += 1;
        if stream.push(chunk).is_err() {
            break;
        }
        assert!(stream.len() <= MAX_MESSAGE_BYTES + MAX_READ_BYTES);
        loop {
            steps += 1;
            assert!(
                steps <= 2 * data.len() + 2 * reads,
                "the reader does not progress"
            );
            match stream.next_message() {
                Ok(Some(m)) => {
                    assert!(!m.is_empty() && m.len() <= MAX_MESSAGE_BYTES);
                }
                Ok(None) => break,
                Err(_) => break 'reads,
            }
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
