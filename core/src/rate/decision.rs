//! A limiter's decision and its wire form.

use std::time::Duration;

use super::clock::Nanos;
use crate::error::Result;

/// The margin of the limiters on the real clock (see [`RateLimiter::with_margin`](crate::rate::RateLimiter::with_margin)).
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(10);

/// A decision of [`RateLimiter::try_acquire`](crate::rate::RateLimiter::try_acquire) or [`RateLimiter::reserve`](crate::rate::RateLimiter::reserve).
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
    /// The decision of an admission made at `now`.
    pub(super) fn of(admission: super::window::Admission, now: Nanos) -> Decision {
        match admission {
            super::window::Admission::Admitted { at } => Decision::Admitted {
                wait: Duration::from_nanos(at - now),
                at,
            },
            super::window::Admission::Rejected { next } => Decision::Rejected {
                retry_after: Duration::from_nanos(next - now),
            },
        }
    }

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
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A rate-limit decision: admitted (dial after `waitMs`), or rejected (retry after
/// `retryAfterMs`). Milliseconds, rounded up.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Decision"))]
#[derive(serde::Serialize)]
#[serde(untagged)]
enum DecisionView {
    /// Admitted: dial after `waitMs`.
    #[serde(rename_all = "camelCase")]
    Admitted {
        /// `true`.
        admitted: Flag<true>,
        /// How long to wait before dialing, in milliseconds.
        wait_ms: u64,
    },
    /// Rejected: a call would be admitted after `retryAfterMs`.
    #[serde(rename_all = "camelCase")]
    Rejected {
        /// `false`.
        admitted: Flag<false>,
        /// How long until a call would be admitted, in milliseconds.
        retry_after_ms: u64,
    },
}

/// A boolean that its variant fixes (`admitted`): written as the boolean, typed as its
/// constant.
struct Flag<const B: bool>;

impl<const B: bool> serde::Serialize for Flag<B> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(B)
    }
}

#[cfg(feature = "schema")]
impl<const B: bool> schemars::JsonSchema for Flag<B> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        if B { "True" } else { "False" }.into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "boolean", "const": B})
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Decision {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decision".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        DecisionView::json_schema(generator)
    }
}

impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ms = |d: &Duration| d.as_nanos().div_ceil(1_000_000) as u64;
        match self {
            Decision::Admitted { wait, .. } => DecisionView::Admitted {
                admitted: Flag,
                wait_ms: ms(wait),
            },
            Decision::Rejected { retry_after } => DecisionView::Rejected {
                admitted: Flag,
                retry_after_ms: ms(retry_after),
            },
        }
        .serialize(s)
    }
}
