//! Clocks: the real monotonic one, and a manual one for deterministic tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Nanoseconds on a monotonic clock with an arbitrary origin.
pub type Nanos = u64;

/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;

/// A monotonic clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in nanoseconds since the clock's origin. Never goes backwards.
    fn now(&self) -> Nanos;
}

/// The process's monotonic clock: the CPU's invariant time stamp counter through `quanta`
/// (the clock governor uses; a few nanoseconds a read), else the OS monotonic clock.
#[derive(Debug, Clone)]
pub struct MonotonicClock {
    clock: quanta::Clock,
    origin: u64,
}

/// One calibrated `quanta` clock for the process (calibration takes milliseconds).
fn shared_quanta() -> &'static quanta::Clock {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

impl MonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        let clock = shared_quanta().clone();
        let origin = clock.raw();
        MonotonicClock { clock, origin }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Nanos {
        // Starts at one second so that "one second before the first call" is representable.
        SECOND + self.clock.delta_as_nanos(self.origin, self.clock.raw())
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// ```
/// use sipcreds::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_millis(250));
/// assert_eq!(clock.now() - t0, 250_000_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at one second.
    pub fn new() -> Self {
        ManualClock {
            now: Arc::new(AtomicU64::new(SECOND)),
        }
    }

    /// Move forward.
    pub fn advance(&self, by: Duration) {
        self.now.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    /// Move to an absolute time (never backwards).
    pub fn set(&self, to: Nanos) {
        self.now.fetch_max(to, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Nanos {
        self.now.load(Ordering::SeqCst)
    }
}
