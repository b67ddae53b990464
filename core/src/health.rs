//! Health over time (§13): the record the monitor keeps per credential, its transitions and
//! the schedule, as pure functions of a probe's outcome. The monitor that probes lives in
//! `sipcreds-probe`; this is the part every surface reads and the store keeps.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::credential::{serialize_optional_timestamp, serialize_timestamp};
use crate::error::{Error, ErrorCode, Result};
use crate::values::CredentialId;

/// A credential's health.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Never probed, or changed since its last probe.
    Unknown,
    /// Answering, and (when it has credentials) accepting them.
    Up,
    /// Answering but refusing load, or failed fewer than `downAfter` times in a row.
    Degraded,
    /// `downAfter` hard failures in a row.
    Down,
    /// Its credentials were refused: not probed again until it changes or is resumed.
    Rejected,
    /// Paused by a user: not probed.
    Paused,
}

impl HealthState {
    /// Every state, in the table's order.
    pub const ALL: [HealthState; 6] = [
        HealthState::Unknown,
        HealthState::Up,
        HealthState::Degraded,
        HealthState::Down,
        HealthState::Rejected,
        HealthState::Paused,
    ];

    /// Its wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            HealthState::Unknown => "unknown",
            HealthState::Up => "up",
            HealthState::Degraded => "degraded",
            HealthState::Down => "down",
            HealthState::Rejected => "rejected",
            HealthState::Paused => "paused",
        }
    }

    /// The state of a wire name.
    pub fn parse(s: &str) -> Option<HealthState> {
        HealthState::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// Whether the monitor probes a credential in this state.
    pub const fn probed(self) -> bool {
        !matches!(self, HealthState::Rejected | HealthState::Paused)
    }
}

impl std::fmt::Display for HealthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a probe's outcome counts (§13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeClass {
    /// `ok`, `reachable`.
    Success,
    /// `overloaded`, `rate_limited`: the trunk answers but refuses load.
    Soft,
    /// No usable answer: `timeout`, `connection_refused`, ... `invalid_response`.
    Hard,
    /// `auth_rejected`, `forbidden`, `realm_mismatch`.
    Credentials,
}

impl OutcomeClass {
    /// The class of a probe outcome's code (§12); `None` for a code that is not one.
    pub fn of(outcome: &str) -> Option<OutcomeClass> {
        Some(match outcome {
            "ok" | "reachable" => OutcomeClass::Success,
            "overloaded" | "rate_limited" => OutcomeClass::Soft,
            "timeout"
            | "connection_refused"
            | "connection_closed"
            | "host_unreachable"
            | "dns_failure"
            | "tls_handshake_failed"
            | "server_error"
            | "invalid_response" => OutcomeClass::Hard,
            "auth_rejected" | "forbidden" | "realm_mismatch" => OutcomeClass::Credentials,
            _ => return None,
        })
    }

    /// Whether it counts as a failure.
    pub const fn failure(self) -> bool {
        !matches!(self, OutcomeClass::Success)
    }
}

/// What the monitor learned from one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The outcome's code (§12), e.g. `ok`, `timeout`.
    pub outcome: String,
    /// The last SIP status seen, if any.
    pub status: Option<u16>,
    /// Its reason phrase, if any.
    pub reason: Option<String>,
    /// The round trip of the last exchange, if any.
    pub rtt_ms: Option<u64>,
    /// When the probe started.
    pub at: OffsetDateTime,
}

/// The thresholds of the state machine (§13 `upAfter`, `downAfter`: 1 to 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Successes in a row that make a `degraded` or `down` credential `up` (default 2).
    pub up_after: u32,
    /// Hard failures in a row that make a credential `down` (default 3).
    pub down_after: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            up_after: 2,
            down_after: 3,
        }
    }
}

impl Thresholds {
    /// Checked: each 1 to 10, else `invalid_option` naming it.
    pub fn new(up_after: u32, down_after: u32) -> Result<Thresholds> {
        for (field, v) in [("upAfter", up_after), ("downAfter", down_after)] {
            if !(1..=10).contains(&v) {
                return Err(Error::invalid(
                    ErrorCode::InvalidOption,
                    field,
                    format!("{field} must be 1 to 10, not {v}"),
                ));
            }
        }
        Ok(Thresholds {
            up_after,
            down_after,
        })
    }
}

/// A credential's health record (§13): the same JSON on every surface.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthRecord {
    /// The credential.
    pub credential_id: CredentialId,
    /// Its state.
    pub state: HealthState,
    /// When the state began.
    #[serde(serialize_with = "serialize_timestamp")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub since: OffsetDateTime,
    /// When it was last probed (`null`: not since it changed).
    #[serde(serialize_with = "serialize_optional_timestamp")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::credential::Timestamp>")
    )]
    pub last_probe_at: Option<OffsetDateTime>,
    /// When it is due (`null`: not scheduled, as when `paused` or `rejected`).
    #[serde(serialize_with = "serialize_optional_timestamp")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::credential::Timestamp>")
    )]
    pub next_probe_at: Option<OffsetDateTime>,
    /// Failures of one kind (hard, soft or credentials) in a row, up to the last probe.
    pub consecutive_failures: u32,
    /// Successes in a row, up to the last probe.
    pub consecutive_successes: u32,
    /// The last probe's outcome code.
    pub last_outcome: Option<String>,
    /// The last SIP status seen.
    pub last_status: Option<u16>,
    /// Its reason phrase.
    pub last_reason: Option<String>,
    /// The last round trip, in milliseconds.
    pub last_rtt_ms: Option<u64>,
    /// Probes since the state began (the one that began it included).
    pub probes: u64,
    /// Failures among them.
    pub failures: u64,
}

/// A transition, kept as an event (the last [`EVENTS_KEPT`] per credential).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEvent {
    /// When.
    #[serde(serialize_with = "serialize_timestamp")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub at: OffsetDateTime,
    /// The credential.
    pub credential_id: CredentialId,
    /// The state before.
    pub from: HealthState,
    /// The state after.
    pub to: HealthState,
    /// The probe outcome that made it (`null`: a change, a pause or a resume).
    pub outcome: Option<String>,
    /// Its SIP status.
    pub status: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
}

/// How many events a credential keeps.
pub const EVENTS_KEPT: usize = 100;

impl HealthRecord {
    /// The record of a credential never probed: `unknown` since `now`, due at `due`.
    pub fn unknown(id: CredentialId, now: OffsetDateTime, due: Option<OffsetDateTime>) -> Self {
        HealthRecord {
            credential_id: id,
            state: HealthState::Unknown,
            since: now,
            last_probe_at: None,
            next_probe_at: due,
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_outcome: None,
            last_status: None,
            last_reason: None,
            last_rtt_ms: None,
            probes: 0,
            failures: 0,
        }
    }

    /// The §13 JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Count a probe's result and make the transition it calls for (§13); the event when the
    /// state changed. A `paused` or `rejected` record is left as it is (it is not probed), as
    /// is one given an outcome code that is not one.
    pub fn apply(&mut self, r: &ProbeResult, t: Thresholds) -> Option<HealthEvent> {
        let class = OutcomeClass::of(&r.outcome)?;
        if !self.state.probed() {
            return None;
        }
        let previous = self.last_outcome.as_deref().and_then(OutcomeClass::of);
        if class.failure() {
            self.consecutive_successes = 0;
            self.consecutive_failures = if previous == Some(class) {
                self.consecutive_failures.saturating_add(1)
            } else {
                1
            };
        } else {
            self.consecutive_failures = 0;
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
        }
        let from = self.state;
        let to = match (class, from) {
            (OutcomeClass::Credentials, _) => HealthState::Rejected,
            (OutcomeClass::Success, HealthState::Unknown) => HealthState::Up,
            (OutcomeClass::Success, _) if self.consecutive_successes >= t.up_after => {
                HealthState::Up
            }
            (OutcomeClass::Hard, _) if self.consecutive_failures >= t.down_after => {
                HealthState::Down
            }
            (OutcomeClass::Hard | OutcomeClass::Soft, HealthState::Up | HealthState::Unknown) => {
                HealthState::Degraded
            }
            (_, s) => s,
        };
        self.last_probe_at = Some(r.at);
        self.last_outcome = Some(r.outcome.clone());
        self.last_status = r.status;
        self.last_reason = r.reason.clone();
        self.last_rtt_ms = r.rtt_ms;
        if to == from {
            self.probes = self.probes.saturating_add(1);
            self.failures = self.failures.saturating_add(u64::from(class.failure()));
            return None;
        }
        self.state = to;
        self.since = r.at;
        self.probes = 1;
        self.failures = u64::from(class.failure());
        if to == HealthState::Rejected {
            self.next_probe_at = None;
        }
        Some(HealthEvent {
            at: r.at,
            credential_id: self.credential_id.clone(),
            from,
            to,
            outcome: Some(r.outcome.clone()),
            status: r.status,
            reason: r.reason.clone(),
        })
    }

    /// Move to `to` without a probe (a change of the credential, a pause, a resume): the
    /// counters start again; the event, unless it was already there.
    pub fn set(
        &mut self,
        to: HealthState,
        now: OffsetDateTime,
        due: Option<OffsetDateTime>,
    ) -> Option<HealthEvent> {
        let from = self.state;
        *self = HealthRecord {
            last_probe_at: if to == HealthState::Unknown {
                None
            } else {
                self.last_probe_at
            },
            last_outcome: self.last_outcome.take(),
            last_status: self.last_status,
            last_reason: self.last_reason.take(),
            last_rtt_ms: self.last_rtt_ms,
            state: to,
            ..HealthRecord::unknown(self.credential_id.clone(), now, due)
        };
        (from != to).then(|| HealthEvent {
            at: now,
            credential_id: self.credential_id.clone(),
            from,
            to,
            outcome: None,
            status: None,
            reason: None,
        })
    }

    /// The delay before the next probe, before jitter (§13): `interval`; while `down`, doubled
    /// for each failure since it went down (the one that made it down included), up to
    /// `max_interval`; none while `paused` or `rejected`.
    pub fn next_delay(
        &self,
        interval: std::time::Duration,
        max_interval: std::time::Duration,
    ) -> Option<std::time::Duration> {
        match self.state {
            HealthState::Paused | HealthState::Rejected => None,
            HealthState::Down => {
                let doublings = self.failures.min(20) as u32;
                Some(
                    interval
                        .saturating_mul(1u32 << doublings)
                        .min(max_interval.max(interval)),
                )
            }
            _ => Some(interval),
        }
    }
}

/// A health record as a store keeps it: the record, the credential version it describes
/// (a probe of an older version is not counted), and the probing lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRow {
    /// The record.
    pub record: HealthRecord,
    /// The credential's `version` the record describes.
    pub version: u64,
    /// The instance probing it, and until when (unix milliseconds) it holds the lease.
    pub lease: Option<(String, i64)>,
}

/// Unix milliseconds of a time.
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The time of unix milliseconds (out of range: the epoch).
pub fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The stored form of a record or event: JSON with times in unix milliseconds (exact, unlike
/// the wire's whole seconds).
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    s: HealthState,
    since: i64,
    lp: Option<i64>,
    np: Option<i64>,
    cf: u32,
    cs: u32,
    o: Option<String>,
    st: Option<u16>,
    r: Option<String>,
    rtt: Option<u64>,
    p: u64,
    f: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredEvent {
    at: i64,
    from: HealthState,
    to: HealthState,
    o: Option<String>,
    st: Option<u16>,
    r: Option<String>,
}

fn corrupt(what: &str) -> Error {
    Error::storage(format!("corrupt health {what} in the store"))
}

impl HealthRecord {
    /// The record as a store keeps it (JSON text).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&StoredRecord {
            s: self.state,
            since: unix_ms(self.since),
            lp: self.last_probe_at.map(unix_ms),
            np: self.next_probe_at.map(unix_ms),
            cf: self.consecutive_failures,
            cs: self.consecutive_successes,
            o: self.last_outcome.clone(),
            st: self.last_status,
            r: self.last_reason.clone(),
            rtt: self.last_rtt_ms,
            p: self.probes,
            f: self.failures,
        })
        .unwrap_or_default()
    }

    /// A record back from [`HealthRecord::to_stored`]'s text.
    pub fn from_stored(id: CredentialId, text: &str) -> Result<HealthRecord> {
        let s: StoredRecord = serde_json::from_str(text).map_err(|_| corrupt("record"))?;
        Ok(HealthRecord {
            credential_id: id,
            state: s.s,
            since: from_unix_ms(s.since),
            last_probe_at: s.lp.map(from_unix_ms),
            next_probe_at: s.np.map(from_unix_ms),
            consecutive_failures: s.cf,
            consecutive_successes: s.cs,
            last_outcome: s.o,
            last_status: s.st,
            last_reason: s.r,
            last_rtt_ms: s.rtt,
            probes: s.p,
            failures: s.f,
        })
    }
}

impl HealthEvent {
    /// The §13 JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The event as a store keeps it (JSON text).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&StoredEvent {
            at: unix_ms(self.at),
            from: self.from,
            to: self.to,
            o: self.outcome.clone(),
            st: self.status,
            r: self.reason.clone(),
        })
        .unwrap_or_default()
    }

    /// An event back from [`HealthEvent::to_stored`]'s text.
    pub fn from_stored(id: CredentialId, text: &str) -> Result<HealthEvent> {
        let s: StoredEvent = serde_json::from_str(text).map_err(|_| corrupt("event"))?;
        Ok(HealthEvent {
            at: from_unix_ms(s.at),
            credential_id: id,
            from: s.from,
            to: s.to,
            outcome: s.o,
            status: s.st,
            reason: s.r,
        })
    }
}

#[cfg(test)]
mod tests;
