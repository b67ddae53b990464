//! Where admission state lives: the backend trait, a group's state handle, and the
//! in-process backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use foldhash::quality::RandomState;

use super::clock::Nanos;
use super::limiter::poisoned;
use super::window::{Admission, SlidingWindow};
use crate::error::{Error, Result};

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
    /// True when no admission of the last `span` before `now` (nor one booked later) is
    /// held here, so the limiter may drop this handle. The default, true, suits a handle on
    /// state kept elsewhere (a shared store): dropping it loses nothing.
    fn idle(&self, _now: Nanos, _span: Nanos) -> bool {
        true
    }
}

/// The in-process state of a group: its window log behind a mutex.
#[derive(Debug, Default)]
pub(super) struct LocalGroup(Mutex<SlidingWindow>);

impl GroupState for LocalGroup {
    fn acquire(&self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Result<Admission> {
        let mut w = self
            .0
            .lock()
            .map_err(|_| Error::storage("the rate limiter state is poisoned"))?;
        Ok(w.acquire(limit, span, now, max_wait))
    }

    fn idle(&self, now: Nanos, span: Nanos) -> bool {
        self.0
            .lock()
            .map_or(true, |w| w.last().is_none_or(|t| t + span <= now))
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
