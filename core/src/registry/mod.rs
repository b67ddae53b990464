//! The registry (§5): credentials, phone numbers, agents and providers of each organization,
//! over a pluggable [`Storage`] backend.
//!
//! Every rule lives here once: org isolation (another org's id is `not_found`), usage reports,
//! `in_use` refusals, forced deletes that unlink and report, read-only provider credentials,
//! provider cascades, and optimistic concurrency. Each operation is one storage transaction,
//! so a failed operation changes nothing and a concurrent `link_number` can never leave a link
//! to a deleted credential.

mod health;
mod memory;
mod page;
mod storage;
mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

pub use health::{Claim, Probed, Round};
pub use memory::MemoryStore;
pub use page::{Page, Paged};
pub use storage::{
    Agent, AgentLinks, MAX_ANNOUNCEMENT_BYTES, NumberRecord, Provider, RateChanges, RateRowSink,
    SealedCredential, Storage, Tx,
};
pub use tokens::LAST_USED_EVERY;

use crate::credential::{Credential, CredentialInput, CredentialPatch, Source};
use crate::error::{Error, ErrorCode, Result};
use crate::lint::{Finding, GroupChecks};
use crate::rate::{Decision, OrgRates, RateGroup, RateLimiter, RateRow, rate_groups};
use crate::usage::{AgentUsage, UsageReport};
use crate::values::{AgentId, CredentialId, Name, Org, PhoneNumber, ProviderId};

/// What a forced (or unneeded-force) delete did.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteReport {
    /// The deleted credential.
    pub deleted: String,
    /// The numbers that were linked to it and are now unlinked.
    pub unlinked_numbers: Vec<String>,
}

/// What deleting a provider did.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderDeleteReport {
    /// The deleted provider.
    pub deleted: String,
    /// Its credentials, deleted with it.
    pub deleted_credentials: Vec<String>,
    /// The numbers that were linked to them and are now unlinked.
    pub unlinked_numbers: Vec<String>,
}

/// A connected provider and the credentials it owns: `{"provider", "credentials"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectedProvider {
    /// The provider.
    pub provider: Provider,
    /// Its read-only credentials.
    pub credentials: Vec<Credential>,
}

impl ConnectedProvider {
    /// `{"provider": {...}, "credentials": [...]}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The registry of every organization, over one storage backend. Cheap to clone and safe
/// to share between threads.
///
/// ```
/// use sipcreds::Registry;
/// let reg = Registry::in_memory();
/// let cred = reg.create_credential_json("acme", r#"{"server":"sip.example.com","cpsLimit":5}"#).unwrap();
/// reg.link_number("acme", "+14155550100", cred.id.as_str()).unwrap();
/// let agent = reg.create_agent("acme", "Ada").unwrap();
/// reg.assign_number("acme", agent.id.as_str(), "+14155550100").unwrap();
///
/// let usage = reg.usage("acme", cred.id.as_str()).unwrap();
/// assert_eq!(usage.phone_numbers, ["+14155550100"]);
/// assert_eq!(usage.agents[0].name, "Ada");
///
/// // In use: refused without force, and nothing changes.
/// let err = reg.delete_credential("acme", cred.id.as_str(), false).unwrap_err();
/// assert_eq!(err.code().as_str(), "in_use");
/// // Another org cannot see it at all.
/// assert_eq!(reg.get_credential("other", cred.id.as_str()).unwrap_err().code().as_str(), "not_found");
/// // Forced: unlinked and reported.
/// let report = reg.delete_credential("acme", cred.id.as_str(), true).unwrap();
/// assert_eq!(report.unlinked_numbers, ["+14155550100"]);
/// ```
#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Storage>,
    limiter: Arc<RateLimiter>,
    /// Per-org locks (striped by the org's hash) held across a rate-changing commit and the
    /// limiter's update, and while an org is (re)loaded into the limiter: so the limiter sees
    /// this process's commits in their order, and a load never overwrites a newer update.
    limiter_sync: Arc<[std::sync::Mutex<()>; LOCK_STRIPES]>,
    /// Reload an org's rate groups from the store this often (a store other instances write).
    limit_refresh: Option<std::time::Duration>,
    /// When each org was last loaded or refreshed, and its change counter then (with
    /// `limit_refresh`).
    limiter_loaded: Arc<std::sync::Mutex<HashMap<String, Loaded>>>,
    /// When this registry last wrote each token's `last used` (tokens.rs).
    token_touched: Arc<std::sync::Mutex<HashMap<crate::values::TokenId, std::time::Instant>>>,
}

/// When an org was last brought up to date in the limiter, and the store's change counter
/// of the org then.
#[derive(Debug, Clone)]
struct Loaded {
    at: std::time::Instant,
    counter: Option<u64>,
}

/// What a refresh found.
enum Refresh {
    Unchanged,
    Changes(RateChanges),
    Reload(OrgRates, Option<u64>),
}

/// An org's rates for the limiter, streamed from the store's rate rows.
fn org_rates(tx: &dyn Tx, org: &Org) -> Result<OrgRates> {
    let mut rates = OrgRates::default();
    let mut bad = None;
    tx.each_rate_row(org, &mut |id, limit, key| {
        if !rates.add(id, limit.map(|l| l.get()), key) && bad.is_none() {
            bad = Some(id.chars().take(100).collect::<String>());
        }
    })?;
    match bad {
        Some(id) => Err(Error::storage(format!(
            "the store holds an invalid credential id: {id:?}"
        ))),
        None => Ok(rates),
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("store", &self.store.describe())
            .finish()
    }
}

const LOCK_STRIPES: usize = 64;

/// Credentials given to the store at a time by `create_credentials` (and reported to its
/// progress callback).
const IMPORT_CHUNK: usize = 1000;

/// Credentials `lint` reads at a time.
const LINT_PAGE: usize = 10_000;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}

fn not_found_credential(id: &CredentialId, field: &'static str) -> Error {
    Error::NotFound {
        what: "credential",
        field,
        id: id.to_string(),
    }
}

fn require_credential(
    tx: &dyn Tx,
    org: &Org,
    id: &CredentialId,
    field: &'static str,
) -> Result<Credential> {
    tx.credential(org, id)?
        .ok_or_else(|| not_found_credential(id, field))
}

fn require_number(tx: &dyn Tx, org: &Org, number: &PhoneNumber) -> Result<NumberRecord> {
    tx.number(org, number)?.ok_or_else(|| Error::NotFound {
        what: "phone number",
        field: "number",
        id: number.to_string(),
    })
}

/// The agent, or `not_found` about `field` (the argument that named it: `id` or `agentId`).
fn require_agent(tx: &dyn Tx, org: &Org, id: &AgentId, field: &'static str) -> Result<Agent> {
    tx.agent(org, id)?.ok_or_else(|| Error::NotFound {
        what: "agent",
        field,
        id: id.to_string(),
    })
}

fn usage_of(tx: &dyn Tx, org: &Org, id: &CredentialId) -> Result<UsageReport> {
    let (numbers, agents) = tx.credential_usage(org, id)?;
    let agents = agents
        .into_iter()
        .map(|(id, name, via)| AgentUsage {
            id: id.to_string(),
            name: name.to_string(),
            via: via.iter().map(ToString::to_string).collect(),
        })
        .collect();
    Ok(UsageReport {
        phone_numbers: numbers.iter().map(ToString::to_string).collect(),
        agents,
    })
}

/// Unlink every number of a credential and delete it; returns the numbers unlinked.
fn unlink_and_delete(tx: &mut dyn Tx, org: &Org, id: &CredentialId) -> Result<Vec<String>> {
    let numbers = tx.credential_numbers(org, id)?;
    for n in &numbers {
        tx.put_number(
            org,
            &NumberRecord {
                number: n.clone(),
                credential_id: None,
            },
        )?;
    }
    tx.delete_credential(org, id)?;
    Ok(numbers.iter().map(ToString::to_string).collect())
}

/// A credential the caller may change: it exists in the org and no provider owns it.
fn require_writable(tx: &dyn Tx, org: &Org, id: &CredentialId) -> Result<Credential> {
    let current = require_credential(tx, org, id, "id")?;
    match read_only(&current) {
        Some(e) => Err(e),
        None => Ok(current),
    }
}

fn read_only(c: &Credential) -> Option<Error> {
    match &c.source {
        Source::Provider(p) => Some(Error::ReadOnly {
            id: c.id.to_string(),
            provider_id: p.to_string(),
        }),
        Source::Manual => None,
    }
}

/// A provider kind: 1–64 characters of `[a-z0-9._-]`, lowercased.
fn parse_kind(kind: &str) -> Result<String> {
    let lower = kind.to_ascii_lowercase();
    let ok = !lower.is_empty()
        && lower.len() <= 64
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(lower)
    } else {
        Err(Error::invalid(
            ErrorCode::InvalidName,
            "kind",
            format!(
                "provider kind {}: use 1-64 characters of a-z 0-9 . _ - (twilio, telnyx, ...)",
                crate::host::quote(kind)
            ),
        ))
    }
}

fn name_for(field: &'static str, s: &str) -> Result<Name> {
    Name::parse(s).map_err(|e| match e {
        Error::Invalid { code, message, .. } => Error::Invalid {
            code,
            field: Some(field.into()),
            message: message.replacen("name:", &format!("{field}:"), 1),
        },
        other => other,
    })
}

impl Registry {
    /// A registry over any backend.
    pub fn new(store: impl Storage + 'static) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// A registry over a shared backend, with the in-process CPS limiter on the real clock.
    pub fn from_arc(store: Arc<dyn Storage>) -> Self {
        Self::with_limiter(store, Arc::new(RateLimiter::in_process_real_time()))
    }

    /// A registry with its own CPS limiter (another backend or clock). The limiter learns
    /// each org's credentials from the store on the org's first rate decision, and every
    /// change made through this registry after that.
    pub fn with_limiter(store: Arc<dyn Storage>, limiter: Arc<RateLimiter>) -> Self {
        Registry {
            store,
            limiter,
            limiter_sync: Arc::new(std::array::from_fn(|_| std::sync::Mutex::new(()))),
            limit_refresh: None,
            limiter_loaded: Arc::default(),
            token_touched: Arc::default(),
        }
    }

    /// Reload each org's rate groups (members and limits) from the store at most `every`
    /// before a decision: for a store that other instances change too (PostgreSQL, or a
    /// SQLite file several processes share). A change made elsewhere then applies within
    /// `every`; a change made through this registry applies at once, as always.
    pub fn with_limit_refresh(mut self, every: std::time::Duration) -> Self {
        self.limit_refresh = Some(every);
        self
    }

    /// The CPS limiter.
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    /// The lock of an org's limiter view.
    fn org_lock(&self, org: &str) -> &std::sync::Mutex<()> {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x5ec5).hash_one(org);
        &self.limiter_sync[(h % LOCK_STRIPES as u64) as usize]
    }

    fn lock_org(&self, org: &str) -> std::sync::MutexGuard<'_, ()> {
        self.org_lock(org).lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A write that changes the org's rate groups: the commit, then `limit` (the limiter's
    /// update, given what the commit returned), both under the org's lock. Two writers of one
    /// credential therefore reach the limiter in the order of their commits (§6: the limit
    /// that applies is the stored one). If the limiter cannot take the change, it forgets
    /// the org and loads it again from the store on the next call: the commit stands.
    fn write_rated<R>(
        &self,
        org: &Org,
        body: impl FnOnce(&mut dyn Tx) -> Result<R>,
        limit: impl FnOnce(&R) -> Result<()>,
    ) -> Result<R> {
        let _g = self.lock_org(org.as_str());
        let out = self.write(body)?;
        if self.limiter.has_org(org.as_str()) && limit(&out).is_err() {
            self.limiter.forget_org(org.as_str());
            self.limiter_loaded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(org.as_str());
        }
        Ok(out)
    }

    /// Tell the limiter about changed credentials (the caller holds the org's lock).
    fn limiter_upsert(&self, creds: &[Credential]) -> Result<()> {
        for c in creds {
            self.limiter.upsert_credential(c)?;
        }
        Ok(())
    }

    /// Tell the limiter about deleted credentials (the caller holds the org's lock).
    fn limiter_remove(&self, org: &Org, ids: &[String]) -> Result<()> {
        for id in ids {
            self.limiter.remove_credential(org.as_str(), id)?;
        }
        Ok(())
    }

    /// The org's rates as the limiter holds them, streamed from the store (no row kept), and
    /// its change counter, read in one transaction.
    fn read_rates(&self, org: &Org) -> Result<(OrgRates, Option<u64>)> {
        self.read(|tx| Ok((org_rates(tx, org)?, tx.change_counter(org)?)))
    }

    /// Make sure the limiter holds the org: loaded from the store on its first call and,
    /// with `limit_refresh`, brought up to date at most that often. A refresh reads the
    /// org's change counter (one indexed lookup) and, only when it moved, what changed since
    /// (or all the org's rate rows, when the store cannot say). Rate rows are three columns:
    /// no password is read or decrypted.
    fn limiter_org(&self, org: &str) -> Result<()> {
        let Some(every) = self.limit_refresh else {
            if self.limiter.has_org(org) {
                return Ok(());
            }
            let _g = self.lock_org(org);
            if !self.limiter.has_org(org) {
                let org_id = Org::parse(org)?;
                let (rates, _) = self.read_rates(&org_id)?;
                self.limiter.set_org(org, rates)?;
            }
            return Ok(());
        };
        let lock = || {
            self.limiter_loaded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
        };
        let seen = |m: &HashMap<String, Loaded>| m.get(org).cloned();
        let fresh = |l: &Option<Loaded>| l.as_ref().is_some_and(|l| l.at.elapsed() < every);
        if fresh(&seen(&lock())) && self.limiter.has_org(org) {
            return Ok(());
        }
        let _g = if self.limiter.has_org(org) {
            // A refresh is due; if this process is writing the org right now, that write
            // updates the limiter itself: decide on the current view, refresh next time.
            match self.org_lock(org).try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return Ok(()),
            }
        } else {
            self.lock_org(org)
        };
        let last = seen(&lock());
        if fresh(&last) && self.limiter.has_org(org) {
            return Ok(());
        }
        let org_id = Org::parse(org)?;
        let known = last
            .and_then(|l| l.counter)
            .filter(|_| self.limiter.has_org(org));
        let counter = match known {
            Some(known) => {
                let step = self.read(|tx| match tx.change_counter(&org_id)? {
                    Some(now) if now == known => Ok(Refresh::Unchanged),
                    Some(now) if now > known => Ok(match tx.rate_changes(&org_id, known)? {
                        Some(changes) => Refresh::Changes(changes),
                        None => Refresh::Reload(org_rates(tx, &org_id)?, Some(now)),
                    }),
                    now => Ok(Refresh::Reload(org_rates(tx, &org_id)?, now)),
                })?;
                match step {
                    Refresh::Unchanged => Some(known),
                    Refresh::Changes(changes) => {
                        self.limiter.apply_rate_changes(org, &changes)?;
                        Some(changes.counter)
                    }
                    Refresh::Reload(rates, now) => {
                        self.limiter.set_org(org, rates)?;
                        now
                    }
                }
            }
            None => {
                let (rates, now) = self.read_rates(&org_id)?;
                self.limiter.set_org(org, rates)?;
                now
            }
        };
        lock().insert(
            org.to_owned(),
            Loaded {
                at: std::time::Instant::now(),
                counter,
            },
        );
        Ok(())
    }

    /// Admit a call on the credential's rate group now, or say how long until one would be
    /// admitted (§6).
    pub fn try_acquire(&self, org: &str, credential_id: &str) -> Result<Decision> {
        self.limiter_org(org)?;
        self.limiter.try_acquire(org, credential_id)
    }

    /// Book the next free slot of the credential's rate group and say how long to wait before
    /// dialing; rejected (nothing booked) when that is longer than `max_wait` (§6).
    pub fn reserve(
        &self,
        org: &str,
        credential_id: &str,
        max_wait: std::time::Duration,
    ) -> Result<Decision> {
        self.limiter_org(org)?;
        self.limiter.reserve(org, credential_id, max_wait)
    }

    /// [`Registry::reserve`], then sleep until the booked slot: returns when the caller may
    /// dial (admitted), or at once when rejected (the wait would exceed `max_wait`). Blocks
    /// the calling thread; an async caller reserves and sleeps on its own timer instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let reg = sipcreds::Registry::in_memory();
    /// let c = reg.create_credential_json("acme", r#"{"server":"sip.example.com","cpsLimit":1}"#).unwrap();
    /// assert!(reg.acquire("acme", c.id.as_str(), Duration::ZERO).unwrap().is_admitted());
    /// // The next slot is a second away: more than a zero wait allows.
    /// assert!(!reg.acquire("acme", c.id.as_str(), Duration::ZERO).unwrap().is_admitted());
    /// ```
    pub fn acquire(
        &self,
        org: &str,
        credential_id: &str,
        max_wait: std::time::Duration,
    ) -> Result<Decision> {
        let d = self.reserve(org, credential_id, max_wait)?;
        if let Some(wait) = d.wait().filter(|w| !w.is_zero()) {
            std::thread::sleep(wait);
        }
        Ok(d)
    }

    /// A wait option given as a number of seconds (`max_wait` of `reserve`/`acquire` on the
    /// bindings, which take seconds or, with `per_second` 1000, milliseconds): finite, 0 or
    /// more, at most an hour; else `invalid_option` about `field`. The one check of every
    /// surface.
    ///
    /// ```
    /// use sipcreds::Registry;
    /// assert_eq!(Registry::wait_option("maxWaitMs", 250.0, 1000.0).unwrap().as_millis(), 250);
    /// let err = Registry::wait_option("max_wait", f64::NAN, 1.0).unwrap_err();
    /// assert_eq!((err.code().as_str(), err.field()), ("invalid_option", Some("max_wait")));
    /// ```
    pub fn wait_option(
        field: &'static str,
        value: f64,
        per_second: f64,
    ) -> Result<std::time::Duration> {
        const MAX_WAIT_SECS: f64 = 3600.0;
        let unit = if per_second == 1000.0 {
            "milliseconds"
        } else {
            "seconds"
        };
        let secs = value / per_second;
        if !(0.0..=MAX_WAIT_SECS).contains(&secs) {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some(field.into()),
                message: format!(
                    "{field} must be a number of {unit} from 0 to {}, not {value}",
                    MAX_WAIT_SECS * per_second
                ),
            });
        }
        Ok(std::time::Duration::from_secs_f64(secs))
    }

    /// A registry in memory.
    pub fn in_memory() -> Self {
        Self::new(MemoryStore::new())
    }

    /// A registry whose every operation is a `storage` error saying it is closed: what a
    /// surface's `close()` puts in place of its registry, so that the store (a SQLite file, a
    /// PostgreSQL pool) is released at once.
    pub fn closed() -> Self {
        Self::new(ClosedStore)
    }

    /// The backend, for messages.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    fn read<R>(&self, f: impl FnOnce(&dyn Tx) -> Result<R>) -> Result<R> {
        let mut f = Some(f);
        let mut out = None;
        self.store.read(&mut |tx| {
            let f = f
                .take()
                .ok_or_else(|| Error::storage("a read transaction ran its body twice"))?;
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::storage("a read transaction did not run its body"))
    }

    fn write<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut f = Some(f);
        let mut out = None;
        self.store.write(&mut |tx| {
            let f = f
                .take()
                .ok_or_else(|| Error::storage("a write transaction ran its body twice"))?;
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::storage("a write transaction did not run its body"))
    }

    // ---------------------------------------------------------------- credentials

    /// Create a credential (`source: manual`, `version: 1`).
    pub fn create_credential(&self, org: &str, input: CredentialInput) -> Result<Credential> {
        let org = Org::parse(org)?;
        let at = now();
        let cred = Credential {
            id: CredentialId::generate(),
            org,
            input,
            source: Source::Manual,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        self.write_rated(
            &cred.org,
            |tx| tx.insert_credential(&cred),
            |()| self.limiter_upsert(std::slice::from_ref(&cred)),
        )?;
        Ok(cred)
    }

    /// Create a credential from its JSON body.
    pub fn create_credential_json(&self, org: &str, body: &str) -> Result<Credential> {
        Org::parse(org)?;
        self.create_credential(org, CredentialInput::from_json(body)?)
    }

    /// Create many credentials in one transaction (all or nothing). Used by `import`.
    pub fn create_credentials(
        &self,
        org: &str,
        inputs: Vec<CredentialInput>,
    ) -> Result<Vec<Credential>> {
        self.create_credentials_with_progress(org, inputs, &mut |_| {})
    }

    /// [`Registry::create_credentials`], calling `progress(n)` with the number inserted so far,
    /// after every 1,000 and after the last (inside the transaction: nothing is visible to
    /// others before the end).
    pub fn create_credentials_with_progress(
        &self,
        org: &str,
        inputs: Vec<CredentialInput>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Credential>> {
        let org = Org::parse(org)?;
        let at = now();
        let creds: Vec<Credential> = inputs
            .into_iter()
            .map(|input| Credential {
                id: CredentialId::generate(),
                org: org.clone(),
                input,
                source: Source::Manual,
                version: 1,
                created_at: at,
                updated_at: at,
            })
            .collect();
        self.write_rated(
            &org,
            |tx| {
                let mut done = 0;
                creds.chunks(IMPORT_CHUNK).try_for_each(|chunk| {
                    tx.insert_credentials(chunk)?;
                    done += chunk.len();
                    progress(done);
                    Ok(())
                })
            },
            |()| self.limiter_upsert(&creds),
        )?;
        Ok(creds)
    }

    /// One credential.
    pub fn get_credential(&self, org: &str, id: &str) -> Result<Credential> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| require_credential(tx, &org, &id, "id"))
    }

    /// The org's credentials, in creation order.
    pub fn list_credentials(&self, org: &str) -> Result<Vec<Credential>> {
        let org = Org::parse(org)?;
        self.read(|tx| tx.credentials(&org))
    }

    /// A page of the org's credentials, in id order (creation order; SPEC §5). `after` is
    /// the last id of the previous page; one that was deleted since still pages on from
    /// where it stood.
    pub fn list_credentials_page(&self, org: &str, page: &Page) -> Result<Paged<Credential>> {
        let org = Org::parse(org)?;
        let after = page.cursor("a credential id (cred_…)", |a| {
            CredentialId::parse(a, "after")
        })?;
        let n = page.limit();
        let items = self.read(|tx| tx.credentials_after(&org, after.as_ref(), n + 1))?;
        Ok(Paged::from_lookahead(items, n, |c| c.id.to_string()))
    }

    /// Apply a patch; the version goes up by one. `read_only` for provider credentials,
    /// `conflict` when `expectedVersion` differs.
    pub fn update_credential(
        &self,
        org: &str,
        id: &str,
        patch: CredentialPatch,
    ) -> Result<Credential> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                let current = require_writable(tx, &org, &id)?;
                if let Some(expected) = patch.expected_version
                    && expected != current.version
                {
                    return Err(Error::Conflict {
                        id: id.to_string(),
                        expected,
                        actual: current.version,
                    });
                }
                let input = current.input.apply(patch)?;
                let updated = Credential {
                    input,
                    version: current.version + 1,
                    updated_at: now(),
                    ..current.clone()
                };
                tx.update_credential(&updated)?;
                health::after_update(tx, &current, &updated)?;
                Ok(updated)
            },
            |updated| self.limiter_upsert(std::slice::from_ref(updated)),
        )
    }

    /// Apply a patch given as JSON.
    pub fn update_credential_json(&self, org: &str, id: &str, body: &str) -> Result<Credential> {
        Org::parse(org)?;
        self.update_credential(org, id, CredentialPatch::from_json(body)?)
    }

    /// The numbers linked to the credential and the agents using them.
    pub fn usage(&self, org: &str, id: &str) -> Result<UsageReport> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| {
            if !tx.credential_exists(&org, &id)? {
                return Err(not_found_credential(&id, "id"));
            }
            usage_of(tx, &org, &id)
        })
    }

    /// The numbers linked to each of some credentials of an org (read together: what a list
    /// of credentials shows beside each), in their order.
    pub fn numbers_for(&self, org: &str, credentials: &[Credential]) -> Result<Vec<Vec<String>>> {
        let org = Org::parse(org)?;
        self.read(|tx| {
            credentials
                .iter()
                .map(|c| {
                    let numbers = tx.credential_numbers(&org, &c.id)?;
                    Ok(numbers.iter().map(ToString::to_string).collect())
                })
                .collect()
        })
    }

    /// Delete a credential. In use and not forced: `in_use` with the usage, nothing changes.
    /// Forced: its numbers are unlinked and reported.
    pub fn delete_credential(&self, org: &str, id: &str, force: bool) -> Result<DeleteReport> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                require_writable(tx, &org, &id)?;
                if !force {
                    let usage = usage_of(tx, &org, &id)?;
                    if !usage.is_empty() {
                        return Err(Error::InUse {
                            id: id.to_string(),
                            usage,
                        });
                    }
                }
                let unlinked_numbers = unlink_and_delete(tx, &org, &id)?;
                Ok(DeleteReport {
                    deleted: id.to_string(),
                    unlinked_numbers,
                })
            },
            |report| self.limiter_remove(&org, std::slice::from_ref(&report.deleted)),
        )
    }

    // ---------------------------------------------------------------- numbers

    /// Link a number (created if new) to a credential; re-linking moves it.
    pub fn link_number(
        &self,
        org: &str,
        number: &str,
        credential_id: &str,
    ) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        let cred = CredentialId::parse(credential_id, "credentialId")?;
        self.write(|tx| {
            if !tx.credential_exists(&org, &cred)? {
                return Err(not_found_credential(&cred, "credentialId"));
            }
            let record = NumberRecord {
                number,
                credential_id: Some(cred),
            };
            tx.put_number(&org, &record)?;
            Ok(record)
        })
    }

    /// Unlink a number from its credential (the number stays, and its agents).
    pub fn unlink_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            require_number(tx, &org, &number)?;
            let record = NumberRecord {
                number,
                credential_id: None,
            };
            tx.put_number(&org, &record)?;
            Ok(record)
        })
    }

    /// One number and the credential it is linked to (`not_found` if the org has no such
    /// number).
    pub fn get_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.read(|tx| require_number(tx, &org, &number))
    }

    /// Delete a number; it is also removed from every agent. Returns the record it had.
    pub fn delete_number(&self, org: &str, number: &str) -> Result<NumberRecord> {
        let org = Org::parse(org)?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            let record = require_number(tx, &org, &number)?;
            tx.delete_number(&org, &number)?;
            Ok(record)
        })
    }

    /// The org's numbers, sorted.
    pub fn list_numbers(&self, org: &str) -> Result<Vec<NumberRecord>> {
        let org = Org::parse(org)?;
        self.read(|tx| tx.numbers(&org))
    }

    /// A page of the org's numbers, sorted; `after` is the last number of the previous page.
    pub fn list_numbers_page(&self, org: &str, page: &Page) -> Result<Paged<NumberRecord>> {
        let org = Org::parse(org)?;
        let after = page.cursor("an E.164 number (+…)", PhoneNumber::parse)?;
        let n = page.limit();
        let items = self.read(|tx| tx.numbers_after(&org, after.as_ref(), n + 1))?;
        Ok(Paged::from_lookahead(items, n, |r| r.number.to_string()))
    }

    // ---------------------------------------------------------------- agents

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
        let org = Org::parse(org)?;
        let agent = AgentId::parse(agent_id, "agentId")?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            require_agent(tx, &org, &agent, "agentId")?;
            require_number(tx, &org, &number)?;
            tx.assign(&org, &agent, &number)?;
            require_agent(tx, &org, &agent, "agentId")
        })
    }

    /// Take a number from an agent (idempotent for a number the agent does not use).
    pub fn unassign_number(&self, org: &str, agent_id: &str, number: &str) -> Result<Agent> {
        let org = Org::parse(org)?;
        let agent = AgentId::parse(agent_id, "agentId")?;
        let number = PhoneNumber::parse(number)?;
        self.write(|tx| {
            require_agent(tx, &org, &agent, "agentId")?;
            require_number(tx, &org, &number)?;
            tx.unassign(&org, &agent, &number)?;
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

    /// The org's agents, in creation order.
    pub fn list_agents(&self, org: &str) -> Result<Vec<Agent>> {
        let org = Org::parse(org)?;
        self.read(|tx| tx.agents(&org))
    }

    /// A page of the org's agents, in id order (creation order); `after` is the last id of
    /// the previous page.
    pub fn list_agents_page(&self, org: &str, page: &Page) -> Result<Paged<Agent>> {
        let org = Org::parse(org)?;
        let after = page.cursor("an agent id (agent_…)", |a| AgentId::parse(a, "after"))?;
        let n = page.limit();
        let items = self.read(|tx| tx.agents_after(&org, after.as_ref(), n + 1))?;
        Ok(Paged::from_lookahead(items, n, |a| a.id.to_string()))
    }

    // ---------------------------------------------------------------- providers

    /// Connect a provider and create its read-only credentials, all in one transaction.
    pub fn connect_provider(
        &self,
        org: &str,
        kind: &str,
        name: &str,
        credentials: Vec<CredentialInput>,
    ) -> Result<ConnectedProvider> {
        let org = Org::parse(org)?;
        let kind = parse_kind(kind)?;
        let name = name_for("name", name)?;
        let at = now();
        let provider = Provider {
            id: ProviderId::generate(),
            org: org.clone(),
            kind,
            name,
            created_at: at,
        };
        let credentials: Vec<Credential> = credentials
            .into_iter()
            .map(|input| Credential {
                id: CredentialId::generate(),
                org: org.clone(),
                input,
                source: Source::Provider(provider.id.clone()),
                version: 1,
                created_at: at,
                updated_at: at,
            })
            .collect();
        self.write_rated(
            &org,
            |tx| {
                tx.insert_provider(&provider)?;
                credentials.iter().try_for_each(|c| tx.insert_credential(c))
            },
            |()| self.limiter_upsert(&credentials),
        )?;
        Ok(ConnectedProvider {
            provider,
            credentials,
        })
    }

    /// Connect a provider with a JSON array of credential inputs. An invalid input is reported
    /// with its index in the field (`credentials[2].server`).
    pub fn connect_provider_json(
        &self,
        org: &str,
        kind: &str,
        name: &str,
        body: &str,
    ) -> Result<ConnectedProvider> {
        Org::parse(org)?;
        let trimmed = body.trim_start();
        if !trimmed.starts_with('[') {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidJson,
                field: Some("credentials".into()),
                message: "the provider's credentials must be a JSON array of credential inputs"
                    .into(),
            });
        }
        let inputs = crate::credential::read_inputs(body, "credentials")?;
        self.connect_provider(org, kind, name, inputs)
    }

    /// The org's providers, in creation order.
    pub fn list_providers(&self, org: &str) -> Result<Vec<Provider>> {
        let org = Org::parse(org)?;
        self.read(|tx| tx.providers(&org))
    }

    /// A page of the org's providers, in id order (creation order); `after` is the last id
    /// of the previous page.
    pub fn list_providers_page(&self, org: &str, page: &Page) -> Result<Paged<Provider>> {
        let org = Org::parse(org)?;
        let after = page.cursor("a provider id (prov_…)", |a| {
            ProviderId::parse(a, "after")
        })?;
        let n = page.limit();
        let items = self.read(|tx| tx.providers_after(&org, after.as_ref(), n + 1))?;
        Ok(Paged::from_lookahead(items, n, |p| p.id.to_string()))
    }

    /// Delete a provider with its credentials (their numbers unlinked), and report it all.
    pub fn delete_provider(&self, org: &str, id: &str) -> Result<ProviderDeleteReport> {
        let org = Org::parse(org)?;
        let id = ProviderId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                if tx.provider(&org, &id)?.is_none() {
                    return Err(Error::NotFound {
                        what: "provider",
                        field: "id",
                        id: id.to_string(),
                    });
                }
                let mut deleted_credentials = Vec::new();
                let mut unlinked_numbers = Vec::new();
                for cred in tx.provider_credentials(&org, &id)? {
                    unlinked_numbers.extend(unlink_and_delete(tx, &org, &cred)?);
                    deleted_credentials.push(cred.to_string());
                }
                tx.delete_provider(&org, &id)?;
                unlinked_numbers.sort();
                Ok(ProviderDeleteReport {
                    deleted: id.to_string(),
                    deleted_credentials,
                    unlinked_numbers,
                })
            },
            |report| self.limiter_remove(&org, &report.deleted_credentials),
        )
    }

    // ---------------------------------------------------------------- troubleshooting

    /// Lint the org's credentials together (with the rate group checks), in one snapshot:
    /// the groups from the org's rate rows, then the credentials a page at a time (memory
    /// bounded by a page, not the org), their passwords left encrypted.
    pub fn lint(&self, org: &str) -> Result<Vec<Finding>> {
        let org = Org::parse(org)?;
        self.read(|tx| {
            let rows = tx.rate_rows(&org)?;
            let checks = GroupChecks::new(rows.iter().map(RateRow::fields));
            drop(rows);
            let mut findings = Vec::new();
            let mut after: Option<CredentialId> = None;
            loop {
                let page = tx.sealed_credentials_after(&org, after.as_ref(), LINT_PAGE)?;
                for c in &page {
                    findings.extend(checks.lint(c.id.as_str(), &c.input, c.auth_user.is_some()));
                }
                match page.last() {
                    Some(last) if page.len() == LINT_PAGE => {
                        after = Some(last.id.clone());
                    }
                    _ => break,
                }
            }
            Ok(findings)
        })
    }

    /// The findings of an unsaved input in the org's context (§7): its own fields' and its
    /// cpsKey group's as they would be once it is saved, in place of the credential
    /// `replacing` when given (an edit), else as a new credential (labelled `new`).
    pub fn lint_input(
        &self,
        org: &str,
        input: &CredentialInput,
        replacing: Option<&str>,
    ) -> Result<Vec<Finding>> {
        let org = Org::parse(org)?;
        let replacing = replacing
            .map(|id| CredentialId::parse(id, "id"))
            .transpose()?;
        let label = replacing
            .as_ref()
            .map_or("new", |id| id.as_str())
            .to_owned();
        self.read(|tx| {
            if let Some(id) = &replacing
                && !tx.credential_exists(&org, id)?
            {
                return Err(Error::NotFound {
                    what: "credential",
                    field: "id",
                    id: id.to_string(),
                });
            }
            let rows = tx.rate_rows(&org)?;
            let own = (
                label.as_str(),
                input.cps_limit.map(|l| l.get()),
                input.cps_key.as_ref().map(|k| k.as_str()),
            );
            let others = rows
                .iter()
                .filter(|r| replacing.as_ref() != Some(&r.id))
                .map(RateRow::fields);
            // The unsaved input first: a group's conflict is reported on its first member.
            let checks = GroupChecks::new(std::iter::once(own).chain(others));
            Ok(checks.lint(&label, input, input.auth.is_some()))
        })
    }

    /// Tell the other processes sharing the store about a change ([`Storage::announce`]):
    /// what the HTTP API's event stream sends across instances. A payload over
    /// [`MAX_ANNOUNCEMENT_BYTES`] is not sent.
    pub fn announce(&self, payload: &str) -> Result<()> {
        if payload.len() > MAX_ANNOUNCEMENT_BYTES {
            return Ok(());
        }
        self.store.announce(payload)
    }

    /// The other processes' announcements, on a store that carries them
    /// ([`Storage::listen`]).
    pub fn listen(&self) -> Option<std::sync::mpsc::Receiver<String>> {
        self.store.listen()
    }

    /// The org's change counter (§10), when the store keeps one: it moves on with every
    /// credential written or deleted in the org, by any process sharing the store.
    pub fn change_counter(&self, org: &str) -> Result<Option<u64>> {
        let org = Org::parse(org)?;
        self.read(|tx| tx.change_counter(&org))
    }

    /// How many credentials the org has (read from the rate projection: nothing decrypted).
    pub fn count_credentials(&self, org: &str) -> Result<usize> {
        let org = Org::parse(org)?;
        self.read(|tx| Ok(tx.rate_rows(&org)?.len()))
    }

    /// The org's rate groups (§6): key, members, effective limit.
    pub fn rate_groups(&self, org: &str) -> Result<Vec<RateGroup>> {
        let org = Org::parse(org)?;
        Ok(rate_groups(&self.read(|tx| tx.rate_rows(&org))?))
    }
}

/// The store of [`Registry::closed`].
#[derive(Debug)]
struct ClosedStore;

impl ClosedStore {
    fn error() -> Error {
        Error::storage("this registry is closed: open a new one to go on")
    }
}

impl Storage for ClosedStore {
    fn read(&self, _f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()> {
        Err(Self::error())
    }

    fn write(&self, _f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        Err(Self::error())
    }

    fn describe(&self) -> String {
        "closed".into()
    }
}
