//! What the limiter holds of an org: each credential's rate group (its own, or the one of its
//! `cpsKey`) and the groups' limits.

use super::*;

/// A credential id as a map key: its 128-bit ULID as two words (16 bytes, 8-aligned: the map
/// entry with its [`Entry`] is 24 bytes).
pub(super) type IdKey = [u64; 2];

pub(super) fn id_key(id: &str) -> Option<IdKey> {
    let body = id.strip_prefix(CredentialId::PREFIX)?;
    // 26 characters, the first at most 7 (128 bits): the decoder would drop higher bits, and
    // another id would alias a stored one. (The rule of `CredentialId::parse`.)
    if body.len() != 26 || !matches!(body.as_bytes()[0], b'0'..=b'7') {
        return None;
    }
    let u = ulid::Ulid::from_string(body).ok()?.0;
    Some([(u >> 64) as u64, u as u64])
}

/// The canonical text of an id key (uppercase ULID), for group keys.
pub(super) fn id_text(k: IdKey) -> String {
    let u = (u128::from(k[0]) << 64) | u128::from(k[1]);
    format!("{}{}", CredentialId::PREFIX, ulid::Ulid(u))
}

/// A group of its own: the credential's id (`SOLO` in [`Entry::group`]).
pub(super) const SOLO: u32 = u32::MAX;

/// A credential as the limiter holds it: 8 bytes beside its 16-byte key. An idle credential
/// of its own group costs this entry and nothing else (its admission state is made on its
/// first call and dropped when idle).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// Its own `cpsLimit` (0: none set).
    pub(super) limit: u32,
    /// Its shared group (an index into [`OrgConfig::shared`]), or [`SOLO`].
    pub(super) group: u32,
}

/// A group of credentials sharing a `cpsKey`.
#[derive(Debug, Default)]
pub(super) struct SharedGroup {
    /// The `cpsKey`.
    pub(super) key: Box<str>,
    /// How many members set each limit (for the smallest).
    pub(super) limits: BTreeMap<u32, u32>,
    /// How many members it has.
    pub(super) members: u32,
    /// The group's state in the backend, made on its first call while it has members.
    pub(super) state: OnceLock<Arc<dyn GroupState>>,
}

impl Entry {
    /// The limit of a credential of its own group (`u32::MAX`: none set, still logged).
    pub(super) fn solo_limit(self) -> u32 {
        if self.limit == 0 {
            u32::MAX
        } else {
            self.limit
        }
    }
}

/// A credential's org, key and entry, if the limiter holds it.
#[inline]
pub(super) fn entry<'o>(
    orgs: &'o HashMap<String, OrgConfig, RandomState>,
    org: &str,
    id: &str,
) -> Option<(&'o OrgConfig, IdKey, Entry)> {
    let k = id_key(id)?;
    let config = orgs.get(org)?;
    Some((config, k, *config.credentials.get(&k)?))
}

impl SharedGroup {
    pub(super) fn limit(&self) -> Option<u32> {
        self.limits.keys().next().copied()
    }
}

/// The limiter's view of one org.
#[derive(Debug, Default)]
pub(in crate::rate) struct OrgConfig {
    /// credential → its limit and group.
    pub(super) credentials: HashMap<IdKey, Entry, RandomState>,
    /// The groups of a `cpsKey` (kept when they lose their last member, so a key used again
    /// finds its slot; a reload drops them).
    pub(super) shared: Vec<SharedGroup>,
    pub(super) shared_by_key: HashMap<Box<str>, u32, RandomState>,
    /// The admission state of the credentials of their own group that were called lately.
    pub(super) solo: RwLock<HashMap<IdKey, Arc<dyn GroupState>, RandomState>>,
    /// Sweep `solo` of idle states when it grows past this.
    pub(super) solo_sweep_at: AtomicUsize,
}

/// How many solo states an org holds before the first sweep of idle ones.
pub(super) const SOLO_SWEEP_MIN: usize = 1024;

impl OrgConfig {
    pub(super) fn new(capacity: usize) -> OrgConfig {
        OrgConfig {
            credentials: HashMap::with_capacity_and_hasher(capacity, RandomState::default()),
            solo_sweep_at: AtomicUsize::new(SOLO_SWEEP_MIN),
            ..OrgConfig::default()
        }
    }

    /// Add a credential, or move it to its new group and limit.
    pub(super) fn upsert(&mut self, id: IdKey, limit: Option<u32>, cps_key: Option<&str>) {
        self.remove(id);
        let limit = limit.unwrap_or(0);
        let group = match cps_key {
            None => SOLO,
            Some(k) => {
                let g = match self.shared_by_key.get(k) {
                    Some(&g) => g,
                    None => {
                        self.shared.push(SharedGroup {
                            key: k.into(),
                            ..SharedGroup::default()
                        });
                        let g = (self.shared.len() - 1) as u32;
                        self.shared_by_key.insert(k.into(), g);
                        g
                    }
                };
                let s = &mut self.shared[g as usize];
                s.members += 1;
                if limit > 0 {
                    *s.limits.entry(limit).or_default() += 1;
                }
                g
            }
        };
        self.credentials.insert(id, Entry { limit, group });
    }

    /// Remove a credential: its shared group loses a member (its state stays in the backend
    /// while it constrains, for a credential re-keyed back into it within the second).
    pub(super) fn remove(&mut self, id: IdKey) -> bool {
        let Some(old) = self.credentials.remove(&id) else {
            return false;
        };
        if let Some(s) = self.shared.get_mut(old.group as usize) {
            s.members = s.members.saturating_sub(1);
            if old.limit > 0
                && let Some(n) = s.limits.get_mut(&old.limit)
            {
                *n -= 1;
                if *n == 0 {
                    s.limits.remove(&old.limit);
                }
            }
            if s.members == 0 {
                s.state.take();
            }
        }
        true
    }

    /// Drop the solo states of credentials idle for a window (their history no longer
    /// constrains anything; the backend forgets them on its own sweep).
    pub(super) fn sweep_solo(&self, now: Nanos, span: Nanos) {
        let Ok(mut solo) = self.solo.write() else {
            return;
        };
        solo.retain(|k, s| {
            !s.idle(now, span) && self.credentials.get(k).is_some_and(|e| e.group == SOLO)
        });
        self.solo_sweep_at
            .store((solo.len() * 2).max(SOLO_SWEEP_MIN), Ordering::Relaxed);
    }
}

/// The rate fields of an org's credentials gathered one at a time, for
/// [`RateLimiter::set_org`]: what a store streams ([`crate::Tx::each_rate_row`]) becomes the
/// limiter's compact view at once (24 bytes a credential), with no row kept on the way.
#[derive(Debug, Default)]
pub struct OrgRates {
    pub(super) config: OrgConfig,
}

impl OrgRates {
    /// Room for `n` credentials.
    pub fn with_capacity(n: usize) -> OrgRates {
        OrgRates {
            config: OrgConfig::new(n),
        }
    }

    /// Add a credential's rate fields (`cps_limit`: its `cpsLimit`; `cps_key`: its
    /// `cpsKey`). False (nothing added) when `id` is not a credential id.
    pub fn add(&mut self, id: &str, cps_limit: Option<u32>, cps_key: Option<&str>) -> bool {
        let Some(k) = id_key(id) else {
            return false;
        };
        self.config.upsert(k, cps_limit, cps_key);
        true
    }

    /// How many credentials were added.
    pub fn len(&self) -> usize {
        self.config.credentials.len()
    }

    /// True when none was.
    pub fn is_empty(&self) -> bool {
        self.config.credentials.is_empty()
    }
}
