//! The memory store's transaction: every read and write of the storage trait on the
//! in-memory maps, each write logged for the undo of a failed transaction.

use super::*;

impl Tx for MemTx<'_> {
    fn credential(&self, org: &Org, id: &CredentialId) -> Result<Option<Credential>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.credentials.get(id))
            .cloned())
    }

    fn credentials(&self, org: &Org) -> Result<Vec<Credential>> {
        Ok(self
            .state
            .org(org)
            .map(|d| {
                // Ids are monotonic ULIDs: their order is creation order.
                let mut all: Vec<Credential> = d.credentials.values().cloned().collect();
                all.sort_by(|a, b| a.id.cmp(&b.id));
                all
            })
            .unwrap_or_default())
    }

    fn provider_credentials(&self, org: &Org, provider: &ProviderId) -> Result<Vec<CredentialId>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.provider_credentials.get(provider))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn insert_credential(&mut self, c: &Credential) -> Result<()> {
        let old = self.state.set_credential(&c.org, &c.id, Some(c.clone()));
        self.undo
            .push(Undo::Credential(c.org.clone(), c.id.clone(), old));
        Ok(())
    }

    fn update_credential(&mut self, c: &Credential) -> Result<()> {
        self.insert_credential(c)
    }

    fn delete_credential(&mut self, org: &Org, id: &CredentialId) -> Result<()> {
        let old = self.state.set_credential(org, id, None);
        self.undo
            .push(Undo::Credential(org.clone(), id.clone(), old));
        let key = (org.clone(), id.clone());
        if let Some(h) = self.state.health.remove(&key) {
            self.undo.push(Undo::Health(key.0, key.1, Some(h)));
        }
        Ok(())
    }

    fn number(&self, org: &Org, number: &PhoneNumber) -> Result<Option<NumberRecord>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.numbers.get(number))
            .map(|link| NumberRecord {
                number: number.clone(),
                credential_id: link.clone(),
            }))
    }

    fn numbers(&self, org: &Org) -> Result<Vec<NumberRecord>> {
        let mut all: Vec<NumberRecord> = self
            .state
            .org(org)
            .map(|d| {
                d.numbers
                    .iter()
                    .map(|(n, c)| NumberRecord {
                        number: n.clone(),
                        credential_id: c.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        all.sort_by(|a, b| a.number.cmp(&b.number));
        Ok(all)
    }

    fn credential_numbers(&self, org: &Org, id: &CredentialId) -> Result<Vec<PhoneNumber>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.usage.get(id))
            .map(|u| sorted_numbers(u.keys()))
            .unwrap_or_default())
    }

    fn credential_usage(&self, org: &Org, id: &CredentialId) -> Result<CredentialLinks> {
        let Some(usage) = self.state.org(org).and_then(|d| d.usage.get(id)) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut agents: BTreeMap<&[u8; 26], (&Name, Vec<PhoneNumber>)> = BTreeMap::new();
        for (&n, users) in usage {
            for (a, name) in users {
                agents
                    .entry(a)
                    .or_insert_with(|| (name, Vec::new()))
                    .1
                    .push(PhoneNumber::from_digits(n));
            }
        }
        Ok((
            sorted_numbers(usage.keys()),
            agents
                .into_iter()
                .map(|(a, (name, mut via))| {
                    via.sort();
                    (AgentId::from_ulid_chars(a), name.clone(), via)
                })
                .collect(),
        ))
    }

    fn put_number(&mut self, org: &Org, record: &NumberRecord) -> Result<()> {
        let old = self
            .state
            .set_number(org, &record.number, Some(record.credential_id.clone()));
        self.undo
            .push(Undo::Number(org.clone(), record.number.clone(), old));
        Ok(())
    }

    fn delete_number(&mut self, org: &Org, number: &PhoneNumber) -> Result<()> {
        let users: Vec<AgentId> = self
            .state
            .org(org)
            .and_then(|d| d.agents_by_number.get(number))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for a in users {
            self.unassign(org, &a, number)?;
        }
        let old = self.state.set_number(org, number, None);
        self.undo
            .push(Undo::Number(org.clone(), number.clone(), old));
        Ok(())
    }

    fn agent(&self, org: &Org, id: &AgentId) -> Result<Option<Agent>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.agents.get(id))
            .map(|row| to_agent(org, id, row)))
    }

    fn agents(&self, org: &Org) -> Result<Vec<Agent>> {
        let mut all: Vec<Agent> = self
            .state
            .org(org)
            .map(|d| {
                d.agents
                    .iter()
                    .map(|(id, row)| to_agent(org, id, row))
                    .collect()
            })
            .unwrap_or_default();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    fn credential_exists(&self, org: &Org, id: &CredentialId) -> Result<bool> {
        Ok(self
            .state
            .org(org)
            .is_some_and(|d| d.credentials.contains_key(id)))
    }

    fn agents_using(&self, org: &Org, numbers: &[PhoneNumber]) -> Result<AgentLinks> {
        let Some(d) = self.state.org(org) else {
            return Ok(Vec::new());
        };
        let mut by_agent: BTreeMap<&AgentId, Vec<PhoneNumber>> = BTreeMap::new();
        for n in numbers {
            for a in d.agents_by_number.get(n).into_iter().flatten() {
                by_agent.entry(a).or_default().push(n.clone());
            }
        }
        Ok(by_agent
            .into_iter()
            .filter_map(|(id, mut via)| {
                via.sort();
                d.agents
                    .get(id)
                    .map(|row| (id.clone(), row.name.clone(), via))
            })
            .collect())
    }

    fn insert_agent(&mut self, agent: &Agent) -> Result<()> {
        let row = AgentRow {
            name: agent.name.clone(),
            numbers: agent.numbers.iter().cloned().collect(),
            created_at: agent.created_at,
        };
        let old = self.state.set_agent(&agent.org, &agent.id, Some(row));
        self.undo
            .push(Undo::Agent(agent.org.clone(), agent.id.clone(), old));
        Ok(())
    }

    fn delete_agent(&mut self, org: &Org, id: &AgentId) -> Result<()> {
        let old = self.state.set_agent(org, id, None);
        self.undo.push(Undo::Agent(org.clone(), id.clone(), old));
        Ok(())
    }

    fn assign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.change_agent_numbers(org, agent, |set| {
            set.insert(number.clone());
        })
    }

    fn unassign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.change_agent_numbers(org, agent, |set| {
            set.remove(number);
        })
    }

    fn provider(&self, org: &Org, id: &ProviderId) -> Result<Option<Provider>> {
        Ok(self
            .state
            .org(org)
            .and_then(|d| d.providers.get(id))
            .cloned())
    }

    fn providers(&self, org: &Org) -> Result<Vec<Provider>> {
        Ok(self
            .state
            .org(org)
            .map(|d| d.providers.values().cloned().collect())
            .unwrap_or_default())
    }

    fn insert_provider(&mut self, p: &Provider) -> Result<()> {
        let old = self.state.set_provider(&p.org, &p.id, Some(p.clone()));
        self.undo
            .push(Undo::Provider(p.org.clone(), p.id.clone(), old));
        Ok(())
    }

    fn delete_provider(&mut self, org: &Org, id: &ProviderId) -> Result<()> {
        let old = self.state.set_provider(org, id, None);
        self.undo.push(Undo::Provider(org.clone(), id.clone(), old));
        Ok(())
    }

    fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        let old = self.state.tokens.insert(token.hash, token.clone());
        self.undo.push(Undo::Token(token.hash, old));
        Ok(())
    }

    fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        Ok(self.state.tokens.get(hash).cloned())
    }

    fn tokens(&self, org: &Org) -> Result<Vec<TokenRecord>> {
        let mut out: Vec<TokenRecord> = self
            .state
            .tokens
            .values()
            .filter(|t| &t.info.org == org)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        Ok(out)
    }

    fn delete_token(&mut self, org: &Org, id: &TokenId) -> Result<bool> {
        let hash = self
            .state
            .tokens
            .values()
            .find(|t| &t.info.org == org && &t.info.id == id)
            .map(|t| t.hash);
        let Some(hash) = hash else {
            return Ok(false);
        };
        let old = self.state.tokens.remove(&hash);
        self.undo.push(Undo::Token(hash, old));
        Ok(true)
    }

    fn touch_token(&mut self, org: &Org, id: &TokenId, at: OffsetDateTime) -> Result<()> {
        let found = self
            .state
            .tokens
            .values_mut()
            .find(|t| &t.info.org == org && &t.info.id == id);
        if let Some(t) = found {
            let old = t.clone();
            t.info.last_used_at = Some(at);
            self.undo.push(Undo::Token(old.hash, Some(old)));
        }
        Ok(())
    }

    fn health(&self, org: &Org, id: &CredentialId) -> Result<Option<HealthRow>> {
        Ok(self
            .state
            .health
            .get(&(org.clone(), id.clone()))
            .map(|(row, ..)| row.clone()))
    }

    fn put_health(&mut self, org: &Org, row: &HealthRow, events: &[HealthEvent]) -> Result<()> {
        let key = (org.clone(), row.record.credential_id.clone());
        let old = self.state.health.get(&key).cloned();
        let mut kept = old.as_ref().map(|(_, e, _)| e.clone()).unwrap_or_default();
        kept.extend(events.iter().cloned());
        while kept.len() > crate::EVENTS_KEPT {
            kept.pop_front();
        }
        self.state
            .health
            .insert(key.clone(), (row.clone(), kept, None));
        self.undo.push(Undo::Health(key.0, key.1, old));
        Ok(())
    }

    fn insert_health(&mut self, org: &Org, row: &HealthRow) -> Result<bool> {
        let key = (org.clone(), row.record.credential_id.clone());
        if self.state.health.contains_key(&key) {
            return Ok(false);
        }
        self.state
            .health
            .insert(key.clone(), (row.clone(), VecDeque::new(), None));
        self.undo.push(Undo::Health(key.0, key.1, None));
        Ok(true)
    }

    fn health_events(&self, org: &Org, id: &CredentialId) -> Result<Vec<HealthEvent>> {
        Ok(self
            .state
            .health
            .get(&(org.clone(), id.clone()))
            .map(|(_, e, _)| e.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn take_lease(&mut self, org: &Org, id: &CredentialId, lease: &Lease<'_>) -> Result<bool> {
        let key = (org.clone(), id.clone());
        let Some(entry) = self.state.health.get(&key) else {
            return Ok(false);
        };
        if !leasable(entry, lease) {
            return Ok(false);
        }
        let old = entry.clone();
        if let Some(e) = self.state.health.get_mut(&key) {
            e.0.lease = Some((lease.owner.to_owned(), lease.until));
            e.2 = Some(lease.until);
        }
        self.undo.push(Undo::Health(key.0, key.1, Some(old)));
        Ok(true)
    }

    fn health_due(
        &self,
        org: Option<&Org>,
        lease: &Lease<'_>,
        n: usize,
    ) -> Result<Vec<(Org, CredentialId)>> {
        let mut due: Vec<(i64, &Org, &CredentialId)> = self
            .state
            .health
            .iter()
            .filter(|((o, _), entry)| org.is_none_or(|org| org == o) && leasable(entry, lease))
            .map(|((o, id), entry)| (due_at(entry).unwrap_or(i64::MIN), o, id))
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(n)
            .map(|(_, o, id)| (o.clone(), id.clone()))
            .collect())
    }

    fn unmonitored(
        &self,
        only: Option<&Org>,
        n: usize,
    ) -> Result<Vec<(Org, CredentialId, u64, i64)>> {
        let mut out = Vec::new();
        for (org, d) in &self.state.orgs {
            if only.is_some_and(|o| o != org) {
                continue;
            }
            for (id, c) in &d.credentials {
                if out.len() == n {
                    return Ok(out);
                }
                if !self.state.health.contains_key(&(org.clone(), id.clone())) {
                    out.push((
                        org.clone(),
                        id.clone(),
                        c.version,
                        crate::health::unix_ms(c.updated_at),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn health_state_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (row, ..) in self.state.health.values() {
            *counts.entry(row.record.state.as_str()).or_default() += 1;
        }
        Ok(counts.into_iter().map(|(s, n)| (s.to_owned(), n)).collect())
    }

    fn release_leases(&mut self, owner: &str) -> Result<()> {
        let keys: Vec<(Org, CredentialId)> = self
            .state
            .health
            .iter()
            .filter(|(_, (row, ..))| row.lease.as_ref().is_some_and(|(o, _)| o == owner))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            if let Some(e) = self.state.health.get_mut(&key) {
                let old = e.clone();
                e.0.lease = None;
                self.undo.push(Undo::Health(key.0, key.1, Some(old)));
            }
        }
        Ok(())
    }
}

/// When a credential is due: its `nextProbeAt`, or while claimed, its lease's end.
fn due_at(entry: &HealthEntry) -> Option<i64> {
    entry
        .2
        .or_else(|| entry.0.record.next_probe_at.map(crate::health::unix_ms))
}

/// Whether `owner` may take a row's lease now (see [`Tx::take_lease`]).
fn leasable(entry: &HealthEntry, lease: &Lease<'_>) -> bool {
    let row = &entry.0;
    row.record.state.probed()
        && due_at(entry).is_some_and(|t| t <= lease.due_by)
        && row
            .lease
            .as_ref()
            .is_none_or(|(o, until)| o == lease.owner || *until < lease.now)
}

impl MemTx<'_> {
    fn change_agent_numbers(
        &mut self,
        org: &Org,
        agent: &AgentId,
        f: impl FnOnce(&mut BTreeSet<PhoneNumber>),
    ) -> Result<()> {
        let Some(mut row) = self
            .state
            .org(org)
            .and_then(|d| d.agents.get(agent))
            .cloned()
        else {
            return Ok(());
        };
        f(&mut row.numbers);
        let old = self.state.set_agent(org, agent, Some(row));
        self.undo.push(Undo::Agent(org.clone(), agent.clone(), old));
        Ok(())
    }
}

fn to_agent(org: &Org, id: &AgentId, row: &AgentRow) -> Agent {
    Agent {
        id: id.clone(),
        org: org.clone(),
        name: row.name.clone(),
        numbers: row.numbers.iter().cloned().collect(),
        created_at: row.created_at,
    }
}
