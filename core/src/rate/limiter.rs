//! The CPS limiter (§6): credentials resolved to rate groups, and admission decisions made by
//! a pluggable backend.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use foldhash::quality::RandomState;

use super::backend::{GroupState, InProcessBackend, LimiterBackend};
use super::clock::{Clock, MonotonicClock, Nanos, SECOND};
use super::decision::{DEFAULT_MARGIN, Decision};
use super::groups::{RateChanges, RateRow, group_key};
use crate::credential::Credential;
use crate::error::{Error, Result};
use crate::values::{CredentialId, Org};

mod config;
pub use config::OrgRates;
use config::{Entry, IdKey, OrgConfig, SharedGroup, entry, id_key, id_text};

/// Paces outbound calls per rate group (§6): per credential (`cpsLimit`), or shared by every
/// credential of an org with the same `cpsKey` (the smallest `cpsLimit` of the group).
///
/// The guarantee: in every half-open one-second interval a group admits at most its limit,
/// from the very first call, and across changes (a changed limit applies from the next call;
/// a credential that is re-keyed or removed moves between groups at once, without resetting
/// any group's history).
///
/// ```
/// use sipcreds::{Credential, Decision, ManualClock, RateLimiter, Registry};
/// use std::{sync::Arc, time::Duration};
/// let reg = Registry::in_memory();
/// let a = reg.create_credential_json("acme", r#"{"server":"a.example.com","cpsKey":"shared","cpsLimit":2}"#).unwrap();
/// let b = reg.create_credential_json("acme", r#"{"server":"b.example.com","cpsKey":"shared","cpsLimit":5}"#).unwrap();
/// let clock = ManualClock::new();
/// let limiter = RateLimiter::in_process(Arc::new(clock.clone()));
/// limiter.set_org_credentials("acme", &reg.list_credentials("acme").unwrap()).unwrap();
/// // The group's limit is the smallest: 2 per second across both trunks.
/// assert!(limiter.try_acquire("acme", a.id.as_str()).unwrap().is_admitted());
/// assert!(limiter.try_acquire("acme", b.id.as_str()).unwrap().is_admitted());
/// let third = limiter.try_acquire("acme", a.id.as_str()).unwrap();
/// assert_eq!(third, Decision::Rejected { retry_after: Duration::from_secs(1) });
/// // Pacing: book the next free slot.
/// let paced = limiter.reserve("acme", b.id.as_str(), Duration::from_secs(5)).unwrap();
/// assert!(matches!(paced, Decision::Admitted { wait, .. } if wait == Duration::from_secs(1)));
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    backend: Arc<dyn LimiterBackend>,
    clock: Arc<dyn Clock>,
    /// The window: one second plus the margin.
    span: Nanos,
    orgs: RwLock<HashMap<String, OrgConfig, RandomState>>,
    /// Counts the changes of `orgs` (made under its write lock), so that a
    /// [`super::RateHandle`] knows when to look its credential up again.
    pub(super) generation: AtomicU64,
    /// This limiter among the process's limiters (a handle is for one limiter).
    pub(super) id: u64,
}

pub(super) fn poisoned<T>(_: T) -> Error {
    Error::storage("the rate limiter configuration is poisoned")
}

impl RateLimiter {
    /// A limiter over any backend and clock.
    pub fn new(backend: Arc<dyn LimiterBackend>, clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            backend,
            clock,
            span: SECOND,
            orgs: RwLock::default(),
            generation: AtomicU64::new(0),
            id: {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
        }
    }

    /// Keep every `1 s + margin` window at most the limit, not just every second: admissions
    /// of a group are then at least `1 s + margin` apart per `limit` calls, so the jitter
    /// between this decision and the INVITE reaching the provider (scheduling, a GIL, the
    /// network) cannot squeeze `limit + 1` calls into one of the provider's seconds. It costs
    /// `margin / (1 s + margin)` of the throughput under overload (1 % for 10 ms).
    /// Limiters on the real clock that this crate builds use [`DEFAULT_MARGIN`]; limiters
    /// built with [`RateLimiter::new`] start exact (no margin), as deterministic tests want.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.span = SECOND.saturating_add(margin.as_nanos().min(u64::MAX as u128) as u64);
        self
    }

    /// The margin added to the one-second window.
    pub fn margin(&self) -> Duration {
        Duration::from_nanos(self.span - SECOND)
    }

    /// The in-process limiter on the given clock.
    pub fn in_process(clock: Arc<dyn Clock>) -> Self {
        Self::new(Arc::new(InProcessBackend::new()), clock)
    }

    /// The in-process limiter on the real monotonic clock, with [`DEFAULT_MARGIN`].
    pub fn in_process_real_time() -> Self {
        Self::in_process(Arc::new(MonotonicClock::new())).with_margin(DEFAULT_MARGIN)
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn LimiterBackend> {
        &self.backend
    }

    /// Whether the org's credentials were given to this limiter.
    pub fn has_org(&self, org: &str) -> bool {
        self.orgs.read().is_ok_and(|o| o.contains_key(org))
    }

    /// Replace everything the limiter knows of an org with these credentials (all of the
    /// org's credentials). Groups keep their history.
    pub fn set_org_credentials(&self, org: &str, credentials: &[Credential]) -> Result<()> {
        let org_id = Org::parse(org)?;
        let rows: Vec<RateRow> = credentials
            .iter()
            .filter(|c| c.org == org_id)
            .map(RateRow::of)
            .collect();
        self.set_org_rates(org, &rows)
    }

    /// Replace everything the limiter knows of an org with these rate rows (all of the org's
    /// credentials, as [`crate::Tx::rate_rows`] reads them). Groups keep their history.
    pub fn set_org_rates(&self, org: &str, rows: &[RateRow]) -> Result<()> {
        let mut rates = OrgRates::with_capacity(rows.len());
        for r in rows {
            let (id, limit, key) = r.fields();
            rates.add(id, limit, key);
        }
        self.set_org(org, rates)
    }

    /// Replace everything the limiter knows of an org with the rates gathered (all of the
    /// org's credentials: see [`OrgRates`]). Groups keep their history.
    pub fn set_org(&self, org: &str, rates: OrgRates) -> Result<()> {
        let org = Org::parse(org)?;
        let config = rates.config;
        let old = self.orgs_mut()?.insert(org.to_string(), config);
        drop(old);
        self.backend
            .sweep(self.clock.now().saturating_sub(self.span - SECOND));
        Ok(())
    }

    /// Apply what changed in an org since the limiter last saw it (see
    /// [`crate::Tx::rate_changes`]): each changed credential moves to its group at once, each
    /// removed one leaves. Nothing happens to an org the limiter does not hold.
    pub fn apply_rate_changes(&self, org: &str, changes: &RateChanges) -> Result<()> {
        let mut orgs = self.orgs_mut()?;
        let Some(config) = orgs.get_mut(org) else {
            return Ok(());
        };
        for r in &changes.changed {
            if let Some(k) = id_key(r.id.as_str()) {
                config.upsert(
                    k,
                    r.cps_limit.map(|l| l.get()),
                    r.cps_key.as_ref().map(|k| k.as_str()),
                );
            }
        }
        for id in &changes.removed {
            if let Some(k) = id_key(id.as_str()) {
                config.remove(k);
            }
        }
        Ok(())
    }

    /// Forget everything the limiter knows of an org (its groups' history stays in the
    /// backend): the registry loads it again from the store on its next call.
    pub fn forget_org(&self, org: &str) {
        let mut orgs = self.orgs.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::Relaxed);
        orgs.remove(org);
    }

    /// Add or change one credential (after a create or an update): it joins its group at once.
    pub fn upsert_credential(&self, c: &Credential) -> Result<()> {
        self.upsert_rate(c.org.as_str(), &RateRow::of(c))
    }

    /// Add or change one credential's rate fields: it joins its group at once.
    pub fn upsert_rate(&self, org: &str, row: &RateRow) -> Result<()> {
        let Some(k) = id_key(row.id.as_str()) else {
            return Ok(());
        };
        let mut orgs = self.orgs_mut()?;
        let config = match orgs.get_mut(org) {
            Some(c) => c,
            None => orgs
                .entry(Org::parse(org)?.to_string())
                .or_insert_with(|| OrgConfig::new(0)),
        };
        config.upsert(
            k,
            row.cps_limit.map(|l| l.get()),
            row.cps_key.as_ref().map(|k| k.as_str()),
        );
        Ok(())
    }

    /// Remove a credential (after a delete): its group loses a member at once.
    pub fn remove_credential(&self, org: &str, id: &str) -> Result<()> {
        let Some(k) = id_key(id) else {
            return Ok(());
        };
        let mut orgs = self.orgs_mut()?;
        let removed = orgs.get_mut(org).is_some_and(|c| c.remove(k));
        drop(orgs);
        if removed {
            self.backend
                .sweep(self.clock.now().saturating_sub(self.span - SECOND));
        }
        Ok(())
    }

    /// The orgs to change. Every change goes through here, which counts it while no decision
    /// can be under way.
    fn orgs_mut(&self) -> Result<RwLockWriteGuard<'_, HashMap<String, OrgConfig, RandomState>>> {
        let orgs = self.orgs.write().map_err(poisoned)?;
        self.generation.fetch_add(1, Ordering::Relaxed);
        Ok(orgs)
    }

    /// The orgs to decide by.
    pub(super) fn orgs(
        &self,
    ) -> Result<RwLockReadGuard<'_, HashMap<String, OrgConfig, RandomState>>> {
        self.orgs.read().map_err(poisoned)
    }

    /// A credential's group state (made if it has none yet) and the group's limit
    /// (`u32::MAX`: unlimited, still logged so that a limit set later counts its calls).
    pub(super) fn resolve(
        &self,
        orgs: &HashMap<String, OrgConfig, RandomState>,
        org: &str,
        id: &str,
    ) -> Result<(Arc<dyn GroupState>, u32)> {
        let Some((config, k, e)) = entry(orgs, org, id) else {
            return Err(Self::not_found(org, id));
        };
        match config.shared.get(e.group as usize) {
            Some(s) => {
                let state = self.shared_state(org, s)?.clone();
                Ok((state, s.limit().unwrap_or(u32::MAX)))
            }
            None => {
                let limit = e.solo_limit();
                let found = config.solo.read().map_err(poisoned)?.get(&k).cloned();
                let state = match found {
                    Some(state) => state,
                    None => self.solo_state(org, config, k, self.clock.now())?,
                };
                Ok((state, limit))
            }
        }
    }

    /// Now, on the limiter's clock.
    pub(super) fn now(&self) -> Nanos {
        self.clock.now()
    }

    /// The window's length.
    pub(super) fn span(&self) -> Nanos {
        self.span
    }

    fn not_found(org: &str, id: &str) -> Error {
        match Org::parse(org) {
            Err(e) => e,
            Ok(_) => Error::NotFound {
                what: "credential",
                field: "id",
                id: id.chars().take(100).collect(),
            },
        }
    }

    /// A credential's entry, its group's limit and the group's key (without the org).
    fn group_of(&self, org: &str, id: &str) -> Result<(Option<u32>, String)> {
        let orgs = self.orgs.read().map_err(poisoned)?;
        let found =
            entry(&orgs, org, id).map(|(config, k, e)| match config.shared.get(e.group as usize) {
                Some(s) => (s.limit(), group_key("", Some(&s.key))),
                None => (
                    (e.limit > 0).then_some(e.limit),
                    group_key(&id_text(k), None),
                ),
            });
        found.ok_or_else(|| Self::not_found(org, id))
    }

    /// The hot path: one read lock, two lookups, the group's own lock; no allocation but on
    /// a group's first call after it was idle.
    fn decide(&self, org: &str, id: &str, max_wait: Nanos) -> Result<Decision> {
        let orgs = self.orgs.read().map_err(poisoned)?;
        let Some((config, k, e)) = entry(&orgs, org, id) else {
            drop(orgs);
            return Err(Self::not_found(org, id));
        };
        let now = self.clock.now();
        // An unlimited group's calls are logged too, so that a limit set later counts them.
        let admission = match config.shared.get(e.group as usize) {
            Some(s) => self.shared_state(org, s)?.acquire(
                s.limit().unwrap_or(u32::MAX),
                self.span,
                now,
                max_wait,
            )?,
            None => {
                let limit = e.solo_limit();
                // Decided under the read lock of the org's solo states: no reference count
                // touched on the hot path.
                let solo = config.solo.read().map_err(poisoned)?;
                match solo.get(&k) {
                    Some(state) => state.acquire(limit, self.span, now, max_wait)?,
                    None => {
                        drop(solo);
                        self.solo_state(org, config, k, now)?
                            .acquire(limit, self.span, now, max_wait)?
                    }
                }
            }
        };
        Ok(Decision::of(admission, now))
    }

    /// The state of a shared group, made on its first call.
    fn shared_state<'a>(&self, org: &str, s: &'a SharedGroup) -> Result<&'a Arc<dyn GroupState>> {
        Ok(match s.state.get() {
            Some(state) => state,
            None => {
                let made = self
                    .backend
                    .group(&format!("{org}:{}", group_key("", Some(&s.key))))?;
                s.state.get_or_init(|| made)
            }
        })
    }

    /// The state of a credential of its own group, on its first call since it was idle.
    fn solo_state(
        &self,
        org: &str,
        config: &OrgConfig,
        k: IdKey,
        now: Nanos,
    ) -> Result<Arc<dyn GroupState>> {
        let made = self
            .backend
            .group(&format!("{org}:{}", group_key(&id_text(k), None)))?;
        let (state, len) = {
            let mut solo = config.solo.write().map_err(poisoned)?;
            let state = solo.entry(k).or_insert(made).clone();
            (state, solo.len())
        };
        if len >= config.solo_sweep_at.load(Ordering::Relaxed) {
            config.sweep_solo(now, self.span);
        }
        Ok(state)
    }

    /// Admit a call now, or say how long until one would be admitted.
    pub fn try_acquire(&self, org: &str, credential_id: &str) -> Result<Decision> {
        self.decide(org, credential_id, 0)
    }

    /// Book the next free slot and say how long to wait before dialing; rejected (nothing
    /// booked) when that is longer than `max_wait`.
    pub fn reserve(&self, org: &str, credential_id: &str, max_wait: Duration) -> Result<Decision> {
        self.decide(
            org,
            credential_id,
            max_wait.as_nanos().min(u64::MAX as u128) as u64,
        )
    }

    /// The effective limit of a credential's group (`None`: unlimited).
    pub fn limit_of(&self, org: &str, credential_id: &str) -> Result<Option<u32>> {
        Ok(self.group_of(org, credential_id)?.0)
    }

    /// The key of a credential's group ([`group_key`]: `key:<cpsKey>` or `credential:<id>`,
    /// as `limits` shows it).
    pub fn group_key_of(&self, org: &str, credential_id: &str) -> Result<String> {
        Ok(self.group_of(org, credential_id)?.1)
    }

    /// Bytes the limiter holds for its orgs' configuration and idle groups (best effort:
    /// map capacities, entries and keys; the backend's admission state is
    /// [`LimiterBackend::state_bytes`]).
    pub fn config_bytes(&self) -> usize {
        let Ok(orgs) = self.orgs.read() else {
            return 0;
        };
        orgs.iter()
            .map(|(org, c)| {
                let solo = c.solo.read().map_or(0, |s| {
                    s.capacity() * (std::mem::size_of::<(IdKey, Arc<dyn GroupState>)>() + 1)
                });
                org.len()
                    + std::mem::size_of::<OrgConfig>()
                    + c.credentials.capacity() * (std::mem::size_of::<(IdKey, Entry)>() + 1)
                    + c.shared.capacity() * std::mem::size_of::<SharedGroup>()
                    + c.shared
                        .iter()
                        .map(|s| 2 * s.key.len() + s.limits.len() * 32)
                        .sum::<usize>()
                    + solo
            })
            .sum()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sweep_tests;
