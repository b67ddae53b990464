//! The pluggable storage trait of the registry (§10), and the records it stores.
//!
//! A backend offers transactions over a small set of reads and writes. Every rule of §5
//! (org isolation, in-use refusals, read-only credentials, versions) lives in
//! [`crate::Registry`], once, on top of these primitives; a backend only has to make each
//! transaction atomic and isolated (serializable), and keep its indexes.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::credential::{Credential, CredentialInput, serialize_timestamp};
use crate::error::Result;
use crate::health::{HealthEvent, HealthRow};
pub use crate::rate::RateChanges;
use crate::rate::RateRow;
use crate::token::{TokenHash, TokenRecord};
use crate::values::{
    AgentId, AuthUser, CpsLimit, CredentialId, Name, Org, PhoneNumber, ProviderId, TokenId,
};

/// A credential as lint reads it ([`Tx::sealed_credentials_after`]): every field but the
/// password, which stays encrypted in the store (a check of the fields needs to know there is
/// one, not what it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCredential {
    /// The credential.
    pub id: CredentialId,
    /// Its fields, without `auth` (always `None` here: see `auth_user`).
    pub input: CredentialInput,
    /// Its `authUser`, when it has one (and so a password).
    pub auth_user: Option<AuthUser>,
}

impl SealedCredential {
    /// A loaded credential with its password dropped.
    pub fn of(c: Credential) -> SealedCredential {
        let mut input = c.input;
        let auth_user = input.auth.take().map(|a| a.user);
        SealedCredential {
            id: c.id,
            input,
            auth_user,
        }
    }
}

/// What [`Tx::each_rate_row`] hands each row to: `(id, cpsLimit, cpsKey)`, borrowed.
pub type RateRowSink<'a> = dyn FnMut(&str, Option<CpsLimit>, Option<&str>) + 'a;

/// A phone number and the credential it is linked to, if any: `{"number", "credentialId"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberRecord {
    /// The E.164 number.
    pub number: PhoneNumber,
    /// The credential it is linked to.
    pub credential_id: Option<CredentialId>,
}

impl NumberRecord {
    /// `{"number": ..., "credentialId": ...}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// An agent and the numbers it uses: `{"id", "org", "name", "numbers", "createdAt"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Its id.
    pub id: AgentId,
    /// Its organization.
    pub org: Org,
    /// Its name.
    pub name: Name,
    /// The numbers it uses, sorted.
    pub numbers: Vec<PhoneNumber>,
    /// Creation time.
    #[serde(serialize_with = "serialize_timestamp")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub created_at: OffsetDateTime,
}

impl Agent {
    /// `{"id", "org", "name", "numbers", "createdAt"}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A connected provider: `{"id", "org", "kind", "name", "createdAt"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// Its id.
    pub id: ProviderId,
    /// Its organization.
    pub org: Org,
    /// Its kind (`twilio`, `telnyx`, ...), lowercase.
    pub kind: String,
    /// Its name.
    pub name: Name,
    /// Creation time.
    #[serde(serialize_with = "serialize_timestamp")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub created_at: OffsetDateTime,
}

impl Provider {
    /// `{"id", "org", "kind", "name", "createdAt"}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The agents using some numbers: each agent's id, name, and the numbers it uses among
/// them (sorted), sorted by agent id.
pub type AgentLinks = Vec<(AgentId, Name, Vec<PhoneNumber>)>;

/// What links to a credential: its numbers (sorted) and the agents using any of them
/// ([`AgentLinks`]).
pub type CredentialLinks = (Vec<PhoneNumber>, AgentLinks);

/// A probing lease asked for (unix ms): who, at what time, for what is due by when, and until
/// when it would hold ([`Tx::take_lease`], [`Tx::health_due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease<'a> {
    /// The instance asking (its monitor's owner id).
    pub owner: &'a str,
    /// Now: a lease held by another that ended before this is lapsed.
    pub now: i64,
    /// Only a credential due at or before this.
    pub due_by: i64,
    /// The end of the lease, and the credential's next due time while it holds.
    pub until: i64,
}

/// One transaction's view of the store. Every read and write names the org: a backend never
/// returns or touches another org's rows.
///
/// Writes are only called after the registry has checked every rule, and a backend must make
/// the whole transaction take effect or none of it.
pub trait Tx {
    /// One credential.
    fn credential(&self, org: &Org, id: &CredentialId) -> Result<Option<Credential>>;
    /// Whether a credential exists (by default through [`Tx::credential`]; a backend can
    /// answer without loading and decrypting the row).
    fn credential_exists(&self, org: &Org, id: &CredentialId) -> Result<bool> {
        Ok(self.credential(org, id)?.is_some())
    }
    /// The numbers linked to a credential (sorted) and the agents using any of them (sorted by
    /// id, each with its numbers among them): by default [`Tx::credential_numbers`] then
    /// [`Tx::agents_using`]; a backend may answer in one query.
    fn credential_usage(&self, org: &Org, id: &CredentialId) -> Result<CredentialLinks> {
        let numbers = self.credential_numbers(org, id)?;
        let agents = self.agents_using(org, &numbers)?;
        Ok((numbers, agents))
    }
    /// All of an org's credentials, in creation order.
    fn credentials(&self, org: &Org) -> Result<Vec<Credential>>;
    /// Up to `n` of an org's credentials with an id above `after`, in id order (by default
    /// from [`Tx::credentials`]; a backend with an index reads only those).
    fn credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<Credential>> {
        Ok(super::page::after_in(
            self.credentials(org)?,
            after,
            n,
            |c| &c.id,
        ))
    }
    /// [`Tx::credentials_after`] without the passwords: what lint reads, a page at a time.
    /// By default the credentials with their passwords dropped; a persistent backend leaves
    /// them encrypted (nothing decrypted for a check that does not look at them).
    fn sealed_credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<SealedCredential>> {
        Ok(self
            .credentials_after(org, after, n)?
            .into_iter()
            .map(SealedCredential::of)
            .collect())
    }
    /// The rate fields of all of an org's credentials, in creation order: what the limiter,
    /// `limits` and lint's group checks need. By default from [`Tx::credentials`]; a
    /// persistent backend reads the three columns alone and decrypts nothing.
    fn rate_rows(&self, org: &Org) -> Result<Vec<RateRow>> {
        Ok(self.credentials(org)?.iter().map(RateRow::of).collect())
    }
    /// [`Tx::rate_rows`] one row at a time, borrowed (`id, cpsLimit, cpsKey`), each value
    /// checked by the rules: for a reader that keeps none of them (the limiter loading an
    /// org). By default from [`Tx::rate_rows`]; a persistent backend hands over its columns
    /// without allocating a row.
    fn each_rate_row(&self, org: &Org, f: &mut RateRowSink<'_>) -> Result<()> {
        for r in self.rate_rows(org)? {
            f(
                r.id.as_str(),
                r.cps_limit,
                r.cps_key.as_ref().map(|k| k.as_str()),
            );
        }
        Ok(())
    }
    /// The org's change counter: a number that moves on with every credential written or
    /// deleted in the org, read in one indexed lookup. `None` (the default) when the backend
    /// keeps none: a reader then reloads the org's rate rows. A store several instances share
    /// keeps one, so that an instance refreshes its limiter only when the org changed.
    fn change_counter(&self, _org: &Org) -> Result<Option<u64>> {
        Ok(None)
    }
    /// What changed after counter `since` (see [`RateChanges`]); `None` when the backend
    /// cannot say (it keeps no counter, or no longer holds the removals since then): the
    /// reader reloads the org's rate rows.
    fn rate_changes(&self, _org: &Org, _since: u64) -> Result<Option<RateChanges>> {
        Ok(None)
    }
    /// The ids of a provider's credentials.
    fn provider_credentials(&self, org: &Org, provider: &ProviderId) -> Result<Vec<CredentialId>>;
    /// Insert a new credential.
    fn insert_credential(&mut self, c: &Credential) -> Result<()>;
    /// Insert several new credentials (by default one at a time; a backend with a round trip
    /// per statement sends them together).
    fn insert_credentials(&mut self, cs: &[Credential]) -> Result<()> {
        cs.iter().try_for_each(|c| self.insert_credential(c))
    }
    /// Replace an existing credential.
    fn update_credential(&mut self, c: &Credential) -> Result<()>;
    /// Delete a credential that no number links to.
    fn delete_credential(&mut self, org: &Org, id: &CredentialId) -> Result<()>;

    /// One number.
    fn number(&self, org: &Org, number: &PhoneNumber) -> Result<Option<NumberRecord>>;
    /// All of an org's numbers, sorted.
    fn numbers(&self, org: &Org) -> Result<Vec<NumberRecord>>;
    /// Up to `n` of an org's numbers above `after`, sorted (by default from [`Tx::numbers`]).
    fn numbers_after(
        &self,
        org: &Org,
        after: Option<&PhoneNumber>,
        n: usize,
    ) -> Result<Vec<NumberRecord>> {
        Ok(super::page::after_in(self.numbers(org)?, after, n, |r| {
            &r.number
        }))
    }
    /// The numbers linked to a credential, sorted (an indexed lookup).
    fn credential_numbers(&self, org: &Org, id: &CredentialId) -> Result<Vec<PhoneNumber>>;
    /// Insert or replace a number's record.
    fn put_number(&mut self, org: &Org, record: &NumberRecord) -> Result<()>;
    /// Insert or replace several numbers' records (by default one at a time).
    fn put_numbers(&mut self, org: &Org, records: &[NumberRecord]) -> Result<()> {
        records.iter().try_for_each(|r| self.put_number(org, r))
    }
    /// Delete a number and its agent assignments.
    fn delete_number(&mut self, org: &Org, number: &PhoneNumber) -> Result<()>;

    /// One agent.
    fn agent(&self, org: &Org, id: &AgentId) -> Result<Option<Agent>>;
    /// All of an org's agents, in creation order.
    fn agents(&self, org: &Org) -> Result<Vec<Agent>>;
    /// Up to `n` of an org's agents with an id above `after`, in id order (by default from
    /// [`Tx::agents`]).
    fn agents_after(&self, org: &Org, after: Option<&AgentId>, n: usize) -> Result<Vec<Agent>> {
        Ok(super::page::after_in(self.agents(org)?, after, n, |a| {
            &a.id
        }))
    }
    /// The agents using any of these numbers, with the numbers they use among them
    /// (an indexed lookup by number).
    fn agents_using(&self, org: &Org, numbers: &[PhoneNumber]) -> Result<AgentLinks>;
    /// Insert a new agent (with no numbers).
    fn insert_agent(&mut self, agent: &Agent) -> Result<()>;
    /// Insert several new agents with their numbers (existing numbers) assigned (by default
    /// one statement at a time).
    fn insert_agents(&mut self, agents: &[Agent]) -> Result<()> {
        for a in agents {
            self.insert_agent(&Agent {
                numbers: Vec::new(),
                ..a.clone()
            })?;
            for n in &a.numbers {
                self.assign(&a.org, &a.id, n)?;
            }
        }
        Ok(())
    }
    /// Delete an agent and its assignments.
    fn delete_agent(&mut self, org: &Org, id: &AgentId) -> Result<()>;
    /// Assign an existing number to an existing agent (idempotent).
    fn assign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()>;
    /// Remove an assignment (idempotent).
    fn unassign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()>;

    /// One provider.
    fn provider(&self, org: &Org, id: &ProviderId) -> Result<Option<Provider>>;
    /// All of an org's providers, in creation order.
    fn providers(&self, org: &Org) -> Result<Vec<Provider>>;
    /// Up to `n` of an org's providers with an id above `after`, in id order (by default from
    /// [`Tx::providers`]).
    fn providers_after(
        &self,
        org: &Org,
        after: Option<&ProviderId>,
        n: usize,
    ) -> Result<Vec<Provider>> {
        Ok(super::page::after_in(self.providers(org)?, after, n, |p| {
            &p.id
        }))
    }
    /// Insert a new provider.
    fn insert_provider(&mut self, p: &Provider) -> Result<()>;
    /// Delete a provider whose credentials are already deleted.
    fn delete_provider(&mut self, org: &Org, id: &ProviderId) -> Result<()>;

    // The HTTP API's tokens. A backend that keeps none answers `storage` (the default), and
    // `sipcreds serve` cannot run on it.

    /// Insert a new token.
    fn insert_token(&mut self, _token: &TokenRecord) -> Result<()> {
        Err(no_tokens())
    }
    /// The token with this hash, whatever its org (the one lookup not scoped by an org: the
    /// token names its org).
    fn token_by_hash(&self, _hash: &TokenHash) -> Result<Option<TokenRecord>> {
        Err(no_tokens())
    }
    /// An org's tokens, in creation order.
    fn tokens(&self, _org: &Org) -> Result<Vec<TokenRecord>> {
        Err(no_tokens())
    }
    /// Delete a token; whether it existed.
    fn delete_token(&mut self, _org: &Org, _id: &TokenId) -> Result<bool> {
        Err(no_tokens())
    }
    /// Record when a token was last used.
    fn touch_token(&mut self, _org: &Org, _id: &TokenId, _at: OffsetDateTime) -> Result<()> {
        Err(no_tokens())
    }

    // Health (§13): one record per credential (deleted with it), its last events, and the
    // monitor's probing lease. A backend that keeps none answers `storage` (the default), and
    // the monitor cannot run on it.

    /// A credential's health row.
    fn health(&self, _org: &Org, _id: &CredentialId) -> Result<Option<HealthRow>> {
        Err(no_health())
    }
    /// The health rows of these credentials (those that have one), in any order. By default
    /// one lookup each.
    fn health_of(&self, org: &Org, ids: &[CredentialId]) -> Result<Vec<HealthRow>> {
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.health(org, id)?);
        }
        Ok(out)
    }
    /// Insert or replace a credential's health row, append `events` to its events and keep
    /// the last [`crate::EVENTS_KEPT`].
    fn put_health(&mut self, _org: &Org, _row: &HealthRow, _events: &[HealthEvent]) -> Result<()> {
        Err(no_health())
    }
    /// Insert a health row unless the credential already has one; whether it was inserted.
    fn insert_health(&mut self, _org: &Org, _row: &HealthRow) -> Result<bool> {
        Err(no_health())
    }
    /// A credential's events, oldest first.
    fn health_events(&self, _org: &Org, _id: &CredentialId) -> Result<Vec<HealthEvent>> {
        Err(no_health())
    }
    /// Give `lease.owner` the probing lease of a credential until `lease.until`, if it is due
    /// by `lease.due_by` (its `nextProbeAt` at or before), in a probed state, and its lease is
    /// free, lapsed (before `lease.now`) or already the owner's; whether it was taken. Atomic:
    /// of two instances taking one lease, one gets it.
    fn take_lease(&mut self, _org: &Org, _id: &CredentialId, _lease: &Lease<'_>) -> Result<bool> {
        Err(no_health())
    }
    /// Up to `n` credentials, of `org` (`None`: of every org), that [`Tx::take_lease`] could
    /// give under `lease`, soonest due first.
    fn health_due(
        &self,
        _org: Option<&Org>,
        _lease: &Lease<'_>,
        _n: usize,
    ) -> Result<Vec<(Org, CredentialId)>> {
        Err(no_health())
    }
    /// Up to `n` credentials, of `org` (`None`: of every org), that have no health row yet,
    /// with their version and when they were last written (unix ms).
    fn unmonitored(
        &self,
        _org: Option<&Org>,
        _n: usize,
    ) -> Result<Vec<(Org, CredentialId, u64, i64)>> {
        Err(no_health())
    }
    /// How many health records each state has, across every org (`/metrics`).
    fn health_state_counts(&self) -> Result<Vec<(String, u64)>> {
        Err(no_health())
    }
    /// Give up every lease `owner` holds (an instance that stops).
    fn release_leases(&mut self, _owner: &str) -> Result<()> {
        Err(no_health())
    }
}

/// What a backend without health records answers.
fn no_health() -> crate::Error {
    crate::Error::storage("this store keeps no health records")
}

/// What a backend without tokens answers.
fn no_tokens() -> crate::Error {
    crate::Error::storage("this store keeps no API tokens")
}

/// A storage backend: runs a closure inside one transaction.
///
/// `read` may run concurrently with other reads; `write` transactions are serializable with
/// respect to each other and to reads. If the closure returns an error, or the commit fails,
/// nothing it wrote takes effect. The closure is called exactly once.
pub trait Storage: Send + Sync {
    /// Run `f` in a read-only transaction.
    fn read(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()>;
    /// Run `f` in a read-write transaction, committed if it returns `Ok`.
    fn write(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    /// A short name for messages (`memory`, `sqlite:/path`).
    fn describe(&self) -> String;

    /// Tell the other processes that share this store about a change (`payload`: a JSON
    /// text of at most [`MAX_ANNOUNCEMENT_BYTES`]), for the HTTP API's event stream across
    /// instances. By default nothing: a store that no other process listens to.
    fn announce(&self, _payload: &str) -> Result<()> {
        Ok(())
    }

    /// Listen to the other processes' announcements: `Some` on a store that carries them
    /// (PostgreSQL's `LISTEN`), each payload as it arrives, until the receiver is dropped. An
    /// empty string is a keep-alive (sent about once a second, so that the listener notices a
    /// dropped receiver): ignore it.
    fn listen(&self) -> Option<std::sync::mpsc::Receiver<String>> {
        None
    }
}

/// The largest announcement a store must carry (PostgreSQL's `NOTIFY` takes 8,000 bytes).
pub const MAX_ANNOUNCEMENT_BYTES: usize = 7_900;
