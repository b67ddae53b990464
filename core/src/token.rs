//! API tokens of the HTTP API (`sipcreds serve`): made here, stored only as their SHA-256.
//!
//! A token is `sct_` and 43 base64url characters (256 random bits from the operating
//! system). It is shown once, when it is made; the store keeps its hash, its org, its role,
//! its name, when it was made and (at most once a minute) when it was last used. Revoking
//! deletes the row, so every instance sharing the store refuses the token on its next request.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::credential::{serialize_optional_timestamp, serialize_timestamp};
use crate::error::{Error, ErrorCode, Result};
use crate::values::{Name, Org, TokenId};

/// What a token may do.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every read, plus `validate`, `lint` and `diagnose`.
    Read,
    /// Everything in its org.
    Write,
}

impl Role {
    /// `read` or `write`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
        }
    }

    /// Parse `read` / `write` (the option named `field`).
    pub fn parse(s: &str, field: &'static str) -> Result<Role> {
        match s {
            "read" => Ok(Role::Read),
            "write" => Ok(Role::Write),
            _ => Err(Error::invalid(
                ErrorCode::InvalidOption,
                field,
                format!(
                    "{field} must be read or write, not \"{}\"",
                    crate::printable(s, 32)
                ),
            )),
        }
    }
}

/// The prefix of every token's text.
pub const TOKEN_PREFIX: &str = "sct_";
/// The length of a token's text: the prefix and 43 base64url characters (32 bytes).
pub const TOKEN_LEN: usize = 4 + 43;

/// A token as listed: never its text, nor its hash.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// Its id (`tok_` and a ULID): what `tokens revoke` takes.
    pub id: TokenId,
    /// Its organization.
    pub org: Org,
    /// Its name, if it was given one.
    pub name: Option<Name>,
    /// `read` or `write`.
    pub role: Role,
    /// When it was made.
    #[serde(serialize_with = "serialize_timestamp")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub created_at: OffsetDateTime,
    /// When it was last used, to the minute (`null`: never).
    #[serde(serialize_with = "serialize_optional_timestamp")]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::credential::Timestamp>")
    )]
    pub last_used_at: Option<OffsetDateTime>,
}

impl TokenInfo {
    /// `{"id", "org", "name", "role", "createdAt", "lastUsedAt"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A token as a store keeps it: its info and the SHA-256 of its text.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// What is listed.
    pub info: TokenInfo,
    /// SHA-256 of the token's text.
    pub hash: TokenHash,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The SHA-256 of a token's text: what a store keeps and looks a token up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// The hash of a token's text.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// Lowercase hex, as the SQL stores keep it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Back from [`TokenHash::to_hex`] (`None` if it is not 64 hex digits).
    pub fn from_hex(s: &str) -> Option<TokenHash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(TokenHash(out))
    }

    /// Compare in constant time.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A token just made: its info and its text, which is never shown again.
#[derive(Clone)]
pub struct NewToken {
    /// What `tokens list` will show.
    pub info: TokenInfo,
    /// The token's text (`sct_...`): give it to the client once.
    pub token: secrecy::SecretString,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("info", &self.info)
            .field("token", &"[redacted]")
            .finish()
    }
}

/// A token just made, as every surface shows it once: `{"id", "name", "role", "org",
/// "token", "createdAt"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTokenView<'a> {
    /// Its id (`tok_...`), for `list_tokens` and `revoke_token`.
    pub id: &'a TokenId,
    /// Its name.
    pub name: Option<&'a Name>,
    /// `read` or `write`.
    pub role: Role,
    /// Its organization.
    pub org: &'a Org,
    /// The token (`sct_...`): shown once, then only its hash is kept.
    pub token: &'a str,
    /// When it was made.
    #[serde(serialize_with = "serialize_timestamp_ref")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::credential::Timestamp"))]
    pub created_at: &'a OffsetDateTime,
}

fn serialize_timestamp_ref<S: serde::Serializer>(
    t: &&OffsetDateTime,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    serialize_timestamp(t, s)
}

impl std::fmt::Debug for NewTokenView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTokenView")
            .field("id", &self.id)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl NewToken {
    /// The one view of the token's text ([`NewTokenView`]).
    pub fn view(&self) -> NewTokenView<'_> {
        use secrecy::ExposeSecret;
        NewTokenView {
            id: &self.info.id,
            name: self.info.name.as_ref(),
            role: self.info.role,
            org: &self.info.org,
            token: self.token.expose_secret(),
            created_at: &self.info.created_at,
        }
    }

    /// `tokens create --json`: [`NewTokenView`] as JSON (the one place a token's text is
    /// written).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or(serde_json::Value::Null)
    }
}

/// A fresh token's text: `sct_` and 32 random bytes from the operating system, base64url.
pub(crate) fn generate_text() -> Result<String> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::storage(format!("the system's random source failed: {e}")))?;
    let mut text = String::with_capacity(TOKEN_LEN);
    text.push_str(TOKEN_PREFIX);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, &mut text);
    zeroize::Zeroize::zeroize(&mut bytes);
    Ok(text)
}

/// Whether `text` has a token's shape (checked before hashing: anything else is refused
/// without a store read).
pub fn looks_like_token(text: &str) -> bool {
    text.len() == TOKEN_LEN
        && text.starts_with(TOKEN_PREFIX)
        && text[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_their_shape_and_differ() {
        let a = generate_text().unwrap();
        let b = generate_text().unwrap();
        assert_ne!(a, b);
        assert!(looks_like_token(&a), "{}", a.len());
        assert!(!looks_like_token(&a[..46]));
        assert!(!looks_like_token(&format!("sct_{}", "=".repeat(43))));
        let h = TokenHash::of(&a);
        assert_eq!(TokenHash::from_hex(&h.to_hex()), Some(h));
        assert!(h.matches(&TokenHash::of(&a)) && !h.matches(&TokenHash::of(&b)));
        assert!(!format!("{h:?}").contains(&h.to_hex()[..8]));
    }
}
