//! The one error type of the crate, its stable codes, and their JSON form (§8 of the spec).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::text::printable;
use crate::usage::UsageReport;

/// A field name on the wire (`"server"`, `"authUser"`, ...), or the name of an unknown field.
pub type FieldName = Cow<'static, str>;

/// The most characters a `field` that echoes a caller's key may have (§8).
pub const MAX_ECHOED_FIELD_CHARS: usize = 64;

mod codes;
pub use codes::{ErrorClass, ErrorCode, ErrorInfo, list_all_errors};

/// Every failure of the crate.
///
/// Messages never contain a password: a validation error about `authPassword` says what is
/// wrong with it without quoting it, and values of unknown fields are never echoed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Bad input: JSON, a field, an org, a phone number or a symptom.
    #[error("{message}")]
    Invalid {
        /// One of the validation codes.
        code: ErrorCode,
        /// The wire name of the field the error is about, if any.
        field: Option<FieldName>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No such object in this organization (another org's object is not found too).
    #[error("{what} \"{}\" not found", printable(.id, 100))]
    NotFound {
        /// The kind of object: `credential`, `provider`, `phone number`, `agent`.
        what: &'static str,
        /// The field the id came in (`id`, `number`, `agentId`, `providerId`, `credentialId`).
        field: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// The credential is managed by a provider.
    #[error(
        "credential {id} is managed by provider {provider_id} and is read-only; change it at the provider, or delete the provider"
    )]
    ReadOnly {
        /// The credential's id.
        id: String,
        /// The provider that owns it.
        provider_id: String,
    },
    /// The credential is in use; the usage says by what.
    #[error("credential {id} is in use by {} phone number(s) and {} agent(s); unlink them first, or delete with force", usage.phone_numbers.len(), usage.agents.len())]
    InUse {
        /// The credential's id.
        id: String,
        /// What uses it.
        usage: UsageReport,
    },
    /// Optimistic concurrency failure.
    #[error(
        "version conflict on {id}: expected version {expected}, the stored version is {actual}; read it again and retry"
    )]
    Conflict {
        /// The object's id.
        id: String,
        /// The version the caller expected.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// The storage backend failed (I/O, corruption, a wrong encryption key, ...).
    #[error("storage error: {message}")]
    Storage {
        /// What failed.
        message: String,
    },
    /// The HTTP API refused a request: `unauthorized`, `forbidden` or `too_many_requests`.
    #[error("{message}")]
    Denied {
        /// `unauthorized`, `forbidden` or `too_many_requests`.
        code: ErrorCode,
        /// Why, and what to do (never a token).
        message: String,
        /// `too_many_requests`: when a retry can succeed.
        retry_after_ms: Option<u64>,
    },
    /// Something unexpected failed; the details are in the server's log under the request id.
    #[error("internal error; the server logged it as request {request_id}")]
    Internal {
        /// The request's id in the server's log.
        request_id: String,
    },
}

impl Error {
    /// A validation error.
    pub fn invalid(
        code: ErrorCode,
        field: impl Into<FieldName>,
        message: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            code,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// An `unauthorized`, `forbidden` or `too_many_requests` refusal of the HTTP API.
    pub fn denied(code: ErrorCode, message: impl Into<String>) -> Self {
        Error::Denied {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// A storage error.
    pub fn storage(message: impl fmt::Display) -> Self {
        Error::Storage {
            message: message.to_string(),
        }
    }

    /// The stable code.
    ///
    /// ```
    /// let err = sipcreds::validate_credential_json(r#"{"server": "sip:x.example.com"}"#).unwrap_err();
    /// assert_eq!(err.code().as_str(), "invalid_server");
    /// assert_eq!(err.field(), Some("server"));
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid { code, .. } => *code,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::ReadOnly { .. } => ErrorCode::ReadOnly,
            Error::InUse { .. } => ErrorCode::InUse,
            Error::Conflict { .. } => ErrorCode::Conflict,
            Error::Storage { .. } => ErrorCode::Storage,
            Error::Denied { code, .. } => *code,
            Error::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The wire name of the field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            Error::NotFound { field, .. } => Some(field),
            Error::ReadOnly { .. } | Error::InUse { .. } => Some("id"),
            Error::Conflict { .. } => Some("expectedVersion"),
            Error::Storage { .. } | Error::Denied { .. } | Error::Internal { .. } => None,
        }
    }

    /// The same error about item `i` of the list field `list`: a validation error's field
    /// becomes `list[i].field` (or `list[i]`) and its message names the item.
    ///
    /// ```
    /// let err = sipcreds::validate_credential_json("{}").unwrap_err().at_index("credentials", 2);
    /// assert_eq!(err.field(), Some("credentials[2].server"));
    /// ```
    pub fn at_index(self, list: &str, i: usize) -> Error {
        match self {
            Error::Invalid {
                code,
                field,
                message,
            } => Error::Invalid {
                code,
                field: Some(match field {
                    // An echoed key stays within §8's 64 characters with its prefix.
                    Some(f) if code == ErrorCode::UnknownField => {
                        printable(&format!("{list}[{i}].{f}"), MAX_ECHOED_FIELD_CHARS).into()
                    }
                    Some(f) => format!("{list}[{i}].{f}").into(),
                    None => format!("{list}[{i}]").into(),
                }),
                message: format!("{list}[{i}]: {message}"),
            },
            other => other,
        }
    }

    /// The usage report carried by an `in_use` error.
    pub fn usage(&self) -> Option<&UsageReport> {
        match self {
            Error::InUse { usage, .. } => Some(usage),
            _ => None,
        }
    }

    /// The §8 body: code, field, message, and the code's extras (`usage` for `in_use`,
    /// `expectedVersion` and `actualVersion` for `conflict`).
    pub fn body(&self) -> ErrorBody<'_> {
        let (expected_version, actual_version) = match self {
            Error::Conflict {
                expected, actual, ..
            } => (Some(*expected), Some(*actual)),
            _ => (None, None),
        };
        let retry_after_ms = match self {
            Error::Denied { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        };
        ErrorBody {
            code: self.code().as_str(),
            field: self.field(),
            message: self.to_string(),
            usage: self.usage(),
            expected_version,
            actual_version,
            retry_after_ms,
        }
    }

    /// The §8 JSON form: `{"error": {"code": ..., "field": ..., "message": ...}}` with the
    /// code's extras ([`Error::body`]); what every surface shows.
    ///
    /// ```
    /// let err = sipcreds::validate_credential_json("{}").unwrap_err();
    /// assert_eq!(err.to_json()["error"]["code"], "missing_field");
    /// ```
    pub fn to_json(&self) -> Value {
        serde_json::to_value(ErrorJson { error: self.body() }).unwrap_or(Value::Null)
    }

    /// [`Error::to_json`] as text.
    ///
    /// ```
    /// let err = sipcreds::validate_credential_json("{}").unwrap_err();
    /// assert!(err.to_json_string().starts_with(r#"{"error":{"code":"missing_field","field":"server","#));
    /// ```
    pub fn to_json_string(&self) -> String {
        ErrorJson { error: self.body() }.to_string()
    }
}

/// The body of an error (§8), in the order every surface writes it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    /// The stable code (or a C-only status name).
    pub code: &'a str,
    /// The field (or option) it is about.
    pub field: Option<&'a str>,
    /// What is wrong and how to fix it.
    pub message: String,
    /// `in_use`: what uses the credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<&'a UsageReport>,
    /// `conflict`: the version the caller expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
    /// `conflict`: the stored version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_version: Option<u64>,
    /// `too_many_requests`: how long to wait before a retry can succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// `{"error": body}`: the whole §8 error JSON.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorJson<'a> {
    /// The body.
    pub error: ErrorBody<'a>,
}

impl fmt::Display for ErrorJson<'_> {
    /// The JSON text (serializing strings and numbers cannot fail).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
