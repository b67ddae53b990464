//! Lint findings (§7): configurations that validate but will probably fail or misbehave.

use std::fmt;

use serde::Serialize;

use crate::credential::CredentialInput;
use crate::values::Transport;

/// How serious a finding is.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Will fail.
    Error,
    /// Will probably fail or misbehave.
    Warning,
    /// Worth a look.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One finding: `{code, severity, field, message, fix}`, and the credential it is about when
/// several are linted together.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable snake_case code.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// The wire field it is about.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The credential (its id, or `#N` for the N-th input of a file), when linting a set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Every lint code this crate can report, with its severity.
pub const LINT_CODES: &[(&str, Severity)] = &[
    ("tls_on_plain_port", Severity::Warning),
    ("plain_on_tls_port", Severity::Warning),
    ("domain_differs_from_server", Severity::Info),
    ("no_cps_limit", Severity::Warning),
    ("cps_group_conflict", Severity::Warning),
    ("cps_key_single_member", Severity::Info),
    ("ip_literal_with_tls", Severity::Warning),
    ("no_auth", Severity::Info),
];

fn finding(code: &'static str, field: &'static str, message: String, fix: String) -> Finding {
    let severity = LINT_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(Severity::Warning, |(_, s)| *s);
    Finding {
        code,
        severity,
        field,
        message,
        fix,
        credential: None,
    }
}

/// Lint one credential on its own (no group checks).
///
/// ```
/// use sipcreds::{lint_credential, CredentialInput};
/// let c = CredentialInput::from_json(r#"{"server":"sip.example.com:5060","transport":"tls"}"#).unwrap();
/// let codes: Vec<_> = lint_credential(&c).iter().map(|f| f.code).collect();
/// assert!(codes.contains(&"tls_on_plain_port"));
/// assert!(codes.contains(&"no_cps_limit"));
/// ```
pub fn lint_credential(c: &CredentialInput) -> Vec<Finding> {
    let mut out = lint_fields(c, c.auth.is_some());
    if c.cps_limit.is_none() {
        out.push(no_cps_limit());
    }
    out
}

fn no_cps_limit() -> Finding {
    finding(
        "no_cps_limit",
        "cpsLimit",
        "no cpsLimit: calls are not paced, and a provider answers 503 (or drops calls) above its CPS limit".into(),
        "set cpsLimit to (or just below) the calls-per-second limit of your provider account".into(),
    )
}

/// The checks of one credential's own fields (`has_auth`: it has an authUser and password;
/// lint reads credentials with their passwords left encrypted).
fn lint_fields(c: &CredentialInput, has_auth: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let port = c.effective_port().get();
    match (c.transport, port) {
        (Transport::Tls, 5060) => out.push(finding(
            "tls_on_plain_port",
            "server",
            "transport is tls but the port is 5060, the plain SIP port; the TLS handshake will fail on most servers".into(),
            format!("use port 5061 (\"{}:5061\") or remove the port, unless the provider documents TLS on 5060", c.host().to_uri_form()),
        )),
        (Transport::Udp | Transport::Tcp, 5061) => out.push(finding(
            "plain_on_tls_port",
            "transport",
            format!("transport is {} but the port is 5061, the SIP over TLS port", c.transport),
            "set transport to \"tls\", or use port 5060".into(),
        )),
        _ => {}
    }
    if let Some(domain) = c.domain.as_ref().filter(|d| d.host() != c.host()) {
        out.push(finding(
            "domain_differs_from_server",
            "domain",
            format!(
                "domain \"{domain}\" differs from the server host \"{}\": it is the digest realm and the domain of your SIP URIs",
                c.host()
            ),
            "keep it only if the provider gave you this SIP domain or realm; otherwise clear domain (null) so the server host is used".into(),
        ));
    }
    if c.transport == Transport::Tls && c.host().is_ip() {
        out.push(finding(
            "ip_literal_with_tls",
            "server",
            format!("transport is tls but the server is the IP address {}: certificates name hosts, so verification will fail", c.host()),
            "use the provider's TLS host name as server".into(),
        ));
    }
    if !has_auth {
        out.push(finding(
            "no_auth",
            "authUser",
            "no authUser/authPassword: the trunk relies on IP authentication".into(),
            "make sure the provider allowlists your platform's public IP addresses, or set authUser and authPassword".into(),
        ));
    }
    out
}

/// Lint a set of one organization's credentials, with the rate group checks of §6/§7:
/// `cps_group_conflict` (members of one `cpsKey` group with different limits),
/// `cps_key_single_member`, and `no_cps_limit` only for credentials whose group has no limit.
/// Each finding names its credential by the label given.
///
/// ```
/// use sipcreds::{lint_credentials, CredentialInput};
/// let a = CredentialInput::from_json(r#"{"server":"a.example.com","cpsKey":"k","cpsLimit":5}"#).unwrap();
/// let b = CredentialInput::from_json(r#"{"server":"b.example.com","cpsKey":"k","cpsLimit":10}"#).unwrap();
/// let findings = lint_credentials([("a", &a), ("b", &b)]);
/// assert!(findings.iter().any(|f| f.code == "cps_group_conflict"));
/// ```
pub fn lint_credentials<'a, L: AsRef<str>>(
    items: impl IntoIterator<Item = (L, &'a CredentialInput)>,
) -> Vec<Finding> {
    let items: Vec<(String, &CredentialInput)> = items
        .into_iter()
        .map(|(l, c)| (l.as_ref().to_owned(), c))
        .collect();
    let checks = GroupChecks::new(items.iter().map(|(l, c)| {
        (
            l.as_str(),
            c.cps_limit.map(|l| l.get()),
            c.cps_key.as_ref().map(|k| k.as_str()),
        )
    }));
    let mut out = Vec::new();
    for (label, c) in &items {
        out.extend(checks.lint(label, c, c.auth.is_some()));
    }
    out
}

/// The group checks of a set of credentials (§6/§7), made from their rate fields alone
/// (`(label, cpsLimit, cpsKey)`, as [`crate::Tx::rate_rows`] reads them), so that the set's
/// credentials can then be linted a page at a time. A credential without a `cpsKey` is its
/// own group (its own limit, one member), so only the `cpsKey` groups are held, by key.
#[derive(Debug)]
pub(crate) struct GroupChecks {
    by_key: std::collections::HashMap<String, GroupFacts>,
}

/// What the checks need of a `cpsKey` group.
#[derive(Debug)]
struct GroupFacts {
    members: usize,
    first: String,
    limit: Option<u32>,
    /// The distinct limits, when members disagree.
    conflict: Option<std::collections::BTreeSet<u32>>,
}

impl GroupChecks {
    pub(crate) fn new<'a>(
        rows: impl IntoIterator<Item = (&'a str, Option<u32>, Option<&'a str>)> + Clone,
    ) -> GroupChecks {
        let keyed = || rows.clone().into_iter().filter(|(_, _, k)| k.is_some());
        // The groups by the one rule of §6 (the limiter's and `limits`').
        let mut by_key: std::collections::HashMap<String, GroupFacts> =
            crate::rate::rate_groups_of(keyed())
                .into_iter()
                .filter_map(|g| {
                    let facts = GroupFacts {
                        members: g.members.len(),
                        first: g.members.into_iter().next().unwrap_or_default(),
                        limit: g.limit,
                        conflict: g.conflicting_limits.then(Default::default),
                    };
                    Some((g.cps_key?, facts))
                })
                .collect();
        for (_, limit, key) in keyed() {
            if let (Some(k), Some(l)) = (key, limit)
                && let Some(limits) = by_key.get_mut(k).and_then(|g| g.conflict.as_mut())
            {
                limits.insert(l);
            }
        }
        GroupChecks { by_key }
    }

    /// The findings of one credential of the set: its own fields' and its group's.
    pub(crate) fn lint(&self, label: &str, c: &CredentialInput, has_auth: bool) -> Vec<Finding> {
        let mut fs = lint_fields(c, has_auth);
        match c
            .cps_key
            .as_ref()
            .and_then(|k| Some((k, self.by_key.get(k.as_str())?)))
        {
            None => {
                if c.cps_limit.is_none() {
                    fs.push(no_cps_limit());
                }
            }
            Some((k, group)) => {
                if group.limit.is_none() {
                    fs.push(no_cps_limit());
                }
                if group.members == 1 {
                    fs.push(finding(
                        "cps_key_single_member",
                        "cpsKey",
                        format!("cpsKey \"{k}\" is used by this credential only, so it shares its limit with nothing"),
                        "give the same cpsKey to every trunk that shares one provider account's CPS limit, or remove it (a typo?)".into(),
                    ));
                }
                if let Some(limits) = &group.conflict
                    && group.first == label
                {
                    let min = group.limit.unwrap_or_default();
                    let shown: Vec<String> = limits.iter().map(u32::to_string).collect();
                    fs.push(finding(
                        "cps_group_conflict",
                        "cpsLimit",
                        format!(
                            "the credentials sharing cpsKey \"{k}\" set different cpsLimit values ({}); the group is paced at the smallest, {min}",
                            shown.join(", ")
                        ),
                        format!("set the same cpsLimit ({min}, or the provider account's limit) on every member of \"{k}\""),
                    ));
                }
            }
        }
        for f in &mut fs {
            f.credential = Some(label.to_owned());
        }
        fs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> CredentialInput {
        CredentialInput::from_json(json).unwrap()
    }

    fn codes(c: &CredentialInput) -> Vec<&'static str> {
        lint_credential(c).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn each_rule() {
        assert!(codes(&input(r#"{"server":"a.b:5061"}"#)).contains(&"plain_on_tls_port"));
        assert!(
            codes(&input(r#"{"server":"a.b:5060","transport":"tls"}"#))
                .contains(&"tls_on_plain_port")
        );
        assert!(
            codes(&input(r#"{"server":"10.0.0.1","transport":"tls"}"#))
                .contains(&"ip_literal_with_tls")
        );
        assert!(
            codes(&input(r#"{"server":"a.b","domain":"c.d"}"#))
                .contains(&"domain_differs_from_server")
        );
        let clean = input(
            r#"{"server":"a.b","domain":"A.B","authUser":"u","authPassword":"p","cpsLimit":1,"transport":"tls"}"#,
        );
        assert!(codes(&clean).is_empty(), "{:?}", codes(&clean));
    }

    #[test]
    fn group_rules() {
        let a = input(r#"{"server":"a.b","cpsKey":"k","cpsLimit":5}"#);
        let b = input(r#"{"server":"a.b","cpsKey":"k"}"#);
        let c = input(r#"{"server":"a.b","cpsKey":"solo"}"#);
        let f = lint_credentials([("a", &a), ("b", &b), ("c", &c)]);
        let has = |code: &str, who: &str| {
            f.iter()
                .any(|x| x.code == code && x.credential.as_deref() == Some(who))
        };
        assert!(!has("no_cps_limit", "b"), "b's group is limited by a");
        assert!(has("no_cps_limit", "c"));
        assert!(has("cps_key_single_member", "c"));
        assert!(!f.iter().any(|x| x.code == "cps_group_conflict"));
    }
}
