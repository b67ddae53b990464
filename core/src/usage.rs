//! What uses a credential: the report of `usage` and of an `in_use` refusal.

use serde::Serialize;

/// The phone numbers linked to a credential and the agents that use one of them.
///
/// ```
/// use sipcreds::UsageReport;
/// let u = UsageReport::default();
/// assert!(u.is_empty());
/// assert_eq!(serde_json::to_string(&u).unwrap(), r#"{"phoneNumbers":[],"agents":[]}"#);
/// ```
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// The linked numbers, sorted.
    pub phone_numbers: Vec<String>,
    /// The agents using any of them, sorted by id.
    pub agents: Vec<AgentUsage>,
}

impl UsageReport {
    /// True when nothing uses the credential.
    pub fn is_empty(&self) -> bool {
        self.phone_numbers.is_empty() && self.agents.is_empty()
    }
}

/// One agent in a usage report.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentUsage {
    /// The agent's id.
    pub id: String,
    /// The agent's name.
    pub name: String,
    /// The credential's numbers this agent uses, sorted.
    pub via: Vec<String>,
}
