//! The CPS limiter (§6): credentials resolved to rate groups, and admission decisions made by
//! a pluggable backend.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use foldhash::quality::RandomState;

use super::clock::{Clock, MonotonicClock, Nanos, SECOND};
use super::window::{Admission, SlidingWindow};
use crate::credential::Credential;
use crate::error::{Error, Result};
use crate::values::{CredentialId, Org};

/// Where admission state lives. The in-process backend keeps it in this process; a shared
/// backend (Redis, later) gives the same guarantee across processes.
///
/// The limiter asks the backend once for a [`GroupState`] handle per group (when a group is
/// formed or changes), and decides through the handle on the hot path, so a decision costs
/// no lookup by group name.
pub trait LimiterBackend: Send + Sync + std::fmt::Debug {
    /// The state of a group, created empty if new. Asking again for the same key while the
    /// state is held gives the same state.
    fn group(&self, key: &str) -> Result<Arc<dyn GroupState>>;
    /// Drop the state of groups with no admission in the second before `now`: they constrain
    /// nothing any more. (A group is never dropped earlier, even when it loses its last
    /// member: a credential re-keyed back into it within the second must see its history.)
    fn sweep(&self, now: Nanos);
    /// Bytes of state held, for memory figures (best effort).
    fn state_bytes(&self) -> usize {
        0
    }
}

/// One group's admission state, wherever it lives.
///
/// `acquire` books the first slot at or after `now` that keeps every window of `span`
/// nanoseconds (one second plus the limiter's margin) at most `limit`, if it is at most
/// `max_wait` away, and says when it is.
pub trait GroupState: Send + Sync + std::fmt::Debug {
    /// Book a slot, or say when the first one is.
    fn acquire(&self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Result<Admission>;
}

/// The in-process state of a group: its window log behind a mutex.
#[derive(Debug, Default)]
struct LocalGroup(Mutex<SlidingWindow>);

impl GroupState for LocalGroup {
    fn acquire(&self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Result<Admission> {
        let mut w = self
            .0
            .lock()
            .map_err(|_| Error::storage("the rate limiter state is poisoned"))?;
        Ok(w.acquire(limit, span, now, max_wait))
    }
}

/// The in-process backend: one sliding-window log per group, each behind its own mutex.
#[derive(Debug, Default)]
pub struct InProcessBackend {
    groups: RwLock<HashMap<Box<str>, Arc<LocalGroup>, RandomState>>,
}

impl InProcessBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LimiterBackend for InProcessBackend {
    fn group(&self, key: &str) -> Result<Arc<dyn GroupState>> {
        if let Some(g) = self.groups.read().map_err(poisoned)?.get(key) {
            return Ok(g.clone());
        }
        let mut groups = self.groups.write().map_err(poisoned)?;
        Ok(groups.entry(key.into()).or_default().clone())
    }

    fn sweep(&self, now: Nanos) {
        if let Ok(mut groups) = self.groups.write() {
            groups.retain(|_, w| {
                // Still held by a configured group: keep. Else keep it while it constrains.
                Arc::strong_count(w) > 1
                    || w.0.lock().map_or(true, |w| {
                        w.last().is_some_and(|t| t + super::clock::SECOND > now)
                    })
            });
        }
    }

    fn state_bytes(&self) -> usize {
        let Ok(groups) = self.groups.read() else {
            return 0;
        };
        groups
            .iter()
            .map(|(k, w)| {
                k.len()
                    + std::mem::size_of::<(Box<str>, Arc<LocalGroup>)>()
                    + std::mem::size_of::<LocalGroup>()
                    + 16 // the Arc's counts
                    + w.0.lock().map(|w| w.heap_bytes()).unwrap_or(0)
            })
            .sum::<usize>()
            + groups.capacity() // control bytes
    }
}

/// The margin of the limiters on the real clock (see [`RateLimiter::with_margin`]).
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(10);

/// A decision of [`RateLimiter::try_acquire`] or [`RateLimiter::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Admitted: dial after `wait` (zero for `try_acquire`).
    Admitted {
        /// How long to wait before dialing.
        wait: Duration,
        /// The booked slot on the limiter's clock (now + wait).
        at: Nanos,
    },
    /// Rejected: a call would be admitted after `retry_after`.
    Rejected {
        /// How long until a call would be admitted.
        retry_after: Duration,
    },
}

impl Decision {
    /// True when admitted.
    pub fn is_admitted(&self) -> bool {
        matches!(self, Decision::Admitted { .. })
    }

    /// The wait before dialing, when admitted.
    pub fn wait(&self) -> Option<Duration> {
        match self {
            Decision::Admitted { wait, .. } => Some(*wait),
            Decision::Rejected { .. } => None,
        }
    }

    /// `{"admitted": true, "waitMs": ...}` or `{"admitted": false, "retryAfterMs": ...}`
    /// (milliseconds, rounded up).
    pub fn to_json(&self) -> serde_json::Value {
        let ms = |d: &Duration| d.as_nanos().div_ceil(1_000_000) as u64;
        match self {
            Decision::Admitted { wait, .. } => {
                serde_json::json!({"admitted": true, "waitMs": ms(wait)})
            }
            Decision::Rejected { retry_after } => {
                serde_json::json!({"admitted": false, "retryAfterMs": ms(retry_after)})
            }
        }
    }
}

/// A credential's rate group, as the limiter holds it for each member (inline in the map, so
/// a decision touches the map's bucket, the group state and its log, nothing else).
#[derive(Debug, Clone)]
struct Member {
    /// `org:key:<cpsKey>` or `org:cred:<id>`; org ids have no `:`, so no two orgs share one.
    key: Arc<str>,
    /// The smallest member limit of the group; `None` is unlimited.
    limit: Option<u32>,
    /// The group's admission state in the backend (shared by its members).
    state: Arc<dyn GroupState>,
}

/// A credential id as a map key: the 26 ULID characters, uppercased, inline (no string on the
/// heap to compare on lookup, no decoding).
type IdKey = [u8; 26];

fn id_key(id: &str) -> Option<IdKey> {
    let body = id.strip_prefix(CredentialId::PREFIX)?.as_bytes();
    let mut key = [0u8; 26];
    if body.len() != key.len() {
        return None;
    }
    for (k, b) in key.iter_mut().zip(body) {
        *k = b.to_ascii_uppercase();
    }
    Some(key)
}

/// The limiter's view of one org: each credential's group, and each group's members.
#[derive(Debug, Default)]
struct OrgConfig {
    /// credential id → its group.
    credentials: HashMap<IdKey, Member, RandomState>,
    /// group key → member limits (by credential id).
    members: BTreeMap<Box<str>, BTreeMap<String, Option<u32>>>,
}

impl OrgConfig {
    fn group_key(org: &Org, c: &Credential) -> Box<str> {
        match &c.input.cps_key {
            Some(k) => format!("{org}:key:{k}").into(),
            None => format!("{org}:cred:{}", c.id).into(),
        }
    }

    /// Re-point every member of `key` at a fresh `Group` with the recomputed limit; returns
    /// false when the group has no members left.
    fn refresh(&mut self, key: &str, backend: &dyn LimiterBackend) -> Result<bool> {
        let Some(members) = self.members.get(key) else {
            return Ok(false);
        };
        if members.is_empty() {
            self.members.remove(key);
            return Ok(false);
        }
        let member = Member {
            key: key.into(),
            limit: members.values().flatten().copied().min(),
            state: backend.group(key)?,
        };
        for id in members.keys() {
            if let Some(k) = id_key(id) {
                self.credentials.insert(k, member.clone());
            }
        }
        Ok(true)
    }
}

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
}

fn poisoned<T>(_: T) -> Error {
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
        let org = Org::parse(org)?;
        let mut config = OrgConfig::default();
        for c in credentials.iter().filter(|c| c.org == org) {
            let key = OrgConfig::group_key(&org, c);
            config
                .members
                .entry(key)
                .or_default()
                .insert(c.id.to_string(), c.input.cps_limit.map(|l| l.get()));
        }
        let keys: Vec<Box<str>> = config.members.keys().cloned().collect();
        for k in &keys {
            config.refresh(k, &*self.backend)?;
        }
        self.orgs
            .write()
            .map_err(poisoned)?
            .insert(org.to_string(), config);
        self.backend
            .sweep(self.clock.now().saturating_sub(self.span - SECOND));
        Ok(())
    }

    /// Forget everything the limiter knows of an org (its groups' history stays in the
    /// backend): the registry loads it again from the store on its next call.
    pub fn forget_org(&self, org: &str) {
        let mut orgs = self.orgs.write().unwrap_or_else(|p| p.into_inner());
        orgs.remove(org);
    }

    /// Add or change one credential (after a create or an update): it joins its group at once.
    pub fn upsert_credential(&self, c: &Credential) -> Result<()> {
        let mut orgs = self.orgs.write().map_err(poisoned)?;
        let config = orgs.entry(c.org.to_string()).or_default();
        let id = c.id.to_string();
        let key = OrgConfig::group_key(&c.org, c);
        let old_key: Option<Arc<str>> = id_key(&id)
            .and_then(|k| config.credentials.get(&k))
            .map(|m| m.key.clone());
        if let Some(old) = old_key.as_deref().filter(|k| **k != *key) {
            if let Some(m) = config.members.get_mut(old) {
                m.remove(&id);
            }
            config.refresh(old, &*self.backend)?;
        }
        config
            .members
            .entry(key.clone())
            .or_default()
            .insert(id, c.input.cps_limit.map(|l| l.get()));
        config.refresh(&key, &*self.backend)?;
        Ok(())
    }

    /// Remove a credential (after a delete): its group loses a member at once.
    pub fn remove_credential(&self, org: &str, id: &str) -> Result<()> {
        let mut orgs = self.orgs.write().map_err(poisoned)?;
        let Some(config) = orgs.get_mut(org) else {
            return Ok(());
        };
        let Some(group) = id_key(id).and_then(|k| config.credentials.remove(&k)) else {
            return Ok(());
        };
        if let Some(m) = config.members.get_mut(&*group.key) {
            m.remove(id);
        }
        config.refresh(&group.key, &*self.backend)?;
        drop(orgs);
        self.backend
            .sweep(self.clock.now().saturating_sub(self.span - SECOND));
        Ok(())
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

    fn group_of(&self, org: &str, id: &str) -> Result<Member> {
        let orgs = self.orgs.read().map_err(poisoned)?;
        match orgs.get(org).and_then(|c| c.credentials.get(&id_key(id)?)) {
            Some(g) => Ok(g.clone()),
            None => Err(Self::not_found(org, id)),
        }
    }

    /// The hot path: one read lock, two lookups, the group's own lock; no allocation.
    fn decide(&self, org: &str, id: &str, max_wait: Nanos) -> Result<Decision> {
        let orgs = self.orgs.read().map_err(poisoned)?;
        let Some(group) = id_key(id).and_then(|k| orgs.get(org)?.credentials.get(&k)) else {
            drop(orgs);
            return Err(Self::not_found(org, id));
        };
        // An unlimited group's calls are logged too, so that a limit set later counts them.
        let limit = group.limit.unwrap_or(u32::MAX);
        let now = self.clock.now();
        Ok(
            match group.state.acquire(limit, self.span, now, max_wait)? {
                Admission::Admitted { at } => Decision::Admitted {
                    wait: Duration::from_nanos(at - now),
                    at,
                },
                Admission::Rejected { next } => Decision::Rejected {
                    retry_after: Duration::from_nanos(next - now),
                },
            },
        )
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
        Ok(self.group_of(org, credential_id)?.limit)
    }

    /// The key of a credential's group, as the backend sees it.
    pub fn group_key_of(&self, org: &str, credential_id: &str) -> Result<String> {
        Ok(self.group_of(org, credential_id)?.key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use crate::rate::clock::ManualClock;

    #[test]
    fn margin_widens_the_window_and_nothing_else() {
        let reg = Registry::in_memory();
        let c = reg
            .create_credential_json("a", r#"{"server":"x.example.com","cpsLimit":2}"#)
            .unwrap();
        let clock = ManualClock::new();
        let lim =
            RateLimiter::in_process(Arc::new(clock.clone())).with_margin(Duration::from_millis(10));
        assert_eq!(lim.margin(), Duration::from_millis(10));
        lim.set_org_credentials("a", &reg.list_credentials("a").unwrap())
            .unwrap();
        let id = c.id.as_str();
        assert!(lim.try_acquire("a", id).unwrap().is_admitted());
        assert!(lim.try_acquire("a", id).unwrap().is_admitted());
        assert_eq!(
            lim.try_acquire("a", id).unwrap(),
            Decision::Rejected {
                retry_after: Duration::from_millis(1010)
            }
        );
        clock.advance(Duration::from_secs(1));
        assert!(!lim.try_acquire("a", id).unwrap().is_admitted());
        clock.advance(Duration::from_millis(10));
        assert!(lim.try_acquire("a", id).unwrap().is_admitted());
        // The real-time limiters carry the default margin; `new` starts exact.
        assert_eq!(RateLimiter::in_process_real_time().margin(), DEFAULT_MARGIN);
        assert_eq!(
            RateLimiter::in_process(Arc::new(ManualClock::new())).margin(),
            Duration::ZERO
        );
    }

    #[test]
    fn two_orgs_with_the_same_key_never_share() {
        let reg = Registry::in_memory();
        let a = reg
            .create_credential_json(
                "a",
                r#"{"server":"x.example.com","cpsKey":"k","cpsLimit":1}"#,
            )
            .unwrap();
        let b = reg
            .create_credential_json(
                "b",
                r#"{"server":"x.example.com","cpsKey":"k","cpsLimit":1}"#,
            )
            .unwrap();
        let lim = RateLimiter::in_process(Arc::new(ManualClock::new()));
        lim.set_org_credentials("a", &reg.list_credentials("a").unwrap())
            .unwrap();
        lim.set_org_credentials("b", &reg.list_credentials("b").unwrap())
            .unwrap();
        assert!(lim.try_acquire("a", a.id.as_str()).unwrap().is_admitted());
        assert!(lim.try_acquire("b", b.id.as_str()).unwrap().is_admitted());
        assert_eq!(
            lim.try_acquire("b", a.id.as_str()).unwrap_err().code(),
            crate::ErrorCode::NotFound
        );
    }

    #[test]
    fn rekeying_moves_between_groups_at_once() {
        let reg = Registry::in_memory();
        let a = reg
            .create_credential_json(
                "o",
                r#"{"server":"a.example.com","cpsKey":"k","cpsLimit":1}"#,
            )
            .unwrap();
        let b = reg
            .create_credential_json(
                "o",
                r#"{"server":"b.example.com","cpsKey":"k","cpsLimit":1}"#,
            )
            .unwrap();
        let lim = RateLimiter::in_process(Arc::new(ManualClock::new()));
        lim.set_org_credentials("o", &reg.list_credentials("o").unwrap())
            .unwrap();
        assert!(lim.try_acquire("o", a.id.as_str()).unwrap().is_admitted());
        assert!(
            !lim.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
            "b shares a's group"
        );
        let b2 = reg
            .update_credential_json("o", b.id.as_str(), r#"{"cpsKey":null}"#)
            .unwrap();
        lim.upsert_credential(&b2).unwrap();
        assert!(
            lim.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
            "b is alone now"
        );
        assert_eq!(lim.limit_of("o", a.id.as_str()).unwrap(), Some(1));
        lim.remove_credential("o", a.id.as_str()).unwrap();
        assert!(lim.try_acquire("o", a.id.as_str()).is_err());
    }
}

#[cfg(test)]
mod sweep_tests {
    use super::*;
    use crate::Registry;
    use crate::rate::clock::ManualClock;

    /// A configured group's state survives sweeps and regrouping: B joining A's group after A
    /// was admitted must see A's admission.
    #[test]
    fn regrouping_keeps_the_window() {
        let clock = ManualClock::new();
        let lim = Arc::new(RateLimiter::in_process(Arc::new(clock.clone())));
        let reg = Registry::with_limiter(Arc::new(crate::MemoryStore::new()), lim.clone());
        let a = reg
            .create_credential_json(
                "o",
                r#"{"server":"a.example.com","cpsKey":"k","cpsLimit":1}"#,
            )
            .unwrap();
        let b = reg
            .create_credential_json("o", r#"{"server":"b.example.com","cpsLimit":1}"#)
            .unwrap();
        assert!(reg.try_acquire("o", a.id.as_str()).unwrap().is_admitted());
        clock.advance(Duration::from_millis(10));
        reg.update_credential_json("o", b.id.as_str(), r#"{"cpsKey":"k"}"#)
            .unwrap();
        assert!(
            !reg.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
            "b joined a group that used its second"
        );
        assert!(lim.backend().state_bytes() > 0);
    }
}
