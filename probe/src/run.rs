//! One probe, step by step, within one budget.

use std::net::SocketAddr;
use std::time::Duration;

use sipcreds::CredentialInput;
use tokio::time::{Instant, timeout_at};

use crate::digest;
use crate::message::{self, Challenge, Request, Response};
use crate::options::ProbeOptions;
use crate::report::{
    ChallengeInfo, MAX_TRACE_CHARS, Outcome, Report, ReportCause, Step, StepName, TraceEntry,
    Verdict, classify,
};
use crate::resolve::{self, Target};
use crate::transport::{self, Connection, Failure};

/// RFC 3261 T1: the first retransmission interval over UDP.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: the longest retransmission interval of a non-INVITE request.
pub const T2: Duration = Duration::from_secs(4);
/// The most requests one probe sends, retransmissions included.
pub const MAX_REQUESTS: u32 = 12;
/// The most RFC 3263 targets one probe tries (a skipped one counts).
pub const MAX_TARGETS: usize = 8;
/// The most connections (UDP sockets included) one probe opens.
pub const MAX_CONNECTIONS: u32 = 16;
/// Each target tried gets at least this much of the budget (or what is left of it), so a
/// long SRV list never cuts off a first target that answers in 150 ms.
pub const MIN_TARGET_SHARE: Duration = Duration::from_secs(1);
/// The most messages a trace keeps.
pub const MAX_TRACE_MESSAGES: usize = 256;
/// How long past its budget a probe may take to stop: the deadline is enforced again around
/// the whole run, so nothing inside it (a read, a retransmission, a handshake, an endless
/// stream) outlives `timeout` + this.
const STOP_GRACE: Duration = Duration::from_millis(20);
/// What replaces a nonce, cnonce or digest response a report would otherwise show.
pub const REDACTED: &str = "[redacted]";

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn uri_user(user: &str) -> String {
    // RFC 3261 §25.1 user: unreserved / escaped / user-unreserved.
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Run<'a> {
    input: &'a CredentialInput,
    opts: &'a ProbeOptions,
    start: Instant,
    deadline: Instant,
    steps: Vec<Step>,
    sent: u32,
    challenge: Option<ChallengeInfo>,
    public_address: Option<String>,
    server_header: Option<String>,
    retry_after: Option<u32>,
    status: Option<u16>,
    reason: Option<String>,
    tls_error: Option<String>,
    /// Nonces, cnonces and digest responses of this probe: never shown, wherever a server
    /// echoes them.
    secrets: Vec<zeroize::Zeroizing<String>>,
    trace: Option<Vec<TraceEntry>>,
    /// An authenticated request (OPTIONS or REGISTER) got a 2xx: `ok`.
    authenticated_2xx: bool,
    targets: Vec<Target>,
    connections: u32,
    /// The step in progress (named in the report if the budget stops it).
    current: StepName,
}

/// Does this response answer `req`: one Via, whose branch is the request's, the request's
/// Call-ID, CSeq number and method; and, for a datagram, a body as long as its
/// Content-Length says (RFC 3261 §18.3)?
fn answers(r: &Response, req: &Request, datagram: bool) -> bool {
    r.via_count == 1
        && r.branch.as_deref() == Some(req.branch.as_str())
        && r.call_id.as_deref() == Some(req.call_id.as_str())
        && r.cseq
            .as_ref()
            .is_some_and(|(n, m)| *n == req.cseq && m == req.method)
        && !(datagram && r.content_length.is_some_and(|cl| r.body_len < cl))
}

/// A bare keep-alive (CRLFs, RFC 5626 §4.4.1) or an empty datagram.
fn keep_alive(data: &[u8]) -> bool {
    data.iter()
        .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
}

/// The text with the values of `nonce`, `cnonce`, `response` and `nextnonce` parameters (any
/// case, quoted or not) replaced by `[redacted]`.
pub fn redact_digest_values(text: &str) -> String {
    const NAMES: [&str; 4] = ["nextnonce", "cnonce", "nonce", "response"];
    let b = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let boundary =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-' || b[i - 1] == b'_');
        let name = boundary
            .then(|| NAMES.iter().find(|n| lower[i..].starts_with(*n)))
            .flatten();
        let Some(name) = name else {
            i += 1;
            continue;
        };
        let mut j = i + name.len();
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j >= b.len() || b[j] != b'=' {
            i += 1;
            continue;
        }
        j += 1;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let (start, end) = if j < b.len() && b[j] == b'"' {
            let mut k = j + 1;
            while k < b.len() && b[k] != b'"' && b[k] != b'\r' && b[k] != b'\n' {
                k += if b[k] == b'\\' { 2 } else { 1 };
            }
            (j + 1, k.min(b.len()))
        } else {
            let mut k = j;
            while k < b.len() && !matches!(b[k], b',' | b' ' | b'\t' | b'\r' | b'\n' | b';') {
                k += 1;
            }
            (j, k)
        };
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// The value of a `name=` parameter in a digest header (`response="…"`).
fn param_value(header: &str, name: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))?;
    let rest = &header[at + name.len() + 1..];
    Some(match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or("").to_owned(),
        None => rest.split([',', ' ']).next().unwrap_or("").to_owned(),
    })
}

/// Why a target is not contacted: port 0, or an unspecified, broadcast or multicast address.
fn unusable(t: &Target) -> Option<&'static str> {
    if t.port == 0 {
        return Some("port 0 is no port");
    }
    match t.address {
        a if a.is_unspecified() => Some("an unspecified address (0.0.0.0 or ::)"),
        a if a.is_multicast() => Some("a multicast address"),
        std::net::IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        _ => None,
    }
}

/// How a target ended.
enum Ended {
    /// Try the next target (it did not connect or did not answer); the outcome if none does.
    Next(Outcome),
    /// The probe's outcome.
    Done(Outcome),
}

impl Run<'_> {
    fn step(
        &mut self,
        step: StepName,
        target: Option<&Target>,
        ok: bool,
        began: Instant,
        detail: impl Into<Option<String>>,
    ) {
        self.steps.push(Step {
            step,
            target: target.map(|t| t.socket().to_string()),
            ok,
            ms: ms(began.elapsed()),
            status: None,
            reason: None,
            detail: detail.into(),
        });
    }

    /// Note a message sent or received in the trace (with `trace: true`).
    fn record(&mut self, direction: &'static str, conn: &Connection, data: &[u8]) {
        let start = self.start;
        let transport = self.input.transport.as_str();
        let Some(trace) = self.trace.as_mut() else {
            return;
        };
        if trace.len() >= MAX_TRACE_MESSAGES {
            return;
        }
        let text = String::from_utf8_lossy(&data[..data.len().min(4 * MAX_TRACE_CHARS)]);
        trace.push(TraceEntry {
            direction,
            ms: ms(start.elapsed()),
            address: conn.peer.to_string(),
            transport,
            message: sipcreds::printable(&redact_digest_values(&text), MAX_TRACE_CHARS),
        });
    }

    fn failure_outcome(&mut self, f: &Failure) -> (Outcome, String) {
        match f {
            Failure::Timeout => (Outcome::Timeout, "no answer within the budget".into()),
            Failure::Refused => (
                Outcome::ConnectionRefused,
                "refused: nothing listens on that port (TCP reset or ICMP port unreachable)".into(),
            ),
            Failure::Unreachable(e) => (Outcome::HostUnreachable, format!("no route: {e}")),
            Failure::Tls(code, detail) => {
                self.tls_error = Some((*code).to_owned());
                (Outcome::TlsHandshakeFailed, detail.clone())
            }
            Failure::Closed => (
                Outcome::ConnectionClosed,
                "the server closed the connection before it answered".into(),
            ),
            Failure::Invalid(e) => (Outcome::InvalidResponse, e.clone()),
            Failure::Other(e) => (Outcome::HostUnreachable, e.clone()),
        }
    }

    fn note_response(&mut self, r: &Response, local: SocketAddr) {
        self.status = Some(r.status);
        self.reason = r.reason.clone();
        if r.server.is_some() {
            self.server_header = r.server.clone();
        }
        if r.retry_after.is_some() {
            self.retry_after = r.retry_after;
        }
        if r.received.is_some() || r.rport.is_some() {
            let ip = r
                .received
                .as_deref()
                .and_then(|s| s.trim_matches(['[', ']']).parse().ok())
                .unwrap_or(local.ip());
            let port = r.rport.unwrap_or(local.port());
            self.public_address = Some(SocketAddr::new(ip, port).to_string());
        }
    }

    /// One transaction: send, retransmit over UDP (Timer E: T1 doubling up to T2), and wait
    /// for the final response of this branch.
    async fn transaction(
        &mut self,
        conn: &mut Connection,
        req: &Request,
        deadline: Instant,
    ) -> Result<Response, Failure> {
        if self.sent >= MAX_REQUESTS {
            // The request budget is spent: as if the budget of time were.
            return Err(Failure::Timeout);
        }
        let bytes = req.to_bytes();
        self.record("sent", conn, &bytes);
        conn.send(&bytes, deadline).await?;
        self.sent += 1;
        let mut interval = T1;
        let mut next = Instant::now() + interval;
        loop {
            if Instant::now() >= deadline {
                return Err(Failure::Timeout);
            }
            let retransmit = conn.is_datagram() && self.sent < MAX_REQUESTS;
            let wait = if retransmit {
                next.min(deadline)
            } else {
                deadline
            };
            match conn.recv(wait).await {
                Ok(data) => {
                    self.record("received", conn, &data);
                    if conn.is_datagram() && keep_alive(&data) {
                        continue;
                    }
                    let r = message::parse_response(&data).map_err(|e| Failure::Invalid(e.0))?;
                    if !answers(&r, req, conn.is_datagram()) {
                        // Not ours: a late answer to an earlier request, a spoof with another
                        // Call-ID or CSeq, a response with two Vias, a truncated datagram.
                        continue;
                    }
                    if r.status < 200 {
                        interval = T2;
                        next = Instant::now() + interval;
                        continue;
                    }
                    return Ok(r);
                }
                Err(Failure::Timeout) if Instant::now() < deadline && retransmit => {
                    self.record("sent", conn, &bytes);
                    conn.send(&bytes, deadline).await?;
                    self.sent += 1;
                    interval = (interval * 2).min(T2);
                    next = Instant::now() + interval;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn challenge_info(&mut self, c: &Challenge) {
        if self.challenge.is_none() {
            self.challenge = Some(ChallengeInfo {
                realm: message::server_text(&c.realm),
                algorithm: c.algorithm.clone(),
                qop: (!c.qop.is_empty()).then(|| c.qop.join(",")),
            });
        }
    }

    /// The challenge to answer: the strongest whose algorithm and qop the probe speaks
    /// (SHA-512-256 > SHA-256 > MD5; a server may offer several, RFC 8760 §2.4), else the
    /// first (which then gets no Authorization at all).
    fn pick(challenges: &[Challenge]) -> Option<&Challenge> {
        let strength = |c: &Challenge| {
            let alg = digest::Algorithm::parse(&c.algorithm)?;
            digest::Qop::choose(&c.qop).ok()?;
            Some(match alg.0 {
                digest::Algorithm::Sha512_256 => 3,
                digest::Algorithm::Sha256 => 2,
                digest::Algorithm::Md5 => 1,
            })
        };
        challenges
            .iter()
            .filter_map(|c| Some((strength(c)?, c)))
            // The first of the strongest.
            .fold(None::<(u8, &Challenge)>, |best, (s, c)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, c)),
            })
            .map(|(_, c)| c)
            .or(challenges.first())
    }

    /// A request and its answer to a challenge; `Done` when the probe ends here, `Ok` with the
    /// verdict on the last response otherwise.
    async fn exchange(
        &mut self,
        conn: &mut Connection,
        target: &Target,
        method: &'static str,
        deadline: Instant,
        options_forbidden: bool,
    ) -> Result<(Verdict, Response), Ended> {
        let input = self.input;
        let step = if method == "REGISTER" {
            StepName::Register
        } else {
            StepName::Options
        };
        self.current = step;
        let realm = input.realm().to_uri_form();
        let user = input
            .auth_user()
            .map(|u| uri_user(u.as_str()))
            .unwrap_or_else(|| "sipcreds-probe".into());
        let (uri, from, to) = if method == "REGISTER" {
            let aor = format!("sip:{user}@{realm}");
            (format!("sip:{realm}"), aor.clone(), aor)
        } else {
            let host = input.host().to_uri_form();
            let uri = match input.server.port() {
                Some(p) => format!("sip:{host}:{p}"),
                None => format!("sip:{host}"),
            };
            (uri.clone(), format!("sip:{user}@{realm}"), uri)
        };
        let mut req = Request {
            method,
            uri,
            transport: input.transport,
            local: conn.local,
            branch: format!("z9hG4bK{}", message::random_hex(20)),
            from,
            to,
            from_tag: message::random_hex(10),
            call_id: format!("{}@sipcreds", message::random_hex(24)),
            cseq: 1,
            authorization: None,
        };
        let mut retries = 0;
        let mut stale_retry = false;
        loop {
            let began = Instant::now();
            let result = self.transaction(conn, &req, deadline).await;
            let r = match result {
                Ok(r) => r,
                Err(f) => {
                    let (outcome, detail) = self.failure_outcome(&f);
                    let detail = match &f {
                        Failure::Timeout => format!(
                            "{method} unanswered within the budget ({} sent{})",
                            self.sent,
                            if conn.is_datagram() {
                                ", retransmitted on Timer A"
                            } else {
                                ""
                            }
                        ),
                        _ => detail,
                    };
                    self.step(step, Some(target), false, began, detail);
                    // A target that never answered (UDP refusal or silence before any
                    // response) gives way to the next one.
                    let unanswered = self.status.is_none()
                        && method == "OPTIONS"
                        && matches!(
                            f,
                            Failure::Timeout
                                | Failure::Refused
                                | Failure::Unreachable(_)
                                | Failure::Closed
                        );
                    return Err(if unanswered {
                        Ended::Next(outcome)
                    } else {
                        Ended::Done(outcome)
                    });
                }
            };
            self.note_response(&r, conn.local);
            let after_auth = retries > 0;
            let verdict = classify(
                r.status,
                r.reason.as_deref(),
                after_auth,
                method == "REGISTER",
                options_forbidden,
            );
            let mut detail = None;
            let mut ok = !matches!(verdict, Verdict::Final(_));
            // A challenge after the retry: once more only when the nonce went stale.
            let stale_again = after_auth
                && matches!(r.status, 401 | 407)
                && !stale_retry
                && Self::pick(&r.challenges).is_some_and(|c| c.stale);
            let answer = matches!(verdict, Verdict::Challenge) || stale_again;
            if answer {
                let Some(ch) = Self::pick(&r.challenges).cloned() else {
                    self.push_status(
                        step,
                        target,
                        began,
                        &r,
                        false,
                        Some(format!("{} without a digest challenge to answer", r.status)),
                    );
                    return Err(Ended::Done(Outcome::ServerError));
                };
                self.challenge_info(&ch);
                let configured = input.realm().to_plain_string();
                if !ch.realm.eq_ignore_ascii_case(&configured) {
                    self.push_status(
                        step,
                        target,
                        began,
                        &r,
                        false,
                        Some(format!(
                            "the server asks for realm \"{}\"; the credential is configured for \"{}\"",
                            message::server_text(&ch.realm),
                            configured
                        )),
                    );
                    return Err(Ended::Done(Outcome::RealmMismatch));
                }
                let (Some(user), Some(password)) = (input.auth_user(), input.expose_password())
                else {
                    self.push_status(
                        step,
                        target,
                        began,
                        &r,
                        true,
                        Some("challenged; the credential has no authUser to answer with".into()),
                    );
                    return Err(Ended::Done(Outcome::Reachable));
                };
                let cnonce = message::random_hex(16);
                match digest::authorization(
                    &ch,
                    user.as_str(),
                    password,
                    method,
                    &req.uri,
                    &cnonce,
                    1,
                ) {
                    Ok(header) => {
                        self.secrets.push(zeroize::Zeroizing::new(ch.nonce.clone()));
                        self.secrets.push(zeroize::Zeroizing::new(cnonce.clone()));
                        if let Some(response) = param_value(&header, "response") {
                            self.secrets.push(zeroize::Zeroizing::new(response));
                        }
                        self.push_status(
                            step,
                            target,
                            began,
                            &r,
                            true,
                            Some(format!(
                                "{} challenge (realm \"{}\", {}{}{}); answering it once",
                                r.status,
                                message::server_text(&ch.realm),
                                message::server_text(&ch.algorithm),
                                if ch.qop.is_empty() {
                                    String::new()
                                } else {
                                    format!(", qop {}", ch.qop.join(","))
                                },
                                if stale_again { ", stale=true" } else { "" }
                            )),
                        );
                        if stale_again {
                            stale_retry = true;
                        }
                        retries += 1;
                        req.authorization = Some((ch.proxy, header));
                        req.cseq += 1;
                        req.branch = format!("z9hG4bK{}", message::random_hex(20));
                        continue;
                    }
                    Err(why) => {
                        self.push_status(
                            step,
                            target,
                            began,
                            &r,
                            true,
                            Some(format!("{why}: the credentials cannot be tested")),
                        );
                        return Err(Ended::Done(Outcome::Reachable));
                    }
                }
            }
            match verdict {
                Verdict::Success => {
                    if after_auth {
                        self.authenticated_2xx = true;
                    }
                    detail = Some(if after_auth {
                        format!(
                            "{} {}: the credentials are accepted",
                            r.status,
                            reason_or(&r)
                        )
                    } else {
                        format!("{} {}", r.status, reason_or(&r))
                    });
                }
                Verdict::NotServed => {
                    if after_auth {
                        ok = false;
                        detail = Some(format!("{} after the authenticated retry", r.status));
                        self.push_status(step, target, began, &r, ok, detail);
                        return Err(Ended::Done(Outcome::ServerError));
                    }
                    detail = Some(format!(
                        "{} {}: reachable; {method} not served here",
                        r.status,
                        reason_or(&r)
                    ));
                }
                Verdict::Final(o) => {
                    detail = Some(match o {
                        Outcome::AuthRejected => format!(
                            "{} after the authenticated retry: the server refuses these credentials",
                            r.status
                        ),
                        Outcome::RateLimited => {
                            format!("{} {}: a rate or channel limit", r.status, reason_or(&r))
                        }
                        Outcome::Overloaded => match r.retry_after {
                            Some(s) => format!("{} {}: retry after {s} s", r.status, reason_or(&r)),
                            None => format!("{} {}", r.status, reason_or(&r)),
                        },
                        Outcome::Forbidden => format!(
                            "{} {} to OPTIONS and to REGISTER, without a challenge",
                            r.status,
                            reason_or(&r)
                        ),
                        _ => format!("{} {}", r.status, reason_or(&r)),
                    });
                    self.push_status(step, target, began, &r, false, detail);
                    return Err(Ended::Done(o));
                }
                Verdict::Challenge => {}
            }
            self.push_status(step, target, began, &r, ok, detail);
            return Ok((verdict, r));
        }
    }

    fn push_status(
        &mut self,
        step: StepName,
        target: &Target,
        began: Instant,
        r: &Response,
        ok: bool,
        detail: Option<String>,
    ) {
        self.steps.push(Step {
            step,
            target: Some(target.socket().to_string()),
            ok,
            ms: ms(began.elapsed()),
            status: Some(r.status),
            reason: r.reason.clone(),
            detail,
        });
    }

    async fn target(&mut self, target: &Target, deadline: Instant) -> Ended {
        let began = Instant::now();
        let server_name = match self.input.host() {
            sipcreds::Host::Dns(n) => Some(n.as_str()),
            _ => None,
        };
        let tls = self.opts.tls_config();
        let conn = transport::connect(
            target.socket(),
            self.input.transport,
            server_name,
            &tls,
            self.opts.local_address,
            deadline,
        )
        .await;
        self.connections += 1;
        let mut conn = match conn {
            Ok(c) => {
                let detail = match self.input.transport {
                    sipcreds::Transport::Udp => format!("UDP socket {} connected", c.local),
                    sipcreds::Transport::Tcp => "TCP connected".to_owned(),
                    sipcreds::Transport::Tls => format!(
                        "TLS handshake done, certificate verified{}",
                        server_name.map(|n| format!(" for {n}")).unwrap_or_default()
                    ),
                };
                self.step(StepName::Connect, Some(target), true, began, detail);
                c
            }
            Err(f) => {
                let (outcome, detail) = self.failure_outcome(&f);
                let detail = match f {
                    Failure::Timeout => match self.input.transport {
                        sipcreds::Transport::Tls => {
                            "TLS handshake: no answer within the budget".to_owned()
                        }
                        _ => "TCP connect: no answer within the budget (a firewall dropping SYNs?)"
                            .to_owned(),
                    },
                    _ => detail,
                };
                self.step(StepName::Connect, Some(target), false, began, detail);
                return Ended::Next(outcome);
            }
        };
        let ended = self.exchanges(&mut conn, target, deadline).await;
        conn.close(self.deadline).await;
        ended
    }

    async fn exchanges(
        &mut self,
        conn: &mut Connection,
        target: &Target,
        deadline: Instant,
    ) -> Ended {
        let options_forbidden = match self
            .exchange(conn, target, "OPTIONS", deadline, false)
            .await
        {
            Err(ended) => return ended,
            Ok((_, r)) => r.status == 403,
        };
        let register = self
            .opts
            .register
            .unwrap_or(self.input.auth_user().is_some());
        if !register {
            return Ended::Done(if self.authenticated_2xx {
                Outcome::Ok
            } else {
                Outcome::Reachable
            });
        }
        match self
            .exchange(conn, target, "REGISTER", deadline, options_forbidden)
            .await
        {
            Err(Ended::Next(o)) => Ended::Done(o),
            Err(done) => done,
            // `ok` only when an authenticated request got a 2xx: a REGISTER answered 2xx
            // without a challenge tested nothing.
            Ok(_) if self.authenticated_2xx => Ended::Done(Outcome::Ok),
            Ok(_) => Ended::Done(Outcome::Reachable),
        }
    }
}

fn reason_or(r: &Response) -> &str {
    r.reason.as_deref().unwrap_or("")
}

/// Probe one credential input (`id` is only reported).
pub async fn probe_input(id: Option<&str>, input: &CredentialInput, opts: &ProbeOptions) -> Report {
    let start = Instant::now();
    let mut run = Run {
        input,
        opts,
        start,
        deadline: start + opts.timeout,
        steps: Vec::new(),
        sent: 0,
        challenge: None,
        public_address: None,
        server_header: None,
        retry_after: None,
        status: None,
        reason: None,
        tls_error: None,
        secrets: Vec::new(),
        trace: opts.trace.then(Vec::new),
        authenticated_2xx: false,
        targets: Vec::new(),
        connections: 0,
        current: StepName::Resolve,
    };
    // The deadline once more around everything: whatever a server does, the probe ends.
    let outcome = match timeout_at(run.deadline + STOP_GRACE, run.all()).await {
        Ok(outcome) => outcome,
        Err(_) => {
            let step = run.current;
            let began = run.deadline;
            run.steps.push(Step {
                step,
                target: None,
                ok: false,
                ms: ms(Instant::now().saturating_duration_since(began)),
                status: None,
                reason: None,
                detail: Some("stopped: the budget ran out".into()),
            });
            Outcome::Timeout
        }
    };
    run.finish(id, outcome)
}

impl Run<'_> {
    async fn all(&mut self) -> Outcome {
        let began = Instant::now();
        let remaining = self.deadline.saturating_duration_since(began);
        let found = timeout_at(
            self.deadline,
            resolve::resolve(
                self.input.host(),
                self.input.server.port().map(|p| p.get()),
                self.input.transport,
                self.opts.nameserver,
                remaining,
            ),
        )
        .await;
        let targets = match found {
            Err(_) => {
                self.step(
                    StepName::Resolve,
                    None,
                    false,
                    began,
                    "DNS: no answer within the budget".to_owned(),
                );
                return Outcome::Timeout;
            }
            Ok(Err(f)) => {
                self.step(StepName::Resolve, None, false, began, f.detail);
                return Outcome::DnsFailure;
            }
            Ok(Ok(t)) => t,
        };
        let how = match targets.first().map(|t| t.source) {
            Some(resolve::Source::Literal) => "an IP literal".to_owned(),
            Some(resolve::Source::Srv) => format!(
                "{} target(s) from SRV {}{}",
                targets.len(),
                resolve::srv_prefix(self.input.transport),
                self.input.host()
            ),
            _ => format!("{} address(es) from A/AAAA", targets.len()),
        };
        self.step(StepName::Resolve, None, true, began, how);
        self.targets = targets;
        let tried: Vec<Target> = self.targets.iter().take(MAX_TARGETS).cloned().collect();
        let mut last = Outcome::Timeout;
        let n = tried.len();
        for (i, target) in tried.iter().enumerate() {
            let now = Instant::now();
            if now >= self.deadline
                || self.sent >= MAX_REQUESTS
                || self.connections >= MAX_CONNECTIONS
            {
                break;
            }
            if let Some(why) = unusable(target) {
                self.step(
                    StepName::Connect,
                    Some(target),
                    false,
                    now,
                    format!("skipped: {why}"),
                );
                last = Outcome::HostUnreachable;
                continue;
            }
            self.current = StepName::Connect;
            // The budget is shared by the targets still to try, each getting at least
            // MIN_TARGET_SHARE (or what is left).
            let left = self.deadline.saturating_duration_since(now);
            let share = (left / (n - i) as u32).max(MIN_TARGET_SHARE.min(left));
            let deadline = if i + 1 == n {
                self.deadline
            } else {
                (now + share).min(self.deadline)
            };
            match self.target(target, deadline).await {
                Ended::Done(o) => return o,
                Ended::Next(o) => last = o,
            }
        }
        last
    }

    /// `diagnose`'s causes for the symptom, narrowed by what the probe saw.
    fn causes(&self, outcome: Outcome, symptom: Option<&str>) -> Vec<ReportCause> {
        let mut causes: Vec<ReportCause> = symptom
            .and_then(|s| sipcreds::diagnose(s, self.reason.as_deref()).ok())
            .map(|d| d.causes)
            .unwrap_or_default()
            .into_iter()
            .map(|cause| ReportCause {
                cause,
                observed: None,
            })
            .collect();
        match outcome {
            // The challenge was answered with the credential's own user: it was not the
            // normal first challenge, and credentials are configured.
            Outcome::AuthRejected if self.input.auth_user().is_some() => {
                causes.retain(|c| {
                    !matches!(c.cause.code, "digest_challenge" | "auth_not_configured")
                });
            }
            Outcome::RealmMismatch => {
                let challenged = self
                    .challenge
                    .as_ref()
                    .map(|c| c.realm.clone())
                    .unwrap_or_default();
                let configured = self.input.realm().to_plain_string();
                for c in &mut causes {
                    if matches!(c.cause.code, "wrong_realm" | "wrong_domain") {
                        c.observed = Some(format!(
                            "the server challenges with realm \"{challenged}\"; the credential's realm is \"{configured}\""
                        ));
                    }
                }
            }
            _ => {}
        }
        causes
    }

    /// Every text of the report with this probe's nonces, cnonces and digest responses
    /// replaced by `[redacted]` (a server may echo them in a reason phrase or a header).
    fn scrub(secrets: &[zeroize::Zeroizing<String>], text: &mut String) {
        for secret in secrets {
            if secret.len() >= 4 && text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), REDACTED);
            }
        }
    }

    fn finish(mut self, id: Option<&str>, outcome: Outcome) -> Report {
        let symptom = outcome.symptom(self.status);
        let causes = self.causes(outcome, symptom.as_deref());
        let configured_realm = self.input.realm().to_plain_string();
        let realm_matches = self.challenge.as_ref().map(|c| {
            c.realm
                .eq_ignore_ascii_case(&message::server_text(&configured_realm))
        });
        // Every text the report shows, each scrubbed in place.
        let secrets = std::mem::take(&mut self.secrets);
        let scrub = |t: &mut String| Self::scrub(&secrets, t);
        self.reason.iter_mut().for_each(scrub);
        self.server_header.iter_mut().for_each(scrub);
        for step in &mut self.steps {
            step.reason.iter_mut().for_each(scrub);
            step.detail.iter_mut().for_each(scrub);
        }
        if let Some(c) = self.challenge.as_mut() {
            scrub(&mut c.realm);
        }
        for t in self.trace.iter_mut().flatten() {
            scrub(&mut t.message);
        }
        let targets = std::mem::take(&mut self.targets);
        Report {
            credential_id: id.map(str::to_owned),
            server: self.input.server.to_wire_string(),
            transport: self.input.transport.as_str().to_owned(),
            outcome,
            symptom,
            status: self.status,
            reason: self.reason,
            targets,
            steps: self.steps,
            challenge: self.challenge,
            configured_realm,
            realm_matches,
            public_address: self.public_address,
            server_header: self.server_header,
            tls_error: if outcome == Outcome::TlsHandshakeFailed {
                self.tls_error
            } else {
                None
            },
            retry_after: self.retry_after,
            elapsed_ms: ms(self.start.elapsed()),
            requests_sent: self.sent,
            causes,
            trace: self.trace,
        }
    }
}
