//! The registry (§5): credentials, phone numbers, agents and providers of each organization,
//! over a pluggable [`Storage`] backend.
//!
//! Every rule lives here once: org isolation (another org's id is `not_found`), usage reports,
//! `in_use` refusals, forced deletes that unlink and report, read-only provider credentials,
//! provider cascades, and optimistic concurrency. Each operation is one storage transaction,
//! so a failed operation changes nothing and a concurrent `link_number` can never leave a link
//! to a deleted credential.

mod agents;
mod credentials;
mod health;
mod limiter_sync;
mod lists;
mod memory;
mod numbers;
mod page;
mod providers;
mod reports;
mod storage;
mod tokens;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

pub use credentials::DeleteReport;
pub use health::{Claim, Probed, Round};
pub use memory::MemoryStore;
pub use page::{Page, Paged};
pub use providers::{ConnectedProvider, ProviderDeleteReport};
pub use storage::{
    Agent, AgentLinks, CredentialLinks, Lease, MAX_ANNOUNCEMENT_BYTES, NumberRecord, Provider,
    RateChanges, RateRowSink, SealedCredential, Storage, Tx,
};
pub use tokens::LAST_USED_EVERY;

use crate::credential::{Credential, CredentialInput, CredentialPatch, Source};
use crate::error::{Error, ErrorCode, Result};
use crate::lint::{Finding, GroupChecks};
use crate::rate::{Decision, OrgRates, RateGroup, RateLimiter, RateRow, rate_groups};
use crate::usage::{AgentUsage, UsageReport};
use crate::values::{AgentId, CredentialId, Name, Org, PhoneNumber, ProviderId};

use credentials::{not_found_credential, require_credential, unlink_and_delete};
use limiter_sync::Loaded;
use numbers::require_number;

/// `f`'s answer from a store's transaction (`$store.read` or `$store.write`, which hand the
/// transaction to a callback): a storage error if the store runs the callback twice or not
/// at all, which would break the one-transaction rule.
macro_rules! once {
    ($($store:ident).+, $f:expr, $kind:literal) => {{
        let mut f = Some($f);
        let mut out = None;
        $($store).+(&mut |tx| {
            let f = f.take().ok_or_else(|| {
                Error::storage(concat!("a ", $kind, " transaction ran its body twice"))
            })?;
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::storage(concat!("a ", $kind, " transaction did not run its body")))
    }};
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

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("store", &self.store.describe())
            .finish()
    }
}

const LOCK_STRIPES: usize = 64;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
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
        once!(self.store.read, f, "read")
    }

    /// A page of an org's items in id order, the one way every list pages: `after` parsed
    /// by `parse` (`what` names the cursor it expects in the error), `limit + 1` items read
    /// by `read` in one transaction (the extra one says whether there is a next page), and
    /// the next cursor taken with `cursor` from the page's last item.
    fn read_page<A, T>(
        &self,
        org: &str,
        page: &Page,
        what: &str,
        parse: impl FnOnce(&str) -> Result<A>,
        read: impl FnOnce(&dyn Tx, &Org, Option<&A>, usize) -> Result<Vec<T>>,
        cursor: impl Fn(&T) -> String,
    ) -> Result<Paged<T>> {
        let org = Org::parse(org)?;
        let after = page.cursor(what, parse)?;
        let n = page.limit();
        let items = self.read(|tx| read(tx, &org, after.as_ref(), n + 1))?;
        Ok(Paged::from_lookahead(items, n, cursor))
    }

    fn write<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        once!(self.store.write, f, "write")
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
