//! The strict JSON reader behind the wire format (§3): one object, no duplicate keys, no
//! unknown fields, a size bound, and wrong JSON types reported with the field's own code.
//!
//! The reader first collects the raw values of the known fields (borrowing strings from the
//! body where it can), then the typed parsers of [`crate::credential`] validate them in the
//! order of the wire table, so the first error reported is stable.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorCode};

/// The largest body accepted, in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One table of the wire fields (§3), in their order (the order errors are reported in, and
/// the order a binding hands them over in): the constant naming each position, the wire name,
/// and the code of the field's errors. It makes [`FIELDS`], the position constants,
/// [`FIELD_CODES`] and `field_index`; [`CREATE_FIELDS`] is its create part.
macro_rules! field_table {
    ($($position:ident = $wire:literal => $code:ident;)*) => {
        /// The wire fields: the create fields, then a patch's `expectedVersion`.
        pub(crate) const FIELDS: [&str; [$($wire),*].len()] = [$($wire),*];

        /// The code of each field's errors, by position in [`FIELDS`].
        pub(crate) const FIELD_CODES: [ErrorCode; FIELDS.len()] = [$(ErrorCode::$code),*];

        field_table!(@positions 0usize; $($position)*);

        /// The position of a wire field in [`FIELDS`]: a `match`, which the compiler turns into
        /// a switch on the length and one comparison (a linear search compared the key with
        /// each).
        fn field_index(key: &str) -> Option<usize> {
            match key {
                $($wire => Some($position),)*
                _ => None,
            }
        }
    };
    (@positions $i:expr; $first:ident $($rest:ident)*) => {
        pub(crate) const $first: usize = $i;
        field_table!(@positions $i + 1; $($rest)*);
    };
    (@positions $i:expr;) => {};
}

field_table! {
    NAME = "name" => InvalidName;
    SERVER = "server" => InvalidServer;
    AUTH_USER = "authUser" => InvalidAuthUser;
    AUTH_PASSWORD = "authPassword" => InvalidAuthPassword;
    DOMAIN = "domain" => InvalidDomain;
    TRANSPORT = "transport" => InvalidTransport;
    CPS_LIMIT = "cpsLimit" => InvalidCpsLimit;
    CPS_KEY = "cpsKey" => InvalidCpsKey;
    EXPECTED_VERSION = "expectedVersion" => Conflict;
}

/// The fields of a credential input, in the order of the table of §3 (the order errors are
/// reported in, and the order a binding hands them over in): every wire field but a patch's
/// `expectedVersion`, which comes last.
pub const CREATE_FIELDS: [&str; EXPECTED_VERSION] = {
    let mut out = [""; EXPECTED_VERSION];
    let mut i = 0;
    while i < EXPECTED_VERSION {
        out[i] = FIELDS[i];
        i += 1;
    }
    out
};

/// The code of a wire field's errors (`None` for a name that is not one).
pub(crate) fn field_code(field: &str) -> Option<ErrorCode> {
    field_index(field).map(|i| FIELD_CODES[i])
}

/// A JSON value as far as the field parsers need to see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    BigUint,
    Float,
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl Raw<'_> {
    /// The JSON type's name, for messages (never the value: it may be a password).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "a boolean",
            Raw::Int(_) | Raw::BigUint => "an integer",
            Raw::Float => "a decimal number",
            Raw::Str(_) => "a string",
            Raw::Array => "an array",
            Raw::Object => "an object",
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw<'de>, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw<'de>, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw<'de>, E> {
        Ok(i64::try_from(v).map_or(Raw::BigUint, Raw::Int))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Raw<'de>, E> {
        Ok(Raw::Float)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Raw::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Raw::Object)
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// A key, borrowed from the body when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The known fields' raw values, and the first unknown field.
#[derive(Debug, Default)]
pub(crate) struct RawObject<'a> {
    pub(crate) values: [Option<Raw<'a>>; FIELDS.len()],
    pub(crate) first_unknown: Option<String>,
}

/// A body refused before its password was parsed still holds the password's owned copy (if it
/// had escapes): wipe what is left.
impl Drop for RawObject<'_> {
    fn drop(&mut self) {
        for v in &mut self.values {
            if let Some(Raw::Str(Cow::Owned(copy))) = v.take() {
                drop(zeroize::Zeroizing::new(copy));
            }
        }
    }
}

impl<'a> RawObject<'a> {
    pub(crate) fn take(&mut self, i: usize) -> Option<Raw<'a>> {
        self.values[i].take()
    }
}

/// Reads one JSON object into a [`RawObject`] the caller holds: the object (a few hundred
/// bytes) is filled where it lies instead of being returned through each layer of serde's
/// results (those moves were a tenth of a validation's time).
struct ObjectSeed<'o, 'de>(&'o mut RawObject<'de>);

impl<'de> de::DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let mut unknown_seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match field_index(&key) {
                Some(i) => {
                    let value = if i == AUTH_PASSWORD {
                        secret_value(map.next_value::<&'de RawValue>()?)
                            .map_err(de::Error::custom)?
                    } else {
                        map.next_value::<Raw<'de>>()?
                    };
                    if out.values[i].is_some() {
                        return Err(de::Error::custom(format_args!("duplicate key \"{key}\"")));
                    }
                    out.values[i] = Some(value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                    if unknown_seen.contains(&key) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate key {}",
                            crate::text::quote(&key)
                        )));
                    }
                    if out.first_unknown.is_none() {
                        out.first_unknown = Some(key.clone().into_owned());
                    }
                    unknown_seen.push(key);
                }
            }
        }
        Ok(())
    }
}

/// The password's value, read without serde_json's unescaping: that goes through the
/// deserializer's scratch buffer, which is freed without being wiped. A string without
/// escapes is borrowed from the body; one with escapes is unescaped here into the one owned
/// copy, which [`crate::credential`] zeroizes once it is parsed. Other JSON types are read as
/// usual (they are type errors, and carry no password).
fn secret_value(raw: &RawValue) -> Result<Raw<'_>, serde_json::Error> {
    let text = raw.get();
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return serde_json::from_str::<Raw<'_>>(text);
    };
    if !inner.contains('\\') {
        return Ok(Raw::Str(Cow::Borrowed(inner)));
    }
    match unescape(inner) {
        Some(s) => Ok(Raw::Str(Cow::Owned(s))),
        // A lone surrogate: let serde_json report it as it always has.
        None => serde_json::from_str::<Raw<'_>>(text),
    }
}

/// Unescape the inside of a JSON string literal that serde_json has already checked (so every
/// escape is well formed); `None` for a lone surrogate, which JSON text may hold but a string
/// may not.
fn unescape(inner: &str) -> Option<String> {
    fn hex4(b: &[u8]) -> u32 {
        b.iter().fold(0, |acc, &c| {
            acc * 16 + (c as char).to_digit(16).unwrap_or(0)
        })
    }
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < b.len() {
        let Some(off) = b[i..].iter().position(|&c| c == b'\\') else {
            out.push_str(&inner[i..]);
            break;
        };
        out.push_str(&inner[i..i + off]);
        i += off + 1;
        let Some(&e) = b.get(i) else { break };
        i += 1;
        let c = match e {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' if i + 4 <= b.len() => {
                let mut cp = hex4(&b[i..i + 4]);
                i += 4;
                if (0xD800..0xDC00).contains(&cp) {
                    if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') || i + 6 > b.len() {
                        return None;
                    }
                    let lo = hex4(&b[i + 2..i + 6]);
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                char::from_u32(cp)?
            }
            other => other as char, // '"', '\\', '/'
        };
        out.push(c);
    }
    Some(out)
}

/// Read one JSON object with the size bound; syntax errors, duplicate keys and a body that is
/// not an object are `invalid_json`, an oversized body `too_large`.
pub(crate) fn read_object<'a>(body: &'a str, out: &mut RawObject<'a>) -> Result<(), Error> {
    check_size(body)?;
    let first = body.trim_start_matches([' ', '\t', '\n', '\r']);
    if first.is_empty() {
        return Err(invalid_json(
            "the body is empty; send one JSON object such as {\"server\": \"sip.example.com\"}",
        ));
    }
    if !first.starts_with('{') {
        return Err(invalid_json("the body must be one JSON object ({...})"));
    }
    let mut de = serde_json::Deserializer::from_str(body);
    de::DeserializeSeed::deserialize(ObjectSeed(out), &mut de).map_err(json_error)?;
    de.end().map_err(json_error)
}

/// The raw object of a binding's fields (see [`crate::CredentialInput::from_fields`]), filled
/// in place: `None` for a key that is not a field (or `expectedVersion` when `allow_expected_version`
/// is false), a repeated key, or values whose JSON text might pass the size bound.
pub(crate) fn object_from_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, FieldValue<'a>)>,
    allow_expected_version: bool,
    out: &mut RawObject<'a>,
) -> Option<()> {
    // An upper bound of the JSON text's length: braces, and per field its quoted key, a
    // colon, a comma, and the value with every byte escaped as \u00XX at worst.
    let mut bound = 2usize;
    for (key, value) in fields {
        let i = field_index(key).filter(|&i| allow_expected_version || i != EXPECTED_VERSION)?;
        if out.values[i].is_some() {
            return None;
        }
        bound += key.len() + 4;
        out.values[i] = Some(match value {
            FieldValue::Null => {
                bound += 4;
                Raw::Null
            }
            FieldValue::Bool(b) => {
                bound += 5;
                Raw::Bool(b)
            }
            FieldValue::Int(n) => {
                bound += 20;
                Raw::Int(n)
            }
            FieldValue::Str(s) => {
                bound = bound
                    .saturating_add(s.len().saturating_mul(6))
                    .saturating_add(2);
                Raw::Str(Cow::Borrowed(s))
            }
        });
    }
    (bound <= MAX_BODY_BYTES).then_some(())
}

/// Check the 64 KiB bound.
pub(crate) fn check_size(body: &str) -> Result<(), Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::Invalid {
            code: ErrorCode::TooLarge,
            field: None,
            message: format!(
                "the body is {} bytes; the limit is {MAX_BODY_BYTES} bytes (64 KiB)",
                body.len()
            ),
        });
    }
    Ok(())
}

pub(crate) fn invalid_json(message: impl Into<String>) -> Error {
    Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: message.into(),
    }
}

/// serde_json's syntax messages name a position, never the content; data errors here are
/// only our own (duplicate keys), so the text is safe to show.
pub(crate) fn json_error(e: serde_json::Error) -> Error {
    invalid_json(format!("invalid JSON: {e}"))
}

#[cfg(test)]
mod field_index_tests {
    #[test]
    fn every_field_has_its_index() {
        for (i, f) in super::FIELDS.iter().enumerate() {
            assert_eq!(super::field_index(f), Some(i));
        }
        assert_eq!(super::field_index("Name"), None);
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

#[cfg(test)]
mod tests;
