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

#[rustfmt::skip]
mod table;
use table::{CauseSpec, TABLE};

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
