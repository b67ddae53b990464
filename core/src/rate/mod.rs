//! CPS rate limiting (§6): rate groups, the admission rule, clocks, backends and the limiter.

mod clock;
mod groups;
mod limiter;
mod window;

pub use clock::{Clock, ManualClock, MonotonicClock, Nanos, SECOND};
pub(crate) use groups::rate_groups_of;
pub use groups::{RateGroup, RateRow, group_key, rate_groups};
pub use limiter::{
    DEFAULT_MARGIN, Decision, GroupState, InProcessBackend, LimiterBackend, OrgRates, RateLimiter,
};
pub use window::{Admission, SlidingWindow};
