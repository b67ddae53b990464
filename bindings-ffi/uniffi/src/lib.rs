//! The uniffi interface of sipcreds (Swift, Kotlin, Python through `uniffi-bindgen` in library
//! mode): the registry with JSON text in and out, and one public error enum converted from the
//! core's in one place. A thin layer; no rule lives here.

use std::sync::Arc;
use std::time::Duration;

uniffi::setup_scaffolding!();

/// Every failure, by kind; `code` is the contract's stable code, `field` the wire field.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SipcredsError {
    /// Invalid input (`invalid_*`, `unknown_field`, `missing_field`, `incomplete_auth`, `too_large`).
    #[error("{code}: {message}")]
    Validation {
        /// The code.
        code: String,
        /// The field.
        field: Option<String>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `not_found` (also another org's id).
    #[error("not_found: {message}")]
    NotFound {
        /// The field the id came in.
        field: Option<String>,
        /// The message.
        message: String,
    },
    /// `read_only`: a provider-managed credential.
    #[error("read_only: {message}")]
    ReadOnly {
        /// The message.
        message: String,
    },
    /// `in_use`: the numbers and agents that use the credential, as JSON.
    #[error("in_use: {message}")]
    InUse {
        /// The message.
        message: String,
        /// `{"phoneNumbers": [...], "agents": [...]}`.
        usage_json: String,
    },
    /// `conflict`: `expectedVersion` is not the stored version.
    #[error("conflict: {message}")]
    Conflict {
        /// The message.
        message: String,
        /// The version the update expected.
        expected_version: u64,
        /// The stored version.
        actual_version: u64,
    },
    /// `storage`: the file, the key or the database.
    #[error("storage: {message}")]
    Storage {
        /// The message.
        message: String,
    },
    /// `unauthorized`, `forbidden` or `too_many_requests` (the HTTP API's codes).
    #[error("{code}: {message}")]
    Denied {
        /// The code.
        code: String,
        /// The message.
        message: String,
        /// `too_many_requests`: when a retry can succeed.
        retry_after_ms: Option<u64>,
    },
    /// `internal`: a bug, caught before it reached the caller.
    #[error("internal: {message}")]
    Internal {
        /// The message.
        message: String,
    },
}

impl From<sipcreds::Error> for SipcredsError {
    fn from(e: sipcreds::Error) -> Self {
        let message = e.to_string();
        let field = e.field().map(str::to_owned);
        match e {
            sipcreds::Error::Invalid { code, .. } => SipcredsError::Validation {
                code: code.as_str().to_owned(),
                field,
                message,
            },
            sipcreds::Error::NotFound { .. } => SipcredsError::NotFound { field, message },
            sipcreds::Error::ReadOnly { .. } => SipcredsError::ReadOnly { message },
            sipcreds::Error::InUse { usage, .. } => SipcredsError::InUse {
                message,
                usage_json: serde_json::to_string(&usage).unwrap_or_default(),
            },
            sipcreds::Error::Conflict {
                expected, actual, ..
            } => SipcredsError::Conflict {
                message,
                expected_version: expected,
                actual_version: actual,
            },
            sipcreds::Error::Storage { .. } => SipcredsError::Storage { message },
            sipcreds::Error::Denied {
                code,
                retry_after_ms,
                ..
            } => SipcredsError::Denied {
                code: code.as_str().to_owned(),
                message,
                retry_after_ms,
            },
            sipcreds::Error::Internal { .. } => SipcredsError::Internal { message },
        }
    }
}

type Result<T> = std::result::Result<T, SipcredsError>;

fn json(v: &serde_json::Value) -> String {
    v.to_string()
}

fn serialized<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| SipcredsError::Storage {
        message: format!("cannot serialize: {e}"),
    })
}

fn inputs(body: &str) -> Result<Vec<sipcreds::CredentialInput>> {
    Ok(sipcreds::read_inputs(body, "credentials")?)
}

/// Validate one credential (§3 JSON): its normalized fields as JSON.
#[uniffi::export]
pub fn validate_credential_json(body: String) -> Result<String> {
    let body = zeroize::Zeroizing::new(body);
    Ok(sipcreds::CredentialInput::from_json(&body)?.to_normalized_json_string())
}

/// Likely causes of a SIP failure, most likely first, as JSON.
#[uniffi::export]
pub fn diagnose(symptom: String, reason: Option<String>) -> Result<String> {
    serialized(&sipcreds::diagnose(&symptom, reason.as_deref())?)
}

/// The library's version.
#[uniffi::export]
pub fn version() -> String {
    sipcreds::VERSION.to_owned()
}

fn page_json<T>(p: &sipcreds::Paged<T>, f: impl Fn(&T) -> serde_json::Value) -> String {
    json(&serde_json::json!({
        "items": p.items.iter().map(f).collect::<Vec<_>>(),
        "next": p.next,
    }))
}

fn page(limit: u32, after: Option<String>) -> Result<sipcreds::Page> {
    Ok(sipcreds::Page::new(u64::from(limit), after.as_deref())?)
}

/// Receives the reports of [`Registry::probe_all`], on the calling thread, as each probe
/// ends; `on_report` answers `false` to stop starting more probes.
#[uniffi::export(with_foreign)]
pub trait ProbeListener: Send + Sync {
    /// One report, as the §12 JSON.
    fn on_report(&self, report_json: String) -> bool;
}

/// The registry: in memory without a path, the embedded SQLite file with one. Safe to share
/// between threads.
#[derive(uniffi::Object)]
pub struct Registry {
    inner: sipcreds::Registry,
}

#[uniffi::export]
impl Registry {
    /// Open the registry.
    #[uniffi::constructor]
    pub fn new(path: Option<String>) -> Result<Arc<Self>> {
        let inner = match path {
            None => sipcreds::Registry::in_memory(),
            Some(p) => sipcreds_open::open_registry(&p, "process")?,
        };
        Ok(Arc::new(Registry { inner }))
    }

    /// Create a credential from its §3 JSON: the stored credential as JSON.
    pub fn create_credential(&self, org: String, body: String) -> Result<String> {
        // The body holds the password: wiped when dropped (uniffi hands it over without a copy).
        let body = zeroize::Zeroizing::new(body);
        let input = sipcreds::CredentialInput::from_json(&body)?;
        Ok(json(&self.inner.create_credential(&org, input)?.to_json()))
    }

    /// Create many credentials from a JSON array of inputs, all or nothing: the stored
    /// credentials as a JSON array.
    pub fn create_credentials(&self, org: String, body: String) -> Result<String> {
        let body = zeroize::Zeroizing::new(body);
        let list = self.inner.create_credentials(&org, inputs(&body)?)?;
        Ok(json(&serde_json::Value::Array(
            list.iter().map(|c| c.to_json()).collect(),
        )))
    }

    /// How many credentials the org has (nothing decrypted).
    pub fn count_credentials(&self, org: String) -> Result<u64> {
        Ok(self.inner.count_credentials(&org)? as u64)
    }

    /// One page of the org's credentials (`limit` 1-1000 after the cursor `after`):
    /// `{"items": [...], "next": cursor | null}`.
    pub fn list_credentials_page(
        &self,
        org: String,
        limit: u32,
        after: Option<String>,
    ) -> Result<String> {
        let p = self
            .inner
            .list_credentials_page(&org, &page(limit, after)?)?;
        Ok(page_json(&p, sipcreds::Credential::to_json))
    }

    /// One page of the org's numbers.
    pub fn list_numbers_page(
        &self,
        org: String,
        limit: u32,
        after: Option<String>,
    ) -> Result<String> {
        let p = self.inner.list_numbers_page(&org, &page(limit, after)?)?;
        Ok(page_json(&p, |n| n.to_json()))
    }

    /// One page of the org's agents.
    pub fn list_agents_page(
        &self,
        org: String,
        limit: u32,
        after: Option<String>,
    ) -> Result<String> {
        let p = self.inner.list_agents_page(&org, &page(limit, after)?)?;
        Ok(page_json(&p, |a| a.to_json()))
    }

    /// One page of the org's providers.
    pub fn list_providers_page(
        &self,
        org: String,
        limit: u32,
        after: Option<String>,
    ) -> Result<String> {
        let p = self.inner.list_providers_page(&org, &page(limit, after)?)?;
        Ok(page_json(&p, |p| p.to_json()))
    }

    /// One agent, with its numbers.
    pub fn get_agent(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.get_agent(&org, &id)?.to_json()))
    }

    /// The live probe (§12) of a stored credential, on the shared async runtime (this call
    /// blocks for at most the probe's budget): the report as JSON. `options_json` is the §12
    /// options object (`{"timeout": 2}`), or None for the defaults.
    pub fn probe(&self, org: String, id: String, options_json: Option<String>) -> Result<String> {
        Ok(sipcreds_probe::probe_registry_json(
            &self.inner,
            &org,
            &id,
            options_json.as_deref().unwrap_or(""),
        )?)
    }

    /// Every credential of the org probed, `concurrency` (1-10000) at a time, each report
    /// handed to `listener` on this thread as its probe ends: answers how many were probed.
    pub fn probe_all(
        &self,
        org: String,
        options_json: Option<String>,
        concurrency: u32,
        listener: Arc<dyn ProbeListener>,
    ) -> Result<u64> {
        let options =
            sipcreds_probe::ProbeOptions::from_json(options_json.as_deref().unwrap_or(""))?;
        let n = sipcreds_probe::probe_all_blocking(
            &self.inner,
            &org,
            concurrency as usize,
            options,
            |report| listener.on_report(report.to_json_string()),
        )?;
        Ok(n as u64)
    }

    /// One credential as JSON.
    pub fn get_credential(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.get_credential(&org, &id)?.to_json()))
    }

    /// The org's credentials as a JSON array.
    pub fn list_credentials(&self, org: String) -> Result<String> {
        let list = self.inner.list_credentials(&org)?;
        Ok(json(&serde_json::Value::Array(
            list.iter().map(sipcreds::Credential::to_json).collect(),
        )))
    }

    /// Apply a patch: the updated credential as JSON.
    pub fn update_credential(&self, org: String, id: String, patch: String) -> Result<String> {
        let patch = zeroize::Zeroizing::new(patch);
        let patch = sipcreds::CredentialPatch::from_json(&patch)?;
        Ok(json(
            &self.inner.update_credential(&org, &id, patch)?.to_json(),
        ))
    }

    /// The numbers and agents that use a credential.
    pub fn usage(&self, org: String, id: String) -> Result<String> {
        serialized(&self.inner.usage(&org, &id)?)
    }

    /// Delete a credential (`force` unlinks its numbers).
    pub fn delete_credential(&self, org: String, id: String, force: bool) -> Result<String> {
        serialized(&self.inner.delete_credential(&org, &id, force)?)
    }

    /// The password, for the SIP stack that must send it: the one way to read it. (uniffi
    /// moves this string into the buffer it hands to Swift or Kotlin and frees that buffer
    /// itself, without wiping it: see SECURITY.md.)
    pub fn reveal_password(&self, org: String, id: String) -> Result<Option<String>> {
        Ok(self
            .inner
            .get_credential(&org, &id)?
            .expose_password()
            .map(str::to_owned))
    }

    /// Link (or move) a phone number to a credential.
    pub fn link_number(
        &self,
        org: String,
        number: String,
        credential_id: String,
    ) -> Result<String> {
        Ok(json(
            &self
                .inner
                .link_number(&org, &number, &credential_id)?
                .to_json(),
        ))
    }

    /// Unlink a phone number.
    pub fn unlink_number(&self, org: String, number: String) -> Result<String> {
        Ok(json(&self.inner.unlink_number(&org, &number)?.to_json()))
    }

    /// Delete a phone number (also from its agents).
    pub fn delete_number(&self, org: String, number: String) -> Result<String> {
        Ok(json(&self.inner.delete_number(&org, &number)?.to_json()))
    }

    /// The org's numbers.
    pub fn list_numbers(&self, org: String) -> Result<String> {
        let list = self.inner.list_numbers(&org)?;
        Ok(json(&serde_json::Value::Array(
            list.iter().map(|n| n.to_json()).collect(),
        )))
    }

    /// The lint findings (JSON array) of an unsaved input (JSON) in the org's context, in
    /// place of the credential `id` when given.
    pub fn lint_input(&self, org: String, body: String, id: Option<String>) -> Result<String> {
        let body = zeroize::Zeroizing::new(body);
        let input = sipcreds::CredentialInput::from_json(&body)?;
        serialized(&self.inner.lint_input(&org, &input, id.as_deref())?)
    }

    /// One phone number: `{"number", "credentialId"}`.
    /// The credential's health record (JSON).
    pub fn health(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.health(&org, &id)?.to_json()))
    }

    /// One page of the org's health records (JSON `{"items", "next"}`).
    pub fn health_list(&self, org: String, limit: u32, after: Option<String>) -> Result<String> {
        let p = self.inner.health_list(&org, &page(limit, after)?)?;
        Ok(page_json(&p, |r| r.to_json()))
    }

    /// The credential's last transitions, oldest first (JSON array).
    pub fn health_events(&self, org: String, id: String) -> Result<String> {
        let events = self.inner.health_events(&org, &id)?;
        Ok(json(&serde_json::Value::Array(
            events.iter().map(|e| e.to_json()).collect(),
        )))
    }

    /// Stop the monitor probing the credential; its health record (JSON).
    pub fn pause(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.pause(&org, &id)?.to_json()))
    }

    /// Probe a paused or rejected credential again; its health record (JSON).
    pub fn resume(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.resume(&org, &id)?.to_json()))
    }

    pub fn get_number(&self, org: String, number: String) -> Result<String> {
        Ok(json(&self.inner.get_number(&org, &number)?.to_json()))
    }

    /// Make a token of the HTTP API for `org` with `role` (`read` or `write`): JSON with the
    /// token, shown once.
    pub fn create_token(&self, org: String, role: String, name: Option<String>) -> Result<String> {
        let role = sipcreds::Role::parse(&role, "role")?;
        Ok(json(
            &self
                .inner
                .create_token(&org, role, name.as_deref())?
                .to_json(),
        ))
    }

    /// The org's tokens (JSON array; never a token itself).
    pub fn list_tokens(&self, org: String) -> Result<String> {
        serialized(&self.inner.list_tokens(&org)?)
    }

    /// End a token at once (its `tok_...` id).
    pub fn revoke_token(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.revoke_token(&org, &id)?.to_json()))
    }

    /// Create an agent.
    pub fn create_agent(&self, org: String, name: String) -> Result<String> {
        Ok(json(&self.inner.create_agent(&org, &name)?.to_json()))
    }

    /// Let an agent use a number.
    pub fn assign_number(&self, org: String, agent_id: String, number: String) -> Result<String> {
        Ok(json(
            &self
                .inner
                .assign_number(&org, &agent_id, &number)?
                .to_json(),
        ))
    }

    /// Stop an agent using a number.
    pub fn unassign_number(&self, org: String, agent_id: String, number: String) -> Result<String> {
        Ok(json(
            &self
                .inner
                .unassign_number(&org, &agent_id, &number)?
                .to_json(),
        ))
    }

    /// Delete an agent.
    pub fn delete_agent(&self, org: String, id: String) -> Result<String> {
        Ok(json(&self.inner.delete_agent(&org, &id)?.to_json()))
    }

    /// The org's agents.
    pub fn list_agents(&self, org: String) -> Result<String> {
        let list = self.inner.list_agents(&org)?;
        Ok(json(&serde_json::Value::Array(
            list.iter().map(|a| a.to_json()).collect(),
        )))
    }

    /// Connect a provider with a JSON array of credential inputs.
    pub fn connect_provider(
        &self,
        org: String,
        kind: String,
        name: String,
        credentials: String,
    ) -> Result<String> {
        let credentials = zeroize::Zeroizing::new(credentials);
        let inputs = inputs(&credentials)?;
        Ok(json(
            &self
                .inner
                .connect_provider(&org, &kind, &name, inputs)?
                .to_json(),
        ))
    }

    /// The org's providers.
    pub fn list_providers(&self, org: String) -> Result<String> {
        let list = self.inner.list_providers(&org)?;
        Ok(json(&serde_json::Value::Array(
            list.iter().map(|p| p.to_json()).collect(),
        )))
    }

    /// Delete a provider and its credentials.
    pub fn delete_provider(&self, org: String, id: String) -> Result<String> {
        serialized(&self.inner.delete_provider(&org, &id)?)
    }

    /// Lint findings for the org.
    pub fn lint(&self, org: String) -> Result<String> {
        serialized(&self.inner.lint(&org)?)
    }

    /// The org's rate groups.
    pub fn rate_groups(&self, org: String) -> Result<String> {
        serialized(&self.inner.rate_groups(&org)?)
    }

    /// Admit a call now, or say when to retry.
    pub fn try_acquire(&self, org: String, credential_id: String) -> Result<String> {
        Ok(json(
            &self.inner.try_acquire(&org, &credential_id)?.to_json(),
        ))
    }

    /// Book the next free slot and sleep until it (at most `max_wait_ms`): returns when the
    /// caller may dial, or at once with the retry time when the wait would be longer.
    pub fn acquire(&self, org: String, credential_id: String, max_wait_ms: u64) -> Result<String> {
        Ok(json(
            &self
                .inner
                .acquire(&org, &credential_id, Duration::from_millis(max_wait_ms))?
                .to_json(),
        ))
    }

    /// Book the next free slot (wait at most `max_wait_ms`).
    pub fn reserve(&self, org: String, credential_id: String, max_wait_ms: u64) -> Result<String> {
        Ok(json(
            &self
                .inner
                .reserve(&org, &credential_id, Duration::from_millis(max_wait_ms))?
                .to_json(),
        ))
    }
}
