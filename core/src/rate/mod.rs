//! CPS rate limiting (§6): rate groups, the admission rule, clocks, backends and the limiter.

mod clock;
mod groups;
mod limiter;
mod window;

pub use clock::{Clock, ManualClock, MonotonicClock, Nanos, SECOND};
pub use groups::{RateGroup, rate_groups};
pub use limiter::{
    DEFAULT_MARGIN, Decision, GroupState, InProcessBackend, LimiterBackend, RateLimiter,
};
pub use window::{Admission, SlidingWindow};
