//! Agents: create, read, assign and unassign numbers, list, delete.

use super::*;

/// The agent, or `not_found` about `field` (the argument that named it: `id` or `agentId`).
pub(super) fn require_agent(
    tx: &dyn Tx,
    org: &Org,
    id: &AgentId,
    field: &'static str,
) -> Result<Agent> {
    tx.agent(org, id)?.ok_or_else(|| Error::NotFound {
        what: "agent",
        field,
        id: id.to_string(),
    })
}

impl Registry {
    /// Create an agent.
    pub fn create_agent(&self, org: &str, name: &str) -> Result<Agent> {
        let org = Org::parse(org)?;
        let agent = Agent {
            id: AgentId::generate(),
            org,
            name: Name::parse(name)?,
            numbers: Vec::new(),
            created_at: now(),
        };
        self.write(|tx| tx.insert_agent(&agent))?;
        Ok(agent)
    }

    /// One agent.
    pub fn get_agent(&self, org: &str, id: &str) -> Result<Agent> {
        let org = Org::parse(org)?;
        let id = AgentId::parse(id, "id")?;
        self.read(|tx| require_agent(tx, &org, &id, "id"))
    }

    /// Give an agent an existing number (idempotent).
    pub fn assign_number(&self, org: &str, agent_id: &str, number: &str) -> Result<Agent> {
        self.change_assignment(org, agent_id, number, true)
    }

    /// Take a number from an agent (idempotent for a number the agent does not use).
    pub fn unassign_number(&self, org: &str, agent_id: &str, number: &str) -> Result<Agent> {
        self.change_assignment(org, agent_id, number, false)
    }

    /// Assign or unassign: both the agent and the number must exist; the agent as it is after.
    fn change_assignment(
        &self,
        org: &str,
        agent_id: &str,
        number: &str,
        assign: bool,
    ) -> Result<Agent> {
        let org = Org::parse(org)?;
        let agent = AgentId::parse(agent_id, "agentId")?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            require_agent(tx, &org, &agent, "agentId")?;
            require_number(tx, &org, &number)?;
            if assign {
                tx.assign(&org, &agent, &number)?;
            } else {
                tx.unassign(&org, &agent, &number)?;
            }
            require_agent(tx, &org, &agent, "agentId")
        })
    }

    /// Delete an agent (its numbers stay).
    pub fn delete_agent(&self, org: &str, id: &str) -> Result<Agent> {
        let org = Org::parse(org)?;
        let id = AgentId::parse(id, "id")?;
        self.write(|tx| {
            let agent = require_agent(tx, &org, &id, "id")?;
            tx.delete_agent(&org, &id)?;
            Ok(agent)
        })
    }
}
