//! Health over time (§13) in the registry: the reads and steering every surface offers
//! (`health`, `health_list`, `health_events`, `pause`, `resume`), and the two transactions
//! the monitor runs (claim the due credentials with their leases; record the results).

use std::time::Duration;

use time::OffsetDateTime;

use super::{Page, Paged, Registry, Tx, not_found_credential, now, require_credential};
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
        let org = Org::parse(org)?;
        let after = page.cursor("a credential id (cred_…)", |a| {
            CredentialId::parse(a, "after")
        })?;
        let n = page.limit();
        let items = self.read(|tx| {
            let creds = tx.credentials_after(&org, after.as_ref(), n + 1)?;
            let ids: Vec<CredentialId> = creds.iter().map(|c| c.id.clone()).collect();
            let mut rows: std::collections::HashMap<CredentialId, HealthRecord> = tx
                .health_of(&org, &ids)?
                .into_iter()
                .map(|r| (r.record.credential_id.clone(), r.record))
                .collect();
            Ok(creds
                .iter()
                .map(|c| rows.remove(&c.id).unwrap_or_else(|| default_record(c)))
                .collect::<Vec<_>>())
        })?;
        Ok(Paged::from_lookahead(items, n, |r| {
            r.credential_id.to_string()
        }))
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

    /// The monitor's first transaction of a round: give the credentials that have no record
    /// yet one (`unknown`, due at `due_of(org, last written)`, up to `n` of them), then take
    /// the lease of up to `n` credentials due by `due_by` for `owner` until `now + lease`, and
    /// answer them with their records. One write transaction.
    pub fn health_claim(
        &self,
        owner: &str,
        now: OffsetDateTime,
        due_by: OffsetDateTime,
        lease: Duration,
        n: usize,
        due_of: &mut dyn FnMut(&Org, OffsetDateTime) -> OffsetDateTime,
    ) -> Result<Vec<Claim>> {
        let (now_ms, due_ms) = (unix_ms(now), unix_ms(due_by));
        let until = now_ms.saturating_add(lease.as_millis().min(i64::MAX as u128) as i64);
        self.write(|tx| {
            let mut fresh = tx.unmonitored(n)?;
            fresh.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            for (org, id, version, written) in fresh {
                let due = due_of(&org, from_unix_ms(written));
                let row = HealthRow {
                    record: HealthRecord::unknown(id, from_unix_ms(written), Some(due)),
                    version,
                    lease: None,
                };
                tx.insert_health(&org, &row)?;
            }
            let mut due = tx.health_due(owner, now_ms, due_ms, n)?;
            // Orgs in one order, so that two instances never wait for each other's org locks.
            due.sort();
            let mut claims = Vec::with_capacity(due.len());
            for (org, id) in due {
                if !tx.take_lease(&org, &id, owner, now_ms, due_ms, until)? {
                    continue;
                }
                let (Some(credential), Some(row)) =
                    (tx.credential(&org, &id)?, tx.health(&org, &id)?)
                else {
                    continue;
                };
                claims.push(Claim {
                    credential,
                    record: row.record,
                });
            }
            Ok(claims)
        })
    }

    /// The monitor's second transaction: count each probe's result (§13) and schedule the
    /// next probe at `next_at(record)` (`None`: not scheduled), keeping the lease until then
    /// plus the grace. A result for a credential deleted, changed or paused meanwhile is not
    /// counted. Answers the transitions with their orgs. One write transaction.
    pub fn health_record_results(
        &self,
        owner: &str,
        mut results: Vec<Probed>,
        t: Thresholds,
        next_at: &mut dyn FnMut(&HealthRecord) -> Option<OffsetDateTime>,
        grace: Duration,
    ) -> Result<Vec<(Org, HealthEvent)>> {
        results.sort_by(|a, b| (&a.org, &a.id).cmp(&(&b.org, &b.id)));
        let grace_ms = grace.as_millis().min(i64::MAX as u128) as i64;
        self.write(|tx| {
            let mut out = Vec::new();
            for p in &results {
                let Some(mut row) = tx.health(&p.org, &p.id)? else {
                    continue;
                };
                if row.version != p.version
                    || !row.record.state.probed()
                    || row.lease.as_ref().is_some_and(|(o, _)| o != owner)
                {
                    continue;
                }
                let event = row.record.apply(&p.result, t);
                row.record.next_probe_at = next_at(&row.record);
                row.lease = row
                    .record
                    .next_probe_at
                    .map(|n| (owner.to_owned(), unix_ms(n).saturating_add(grace_ms)));
                tx.put_health(&p.org, &row, event.as_slice())?;
                out.extend(event.map(|e| (p.org.clone(), e)));
            }
            Ok(out)
        })
    }

    /// Give up every lease `owner` holds (a monitor that stops).
    pub fn release_health_leases(&self, owner: &str) -> Result<()> {
        self.write(|tx| tx.release_leases(owner))
    }
}
