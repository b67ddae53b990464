//! # sipcreds
//!
//! SIP trunk credentials for voice platforms: strict validation and normalization of the
//! credential wire format, lint findings, and troubleshooting of SIP failures.
//!
//! Every untrusted value is parsed once at the edge into a newtype ([`ServerAddress`],
//! [`AuthUser`], [`Password`], [`CpsLimit`], ...), so an invalid value cannot exist inside the
//! crate. Every failure is an [`Error`] with a stable [`ErrorCode`] and the wire field it is
//! about. Passwords are [`secrecy::SecretString`]s: never in `Debug`, `Display`, JSON or error
//! messages, zeroized on drop, and read only through an explicitly named call.
//!
//! ```
//! let out = sipcreds::validate_credential_json(r#"{
//!     "name": "Main trunk",
//!     "server": "SIP.Example.com:5061",
//!     "transport": "TLS",
//!     "authUser": "acme-trunk",
//!     "authPassword": "correct horse",
//!     "cpsLimit": 10,
//!     "cpsKey": "acme-shared"
//! }"#).unwrap();
//! assert_eq!(out["server"], "sip.example.com:5061");
//! assert_eq!(out["port"], 5061);
//! assert_eq!(out["transport"], "tls");
//! assert_eq!(out["realm"], "sip.example.com");
//! assert_eq!(out["hasPassword"], true);
//! assert!(!out.to_string().contains("correct horse"));
//!
//! let err = sipcreds::validate_credential_json(r#"{"server": "sip:trunk.example.com"}"#).unwrap_err();
//! assert_eq!(err.code().as_str(), "invalid_server");
//! assert_eq!(err.field(), Some("server"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod argument;
mod credential;
mod diagnose;
mod error;
mod health;
mod host;
mod lint;
mod location;
mod rate;
mod registry;
mod schema;
#[cfg(feature = "schema")]
mod shapes;
mod text;
mod token;
mod usage;
mod values;
mod wire;

pub use argument::{NotText, argument_error};
pub use credential::{
    Auth, Change, Credential, CredentialInput, CredentialPatch, CredentialView, NormalizedFields,
    Source, Timestamp, read_input_list, read_inputs, timestamp, undecodable_field, wipe_value,
};
pub use diagnose::{Cause, Diagnosis, diagnose, symptoms};
pub use error::{
    Error, ErrorBody, ErrorClass, ErrorCode, ErrorInfo, ErrorJson, FieldName,
    MAX_ECHOED_FIELD_CHARS, Result, list_all_errors,
};
pub use health::{
    EVENTS_KEPT, HealthEvent, HealthRecord, HealthRow, HealthState, OutcomeClass, ProbeResult,
    Thresholds, from_unix_ms, unix_ms,
};
pub use host::{Domain, Host, Port, ServerAddress};
pub use lint::{Finding, LINT_CODES, Severity, lint_credential, lint_credentials};
pub use location::{
    Conninfo, LIBPQ_KEYWORDS, is_conninfo, location_fragment, location_scheme, redact_location,
};
pub use rate::{
    Admission, Clock, DEFAULT_MARGIN, Decision, GroupState, InProcessBackend, LimiterBackend,
    ManualClock, MonotonicClock, Nanos, OrgRates, RateGroup, RateHandle, RateLimiter, RateRow,
    SECOND, SlidingWindow, group_key, rate_groups,
};
pub use registry::{
    Agent, AgentLinks, Claim, ConnectedProvider, CredentialLinks, DeleteReport, LAST_USED_EVERY,
    Lease, MAX_ANNOUNCEMENT_BYTES, MemoryStore, NumberRecord, Page, Paged, Probed, Provider,
    ProviderDeleteReport, RateChanges, RateRowSink, Registry, Round, SealedCredential, Storage, Tx,
};
pub use schema::input_schema;
#[cfg(feature = "schema")]
pub use shapes::output_schemas;
pub use text::printable;
pub use token::{
    NewToken, NewTokenView, Role, TOKEN_LEN, TOKEN_PREFIX, TokenHash, TokenInfo, TokenRecord,
    looks_like_token,
};
pub use usage::{AgentUsage, UsageReport};
pub use values::{
    AgentId, AuthUser, CpsKey, CpsLimit, CredentialId, Name, Org, Password, PhoneNumber,
    ProviderId, TokenId, Transport,
};
pub use wire::{CREATE_FIELDS, FieldValue, MAX_BODY_BYTES};

/// The crate's version, shared by every surface.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Validate one credential body (§3) and return its normalized fields (§9):
/// `name server host port transport authUser hasPassword domain realm cpsLimit cpsKey`.
///
/// The body must be one JSON object of at most 64 KiB, without unknown fields or duplicate
/// keys. The password is checked but never returned.
///
/// ```
/// let out = sipcreds::validate_credential_json(r#"{"server":"[2001:DB8::1]"}"#).unwrap();
/// assert_eq!(out["server"], "[2001:db8::1]");
/// assert_eq!(out["host"], "2001:db8::1");
/// assert_eq!(out["port"], 5060);
/// ```
pub fn validate_credential_json(body: &str) -> Result<serde_json::Value> {
    CredentialInput::from_json(body).map(CredentialInput::into_normalized_json)
}
