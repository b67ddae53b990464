//! Rate groups (§6): which credentials share a CPS budget, and its limit. The one place the
//! rule is written: the limiter, `limits`/`rate_groups` and lint's group checks all use it.

use std::collections::HashMap;

use serde::Serialize;

use crate::credential::Credential;
use crate::values::{CpsKey, CpsLimit, CredentialId};

/// A credential's rate fields: all the rate rule needs (no password, nothing decrypted). The
/// storage trait reads them alone ([`crate::Tx::rate_rows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    /// The credential.
    pub id: CredentialId,
    /// Its `cpsLimit`.
    pub cps_limit: Option<CpsLimit>,
    /// Its `cpsKey`.
    pub cps_key: Option<CpsKey>,
}

impl RateRow {
    /// A credential's rate fields.
    pub fn of(c: &Credential) -> RateRow {
        RateRow {
            id: c.id.clone(),
            cps_limit: c.input.cps_limit,
            cps_key: c.input.cps_key.clone(),
        }
    }

    /// `(id, cpsLimit, cpsKey)`, borrowed: what the group rules and the limiter read.
    pub fn fields(&self) -> (&str, Option<u32>, Option<&str>) {
        (
            self.id.as_str(),
            self.cps_limit.map(|l| l.get()),
            self.cps_key.as_ref().map(|k| k.as_str()),
        )
    }
}

/// The key of a rate group, the one spelling on every surface: `key:<cpsKey>` for the
/// credentials of an org sharing a `cpsKey`, `credential:<id>` for a credential alone. (The
/// limiter's backends key their state by `<org>:<group key>`; org ids hold no `:`.)
pub fn group_key(id: &str, cps_key: Option<&str>) -> String {
    match cps_key {
        Some(k) => format!("key:{k}"),
        None => format!("credential:{id}"),
    }
}

/// One rate group: `(org, cpsKey)` when the key is set, else the credential alone.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateGroup {
    /// `key:<cpsKey>` for a shared group, `credential:<id>` for a credential alone
    /// ([`group_key`]).
    pub key: String,
    /// The `cpsKey`, for a shared group.
    pub cps_key: Option<String>,
    /// The member credentials, in creation order.
    pub members: Vec<String>,
    /// The smallest `cpsLimit` among the members that set one; `None` is unlimited.
    pub limit: Option<u32>,
    /// True when members set different limits (a lint warning).
    pub conflicting_limits: bool,
}

/// The rate groups of one org's credentials (given in creation order), in the order of their
/// first member.
pub fn rate_groups(rows: &[RateRow]) -> Vec<RateGroup> {
    rate_groups_of(rows.iter().map(RateRow::fields))
}

/// [`rate_groups`] over `(id, cpsLimit, cpsKey)` of each credential (lint passes labels).
pub(crate) fn rate_groups_of<'a>(
    rows: impl IntoIterator<Item = (&'a str, Option<u32>, Option<&'a str>)>,
) -> Vec<RateGroup> {
    let mut groups: Vec<RateGroup> = Vec::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for (id, limit, key) in rows {
        let i = match key {
            Some(k) => *by_key.entry(k).or_insert_with(|| {
                groups.push(RateGroup {
                    key: group_key(id, Some(k)),
                    cps_key: Some(k.to_owned()),
                    members: Vec::new(),
                    limit: None,
                    conflicting_limits: false,
                });
                groups.len() - 1
            }),
            None => {
                groups.push(RateGroup {
                    key: group_key(id, None),
                    cps_key: None,
                    members: Vec::new(),
                    limit: None,
                    conflicting_limits: false,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.members.push(id.to_owned());
        if let Some(l) = limit {
            g.conflicting_limits |= g.limit.is_some_and(|old| old != l);
            g.limit = Some(g.limit.map_or(l, |old| old.min(l)));
        }
    }
    groups
}

/// What changed in an org's credentials after a value of its change counter
/// ([`crate::registry::Tx::rate_changes`]): the rate fields of the credentials written since, and the ids of
/// those removed since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateChanges {
    /// The counter now.
    pub counter: u64,
    /// The credentials created or changed since, with their current rate fields.
    pub changed: Vec<RateRow>,
    /// The credentials deleted since.
    pub removed: Vec<CredentialId>,
}
