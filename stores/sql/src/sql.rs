//! The statements both SQL stores run, written once. A template names tables as `{t}name`
//! and parameters as `?N`, and uses only syntax both engines accept (`CAST(? AS TEXT)`,
//! `ON CONFLICT ... DO UPDATE`, `RETURNING`); [`Dialect::sql`] gives an engine its spelling:
//! SQLite's tables unprefixed and `?N`, PostgreSQL's prefixed `sipcreds_` (to share a
//! database with others) and `$N`. Column types differ too: `{i64}` is `INTEGER` in SQLite
//! (its `STRICT` tables know no `BIGINT`) and `BIGINT` in PostgreSQL; `{blob}` is `BLOB` or
//! `BYTEA`; `{strict}` is SQLite's ` STRICT` table option (nothing in PostgreSQL).

use std::sync::LazyLock;

/// An SQL engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (`sipcreds-sqlite`).
    Sqlite,
    /// PostgreSQL (`sipcreds-postgres`).
    Postgres,
}

impl Dialect {
    /// The prefix of this engine's table names.
    pub fn table_prefix(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "sipcreds_",
        }
    }

    /// A template in this engine's spelling (see the module's documentation).
    pub fn sql(self, template: &str) -> String {
        let (i64_type, blob, strict) = match self {
            Dialect::Sqlite => ("INTEGER", "BLOB", " STRICT"),
            Dialect::Postgres => ("BIGINT", "BYTEA", ""),
        };
        let s = template
            .replace("{t}", self.table_prefix())
            .replace("{i64}", i64_type)
            .replace("{blob}", blob)
            .replace("{strict}", strict);
        match self {
            Dialect::Sqlite => s,
            Dialect::Postgres => s.replace('?', "$"),
        }
    }

    /// Every statement, in this engine's spelling (made once per process).
    pub fn statements(self) -> &'static Statements {
        static SQLITE: LazyLock<Statements> = LazyLock::new(|| Statements::new(Dialect::Sqlite));
        static POSTGRES: LazyLock<Statements> =
            LazyLock::new(|| Statements::new(Dialect::Postgres));
        match self {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
        }
    }
}

/// A credential's columns, in the order of [`crate::row::CredRow`].
macro_rules! cred_columns {
    () => {
        "id, org, name, server, auth_user, password, domain, transport, cps_limit, cps_key, \
         provider_id, version, created_at, updated_at"
    };
}

/// A credential's columns, in the order of [`crate::row::CredRow`] (for a store's row mapper).
pub const CRED_COLUMNS: &str = cred_columns!();

macro_rules! statements {
    ($( $(#[$doc:meta])* $name:ident = $sql:expr; )*) => {
        /// The statements of the stores, in one engine's spelling ([`Dialect::statements`]).
        #[derive(Debug)]
        #[allow(missing_docs)]
        pub struct Statements {
            $( $(#[$doc])* pub $name: String, )*
        }

        impl Statements {
            fn new(d: Dialect) -> Statements {
                Statements { $( $name: d.sql($sql), )* }
            }

            /// Every statement with its name (for tests: each one prepares on its engine).
            pub fn all(&self) -> Vec<(&'static str, &str)> {
                vec![$( (stringify!($name), self.$name.as_str()), )*]
            }
        }
    };
}

statements! {
    // ------------------------------------------------------------ reads and writes
    //
    // (The credential's columns are in `CRED_COLUMNS`'s order, which `row::CredRow` follows.)

    /// One credential.
    credential = concat!("SELECT ", cred_columns!(), " FROM {t}credentials WHERE org = ?1 AND id = ?2");
    /// An org's credentials, in creation order.
    credentials = concat!("SELECT ", cred_columns!(), " FROM {t}credentials WHERE org = ?1 ORDER BY seq");
    /// A page of credentials after a cursor, by id.
    credentials_after = concat!("SELECT ", cred_columns!(), " FROM {t}credentials WHERE org = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
    /// The numbers of an agent, sorted.
    agent_numbers_of = "SELECT number FROM {t}agent_numbers WHERE org = ?1 AND agent_id = ?2 ORDER BY number";
    /// The numbers of the agents with an id in `(?2, ?3]` (`?3` NULL: no upper bound), by agent.
    agent_numbers_in = "SELECT agent_id, number FROM {t}agent_numbers WHERE org = ?1 AND agent_id > ?2 AND (CAST(?3 AS TEXT) IS NULL OR agent_id <= ?3) ORDER BY agent_id, number";
    /// Whether a credential exists.
    credential_exists = "SELECT 1 FROM {t}credentials WHERE org = ?1 AND id = ?2";
    /// The ids of a provider's credentials.
    provider_credentials = "SELECT id FROM {t}credentials WHERE org = ?1 AND provider_id = ?2 ORDER BY seq";
    /// A number's credential.
    number = "SELECT credential_id FROM {t}numbers WHERE org = ?1 AND number = ?2";
    /// An org's numbers, sorted.
    numbers = "SELECT number, credential_id FROM {t}numbers WHERE org = ?1 ORDER BY number";
    /// A page of numbers after a cursor.
    numbers_after = "SELECT number, credential_id FROM {t}numbers WHERE org = ?1 AND number > ?2 ORDER BY number LIMIT ?3";
    /// The numbers linked to a credential, sorted.
    credential_numbers = "SELECT number FROM {t}numbers WHERE org = ?1 AND credential_id = ?2 ORDER BY number";
    /// Insert or replace a number's record.
    number_put = "INSERT INTO {t}numbers (org, number, credential_id) VALUES (?1, ?2, ?3) ON CONFLICT (org, number) DO UPDATE SET credential_id = excluded.credential_id";
    /// Delete a number (its assignments cascade).
    number_delete = "DELETE FROM {t}numbers WHERE org = ?1 AND number = ?2";
    /// One agent.
    agent = "SELECT id, name, created_at FROM {t}agents WHERE org = ?1 AND id = ?2";
    /// An org's agents, in creation order.
    agents = "SELECT id, name, created_at FROM {t}agents WHERE org = ?1 ORDER BY seq";
    /// A page of agents after a cursor.
    agents_after = "SELECT id, name, created_at FROM {t}agents WHERE org = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
    /// A new agent.
    agent_insert = "INSERT INTO {t}agents (org, id, name, created_at) VALUES (?1, ?2, ?3, ?4)";
    /// Delete an agent (its assignments cascade).
    agent_delete = "DELETE FROM {t}agents WHERE org = ?1 AND id = ?2";
    /// Assign a number to an agent (idempotent).
    assign = "INSERT INTO {t}agent_numbers (org, agent_id, number) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
    /// Remove an assignment.
    unassign = "DELETE FROM {t}agent_numbers WHERE org = ?1 AND agent_id = ?2 AND number = ?3";
    /// One provider.
    provider = "SELECT id, kind, name, created_at FROM {t}providers WHERE org = ?1 AND id = ?2";
    /// An org's providers, in creation order.
    providers = "SELECT id, kind, name, created_at FROM {t}providers WHERE org = ?1 ORDER BY seq";
    /// A page of providers after a cursor.
    providers_after = "SELECT id, kind, name, created_at FROM {t}providers WHERE org = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
    /// A new provider.
    provider_insert = "INSERT INTO {t}providers (org, id, kind, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
    /// Delete a provider.
    provider_delete = "DELETE FROM {t}providers WHERE org = ?1 AND id = ?2";

    // ------------------------------------------------------------ credentials

    /// A new credential (its columns as [`crate::row::CredRow`] orders them), stamped with
    /// the org's change counter (`?15`).
    credential_insert = "INSERT INTO {t}credentials (id, org, name, server, auth_user, password, domain, \
        transport, cps_limit, cps_key, provider_id, version, created_at, updated_at, changed) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
    /// A changed credential, stamped with the org's change counter (`?15`).
    credential_update = "UPDATE {t}credentials SET name = ?3, server = ?4, auth_user = ?5, password = ?6, \
        domain = ?7, transport = ?8, cps_limit = ?9, cps_key = ?10, provider_id = ?11, version = ?12, \
        created_at = ?13, updated_at = ?14, changed = ?15 WHERE id = ?1 AND org = ?2";
    /// Delete a credential.
    credential_delete = "DELETE FROM {t}credentials WHERE org = ?1 AND id = ?2";

    // ------------------------------------------------------------ the rate projection

    /// An org's credentials' rate fields (`id, cps_limit, cps_key`) in creation order: no
    /// password read, nothing decrypted.
    rate_rows = "SELECT id, cps_limit, cps_key FROM {t}credentials WHERE org = ?1 ORDER BY seq";
    /// The org's change counter and the counter below which removals were pruned (no row:
    /// nothing was ever written since the counter was added).
    change_counter = "SELECT counter, pruned FROM {t}org_changes WHERE org = ?1";
    /// The rate fields of the credentials written after counter `?2`.
    rate_rows_changed = "SELECT id, cps_limit, cps_key FROM {t}credentials \
        WHERE org = ?1 AND changed > ?2 ORDER BY changed";
    /// The credentials removed after counter `?2`.
    removed_since = "SELECT id FROM {t}credential_removals WHERE org = ?1 AND changed > ?2 \
        ORDER BY changed";
    /// Move the org's change counter on by one and return it: once per writing transaction
    /// and org (every credential the transaction writes or deletes is stamped with it; a
    /// reader sees all of a transaction's writes or none).
    bump_counter = "INSERT INTO {t}org_changes (org, counter, pruned) VALUES (?1, 1, 0) \
        ON CONFLICT (org) DO UPDATE SET counter = {t}org_changes.counter + 1 RETURNING counter";
    /// Record a removal at the counter.
    record_removal = "INSERT INTO {t}credential_removals (org, changed, id) VALUES (?1, ?2, ?3)";
    /// Forget removals at or below `?2`, and say so (a reader that last saw an older counter
    /// then reloads the org).
    prune_removals = "DELETE FROM {t}credential_removals WHERE org = ?1 AND changed <= ?2";
    /// See `prune_removals`.
    set_pruned = "UPDATE {t}org_changes SET pruned = ?2 WHERE org = ?1 AND pruned < ?2";

    // ------------------------------------------------------------ API tokens

    /// A new token (its hash as lowercase hex).
    token_insert = "INSERT INTO {t}tokens (hash, org, id, name, role, created_at, last_used) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    /// The token with a hash.
    token_by_hash = "SELECT hash, org, id, name, role, created_at, last_used FROM {t}tokens WHERE hash = ?1";
    /// An org's tokens, in creation order (ids are ULIDs).
    tokens = "SELECT hash, org, id, name, role, created_at, last_used FROM {t}tokens WHERE org = ?1 ORDER BY id";
    /// Delete a token.
    token_delete = "DELETE FROM {t}tokens WHERE org = ?1 AND id = ?2";
    /// Record a token's last use.
    token_touch = "UPDATE {t}tokens SET last_used = ?3 WHERE org = ?1 AND id = ?2";
    // ------------------------------------------------------------ health (§13)

    /// A credential's health row.
    health = "SELECT record, version, lease_owner, lease_until FROM {t}health WHERE org = ?1 AND id = ?2";
    /// Insert or replace a health row.
    health_put = "INSERT INTO {t}health (org, id, record, version, state, next_at, lease_owner, lease_until) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (org, id) DO UPDATE SET record = excluded.record, \
        version = excluded.version, state = excluded.state, next_at = excluded.next_at, \
        lease_owner = excluded.lease_owner, lease_until = excluded.lease_until";
    /// Insert a health row unless there is one.
    health_insert = "INSERT INTO {t}health (org, id, record, version, state, next_at, lease_owner, lease_until) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (org, id) DO NOTHING";
    /// Append an event to a credential's.
    health_event_insert = "INSERT INTO {t}health_events (org, id, seq, event) VALUES (?1, ?2, \
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM {t}health_events WHERE org = ?1 AND id = ?2), ?3)";
    /// Keep a credential's last `?3` events.
    health_events_trim = "DELETE FROM {t}health_events WHERE org = ?1 AND id = ?2 AND seq <= \
        (SELECT MAX(seq) FROM {t}health_events WHERE org = ?1 AND id = ?2) - ?3";
    /// A credential's events, oldest first.
    health_events = "SELECT event FROM {t}health_events WHERE org = ?1 AND id = ?2 ORDER BY seq";
    /// Take a lease (owner `?3`, now `?4`, due by `?5`, until `?6`) if it may be taken; the
    /// credential is then not due again before the lease ends (`next_at`: the record keeps
    /// its `nextProbeAt` until the probe's result is written).
    take_lease = "UPDATE {t}health SET lease_owner = ?3, lease_until = ?6, next_at = ?6 WHERE org = ?1 AND id = ?2 \
        AND next_at IS NOT NULL AND next_at <= ?5 AND state NOT IN ('paused', 'rejected') \
        AND (lease_owner IS NULL OR lease_owner = ?3 OR lease_until < ?4)";
    /// The credentials whose lease owner `?1` could take at `?2`, due by `?3`, soonest first
    /// (of org `?5`; NULL: of every org).
    health_due = "SELECT org, id FROM {t}health WHERE (CAST(?5 AS TEXT) IS NULL OR org = ?5) AND next_at IS NOT NULL AND next_at <= ?3 \
        AND state NOT IN ('paused', 'rejected') AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?2) \
        ORDER BY next_at LIMIT ?4";
    /// Credentials with no health row (`org, id, version, updated_at`) of org `?2` (NULL: of every org).
    unmonitored = "SELECT c.org, c.id, c.version, c.updated_at FROM {t}credentials c WHERE (CAST(?2 AS TEXT) IS NULL OR c.org = ?2) AND NOT EXISTS \
        (SELECT 1 FROM {t}health h WHERE h.org = c.org AND h.id = c.id) LIMIT ?1";
    /// How many records each state has, across every org.
    health_state_counts = "SELECT state, COUNT(*) FROM {t}health GROUP BY state ORDER BY state";
    /// Give up an owner's leases.
    release_leases = "UPDATE {t}health SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?1";
}

/// A token's columns as read (`token_by_hash`, `tokens`), in order.
#[derive(Debug)]
pub struct TokenRow {
    /// SHA-256, lowercase hex.
    pub hash: String,
    /// Org.
    pub org: String,
    /// `tok_...`.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// `read` / `write`.
    pub role: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_used: Option<i64>,
}

impl TokenRow {
    /// The columns of a token to write.
    pub fn of(t: &sipcreds::TokenRecord) -> TokenRow {
        TokenRow {
            hash: t.hash.to_hex(),
            org: t.info.org.as_str().to_owned(),
            id: t.info.id.as_str().to_owned(),
            name: t.info.name.as_ref().map(|n| n.as_str().to_owned()),
            role: t.info.role.as_str().to_owned(),
            created_at: t.info.created_at.unix_timestamp(),
            last_used: t.info.last_used_at.map(|t| t.unix_timestamp()),
        }
    }

    /// The token back, every column checked (a row that does not parse is `storage`).
    pub fn into_record(self) -> sipcreds::Result<sipcreds::TokenRecord> {
        use sipcreds::{Error, Name, Org, Role, TokenHash, TokenId, TokenInfo, TokenRecord};
        let corrupt = |what: &str| Error::storage(format!("corrupt token row: {what}"));
        let ts =
            |s: i64| time::OffsetDateTime::from_unix_timestamp(s).map_err(|_| corrupt("timestamp"));
        Ok(TokenRecord {
            hash: TokenHash::from_hex(&self.hash).ok_or_else(|| corrupt("hash"))?,
            info: TokenInfo {
                id: TokenId::parse(&self.id, "id").map_err(|_| corrupt("id"))?,
                org: Org::parse(&self.org).map_err(|_| corrupt("org"))?,
                name: self
                    .name
                    .as_deref()
                    .map(Name::parse)
                    .transpose()
                    .map_err(|_| corrupt("name"))?,
                role: Role::parse(&self.role, "role").map_err(|_| corrupt("role"))?,
                created_at: ts(self.created_at)?,
                last_used_at: self.last_used.map(ts).transpose()?,
            },
        })
    }
}

/// The migration that adds the HTTP API's tokens (SQLite's 4th, PostgreSQL's 3rd): each
/// stored as the SHA-256 of its text, never the text.
pub const TOKENS_MIGRATION: &str = "
    CREATE TABLE {t}tokens (
        hash       TEXT PRIMARY KEY,
        org        TEXT NOT NULL,
        id         TEXT NOT NULL,
        name       TEXT,
        role       TEXT NOT NULL CHECK (role IN ('read', 'write')),
        created_at {i64} NOT NULL,
        last_used  {i64},
        UNIQUE (org, id)
    ){strict};
";

/// The migration that adds health over time (SQLite's 5th, PostgreSQL's 4th): one record per
/// credential (JSON, times in unix milliseconds) with the columns the monitor selects on, and
/// the last events; both go with their credential.
pub const HEALTH_MIGRATION: &str = "
    CREATE TABLE {t}health (
        org         TEXT NOT NULL,
        id          TEXT NOT NULL,
        record      TEXT NOT NULL,
        version     {i64} NOT NULL,
        state       TEXT NOT NULL,
        -- When it is due: the record's nextProbeAt, or while claimed, the lease's end.
        next_at     {i64},
        lease_owner TEXT,
        lease_until {i64},
        PRIMARY KEY (org, id),
        FOREIGN KEY (org, id) REFERENCES {t}credentials (org, id) ON DELETE CASCADE
    ){strict};
    CREATE INDEX {t}health_due ON {t}health (next_at) WHERE next_at IS NOT NULL;
    CREATE TABLE {t}health_events (
        org   TEXT NOT NULL,
        id    TEXT NOT NULL,
        seq   {i64} NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (org, id, seq),
        FOREIGN KEY (org, id) REFERENCES {t}credentials (org, id) ON DELETE CASCADE
    ){strict};
";

/// The columns of a health row to write (`health_put`, `health_insert` from `?3` on).
#[derive(Debug)]
pub struct HealthColumns<'a> {
    /// `record`: the record's stored JSON.
    pub record: String,
    /// `version`.
    pub version: i64,
    /// `state`.
    pub state: &'static str,
    /// `next_at`, unix ms.
    pub next_at: Option<i64>,
    /// `lease_owner`.
    pub lease_owner: Option<&'a str>,
    /// `lease_until`, unix ms.
    pub lease_until: Option<i64>,
}

impl HealthColumns<'_> {
    /// The columns of `row`.
    pub fn of(row: &sipcreds::HealthRow) -> HealthColumns<'_> {
        HealthColumns {
            record: row.record.to_stored(),
            version: row.version as i64,
            state: row.record.state.as_str(),
            next_at: row.record.next_probe_at.map(sipcreds::unix_ms),
            lease_owner: row.lease.as_ref().map(|(o, _)| o.as_str()),
            lease_until: row.lease.as_ref().map(|(_, u)| *u),
        }
    }
}

/// A health row from its columns (`health`: record, version, lease owner, lease until).
pub fn health_row(
    id: sipcreds::CredentialId,
    record: &str,
    version: i64,
    owner: Option<String>,
    until: Option<i64>,
) -> sipcreds::Result<sipcreds::HealthRow> {
    Ok(sipcreds::HealthRow {
        record: sipcreds::HealthRecord::from_stored(id, record)?,
        version: version.max(0) as u64,
        lease: owner.zip(until),
    })
}

/// The migration that adds the per-org change counter (SQLite's 3rd, PostgreSQL's 2nd), and
/// the index that reads an org's rate rows in creation order from the index alone (no sort,
/// no table row).
pub const CHANGE_COUNTER_MIGRATION: &str = "
    CREATE TABLE {t}org_changes (
        org     TEXT PRIMARY KEY,
        counter {i64} NOT NULL,
        pruned  {i64} NOT NULL
    ){strict};
    ALTER TABLE {t}credentials ADD COLUMN changed {i64} NOT NULL DEFAULT 0;
    CREATE INDEX {t}credentials_by_change ON {t}credentials (org, changed);
    CREATE INDEX {t}credentials_rate_rows ON {t}credentials (org, seq, id, cps_limit, cps_key);
    CREATE TABLE {t}credential_removals (
        org     TEXT NOT NULL,
        changed {i64} NOT NULL,
        id      TEXT NOT NULL,
        PRIMARY KEY (org, changed, id)
    ){strict};
";

/// A schema migration: the engine's own text, or a template shared by both engines.
#[derive(Debug, Clone, Copy)]
pub enum Migration {
    /// SQL of this engine alone (the first schemas, released before the templates).
    Own(&'static str),
    /// A template of this module, spelled by [`Dialect::sql`].
    Shared(&'static str),
}

impl Migration {
    /// The migration's SQL for `dialect`.
    pub fn sql(&self, dialect: Dialect) -> std::borrow::Cow<'static, str> {
        match self {
            Migration::Own(s) => (*s).into(),
            Migration::Shared(t) => dialect.sql(t).into(),
        }
    }
}

/// Whether a store can say what changed after counter `since`, given its counter now and
/// the counter up to which it pruned removals (else the reader reloads).
pub fn changes_answerable(since: u64, counter: u64, pruned: u64) -> bool {
    pruned <= since && since <= counter
}

/// How many removals an org keeps for readers to catch up with; a reader further behind
/// reloads the org's rate rows.
pub const REMOVALS_KEPT: i64 = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_spell_the_same_statement() {
        let t = "SELECT id FROM {t}credentials WHERE org = ?1 AND changed > ?2";
        assert_eq!(
            Dialect::Sqlite.sql(t),
            "SELECT id FROM credentials WHERE org = ?1 AND changed > ?2"
        );
        assert_eq!(
            Dialect::Postgres.sql(t),
            "SELECT id FROM sipcreds_credentials WHERE org = $1 AND changed > $2"
        );
        let ddl = Dialect::Sqlite.sql(CHANGE_COUNTER_MIGRATION);
        assert!(ddl.contains("counter INTEGER NOT NULL") && ddl.contains(") STRICT;"));
        let ddl = Dialect::Postgres.sql(CHANGE_COUNTER_MIGRATION);
        assert!(ddl.contains("sipcreds_org_changes") && !ddl.contains("STRICT"));
        assert!(ddl.contains("counter BIGINT NOT NULL"));
        // No template leaves a brace or (for PostgreSQL) a `?` behind.
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            for (name, sql) in d.statements().all() {
                assert!(!sql.contains('{'), "{name}: {sql}");
                assert!(d == Dialect::Sqlite || !sql.contains('?'), "{name}: {sql}");
            }
        }
    }
}
