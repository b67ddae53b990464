//! The embedded SQLite store of `sipcreds` (§10 of the spec).
//!
//! - One SQLite file (bundled SQLite), WAL journal, foreign keys on, versioned schema
//!   migrations (`PRAGMA user_version`).
//! - Every registry operation is one transaction; writes take the write lock up front
//!   (`BEGIN IMMEDIATE`), so transactions are serializable across threads and processes.
//! - Foreign keys make a link to a missing credential impossible even at the SQL level.
//! - Passwords are encrypted at rest with XChaCha20-Poly1305 under a 32-byte key from
//!   `SIPCREDS_KEY` (base64) or from a key file beside the database (`sipcreds.db` →
//!   `sipcreds.key`, mode 0600, created on first use). Each ciphertext is bound to its org and
//!   credential id (AEAD associated data). Opening with the wrong key is a clear `storage`
//!   error, checked at open time.
//! - `synchronous = NORMAL` in WAL mode: a committed transaction survives the process being
//!   killed at any point (the OS holds the written pages); only an OS crash or power loss may
//!   lose the last commits. `SqliteStore::open_with` can ask for `FULL`.
//!
//! ```
//! use sipcreds::Registry;
//! use sipcreds_sqlite::SqliteStore;
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path().join("sipcreds.db")).unwrap();
//! let reg = Registry::new(store);
//! let c = reg.create_credential_json("acme", r#"{"server":"sip.example.com","authUser":"u","authPassword":"p4ss"}"#).unwrap();
//! assert_eq!(reg.get_credential("acme", c.id.as_str()).unwrap().expose_password(), Some("p4ss"));
//! assert!(dir.path().join("sipcreds.key").exists());
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod files;
mod key;
mod rate;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sipcreds::{
    Agent, AgentId, AgentLinks, Credential, CredentialId, CredentialLinks, Error, HealthEvent,
    HealthRow, Lease, NumberRecord, Org, PhoneNumber, Provider, ProviderId, RateChanges, RateRow,
    RateRowSink, Result, SealedCredential, Storage, TokenHash, TokenId, TokenRecord, Tx,
};

use sipcreds_sql::row::{
    CredRow, from_ts, parse_agent_id, parse_credential_id, parse_name, parse_number, parse_org, ts,
};
use sipcreds_sql::sql::{HealthColumns, TokenRow, health_row};

pub use key::{key_file_path, key_for_database};
pub use sipcreds_sql::{KEY_ENV, Key, aad, row};

/// The statements shared with PostgreSQL, in SQLite's spelling.
static ST: std::sync::LazyLock<&'static sipcreds_sql::sql::Statements> =
    std::sync::LazyLock::new(|| sipcreds_sql::Dialect::Sqlite.statements());
pub use rate::{SqliteRateBackend, WallClock};

/// How hard SQLite syncs commits to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = NORMAL`: survives a killed process; may lose the last commits on power loss.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is synced to disk.
    Full,
}

/// Switch the file to WAL. On a new file that other processes open at the same moment,
/// SQLite answers `SQLITE_BUSY` at once (the journal-mode change does not wait in the busy
/// handler), so it is retried, with a short backoff, for as long as the busy timeout.
pub(crate) fn set_wal(conn: &Connection) -> Result<()> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && start.elapsed() < Duration::from_secs(10) =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => return Err(sql_error(e)),
        }
    }
}

/// The SQLite backend. Share it between threads through the [`sipcreds::Registry`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    key: Key,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

pub(crate) fn sql_error(e: rusqlite::Error) -> Error {
    Error::storage(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Open (or create) the database at `path`, with the key from `SIPCREDS_KEY` or the key
    /// file beside it.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        let key = key_for_database(path)?;
        Self::open_with(path, key, Durability::Normal)
    }

    /// Open with an explicit key and durability.
    pub fn open_with(
        path: impl AsRef<Path>,
        key: Key,
        durability: Durability,
    ) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        files::create_private_database(&path)?;
        let mut conn = Connection::open(&path)
            .map_err(|e| Error::storage(format!("cannot open {}: {e}", files::shown(&path))))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(sql_error)?;
        // Room for every statement of the store (rusqlite keeps 16 by default, fewer than we
        // use, and an evicted statement is parsed again on its next use).
        conn.set_prepared_statement_cache_capacity(64);
        set_wal(&conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql_error)?;
        let sync = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(sql_error)?;
        schema::migrate(&mut conn)?;
        key::check_or_store_key_check(&mut conn, &key)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            key,
            path,
        })
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA integrity_check`: `"ok"` for a sound file.
    pub fn integrity_check(&self) -> Result<String> {
        let conn = self.lock()?;
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(sql_error)
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64> {
        let conn = self.lock()?;
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_error)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::storage("the sqlite connection is poisoned"))
    }

    fn run(
        &self,
        behavior: TransactionBehavior,
        f: &mut dyn FnMut(&mut SqlTx<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(behavior)
            .map_err(sql_error)?;
        let mut stx = SqlTx {
            tx,
            key: &self.key,
            counters: std::cell::RefCell::default(),
        };
        f(&mut stx)?;
        // Dropping an uncommitted rusqlite Transaction rolls it back: an error above leaves
        // nothing behind.
        stx.tx.commit().map_err(sql_error)
    }
}

impl Storage for SqliteStore {
    fn read(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()> {
        self.run(TransactionBehavior::Deferred, &mut |tx| f(tx))
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(TransactionBehavior::Immediate, &mut |tx| f(tx))
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", files::shown(&self.path))
    }
}

struct SqlTx<'c> {
    tx: Transaction<'c>,
    key: &'c Key,
    /// The change counter this transaction moved each org to (it moves once per transaction).
    counters: std::cell::RefCell<Vec<(String, i64)>>,
}

fn cred_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CredRow> {
    Ok(CredRow {
        id: r.get(0)?,
        org: r.get(1)?,
        name: r.get(2)?,
        server: r.get(3)?,
        auth_user: r.get(4)?,
        password: r.get(5)?,
        domain: r.get(6)?,
        transport: r.get(7)?,
        cps_limit: r.get(8)?,
        cps_key: r.get(9)?,
        provider_id: r.get(10)?,
        version: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

impl SqlTx<'_> {
    /// The org's change counter and the counter below which removals were pruned (0, 0
    /// before the org's first write).
    fn counter_and_pruned(&self, org: &Org) -> Result<(u64, u64)> {
        let got: Option<(i64, i64)> = self
            .tx
            .prepare_cached(&ST.change_counter)
            .and_then(|mut st| {
                st.query_row(params![org.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(sql_error)?;
        let (c, p) = got.unwrap_or((0, 0));
        Ok((row::counter(c)?, row::counter(p)?))
    }

    /// Move the org's change counter on, once per transaction, and return it.
    fn bump(&self, org: &str) -> Result<i64> {
        if let Some((_, n)) = self.counters.borrow().iter().find(|(o, _)| o == org) {
            return Ok(*n);
        }
        let n = self
            .tx
            .prepare_cached(&ST.bump_counter)
            .and_then(|mut st| st.query_row(params![org], |r| r.get(0)))
            .map_err(sql_error)?;
        self.counters.borrow_mut().push((org.to_owned(), n));
        Ok(n)
    }

    /// Rate rows (`id, cps_limit, cps_key`) of a query.
    fn rate_rows_of(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<RateRow>> {
        let mut st = self.tx.prepare_cached(sql).map_err(sql_error)?;
        let mut rows = st.query(p).map_err(sql_error)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql_error)? {
            let id = r.get_ref(0).map_err(sql_error)?;
            let key = r.get_ref(2).map_err(sql_error)?;
            out.push(row::rate_row(
                id.as_str().map_err(|e| row::corrupt("credential id", e))?,
                r.get(1).map_err(sql_error)?,
                key.as_str_or_null()
                    .map_err(|e| row::corrupt("cpsKey", e))?,
            )?);
        }
        Ok(out)
    }

    fn write_credential(&mut self, c: &Credential, insert: bool) -> Result<()> {
        self.write_row(CredRow::from_credential(c, self.key)?, insert)
    }

    fn write_row(&mut self, row: CredRow, insert: bool) -> Result<()> {
        let changed = self.bump(&row.org)?;
        let sql = if insert {
            &ST.credential_insert
        } else {
            &ST.credential_update
        };
        let n = self
            .tx
            .prepare_cached(sql)
            .and_then(|mut st| {
                st.execute(params![
                    row.id,
                    row.org,
                    row.name,
                    row.server,
                    row.auth_user,
                    row.password,
                    row.domain,
                    row.transport,
                    row.cps_limit,
                    row.cps_key,
                    row.provider_id,
                    row.version,
                    row.created_at,
                    row.updated_at,
                    changed,
                ])
            })
            .map_err(sql_error)?;
        if n != 1 {
            return Err(Error::storage(format!(
                "credential {} was not written",
                row.id
            )));
        }
        Ok(())
    }

    fn agent_numbers(&self, org: &Org, id: &str) -> Result<Vec<PhoneNumber>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.agent_numbers_of)
            .map_err(sql_error)?;
        let rows = st
            .query_map(params![org.as_str(), id], |r| r.get::<_, String>(0))
            .map_err(sql_error)?;
        rows.map(|r| {
            let s = r.map_err(sql_error)?;
            parse_number(&s)
        })
        .collect()
    }

    /// The numbers of the org's agents with an id in `(above, upto]` (all of them:
    /// `("", None)`), by agent id, each list sorted: one query for a whole list or page.
    fn agent_numbers_in(
        &self,
        org: &Org,
        above: &str,
        upto: Option<&str>,
    ) -> Result<HashMap<String, Vec<PhoneNumber>>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.agent_numbers_in)
            .map_err(sql_error)?;
        let mut rows = st
            .query(params![org.as_str(), above, upto])
            .map_err(sql_error)?;
        let mut by_agent: HashMap<String, Vec<PhoneNumber>> = HashMap::new();
        while let Some(r) = rows.next().map_err(sql_error)? {
            let agent: String = r.get(0).map_err(sql_error)?;
            let number: String = r.get(1).map_err(sql_error)?;
            by_agent
                .entry(agent)
                .or_default()
                .push(parse_number(&number)?);
        }
        Ok(by_agent)
    }

    /// Agents from their rows (id, name, created_at) and their numbers by agent id.
    fn agents_from(
        org: &Org,
        rows: Vec<(String, String, i64)>,
        mut numbers: HashMap<String, Vec<PhoneNumber>>,
    ) -> Result<Vec<Agent>> {
        rows.into_iter()
            .map(|(id, name, created_at)| {
                Ok(Agent {
                    numbers: numbers.remove(&id).unwrap_or_default(),
                    id: parse_agent_id(&id)?,
                    org: org.clone(),
                    name: parse_name(&name, "agent name")?,
                    created_at: from_ts(created_at)?,
                })
            })
            .collect()
    }

    fn to_agent(&self, org: &Org, id: String, name: String, created_at: i64) -> Result<Agent> {
        Ok(Agent {
            numbers: self.agent_numbers(org, &id)?,
            id: parse_agent_id(&id)?,
            org: org.clone(),
            name: parse_name(&name, "agent name")?,
            created_at: from_ts(created_at)?,
        })
    }

    fn to_provider(
        org: &Org,
        id: String,
        kind: String,
        name: String,
        created_at: i64,
    ) -> Result<Provider> {
        row::provider(org, &id, kind, &name, created_at)
    }

    /// Up to `n` credential rows of the org with an id above `after`, by the (org, id) index
    /// from the cursor on: a page costs its own rows, wherever it is.
    fn cred_rows_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<CredRow>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.credentials_after)
            .map_err(sql_error)?;
        st.query_map(
            params![
                org.as_str(),
                after.map_or("", CredentialId::as_str),
                n as i64
            ],
            cred_row,
        )
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
    }

    fn token_rows(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<TokenRow>> {
        let mut st = self.tx.prepare_cached(sql).map_err(sql_error)?;
        st.query_map(p, |r| {
            Ok(TokenRow {
                hash: r.get(0)?,
                org: r.get(1)?,
                id: r.get(2)?,
                name: r.get(3)?,
                role: r.get(4)?,
                created_at: r.get(5)?,
                last_used: r.get(6)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(p))
            .map_err(sql_error)
    }
}

impl Tx for SqlTx<'_> {
    fn credential(&self, org: &Org, id: &CredentialId) -> Result<Option<Credential>> {
        let row = self
            .tx
            .prepare_cached(&ST.credential)
            .and_then(|mut st| {
                st.query_row(params![org.as_str(), id.as_str()], cred_row)
                    .optional()
            })
            .map_err(sql_error)?;
        row.map(|r| r.into_credential(self.key)).transpose()
    }

    fn credentials(&self, org: &Org) -> Result<Vec<Credential>> {
        let mut st = self.tx.prepare_cached(&ST.credentials).map_err(sql_error)?;
        let rows: Vec<CredRow> = st
            .query_map(params![org.as_str()], cred_row)
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.into_iter()
            .map(|r| r.into_credential(self.key))
            .collect()
    }

    fn credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<Credential>> {
        self.cred_rows_after(org, after, n)?
            .into_iter()
            .map(|r| r.into_credential(self.key))
            .collect()
    }

    fn sealed_credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<SealedCredential>> {
        self.cred_rows_after(org, after, n)?
            .into_iter()
            .map(CredRow::into_sealed)
            .collect()
    }

    fn credential_exists(&self, org: &Org, id: &CredentialId) -> Result<bool> {
        self.tx
            .prepare_cached(&ST.credential_exists)
            .and_then(|mut st| st.exists(params![org.as_str(), id.as_str()]))
            .map_err(sql_error)
    }

    fn credential_usage(&self, org: &Org, id: &CredentialId) -> Result<CredentialLinks> {
        let numbers = self.credential_numbers(org, id)?;
        if numbers.is_empty() {
            return Ok((numbers, Vec::new()));
        }
        // One join for every agent of every number of the credential. CROSS JOIN fixes the
        // order SQLite walks the tables in: the credential's numbers (index), their agent
        // rows (index), the agents (unique key); without statistics the planner may start
        // from the agents table and scan it.
        let mut st = self
            .tx
            .prepare_cached(
                "SELECT a.id, a.name, an.number FROM numbers n \
                 CROSS JOIN agent_numbers an ON an.org = n.org AND an.number = n.number \
                 CROSS JOIN agents a ON a.org = an.org AND a.id = an.agent_id \
                 WHERE n.org = ?1 AND n.credential_id = ?2 ORDER BY a.id, an.number",
            )
            .map_err(sql_error)?;
        let rows: Vec<(String, String, String)> = st
            .query_map(params![org.as_str(), id.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        let mut agents: AgentLinks = Vec::new();
        for (agent, name, number) in rows {
            let number = parse_number(&number)?;
            match agents.last_mut() {
                Some((a, _, via)) if a.as_str() == agent => via.push(number),
                _ => agents.push((
                    parse_agent_id(&agent)?,
                    parse_name(&name, "agent name")?,
                    vec![number],
                )),
            }
        }
        Ok((numbers, agents))
    }

    fn provider_credentials(&self, org: &Org, provider: &ProviderId) -> Result<Vec<CredentialId>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.provider_credentials)
            .map_err(sql_error)?;
        let ids: Vec<String> = st
            .query_map(params![org.as_str(), provider.as_str()], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        ids.iter().map(|i| parse_credential_id(i)).collect()
    }

    fn insert_credential(&mut self, c: &Credential) -> Result<()> {
        self.write_credential(c, true)
    }

    fn insert_credentials(&mut self, cs: &[Credential]) -> Result<()> {
        for row in CredRow::from_credentials(cs, self.key)? {
            self.write_row(row, true)?;
        }
        Ok(())
    }

    fn update_credential(&mut self, c: &Credential) -> Result<()> {
        self.write_credential(c, false)
    }

    fn delete_credential(&mut self, org: &Org, id: &CredentialId) -> Result<()> {
        self.exec(&ST.credential_delete, params![org.as_str(), id.as_str()])?;
        let changed = self.bump(org.as_str())?;
        self.exec(
            &ST.record_removal,
            params![org.as_str(), changed, id.as_str()],
        )?;
        let horizon = changed - sipcreds_sql::sql::REMOVALS_KEPT;
        if horizon > 0 {
            self.exec(&ST.prune_removals, params![org.as_str(), horizon])?;
            self.exec(&ST.set_pruned, params![org.as_str(), horizon])?;
        }
        Ok(())
    }

    fn rate_rows(&self, org: &Org) -> Result<Vec<RateRow>> {
        self.rate_rows_of(&ST.rate_rows, params![org.as_str()])
    }

    fn each_rate_row(&self, org: &Org, f: &mut RateRowSink<'_>) -> Result<()> {
        let mut st = self.tx.prepare_cached(&ST.rate_rows).map_err(sql_error)?;
        let mut rows = st.query(params![org.as_str()]).map_err(sql_error)?;
        while let Some(r) = rows.next().map_err(sql_error)? {
            let id = r.get_ref(0).map_err(sql_error)?;
            let key = r.get_ref(2).map_err(sql_error)?;
            let (id, limit, key) = row::rate_fields(
                id.as_str().map_err(|e| row::corrupt("credential id", e))?,
                r.get(1).map_err(sql_error)?,
                key.as_str_or_null()
                    .map_err(|e| row::corrupt("cpsKey", e))?,
            )?;
            f(id, limit, key);
        }
        Ok(())
    }

    fn change_counter(&self, org: &Org) -> Result<Option<u64>> {
        Ok(Some(self.counter_and_pruned(org)?.0))
    }

    fn rate_changes(&self, org: &Org, since: u64) -> Result<Option<RateChanges>> {
        let (counter, pruned) = self.counter_and_pruned(org)?;
        if !sipcreds_sql::sql::changes_answerable(since, counter, pruned) {
            return Ok(None);
        }
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let changed = self.rate_rows_of(&ST.rate_rows_changed, params![org.as_str(), since])?;
        let mut st = self
            .tx
            .prepare_cached(&ST.removed_since)
            .map_err(sql_error)?;
        let removed = st
            .query_map(params![org.as_str(), since], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(sql_error)?
            .iter()
            .map(|id| parse_credential_id(id))
            .collect::<Result<_>>()?;
        Ok(Some(RateChanges {
            counter,
            changed,
            removed,
        }))
    }

    fn number(&self, org: &Org, number: &PhoneNumber) -> Result<Option<NumberRecord>> {
        let link: Option<Option<String>> = self
            .tx
            .prepare_cached(&ST.number)
            .and_then(|mut st| {
                st.query_row(params![org.as_str(), number.as_str()], |r| r.get(0))
                    .optional()
            })
            .map_err(sql_error)?;
        link.map(|l| {
            Ok(NumberRecord {
                number: number.clone(),
                credential_id: l.as_deref().map(parse_credential_id).transpose()?,
            })
        })
        .transpose()
    }

    fn numbers(&self, org: &Org) -> Result<Vec<NumberRecord>> {
        let mut st = self.tx.prepare_cached(&ST.numbers).map_err(sql_error)?;
        let rows: Vec<(String, Option<String>)> = st
            .query_map(params![org.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        number_records(rows)
    }

    fn numbers_after(
        &self,
        org: &Org,
        after: Option<&PhoneNumber>,
        n: usize,
    ) -> Result<Vec<NumberRecord>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.numbers_after)
            .map_err(sql_error)?;
        let rows: Vec<(String, Option<String>)> = st
            .query_map(
                params![
                    org.as_str(),
                    after.map_or("", PhoneNumber::as_str),
                    n as i64
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        number_records(rows)
    }

    fn credential_numbers(&self, org: &Org, id: &CredentialId) -> Result<Vec<PhoneNumber>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.credential_numbers)
            .map_err(sql_error)?;
        let rows: Vec<String> = st
            .query_map(params![org.as_str(), id.as_str()], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.iter().map(|n| parse_number(n)).collect()
    }

    fn put_number(&mut self, org: &Org, record: &NumberRecord) -> Result<()> {
        self.exec(
            &ST.number_put,
            params![
                org.as_str(),
                record.number.as_str(),
                record.credential_id.as_ref().map(CredentialId::as_str)
            ],
        )?;
        Ok(())
    }

    fn delete_number(&mut self, org: &Org, number: &PhoneNumber) -> Result<()> {
        // agent_numbers rows go with it (ON DELETE CASCADE).
        self.exec(&ST.number_delete, params![org.as_str(), number.as_str()])?;
        Ok(())
    }

    fn agent(&self, org: &Org, id: &AgentId) -> Result<Option<Agent>> {
        let row: Option<(String, String, i64)> = self
            .tx
            .prepare_cached(&ST.agent)
            .and_then(|mut st| {
                st.query_row(params![org.as_str(), id.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(sql_error)?;
        row.map(|(id, name, at)| self.to_agent(org, id, name, at))
            .transpose()
    }

    fn agents(&self, org: &Org) -> Result<Vec<Agent>> {
        let mut st = self.tx.prepare_cached(&ST.agents).map_err(sql_error)?;
        let rows: Vec<(String, String, i64)> = st
            .query_map(params![org.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        // Every agent's numbers in one query (not one per agent), sorted by agent then number.
        let numbers = self.agent_numbers_in(org, "", None)?;
        Self::agents_from(org, rows, numbers)
    }

    fn agents_after(&self, org: &Org, after: Option<&AgentId>, n: usize) -> Result<Vec<Agent>> {
        let above = after.map_or("", AgentId::as_str);
        let mut st = self
            .tx
            .prepare_cached(&ST.agents_after)
            .map_err(sql_error)?;
        let rows: Vec<(String, String, i64)> = st
            .query_map(params![org.as_str(), above, n as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        let Some(last) = rows.last().map(|r| r.0.clone()) else {
            return Ok(Vec::new());
        };
        let numbers = self.agent_numbers_in(org, above, Some(&last))?;
        Self::agents_from(org, rows, numbers)
    }

    fn agents_using(&self, org: &Org, numbers: &[PhoneNumber]) -> Result<AgentLinks> {
        let mut by_agent: std::collections::BTreeMap<String, (String, Vec<PhoneNumber>)> =
            Default::default();
        let mut st = self
            .tx
            .prepare_cached(
                "SELECT a.id, a.name FROM agent_numbers an JOIN agents a ON a.org = an.org AND a.id = an.agent_id \
                 WHERE an.org = ?1 AND an.number = ?2",
            )
            .map_err(sql_error)?;
        for n in numbers {
            let rows: Vec<(String, String)> = st
                .query_map(params![org.as_str(), n.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .and_then(|rows| rows.collect())
                .map_err(sql_error)?;
            for (id, name) in rows {
                by_agent
                    .entry(id)
                    .or_insert_with(|| (name, Vec::new()))
                    .1
                    .push(n.clone());
            }
        }
        by_agent
            .into_iter()
            .map(|(id, (name, mut via))| {
                via.sort();
                Ok((parse_agent_id(&id)?, parse_name(&name, "agent name")?, via))
            })
            .collect()
    }

    fn insert_agent(&mut self, agent: &Agent) -> Result<()> {
        self.exec(
            &ST.agent_insert,
            params![
                agent.org.as_str(),
                agent.id.as_str(),
                agent.name.as_str(),
                ts(agent.created_at)
            ],
        )?;
        for n in &agent.numbers {
            self.assign(&agent.org, &agent.id, n)?;
        }
        Ok(())
    }

    fn delete_agent(&mut self, org: &Org, id: &AgentId) -> Result<()> {
        self.exec(&ST.agent_delete, params![org.as_str(), id.as_str()])?;
        Ok(())
    }

    fn assign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.exec(
            &ST.assign,
            params![org.as_str(), agent.as_str(), number.as_str()],
        )?;
        Ok(())
    }

    fn unassign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.exec(
            &ST.unassign,
            params![org.as_str(), agent.as_str(), number.as_str()],
        )?;
        Ok(())
    }

    fn provider(&self, org: &Org, id: &ProviderId) -> Result<Option<Provider>> {
        let row: Option<(String, String, String, i64)> = self
            .tx
            .prepare_cached(&ST.provider)
            .and_then(|mut st| {
                st.query_row(params![org.as_str(), id.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()
            })
            .map_err(sql_error)?;
        row.map(|(id, kind, name, at)| Self::to_provider(org, id, kind, name, at))
            .transpose()
    }

    fn providers(&self, org: &Org) -> Result<Vec<Provider>> {
        let mut st = self.tx.prepare_cached(&ST.providers).map_err(sql_error)?;
        let rows: Vec<(String, String, String, i64)> = st
            .query_map(params![org.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.into_iter()
            .map(|(id, kind, name, at)| Self::to_provider(org, id, kind, name, at))
            .collect()
    }

    fn providers_after(
        &self,
        org: &Org,
        after: Option<&ProviderId>,
        n: usize,
    ) -> Result<Vec<Provider>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.providers_after)
            .map_err(sql_error)?;
        let rows: Vec<(String, String, String, i64)> = st
            .query_map(
                params![org.as_str(), after.map_or("", ProviderId::as_str), n as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.into_iter()
            .map(|(id, kind, name, at)| Self::to_provider(org, id, kind, name, at))
            .collect()
    }

    fn insert_provider(&mut self, p: &Provider) -> Result<()> {
        self.exec(
            &ST.provider_insert,
            params![
                p.org.as_str(),
                p.id.as_str(),
                p.kind,
                p.name.as_str(),
                ts(p.created_at)
            ],
        )?;
        Ok(())
    }

    fn delete_provider(&mut self, org: &Org, id: &ProviderId) -> Result<()> {
        self.exec(&ST.provider_delete, params![org.as_str(), id.as_str()])?;
        Ok(())
    }

    fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        let r = TokenRow::of(token);
        self.exec(
            &ST.token_insert,
            params![
                r.hash,
                r.org,
                r.id,
                r.name,
                r.role,
                r.created_at,
                r.last_used
            ],
        )
        .map(drop)
    }

    fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        let rows = self.token_rows(&ST.token_by_hash, params![hash.to_hex()])?;
        rows.into_iter()
            .next()
            .map(TokenRow::into_record)
            .transpose()
    }

    fn tokens(&self, org: &Org) -> Result<Vec<TokenRecord>> {
        self.token_rows(&ST.tokens, params![org.as_str()])?
            .into_iter()
            .map(TokenRow::into_record)
            .collect()
    }

    fn delete_token(&mut self, org: &Org, id: &TokenId) -> Result<bool> {
        Ok(self.exec(&ST.token_delete, params![org.as_str(), id.as_str()])? > 0)
    }

    fn touch_token(&mut self, org: &Org, id: &TokenId, at: time::OffsetDateTime) -> Result<()> {
        self.exec(&ST.token_touch, params![org.as_str(), id.as_str(), ts(at)])
            .map(drop)
    }

    fn health(&self, org: &Org, id: &CredentialId) -> Result<Option<HealthRow>> {
        let row = self
            .tx
            .prepare_cached(&ST.health)
            .and_then(|mut st| {
                st.query_row(params![org.as_str(), id.as_str()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(sql_error)?;
        row.map(|(record, version, owner, until)| {
            health_row(id.clone(), &record, version, owner, until)
        })
        .transpose()
    }

    fn put_health(&mut self, org: &Org, row: &HealthRow, events: &[HealthEvent]) -> Result<()> {
        let c = HealthColumns::of(row);
        let id = row.record.credential_id.as_str();
        self.exec(
            &ST.health_put,
            params![
                org.as_str(),
                id,
                c.record,
                c.version,
                c.state,
                c.next_at,
                c.lease_owner,
                c.lease_until
            ],
        )?;
        for e in events {
            self.exec(
                &ST.health_event_insert,
                params![org.as_str(), id, e.to_stored()],
            )?;
        }
        if !events.is_empty() {
            self.exec(
                &ST.health_events_trim,
                params![org.as_str(), id, sipcreds::EVENTS_KEPT as i64],
            )?;
        }
        Ok(())
    }

    fn insert_health(&mut self, org: &Org, row: &HealthRow) -> Result<bool> {
        let c = HealthColumns::of(row);
        Ok(self.exec(
            &ST.health_insert,
            params![
                org.as_str(),
                row.record.credential_id.as_str(),
                c.record,
                c.version,
                c.state,
                c.next_at,
                c.lease_owner,
                c.lease_until
            ],
        )? > 0)
    }

    fn health_events(&self, org: &Org, id: &CredentialId) -> Result<Vec<HealthEvent>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.health_events)
            .map_err(sql_error)?;
        let texts: Vec<String> = st
            .query_map(params![org.as_str(), id.as_str()], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        texts
            .iter()
            .map(|t| HealthEvent::from_stored(id.clone(), t))
            .collect()
    }

    fn take_lease(&mut self, org: &Org, id: &CredentialId, lease: &Lease<'_>) -> Result<bool> {
        let Lease {
            owner,
            now,
            due_by,
            until,
        } = *lease;
        Ok(self.exec(
            &ST.take_lease,
            params![org.as_str(), id.as_str(), owner, now, due_by, until],
        )? > 0)
    }

    fn health_due(
        &self,
        org: Option<&Org>,
        lease: &Lease<'_>,
        n: usize,
    ) -> Result<Vec<(Org, CredentialId)>> {
        let Lease {
            owner, now, due_by, ..
        } = *lease;
        let mut st = self.tx.prepare_cached(&ST.health_due).map_err(sql_error)?;
        let rows: Vec<(String, String)> = st
            .query_map(
                params![owner, now, due_by, n as i64, org.map(Org::as_str)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.iter()
            .map(|(o, id)| Ok((parse_org(o)?, parse_credential_id(id)?)))
            .collect()
    }

    fn unmonitored(
        &self,
        org: Option<&Org>,
        n: usize,
    ) -> Result<Vec<(Org, CredentialId, u64, i64)>> {
        let mut st = self.tx.prepare_cached(&ST.unmonitored).map_err(sql_error)?;
        let rows: Vec<(String, String, i64, i64)> = st
            .query_map(params![n as i64, org.map(Org::as_str)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql_error)?;
        rows.iter()
            .map(|(o, id, v, at)| {
                Ok((
                    parse_org(o)?,
                    parse_credential_id(id)?,
                    (*v).max(0) as u64,
                    at.saturating_mul(1000),
                ))
            })
            .collect()
    }

    fn health_state_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut st = self
            .tx
            .prepare_cached(&ST.health_state_counts)
            .map_err(sql_error)?;
        st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
    }

    fn release_leases(&mut self, owner: &str) -> Result<()> {
        self.exec(&ST.release_leases, params![owner]).map(drop)
    }
}

/// Number rows (number, credential_id) as records.
fn number_records(rows: Vec<(String, Option<String>)>) -> Result<Vec<NumberRecord>> {
    rows.into_iter()
        .map(|(n, c)| {
            Ok(NumberRecord {
                number: parse_number(&n)?,
                credential_id: c.as_deref().map(parse_credential_id).transpose()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement shared with PostgreSQL prepares on a migrated SQLite database.
    #[test]
    fn every_shared_statement_prepares() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with(
            dir.path().join("s.db"),
            Key::from_bytes(&[1; 32], "test"),
            Durability::Normal,
        )
        .unwrap();
        let conn = store.lock().unwrap();
        for (name, sql) in ST.all() {
            conn.prepare(sql)
                .unwrap_or_else(|e| panic!("{name}: {e}\n{sql}"));
        }
    }
}
