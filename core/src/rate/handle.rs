//! Decisions for one credential without looking it up on each call: a [`RateHandle`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::backend::GroupState;
use super::clock::Nanos;
use super::decision::Decision;
use super::limiter::RateLimiter;
use crate::error::{Error, Result};

/// One credential's place in a limiter, resolved once: its group's state and limit. A
/// dialer that places many calls on one trunk keeps a handle and decides through it
/// ([`RateLimiter::try_acquire_with`], [`RateLimiter::reserve_with`]), which skips finding the
/// org, reading the id and looking the credential and its group up on every call.
///
/// The decisions are those of [`RateLimiter::try_acquire`] on the same credential, in the
/// same windows: a handle shares its group's state with every other caller, and any change
/// the limiter learns (a new limit, another `cpsKey`, a removal, a reload) makes the handle
/// look its credential up again on its next call, under the same lock the change was made
/// under. A removed credential answers `not_found`, as its id would.
///
/// ```
/// use sipcreds::{ManualClock, RateLimiter, Registry};
/// use std::sync::Arc;
/// let reg = Registry::in_memory();
/// let c = reg.create_credential_json("acme", r#"{"server":"sip.example.com","cpsLimit":1}"#).unwrap();
/// let limiter = RateLimiter::in_process(Arc::new(ManualClock::new()));
/// limiter.set_org_credentials("acme", &reg.list_credentials("acme").unwrap()).unwrap();
/// let mut trunk = limiter.handle("acme", c.id.as_str()).unwrap();
/// assert!(limiter.try_acquire_with(&mut trunk).unwrap().is_admitted());
/// // The same window as the keyed call's.
/// assert!(!limiter.try_acquire("acme", c.id.as_str()).unwrap().is_admitted());
/// ```
#[derive(Debug, Clone)]
pub struct RateHandle {
    /// The limiter it was made by.
    limiter: u64,
    org: String,
    id: String,
    /// The limiter's change count when `state` and `limit` were read.
    generation: u64,
    state: Arc<dyn GroupState>,
    limit: u32,
}

impl RateHandle {
    /// The org.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The credential's id.
    pub fn credential_id(&self) -> &str {
        &self.id
    }
}

impl RateLimiter {
    /// A handle on a credential (see [`RateHandle`]); `not_found` as
    /// [`RateLimiter::try_acquire`] answers it.
    pub fn handle(&self, org: &str, credential_id: &str) -> Result<RateHandle> {
        let orgs = self.orgs()?;
        let generation = self.generation.load(Ordering::Relaxed);
        let (state, limit) = self.resolve(&orgs, org, credential_id)?;
        Ok(RateHandle {
            limiter: self.id,
            org: org.to_owned(),
            id: credential_id.to_owned(),
            generation,
            state,
            limit,
        })
    }

    /// [`RateLimiter::try_acquire`] through a handle.
    pub fn try_acquire_with(&self, handle: &mut RateHandle) -> Result<Decision> {
        self.decide_with(handle, 0)
    }

    /// [`RateLimiter::reserve`] through a handle.
    pub fn reserve_with(&self, handle: &mut RateHandle, max_wait: Duration) -> Result<Decision> {
        self.decide_with(handle, max_wait.as_nanos().min(u64::MAX as u128) as u64)
    }

    /// The hot path of a handle: the orgs' read lock (every change is made under its write
    /// lock, so none can land between the check and the decision), one counter compared, the
    /// group's own lock.
    fn decide_with(&self, handle: &mut RateHandle, max_wait: Nanos) -> Result<Decision> {
        if handle.limiter != self.id {
            return Err(Error::invalid(
                crate::ErrorCode::InvalidOption,
                "handle",
                "this rate handle was made by another limiter; make one with this limiter's handle()",
            ));
        }
        let orgs = self.orgs()?;
        let generation = self.generation.load(Ordering::Relaxed);
        if handle.generation != generation {
            let (state, limit) = self.resolve(&orgs, &handle.org, &handle.id)?;
            handle.state = state;
            handle.limit = limit;
            handle.generation = generation;
        }
        let now = self.now();
        let admission = handle
            .state
            .acquire(handle.limit, self.span(), now, max_wait)?;
        drop(orgs);
        Ok(Decision::of(admission, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::clock::ManualClock;
    use crate::{ErrorCode, Registry};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Acquire(usize),
        Reserve(usize, u64),
        Advance(u64),
        Limit(usize, Option<u32>),
        Key(usize, Option<&'static str>),
        Remove(usize),
        Reload,
    }

    fn op() -> impl Strategy<Value = Op> {
        let i = 0..4usize;
        prop_oneof![
            6 => i.clone().prop_map(Op::Acquire),
            2 => (i.clone(), 0..1500u64).prop_map(|(i, ms)| Op::Reserve(i, ms)),
            3 => (0..700u64).prop_map(Op::Advance),
            1 => (i.clone(), proptest::option::of(1..4u32)).prop_map(|(i, l)| Op::Limit(i, l)),
            1 => (i.clone(), proptest::option::of(prop_oneof![Just("k1"), Just("k2")])).prop_map(|(i, k)| Op::Key(i, k)),
            1 => i.prop_map(Op::Remove),
            1 => Just(Op::Reload),
        ]
    }

    fn outcome(r: Result<Decision>) -> std::result::Result<Decision, ErrorCode> {
        r.map_err(|e| e.code())
    }

    proptest! {
        /// Through handles or by id, two limiters fed the same changes decide the same, call
        /// for call: a handle never decides on a stale group or limit.
        #[test]
        fn handles_decide_as_ids_do(ops in proptest::collection::vec(op(), 1..80)) {
            let reg = Registry::in_memory();
            let ids: Vec<String> = (0..4)
                .map(|i| {
                    let body = format!(r#"{{"server":"t{i}.example.com","cpsLimit":2}}"#);
                    reg.create_credential_json("o", &body).unwrap().id.to_string()
                })
                .collect();
            let clock = ManualClock::new();
            let by_id = RateLimiter::in_process(Arc::new(clock.clone()));
            let by_handle = RateLimiter::in_process(Arc::new(clock.clone()));
            for lim in [&by_id, &by_handle] {
                lim.set_org_credentials("o", &reg.list_credentials("o").unwrap()).unwrap();
            }
            let mut handles: Vec<Option<RateHandle>> = vec![None; 4];
            let mut removed = [false; 4];
            let through_handle = |i: usize, wait: Option<Duration>, handles: &mut [Option<RateHandle>]| {
                if handles[i].is_none() {
                    match by_handle.handle("o", &ids[i]) {
                        Ok(h) => handles[i] = Some(h),
                        Err(e) => return Err(e.code()),
                    }
                }
                let h = handles[i].as_mut().unwrap();
                outcome(match wait {
                    None => by_handle.try_acquire_with(h),
                    Some(w) => by_handle.reserve_with(h, w),
                })
            };
            for op in ops {
                match op {
                    Op::Acquire(i) => {
                        let a = outcome(by_id.try_acquire("o", &ids[i]));
                        prop_assert_eq!(a, through_handle(i, None, &mut handles));
                    }
                    Op::Reserve(i, ms) => {
                        let w = Duration::from_millis(ms);
                        let a = outcome(by_id.reserve("o", &ids[i], w));
                        prop_assert_eq!(a, through_handle(i, Some(w), &mut handles));
                    }
                    Op::Advance(ms) => clock.advance(Duration::from_millis(ms)),
                    Op::Limit(i, l) => {
                        let body = format!(r#"{{"cpsLimit":{}}}"#, l.map_or("null".into(), |l| l.to_string()));
                        let c = reg.update_credential_json("o", &ids[i], &body).unwrap();
                        for lim in [&by_id, &by_handle] {
                            lim.upsert_credential(&c).unwrap();
                        }
                        removed[i] = false;
                    }
                    Op::Key(i, k) => {
                        let body = format!(r#"{{"cpsKey":{}}}"#, k.map_or("null".into(), |k| format!("\"{k}\"")));
                        let c = reg.update_credential_json("o", &ids[i], &body).unwrap();
                        for lim in [&by_id, &by_handle] {
                            lim.upsert_credential(&c).unwrap();
                        }
                        removed[i] = false;
                    }
                    Op::Remove(i) => {
                        for lim in [&by_id, &by_handle] {
                            lim.remove_credential("o", &ids[i]).unwrap();
                        }
                        removed[i] = true;
                    }
                    Op::Reload => {
                        let kept: Vec<_> = reg
                            .list_credentials("o")
                            .unwrap()
                            .into_iter()
                            .filter(|c| !ids.iter().zip(removed).any(|(id, r)| r && id == c.id.as_str()))
                            .collect();
                        for lim in [&by_id, &by_handle] {
                            lim.set_org_credentials("o", &kept).unwrap();
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_handle_is_for_its_own_limiter() {
        let reg = Registry::in_memory();
        let c = reg
            .create_credential_json("o", r#"{"server":"a.example.com"}"#)
            .unwrap();
        let a = RateLimiter::in_process(Arc::new(ManualClock::new()));
        let b = RateLimiter::in_process(Arc::new(ManualClock::new()));
        for lim in [&a, &b] {
            lim.set_org_credentials("o", &reg.list_credentials("o").unwrap())
                .unwrap();
        }
        let mut h = a.handle("o", c.id.as_str()).unwrap();
        let err = b.try_acquire_with(&mut h).unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            (ErrorCode::InvalidOption, Some("handle"))
        );
        assert_eq!(
            a.handle("o", "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV")
                .unwrap_err()
                .code(),
            ErrorCode::NotFound
        );
    }
}
