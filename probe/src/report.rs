//! The report of §12 and its outcome codes, and the classifier: which §7 symptom an outcome
//! is, so that the causes come from `diagnose`'s one table.

use serde::Serialize;
use sipcreds::Cause;

use std::net::{IpAddr, SocketAddr};

use sipcreds::Transport;

/// One stable outcome per report (§12's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reachable, and the credentials were accepted.
    Ok,
    /// Reachable; the credentials were not tested.
    Reachable,
    /// Challenged again (or 403) after the authenticated retry.
    AuthRejected,
    /// 403 with no challenge.
    Forbidden,
    /// The challenge's realm is not the credential's.
    RealmMismatch,
    /// No response within the budget.
    Timeout,
    /// TCP RST or ICMP port unreachable.
    ConnectionRefused,
    /// The server closed the TCP/TLS connection before it answered.
    ConnectionClosed,
    /// No route to the host or network.
    HostUnreachable,
    /// NXDOMAIN, SERVFAIL, or no address.
    DnsFailure,
    /// The TLS handshake failed.
    TlsHandshakeFailed,
    /// 503 or 480.
    Overloaded,
    /// A 403/5xx whose reason speaks of a CPS, call or channel limit.
    RateLimited,
    /// Another 4xx–6xx.
    ServerError,
    /// A response that does not parse as SIP.
    InvalidResponse,
}

impl Outcome {
    /// Every outcome, in the table's order.
    pub const ALL: [Outcome; 15] = [
        Outcome::Ok,
        Outcome::Reachable,
        Outcome::AuthRejected,
        Outcome::Forbidden,
        Outcome::RealmMismatch,
        Outcome::Timeout,
        Outcome::ConnectionRefused,
        Outcome::ConnectionClosed,
        Outcome::HostUnreachable,
        Outcome::DnsFailure,
        Outcome::TlsHandshakeFailed,
        Outcome::Overloaded,
        Outcome::RateLimited,
        Outcome::ServerError,
        Outcome::InvalidResponse,
    ];

    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Reachable => "reachable",
            Outcome::AuthRejected => "auth_rejected",
            Outcome::Forbidden => "forbidden",
            Outcome::RealmMismatch => "realm_mismatch",
            Outcome::Timeout => "timeout",
            Outcome::ConnectionRefused => "connection_refused",
            Outcome::ConnectionClosed => "connection_closed",
            Outcome::HostUnreachable => "host_unreachable",
            Outcome::DnsFailure => "dns_failure",
            Outcome::TlsHandshakeFailed => "tls_handshake_failed",
            Outcome::Overloaded => "overloaded",
            Outcome::RateLimited => "rate_limited",
            Outcome::ServerError => "server_error",
            Outcome::InvalidResponse => "invalid_response",
        }
    }

    /// `ok` and `reachable` (the CLI exits 0 for them, 4 for the others).
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Ok | Outcome::Reachable)
    }

    /// The §7 symptom of the outcome's row; `status` is the last SIP status, for the rows whose
    /// symptom is the status itself.
    pub fn symptom(self, status: Option<u16>) -> Option<String> {
        let s = match self {
            Outcome::Ok | Outcome::Reachable | Outcome::InvalidResponse => return None,
            // The user's problem is the password, whatever the server said after the retry.
            Outcome::AuthRejected => "401",
            Outcome::Forbidden => "403",
            Outcome::RealmMismatch => "domain_mismatch",
            Outcome::Timeout | Outcome::HostUnreachable => "timeout",
            Outcome::ConnectionRefused => "connection_refused",
            Outcome::ConnectionClosed => "connection_closed",
            Outcome::DnsFailure => "dns_failure",
            Outcome::TlsHandshakeFailed => "tls_handshake_failed",
            Outcome::Overloaded | Outcome::RateLimited | Outcome::ServerError => {
                return status.map(|s| s.to_string());
            }
        };
        Some(s.to_owned())
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// An SRV record's target.
    Srv,
    /// An A or AAAA record of the host itself.
    A,
    /// The server is an IP literal.
    Literal,
}

/// One address to try, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The IP address.
    pub address: IpAddr,
    /// The port.
    pub port: u16,
    /// The transport.
    #[serde(serialize_with = "transport_str")]
    pub transport: Transport,
    /// How it was found.
    pub source: Source,
}

fn transport_str<S: serde::Serializer>(t: &Transport, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

impl Target {
    /// `ip:port` (`[v6]:port`).
    pub fn socket(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }
}

/// The name of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepName {
    /// DNS (or the literal).
    Resolve,
    /// UDP socket, TCP connect, TLS handshake.
    Connect,
    /// An OPTIONS transaction.
    Options,
    /// A REGISTER transaction (a binding query).
    Register,
}

/// One timed step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Its name.
    pub step: StepName,
    /// The target (`ip:port`), none for `resolve`.
    pub target: Option<String>,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its duration in milliseconds.
    pub ms: f64,
    /// The final SIP status of a transaction.
    pub status: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// What happened, in a sentence.
    pub detail: Option<String>,
}

/// The challenge the server sent (no nonce, ever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChallengeInfo {
    /// The realm the server asked for.
    pub realm: String,
    /// The algorithm.
    pub algorithm: String,
    /// The qop options, comma-separated, if any.
    pub qop: Option<String>,
}

/// One message of a probe's trace (`trace: true`): what was sent or received, when and with
/// whom. The text is escaped as a report's server text is, and the `Authorization`'s
/// `response`, `nonce` and `cnonce` (and the server's nonces) read `[redacted]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    /// `sent` or `received`.
    pub direction: &'static str,
    /// Milliseconds since the probe began.
    pub ms: f64,
    /// The server's `ip:port`.
    pub address: String,
    /// `udp`, `tcp` or `tls`.
    pub transport: &'static str,
    /// The message, escaped, at most [`MAX_TRACE_CHARS`] characters.
    pub message: String,
}

/// The most characters of one message a trace keeps.
pub const MAX_TRACE_CHARS: usize = 4096;

/// A cause of the report: `diagnose`'s, with what the probe observed of it when that names
/// more than the table can (the two realms of a `realm_mismatch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCause {
    /// The cause, as `diagnose` answers it.
    #[serde(flatten)]
    pub cause: Cause,
    /// What the probe saw that bears on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
}

impl std::ops::Deref for ReportCause {
    type Target = Cause;
    fn deref(&self) -> &Cause {
        &self.cause
    }
}

/// The report of one probe (§12), as JSON with camelCase keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The credential probed.
    pub credential_id: Option<String>,
    /// Its server, as stored.
    pub server: String,
    /// Its transport.
    pub transport: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The §7 symptom of the outcome, if it has one.
    pub symptom: Option<String>,
    /// The last SIP status received.
    pub status: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// Every target found, in the order tried.
    pub targets: Vec<Target>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The first digest challenge.
    pub challenge: Option<ChallengeInfo>,
    /// The realm the credential is configured with.
    pub configured_realm: String,
    /// Whether the challenge's realm is the configured one (case-insensitively); `null` without
    /// a challenge.
    pub realm_matches: Option<bool>,
    /// The address the provider saw (Via `received`/`rport`).
    pub public_address: Option<String>,
    /// The Server header.
    pub server_header: Option<String>,
    /// The TLS failure, for `tls_handshake_failed`.
    pub tls_error: Option<String>,
    /// Retry-After in seconds.
    pub retry_after: Option<u32>,
    /// The whole probe's duration in milliseconds.
    pub elapsed_ms: f64,
    /// The requests sent, retransmissions included (at most 12).
    pub requests_sent: u32,
    /// What `diagnose(symptom, reason)` answers (empty for `ok` and `reachable`), narrowed by
    /// what the probe observed: a cause the observation rules out is dropped.
    pub causes: Vec<ReportCause>,
    /// Every message sent and received, with `trace: true` (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceEntry>>,
}

impl Report {
    /// The report as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report as a JSON string.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }

    /// The step that decided the outcome: the last failed one, else the last.
    pub fn failing_step(&self) -> Option<&Step> {
        if self.outcome.is_success() {
            return None;
        }
        self.steps
            .iter()
            .rev()
            .find(|s| !s.ok)
            .or(self.steps.last())
    }
}

/// Whether a reason phrase speaks of a CPS, call or channel limit.
pub fn speaks_of_a_limit(reason: Option<&str>) -> bool {
    let Some(r) = reason else { return false };
    let r = r.to_ascii_lowercase();
    let limit_words = ["limit", "exceed", "too many", "maximum", "max "];
    let what = ["cps", "call", "channel", "rate", "concurren", "session"];
    r.contains("cps")
        || r.contains("calls per second")
        || r.contains("rate limit")
        || r.contains("rate-limit")
        || (limit_words.iter().any(|w| r.contains(w)) && what.iter().any(|w| r.contains(w)))
}

/// The outcome of a final, non-2xx, non-challenge response, or `None` when the probe goes on
/// (a response that only says the method is not served).
///
/// - `after_auth`: it answers the authenticated retry.
/// - `register`: it answers a REGISTER (else an OPTIONS).
/// - `options_forbidden`: the OPTIONS was answered 403 too.
pub fn classify(
    status: u16,
    reason: Option<&str>,
    after_auth: bool,
    register: bool,
    options_forbidden: bool,
) -> Verdict {
    let limit = speaks_of_a_limit(reason);
    match status {
        200..=299 => Verdict::Success,
        300..=399 => Verdict::NotServed,
        403 | 500..=599 if limit => Verdict::Final(Outcome::RateLimited),
        503 | 480 => Verdict::Final(Outcome::Overloaded),
        401 | 407 | 403 if after_auth => Verdict::Final(Outcome::AuthRejected),
        401 | 407 => Verdict::Challenge,
        403 if register && options_forbidden => Verdict::Final(Outcome::Forbidden),
        403 | 404 | 405 | 501 => Verdict::NotServed,
        _ => Verdict::Final(Outcome::ServerError),
    }
}

/// What a response means to the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx.
    Success,
    /// 401/407 to answer.
    Challenge,
    /// Reachable, the method not served (403/404/405/501 without a challenge, 3xx).
    NotServed,
    /// The probe ends with this outcome.
    Final(Outcome),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_with_a_symptom_has_causes_in_diagnose() {
        for o in Outcome::ALL {
            let status = match o {
                Outcome::Overloaded => Some(503),
                Outcome::RateLimited => Some(403),
                Outcome::ServerError => Some(500),
                _ => None,
            };
            if let Some(symptom) = o.symptom(status) {
                let d = sipcreds::diagnose(&symptom, None).unwrap();
                assert!(!d.causes.is_empty(), "{o}");
            } else {
                assert!(matches!(
                    o,
                    Outcome::Ok | Outcome::Reachable | Outcome::InvalidResponse
                ));
            }
        }
    }

    #[test]
    fn the_classifier_rows() {
        use Outcome::*;
        let c = |s, r, a, reg, of| classify(s, r, a, reg, of);
        assert_eq!(c(200, None, true, true, false), Verdict::Success);
        assert_eq!(c(401, None, false, true, false), Verdict::Challenge);
        assert_eq!(
            c(401, None, true, true, false),
            Verdict::Final(AuthRejected)
        );
        assert_eq!(
            c(407, None, true, true, false),
            Verdict::Final(AuthRejected)
        );
        assert_eq!(
            c(403, None, true, true, false),
            Verdict::Final(AuthRejected)
        );
        assert_eq!(
            c(403, Some("User channel limit exceeded"), false, true, false),
            Verdict::Final(RateLimited)
        );
        assert_eq!(
            c(503, Some("CPS limit exceeded"), false, false, false),
            Verdict::Final(RateLimited)
        );
        assert_eq!(
            c(500, Some("Too many calls"), false, false, false),
            Verdict::Final(RateLimited)
        );
        assert_eq!(
            c(503, Some("Service Unavailable"), false, false, false),
            Verdict::Final(Overloaded)
        );
        assert_eq!(c(480, None, false, true, false), Verdict::Final(Overloaded));
        assert_eq!(c(405, None, false, false, false), Verdict::NotServed);
        assert_eq!(c(403, None, false, false, false), Verdict::NotServed);
        assert_eq!(c(403, None, false, true, false), Verdict::NotServed);
        assert_eq!(c(403, None, false, true, true), Verdict::Final(Forbidden));
        assert_eq!(
            c(488, None, false, true, false),
            Verdict::Final(ServerError)
        );
        assert_eq!(
            c(500, Some("Server Internal Error"), false, true, false),
            Verdict::Final(ServerError)
        );
        assert!(!speaks_of_a_limit(Some("Forbidden")));
        assert!(speaks_of_a_limit(Some("Maximum concurrent calls reached")));
    }
}
