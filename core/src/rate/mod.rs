//! CPS rate limiting (§6): rate groups, the admission rule, clocks, backends and the limiter.

mod backend;
mod clock;
mod decision;
mod groups;
mod handle;
mod limiter;
mod window;

pub use backend::{GroupState, InProcessBackend, LimiterBackend};
pub use clock::{Clock, ManualClock, MonotonicClock, Nanos, SECOND};
pub use decision::{DEFAULT_MARGIN, Decision};
pub(crate) use groups::rate_groups_of;
pub use groups::{RateChanges, RateGroup, RateRow, group_key, rate_groups};
pub use handle::RateHandle;
pub use limiter::{OrgRates, RateLimiter};
pub use window::{Admission, SlidingWindow};
