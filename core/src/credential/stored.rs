//! The stored credential, its output form (§3), and the timestamps it carries.

use serde_json::Value;
use time::OffsetDateTime;

use super::CredentialInput;
use super::NormalizedFields;
use crate::values::{CredentialId, Org, ProviderId};

/// Where a credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Created by a user.
    Manual,
    /// Owned by a connected provider; read-only.
    Provider(ProviderId),
}

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Its id.
    pub id: CredentialId,
    /// Its organization.
    pub org: Org,
    /// Its fields.
    pub input: CredentialInput,
    /// Manual or provider-managed.
    pub source: Source,
    /// Starts at 1; each update adds 1.
    pub version: u64,
    /// Creation time (UTC, whole seconds on output).
    pub created_at: OffsetDateTime,
    /// Last update time.
    pub updated_at: OffsetDateTime,
}

impl Credential {
    /// A new credential of `org` from `input`, made at `at`: a fresh id, version 1.
    pub fn new(org: &Org, input: CredentialInput, source: Source, at: OffsetDateTime) -> Self {
        Credential {
            id: CredentialId::generate(),
            org: org.clone(),
            input,
            source,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    /// True when a provider owns it.
    pub fn read_only(&self) -> bool {
        matches!(self.source, Source::Provider(_))
    }

    /// The password in clear, for the SIP stack that must send it.
    pub fn expose_password(&self) -> Option<&str> {
        self.input.expose_password()
    }

    /// The §3 output form. Never contains the password.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }

    /// The §3 output shape, borrowed: what every surface shows (serialized by serde).
    pub fn view(&self) -> CredentialView<'_> {
        let (source, provider_id) = match &self.source {
            Source::Manual => ("manual", None),
            Source::Provider(p) => ("provider", Some(p)),
        };
        CredentialView {
            id: &self.id,
            org: &self.org,
            fields: self.input.normalized_fields(),
            source,
            provider_id,
            read_only: self.read_only(),
            version: self.version,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        }
    }
}

impl serde::Serialize for Credential {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// A credential as every surface shows it (§3), fields in the order of §3. Never holds the
/// password.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialView<'a> {
    /// `id`.
    pub id: &'a CredentialId,
    /// `org`.
    pub org: &'a Org,
    /// `name` to `cpsKey`: the normalized fields.
    #[serde(flatten)]
    pub fields: NormalizedFields<'a>,
    /// `source`: `manual` or `provider`.
    #[cfg_attr(
        feature = "schema",
        schemars(schema_with = "crate::shapes::source_schema")
    )]
    pub source: &'static str,
    /// `providerId`.
    pub provider_id: Option<&'a ProviderId>,
    /// `readOnly`.
    pub read_only: bool,
    /// `version`.
    pub version: u64,
    /// `createdAt`.
    pub created_at: Timestamp,
    /// `updatedAt`.
    pub updated_at: Timestamp,
}

/// A time as every surface shows it: RFC 3339 in UTC, whole seconds ([`timestamp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub OffsetDateTime);

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Credential {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Credential".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        CredentialView::json_schema(generator)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_timestamp(&self.0, s)
    }
}

/// `#[serde(serialize_with)]` for a time field: [`timestamp`].
pub(crate) fn serialize_timestamp<S: serde::Serializer>(
    t: &OffsetDateTime,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(*t))
}

/// `#[serde(serialize_with)]` for an optional time field: [`timestamp`] or `null`.
pub(crate) fn serialize_optional_timestamp<S: serde::Serializer>(
    t: &Option<OffsetDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_timestamp(t, s),
        None => s.serialize_none(),
    }
}

/// RFC 3339 in UTC with whole seconds: `2026-11-26T12:00:00Z`.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
