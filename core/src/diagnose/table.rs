//! The troubleshooting table (§7): each cause once, with its fix, the fields to check and the
//! words of a reason phrase that point at it; each symptom with its causes, most likely first.
//! Laid out as a table, a row per cause and per symptom (`#[rustfmt::skip]` on its `mod`).

use super::Cause;

pub(super) struct CauseSpec {
    pub(super) cause: Cause,
    /// Lowercase fragments of a reason phrase that make this cause the most likely.
    pub(super) reason_hints: &'static [&'static str],
}

pub(super) struct SymptomSpec {
    pub(super) symptom: &'static str,
    pub(super) summary: &'static str,
    pub(super) causes: &'static [CauseSpec],
}

/// A cause: its code, the fields to check and the reason's hints, then what is probably wrong
/// and what to do.
macro_rules! cause {
    ($code:literal, [$($field:literal),*], [$($hint:literal),*], $cause:literal, $fix:literal) => {
        CauseSpec {
            cause: Cause { code: $code, cause: $cause, fix: $fix, fields: &[$($field),*] },
            reason_hints: &[$($hint),*],
        }
    };
}

/// A symptom: its name, its causes (most likely first), what it means.
macro_rules! symptom {
    ($symptom:literal, [$($cause:ident),*], $summary:literal) => {
        SymptomSpec { symptom: $symptom, summary: $summary, causes: &[$($cause),*] }
    };
}

const WRONG_CREDENTIALS: CauseSpec = cause! { "wrong_credentials", ["authUser", "authPassword"], ["wrong", "invalid", "incorrect", "bad credentials", "authentication failed", "auth failed", "after retry", "password"], "Wrong user or password: the server rejected the digest response (a 401/407 that comes back after the authenticated retry).", "Copy the username and password again from the provider's trunk settings and set authUser and authPassword together; check for a stray space or an expired password." };
const DIGEST_CHALLENGE: CauseSpec = cause! { "digest_challenge", ["authUser", "authPassword"], ["challenge", "first"], "A first 401/407 is the normal digest challenge, not a failure: the SIP stack must answer it with the credentials.", "Act only if it repeats after the authenticated retry; make sure your SIP stack is given authUser and authPassword." };
const WRONG_REALM: CauseSpec = cause! { "wrong_realm", ["domain"], ["realm"], "Wrong realm: the digest response was computed for another realm than the one the provider challenges with.", "Set domain to the realm in the provider's challenge (WWW-Authenticate realm=\"...\"), or clear domain so the server host is the realm." };
const NO_AUTH: CauseSpec = cause! { "auth_not_configured", ["authUser", "authPassword"], [], "The trunk expects digest authentication but the credential has no authUser/authPassword.", "Set authUser and authPassword, or ask the provider to authenticate your platform by IP instead." };
const IP_NOT_ALLOWLISTED: CauseSpec = cause! { "ip_not_allowlisted", ["server"], ["ip", "allowlist", "whitelist", "acl", "access control", "not allowed", "source address"], "IP not allowlisted: the provider does not accept traffic from your platform's public IP address.", "Add your platform's public IP addresses to the trunk's IP access control list (allowlist) at the provider, or switch the trunk to digest credentials." };
const CHANNEL_LIMIT: CauseSpec = cause! { "channel_limit_exceeded", [], ["channel", "concurrent", "simultaneous"], "Concurrent call limit reached: the account has more simultaneous calls than channels (Telnyx answers 403 \"User channel limit exceeded\"); not an allowlist problem.", "Raise the account's channel limit with the provider, or hold new calls until active ones end." };
const CALLER_ID_OR_PERMISSION: CauseSpec = cause! { "caller_id_or_destination_not_permitted", [], ["caller id", "callerid", "from", "geo", "permission", "destination", "international", "not verified", "unverified"], "The caller ID is not a number verified on the account, or the destination is blocked by the account's geographic permissions.", "Send a caller ID owned or verified on the provider account; enable the destination country in the provider's calling permissions." };
const WRONG_DOMAIN: CauseSpec = cause! { "wrong_domain", ["domain", "server"], ["domain", "realm", "unknown host", "not found"], "Wrong domain: the SIP domain of your requests is not one the provider knows for this account.", "Set domain to the SIP domain the provider gave you (often the termination host), or clear it so the server host is used." };
const WRONG_SERVER_PORT: CauseSpec = cause! { "wrong_server_or_port", ["server", "transport"], ["no response", "unreachable", "port"], "Wrong server or port: nothing that speaks SIP answers at this host and port.", "Copy the termination host and port from the provider's trunk settings into server; 5060 for udp/tcp, 5061 for tls." };
const FIREWALL: CauseSpec = cause! { "firewall_or_nat", ["server", "transport"], ["firewall", "nat", "blocked", "drop"], "A firewall or NAT drops the SIP traffic (often UDP 5060, or the responses coming back).", "Open outbound UDP/TCP 5060 and TCP 5061 to the provider's signalling addresses and allow the replies; try transport tcp to rule out UDP filtering." };
const WRONG_TRANSPORT: CauseSpec = cause! { "wrong_transport", ["transport", "server"], ["transport", "tcp", "udp", "refused"], "Wrong transport: the server does not listen for this transport on this port (for example tcp or tls to a udp-only port).", "Set transport to the one the provider documents for this host, with its port (udp/tcp 5060, tls 5061)." };
const DNS: CauseSpec = cause! { "dns_resolution", ["server"], ["dns", "resolve", "nxdomain", "name", "lookup"], "The server's host name does not resolve, or resolves to the wrong address (a typo, a missing record, an internal name).", "Check the spelling of server against the provider's docs and resolve it from the platform's network (dig HOST, dig SRV _sip._udp.HOST)." };
const SERVER_DOWN: CauseSpec = cause! { "provider_unavailable", ["server"], ["maintenance", "outage", "down", "overload"], "The provider's server or region is down or in maintenance.", "Check the provider's status page; fail over to a second server or region if the provider offers one." };
const TLS_PLAIN_PORT: CauseSpec = cause! { "tls_port", ["server", "transport"], ["wrong version", "record", "port", "plain", "unexpected"], "TLS to the wrong port: SIP over TLS listens on 5061, and a TLS handshake to 5060 (plain SIP) fails.", "Use port 5061 (or the TLS port the provider documents) with transport tls, or remove the port to get 5061." };
const TLS_CERTIFICATE: CauseSpec = cause! { "tls_certificate", ["server"], ["certificate", "cert", "verify", "x509", "hostname", "expired", "unknown ca", "self signed", "self-signed"], "Certificate problem: the server's certificate does not match the host name you connect to (an IP address, or another name), is expired, or is not trusted by your CA store.", "Use the exact TLS host name from the provider's docs as server (not an IP address), and keep your CA certificates up to date." };
const TLS_VERSION: CauseSpec = cause! { "tls_version_or_cipher", ["transport"], ["protocol version", "cipher", "handshake failure", "alert"], "The two sides share no TLS version or cipher suite (an old TLS 1.0/1.1 client, or a server that requires TLS 1.2+).", "Enable TLS 1.2 or 1.3 in your SIP stack." };
const CPS_EXCEEDED: CauseSpec = cause! { "cps_exceeded", ["cpsLimit"], ["cps", "rate", "calls per second", "too many", "throttl"], "CPS above the provider limit: calls are started faster than the provider account allows (Twilio answers 500 or 503 \"CPS limit exceeded\").", "Set cpsLimit to the provider's calls-per-second limit (or just below it) so sipcreds paces outbound calls." };
const SHARED_LIMIT: CauseSpec = cause! { "shared_limit_exceeded", ["cpsKey", "cpsLimit"], ["account", "shared", "aggregate"], "Shared limit exceeded: several trunks use the same provider account, and together they exceed its CPS limit although each stays under its own.", "Give every credential of that provider account the same cpsKey so they share one limit, and set cpsLimit to the account's limit." };
const PROVIDER_ERROR: CauseSpec = cause! { "provider_error", [], ["internal", "carrier", "upstream", "gateway"], "The provider or its upstream carrier failed to handle the call.", "Retry later; if it persists, send the provider the Call-ID and time of the failed call." };
const NUMBER_NOT_ROUTED: CauseSpec = cause! { "number_not_routed", [], ["number", "not found", "no route", "unallocated", "does not exist"], "The dialled number is not known or not routable (a typo, not E.164, or not provisioned on the provider's side).", "Dial in E.164 (+ and country code) and check the number is active and assigned to this trunk at the provider." };
const CALLEE_UNAVAILABLE: CauseSpec = cause! { "callee_unavailable", [], ["unavailable", "not registered", "offline", "no answer"], "The called party is not reachable right now (not registered, phone off, no answer).", "Nothing to change in the trunk; retry later." };
const CALLEE_BUSY: CauseSpec = cause! { "callee_busy", [], ["busy"], "The called party is busy.", "Nothing to change in the trunk; retry later." };
const MEDIA_MISMATCH: CauseSpec = cause! { "srtp_or_tls_media_mismatch", ["transport"], ["srtp", "crypto", "media", "encryption", "rtp/savp", "savp"], "SRTP/TLS media mismatch: one side offers encrypted media (SRTP, usually with transport tls) and the other accepts only plain RTP, or the reverse.", "Match the provider's media encryption setting: enable SRTP with transport tls when the provider requires it, or disable it on both sides." };
const CODEC_MISMATCH: CauseSpec = cause! { "codec_mismatch", [], ["codec", "sdp", "incompatible"], "No common codec: the SDP offer has no codec the provider accepts.", "Offer PCMU/PCMA (G.711) in addition to any other codec." };
const DECLINED: CauseSpec = cause! { "call_declined", [], ["spam", "fraud", "reputation", "blocked", "decline"], "The call was declined: the callee rejected it, or the provider's fraud or spam filter blocked it (caller ID reputation).", "Check the caller ID's registration and reputation with the provider; retry only if the callee expects the call." };
const SESSION_TIMER: CauseSpec = cause! { "session_timer_or_nat", ["server", "transport"], ["30 seconds", "32 seconds", "ack", "session timer", "timer", "nat"], "Calls drop at a fixed time (often 30 s or 32 s): the ACK or re-INVITEs do not reach the other side, usually NAT or SIP ALG on the signalling path.", "Disable SIP ALG on your routers, fix the Contact/Record-Route address (public IP), and answer session-timer refreshes." };

pub(super) const TABLE: &[SymptomSpec] = &[
    symptom! { "401", [WRONG_CREDENTIALS, DIGEST_CHALLENGE, WRONG_REALM, NO_AUTH], "401 Unauthorized: the server asks for (or rejected) digest authentication." },
    symptom! { "403", [IP_NOT_ALLOWLISTED, CHANNEL_LIMIT, WRONG_CREDENTIALS, CALLER_ID_OR_PERMISSION, WRONG_DOMAIN, CPS_EXCEEDED], "403 Forbidden: the provider refuses the request from this source or account." },
    symptom! { "404", [WRONG_DOMAIN, NUMBER_NOT_ROUTED, WRONG_SERVER_PORT], "404 Not Found: the domain or the user (number) of the request is not known there." },
    symptom! { "407", [WRONG_CREDENTIALS, DIGEST_CHALLENGE, WRONG_REALM, NO_AUTH], "407 Proxy Authentication Required: the proxy asks for (or rejected) digest authentication." },
    symptom! { "408", [WRONG_SERVER_PORT, FIREWALL, WRONG_TRANSPORT, DNS], "408 Request Timeout: no final answer arrived in time." },
    symptom! { "480", [CALLEE_UNAVAILABLE, NUMBER_NOT_ROUTED, CPS_EXCEEDED], "480 Temporarily Unavailable: the callee or route is unavailable now." },
    symptom! { "486", [CALLEE_BUSY, CHANNEL_LIMIT], "486 Busy Here: the callee is busy, or a channel limit is reached." },
    symptom! { "488", [MEDIA_MISMATCH, CODEC_MISMATCH], "488 Not Acceptable Here: the media offer (SDP) is not acceptable." },
    symptom! { "500", [CPS_EXCEEDED, PROVIDER_ERROR, SHARED_LIMIT], "500 Server Internal Error: the provider failed, or throttles the account." },
    symptom! { "502", [PROVIDER_ERROR, WRONG_SERVER_PORT, DNS], "502 Bad Gateway: a server on the path got a bad answer from the next hop." },
    symptom! { "503", [CPS_EXCEEDED, SHARED_LIMIT, CHANNEL_LIMIT, SERVER_DOWN], "503 Service Unavailable: the provider will not take the call now, most often because of a rate limit." },
    symptom! { "504", [PROVIDER_ERROR, DNS, FIREWALL], "504 Server Time-out: a server on the path did not hear from the next hop in time." },
    symptom! { "603", [DECLINED, CALLER_ID_OR_PERMISSION], "603 Decline: the call was declined." },
    symptom! { "timeout", [WRONG_SERVER_PORT, FIREWALL, WRONG_TRANSPORT, DNS], "No answer at all to the request." },
    symptom! { "connection_refused", [WRONG_TRANSPORT, WRONG_SERVER_PORT, FIREWALL], "The server refused the TCP/TLS connection: nothing listens on that port for that transport." },
    symptom! { "connection_closed", [IP_NOT_ALLOWLISTED, WRONG_TRANSPORT, TLS_PLAIN_PORT], "The server accepted the TCP/TLS connection and closed it without answering: its SBC drops sources it does not allow, or it expects TLS or another transport there." },
    symptom! { "tls_handshake_failed", [TLS_CERTIFICATE, TLS_PLAIN_PORT, TLS_VERSION], "The TLS handshake with the server failed." },
    symptom! { "dns_failure", [DNS], "The server's host name could not be resolved." },
    symptom! { "calls_dropping", [SHARED_LIMIT, CPS_EXCEEDED, CHANNEL_LIMIT, SESSION_TIMER], "Some calls fail or drop, often under load." },
    symptom! { "domain_mismatch", [WRONG_REALM, WRONG_DOMAIN], "The provider reports that the domain or realm does not match." },
];
