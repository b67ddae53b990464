//! The row shapes every SQL store shares (`sipcreds-sqlite`, `sipcreds-postgres`):
//! a credential as plain columns with its password encrypted, and back, with every value
//! re-validated on the way in so a tampered row is a clear `storage` error, never a bad value.

use std::str::FromStr;

use sipcreds::{
    AgentId, Auth, AuthUser, CpsKey, CpsLimit, Credential, CredentialId, CredentialInput, Domain,
    Error, Name, Org, Password, PhoneNumber, Provider, ProviderId, RateRow, Result,
    SealedCredential, ServerAddress, Source, Transport,
};
use time::OffsetDateTime;

use crate::crypto::{Key, aad};

/// A stored value that does not pass the rules: the database was changed behind our back.
pub fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::storage(format!("the database holds an invalid {what}: {e}"))
}

/// Seconds since the epoch, as stored.
pub fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A stored timestamp.
pub fn from_ts(s: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(s).map_err(|e| corrupt("timestamp", e))
}

/// A stored phone number.
pub fn parse_number(s: &str) -> Result<PhoneNumber> {
    PhoneNumber::parse(s).map_err(|e| corrupt("phone number", e))
}

/// A stored org.
pub fn parse_org(s: &str) -> Result<Org> {
    Org::parse(s).map_err(|e| corrupt("org", e))
}

/// A stored credential id.
pub fn parse_credential_id(s: &str) -> Result<CredentialId> {
    CredentialId::parse(s, "credentialId").map_err(|e| corrupt("credential id", e))
}

/// A stored agent id.
pub fn parse_agent_id(s: &str) -> Result<AgentId> {
    AgentId::parse(s, "agentId").map_err(|e| corrupt("agent id", e))
}

/// A stored name (of an agent or a provider).
pub fn parse_name(s: &str, what: &str) -> Result<Name> {
    Name::parse(s).map_err(|e| corrupt(what, e))
}

/// A credential's rate fields from their columns (`id, cps_limit, cps_key`).
pub fn rate_row(id: &str, cps_limit: Option<i64>, cps_key: Option<&str>) -> Result<RateRow> {
    Ok(RateRow {
        id: parse_credential_id(id)?,
        cps_limit: stored_limit(cps_limit)?,
        cps_key: cps_key
            .map(CpsKey::parse)
            .transpose()
            .map_err(|e| corrupt("cpsKey", e))?,
    })
}

/// A stored `cpsLimit`.
fn stored_limit(n: Option<i64>) -> Result<Option<CpsLimit>> {
    n.map(CpsLimit::new)
        .transpose()
        .map_err(|e| corrupt("cpsLimit", e))
}

/// A credential's rate fields from their columns, checked by the rules and kept borrowed
/// (for [`sipcreds::Tx::each_rate_row`]).
pub fn rate_fields<'a>(
    id: &'a str,
    cps_limit: Option<i64>,
    cps_key: Option<&'a str>,
) -> Result<(&'a str, Option<CpsLimit>, Option<&'a str>)> {
    CredentialId::check(id, "credentialId").map_err(|e| corrupt("credential id", e))?;
    let limit = stored_limit(cps_limit)?;
    if let Some(k) = cps_key {
        CpsKey::check(k).map_err(|e| corrupt("cpsKey", e))?;
    }
    Ok((id, limit, cps_key))
}

/// A stored change counter.
pub fn counter(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|e| corrupt("change counter", e))
}

/// A provider from its columns.
pub fn provider(
    org: &Org,
    id: &str,
    kind: String,
    name: &str,
    created_at: i64,
) -> Result<Provider> {
    Ok(Provider {
        id: ProviderId::parse(id, "providerId").map_err(|e| corrupt("provider id", e))?,
        org: org.clone(),
        kind,
        name: parse_name(name, "provider name")?,
        created_at: from_ts(created_at)?,
    })
}

/// An `authUser` with its password still encrypted.
type SealedAuth = (AuthUser, Vec<u8>);

/// A credential's columns (the password encrypted, bound to its org and id).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct CredRow {
    pub id: String,
    pub org: String,
    pub name: Option<String>,
    pub server: String,
    pub auth_user: Option<String>,
    pub password: Option<Vec<u8>>,
    pub domain: Option<String>,
    pub transport: String,
    pub cps_limit: Option<i64>,
    pub cps_key: Option<String>,
    pub provider_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CredRow {
    /// The columns of a credential, its password encrypted under `key`.
    pub fn from_credential(c: &Credential, key: &Key) -> Result<CredRow> {
        let password = c
            .input
            .auth
            .as_ref()
            .map(|a| key.encrypt(a.password.expose(), &aad(&c.org, &c.id)))
            .transpose()?;
        Ok(CredRow::with_password(c, password))
    }

    /// The columns of many credentials (a batch write), their passwords encrypted under
    /// `key` together ([`Key::encrypt_all`]).
    pub fn from_credentials<'a, I>(cs: I, key: &Key) -> Result<Vec<CredRow>>
    where
        I: IntoIterator<Item = &'a Credential>,
        I::IntoIter: Clone,
    {
        let cs = cs.into_iter();
        let clear: Vec<(&str, Vec<u8>)> = cs
            .clone()
            .filter_map(|c| Some((c.input.auth.as_ref()?.password.expose(), aad(&c.org, &c.id))))
            .collect();
        let mut sealed = key.encrypt_all(&clear)?.into_iter();
        drop(clear);
        Ok(cs
            .map(|c| {
                let password = c.input.auth.as_ref().and_then(|_| sealed.next());
                CredRow::with_password(c, password)
            })
            .collect())
    }

    fn with_password(c: &Credential, password: Option<Vec<u8>>) -> CredRow {
        let i = &c.input;
        CredRow {
            id: c.id.to_string(),
            org: c.org.to_string(),
            name: i.name.as_ref().map(|n| n.as_str().to_owned()),
            server: i.server.to_wire_string(),
            auth_user: i.auth.as_ref().map(|a| a.user.as_str().to_owned()),
            password,
            domain: i.domain.as_ref().map(|d| d.host().to_uri_form()),
            transport: i.transport.as_str().to_owned(),
            cps_limit: i.cps_limit.map(|l| i64::from(l.get())),
            cps_key: i.cps_key.as_ref().map(|k| k.as_str().to_owned()),
            provider_id: match &c.source {
                Source::Provider(p) => Some(p.as_str().to_owned()),
                Source::Manual => None,
            },
            version: i64::try_from(c.version).unwrap_or(i64::MAX),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
        }
    }

    /// The credential, its password decrypted with `key`; every column re-validated.
    pub fn into_credential(self, key: &Key) -> Result<Credential> {
        let (mut c, sealed) = self.into_parts()?;
        if let Some((user, blob)) = sealed {
            let clear = key.decrypt(&blob, &aad(&c.org, &c.id))?;
            c.input.auth = Some(Auth {
                user,
                password: Password::parse(&clear)
                    .map_err(|_| corrupt("password", "rejected by the rules"))?,
            });
        }
        Ok(c)
    }

    /// The credential with its password left encrypted (what lint reads); every other column
    /// re-validated.
    pub fn into_sealed(self) -> Result<SealedCredential> {
        let (c, sealed) = self.into_parts()?;
        Ok(SealedCredential {
            id: c.id,
            input: c.input,
            auth_user: sealed.map(|(user, _)| user),
        })
    }

    /// The credential without its `auth`, and its `authUser` with the encrypted password.
    fn into_parts(self) -> Result<(Credential, Option<SealedAuth>)> {
        let row = self;
        let id = CredentialId::parse(&row.id, "id").map_err(|e| corrupt("credential id", e))?;
        let org = Org::parse(&row.org).map_err(|e| corrupt("org", e))?;
        let sealed = match (row.auth_user, row.password) {
            (Some(u), Some(blob)) => Some((
                AuthUser::parse(&u).map_err(|e| corrupt("authUser", e))?,
                blob,
            )),
            (None, None) => None,
            _ => return Err(corrupt("credential", "authUser without password")),
        };
        let input = CredentialInput {
            name: row
                .name
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(|e| corrupt("name", e))?,
            server: ServerAddress::from_str(&row.server).map_err(|e| corrupt("server", e))?,
            auth: None,
            domain: row
                .domain
                .as_deref()
                .map(Domain::from_str)
                .transpose()
                .map_err(|e| corrupt("domain", e))?,
            transport: Transport::parse(&row.transport).map_err(|e| corrupt("transport", e))?,
            cps_limit: stored_limit(row.cps_limit)?,
            cps_key: row
                .cps_key
                .as_deref()
                .map(CpsKey::parse)
                .transpose()
                .map_err(|e| corrupt("cpsKey", e))?,
        };
        let source = match row.provider_id {
            Some(p) => Source::Provider(
                ProviderId::parse(&p, "providerId").map_err(|e| corrupt("provider id", e))?,
            ),
            None => Source::Manual,
        };
        Ok((
            Credential {
                id,
                org,
                input,
                source,
                version: u64::try_from(row.version).map_err(|e| corrupt("version", e))?,
                created_at: from_ts(row.created_at)?,
                updated_at: from_ts(row.updated_at)?,
            },
            sealed,
        ))
    }
}
