//! One probe, step by step, within one budget.

use std::net::SocketAddr;
use std::time::Duration;

use sipcreds::CredentialInput;
use tokio::time::{Instant, timeout_at};

use crate::digest;
use crate::message::{self, Challenge, Request, Response};
use crate::options::ProbeOptions;
use crate::report::{ChallengeInfo, Outcome, Report, Step, StepName, Verdict, classify};
use crate::resolve::{self, Target};
use crate::transport::{self, Connection, Failure};

/// RFC 3261 T1: the first retransmission interval over UDP.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: the longest retransmission interval of a non-INVITE request.
pub const T2: Duration = Duration::from_secs(4);
/// The most requests one probe sends, retransmissions included.
pub const MAX_REQUESTS: u32 = 12;

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
                Outcome::ConnectionRefused,
                "the server closed the connection without answering".into(),
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
        conn.send(&bytes, deadline).await?;
        self.sent += 1;
        let mut interval = T1;
        let mut next = Instant::now() + interval;
        loop {
            let retransmit = conn.is_datagram() && self.sent < MAX_REQUESTS;
            let wait = if retransmit {
                next.min(deadline)
            } else {
                deadline
            };
            match conn.recv(wait).await {
                Ok(data) => {
                    let r = message::parse_response(&data).map_err(|e| Failure::Invalid(e.0))?;
                    if r.branch.as_deref() != Some(req.branch.as_str()) {
                        // A late answer to an earlier request: not ours.
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
                realm: c.realm.clone(),
                algorithm: c.algorithm.clone(),
                qop: (!c.qop.is_empty()).then(|| c.qop.join(",")),
            });
        }
    }

    /// The challenge to answer: the first one whose algorithm the probe speaks (a server may
    /// offer SHA-256 and MD5 in one response, RFC 8760 §2.4, strongest first).
    fn pick(challenges: &[Challenge]) -> Option<&Challenge> {
        challenges
            .iter()
            .find(|c| digest::Algorithm::parse(&c.algorithm).is_some())
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
                            "the server asks for realm {:?}; the credential is configured for {:?}",
                            ch.realm, configured
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
                        self.push_status(
                            step,
                            target,
                            began,
                            &r,
                            true,
                            Some(format!(
                                "{} challenge (realm {:?}, {}{}{}); answering it once",
                                r.status,
                                ch.realm,
                                ch.algorithm,
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
        conn.close().await;
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
            return Ended::Done(Outcome::Reachable);
        }
        match self
            .exchange(conn, target, "REGISTER", deadline, options_forbidden)
            .await
        {
            Err(Ended::Next(o)) => Ended::Done(o),
            Err(done) => done,
            Ok((Verdict::Success, _)) if self.challenge.is_some() => Ended::Done(Outcome::Ok),
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
    };
    let (targets, outcome) = run.all().await;
    run.finish(id, targets, outcome)
}

impl Run<'_> {
    async fn all(&mut self) -> (Vec<Target>, Outcome) {
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
                return (Vec::new(), Outcome::Timeout);
            }
            Ok(Err(f)) => {
                self.step(StepName::Resolve, None, false, began, f.detail);
                return (Vec::new(), Outcome::DnsFailure);
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
        let mut last = Outcome::Timeout;
        let n = targets.len();
        for (i, target) in targets.iter().enumerate() {
            let now = Instant::now();
            if now >= self.deadline || self.sent >= MAX_REQUESTS {
                break;
            }
            // The budget is shared by the targets still to try.
            let share = self.deadline.saturating_duration_since(now) / (n - i) as u32;
            let deadline = if i + 1 == n {
                self.deadline
            } else {
                now + share
            };
            match self.target(target, deadline).await {
                Ended::Done(o) => return (targets, o),
                Ended::Next(o) => last = o,
            }
        }
        (targets, last)
    }

    fn finish(self, id: Option<&str>, targets: Vec<Target>, outcome: Outcome) -> Report {
        let symptom = outcome.symptom(self.status);
        let causes = symptom
            .as_deref()
            .and_then(|s| sipcreds::diagnose(s, self.reason.as_deref()).ok())
            .map(|d| d.causes)
            .unwrap_or_default();
        let configured_realm = self.input.realm().to_plain_string();
        let realm_matches = self
            .challenge
            .as_ref()
            .map(|c| c.realm.eq_ignore_ascii_case(&configured_realm));
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
        }
    }
}
