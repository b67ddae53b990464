//! Credentials: create (one or in chunks), read, list, update with optimistic concurrency,
//! usage, and delete (refused while in use unless forced, which unlinks and reports).

use super::*;

/// What a forced (or unneeded-force) delete did.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteReport {
    /// The deleted credential.
    pub deleted: String,
    /// The numbers that were linked to it and are now unlinked.
    pub unlinked_numbers: Vec<String>,
}

/// Credentials given to the store at a time by `create_credentials` (and reported to its
/// progress callback).
pub(super) const IMPORT_CHUNK: usize = 1000;

pub(super) fn not_found_credential(id: &CredentialId, field: &'static str) -> Error {
    Error::NotFound {
        what: "credential",
        field,
        id: id.to_string(),
    }
}

pub(super) fn require_credential(
    tx: &dyn Tx,
    org: &Org,
    id: &CredentialId,
    field: &'static str,
) -> Result<Credential> {
    tx.credential(org, id)?
        .ok_or_else(|| not_found_credential(id, field))
}

pub(super) fn usage_of(tx: &dyn Tx, org: &Org, id: &CredentialId) -> Result<UsageReport> {
    let (numbers, agents) = tx.credential_usage(org, id)?;
    let agents = agents
        .into_iter()
        .map(|(id, name, via)| AgentUsage {
            id: id.to_string(),
            name: name.to_string(),
            via: via.iter().map(ToString::to_string).collect(),
        })
        .collect();
    Ok(UsageReport {
        phone_numbers: numbers.iter().map(ToString::to_string).collect(),
        agents,
    })
}

/// Unlink every number of a credential and delete it; returns the numbers unlinked.
pub(super) fn unlink_and_delete(
    tx: &mut dyn Tx,
    org: &Org,
    id: &CredentialId,
) -> Result<Vec<String>> {
    let numbers = tx.credential_numbers(org, id)?;
    for n in &numbers {
        tx.put_number(
            org,
            &NumberRecord {
                number: n.clone(),
                credential_id: None,
            },
        )?;
    }
    tx.delete_credential(org, id)?;
    Ok(numbers.iter().map(ToString::to_string).collect())
}

/// A credential the caller may change: it exists in the org and no provider owns it.
pub(super) fn require_writable(tx: &dyn Tx, org: &Org, id: &CredentialId) -> Result<Credential> {
    let current = require_credential(tx, org, id, "id")?;
    match read_only(&current) {
        Some(e) => Err(e),
        None => Ok(current),
    }
}

pub(super) fn read_only(c: &Credential) -> Option<Error> {
    match &c.source {
        Source::Provider(p) => Some(Error::ReadOnly {
            id: c.id.to_string(),
            provider_id: p.to_string(),
        }),
        Source::Manual => None,
    }
}

impl Registry {
    /// Create a credential (`source: manual`, `version: 1`).
    pub fn create_credential(&self, org: &str, input: CredentialInput) -> Result<Credential> {
        let org = Org::parse(org)?;
        let at = now();
        let cred = Credential {
            id: CredentialId::generate(),
            org,
            input,
            source: Source::Manual,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        self.write_rated(
            &cred.org,
            |tx| tx.insert_credential(&cred),
            |()| self.limiter_upsert(std::slice::from_ref(&cred)),
        )?;
        Ok(cred)
    }

    /// Create a credential from its JSON body.
    pub fn create_credential_json(&self, org: &str, body: &str) -> Result<Credential> {
        Org::parse(org)?;
        self.create_credential(org, CredentialInput::from_json(body)?)
    }

    /// Create many credentials in one transaction (all or nothing). Used by `import`.
    pub fn create_credentials(
        &self,
        org: &str,
        inputs: Vec<CredentialInput>,
    ) -> Result<Vec<Credential>> {
        self.create_credentials_with_progress(org, inputs, &mut |_| {})
    }

    /// [`Registry::create_credentials`], calling `progress(n)` with the number inserted so far,
    /// after every 1,000 and after the last (inside the transaction: nothing is visible to
    /// others before the end).
    pub fn create_credentials_with_progress(
        &self,
        org: &str,
        inputs: Vec<CredentialInput>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Credential>> {
        let org = Org::parse(org)?;
        let at = now();
        let creds: Vec<Credential> = inputs
            .into_iter()
            .map(|input| Credential::new(&org, input, Source::Manual, at))
            .collect();
        self.write_rated(
            &org,
            |tx| {
                let mut done = 0;
                creds.chunks(IMPORT_CHUNK).try_for_each(|chunk| {
                    tx.insert_credentials(chunk)?;
                    done += chunk.len();
                    progress(done);
                    Ok(())
                })
            },
            |()| self.limiter_upsert(&creds),
        )?;
        Ok(creds)
    }

    /// One credential.
    pub fn get_credential(&self, org: &str, id: &str) -> Result<Credential> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| require_credential(tx, &org, &id, "id"))
    }

    /// Apply a patch; the version goes up by one. `read_only` for provider credentials,
    /// `conflict` when `expectedVersion` differs.
    pub fn update_credential(
        &self,
        org: &str,
        id: &str,
        patch: CredentialPatch,
    ) -> Result<Credential> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                let current = require_writable(tx, &org, &id)?;
                if let Some(expected) = patch.expected_version
                    && expected != current.version
                {
                    return Err(Error::Conflict {
                        id: id.to_string(),
                        expected,
                        actual: current.version,
                    });
                }
                let input = current.input.apply(patch)?;
                let updated = Credential {
                    input,
                    version: current.version + 1,
                    updated_at: now(),
                    ..current.clone()
                };
                tx.update_credential(&updated)?;
                health::after_update(tx, &current, &updated)?;
                Ok(updated)
            },
            |updated| self.limiter_upsert(std::slice::from_ref(updated)),
        )
    }

    /// Apply a patch given as JSON.
    pub fn update_credential_json(&self, org: &str, id: &str, body: &str) -> Result<Credential> {
        Org::parse(org)?;
        self.update_credential(org, id, CredentialPatch::from_json(body)?)
    }

    /// The numbers linked to the credential and the agents using them.
    pub fn usage(&self, org: &str, id: &str) -> Result<UsageReport> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.read(|tx| {
            if !tx.credential_exists(&org, &id)? {
                return Err(not_found_credential(&id, "id"));
            }
            usage_of(tx, &org, &id)
        })
    }

    /// The numbers linked to each of some credentials of an org (read together: what a list
    /// of credentials shows beside each), in their order.
    pub fn numbers_for(&self, org: &str, credentials: &[Credential]) -> Result<Vec<Vec<String>>> {
        let org = Org::parse(org)?;
        self.read(|tx| {
            credentials
                .iter()
                .map(|c| {
                    let numbers = tx.credential_numbers(&org, &c.id)?;
                    Ok(numbers.iter().map(ToString::to_string).collect())
                })
                .collect()
        })
    }

    /// Delete a credential. In use and not forced: `in_use` with the usage, nothing changes.
    /// Forced: its numbers are unlinked and reported.
    pub fn delete_credential(&self, org: &str, id: &str, force: bool) -> Result<DeleteReport> {
        let org = Org::parse(org)?;
        let id = CredentialId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                require_writable(tx, &org, &id)?;
                if !force {
                    let usage = usage_of(tx, &org, &id)?;
                    if !usage.is_empty() {
                        return Err(Error::InUse {
                            id: id.to_string(),
                            usage,
                        });
                    }
                }
                let unlinked_numbers = unlink_and_delete(tx, &org, &id)?;
                Ok(DeleteReport {
                    deleted: id.to_string(),
                    unlinked_numbers,
                })
            },
            |report| self.limiter_remove(&org, std::slice::from_ref(&report.deleted)),
        )
    }

    /// How many credentials the org has (read from the rate projection: nothing decrypted).
    pub fn count_credentials(&self, org: &str) -> Result<usize> {
        let org = Org::parse(org)?;
        self.read(|tx| Ok(tx.rate_rows(&org)?.len()))
    }
}
