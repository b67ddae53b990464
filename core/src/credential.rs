//! The credential: its validated input, the patch of an update, and the stored record with
//! the output form of §3.

use std::borrow::Cow;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::Domain;
use crate::error::{Error, ErrorCode};
use crate::host::{Host, Port, ServerAddress};
use crate::values::{
    AuthUser, CpsKey, CpsLimit, CredentialId, Name, Org, Password, ProviderId, Transport,
};
use crate::wire::{self, Raw, RawObject};

/// The digest credentials: user and password always together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The auth user.
    pub user: AuthUser,
    /// The password (never shown).
    pub password: Password,
}

/// A validated credential input (the body of a create), already normalized.
///
/// ```
/// use sipcreds::CredentialInput;
/// let input = CredentialInput::from_json(r#"{
///     "server": "SIP.Example.com", "transport": "TLS",
///     "authUser": "acme", "authPassword": "s3cret", "cpsLimit": 10
/// }"#).unwrap();
/// assert_eq!(input.server.to_string(), "sip.example.com");
/// assert_eq!(input.effective_port().get(), 5061);
/// assert_eq!(input.realm().to_string(), "sip.example.com");
/// assert!(!format!("{input:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInput {
    /// Display name.
    pub name: Option<Name>,
    /// The server, normalized.
    pub server: ServerAddress,
    /// Digest credentials, if the trunk uses them (else IP authentication).
    pub auth: Option<Auth>,
    /// The SIP domain, the digest realm when set.
    pub domain: Option<Domain>,
    /// The transport.
    pub transport: Transport,
    /// The CPS limit; `None` is unlimited.
    pub cps_limit: Option<CpsLimit>,
    /// The shared rate group key.
    pub cps_key: Option<CpsKey>,
}

fn type_error(code: ErrorCode, field: &'static str, raw: &Raw<'_>, expected: &str) -> Error {
    Error::invalid(
        code,
        field,
        format!("{field} must be {expected}, not {}", raw.type_name()),
    )
}

/// A string-typed optional field: `null` and absence both mean "not set".
fn opt_str<T>(
    raw: Option<Raw<'_>>,
    code: ErrorCode,
    field: &'static str,
    parse: impl FnOnce(&str) -> Result<T, Error>,
) -> Result<Change<T>, Error> {
    match raw {
        None => Ok(Change::Keep),
        Some(Raw::Null) => Ok(Change::Clear),
        Some(Raw::Str(s)) => {
            let parsed = parse(&s).map(Change::Set);
            // An owned copy (the value had escapes) may be a password: wipe it.
            if let Cow::Owned(copy) = s {
                drop(zeroize::Zeroizing::new(copy));
            }
            parsed
        }
        Some(other) => Err(type_error(code, field, &other, "a string")),
    }
}

fn cps_limit(raw: Option<Raw<'_>>) -> Result<Change<CpsLimit>, Error> {
    const F: &str = "cpsLimit";
    match raw {
        None => Ok(Change::Keep),
        Some(Raw::Null) => Ok(Change::Clear),
        Some(Raw::Int(n)) => CpsLimit::new(n).map(Change::Set),
        Some(Raw::BigUint) => Err(Error::invalid(
            ErrorCode::InvalidCpsLimit,
            F,
            "cpsLimit is out of range; use a whole number from 1 to 10000",
        )),
        Some(other) => Err(type_error(
            ErrorCode::InvalidCpsLimit,
            F,
            &other,
            "a whole number from 1 to 10000",
        )),
    }
}

/// A field of a patch: leave it, clear it (`null`), or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// Absent from the patch.
    #[default]
    Keep,
    /// `null` in the patch.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Change<T> {
    fn into_option(self) -> Option<T> {
        match self {
            Change::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Apply to the current value.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(v) => Some(v),
        }
    }
}

fn no_null<T>(
    c: Change<T>,
    code: ErrorCode,
    field: &'static str,
    why: &str,
) -> Result<Change<T>, Error> {
    match c {
        Change::Clear => Err(Error::invalid(
            code,
            field,
            format!("{field} cannot be null: {why}"),
        )),
        other => Ok(other),
    }
}

fn incomplete(missing: &'static str, present: &'static str) -> Error {
    Error::invalid(
        ErrorCode::IncompleteAuth,
        missing,
        format!(
            "{present} is set but {missing} is not: give both, or neither for IP authentication"
        ),
    )
}

/// The typed fields of a body, shared by create and update.
struct Fields {
    name: Change<Name>,
    server: Change<ServerAddress>,
    auth_user: Change<AuthUser>,
    auth_password: Change<Password>,
    domain: Change<Domain>,
    transport: Change<Transport>,
    cps_limit: Change<CpsLimit>,
    cps_key: Change<CpsKey>,
}

impl Fields {
    fn parse(obj: &mut RawObject<'_>) -> Result<Fields, Error> {
        let name = opt_str(
            obj.take(wire::NAME),
            ErrorCode::InvalidName,
            "name",
            Name::parse,
        )?;
        let server = opt_str(
            obj.take(wire::SERVER),
            ErrorCode::InvalidServer,
            "server",
            |s| s.parse(),
        )?;
        let server = no_null(
            server,
            ErrorCode::InvalidServer,
            "server",
            "every credential has a server",
        )?;
        let auth_user = opt_str(
            obj.take(wire::AUTH_USER),
            ErrorCode::InvalidAuthUser,
            "authUser",
            AuthUser::parse,
        )?;
        let auth_password = opt_str(
            obj.take(wire::AUTH_PASSWORD),
            ErrorCode::InvalidAuthPassword,
            "authPassword",
            Password::parse,
        )?;
        let domain = opt_str(
            obj.take(wire::DOMAIN),
            ErrorCode::InvalidDomain,
            "domain",
            |s| s.parse(),
        )?;
        let transport = opt_str(
            obj.take(wire::TRANSPORT),
            ErrorCode::InvalidTransport,
            "transport",
            Transport::parse,
        )?;
        let transport = no_null(
            transport,
            ErrorCode::InvalidTransport,
            "transport",
            "use \"udp\", \"tcp\" or \"tls\" (udp is the default)",
        )?;
        let cps_limit = cps_limit(obj.take(wire::CPS_LIMIT))?;
        let cps_key = opt_str(
            obj.take(wire::CPS_KEY),
            ErrorCode::InvalidCpsKey,
            "cpsKey",
            CpsKey::parse,
        )?;
        Ok(Fields {
            name,
            server,
            auth_user,
            auth_password,
            domain,
            transport,
            cps_limit,
            cps_key,
        })
    }
}

/// A field's value as a binding hands it over without JSON text
/// ([`CredentialInput::from_fields`]): the JSON types a field can hold that need no
/// conversion. (Anything else, a float, an integer past 64 bits, a list, goes the JSON way.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string, borrowed.
    Str(&'a str),
}

fn reject_unknown(obj: &RawObject<'_>, allow_expected_version: bool) -> Result<(), Error> {
    let unknown = obj.first_unknown.as_deref().or_else(|| {
        (!allow_expected_version && obj.values[wire::EXPECTED_VERSION].is_some())
            .then_some("expectedVersion")
    });
    match unknown {
        Some(f) => Err(Error::invalid(
            ErrorCode::UnknownField,
            crate::error::printable(f, crate::error::MAX_ECHOED_FIELD_CHARS),
            format!(
                "unknown field {}; the fields are {}",
                crate::host::quote(f),
                wire::FIELDS[..if allow_expected_version { 9 } else { 8 }].join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn pair(user: Option<AuthUser>, password: Option<Password>) -> Result<Option<Auth>, Error> {
    match (user, password) {
        (Some(user), Some(password)) => Ok(Some(Auth { user, password })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(incomplete("authPassword", "authUser")),
        (None, Some(_)) => Err(incomplete("authUser", "authPassword")),
    }
}

impl CredentialInput {
    /// Parse and validate a create body (§3): one JSON object of at most 64 KiB.
    pub fn from_json(body: &str) -> Result<CredentialInput, Error> {
        let mut obj = wire::read_object(body)?;
        reject_unknown(&obj, false)?;
        Self::from_raw(&mut obj)
    }

    /// Parse and validate the fields of an object a binding holds (a Python dict), handed
    /// over as `(wire key, value)` pairs without JSON text: the same checks and errors as
    /// [`CredentialInput::from_json`] on the equivalent JSON object, with the strings borrowed
    /// (no copy of the password is made).
    ///
    /// `None` when this path cannot be sure to answer as the JSON path would: a key that is
    /// not a create field (the JSON path names the first unknown one), a repeated key, or
    /// values that might pass the 64 KiB bound once written as JSON. The caller then takes
    /// the JSON path ([`CredentialInput::from_value`]).
    ///
    /// ```
    /// use sipcreds::{CredentialInput, FieldValue};
    /// let fields = [("server", FieldValue::Str("sip.example.com")), ("cpsLimit", FieldValue::Int(5))];
    /// let input = CredentialInput::from_fields(fields).unwrap().unwrap();
    /// assert_eq!(input.cps_limit.unwrap().get(), 5);
    /// let bad = [("server", FieldValue::Str("sip.example.com")), ("cpsLimit", FieldValue::Int(0))];
    /// assert_eq!(CredentialInput::from_fields(bad).unwrap().unwrap_err().field(), Some("cpsLimit"));
    /// assert!(CredentialInput::from_fields([("color", FieldValue::Null)]).is_none());
    /// ```
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, FieldValue<'a>)>,
    ) -> Option<Result<CredentialInput, Error>> {
        let mut obj = wire::object_from_fields(fields, false)?;
        Some(Self::from_raw(&mut obj))
    }

    /// Parse and validate an already-decoded JSON value (a binding's dict or object).
    ///
    /// The value is re-encoded and read by the same strict reader, so every surface
    /// applies exactly the same rules, the size bound included.
    pub fn from_value(value: &Value) -> Result<CredentialInput, Error> {
        Self::from_json(&wiped_json_text(value)?)
    }

    fn from_raw(obj: &mut RawObject<'_>) -> Result<CredentialInput, Error> {
        let f = Fields::parse(obj)?;
        let Change::Set(server) = f.server else {
            return Err(Error::invalid(
                ErrorCode::MissingField,
                "server",
                "server is required: give a host such as \"sip.example.com\" or \"sip.example.com:5061\"",
            ));
        };
        let auth = pair(f.auth_user.into_option(), f.auth_password.into_option())?;
        Ok(CredentialInput {
            name: f.name.into_option(),
            server,
            auth,
            domain: f.domain.into_option(),
            transport: f.transport.into_option().unwrap_or_default(),
            cps_limit: f.cps_limit.into_option(),
            cps_key: f.cps_key.into_option(),
        })
    }

    /// A minimal input: a server and nothing else.
    pub fn new(server: ServerAddress) -> Self {
        CredentialInput {
            name: None,
            server,
            auth: None,
            domain: None,
            transport: Transport::Udp,
            cps_limit: None,
            cps_key: None,
        }
    }

    /// The host of the server.
    pub fn host(&self) -> &Host {
        self.server.host()
    }

    /// The given port, else 5061 for TLS and 5060 for UDP/TCP.
    pub fn effective_port(&self) -> Port {
        self.server.port().unwrap_or(self.transport.default_port())
    }

    /// The digest realm: `domain` when set, else the server's host.
    pub fn realm(&self) -> &Host {
        self.domain
            .as_ref()
            .map_or(self.server.host(), |d| d.host())
    }

    /// The auth user, if any.
    pub fn auth_user(&self) -> Option<&AuthUser> {
        self.auth.as_ref().map(|a| &a.user)
    }

    /// The password in clear, for the SIP stack that must send it. The one way to read it.
    pub fn expose_password(&self) -> Option<&str> {
        self.auth.as_ref().map(|a| a.password.expose())
    }

    /// The normalized output fields that need no store (§9): `server host port transport
    /// authUser hasPassword domain realm cpsLimit cpsKey name`. Absent values are `null`.
    pub fn normalized_json(&self) -> Value {
        self.clone().into_normalized_json()
    }

    /// [`CredentialInput::normalized_json`], consuming the input: its strings move into the
    /// output instead of being copied (the hot path of `validate_credential_json`).
    pub fn into_normalized_json(self) -> Value {
        // Built by hand: the input's own strings move into the map (a serializer would copy
        // each), and each value is made once. A property test keeps this equal to
        // `to_value(normalized_fields())` and to the JSON text form.
        fn text(s: Cow<'_, str>) -> Value {
            Value::String(s.into_owned())
        }
        fn or_null(v: Option<String>) -> Value {
            v.map_or(Value::Null, Value::String)
        }
        let f = self.normalized_fields();
        let (server, host, port, transport, domain, realm) = (
            text(f.server),
            text(f.host),
            Value::from(f.port),
            Value::String(f.transport.to_owned()),
            f.domain.map_or(Value::Null, text),
            text(f.realm),
        );
        let cps_limit = f.cps_limit.map_or(Value::Null, Value::from);
        let has_password = self.auth.is_some();
        let CredentialInput {
            name,
            auth,
            cps_key,
            ..
        } = self;
        let auth_user = auth.map(|a| a.user.into_string());
        let mut m = Map::with_capacity(11);
        m.insert("name".to_owned(), or_null(name.map(Name::into_string)));
        m.insert("server".to_owned(), server);
        m.insert("host".to_owned(), host);
        m.insert("port".to_owned(), port);
        m.insert("transport".to_owned(), transport);
        m.insert("authUser".to_owned(), or_null(auth_user));
        m.insert("hasPassword".to_owned(), Value::Bool(has_password));
        m.insert("domain".to_owned(), domain);
        m.insert("realm".to_owned(), realm);
        m.insert("cpsLimit".to_owned(), cps_limit);
        m.insert(
            "cpsKey".to_owned(),
            or_null(cps_key.map(CpsKey::into_string)),
        );
        Value::Object(m)
    }

    /// The normalized fields as JSON text, written straight from the parsed values (no
    /// `Value` in between: a few allocations instead of a few dozen). The same object as
    /// [`CredentialInput::normalized_json`], fields in the order of §3; a property test keeps
    /// the two equal.
    ///
    /// ```
    /// use sipcreds::CredentialInput;
    /// let input = CredentialInput::from_json(r#"{"server":"[2001:DB8::1]:5061","transport":"TLS"}"#).unwrap();
    /// let text = input.to_normalized_json_string();
    /// assert!(text.starts_with(r#"{"name":null,"server":"[2001:db8::1]:5061","host":"2001:db8::1","port":5061"#));
    /// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), input.normalized_json());
    /// ```
    pub fn to_normalized_json_string(&self) -> String {
        // Serializing plain strings, numbers and options into a String cannot fail.
        serde_json::to_string(&self.normalized_fields()).unwrap_or_default()
    }

    /// This input with a patch applied; the result obeys every create rule
    /// (`authUser` and `authPassword` together).
    pub fn apply(&self, patch: CredentialPatch) -> Result<CredentialInput, Error> {
        let (user, password) = match &self.auth {
            Some(a) => (Some(a.user.clone()), Some(a.password.clone())),
            None => (None, None),
        };
        let user = patch.auth_user.apply(user);
        let password = patch.auth_password.apply(password);
        let auth = pair(user, password)?;
        Ok(CredentialInput {
            name: patch.name.apply(self.name.clone()),
            server: patch.server.unwrap_or_else(|| self.server.clone()),
            auth,
            domain: patch.domain.apply(self.domain.clone()),
            transport: patch.transport.unwrap_or(self.transport),
            cps_limit: patch.cps_limit.apply(self.cps_limit),
            cps_key: patch.cps_key.apply(self.cps_key.clone()),
        })
    }
}

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
        let mut obj = wire::read_object(body)?;
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
fn wiped_json_text(value: &Value) -> Result<zeroize::Zeroizing<String>, Error> {
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

/// Read a file of credential inputs: one JSON array of objects, or JSON Lines (one object per
/// line; blank lines skipped). Each item is read with the same strict rules as a single body
/// (its own 64 KiB bound, duplicate keys rejected); the outer error is for a document that is
/// neither.
///
/// ```
/// let items = sipcreds::read_input_list("[{\"server\":\"a.example.com\"}, {\"server\":\"\"}]").unwrap();
/// assert!(items[0].is_ok() && items[1].is_err());
/// let items = sipcreds::read_input_list("{\"server\":\"a.example.com\"}\n\n{\"server\":\"b.example.com\"}\n").unwrap();
/// assert_eq!(items.len(), 2);
/// ```
pub fn read_input_list(text: &str) -> Result<Vec<Result<CredentialInput, Error>>, Error> {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\u{feff}']);
    if trimmed.starts_with('[') {
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(trimmed).map_err(wire::json_error)?;
        Ok(items
            .into_iter()
            .map(|raw| CredentialInput::from_json(raw.get()))
            .collect())
    } else {
        Ok(trimmed
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(CredentialInput::from_json)
            .collect())
    }
}

/// Every input of a list ([`read_input_list`]), or the first invalid one's error with its
/// index in the field (`credentials[2].server`, for `list` = `"credentials"`).
///
/// ```
/// let err = sipcreds::read_inputs(r#"[{"server":"a.example.com"},{"server":"sip:b"}]"#, "credentials").unwrap_err();
/// assert_eq!(err.field(), Some("credentials[1].server"));
/// ```
pub fn read_inputs(text: &str, list: &str) -> Result<Vec<CredentialInput>, Error> {
    read_input_list(text)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| item.map_err(|e| e.at_index(list, i)))
        .collect()
}

/// The normalized fields of a credential input (§9), borrowing what they can: what
/// [`CredentialInput::to_normalized_json_string`] writes, and what a binding reads to build
/// its own objects without going through JSON. Never holds the password.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedFields<'a> {
    /// `name`.
    pub name: Option<&'a str>,
    /// `server`: the normalized host (IPv6 in brackets) and the port if one was given.
    pub server: Cow<'a, str>,
    /// `host`: bare (IPv6 without brackets).
    pub host: Cow<'a, str>,
    /// `port`: the effective port.
    pub port: u16,
    /// `transport`, lowercase.
    #[cfg_attr(feature = "schema", schemars(with = "crate::values::Transport"))]
    pub transport: &'static str,
    /// `authUser`.
    pub auth_user: Option<&'a str>,
    /// `hasPassword`.
    pub has_password: bool,
    /// `domain`, as written (IPv6 in brackets).
    pub domain: Option<Cow<'a, str>>,
    /// `realm`: the domain's host, else the server's, bare.
    pub realm: Cow<'a, str>,
    /// `cpsLimit`.
    pub cps_limit: Option<u32>,
    /// `cpsKey`.
    pub cps_key: Option<&'a str>,
}

fn bare(h: &Host) -> Cow<'_, str> {
    match h {
        Host::Dns(name) => Cow::Borrowed(name),
        other => Cow::Owned(other.to_string()),
    }
}

impl CredentialInput {
    /// The normalized fields, borrowed from the input.
    pub fn normalized_fields(&self) -> NormalizedFields<'_> {
        NormalizedFields {
            name: self.name.as_ref().map(|n| n.as_str()),
            server: match (self.server.host(), self.server.port()) {
                (Host::Dns(name), None) => Cow::Borrowed(name),
                _ => Cow::Owned(self.server.to_wire_string()),
            },
            host: bare(self.host()),
            port: self.effective_port().get(),
            transport: self.transport.as_str(),
            auth_user: self.auth.as_ref().map(|a| a.user.as_str()),
            has_password: self.auth.is_some(),
            domain: self.domain.as_ref().map(|d| match d.host() {
                Host::Dns(name) => Cow::Borrowed(name.as_str()),
                other => Cow::Owned(other.to_uri_form()),
            }),
            realm: bare(self.realm()),
            cps_limit: self.cps_limit.map(|l| l.get()),
            cps_key: self.cps_key.as_ref().map(|k| k.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> (ErrorCode, Option<String>) {
        let e = CredentialInput::from_json(body).unwrap_err();
        (e.code(), e.field().map(str::to_owned))
    }

    #[test]
    fn unknown_field_names_are_escaped_and_capped() {
        // An import line whose key forges a log line and sets the terminal title.
        let body = r#"{"server":"a.b","x\u001b]0;pwned\u0007\r\nINFO login ok\u202e":1}"#;
        let e = CredentialInput::from_json(body).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownField);
        let field = e.field().unwrap();
        assert_eq!(
            field,
            "x\\u001b]0;pwned\\u0007\\u000d\\u000aINFO login ok\\u202e"
        );
        for shown in [field.to_owned(), e.to_string(), e.to_json().to_string()] {
            assert!(
                !shown.chars().any(crate::error::terminal_unsafe),
                "{shown:?}"
            );
        }
        let long = format!(r#"{{"server":"a.b","{}":1}}"#, "k\\u0085".repeat(200));
        let e = CredentialInput::from_json(&long).unwrap_err();
        let field = e.field().unwrap();
        assert!(field.chars().count() <= 64, "{field}");
        assert!(
            field.ends_with('…') && field.starts_with("k\\u0085k"),
            "{field}"
        );
        assert!(e.to_string().chars().count() < 400);
    }

    #[test]
    fn field_errors_and_order() {
        assert_eq!(err("{}"), (ErrorCode::MissingField, Some("server".into())));
        assert_eq!(
            err(r#"{"server":"a.b","x":1}"#),
            (ErrorCode::UnknownField, Some("x".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","expectedVersion":1}"#).0,
            ErrorCode::UnknownField
        );
        assert_eq!(
            err(r#"{"server":"a.b","authUser":"u"}"#),
            (ErrorCode::IncompleteAuth, Some("authPassword".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","authPassword":"p"}"#),
            (ErrorCode::IncompleteAuth, Some("authUser".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":1.0}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":"5"}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":true}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":18446744073709551616}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(err(r#"{"server":null}"#).0, ErrorCode::InvalidServer);
        assert_eq!(
            err(r#"{"server":"a.b","transport":null}"#).0,
            ErrorCode::InvalidTransport
        );
        assert_eq!(err(r#"{"server":5060}"#).0, ErrorCode::InvalidServer);
    }

    #[test]
    fn patch_merge_keeps_the_auth_pair() {
        let cred =
            CredentialInput::from_json(r#"{"server":"a.b","authUser":"u","authPassword":"p"}"#)
                .unwrap();
        let rotate = CredentialPatch::from_json(r#"{"authPassword":"q"}"#).unwrap();
        assert_eq!(cred.apply(rotate).unwrap().expose_password(), Some("q"));
        let half = CredentialPatch::from_json(r#"{"authUser":null}"#).unwrap();
        let e = cred.apply(half).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::IncompleteAuth, Some("authUser"))
        );
        let both = CredentialPatch::from_json(r#"{"authUser":null,"authPassword":null}"#).unwrap();
        assert!(cred.apply(both).unwrap().auth.is_none());
        assert_eq!(
            CredentialPatch::from_json(r#"{"server":null}"#)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidServer
        );
    }
}
