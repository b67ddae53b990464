//! Rate groups (§6): which credentials share a CPS budget, and its limit.

use serde::Serialize;

use crate::credential::Credential;

/// One rate group: `(org, cpsKey)` when the key is set, else the credential alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateGroup {
    /// `key:<cpsKey>` for a shared group, `credential:<id>` for a credential alone.
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

/// The rate groups of one org's credentials (given in creation order).
pub fn rate_groups(creds: &[Credential]) -> Vec<RateGroup> {
    let mut groups: Vec<RateGroup> = Vec::new();
    let mut by_key: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for c in creds {
        let limit = c.input.cps_limit.map(|l| l.get());
        match &c.input.cps_key {
            Some(k) => {
                let i = *by_key.entry(k.as_str()).or_insert_with(|| {
                    groups.push(RateGroup {
                        key: format!("key:{k}"),
                        cps_key: Some(k.to_string()),
                        members: Vec::new(),
                        limit: None,
                        conflicting_limits: false,
                    });
                    groups.len() - 1
                });
                let g = &mut groups[i];
                g.members.push(c.id.to_string());
                if let Some(l) = limit {
                    g.conflicting_limits |= g.limit.is_some_and(|old| old != l);
                    g.limit = Some(g.limit.map_or(l, |old| old.min(l)));
                }
            }
            None => groups.push(RateGroup {
                key: format!("credential:{}", c.id),
                cps_key: None,
                members: vec![c.id.to_string()],
                limit,
                conflicting_limits: false,
            }),
        }
    }
    groups
}
