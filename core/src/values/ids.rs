//! The ids: a prefix and a ULID (`cred_`, `prov_`, `agent_`, `tok_`).

use crate::error::Error;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix of this kind of id.
            pub const PREFIX: &'static str = $prefix;

            /// A new id from a ULID.
            pub fn from_ulid(u: ulid::Ulid) -> Self {
                $name(format!("{}{}", $prefix, u))
            }

            /// A fresh id (a monotonic ULID in this process, so ids sort by creation).
            pub fn generate() -> Self {
                Self::from_ulid(next_ulid())
            }

            /// Parse an id: the prefix and a 26-character Crockford base32 ULID (case-insensitive
            /// on input, uppercase in the result). A malformed id is `not_found`: it cannot
            /// exist.
            pub fn parse(s: &str, field: &'static str) -> Result<Self, Error> {
                let u = Self::check(s, field)?;
                let body = &s[$prefix.len()..];
                // Already canonical (uppercase, no Crockford aliases): kept as given, without
                // encoding the ULID again (ids read back from a store are all canonical).
                if body.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z')) {
                    return Ok($name(s.to_owned()));
                }
                Ok(Self::from_ulid(u))
            }

            /// Check an id without keeping it (the rule of [`Self::parse`], nothing
            /// allocated): its ULID.
            pub fn check(s: &str, field: &'static str) -> Result<ulid::Ulid, Error> {
                let not_found = || Error::NotFound { what: $what, field, id: s.chars().take(100).collect() };
                let body = s.strip_prefix($prefix).ok_or_else(not_found)?;
                // 26 Crockford characters; the first one at most 7 (128 bits).
                if body.len() != 26 || !matches!(body.as_bytes()[0], b'0'..=b'7') {
                    return Err(not_found());
                }
                ulid::Ulid::from_string(body).map_err(|_| not_found())
            }

            /// The 26 ULID characters, inline (a compact key).
            #[allow(dead_code)]
            pub(crate) fn ulid_chars(&self) -> [u8; 26] {
                let mut out = [0u8; 26];
                out.copy_from_slice(&self.0.as_bytes()[$prefix.len()..]);
                out
            }

            /// The id back from [`Self::ulid_chars`].
            #[allow(dead_code)]
            pub(crate) fn from_ulid_chars(chars: &[u8; 26]) -> Self {
                $name(format!("{}{}", $prefix, String::from_utf8_lossy(chars)))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        text_value_impls!($name);
    };
}

ulid_id!(
    /// A credential id: `cred_` and a ULID.
    ///
    /// ```
    /// use sipcreds::CredentialId;
    /// let id = CredentialId::generate();
    /// assert!(id.as_str().starts_with("cred_") && id.as_str().len() == 31);
    /// assert_eq!(CredentialId::parse(id.as_str(), "id").unwrap(), id);
    /// ```
    CredentialId, "cred_", "credential"
);
ulid_id!(
    /// A provider id: `prov_` and a ULID.
    ProviderId, "prov_", "provider"
);
ulid_id!(
    /// An agent id: `agent_` and a ULID.
    AgentId, "agent_", "agent"
);
ulid_id!(
    /// An API token's id: `tok_` and a ULID (not the token: listing and revoking use it).
    TokenId, "tok_", "token"
);

/// The next ULID of this process: monotonic, so ids made in the same millisecond still sort
/// in creation order.
pub(crate) fn next_ulid() -> ulid::Ulid {
    use std::sync::Mutex;
    static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);
    let mut g = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let generator = g.get_or_insert_with(ulid::Generator::new);
    generator.generate().unwrap_or_else(|_| ulid::Ulid::new())
}
