//! Health over time (§13) in the registry: the reads and steering every surface offers
//! (`health`, `health_list`, `health_events`, `pause`, `resume`), and the one transaction a
//! monitor runs each round (record the results, claim the due credentials under leases).

use std::time::Duration;

use time::OffsetDateTime;

use super::{Lease, Page, Paged, Registry, Tx, not_found_credential, now, require_credential};
use crate::credential::{Credential, CredentialInput};
use crate::error::Result;
use crate::health::{HealthEvent, HealthRecord, HealthRow, HealthState, ProbeResult, Thresholds};
use crate::health::{from_unix_ms, unix_ms};
use crate::values::{CredentialId, Org};

/// A credential the monitor is to probe now, under its lease.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The credential (with its password: the probe sends it).
    pub credential: Credential,
    /// Its health record before the probe.
    pub record: HealthRecord,
}

/// A probe's result for [`Registry::health_record_results`].
#[derive(Debug, Clone)]
pub struct Probed {
    /// The credential's org.
    pub org: Org,
    /// The credential.
    pub id: CredentialId,
    /// The version that was probed (a result for an older one is not counted).
    pub version: u64,
    /// What the probe found.
    pub result: ProbeResult,
}

/// The transitions of a round, each with its org.
pub type Transitions = Vec<(Org, HealthEvent)>;

/// A monitor's round ([`Registry::health_round`]).
#[derive(Debug, Clone, Copy)]
pub struct Round<'a> {
    /// The instance (its lease owner name).
    pub owner: &'a str,
    /// The orgs it watches (`None`: every org).
    pub orgs: Option<&'a [Org]>,
    /// Now.
    pub now: OffsetDateTime,
    /// Claim the credentials due by then (`now`; later for `monitor --once`).
    pub due_by: OffsetDateTime,
    /// How long a claimed lease lasts.
    pub lease: Duration,
    /// How many credentials to claim at most (0: record only). A round gives a first record
    /// to up to `max(claim, 10,000)` credentials that have none.
    pub claim: usize,
    /// The state machine's thresholds.
    pub thresholds: Thresholds,
    /// How long after `nextProbeAt` the instance keeps its lease.
    pub grace: Duration,
}

/// How many credentials with no record a round gives one, at least (so that a monitor
/// starting on a large store spreads them all over its first interval).
const FRESH_PER_ROUND: usize = 10_000;

fn millis(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

/// The orgs a round looks at, one query each (`[None]`: every org in one).
fn scopes<'a>(round: &Round<'a>) -> Vec<Option<&'a Org>> {
    match round.orgs {
        Some(orgs) => orgs.iter().map(Some).collect(),
        None => vec![None],
    }
}

fn record_in(
    tx: &mut dyn Tx,
    round: &Round<'_>,
    results: &[Probed],
    next_at: &mut dyn FnMut(&HealthRecord) -> Option<OffsetDateTime>,
) -> Result<Vec<(Org, HealthEvent)>> {
    let mut out = Vec::new();
    for p in results {
        let Some(mut row) = tx.health(&p.org, &p.id)? else {
            continue;
        };
        if row.version != p.version
            || !row.record.state.probed()
            || row.lease.as_ref().is_some_and(|(o, _)| o != round.owner)
        {
            continue;
        }
        let event = row.record.apply(&p.result, round.thresholds);
        row.record.next_probe_at = next_at(&row.record);
        row.lease = row.record.next_probe_at.map(|n| {
            (
                round.owner.to_owned(),
                unix_ms(n).saturating_add(millis(round.grace)),
            )
        });
        tx.put_health(&p.org, &row, event.as_slice())?;
        out.extend(event.map(|e| (p.org.clone(), e)));
    }
    Ok(out)
}

fn claim_in(
    tx: &mut dyn Tx,
    round: &Round<'_>,
    due_of: &mut dyn FnMut(&Org, OffsetDateTime) -> OffsetDateTime,
) -> Result<Vec<Claim>> {
    let now = unix_ms(round.now);
    let lease = Lease {
        owner: round.owner,
        now,
        due_by: unix_ms(round.due_by),
        until: now.saturating_add(millis(round.lease)),
    };
    let mut fresh = Vec::new();
    let mut due = Vec::new();
    for org in scopes(round) {
        fresh.extend(tx.unmonitored(org, round.claim.max(FRESH_PER_ROUND))?);
        due.extend(tx.health_due(org, &lease, round.claim)?);
    }
    fresh.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (org, id, version, written) in fresh {
        let at = due_of(&org, from_unix_ms(written));
        let row = HealthRow {
            record: HealthRecord::unknown(id.clone(), from_unix_ms(written), Some(at)),
            version,
            lease: None,
        };
        if tx.insert_health(&org, &row)? && unix_ms(at) <= lease.due_by {
            due.push((org, id));
        }
    }
    // The soonest due first (each scope's answer is in due order, the new ones due now after
    // them), then in org order, so that two instances never wait for each other's org locks.
    due.truncate(round.claim);
    due.sort();
    let mut claims = Vec::with_capacity(due.len());
    for (org, id) in due {
        if !tx.take_lease(&org, &id, &lease)? {
            continue;
        }
        let (Some(credential), Some(row)) = (tx.credential(&org, &id)?, tx.health(&org, &id)?)
        else {
            continue;
        };
        claims.push(Claim {
            credential,
            record: row.record,
        });
    }
    Ok(claims)
}

/// Whether an update changed what a probe uses (`server`, `transport`, `authUser`,
/// `authPassword`, `domain`).
pub(crate) fn probe_fields_changed(a: &CredentialInput, b: &CredentialInput) -> bool {
    a.server != b.server || a.transport != b.transport || a.auth != b.auth || a.domain != b.domain
}

/// After an update in the same transaction: a record whose probe fields changed is `unknown`
/// again and due now (a `paused` one stays paused), with an event; the record follows the new
/// version either way.
pub(crate) fn after_update(tx: &mut dyn Tx, before: &Credential, after: &Credential) -> Result<()> {
    let Some(mut row) = tx.health(&after.org, &after.id)? else {
        return Ok(());
    };
    let changed = probe_fields_changed(&before.input, &after.input);
    row.version = after.version;
    let mut events = Vec::new();
    if changed && row.record.state != HealthState::Paused {
        let t = now();
        events.extend(row.record.set(HealthState::Unknown, t, Some(t)));
        row.lease = None;
    }
    tx.put_health(&after.org, &row, &events)
}

fn default_record(c: &Credential) -> HealthRecord {
    HealthRecord::unknown(c.id.clone(), c.updated_at, None)
}

fn records_for(tx: &dyn Tx, org: &Org, creds: &[Credential]) -> Result<Vec<HealthRecord>> {
    let ids: Vec<CredentialId> = creds.iter().map(|c| c.id.clone()).collect();
    let mut rows: std::collections::HashMap<CredentialId, HealthRecord> = tx
        .health_of(org, &ids)?
        .into_iter()
        .map(|r| (r.record.credential_id.clone(), r.record))
        .collect();
    Ok(creds
        .iter()
        .map(|c| rows.remove(&c.id).unwrap_or_else(|| default_record(c)))
        .collect())
}

impl Registry {
    /// A credential's health record (§13); `unknown` when it was never probed.
    pub fn health(&self, org: &str, id: &str) -> Result<HealthRecord> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| {
            let c = require_credential(tx, &org, &id, "id")?;
            Ok(match tx.health(&org, &id)? {
                Some(row) => row.record,
                None => default_record(&c),
            })
        })
    }

    /// A page of the org's health records, one per credential, in credential id order.
    pub fn health_list(&self, org: &str, page: &Page) -> Result<Paged<HealthRecord>> {
        self.read_page(
            org,
            page,
            "a credential id (cred_…)",
            |a| CredentialId::parse(a, "after"),
            |tx, org, after, n| records_for(tx, org, &tx.credentials_after(org, after, n)?),
            |r| r.credential_id.to_string(),
        )
    }

    /// The health records of some credentials of an org (read together: what a list of
    /// credentials shows beside each), in their order; `unknown` for one never probed.
    pub fn health_for(&self, org: &str, credentials: &[Credential]) -> Result<Vec<HealthRecord>> {
        let org = Org::parse(org)?;
        self.read(|tx| records_for(tx, &org, credentials))
    }

    /// A credential's last transitions (at most [`crate::EVENTS_KEPT`]), oldest first.
    pub fn health_events(&self, org: &str, id: &str) -> Result<Vec<HealthEvent>> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| {
            if !tx.credential_exists(&org, &id)? {
                return Err(not_found_credential(&id, "id"));
            }
            tx.health_events(&org, &id)
        })
    }

    /// Stop probing a credential: `paused` until [`Registry::resume`].
    pub fn pause(&self, org: &str, id: &str) -> Result<HealthRecord> {
        self.steer(org, id, HealthState::Paused)
    }

    /// Probe a credential again (a `paused` or `rejected` one too): `unknown`, due now.
    pub fn resume(&self, org: &str, id: &str) -> Result<HealthRecord> {
        self.steer(org, id, HealthState::Unknown)
    }

    fn steer(&self, org: &str, id: &str, to: HealthState) -> Result<HealthRecord> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.write(|tx| {
            let c = require_credential(tx, &org, &id, "id")?;
            let mut row = tx.health(&org, &id)?.unwrap_or_else(|| HealthRow {
                record: default_record(&c),
                version: c.version,
                lease: None,
            });
            let t = now();
            let due = (to == HealthState::Unknown).then_some(t);
            let event = row.record.set(to, t, due);
            row.lease = None;
            tx.put_health(&org, &row, event.as_slice())?;
            Ok(row.record)
        })
    }

    /// One round of a monitor, in one write transaction: count the results of the probes
    /// that ended since the last round (§13; a result for a credential deleted, changed or
    /// paused meanwhile, or whose lease went to another instance, is not counted) and schedule
    /// each credential's next probe at `next_at(record)`, keeping its lease until then plus
    /// the grace; then give the credentials that have no record yet one (`unknown`, due at
    /// `due_of(org, last written)`), and take the lease of up to `round.claim` credentials due
    /// by `round.due_by`. Answers the transitions (with their orgs) and the claims.
    pub fn health_round(
        &self,
        round: &Round<'_>,
        mut results: Vec<Probed>,
        next_at: &mut dyn FnMut(&HealthRecord) -> Option<OffsetDateTime>,
        due_of: &mut dyn FnMut(&Org, OffsetDateTime) -> OffsetDateTime,
    ) -> Result<(Transitions, Vec<Claim>)> {
        // Orgs in one order, so that two instances never wait for each other's org locks.
        results.sort_by(|a, b| (&a.org, &a.id).cmp(&(&b.org, &b.id)));
        self.write(|tx| {
            let events = record_in(tx, round, &results, next_at)?;
            let claims = if round.claim > 0 {
                claim_in(tx, round, due_of)?
            } else {
                Vec::new()
            };
            Ok((events, claims))
        })
    }

    /// [`Registry::health_round`] that only claims.
    pub fn health_claim(
        &self,
        round: &Round<'_>,
        due_of: &mut dyn FnMut(&Org, OffsetDateTime) -> OffsetDateTime,
    ) -> Result<Vec<Claim>> {
        Ok(self
            .health_round(round, Vec::new(), &mut |_| None, due_of)?
            .1)
    }

    /// [`Registry::health_round`] that only records.
    pub fn health_record_results(
        &self,
        round: &Round<'_>,
        results: Vec<Probed>,
        next_at: &mut dyn FnMut(&HealthRecord) -> Option<OffsetDateTime>,
    ) -> Result<Vec<(Org, HealthEvent)>> {
        let round = Round { claim: 0, ..*round };
        Ok(self
            .health_round(&round, results, next_at, &mut |_, t| t)?
            .0)
    }

    /// How many credentials (with a record) are in each state, across every org: what
    /// `/metrics` shows.
    pub fn health_state_counts(&self) -> Result<Vec<(HealthState, u64)>> {
        let counts = self.read(|tx| tx.health_state_counts())?;
        Ok(counts
            .into_iter()
            .filter_map(|(s, n)| Some((HealthState::parse(&s)?, n)))
            .collect())
    }

    /// Give up every lease `owner` holds (a monitor that stops).
    pub fn release_health_leases(&self, owner: &str) -> Result<()> {
        self.write(|tx| tx.release_leases(owner))
    }
}
