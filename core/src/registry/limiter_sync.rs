//! The registry's side of the CPS limiter: each org's rate groups loaded from the store on
//! its first decision, refreshed from the change counter, and updated under the org's lock
//! with every rate-changing commit, in commit order (§6); the decisions themselves.

use super::*;

/// When an org was last brought up to date in the limiter, and the store's change counter
/// of the org then.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    at: std::time::Instant,
    counter: Option<u64>,
}

/// What a refresh found.
pub(super) enum Refresh {
    Unchanged,
    Changes(RateChanges),
    Reload(OrgRates, Option<u64>),
}

/// An org's rates for the limiter, streamed from the store's rate rows.
pub(super) fn org_rates(tx: &dyn Tx, org: &Org) -> Result<OrgRates> {
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

impl Registry {
    /// The lock of an org's limiter view.
    pub(super) fn org_lock(&self, org: &str) -> &std::sync::Mutex<()> {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0x5ec5).hash_one(org);
        &self.limiter_sync[(h % LOCK_STRIPES as u64) as usize]
    }

    pub(super) fn lock_org(&self, org: &str) -> std::sync::MutexGuard<'_, ()> {
        self.org_lock(org).lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A write that changes the org's rate groups: the commit, then `limit` (the limiter's
    /// update, given what the commit returned), both under the org's lock. Two writers of one
    /// credential therefore reach the limiter in the order of their commits (§6: the limit
    /// that applies is the stored one). If the limiter cannot take the change, it forgets
    /// the org and loads it again from the store on the next call: the commit stands.
    pub(super) fn write_rated<R>(
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
    pub(super) fn limiter_upsert(&self, creds: &[Credential]) -> Result<()> {
        for c in creds {
            self.limiter.upsert_credential(c)?;
        }
        Ok(())
    }

    /// Tell the limiter about deleted credentials (the caller holds the org's lock).
    pub(super) fn limiter_remove(&self, org: &Org, ids: &[String]) -> Result<()> {
        for id in ids {
            self.limiter.remove_credential(org.as_str(), id)?;
        }
        Ok(())
    }

    /// The org's rates as the limiter holds them, streamed from the store (no row kept), and
    /// its change counter, read in one transaction.
    pub(super) fn read_rates(&self, org: &Org) -> Result<(OrgRates, Option<u64>)> {
        self.read(|tx| Ok((org_rates(tx, org)?, tx.change_counter(org)?)))
    }

    /// Make sure the limiter holds the org: loaded from the store on its first call and,
    /// with `limit_refresh`, brought up to date at most that often. A refresh reads the
    /// org's change counter (one indexed lookup) and, only when it moved, what changed since
    /// (or all the org's rate rows, when the store cannot say). Rate rows are three columns:
    /// no password is read or decrypted.
    pub(super) fn limiter_org(&self, org: &str) -> Result<()> {
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

    /// The org's rate groups (§6): key, members, effective limit.
    pub fn rate_groups(&self, org: &str) -> Result<Vec<RateGroup>> {
        let org = Org::parse(org)?;
        Ok(rate_groups(&self.read(|tx| tx.rate_rows(&org))?))
    }
}
