//! Newtypes for every validated value: parsed once at the edge, so an invalid value cannot
//! exist inside the core.

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, ErrorCode};
use crate::text::quote;

/// True for characters a one-line text field must not hold: C0/C1 controls, line and
/// paragraph separators, and the bidi embedding/override/isolate controls (Trojan Source).
pub(crate) fn is_forbidden_text_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What every text value has: `Display`, `Serialize` and the JSON Schema of a string, all from
/// its text in `.0`.
macro_rules! text_value_impls {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "string".into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string"})
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(compact_str::CompactString);

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, owned.
            pub fn into_string(self) -> String {
                self.0.into_string()
            }
        }

        text_value_impls!($name);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                $name::parse(s)
            }
        }
    };
}

string_newtype!(
    /// A credential's display name: 1–100 characters, no control characters.
    ///
    /// ```
    /// use sipcreds::Name;
    /// assert!(Name::parse("Main trunk").is_ok());
    /// assert!(Name::parse("line\nbreak").is_err());
    /// ```
    Name
);

impl Name {
    /// The most characters a name may have.
    pub const MAX_CHARS: usize = 100;

    /// Parse a name.
    pub fn parse(s: &str) -> Result<Name, Error> {
        let fail = |m: &str| Error::invalid(ErrorCode::InvalidName, "name", format!("name: {m}"));
        if s.is_empty() {
            return Err(fail("the name is empty; omit it or give 1-100 characters"));
        }
        if let Some(n) = chars_past(s, Self::MAX_CHARS) {
            return Err(fail(&format!(
                "the name is {n} characters long; the limit is {}",
                Self::MAX_CHARS
            )));
        }
        if let Some(c) = s.chars().find(|&c| is_forbidden_text_char(c)) {
            return Err(fail(&format!(
                "remove the control character {}",
                c.escape_unicode()
            )));
        }
        Ok(Name(s.into()))
    }
}

string_newtype!(
    /// The digest auth user: 1–128 characters of an RFC 3261 `user` part (unreserved,
    /// `&=+$,;?/`, and `%HH` escapes).
    ///
    /// ```
    /// use sipcreds::AuthUser;
    /// assert!(AuthUser::parse("acme-trunk_01").is_ok());
    /// assert!(AuthUser::parse("a%20b").is_ok());
    /// assert!(AuthUser::parse("a b").is_err());
    /// assert!(AuthUser::parse("user@example.com").is_err());
    /// ```
    AuthUser
);

impl AuthUser {
    /// The most characters an auth user may have.
    pub const MAX_CHARS: usize = 128;

    /// Parse an auth user.
    pub fn parse(s: &str) -> Result<AuthUser, Error> {
        let fail = |m: String| {
            Error::invalid(
                ErrorCode::InvalidAuthUser,
                "authUser",
                format!("authUser {}: {m}", quote(s)),
            )
        };
        if s.is_empty() {
            return Err(fail(
                "the auth user is empty; omit authUser and authPassword, or give both".into(),
            ));
        }
        if let Some(n) = chars_past(s, Self::MAX_CHARS) {
            return Err(fail(format!(
                "it is {n} characters long; the limit is {}",
                Self::MAX_CHARS
            )));
        }
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'%' {
                if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
                    i += 3;
                    continue;
                }
                return Err(fail(
                    "\"%\" must start an escape of two hex digits, like %40 for \"@\"".into(),
                ));
            }
            let ok = c.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&c);
            if !ok {
                let ch = s[i..].chars().next().unwrap_or('?');
                let hint = if ch == '@' {
                    " (the auth user is the user part only: drop \"@\" and the host, or escape it as %40)".to_string()
                } else if ch.is_ascii() {
                    format!(" (escape it as %{:02X})", ch as u32)
                } else {
                    " (percent-encode its UTF-8 bytes)".to_string()
                };
                return Err(fail(format!(
                    "{} is not allowed in a SIP user part{hint}",
                    quote(&ch.to_string())
                )));
            }
            i += 1;
        }
        Ok(AuthUser(s.into()))
    }
}

/// A SIP digest password: 1–256 characters, no control characters.
///
/// It is a [`SecretString`]: never shown by `Debug` or `Display`, never serialized, zeroized on
/// drop. [`Password::expose`] is the one way to read it.
///
/// ```
/// use sipcreds::Password;
/// let p = Password::parse("s3cret!").unwrap();
/// assert_eq!(format!("{p:?}"), "Password(***)");
/// assert_eq!(p.expose(), "s3cret!");
/// ```
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// The most characters a password may have.
    pub const MAX_CHARS: usize = 256;

    /// Parse a password. The error never contains the value.
    pub fn parse(s: &str) -> Result<Password, Error> {
        let fail = |m: String| {
            Error::invalid(
                ErrorCode::InvalidAuthPassword,
                "authPassword",
                format!("authPassword: {m}"),
            )
        };
        if s.is_empty() {
            return Err(fail(
                "the password is empty; omit authUser and authPassword, or give both".into(),
            ));
        }
        if let Some(n) = chars_past(s, Self::MAX_CHARS) {
            return Err(fail(format!(
                "the password is {n} characters long; the limit is {}",
                Self::MAX_CHARS
            )));
        }
        if let Some((pos, _)) = s.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(fail(format!(
                "the password has a control character at position {}; remove it",
                pos + 1
            )));
        }
        Ok(Password(SecretString::from(s)))
    }

    /// The password in clear, for the SIP stack that must send it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        // Constant-time is not needed here (no oracle), but avoid short-circuit anyway.
        let (a, b) = (self.expose().as_bytes(), other.expose().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}
impl Eq for Password {}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The length of `s` in characters when it passes `max`, else `None`. A character is at least
/// a byte, so only a text longer than `max` bytes is counted.
fn chars_past(s: &str, max: usize) -> Option<usize> {
    if s.len() <= max {
        return None;
    }
    let n = s.chars().count();
    (n > max).then_some(n)
}

fn check_charset(s: &str, max: usize, allowed: impl Fn(u8) -> bool) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.len() > max {
        return Err(format!(
            "it is {} characters long; the limit is {max}",
            s.chars().count()
        ));
    }
    match s.chars().find(|&c| !c.is_ascii() || !allowed(c as u8)) {
        Some(c) => Err(format!("{} is not allowed", quote(&c.to_string()))),
        None => Ok(()),
    }
}

string_newtype!(
    /// A shared rate group key: 1–64 characters of `[A-Za-z0-9._:-]`, case-sensitive.
    ///
    /// ```
    /// use sipcreds::CpsKey;
    /// assert!(CpsKey::parse("acme:twilio-us1").is_ok());
    /// assert!(CpsKey::parse("acme shared").is_err());
    /// ```
    CpsKey
);

impl CpsKey {
    /// The most characters a key may have.
    pub const MAX_CHARS: usize = 64;

    /// Parse a key.
    pub fn parse(s: &str) -> Result<CpsKey, Error> {
        Self::check(s).map(|()| CpsKey(s.into()))
    }

    /// Check a key without keeping it (the rule of [`CpsKey::parse`], nothing allocated).
    pub fn check(s: &str) -> Result<(), Error> {
        check_charset(s, Self::MAX_CHARS, |b| {
            b.is_ascii_alphanumeric() || b"._:-".contains(&b)
        })
        .map_err(|m| {
            Error::invalid(
                ErrorCode::InvalidCpsKey,
                "cpsKey",
                format!(
                    "cpsKey {}: {m}; use 1-64 characters of A-Z a-z 0-9 . _ : -",
                    quote(s)
                ),
            )
        })
    }
}

string_newtype!(
    /// An organization id (the tenant): 1–64 characters of `[A-Za-z0-9._-]`.
    ///
    /// ```
    /// use sipcreds::Org;
    /// assert!(Org::parse("acme-corp").is_ok());
    /// assert!(Org::parse("../etc").is_err());
    /// ```
    Org
);

impl Org {
    /// Parse an org id.
    pub fn parse(s: &str) -> Result<Org, Error> {
        check_charset(s, 64, |b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            .and_then(|()| {
                if s.bytes().all(|b| b == b'.') {
                    Err("it is only dots".to_string())
                } else {
                    Ok(())
                }
            })
            .map(|()| Org(s.into()))
            .map_err(|m| {
                Error::invalid(
                    ErrorCode::InvalidOrg,
                    "org",
                    format!(
                        "org {}: {m}; use 1-64 characters of A-Z a-z 0-9 . _ -",
                        quote(s)
                    ),
                )
            })
    }
}

string_newtype!(
    /// An E.164 phone number: `+`, first digit 1–9, 8–15 digits in all.
    ///
    /// ```
    /// use sipcreds::PhoneNumber;
    /// assert!(PhoneNumber::parse("+14155550100").is_ok());
    /// assert!(PhoneNumber::parse("14155550100").is_err());
    /// assert!(PhoneNumber::parse("+1 415 555 0100").is_err());
    /// ```
    PhoneNumber
);

impl PhoneNumber {
    /// Parse a number.
    pub fn parse(s: &str) -> Result<PhoneNumber, Error> {
        let fail = |m: &str| {
            Error::invalid(
                ErrorCode::InvalidPhoneNumber,
                "number",
                format!(
                    "phone number {}: {m}; write it in E.164, like +14155550100",
                    quote(s)
                ),
            )
        };
        let Some(digits) = s.strip_prefix('+') else {
            return Err(fail("it must start with \"+\" and the country code"));
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                "only digits may follow \"+\" (no spaces, dashes or brackets)",
            ));
        }
        if digits.starts_with('0') {
            return Err(fail("the country code cannot start with 0"));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(fail(&format!(
                "it has {} digits; E.164 numbers have 8 to 15",
                digits.len()
            )));
        }
        Ok(PhoneNumber(s.into()))
    }

    /// The number's digits as an integer (E.164 has at most 15, so they fit; the first is
    /// never 0, so it round-trips through [`PhoneNumber::from_digits`]).
    pub(crate) fn digits(&self) -> u64 {
        self.0[1..]
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'))
    }

    /// The number back from [`PhoneNumber::digits`].
    pub(crate) fn from_digits(digits: u64) -> PhoneNumber {
        PhoneNumber(compact_str::format_compact!("+{digits}"))
    }
}

mod ids;
pub use ids::{AgentId, CredentialId, ProviderId, TokenId};
mod settings;
pub use settings::{CpsLimit, Transport};

#[cfg(test)]
mod tests;
