//! The patch of an update, and the wiping of JSON values that held a password.

use serde_json::{Map, Value};

use super::fields::*;
use crate::Domain;
use crate::error::{Error, ErrorCode};
use crate::host::ServerAddress;
use crate::values::{AuthUser, CpsKey, CpsLimit, Name, Password, Transport};
use crate::wire::{self, Raw, RawObject};

/// The body of an update: every field optional; `null` clears `name`, `domain`, `cpsLimit`,
/// `cpsKey`, and `authUser`+`authPassword` (together); `server` and `transport` cannot be
/// cleared.
///
/// ```
/// use sipcreds::{CredentialInput, CredentialPatch};
/// let cred = CredentialInput::from_json(r#"{"server":"a.example.com","cpsLimit":5}"#).unwrap();
/// let patch = CredentialPatch::from_json(r#"{"cpsLimit":null,"expectedVersion":1}"#).unwrap();
/// assert_eq!(patch.expected_version, Some(1));
/// assert_eq!(cred.apply(patch).unwrap().cps_limit, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialPatch {
    /// New name.
    pub name: Change<Name>,
    /// New server (cannot be cleared).
    pub server: Option<ServerAddress>,
    /// New auth user.
    pub auth_user: Change<AuthUser>,
    /// New password.
    pub auth_password: Change<Password>,
    /// New domain.
    pub domain: Change<Domain>,
    /// New transport (cannot be cleared).
    pub transport: Option<Transport>,
    /// New CPS limit.
    pub cps_limit: Change<CpsLimit>,
    /// New CPS key.
    pub cps_key: Change<CpsKey>,
    /// The version the caller read; a mismatch answers `conflict`.
    pub expected_version: Option<u64>,
}

impl CredentialPatch {
    /// Parse and validate an update body.
    pub fn from_json(body: &str) -> Result<CredentialPatch, Error> {
        let mut obj = RawObject::default();
        wire::read_object(body, &mut obj)?;
        reject_unknown(&obj, true)?;
        let f = Fields::parse(&mut obj)?;
        // A pair cleared on one side and set on the other can never be valid.
        match (&f.auth_user, &f.auth_password) {
            (Change::Clear, Change::Set(_)) => return Err(incomplete("authUser", "authPassword")),
            (Change::Set(_), Change::Clear) => return Err(incomplete("authPassword", "authUser")),
            _ => {}
        }
        let expected_version = match obj.take(wire::EXPECTED_VERSION) {
            None | Some(Raw::Null) => None,
            Some(Raw::Int(n)) if n >= 0 => Some(n as u64),
            Some(_) => {
                return Err(Error::invalid(
                    ErrorCode::InvalidJson,
                    "expectedVersion",
                    "expectedVersion must be the credential's version, a whole number",
                ));
            }
        };
        Ok(CredentialPatch {
            name: f.name,
            server: f.server.into_option(),
            auth_user: f.auth_user,
            auth_password: f.auth_password,
            domain: f.domain,
            transport: f.transport.into_option(),
            cps_limit: f.cps_limit,
            cps_key: f.cps_key,
            expected_version,
        })
    }

    /// Parse an already-decoded JSON value with the same rules as [`CredentialPatch::from_json`].
    pub fn from_value(value: &Value) -> Result<CredentialPatch, Error> {
        Self::from_json(&wiped_json_text(value)?)
    }
}

/// A value's JSON text in a buffer allocated once at its exact size and wiped when dropped:
/// a growing `String` would leave copies of the password behind in every block it outgrew.
/// A value above the body limit is `too_large` without being written out.
pub(super) fn wiped_json_text(value: &Value) -> Result<zeroize::Zeroizing<String>, Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let invalid = || {
        Error::invalid(
            ErrorCode::InvalidJson,
            "body",
            "the body cannot be encoded as JSON",
        )
    };
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_err(|_| invalid())?;
    if count.0 > wire::MAX_BODY_BYTES {
        return Err(Error::Invalid {
            code: ErrorCode::TooLarge,
            field: None,
            message: format!(
                "the body is {} bytes; the limit is {} bytes (64 KiB)",
                count.0,
                wire::MAX_BODY_BYTES
            ),
        });
    }
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *buf, value).map_err(|_| invalid())?;
    // serde_json writes UTF-8; the bytes move into the String without a copy.
    let bytes = std::mem::take(&mut *buf);
    String::from_utf8(bytes)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            invalid()
        })
}

/// The error for a field whose value a binding could not turn into text (a Python `str` or
/// a JS string holding a lone surrogate, as `os.environ` and `sys.argv` give for bytes that
/// are not UTF-8): the field's own validation code, as the parser answers for a value of the
/// wrong type (`unknown_field` for a field it does not know), and a message that says why;
/// never the value (§8).
///
/// ```
/// let e = sipcreds::undecodable_field("authPassword");
/// assert_eq!(e.code().as_str(), "invalid_auth_password");
/// assert_eq!(e.field(), Some("authPassword"));
/// ```
pub fn undecodable_field(field: &str) -> Error {
    let mut probe = Map::new();
    probe.insert(field.to_owned(), Value::Array(Vec::new()));
    match CredentialPatch::from_value(&Value::Object(probe)) {
        Err(Error::Invalid {
            code,
            field: Some(f),
            ..
        }) => {
            let message = format!(
                "{f} is not valid text: it holds a lone surrogate (an unpaired half of a UTF-16 pair, as os.environ or sys.argv give for bytes that are not UTF-8); decode the bytes as UTF-8 first"
            );
            Error::Invalid {
                code,
                field: Some(f),
                message,
            }
        }
        _ => Error::Invalid {
            code: ErrorCode::InvalidJson,
            field: None,
            message: "the body holds text that is not valid Unicode (a lone surrogate)".into(),
        },
    }
}

/// Wipe every string of a value (and its object keys) as it is dropped: for a binding that
/// built the value from a caller's object, whose strings may hold a password.
///
/// ```
/// let v = serde_json::json!({"authPassword": "s3cret", "list": ["a"]});
/// sipcreds::wipe_value(v);
/// ```
pub fn wipe_value(value: Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(mut s) => s.zeroize(),
        Value::Array(items) => items.into_iter().for_each(wipe_value),
        Value::Object(map) => {
            for (mut k, v) in map {
                k.zeroize();
                wipe_value(v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
