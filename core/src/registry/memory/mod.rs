//! The in-memory backend: one mutex over indexed maps, and an undo log so a failed
//! transaction leaves nothing behind.

mod tx;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;

use time::OffsetDateTime;

use super::storage::{
    Agent, AgentLinks, CredentialLinks, Lease, NumberRecord, Provider, Storage, Tx,
};
use crate::credential::{Credential, Source};
use crate::error::{Error, Result};
use crate::health::{HealthEvent, HealthRow};
use crate::token::{TokenHash, TokenRecord};
use crate::values::{AgentId, CredentialId, Name, Org, PhoneNumber, ProviderId, TokenId};

#[derive(Debug, Clone)]
struct AgentRow {
    name: Name,
    numbers: BTreeSet<PhoneNumber>,
    created_at: OffsetDateTime,
}

/// One credential's links: number digits → the agents using it (ULID characters, name),
/// sorted by agent id.
type CredentialUsage = BTreeMap<u64, Vec<([u8; 26], Name)>>;

#[derive(Debug, Default)]
struct OrgData {
    credentials: HashMap<CredentialId, Credential>,
    provider_credentials: HashMap<ProviderId, BTreeSet<CredentialId>>,
    numbers: HashMap<PhoneNumber, Option<CredentialId>>,
    /// Each credential's whole usage in one place: its numbers, and for each number the
    /// agents using it with their names (agents are never renamed). `usage` is then one
    /// lookup and a walk over the credential's own links, whatever the size of the org.
    /// Numbers and agent ids are held inline (digits as `u64`, the ULID's 26 characters), so
    /// the walk touches the entry and little else.
    usage: HashMap<CredentialId, CredentialUsage>,
    agents: HashMap<AgentId, AgentRow>,
    agents_by_number: HashMap<PhoneNumber, BTreeSet<AgentId>>,
    providers: BTreeMap<ProviderId, Provider>,
}

/// Numbers from their digits, in text order (the order every list of numbers uses).
fn sorted_numbers<'a>(digits: impl Iterator<Item = &'a u64>) -> Vec<PhoneNumber> {
    let mut out: Vec<PhoneNumber> = digits.map(|&d| PhoneNumber::from_digits(d)).collect();
    out.sort();
    out
}

/// Remove `value` from the set of `key` in an index, and the set when it empties.
fn unindex<K: std::hash::Hash + Eq, V: Ord>(
    index: &mut HashMap<K, BTreeSet<V>>,
    key: &K,
    value: &V,
) {
    if let Some(set) = index.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            index.remove(key);
        }
    }
}

/// The inverse of one primitive write.
#[derive(Debug)]
enum Undo {
    Credential(Org, CredentialId, Option<Credential>),
    Number(Org, PhoneNumber, Option<Option<CredentialId>>),
    Agent(Org, AgentId, Option<AgentRow>),
    Provider(Org, ProviderId, Option<Provider>),
    Token(TokenHash, Option<TokenRecord>),
    Health(Org, CredentialId, Option<HealthEntry>),
}

/// A credential's health row, its events (oldest first), and when it is due while claimed
/// (the lease's end: a claimed credential is not due again until then).
type HealthEntry = (HealthRow, VecDeque<HealthEvent>, Option<i64>);

#[derive(Debug, Default)]
struct State {
    orgs: HashMap<Org, OrgData>,
    /// The API tokens, by hash.
    tokens: HashMap<TokenHash, TokenRecord>,
    /// The health rows and events, by credential.
    health: HashMap<(Org, CredentialId), HealthEntry>,
}

impl State {
    fn org(&self, org: &Org) -> Option<&OrgData> {
        self.orgs.get(org)
    }

    fn org_mut(&mut self, org: &Org) -> &mut OrgData {
        self.orgs.entry(org.clone()).or_default()
    }

    // The primitive writes: each keeps the indexes and returns the previous value.

    fn set_credential(
        &mut self,
        org: &Org,
        id: &CredentialId,
        value: Option<Credential>,
    ) -> Option<Credential> {
        let d = self.org_mut(org);
        let old = match value {
            Some(c) => {
                if let Source::Provider(p) = &c.source {
                    d.provider_credentials
                        .entry(p.clone())
                        .or_default()
                        .insert(id.clone());
                }
                d.credentials.insert(id.clone(), c)
            }
            None => d.credentials.remove(id),
        };
        if let Some(Credential {
            source: Source::Provider(p),
            ..
        }) = &old
            && !d.credentials.contains_key(id)
        {
            unindex(&mut d.provider_credentials, p, id);
        }
        old
    }

    fn set_number(
        &mut self,
        org: &Org,
        number: &PhoneNumber,
        value: Option<Option<CredentialId>>,
    ) -> Option<Option<CredentialId>> {
        let d = self.org_mut(org);
        let old = match value {
            Some(link) => d.numbers.insert(number.clone(), link),
            None => d.numbers.remove(number),
        };
        if let Some(Some(prev)) = &old
            && let Some(numbers) = d.usage.get_mut(prev)
        {
            numbers.remove(&number.digits());
            if numbers.is_empty() {
                d.usage.remove(prev);
            }
        }
        if let Some(Some(now)) = d.numbers.get(number) {
            // agents_by_number is a sorted set, so this list is sorted by id.
            let agents: Vec<([u8; 26], Name)> = d
                .agents_by_number
                .get(number)
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    d.agents
                        .get(a)
                        .map(|row| (a.ulid_chars(), row.name.clone()))
                })
                .collect();
            d.usage
                .entry(now.clone())
                .or_default()
                .insert(number.digits(), agents);
        }
        old
    }

    fn set_agent(&mut self, org: &Org, id: &AgentId, value: Option<AgentRow>) -> Option<AgentRow> {
        let d = self.org_mut(org);
        let old = match value {
            Some(row) => d.agents.insert(id.clone(), row),
            None => d.agents.remove(id),
        };
        if let Some(prev) = &old {
            for n in &prev.numbers {
                unindex(&mut d.agents_by_number, n, id);
                if let Some(Some(c)) = d.numbers.get(n)
                    && let Some(agents) = d.usage.get_mut(c).and_then(|u| u.get_mut(&n.digits()))
                {
                    let key = id.ulid_chars();
                    agents.retain(|(a, _)| *a != key);
                }
            }
        }
        if let Some(now) = d.agents.get(id) {
            for n in &now.numbers {
                d.agents_by_number
                    .entry(n.clone())
                    .or_default()
                    .insert(id.clone());
                if let Some(Some(c)) = d.numbers.get(n)
                    && let Some(agents) = d.usage.get_mut(c).and_then(|u| u.get_mut(&n.digits()))
                {
                    let key = id.ulid_chars();
                    if let Err(at) = agents.binary_search_by(|(a, _)| a.cmp(&key)) {
                        agents.insert(at, (key, now.name.clone()));
                    }
                }
            }
        }
        old
    }

    fn set_provider(
        &mut self,
        org: &Org,
        id: &ProviderId,
        value: Option<Provider>,
    ) -> Option<Provider> {
        let d = self.org_mut(org);
        match value {
            Some(p) => d.providers.insert(id.clone(), p),
            None => d.providers.remove(id),
        }
    }

    fn undo(&mut self, log: Vec<Undo>) {
        for u in log.into_iter().rev() {
            match u {
                Undo::Credential(o, id, v) => {
                    self.set_credential(&o, &id, v);
                }
                Undo::Number(o, n, v) => {
                    self.set_number(&o, &n, v);
                }
                Undo::Agent(o, id, v) => {
                    self.set_agent(&o, &id, v);
                }
                Undo::Provider(o, id, v) => {
                    self.set_provider(&o, &id, v);
                }
                Undo::Health(o, id, v) => {
                    match v {
                        Some(e) => self.health.insert((o, id), e),
                        None => self.health.remove(&(o, id)),
                    };
                }
                Undo::Token(hash, v) => {
                    match v {
                        Some(t) => self.tokens.insert(hash, t),
                        None => self.tokens.remove(&hash),
                    };
                }
            }
        }
    }
}

/// The in-memory backend. Transactions are serialized by one mutex; a failed one is undone.
///
/// ```
/// use sipcreds::{MemoryStore, Registry};
/// let reg = Registry::new(MemoryStore::new());
/// let c = reg.create_credential_json("acme", r#"{"server":"sip.example.com"}"#).unwrap();
/// assert_eq!(reg.get_credential("acme", c.id.as_str()).unwrap(), c);
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

struct MemTx<'a> {
    state: &'a mut State,
    undo: Vec<Undo>,
}

impl Storage for MemoryStore {
    fn read(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| Error::storage("the memory store is poisoned"))?;
        let tx = MemTx {
            state: &mut guard,
            undo: Vec::new(),
        };
        f(&tx)
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| Error::storage("the memory store is poisoned"))?;
        let mut tx = MemTx {
            state: &mut guard,
            undo: Vec::new(),
        };
        let result = f(&mut tx);
        if result.is_err() {
            let log = std::mem::take(&mut tx.undo);
            tx.state.undo(log);
        }
        result
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
