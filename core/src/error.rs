//! The one error type of the crate, its stable codes, and their JSON form (§8 of the spec).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

use crate::usage::UsageReport;

/// A field name on the wire (`"server"`, `"authUser"`, ...), or the name of an unknown field.
pub type FieldName = Cow<'static, str>;

/// The most characters a `field` that echoes a caller's key may have (§8).
pub const MAX_ECHOED_FIELD_CHARS: usize = 64;

/// Characters a terminal or a log reader may act on: C0 and C1 controls (ESC, CR, LF, CSI, ...),
/// the line and paragraph separators, and the bidirectional embeddings, overrides and isolates
/// (which reorder what a reader sees).
pub(crate) fn terminal_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A caller's text made safe to print as it is (§8): every [`terminal_unsafe`] character
/// escaped as `\uXXXX`, and the whole cut to at most `max` characters, ending in `…` when
/// cut (never inside an escape).
///
/// ```
/// assert_eq!(sipcreds::printable("a\u{1b}]0;x\u{7}\r\n", 64), "a\\u001b]0;x\\u0007\\u000d\\u000a");
/// assert_eq!(sipcreds::printable(&"k".repeat(100), 64).chars().count(), 64);
/// ```
pub fn printable(s: &str, max: usize) -> String {
    let pieces: Vec<std::borrow::Cow<'static, str>> = s
        .chars()
        .map(|c| {
            if terminal_unsafe(c) {
                format!("\\u{:04x}", c as u32).into()
            } else {
                String::from(c).into()
            }
        })
        .collect();
    let len = |p: &std::borrow::Cow<'_, str>| p.chars().count();
    if pieces.iter().map(len).sum::<usize>() <= max {
        return pieces.concat();
    }
    let mut out = String::new();
    let mut count = 0;
    for p in &pieces {
        if count + len(p) + 1 > max {
            break;
        }
        out.push_str(p);
        count += len(p);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Every failure has exactly one of these codes, the same on every surface.
///
/// The string form ([`ErrorCode::as_str`]) and the number ([`ErrorCode::number`], used by the
/// C ABI) are stable: a retired code keeps its number and the number is never reused.
///
/// ```
/// use sipcreds::ErrorCode;
/// assert_eq!(ErrorCode::InvalidServer.as_str(), "invalid_server");
/// assert_eq!("in_use".parse::<ErrorCode>(), Ok(ErrorCode::InUse));
/// assert_eq!(ErrorCode::ALL.len(), 22);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum ErrorCode {
    /// The body is not one JSON object, has a syntax error or a duplicate key.
    InvalidJson = 1,
    /// The body is larger than [`crate::MAX_BODY_BYTES`].
    TooLarge = 2,
    /// The body has a field the wire format does not know.
    UnknownField = 3,
    /// A required field is missing.
    MissingField = 4,
    /// `name` is not 1–100 characters without control characters.
    InvalidName = 5,
    /// `server` is not `host` or `host:port`.
    InvalidServer = 6,
    /// `authUser` is not an RFC 3261 user part of 1–128 characters.
    InvalidAuthUser = 7,
    /// `authPassword` is not 1–256 characters without control characters.
    InvalidAuthPassword = 8,
    /// Only one of `authUser` and `authPassword` is present.
    IncompleteAuth = 9,
    /// `domain` is not a host without a port.
    InvalidDomain = 10,
    /// `transport` is not `udp`, `tcp` or `tls`.
    InvalidTransport = 11,
    /// `cpsLimit` is not an integer in 1–10000.
    InvalidCpsLimit = 12,
    /// `cpsKey` is not 1–64 characters of `[A-Za-z0-9._:-]`.
    InvalidCpsKey = 13,
    /// An organization id is not 1–64 characters of `[A-Za-z0-9._-]`.
    InvalidOrg = 14,
    /// A phone number is not E.164.
    InvalidPhoneNumber = 15,
    /// `diagnose` does not know the symptom.
    InvalidSymptom = 16,
    /// The object does not exist in this organization.
    NotFound = 17,
    /// The credential is managed by a provider.
    ReadOnly = 18,
    /// The credential is linked to phone numbers (and so agents).
    InUse = 19,
    /// `expectedVersion` does not match the stored version.
    Conflict = 20,
    /// The storage backend failed.
    Storage = 21,
    /// An option of an operation (not a field of a body) does not parse: a limiter URL, a
    /// wait, a probe's timeout or CA file. `field` names the option.
    InvalidOption = 22,
}

impl ErrorCode {
    /// All codes, in the order of §8.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::InvalidJson,
        ErrorCode::TooLarge,
        ErrorCode::UnknownField,
        ErrorCode::MissingField,
        ErrorCode::InvalidName,
        ErrorCode::InvalidServer,
        ErrorCode::InvalidAuthUser,
        ErrorCode::InvalidAuthPassword,
        ErrorCode::IncompleteAuth,
        ErrorCode::InvalidDomain,
        ErrorCode::InvalidTransport,
        ErrorCode::InvalidCpsLimit,
        ErrorCode::InvalidCpsKey,
        ErrorCode::InvalidOrg,
        ErrorCode::InvalidPhoneNumber,
        ErrorCode::InvalidSymptom,
        ErrorCode::InvalidOption,
        ErrorCode::NotFound,
        ErrorCode::ReadOnly,
        ErrorCode::InUse,
        ErrorCode::Conflict,
        ErrorCode::Storage,
    ];

    /// The stable snake_case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::InvalidServer => "invalid_server",
            ErrorCode::InvalidAuthUser => "invalid_auth_user",
            ErrorCode::InvalidAuthPassword => "invalid_auth_password",
            ErrorCode::IncompleteAuth => "incomplete_auth",
            ErrorCode::InvalidDomain => "invalid_domain",
            ErrorCode::InvalidTransport => "invalid_transport",
            ErrorCode::InvalidCpsLimit => "invalid_cps_limit",
            ErrorCode::InvalidCpsKey => "invalid_cps_key",
            ErrorCode::InvalidOrg => "invalid_org",
            ErrorCode::InvalidPhoneNumber => "invalid_phone_number",
            ErrorCode::InvalidSymptom => "invalid_symptom",
            ErrorCode::InvalidOption => "invalid_option",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::InUse => "in_use",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Storage => "storage",
        }
    }

    /// The fixed number of the code (the C ABI's status value); never reused.
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// One line that says what the code means, for published code lists.
    pub const fn description(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => {
                "the body is not one JSON object, or has a syntax error or a duplicate key"
            }
            ErrorCode::TooLarge => "the body is larger than 64 KiB",
            ErrorCode::UnknownField => "the body has a field the wire format does not know",
            ErrorCode::MissingField => "a required field is missing",
            ErrorCode::InvalidName => "name must be 1-100 characters without control characters",
            ErrorCode::InvalidServer => "server must be host or host:port",
            ErrorCode::InvalidAuthUser => {
                "authUser must be 1-128 characters of an RFC 3261 user part"
            }
            ErrorCode::InvalidAuthPassword => {
                "authPassword must be 1-256 characters without control characters"
            }
            ErrorCode::IncompleteAuth => "authUser and authPassword come together or not at all",
            ErrorCode::InvalidDomain => {
                "domain must be a host (DNS name, IPv4 or bracketed IPv6) without a port"
            }
            ErrorCode::InvalidTransport => "transport must be udp, tcp or tls",
            ErrorCode::InvalidCpsLimit => "cpsLimit must be an integer from 1 to 10000",
            ErrorCode::InvalidCpsKey => "cpsKey must be 1-64 characters of A-Z a-z 0-9 . _ : -",
            ErrorCode::InvalidOrg => "org must be 1-64 characters of A-Z a-z 0-9 . _ -",
            ErrorCode::InvalidPhoneNumber => {
                "phone numbers must be E.164: +, first digit 1-9, 8-15 digits"
            }
            ErrorCode::InvalidSymptom => "diagnose does not know this symptom",
            ErrorCode::InvalidOption => {
                "an option of the operation (a limiter URL, a wait, a timeout) does not parse"
            }
            ErrorCode::NotFound => "no such object in this organization",
            ErrorCode::ReadOnly => {
                "the credential is managed by a provider and cannot be changed here"
            }
            ErrorCode::InUse => {
                "the credential is linked to phone numbers; unlink them or force the delete"
            }
            ErrorCode::Conflict => "expectedVersion does not match the stored version",
            ErrorCode::Storage => "the storage backend failed",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The published list of all error codes with their meaning, like pydantic-core's
/// `list_all_errors()`.
///
/// ```
/// let all = sipcreds::list_all_errors();
/// assert!(all.iter().any(|(code, _, _)| *code == "incomplete_auth"));
/// ```
pub fn list_all_errors() -> Vec<(&'static str, u32, &'static str)> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.number(), c.description()))
        .collect()
}

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
        }
    }

    /// The wire name of the field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            Error::NotFound { field, .. } => Some(field),
            Error::ReadOnly { .. } | Error::InUse { .. } => Some("id"),
            Error::Conflict { .. } => Some("expectedVersion"),
            Error::Storage { .. } => None,
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

    /// The §8 JSON form: `{"error": {"code": ..., "field": ..., "message": ...}}`
    /// (plus `usage` for `in_use`).
    ///
    /// ```
    /// let err = sipcreds::validate_credential_json("{}").unwrap_err();
    /// assert_eq!(err.to_json()["error"]["code"], "missing_field");
    /// ```
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "code": self.code().as_str(),
            "field": self.field(),
            "message": self.to_string(),
        });
        if let Some(usage) = self.usage() {
            body["usage"] = serde_json::to_value(usage).unwrap_or(Value::Null);
        }
        json!({ "error": body })
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_numbers_are_unique_and_round_trip() {
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let numbers: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert_eq!(numbers.len(), ErrorCode::ALL.len());
        assert!(!numbers.contains(&0), "0 is the C ABI's success value");
        for c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
    }

    #[test]
    fn spec_codes_are_all_present() {
        let spec = "invalid_json too_large unknown_field missing_field invalid_name invalid_server \
            invalid_auth_user invalid_auth_password incomplete_auth invalid_domain invalid_transport \
            invalid_cps_limit invalid_cps_key invalid_org invalid_phone_number invalid_symptom \
            invalid_option not_found read_only in_use conflict storage";
        let ours: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ours, spec.split_whitespace().collect::<Vec<_>>());
    }
}
