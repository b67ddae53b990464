//! Versioned schema migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;
use sipcreds::{Error, Result};

use sipcreds_sql::sql::{CHANGE_COUNTER_MIGRATION, HEALTH_MIGRATION, Migration, TOKENS_MIGRATION};

use crate::sql_error;

/// Each migration takes the schema from version `i` to `i + 1`. Never edit a released one:
/// add a new one.
const MIGRATIONS: &[Migration] = &[
    // 1: the first schema.
    Migration::Own("
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE providers (
        seq        INTEGER PRIMARY KEY,
        org        TEXT NOT NULL,
        id         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (org, id)
    ) STRICT;
    CREATE TABLE credentials (
        seq         INTEGER PRIMARY KEY,
        org         TEXT NOT NULL,
        id          TEXT NOT NULL,
        name        TEXT,
        server      TEXT NOT NULL,
        auth_user   TEXT,
        password    BLOB,
        domain      TEXT,
        transport   TEXT NOT NULL,
        cps_limit   INTEGER,
        cps_key     TEXT,
        provider_id TEXT,
        version     INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        UNIQUE (org, id),
        FOREIGN KEY (org, provider_id) REFERENCES providers (org, id),
        CHECK ((auth_user IS NULL) = (password IS NULL))
    ) STRICT;
    CREATE INDEX credentials_by_provider ON credentials (org, provider_id) WHERE provider_id IS NOT NULL;
    CREATE TABLE numbers (
        org           TEXT NOT NULL,
        number        TEXT NOT NULL,
        credential_id TEXT,
        PRIMARY KEY (org, number),
        FOREIGN KEY (org, credential_id) REFERENCES credentials (org, id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX numbers_by_credential ON numbers (org, credential_id) WHERE credential_id IS NOT NULL;
    CREATE TABLE agents (
        seq        INTEGER PRIMARY KEY,
        org        TEXT NOT NULL,
        id         TEXT NOT NULL,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (org, id)
    ) STRICT;
    CREATE TABLE agent_numbers (
        org      TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        number   TEXT NOT NULL,
        PRIMARY KEY (org, agent_id, number),
        FOREIGN KEY (org, agent_id) REFERENCES agents (org, id) ON DELETE CASCADE,
        FOREIGN KEY (org, number) REFERENCES numbers (org, number) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX agent_numbers_by_number ON agent_numbers (org, number);
    "),
    // 2: admissions of the shared CPS limiter (`SqliteRateBackend`), per rate group.
    Migration::Own("
    CREATE TABLE rate_log (
        grp TEXT NOT NULL,
        at  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX rate_log_by_group ON rate_log (grp, at);
    "),
    // 3: the per-org change counter, shared with PostgreSQL.
    Migration::Shared(CHANGE_COUNTER_MIGRATION),
    // 4: the HTTP API's tokens, shared with PostgreSQL.
    Migration::Shared(TOKENS_MIGRATION),
    // 5: health over time (§13), shared with PostgreSQL.
    Migration::Shared(HEALTH_MIGRATION),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Bring the file up to [`LATEST`], one transaction per step; refuse a newer file.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_error)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_error)?;
        if version > LATEST {
            return Err(Error::storage(format!(
                "the database has schema version {version}, newer than this sipcreds supports ({LATEST}); upgrade sipcreds"
            )));
        }
        if version == LATEST {
            return tx.commit().map_err(sql_error);
        }
        tx.execute_batch(&MIGRATIONS[version as usize].sql(sipcreds_sql::Dialect::Sqlite))
            .map_err(sql_error)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(sql_error)?;
        tx.commit().map_err(sql_error)?;
    }
}
