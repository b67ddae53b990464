//! Troubleshooting (§7): what a SIP status or a transport symptom usually means, ranked, with
//! the fix and the credential fields to check, refined by the provider's reason phrase.

use serde::Serialize;

use crate::error::{Error, ErrorCode};
use crate::text::quote;

/// One likely cause.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// Stable snake_case code of the cause.
    pub code: &'static str,
    /// What is probably wrong.
    pub cause: &'static str,
    /// What to do.
    pub fix: &'static str,
    /// The credential fields to check.
    pub fields: &'static [&'static str],
}

/// The answer of [`diagnose`].
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The symptom, normalized (`"401"`, `"timeout"`, ...).
    pub symptom: &'static str,
    /// What the symptom means.
    pub summary: &'static str,
    /// The reason phrase given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Likely causes, most likely first.
    pub causes: Vec<Cause>,
}

struct CauseSpec {
    cause: Cause,
    /// Lowercase fragments of a reason phrase that make this cause the most likely.
    reason_hints: &'static [&'static str],
}

struct SymptomSpec {
    symptom: &'static str,
    summary: &'static str,
    causes: &'static [CauseSpec],
}

macro_rules! cause {
    ($code:literal, $cause:literal, $fix:literal, [$($field:literal),*], [$($hint:literal),*]) => {
        CauseSpec {
            cause: Cause { code: $code, cause: $cause, fix: $fix, fields: &[$($field),*] },
            reason_hints: &[$($hint),*],
        }
    };
}

const WRONG_CREDENTIALS: CauseSpec = cause!(
    "wrong_credentials",
    "Wrong user or password: the server rejected the digest response (a 401/407 that comes back after the authenticated retry).",
    "Copy the username and password again from the provider's trunk settings and set authUser and authPassword together; check for a stray space or an expired password.",
    ["authUser", "authPassword"],
    [
        "wrong",
        "invalid",
        "incorrect",
        "bad credentials",
        "authentication failed",
        "auth failed",
        "after retry",
        "password"
    ]
);
const DIGEST_CHALLENGE: CauseSpec = cause!(
    "digest_challenge",
    "A first 401/407 is the normal digest challenge, not a failure: the SIP stack must answer it with the credentials.",
    "Act only if it repeats after the authenticated retry; make sure your SIP stack is given authUser and authPassword.",
    ["authUser", "authPassword"],
    ["challenge", "first"]
);
const WRONG_REALM: CauseSpec = cause!(
    "wrong_realm",
    "Wrong realm: the digest response was computed for another realm than the one the provider challenges with.",
    "Set domain to the realm in the provider's challenge (WWW-Authenticate realm=\"...\"), or clear domain so the server host is the realm.",
    ["domain"],
    ["realm"]
);
const NO_AUTH: CauseSpec = cause!(
    "auth_not_configured",
    "The trunk expects digest authentication but the credential has no authUser/authPassword.",
    "Set authUser and authPassword, or ask the provider to authenticate your platform by IP instead.",
    ["authUser", "authPassword"],
    []
);
const IP_NOT_ALLOWLISTED: CauseSpec = cause!(
    "ip_not_allowlisted",
    "IP not allowlisted: the provider does not accept traffic from your platform's public IP address.",
    "Add your platform's public IP addresses to the trunk's IP access control list (allowlist) at the provider, or switch the trunk to digest credentials.",
    ["server"],
    [
        "ip",
        "allowlist",
        "whitelist",
        "acl",
        "access control",
        "not allowed",
        "source address"
    ]
);
const CHANNEL_LIMIT: CauseSpec = cause!(
    "channel_limit_exceeded",
    "Concurrent call limit reached: the account has more simultaneous calls than channels (Telnyx answers 403 \"User channel limit exceeded\"); not an allowlist problem.",
    "Raise the account's channel limit with the provider, or hold new calls until active ones end.",
    [],
    ["channel", "concurrent", "simultaneous"]
);
const CALLER_ID_OR_PERMISSION: CauseSpec = cause!(
    "caller_id_or_destination_not_permitted",
    "The caller ID is not a number verified on the account, or the destination is blocked by the account's geographic permissions.",
    "Send a caller ID owned or verified on the provider account; enable the destination country in the provider's calling permissions.",
    [],
    [
        "caller id",
        "callerid",
        "from",
        "geo",
        "permission",
        "destination",
        "international",
        "not verified",
        "unverified"
    ]
);
const WRONG_DOMAIN: CauseSpec = cause!(
    "wrong_domain",
    "Wrong domain: the SIP domain of your requests is not one the provider knows for this account.",
    "Set domain to the SIP domain the provider gave you (often the termination host), or clear it so the server host is used.",
    ["domain", "server"],
    ["domain", "realm", "unknown host", "not found"]
);
const WRONG_SERVER_PORT: CauseSpec = cause!(
    "wrong_server_or_port",
    "Wrong server or port: nothing that speaks SIP answers at this host and port.",
    "Copy the termination host and port from the provider's trunk settings into server; 5060 for udp/tcp, 5061 for tls.",
    ["server", "transport"],
    ["no response", "unreachable", "port"]
);
const FIREWALL: CauseSpec = cause!(
    "firewall_or_nat",
    "A firewall or NAT drops the SIP traffic (often UDP 5060, or the responses coming back).",
    "Open outbound UDP/TCP 5060 and TCP 5061 to the provider's signalling addresses and allow the replies; try transport tcp to rule out UDP filtering.",
    ["server", "transport"],
    ["firewall", "nat", "blocked", "drop"]
);
const WRONG_TRANSPORT: CauseSpec = cause!(
    "wrong_transport",
    "Wrong transport: the server does not listen for this transport on this port (for example tcp or tls to a udp-only port).",
    "Set transport to the one the provider documents for this host, with its port (udp/tcp 5060, tls 5061).",
    ["transport", "server"],
    ["transport", "tcp", "udp", "refused"]
);
const DNS: CauseSpec = cause!(
    "dns_resolution",
    "The server's host name does not resolve, or resolves to the wrong address (a typo, a missing record, an internal name).",
    "Check the spelling of server against the provider's docs and resolve it from the platform's network (dig HOST, dig SRV _sip._udp.HOST).",
    ["server"],
    ["dns", "resolve", "nxdomain", "name", "lookup"]
);
const SERVER_DOWN: CauseSpec = cause!(
    "provider_unavailable",
    "The provider's server or region is down or in maintenance.",
    "Check the provider's status page; fail over to a second server or region if the provider offers one.",
    ["server"],
    ["maintenance", "outage", "down", "overload"]
);
const TLS_PLAIN_PORT: CauseSpec = cause!(
    "tls_port",
    "TLS to the wrong port: SIP over TLS listens on 5061, and a TLS handshake to 5060 (plain SIP) fails.",
    "Use port 5061 (or the TLS port the provider documents) with transport tls, or remove the port to get 5061.",
    ["server", "transport"],
    ["wrong version", "record", "port", "plain", "unexpected"]
);
const TLS_CERTIFICATE: CauseSpec = cause!(
    "tls_certificate",
    "Certificate problem: the server's certificate does not match the host name you connect to (an IP address, or another name), is expired, or is not trusted by your CA store.",
    "Use the exact TLS host name from the provider's docs as server (not an IP address), and keep your CA certificates up to date.",
    ["server"],
    [
        "certificate",
        "cert",
        "verify",
        "x509",
        "hostname",
        "expired",
        "unknown ca",
        "self signed",
        "self-signed"
    ]
);
const TLS_VERSION: CauseSpec = cause!(
    "tls_version_or_cipher",
    "The two sides share no TLS version or cipher suite (an old TLS 1.0/1.1 client, or a server that requires TLS 1.2+).",
    "Enable TLS 1.2 or 1.3 in your SIP stack.",
    ["transport"],
    ["protocol version", "cipher", "handshake failure", "alert"]
);
const CPS_EXCEEDED: CauseSpec = cause!(
    "cps_exceeded",
    "CPS above the provider limit: calls are started faster than the provider account allows (Twilio answers 500 or 503 \"CPS limit exceeded\").",
    "Set cpsLimit to the provider's calls-per-second limit (or just below it) so sipcreds paces outbound calls.",
    ["cpsLimit"],
    ["cps", "rate", "calls per second", "too many", "throttl"]
);
const SHARED_LIMIT: CauseSpec = cause!(
    "shared_limit_exceeded",
    "Shared limit exceeded: several trunks use the same provider account, and together they exceed its CPS limit although each stays under its own.",
    "Give every credential of that provider account the same cpsKey so they share one limit, and set cpsLimit to the account's limit.",
    ["cpsKey", "cpsLimit"],
    ["account", "shared", "aggregate"]
);
const PROVIDER_ERROR: CauseSpec = cause!(
    "provider_error",
    "The provider or its upstream carrier failed to handle the call.",
    "Retry later; if it persists, send the provider the Call-ID and time of the failed call.",
    [],
    ["internal", "carrier", "upstream", "gateway"]
);
const NUMBER_NOT_ROUTED: CauseSpec = cause!(
    "number_not_routed",
    "The dialled number is not known or not routable (a typo, not E.164, or not provisioned on the provider's side).",
    "Dial in E.164 (+ and country code) and check the number is active and assigned to this trunk at the provider.",
    [],
    [
        "number",
        "not found",
        "no route",
        "unallocated",
        "does not exist"
    ]
);
const CALLEE_UNAVAILABLE: CauseSpec = cause!(
    "callee_unavailable",
    "The called party is not reachable right now (not registered, phone off, no answer).",
    "Nothing to change in the trunk; retry later.",
    [],
    ["unavailable", "not registered", "offline", "no answer"]
);
const CALLEE_BUSY: CauseSpec = cause!(
    "callee_busy",
    "The called party is busy.",
    "Nothing to change in the trunk; retry later.",
    [],
    ["busy"]
);
const MEDIA_MISMATCH: CauseSpec = cause!(
    "srtp_or_tls_media_mismatch",
    "SRTP/TLS media mismatch: one side offers encrypted media (SRTP, usually with transport tls) and the other accepts only plain RTP, or the reverse.",
    "Match the provider's media encryption setting: enable SRTP with transport tls when the provider requires it, or disable it on both sides.",
    ["transport"],
    ["srtp", "crypto", "media", "encryption", "rtp/savp", "savp"]
);
const CODEC_MISMATCH: CauseSpec = cause!(
    "codec_mismatch",
    "No common codec: the SDP offer has no codec the provider accepts.",
    "Offer PCMU/PCMA (G.711) in addition to any other codec.",
    [],
    ["codec", "sdp", "incompatible"]
);
const DECLINED: CauseSpec = cause!(
    "call_declined",
    "The call was declined: the callee rejected it, or the provider's fraud or spam filter blocked it (caller ID reputation).",
    "Check the caller ID's registration and reputation with the provider; retry only if the callee expects the call.",
    [],
    ["spam", "fraud", "reputation", "blocked", "decline"]
);
const SESSION_TIMER: CauseSpec = cause!(
    "session_timer_or_nat",
    "Calls drop at a fixed time (often 30 s or 32 s): the ACK or re-INVITEs do not reach the other side, usually NAT or SIP ALG on the signalling path.",
    "Disable SIP ALG on your routers, fix the Contact/Record-Route address (public IP), and answer session-timer refreshes.",
    ["server", "transport"],
    [
        "30 seconds",
        "32 seconds",
        "ack",
        "session timer",
        "timer",
        "nat"
    ]
);

const TABLE: &[SymptomSpec] = &[
    SymptomSpec {
        symptom: "401",
        summary: "401 Unauthorized: the server asks for (or rejected) digest authentication.",
        causes: &[WRONG_CREDENTIALS, DIGEST_CHALLENGE, WRONG_REALM, NO_AUTH],
    },
    SymptomSpec {
        symptom: "403",
        summary: "403 Forbidden: the provider refuses the request from this source or account.",
        causes: &[
            IP_NOT_ALLOWLISTED,
            CHANNEL_LIMIT,
            WRONG_CREDENTIALS,
            CALLER_ID_OR_PERMISSION,
            WRONG_DOMAIN,
            CPS_EXCEEDED,
        ],
    },
    SymptomSpec {
        symptom: "404",
        summary: "404 Not Found: the domain or the user (number) of the request is not known there.",
        causes: &[WRONG_DOMAIN, NUMBER_NOT_ROUTED, WRONG_SERVER_PORT],
    },
    SymptomSpec {
        symptom: "407",
        summary: "407 Proxy Authentication Required: the proxy asks for (or rejected) digest authentication.",
        causes: &[WRONG_CREDENTIALS, DIGEST_CHALLENGE, WRONG_REALM, NO_AUTH],
    },
    SymptomSpec {
        symptom: "408",
        summary: "408 Request Timeout: no final answer arrived in time.",
        causes: &[WRONG_SERVER_PORT, FIREWALL, WRONG_TRANSPORT, DNS],
    },
    SymptomSpec {
        symptom: "480",
        summary: "480 Temporarily Unavailable: the callee or route is unavailable now.",
        causes: &[CALLEE_UNAVAILABLE, NUMBER_NOT_ROUTED, CPS_EXCEEDED],
    },
    SymptomSpec {
        symptom: "486",
        summary: "486 Busy Here: the callee is busy, or a channel limit is reached.",
        causes: &[CALLEE_BUSY, CHANNEL_LIMIT],
    },
    SymptomSpec {
        symptom: "488",
        summary: "488 Not Acceptable Here: the media offer (SDP) is not acceptable.",
        causes: &[MEDIA_MISMATCH, CODEC_MISMATCH],
    },
    SymptomSpec {
        symptom: "500",
        summary: "500 Server Internal Error: the provider failed, or throttles the account.",
        causes: &[CPS_EXCEEDED, PROVIDER_ERROR, SHARED_LIMIT],
    },
    SymptomSpec {
        symptom: "502",
        summary: "502 Bad Gateway: a server on the path got a bad answer from the next hop.",
        causes: &[PROVIDER_ERROR, WRONG_SERVER_PORT, DNS],
    },
    SymptomSpec {
        symptom: "503",
        summary: "503 Service Unavailable: the provider will not take the call now, most often because of a rate limit.",
        causes: &[CPS_EXCEEDED, SHARED_LIMIT, CHANNEL_LIMIT, SERVER_DOWN],
    },
    SymptomSpec {
        symptom: "504",
        summary: "504 Server Time-out: a server on the path did not hear from the next hop in time.",
        causes: &[PROVIDER_ERROR, DNS, FIREWALL],
    },
    SymptomSpec {
        symptom: "603",
        summary: "603 Decline: the call was declined.",
        causes: &[DECLINED, CALLER_ID_OR_PERMISSION],
    },
    SymptomSpec {
        symptom: "timeout",
        summary: "No answer at all to the request.",
        causes: &[WRONG_SERVER_PORT, FIREWALL, WRONG_TRANSPORT, DNS],
    },
    SymptomSpec {
        symptom: "connection_refused",
        summary: "The server refused the TCP/TLS connection: nothing listens on that port for that transport.",
        causes: &[WRONG_TRANSPORT, WRONG_SERVER_PORT, FIREWALL],
    },
    SymptomSpec {
        symptom: "connection_closed",
        summary: "The server accepted the TCP/TLS connection and closed it without answering: its SBC drops sources it does not allow, or it expects TLS or another transport there.",
        causes: &[IP_NOT_ALLOWLISTED, WRONG_TRANSPORT, TLS_PLAIN_PORT],
    },
    SymptomSpec {
        symptom: "tls_handshake_failed",
        summary: "The TLS handshake with the server failed.",
        causes: &[TLS_CERTIFICATE, TLS_PLAIN_PORT, TLS_VERSION],
    },
    SymptomSpec {
        symptom: "dns_failure",
        summary: "The server's host name could not be resolved.",
        causes: &[DNS],
    },
    SymptomSpec {
        symptom: "calls_dropping",
        summary: "Some calls fail or drop, often under load.",
        causes: &[SHARED_LIMIT, CPS_EXCEEDED, CHANNEL_LIMIT, SESSION_TIMER],
    },
    SymptomSpec {
        symptom: "domain_mismatch",
        summary: "The provider reports that the domain or realm does not match.",
        causes: &[WRONG_REALM, WRONG_DOMAIN],
    },
];

/// Every symptom [`diagnose`] knows.
pub fn symptoms() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|s| s.symptom)
}

/// Diagnose a SIP status (`"401"`, `"503"`, also written `"SIP 503"`) or a transport symptom
/// (`timeout`, `connection_refused`, `connection_closed`, `tls_handshake_failed`, `dns_failure`, `calls_dropping`,
/// `domain_mismatch`), optionally with the provider's reason phrase, which moves the causes
/// it points at to the front.
///
/// ```
/// use sipcreds::diagnose;
/// let d = diagnose("503", None).unwrap();
/// assert_eq!(d.causes[0].code, "cps_exceeded");
/// let d = diagnose("403", Some("User channel limit exceeded")).unwrap();
/// assert_eq!(d.causes[0].code, "channel_limit_exceeded");
/// assert_eq!(diagnose("999", None).unwrap_err().code().as_str(), "invalid_symptom");
/// ```
pub fn diagnose(symptom: &str, reason: Option<&str>) -> Result<Diagnosis, Error> {
    let key = normalize_symptom(symptom);
    let Some(spec) = TABLE.iter().find(|s| s.symptom == key) else {
        let known: Vec<_> = symptoms().collect();
        return Err(Error::invalid(
            ErrorCode::InvalidSymptom,
            "symptom",
            format!(
                "unknown symptom {}; use one of {}",
                quote(symptom),
                known.join(", ")
            ),
        ));
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let lower = reason.map(str::to_lowercase).unwrap_or_default();
    let score = |c: &CauseSpec| {
        if lower.is_empty() {
            0
        } else {
            c.reason_hints.iter().filter(|h| lower.contains(*h)).count()
        }
    };
    let mut ranked: Vec<(usize, usize, &CauseSpec)> = spec
        .causes
        .iter()
        .enumerate()
        .map(|(i, c)| (score(c), i, c))
        .collect();
    // More matching hints first; the table's order otherwise (a stable sort).
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(Diagnosis {
        symptom: spec.symptom,
        summary: spec.summary,
        reason: reason.map(str::to_owned),
        causes: ranked
            .into_iter()
            .map(|(_, _, c)| c.cause.clone())
            .collect(),
    })
}

fn normalize_symptom(s: &str) -> String {
    let lower = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let stripped = lower.strip_prefix("sip_").unwrap_or(&lower);
    match stripped {
        "timed_out" | "time_out" => "timeout".into(),
        "refused" => "connection_refused".into(),
        "closed" => "connection_closed".into(),
        "tls" | "tls_handshake" | "tls_failure" => "tls_handshake_failed".into(),
        "dns" => "dns_failure".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_symptom_is_known_with_causes() {
        for s in "401 403 404 407 408 480 486 488 500 502 503 504 603 timeout connection_refused connection_closed \
                  tls_handshake_failed dns_failure calls_dropping domain_mismatch"
            .split_whitespace()
        {
            let d = diagnose(s, None).unwrap();
            assert!(!d.causes.is_empty(), "{s}");
            assert!(
                d.causes
                    .iter()
                    .all(|c| !c.fix.is_empty() && !c.cause.is_empty())
            );
        }
    }

    #[test]
    fn top_causes_match_the_providers_docs() {
        let top = |s: &str, r: Option<&str>| diagnose(s, r).unwrap().causes[0].code;
        assert_eq!(top("401", None), "wrong_credentials");
        assert_eq!(top("403", None), "ip_not_allowlisted");
        assert_eq!(top("domain_mismatch", None), "wrong_realm");
        assert_eq!(top("timeout", None), "wrong_server_or_port");
        assert_eq!(top("connection_refused", None), "wrong_transport");
        assert_eq!(top("connection_closed", None), "ip_not_allowlisted");
        assert_eq!(top("tls_handshake_failed", None), "tls_certificate");
        assert_eq!(top("503", None), "cps_exceeded");
        assert_eq!(top("calls_dropping", None), "shared_limit_exceeded");
        assert_eq!(top("500", Some("CPS limit exceeded")), "cps_exceeded");
        assert_eq!(top("SIP 401", Some("first challenge")), "digest_challenge");
        assert_eq!(
            top("488", Some("SRTP required")),
            "srtp_or_tls_media_mismatch"
        );
        assert_eq!(
            top("tls_handshake_failed", Some("wrong version number")),
            "tls_port"
        );
    }
}
