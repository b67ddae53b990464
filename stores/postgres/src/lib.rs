//! The PostgreSQL store of `sipcreds` (§10 of the spec): several service instances share one
//! registry.
//!
//! - The maintained synchronous driver (`postgres`, rust-postgres) behind an `r2d2` pool, so
//!   threads of one process run transactions side by side.
//! - Versioned schema migrations in `sipcreds_schema`, applied under an advisory lock so that
//!   instances starting together migrate once. Tables are prefixed `sipcreds_`, to share a
//!   database with others.
//! - **Isolation.** Every rule of the registry is about one org (§5: nothing crosses orgs).
//!   A write transaction runs at `READ COMMITTED` and, before its first statement on an org,
//!   takes a transaction-scoped advisory lock on that org
//!   (`pg_advisory_xact_lock(hashtextextended('sipcreds:' || org, 0))`). So the writes of one
//!   org are serialized across every instance, and each statement of a writer sees every write
//!   committed before it: a check ("no number links to this credential") cannot be overtaken
//!   by another instance's link. Different orgs never wait for each other (unless two orgs'
//!   hashes collide, which only serializes them). A read runs at `REPEATABLE READ READ ONLY`:
//!   one snapshot, so a listing and its usage agree, and it never waits or fails.
//!   `SERIALIZABLE` would also keep the invariants but answers conflicts with errors to retry,
//!   and the storage trait runs a transaction's closure exactly once.
//! - Foreign keys make a link to a missing credential impossible at the SQL level too.
//! - Passwords are encrypted with XChaCha20-Poly1305 under the 32-byte key from
//!   `SIPCREDS_KEY`, in the same format as the SQLite store (bound to org and credential id);
//!   a key check stored at creation refuses a wrong key at connect time.
//! - Connections are TLS (rustls) as libpq's `sslmode` and `sslrootcert` on the URL say
//!   (see [`tls`]: `?sslmode=verify-full&sslrootcert=ca.pem` in production; the default is
//!   libpq's `prefer`), or a Unix socket. The password of the URL never appears in messages.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod tls;

use std::cell::RefCell;
use std::time::Duration;

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{IsolationLevel, Row, Statement};
use sipcreds::{
    Agent, AgentId, AgentLinks, Credential, CredentialId, Error, HealthEvent, HealthRow, Lease,
    NumberRecord, Org, PhoneNumber, Provider, ProviderId, RateChanges, RateRow, RateRowSink,
    Result, SealedCredential, Storage, TokenHash, TokenId, TokenRecord, Tx,
};
use sipcreds_sql::Key;
use sipcreds_sql::row::{
    CredRow, counter, from_ts, parse_agent_id, parse_credential_id, parse_name, parse_number,
    parse_org, provider, rate_row, ts,
};
use sipcreds_sql::sql::{
    CHANGE_COUNTER_MIGRATION, HEALTH_MIGRATION, HealthColumns, Migration, TOKENS_MIGRATION,
    TokenRow, health_row,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// A pooled connection and the statements prepared on it (each registry statement is parsed
/// and planned once per connection, then runs in one round trip).
struct Conn {
    client: postgres::Client,
    statements: HashMap<&'static str, Statement>,
}

struct Manager {
    config: postgres::Config,
    tls: MakeRustlsConnect,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.config.connect(self.tls.clone())?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> std::result::Result<(), postgres::Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

type Pool = r2d2::Pool<Manager>;

/// The PostgreSQL backend. Share it between threads through the [`sipcreds::Registry`]; run
/// one per instance against the same database.
pub struct PostgresStore {
    pool: Pool,
    key: Key,
    shown: String,
    /// How to open a connection of its own (the `LISTEN` of [`Storage::listen`]).
    config: postgres::Config,
    tls: MakeRustlsConnect,
}

/// The channel of the announcements (`NOTIFY`) of the HTTP API's events.
pub const EVENTS_CHANNEL: &str = "sipcreds_events";

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A connection error with its causes (rust-postgres says "error performing TLS handshake"
/// and keeps rustls's reason, an unknown issuer say, as the source).
fn connect_error(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// Agents from their rows (id, name, created_at) and their numbers by agent id.
fn agents_from(
    org: &Org,
    rows: &[Row],
    mut numbers: HashMap<String, Vec<PhoneNumber>>,
) -> Result<Vec<Agent>> {
    rows.iter()
        .map(|r| {
            let id: &str = r.get(0);
            Ok(Agent {
                numbers: numbers.remove(id).unwrap_or_default(),
                id: parse_agent_id(id)?,
                org: org.clone(),
                name: parse_name(r.get(1), "agent name")?,
                created_at: from_ts(r.get(2))?,
            })
        })
        .collect()
}

/// Items grouped by org, in the order each org first appears (a batch is one statement per
/// org: each org's advisory lock and change counter).
fn by_org<T>(items: &[T], org: impl Fn(&T) -> &Org) -> Vec<(&Org, Vec<&T>)> {
    let mut out: Vec<(&Org, Vec<&T>)> = Vec::new();
    for item in items {
        let o = org(item);
        match out.iter_mut().find(|(known, _)| *known == o) {
            Some((_, v)) => v.push(item),
            None => out.push((o, vec![item])),
        }
    }
    out
}

/// A number's row (number, credential_id).
fn number_record(r: &Row) -> Result<NumberRecord> {
    Ok(NumberRecord {
        number: parse_number(r.get(0))?,
        credential_id: r
            .get::<_, Option<&str>>(1)
            .map(parse_credential_id)
            .transpose()?,
    })
}

fn pg_error(e: postgres::Error) -> Error {
    // The driver's messages name the server's error (and its detail), never the URL.
    match e.as_db_error() {
        Some(db) => Error::storage(format!("postgres: {}: {}", db.code().code(), db.message())),
        None => Error::storage(format!("postgres: {e}")),
    }
}

/// The URL without its password, for messages (with its `sslmode`).
fn shown_url(config: &postgres::Config, tls: &tls::TlsSettings) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}?sslmode={}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or(""),
        tls.mode.as_str()
    )
}

/// Each migration takes the schema from version `i` to `i + 1`. Never edit a released one.
const MIGRATIONS: &[Migration] = &[
    Migration::Own(
        "
    CREATE TABLE sipcreds_meta (
        key   TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    CREATE TABLE sipcreds_providers (
        seq        BIGSERIAL PRIMARY KEY,
        org        TEXT NOT NULL,
        id         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        name       TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (org, id)
    );
    CREATE TABLE sipcreds_credentials (
        seq         BIGSERIAL PRIMARY KEY,
        org         TEXT NOT NULL,
        id          TEXT NOT NULL,
        name        TEXT,
        server      TEXT NOT NULL,
        auth_user   TEXT,
        password    BYTEA,
        domain      TEXT,
        transport   TEXT NOT NULL,
        cps_limit   BIGINT,
        cps_key     TEXT,
        provider_id TEXT,
        version     BIGINT NOT NULL,
        created_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL,
        UNIQUE (org, id),
        FOREIGN KEY (org, provider_id) REFERENCES sipcreds_providers (org, id),
        CHECK ((auth_user IS NULL) = (password IS NULL))
    );
    CREATE INDEX sipcreds_credentials_by_provider ON sipcreds_credentials (org, provider_id)
        WHERE provider_id IS NOT NULL;
    CREATE TABLE sipcreds_numbers (
        org           TEXT NOT NULL,
        number        TEXT NOT NULL,
        credential_id TEXT,
        PRIMARY KEY (org, number),
        FOREIGN KEY (org, credential_id) REFERENCES sipcreds_credentials (org, id)
    );
    CREATE INDEX sipcreds_numbers_by_credential ON sipcreds_numbers (org, credential_id)
        WHERE credential_id IS NOT NULL;
    CREATE TABLE sipcreds_agents (
        seq        BIGSERIAL PRIMARY KEY,
        org        TEXT NOT NULL,
        id         TEXT NOT NULL,
        name       TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (org, id)
    );
    CREATE TABLE sipcreds_agent_numbers (
        org      TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        number   TEXT NOT NULL,
        PRIMARY KEY (org, agent_id, number),
        FOREIGN KEY (org, agent_id) REFERENCES sipcreds_agents (org, id) ON DELETE CASCADE,
        FOREIGN KEY (org, number) REFERENCES sipcreds_numbers (org, number) ON DELETE CASCADE
    );
    CREATE INDEX sipcreds_agent_numbers_by_number ON sipcreds_agent_numbers (org, number);
",
    ),
    // 2: the per-org change counter, shared with SQLite.
    Migration::Shared(CHANGE_COUNTER_MIGRATION),
    // 3: the HTTP API's tokens, shared with SQLite.
    Migration::Shared(TOKENS_MIGRATION),
    // 4: health over time (§13), shared with SQLite.
    Migration::Shared(HEALTH_MIGRATION),
];

/// The statements shared with SQLite, in PostgreSQL's spelling.
static ST: std::sync::LazyLock<&'static sipcreds_sql::sql::Statements> =
    std::sync::LazyLock::new(|| sipcreds_sql::Dialect::Postgres.statements());

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// An arbitrary constant: the session advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x5193_c4ed_0001;

fn migrate(client: &mut postgres::Client, key: &Key) -> Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg_error)?;
    let result = (|| {
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS sipcreds_schema (version BIGINT NOT NULL)")
            .map_err(pg_error)?;
        let version: i64 = client
            .query_opt("SELECT version FROM sipcreds_schema", &[])
            .map_err(pg_error)?
            .map_or(0, |r| r.get(0));
        if version > LATEST {
            return Err(Error::storage(format!(
                "the database has sipcreds schema version {version}, newer than this sipcreds supports ({LATEST}); upgrade sipcreds"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let mut tx = client.transaction().map_err(pg_error)?;
            tx.batch_execute(&sql.sql(sipcreds_sql::Dialect::Postgres))
                .map_err(pg_error)?;
            tx.execute("DELETE FROM sipcreds_schema", &[])
                .map_err(pg_error)?;
            tx.execute(
                "INSERT INTO sipcreds_schema (version) VALUES ($1)",
                &[&(i as i64 + 1)],
            )
            .map_err(pg_error)?;
            tx.commit().map_err(pg_error)?;
        }
        // The key check: stored by the first instance, verified by every later one.
        let stored = client
            .query_opt(
                "SELECT value FROM sipcreds_meta WHERE key = 'key_check'",
                &[],
            )
            .map_err(pg_error)?;
        match stored {
            Some(row) => key.verify_key_check(row.get::<_, &[u8]>(0)),
            None => {
                let blob = key.key_check()?;
                client
                    .execute(
                        "INSERT INTO sipcreds_meta (key, value) VALUES ('key_check', $1)",
                        &[&blob],
                    )
                    .map_err(pg_error)
                    .map(drop)
            }
        }
    })();
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result?;
    unlocked.map_err(pg_error)?;
    Ok(())
}

impl PostgresStore {
    /// Connect to `url` (`postgres://user:password@host:port/db`, or any libpq-style
    /// connection string), with the key from `SIPCREDS_KEY`; migrate the schema if needed.
    pub fn connect(url: &str) -> Result<PostgresStore> {
        Self::connect_with(url, Key::from_env()?)
    }

    /// Connect with an explicit key.
    pub fn connect_with(url: &str, key: Key) -> Result<PostgresStore> {
        Self::connect_env(url, key, |k| std::env::var(k).ok())
    }

    /// Connect with an explicit key, reading libpq's variables ([`tls::HONOURED_ENV`]) from
    /// `env` instead of this process's environment.
    pub fn connect_env(
        url: &str,
        key: Key,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<PostgresStore> {
        if let Some(fragment) = sipcreds::location_fragment(url) {
            return Err(Error::Invalid {
                code: sipcreds::ErrorCode::InvalidOption,
                field: Some("path".into()),
                message: format!(
                    "the PostgreSQL URL {} ends in a fragment ({:?}), which is no part of a store location: write a # inside a value as %23",
                    sipcreds::redact_location(url),
                    sipcreds::printable(&sipcreds::redact_location(fragment), 32)
                ),
            });
        }
        let (url, request) = tls::split_location(url)?;
        let request = request.with_env(&env)?;
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::storage(format!("the PostgreSQL location is not valid: {e}"))
        })?;
        if config.get_password().is_none()
            && let Some(password) = env("PGPASSWORD").filter(|p| !p.is_empty())
        {
            config.password(password);
        }
        let tls = request.settings(tls::loopback_only(
            config.get_hosts(),
            config.get_hostaddrs(),
        ));
        config.ssl_mode(tls.driver_mode());
        let connector = MakeRustlsConnect::new(tls.client_config()?);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let shown = shown_url(&config, &tls);
        // One connection first, directly: a wrong URL or a server that is down fails at once
        // (the pool would retry until its timeout), and it runs the migrations.
        let mut first = config.connect(connector.clone()).map_err(|e| {
            Error::storage(format!("cannot connect to {shown}: {}", connect_error(&e)))
        })?;
        migrate(&mut first, &key)?;
        let manager = Manager {
            config: config.clone(),
            tls: connector.clone(),
        };
        // No test query at each checkout (a round trip per transaction): a connection the
        // server closed is dropped when it is returned, after failing one operation.
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build_unchecked(manager);
        // The pool opens its own connections on demand.
        drop(first);
        Ok(PostgresStore {
            pool,
            key,
            shown,
            config,
            tls: connector,
        })
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64> {
        let mut c = self.client()?;
        c.client
            .query_one("SELECT version FROM sipcreds_schema", &[])
            .map(|r| r.get(0))
            .map_err(pg_error)
    }

    /// Run SQL directly (for tests and operators: it bypasses every rule of the registry).
    pub fn raw_execute(&self, sql: &str) -> Result<u64> {
        let mut c = self.client()?;
        c.client.execute(sql, &[]).map_err(pg_error)
    }

    fn client(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| Error::storage(format!("no connection to {}: {e}", self.shown)))
    }

    fn run(&self, write: bool, f: &mut dyn FnMut(&mut PgTx<'_>) -> Result<()>) -> Result<()> {
        let mut conn = self.client()?;
        let Conn { client, statements } = &mut *conn;
        let tx = client
            .build_transaction()
            .isolation_level(if write {
                IsolationLevel::ReadCommitted
            } else {
                IsolationLevel::RepeatableRead
            })
            .read_only(!write)
            .start()
            .map_err(pg_error)?;
        let mut ptx = PgTx {
            tx: RefCell::new(tx),
            statements: RefCell::new(statements),
            key: &self.key,
            write,
            locked: RefCell::new(Vec::new()),
            counters: RefCell::new(Vec::new()),
        };
        // An error drops the transaction, which rolls it back.
        f(&mut ptx)?;
        ptx.tx.into_inner().commit().map_err(pg_error)
    }
}

impl Storage for PostgresStore {
    fn read(&self, f: &mut dyn FnMut(&dyn Tx) -> Result<()>) -> Result<()> {
        self.run(false, &mut |tx| f(tx))
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.run(true, &mut |tx| f(tx))
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn announce(&self, payload: &str) -> Result<()> {
        let mut c = self.client()?;
        c.client
            .execute("SELECT pg_notify($1, $2)", &[&EVENTS_CHANNEL, &payload])
            .map(drop)
            .map_err(pg_error)
    }

    /// A thread of its own holds a connection that `LISTEN`s, and reconnects (after a
    /// second) when it is lost; it ends when the receiver is dropped.
    fn listen(&self) -> Option<std::sync::mpsc::Receiver<String>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (config, tls) = (self.config.clone(), self.tls.clone());
        let spawned = std::thread::Builder::new()
            .name("sipcreds-listen".into())
            .spawn(move || {
                loop {
                    if let Ok(mut client) = config.connect(tls.clone())
                        && client
                            .batch_execute(&format!("LISTEN {EVENTS_CHANNEL}"))
                            .is_ok()
                    {
                        let mut n = client.notifications();
                        use postgres::fallible_iterator::FallibleIterator;
                        let mut it = n.timeout_iter(Duration::from_secs(1));
                        loop {
                            match it.next() {
                                Ok(Some(note)) => {
                                    if tx.send(note.payload().to_owned()).is_err() {
                                        return;
                                    }
                                }
                                // A quiet second: is anyone still listening?
                                Ok(None) => {
                                    if tx.send(String::new()).is_err() {
                                        return;
                                    }
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    if tx.send(String::new()).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        spawned.ok().map(|_| rx)
    }
}

/// What [`PgTx::copy_rate_rows`] hands each line to: `(id, cps_limit, cps_key)` as stored,
/// not yet checked.
type CopiedRateRow<'f> = dyn FnMut(&str, Option<i64>, Option<&str>) + 'f;

struct PgTx<'c> {
    tx: RefCell<postgres::Transaction<'c>>,
    statements: RefCell<&'c mut HashMap<&'static str, Statement>>,
    key: &'c Key,
    write: bool,
    /// The orgs whose advisory lock this transaction holds.
    locked: RefCell<Vec<String>>,
    /// The change counter this transaction moved each org to (it moves once per transaction).
    counters: RefCell<Vec<(String, i64)>>,
}

fn cred_row(r: &Row) -> CredRow {
    CredRow {
        id: r.get(0),
        org: r.get(1),
        name: r.get(2),
        server: r.get(3),
        auth_user: r.get(4),
        password: r.get(5),
        domain: r.get(6),
        transport: r.get(7),
        cps_limit: r.get(8),
        cps_key: r.get(9),
        provider_id: r.get(10),
        version: r.get(11),
        created_at: r.get(12),
        updated_at: r.get(13),
    }
}

/// Rows of (agent id, agent name, number), sorted by agent then number, as [`AgentLinks`].
fn agent_links(rows: &[Row]) -> Result<AgentLinks> {
    let mut agents: AgentLinks = Vec::new();
    for r in rows {
        let (agent, name, number): (&str, &str, &str) = (r.get(0), r.get(1), r.get(2));
        let number = parse_number(number)?;
        match agents.last_mut() {
            Some((a, _, via)) if a.as_str() == agent => via.push(number),
            _ => agents.push((
                parse_agent_id(agent)?,
                parse_name(name, "agent name")?,
                vec![number],
            )),
        }
    }
    Ok(agents)
}

impl PgTx<'_> {
    /// In a write transaction, serialize with every other writer of the org (once).
    fn enter(&self, org: &Org) -> Result<()> {
        if !self.write || self.locked.borrow().iter().any(|o| o == org.as_str()) {
            return Ok(());
        }
        let st =
            self.statement("SELECT pg_advisory_xact_lock(hashtextextended('sipcreds:' || $1, 0))")?;
        self.tx
            .borrow_mut()
            .execute(&st, &[&org.as_str()])
            .map_err(pg_error)?;
        self.locked.borrow_mut().push(org.as_str().to_owned());
        Ok(())
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&self, sql: &'static str) -> Result<Statement> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.borrow_mut().prepare(sql).map_err(pg_error)?;
        self.statements.borrow_mut().insert(sql, st.clone());
        Ok(st)
    }

    fn query(
        &self,
        org: &Org,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        self.enter(org)?;
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query(&st, params).map_err(pg_error)
    }

    /// Up to `n` credential rows of the org with an id above `after`, by the (org, id) index
    /// from the cursor on: a page costs its own rows, wherever it is.
    fn rows_after(&self, org: &Org, after: Option<&CredentialId>, n: usize) -> Result<Vec<Row>> {
        self.query(
            org,
            &ST.credentials_after,
            &[
                &org.as_str(),
                &after.map_or("", CredentialId::as_str),
                &(n as i64),
            ],
        )
    }

    /// A query of no one org (the monitor's look across every org): no org lock.
    fn query_any(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query(&st, params).map_err(pg_error)
    }

    fn exec(&self, org: &Org, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.enter(org)?;
        let st = self.statement(sql)?;
        self.tx.borrow_mut().execute(&st, params).map_err(pg_error)
    }

    fn agent_numbers(&self, org: &Org, id: &str) -> Result<Vec<PhoneNumber>> {
        self.query(org, &ST.agent_numbers_of, &[&org.as_str(), &id])?
            .iter()
            .map(|r| parse_number(r.get(0)))
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
        let mut by_agent: HashMap<String, Vec<PhoneNumber>> = HashMap::new();
        for r in self.query(org, &ST.agent_numbers_in, &[&org.as_str(), &above, &upto])? {
            by_agent
                .entry(r.get::<_, String>(0))
                .or_default()
                .push(parse_number(r.get(1))?);
        }
        Ok(by_agent)
    }

    fn to_agent(&self, org: &Org, r: &Row) -> Result<Agent> {
        let id: &str = r.get(0);
        Ok(Agent {
            numbers: self.agent_numbers(org, id)?,
            id: parse_agent_id(id)?,
            org: org.clone(),
            name: parse_name(r.get(1), "agent name")?,
            created_at: from_ts(r.get(2))?,
        })
    }

    /// Move the org's change counter on, once per transaction, and return it.
    fn bump(&self, org: &Org) -> Result<i64> {
        if let Some((_, n)) = self
            .counters
            .borrow()
            .iter()
            .find(|(o, _)| o == org.as_str())
        {
            return Ok(*n);
        }
        let rows = self.query(org, &ST.bump_counter, &[&org.as_str()])?;
        let n = rows
            .first()
            .map(|r| r.get::<_, i64>(0))
            .ok_or_else(|| Error::storage("the change counter was not returned"))?;
        self.counters
            .borrow_mut()
            .push((org.as_str().to_owned(), n));
        Ok(n)
    }

    /// The org's change counter and the counter below which removals were pruned (0, 0
    /// before the org's first write).
    fn counter_and_pruned(&self, org: &Org) -> Result<(u64, u64)> {
        let rows = self.query(org, &ST.change_counter, &[&org.as_str()])?;
        let (c, p) = rows
            .first()
            .map_or((0, 0), |r| (r.get::<_, i64>(0), r.get::<_, i64>(1)));
        Ok((counter(c)?, counter(p)?))
    }

    /// Rate rows (`id, cps_limit, cps_key`) of a query.
    fn rate_rows_of(
        &self,
        org: &Org,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<RateRow>> {
        self.query(org, sql, params)?
            .iter()
            .map(|r| rate_row(r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    /// The org's rate rows `(id, cpsLimit, cpsKey)` as `COPY … TO STDOUT` streams them, in
    /// text form: tab-separated lines read straight from the wire, with no `Row` decoded per
    /// credential (the first decision of an org reads every row: 100k at once). COPY takes
    /// no parameters, so the org is written as a quoted literal (an org is
    /// `[A-Za-z0-9._-]{1,64}`; quotes are doubled all the same).
    fn copy_rate_rows(&self, org: &Org, row: &mut CopiedRateRow<'_>) -> Result<()> {
        use std::io::BufRead;
        self.enter(org)?;
        let literal = format!("'{}'", org.as_str().replace('\'', "''"));
        let sql = format!("COPY ({}) TO STDOUT", ST.rate_rows.replace("$1", &literal));
        let mut tx = self.tx.borrow_mut();
        let mut reader = tx.copy_out(sql.as_str()).map_err(pg_error)?;
        let bad = |what: &str| sipcreds_sql::row::corrupt("rate row", what);
        let mut line = Vec::with_capacity(128);
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::storage(format!("postgres: reading the rate rows: {e}")))?;
            if n == 0 {
                return Ok(());
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = std::str::from_utf8(text).map_err(|_| bad("not UTF-8"))?;
            let mut parts = text.split('\t');
            let (Some(id), Some(limit), Some(key), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("not three columns"));
            };
            // "\N" is COPY's NULL; an id, a limit and a key never hold a backslash (their
            // checks refuse one), so no other escape can appear.
            let limit = match limit {
                "\\N" => None,
                digits => Some(digits.parse::<i64>().map_err(|_| bad("cps_limit"))?),
            };
            let key = (key != "\\N").then_some(key);
            row(id, limit, key);
        }
    }

    fn write_credential(&mut self, c: &Credential, insert: bool) -> Result<()> {
        let row = CredRow::from_credential(c, self.key)?;
        let changed = self.bump(&c.org)?;
        let sql: &'static str = if insert {
            &ST.credential_insert
        } else {
            &ST.credential_update
        };
        let n = self.exec(
            &c.org,
            sql,
            &[
                &row.id,
                &row.org,
                &row.name,
                &row.server,
                &row.auth_user,
                &row.password,
                &row.domain,
                &row.transport,
                &row.cps_limit,
                &row.cps_key,
                &row.provider_id,
                &row.version,
                &row.created_at,
                &row.updated_at,
                &changed,
            ],
        )?;
        if n != 1 {
            return Err(Error::storage(format!(
                "credential {} was not written",
                c.id
            )));
        }
        Ok(())
    }
}

impl Tx for PgTx<'_> {
    fn credential(&self, org: &Org, id: &CredentialId) -> Result<Option<Credential>> {
        self.query(org, &ST.credential, &[&org.as_str(), &id.as_str()])?
            .first()
            .map(|r| cred_row(r).into_credential(self.key))
            .transpose()
    }

    fn credential_exists(&self, org: &Org, id: &CredentialId) -> Result<bool> {
        Ok(!self
            .query(org, &ST.credential_exists, &[&org.as_str(), &id.as_str()])?
            .is_empty())
    }

    fn credentials(&self, org: &Org) -> Result<Vec<Credential>> {
        self.query(org, &ST.credentials, &[&org.as_str()])?
            .iter()
            .map(|r| cred_row(r).into_credential(self.key))
            .collect()
    }

    fn credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<Credential>> {
        self.rows_after(org, after, n)?
            .iter()
            .map(|r| cred_row(r).into_credential(self.key))
            .collect()
    }

    fn sealed_credentials_after(
        &self,
        org: &Org,
        after: Option<&CredentialId>,
        n: usize,
    ) -> Result<Vec<SealedCredential>> {
        self.rows_after(org, after, n)?
            .iter()
            .map(|r| cred_row(r).into_sealed())
            .collect()
    }

    fn provider_credentials(&self, org: &Org, provider: &ProviderId) -> Result<Vec<CredentialId>> {
        self.query(
            org,
            &ST.provider_credentials,
            &[&org.as_str(), &provider.as_str()],
        )?
        .iter()
        .map(|r| parse_credential_id(r.get(0)))
        .collect()
    }

    fn insert_credential(&mut self, c: &Credential) -> Result<()> {
        self.write_credential(c, true)
    }

    fn update_credential(&mut self, c: &Credential) -> Result<()> {
        self.write_credential(c, false)
    }

    fn delete_credential(&mut self, org: &Org, id: &CredentialId) -> Result<()> {
        self.exec(org, &ST.credential_delete, &[&org.as_str(), &id.as_str()])?;
        let changed = self.bump(org)?;
        self.exec(
            org,
            &ST.record_removal,
            &[&org.as_str(), &changed, &id.as_str()],
        )?;
        let horizon = changed - sipcreds_sql::sql::REMOVALS_KEPT;
        if horizon > 0 {
            self.exec(org, &ST.prune_removals, &[&org.as_str(), &horizon])?;
            self.exec(org, &ST.set_pruned, &[&org.as_str(), &horizon])?;
        }
        Ok(())
    }

    fn insert_credentials(&mut self, cs: &[Credential]) -> Result<()> {
        // One statement per org for the lot (a round trip per row made imports slow).
        for (org, group) in by_org(cs, |c| &c.org) {
            let changed = self.bump(org)?;
            let rows = CredRow::from_credentials(group.iter().copied(), self.key)?;
            let col = |f: fn(&CredRow) -> Option<&str>| rows.iter().map(f).collect::<Vec<_>>();
            let n = self.exec(
                org,
                "INSERT INTO sipcreds_credentials (id, org, name, server, auth_user, password, domain, transport, \
                 cps_limit, cps_key, provider_id, version, created_at, updated_at, changed) \
                 SELECT *, $15::BIGINT FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], \
                 $6::BYTEA[], $7::TEXT[], $8::TEXT[], $9::BIGINT[], $10::TEXT[], $11::TEXT[], $12::BIGINT[], \
                 $13::BIGINT[], $14::BIGINT[])",
                &[
                    &col(|r| Some(&r.id)),
                    &col(|r| Some(&r.org)),
                    &col(|r| r.name.as_deref()),
                    &col(|r| Some(&r.server)),
                    &col(|r| r.auth_user.as_deref()),
                    &rows
                        .iter()
                        .map(|r| r.password.as_deref())
                        .collect::<Vec<_>>(),
                    &col(|r| r.domain.as_deref()),
                    &col(|r| Some(&r.transport)),
                    &rows.iter().map(|r| r.cps_limit).collect::<Vec<_>>(),
                    &col(|r| r.cps_key.as_deref()),
                    &col(|r| r.provider_id.as_deref()),
                    &rows.iter().map(|r| r.version).collect::<Vec<_>>(),
                    &rows.iter().map(|r| r.created_at).collect::<Vec<_>>(),
                    &rows.iter().map(|r| r.updated_at).collect::<Vec<_>>(),
                    &changed,
                ],
            )?;
            if n != rows.len() as u64 {
                return Err(Error::storage(format!(
                    "{} of {} credentials were written",
                    n,
                    rows.len()
                )));
            }
        }
        Ok(())
    }

    fn put_numbers(&mut self, org: &Org, records: &[NumberRecord]) -> Result<()> {
        let numbers: Vec<&str> = records.iter().map(|r| r.number.as_str()).collect();
        let creds: Vec<Option<&str>> = records
            .iter()
            .map(|r| r.credential_id.as_ref().map(|c| c.as_str()))
            .collect();
        self.exec(
            org,
            "INSERT INTO sipcreds_numbers (org, number, credential_id) \
             SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[]) \
             ON CONFLICT (org, number) DO UPDATE SET credential_id = excluded.credential_id",
            &[&org.as_str(), &numbers, &creds],
        )
        .map(drop)
    }

    fn insert_agents(&mut self, agents: &[Agent]) -> Result<()> {
        for (org, group) in by_org(agents, |a| &a.org) {
            let ids: Vec<&str> = group.iter().map(|a| a.id.as_str()).collect();
            let names: Vec<&str> = group.iter().map(|a| a.name.as_str()).collect();
            let created: Vec<i64> = group.iter().map(|a| ts(a.created_at)).collect();
            self.exec(
                org,
                "INSERT INTO sipcreds_agents (org, id, name, created_at) \
                 SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::BIGINT[])",
                &[&org.as_str(), &ids, &names, &created],
            )?;
            let (agent_ids, numbers): (Vec<&str>, Vec<&str>) = group
                .iter()
                .flat_map(|a| a.numbers.iter().map(|n| (a.id.as_str(), n.as_str())))
                .unzip();
            self.exec(
                org,
                "INSERT INTO sipcreds_agent_numbers (org, agent_id, number) \
                 SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[]) ON CONFLICT DO NOTHING",
                &[&org.as_str(), &agent_ids, &numbers],
            )?;
        }
        Ok(())
    }

    fn rate_rows(&self, org: &Org) -> Result<Vec<RateRow>> {
        let mut rows = Vec::new();
        self.copy_rate_rows(org, &mut |id, limit, key| {
            rows.push(sipcreds_sql::row::rate_row(id, limit, key));
        })?;
        rows.into_iter().collect()
    }

    fn each_rate_row(&self, org: &Org, f: &mut RateRowSink<'_>) -> Result<()> {
        let mut failed = None;
        self.copy_rate_rows(org, &mut |id, limit, key| {
            if failed.is_none() {
                match sipcreds_sql::row::rate_fields(id, limit, key) {
                    Ok((id, limit, key)) => f(id, limit, key),
                    Err(e) => failed = Some(e),
                }
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    fn change_counter(&self, org: &Org) -> Result<Option<u64>> {
        Ok(Some(self.counter_and_pruned(org)?.0))
    }

    fn rate_changes(&self, org: &Org, since: u64) -> Result<Option<RateChanges>> {
        let (now, pruned) = self.counter_and_pruned(org)?;
        if !sipcreds_sql::sql::changes_answerable(since, now, pruned) {
            return Ok(None);
        }
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let changed = self.rate_rows_of(org, &ST.rate_rows_changed, &[&org.as_str(), &since])?;
        let removed = self
            .query(org, &ST.removed_since, &[&org.as_str(), &since])?
            .iter()
            .map(|r| parse_credential_id(r.get(0)))
            .collect::<Result<_>>()?;
        Ok(Some(RateChanges {
            counter: now,
            changed,
            removed,
        }))
    }

    fn number(&self, org: &Org, number: &PhoneNumber) -> Result<Option<NumberRecord>> {
        self.query(org, &ST.number, &[&org.as_str(), &number.as_str()])?
            .first()
            .map(|r| {
                Ok(NumberRecord {
                    number: number.clone(),
                    credential_id: r
                        .get::<_, Option<&str>>(0)
                        .map(parse_credential_id)
                        .transpose()?,
                })
            })
            .transpose()
    }

    fn numbers(&self, org: &Org) -> Result<Vec<NumberRecord>> {
        self.query(org, &ST.numbers, &[&org.as_str()])?
            .iter()
            .map(number_record)
            .collect()
    }

    fn numbers_after(
        &self,
        org: &Org,
        after: Option<&PhoneNumber>,
        n: usize,
    ) -> Result<Vec<NumberRecord>> {
        self.query(
            org,
            &ST.numbers_after,
            &[
                &org.as_str(),
                &after.map_or("", PhoneNumber::as_str),
                &(n as i64),
            ],
        )?
        .iter()
        .map(number_record)
        .collect()
    }

    fn credential_numbers(&self, org: &Org, id: &CredentialId) -> Result<Vec<PhoneNumber>> {
        self.query(org, &ST.credential_numbers, &[&org.as_str(), &id.as_str()])?
            .iter()
            .map(|r| parse_number(r.get(0)))
            .collect()
    }

    fn put_number(&mut self, org: &Org, record: &NumberRecord) -> Result<()> {
        self.exec(
            org,
            &ST.number_put,
            &[
                &org.as_str(),
                &record.number.as_str(),
                &record.credential_id.as_ref().map(CredentialId::as_str),
            ],
        )
        .map(drop)
    }

    fn delete_number(&mut self, org: &Org, number: &PhoneNumber) -> Result<()> {
        // sipcreds_agent_numbers rows go with it (ON DELETE CASCADE).
        self.exec(org, &ST.number_delete, &[&org.as_str(), &number.as_str()])
            .map(drop)
    }

    fn agent(&self, org: &Org, id: &AgentId) -> Result<Option<Agent>> {
        self.query(org, &ST.agent, &[&org.as_str(), &id.as_str()])?
            .first()
            .map(|r| self.to_agent(org, r))
            .transpose()
    }

    fn agents(&self, org: &Org) -> Result<Vec<Agent>> {
        let agents = self.query(org, &ST.agents, &[&org.as_str()])?;
        // Every agent's numbers in one query (not one per agent), sorted by agent then number.
        let numbers = self.agent_numbers_in(org, "", None)?;
        agents_from(org, &agents, numbers)
    }

    fn agents_after(&self, org: &Org, after: Option<&AgentId>, n: usize) -> Result<Vec<Agent>> {
        let above = after.map_or("", AgentId::as_str);
        let agents = self.query(org, &ST.agents_after, &[&org.as_str(), &above, &(n as i64)])?;
        let Some(last) = agents.last().map(|r| r.get::<_, String>(0)) else {
            return Ok(Vec::new());
        };
        let numbers = self.agent_numbers_in(org, above, Some(&last))?;
        agents_from(org, &agents, numbers)
    }

    fn agents_using(&self, org: &Org, numbers: &[PhoneNumber]) -> Result<AgentLinks> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<&str> = numbers.iter().map(PhoneNumber::as_str).collect();
        let rows = self.query(
            org,
            "SELECT a.id, a.name, an.number FROM sipcreds_agent_numbers an \
             JOIN sipcreds_agents a ON a.org = an.org AND a.id = an.agent_id \
             WHERE an.org = $1 AND an.number = ANY($2) ORDER BY a.id, an.number",
            &[&org.as_str(), &list],
        )?;
        agent_links(&rows)
    }

    fn insert_agent(&mut self, agent: &Agent) -> Result<()> {
        self.exec(
            &agent.org,
            &ST.agent_insert,
            &[
                &agent.org.as_str(),
                &agent.id.as_str(),
                &agent.name.as_str(),
                &ts(agent.created_at),
            ],
        )?;
        for n in &agent.numbers {
            self.assign(&agent.org, &agent.id, n)?;
        }
        Ok(())
    }

    fn delete_agent(&mut self, org: &Org, id: &AgentId) -> Result<()> {
        self.exec(org, &ST.agent_delete, &[&org.as_str(), &id.as_str()])
            .map(drop)
    }

    fn assign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.exec(
            org,
            &ST.assign,
            &[&org.as_str(), &agent.as_str(), &number.as_str()],
        )
        .map(drop)
    }

    fn unassign(&mut self, org: &Org, agent: &AgentId, number: &PhoneNumber) -> Result<()> {
        self.exec(
            org,
            &ST.unassign,
            &[&org.as_str(), &agent.as_str(), &number.as_str()],
        )
        .map(drop)
    }

    fn provider(&self, org: &Org, id: &ProviderId) -> Result<Option<Provider>> {
        self.query(org, &ST.provider, &[&org.as_str(), &id.as_str()])?
            .first()
            .map(|r| provider(org, r.get(0), r.get(1), r.get(2), r.get(3)))
            .transpose()
    }

    fn providers(&self, org: &Org) -> Result<Vec<Provider>> {
        self.query(org, &ST.providers, &[&org.as_str()])?
            .iter()
            .map(|r| provider(org, r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    }

    fn providers_after(
        &self,
        org: &Org,
        after: Option<&ProviderId>,
        n: usize,
    ) -> Result<Vec<Provider>> {
        self.query(
            org,
            &ST.providers_after,
            &[
                &org.as_str(),
                &after.map_or("", ProviderId::as_str),
                &(n as i64),
            ],
        )?
        .iter()
        .map(|r| provider(org, r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
    }

    fn insert_provider(&mut self, p: &Provider) -> Result<()> {
        self.exec(
            &p.org,
            &ST.provider_insert,
            &[
                &p.org.as_str(),
                &p.id.as_str(),
                &p.kind,
                &p.name.as_str(),
                &ts(p.created_at),
            ],
        )
        .map(drop)
    }

    fn delete_provider(&mut self, org: &Org, id: &ProviderId) -> Result<()> {
        self.exec(org, &ST.provider_delete, &[&org.as_str(), &id.as_str()])
            .map(drop)
    }

    fn insert_token(&mut self, token: &TokenRecord) -> Result<()> {
        let r = TokenRow::of(token);
        self.exec(
            &token.info.org,
            &ST.token_insert,
            &[
                &r.hash,
                &r.org,
                &r.id,
                &r.name,
                &r.role,
                &r.created_at,
                &r.last_used,
            ],
        )
        .map(drop)
    }

    fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        let st = self.statement(&ST.token_by_hash)?;
        let rows = self
            .tx
            .borrow_mut()
            .query(&st, &[&hash.to_hex()])
            .map_err(pg_error)?;
        rows.first().map(|r| token_row(r).into_record()).transpose()
    }

    fn tokens(&self, org: &Org) -> Result<Vec<TokenRecord>> {
        self.query(org, &ST.tokens, &[&org.as_str()])?
            .iter()
            .map(|r| token_row(r).into_record())
            .collect()
    }

    fn delete_token(&mut self, org: &Org, id: &TokenId) -> Result<bool> {
        Ok(self.exec(org, &ST.token_delete, &[&org.as_str(), &id.as_str()])? > 0)
    }

    fn touch_token(&mut self, org: &Org, id: &TokenId, at: time::OffsetDateTime) -> Result<()> {
        self.exec(
            org,
            &ST.token_touch,
            &[&org.as_str(), &id.as_str(), &ts(at)],
        )
        .map(drop)
    }

    fn health(&self, org: &Org, id: &CredentialId) -> Result<Option<HealthRow>> {
        self.query(org, &ST.health, &[&org.as_str(), &id.as_str()])?
            .first()
            .map(|r| health_row(id.clone(), r.get(0), r.get(1), r.get(2), r.get(3)))
            .transpose()
    }

    fn put_health(&mut self, org: &Org, row: &HealthRow, events: &[HealthEvent]) -> Result<()> {
        let c = HealthColumns::of(row);
        let id = row.record.credential_id.as_str();
        self.exec(
            org,
            &ST.health_put,
            &[
                &org.as_str(),
                &id,
                &c.record,
                &c.version,
                &c.state,
                &c.next_at,
                &c.lease_owner,
                &c.lease_until,
            ],
        )?;
        for e in events {
            self.exec(
                org,
                &ST.health_event_insert,
                &[&org.as_str(), &id, &e.to_stored()],
            )?;
        }
        if !events.is_empty() {
            self.exec(
                org,
                &ST.health_events_trim,
                &[&org.as_str(), &id, &(sipcreds::EVENTS_KEPT as i64)],
            )?;
        }
        Ok(())
    }

    fn insert_health(&mut self, org: &Org, row: &HealthRow) -> Result<bool> {
        let c = HealthColumns::of(row);
        Ok(self.exec(
            org,
            &ST.health_insert,
            &[
                &org.as_str(),
                &row.record.credential_id.as_str(),
                &c.record,
                &c.version,
                &c.state,
                &c.next_at,
                &c.lease_owner,
                &c.lease_until,
            ],
        )? > 0)
    }

    fn health_events(&self, org: &Org, id: &CredentialId) -> Result<Vec<HealthEvent>> {
        self.query(org, &ST.health_events, &[&org.as_str(), &id.as_str()])?
            .iter()
            .map(|r| HealthEvent::from_stored(id.clone(), r.get(0)))
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
            org,
            &ST.take_lease,
            &[&org.as_str(), &id.as_str(), &owner, &now, &due_by, &until],
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
        self.query_any(
            &ST.health_due,
            &[&owner, &now, &due_by, &(n as i64), &org.map(Org::as_str)],
        )?
        .iter()
        .map(|r| Ok((parse_org(r.get(0))?, parse_credential_id(r.get(1))?)))
        .collect()
    }

    fn unmonitored(
        &self,
        org: Option<&Org>,
        n: usize,
    ) -> Result<Vec<(Org, CredentialId, u64, i64)>> {
        self.query_any(&ST.unmonitored, &[&(n as i64), &org.map(Org::as_str)])?
            .iter()
            .map(|r| {
                Ok((
                    parse_org(r.get(0))?,
                    parse_credential_id(r.get(1))?,
                    r.get::<_, i64>(2).max(0) as u64,
                    r.get::<_, i64>(3).saturating_mul(1000),
                ))
            })
            .collect()
    }

    fn health_of(&self, org: &Org, ids: &[CredentialId]) -> Result<Vec<HealthRow>> {
        // One round trip for a page of credentials (a list shows each one's state).
        let texts: Vec<&str> = ids.iter().map(CredentialId::as_str).collect();
        self.query(
            org,
            "SELECT id, record, version, lease_owner, lease_until FROM sipcreds_health \
             WHERE org = $1 AND id = ANY($2)",
            &[&org.as_str(), &texts],
        )?
        .iter()
        .map(|r| {
            health_row(
                parse_credential_id(r.get(0))?,
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
            )
        })
        .collect()
    }

    fn health_state_counts(&self) -> Result<Vec<(String, u64)>> {
        self.query_any(&ST.health_state_counts, &[])?
            .iter()
            .map(|r| Ok((r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64)))
            .collect()
    }

    fn release_leases(&mut self, owner: &str) -> Result<()> {
        let st = self.statement(&ST.release_leases)?;
        self.tx
            .borrow_mut()
            .execute(&st, &[&owner])
            .map(drop)
            .map_err(pg_error)
    }
}

/// A token's columns as read.
fn token_row(r: &Row) -> TokenRow {
    TokenRow {
        hash: r.get(0),
        org: r.get(1),
        id: r.get(2),
        name: r.get(3),
        role: r.get(4),
        created_at: r.get(5),
        last_used: r.get(6),
    }
}
