//! The HTTP API's tokens on the registry: made, listed, revoked, and checked on each request.

use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::{Registry, now};
use crate::error::{Error, ErrorCode, Result};
use crate::token::{NewToken, Role, TokenHash, TokenInfo, TokenRecord, generate_text};
use crate::values::{Name, Org, TokenId};

/// A token's `last used` is written at most this often (not on every request).
pub const LAST_USED_EVERY: Duration = Duration::from_secs(60);

impl Registry {
    /// Make a token for `org` with `role` (and an optional name). Its text is in the answer
    /// and nowhere else: the store keeps its SHA-256.
    ///
    /// ```
    /// use secrecy::ExposeSecret;
    /// let reg = sipcreds::Registry::in_memory();
    /// let t = reg.create_token("acme", sipcreds::Role::Read, Some("dashboard")).unwrap();
    /// assert!(t.token.expose_secret().starts_with("sct_"));
    /// let who = reg.authenticate_token(t.token.expose_secret()).unwrap();
    /// assert_eq!((who.org.as_str(), who.role), ("acme", sipcreds::Role::Read));
    /// reg.revoke_token("acme", who.id.as_str()).unwrap();
    /// assert_eq!(reg.authenticate_token(t.token.expose_secret()).unwrap_err().code().as_str(), "unauthorized");
    /// ```
    pub fn create_token(&self, org: &str, role: Role, name: Option<&str>) -> Result<NewToken> {
        let org = Org::parse(org)?;
        let name = name.map(Name::parse).transpose()?;
        let text = generate_text()?;
        let info = TokenInfo {
            id: TokenId::generate(),
            org,
            name,
            role,
            created_at: now(),
            last_used_at: None,
        };
        let record = TokenRecord {
            info: info.clone(),
            hash: TokenHash::of(&text),
        };
        self.write(|tx| tx.insert_token(&record))?;
        Ok(NewToken {
            info,
            token: SecretString::from(text),
        })
    }

    /// An org's tokens (never their text), in creation order.
    pub fn list_tokens(&self, org: &str) -> Result<Vec<TokenInfo>> {
        let org = Org::parse(org)?;
        let records = self.read(|tx| tx.tokens(&org))?;
        Ok(records.into_iter().map(|r| r.info).collect())
    }

    /// End a token at once (`not_found` if the org has no token with this id): every instance
    /// sharing the store refuses it on its next request.
    pub fn revoke_token(&self, org: &str, id: &str) -> Result<TokenInfo> {
        let org = Org::parse(org)?;
        let id = TokenId::parse(id, "id")?;
        self.write(|tx| {
            let found = tx.tokens(&org)?.into_iter().find(|t| t.info.id == id);
            let Some(found) = found else {
                return Err(Error::NotFound {
                    what: "token",
                    field: "id",
                    id: id.to_string(),
                });
            };
            tx.delete_token(&org, &id)?;
            Ok(found.info)
        })
    }

    /// Who a token is (`unauthorized` if it is not one of the store's): read from the store on
    /// every call, so a revocation holds at once. Its `last used` is written at most once a
    /// minute per token by this registry.
    pub fn authenticate_token(&self, text: &str) -> Result<TokenInfo> {
        let refused = || {
            Error::denied(
                ErrorCode::Unauthorized,
                "the token is not valid (unknown, revoked or mistyped); send \"Authorization: Bearer sct_...\" with a token from `sipcreds tokens create`",
            )
        };
        if !crate::token::looks_like_token(text) {
            return Err(refused());
        }
        let hash = TokenHash::of(text);
        let record = self.read(|tx| tx.token_by_hash(&hash))?;
        let Some(record) = record.filter(|r| r.hash.matches(&hash)) else {
            return Err(refused());
        };
        let due = {
            let mut touched = self.token_touched.lock().unwrap_or_else(|p| p.into_inner());
            let now_i = Instant::now();
            match touched.get(&record.info.id) {
                Some(at) if now_i.duration_since(*at) < LAST_USED_EVERY => false,
                _ => {
                    if touched.len() > 100_000 {
                        touched.clear();
                    }
                    touched.insert(record.info.id.clone(), now_i);
                    true
                }
            }
        };
        let mut info = record.info;
        if due {
            let at = now();
            // A failed write of `last used` does not refuse the request.
            if self
                .write(|tx| tx.touch_token(&info.org, &info.id, at))
                .is_ok()
            {
                info.last_used_at = Some(at);
            }
        }
        Ok(info)
    }
}
