//! A credential's input (the body of a create): parsed, validated and normalized, from JSON
//! text, a list of them, or a binding's fields; and its normalized fields.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::CredentialPatch;
use super::fields::*;
use super::patch::wiped_json_text;
use crate::Domain;
use crate::error::{Error, ErrorCode};
use crate::host::{Host, Port, ServerAddress};
use crate::values::{AuthUser, CpsKey, CpsLimit, Name, Password, Transport};
use crate::wire::FieldValue;
use crate::wire::{self, RawObject};

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

impl CredentialInput {
    /// Parse and validate a create body (§3): one JSON object of at most 64 KiB.
    pub fn from_json(body: &str) -> Result<CredentialInput, Error> {
        let mut obj = RawObject::default();
        wire::read_object(body, &mut obj)?;
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
        let mut obj = RawObject::default();
        wire::object_from_fields(fields, false, &mut obj)?;
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
        let values = [
            or_null(name.map(Name::into_string)),
            server,
            host,
            port,
            transport,
            or_null(auth_user),
            Value::Bool(has_password),
            domain,
            realm,
            cps_limit,
            or_null(cps_key.map(CpsKey::into_string)),
        ];
        // A clone of a map that already holds the keys copies their hashes with them, so no
        // key is hashed here (SipHash on 11 keys was a fifth of this function); the values are
        // then written in order.
        let mut m = normalized_template().clone();
        for (slot, value) in m.values_mut().zip(values) {
            *slot = value;
        }
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

/// The keys of the normalized output (§9), in order, as `NormalizedFields` serializes them.
pub const NORMALIZED_KEYS: [&str; 11] = [
    "name",
    "server",
    "host",
    "port",
    "transport",
    "authUser",
    "hasPassword",
    "domain",
    "realm",
    "cpsLimit",
    "cpsKey",
];

/// A map of [`NORMALIZED_KEYS`] to `null`, made once.
fn normalized_template() -> &'static Map<String, Value> {
    static TEMPLATE: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        NORMALIZED_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), Value::Null))
            .collect()
    })
}

pub(super) fn bare(h: &Host) -> Cow<'_, str> {
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
