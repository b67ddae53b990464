//! Connected providers: connect (their credentials created or re-synced, read-only), list,
//! and delete (their credentials deleted with them, numbers unlinked and reported).

use super::*;

/// What deleting a provider did.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderDeleteReport {
    /// The deleted provider.
    pub deleted: String,
    /// Its credentials, deleted with it.
    pub deleted_credentials: Vec<String>,
    /// The numbers that were linked to them and are now unlinked.
    pub unlinked_numbers: Vec<String>,
}

/// A connected provider and the credentials it owns: `{"provider", "credentials"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectedProvider {
    /// The provider.
    pub provider: Provider,
    /// Its read-only credentials.
    pub credentials: Vec<Credential>,
}

impl ConnectedProvider {
    /// `{"provider": {...}, "credentials": [...]}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A provider kind: 1–64 characters of `[a-z0-9._-]`, lowercased.
pub(super) fn parse_kind(kind: &str) -> Result<String> {
    let lower = kind.to_ascii_lowercase();
    let ok = !lower.is_empty()
        && lower.len() <= 64
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(lower)
    } else {
        Err(Error::invalid(
            ErrorCode::InvalidName,
            "kind",
            format!(
                "provider kind {}: use 1-64 characters of a-z 0-9 . _ - (twilio, telnyx, ...)",
                crate::text::quote(kind)
            ),
        ))
    }
}

impl Registry {
    /// Connect a provider and create its read-only credentials, all in one transaction.
    pub fn connect_provider(
        &self,
        org: &str,
        kind: &str,
        name: &str,
        credentials: Vec<CredentialInput>,
    ) -> Result<ConnectedProvider> {
        let org = Org::parse(org)?;
        let kind = parse_kind(kind)?;
        let name = name_for("name", name)?;
        let at = now();
        let provider = Provider {
            id: ProviderId::generate(),
            org: org.clone(),
            kind,
            name,
            created_at: at,
        };
        let credentials: Vec<Credential> = credentials
            .into_iter()
            .map(|input| Credential::new(&org, input, Source::Provider(provider.id.clone()), at))
            .collect();
        self.write_rated(
            &org,
            |tx| {
                tx.insert_provider(&provider)?;
                credentials.iter().try_for_each(|c| tx.insert_credential(c))
            },
            |()| self.limiter_upsert(&credentials),
        )?;
        Ok(ConnectedProvider {
            provider,
            credentials,
        })
    }

    /// Connect a provider with a JSON array of credential inputs. An invalid input is reported
    /// with its index in the field (`credentials[2].server`).
    pub fn connect_provider_json(
        &self,
        org: &str,
        kind: &str,
        name: &str,
        body: &str,
    ) -> Result<ConnectedProvider> {
        Org::parse(org)?;
        let trimmed = body.trim_start();
        if !trimmed.starts_with('[') {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidJson,
                field: Some("credentials".into()),
                message: "the provider's credentials must be a JSON array of credential inputs"
                    .into(),
            });
        }
        let inputs = crate::credential::read_inputs(body, "credentials")?;
        self.connect_provider(org, kind, name, inputs)
    }

    /// Delete a provider with its credentials (their numbers unlinked), and report it all.
    pub fn delete_provider(&self, org: &str, id: &str) -> Result<ProviderDeleteReport> {
        let org = Org::parse(org)?;
        let id = ProviderId::parse(id, "id")?;
        self.write_rated(
            &org,
            |tx| {
                if tx.provider(&org, &id)?.is_none() {
                    return Err(Error::NotFound {
                        what: "provider",
                        field: "id",
                        id: id.to_string(),
                    });
                }
                let mut deleted_credentials = Vec::new();
                let mut unlinked_numbers = Vec::new();
                for cred in tx.provider_credentials(&org, &id)? {
                    unlinked_numbers.extend(unlink_and_delete(tx, &org, &cred)?);
                    deleted_credentials.push(cred.to_string());
                }
                tx.delete_provider(&org, &id)?;
                unlinked_numbers.sort();
                Ok(ProviderDeleteReport {
                    deleted: id.to_string(),
                    deleted_credentials,
                    unlinked_numbers,
                })
            },
            |report| self.limiter_remove(&org, &report.deleted_credentials),
        )
    }
}
