//! Open a registry by location, the one way the CLI and every SDK do it:
//!
//! | store | location |
//! |---|---|
//! | SQLite (embedded, the default) | a file path: `sipcreds.db` |
//! | PostgreSQL (several instances) | `postgres://user:password@host:port/db`, TLS by `?sslmode=verify-full&sslrootcert=ca.pem` (see [`sipcreds_postgres::tls`]; verified by default for a host that is not this machine), or a libpq `host=… dbname=…` string |
//!
//! | CPS limiter | `limiter` |
//! |---|---|
//! | in this process (default) | `process` |
//! | in the SQLite file, shared by the processes on one machine | `file` |
//! | in Redis, shared by every instance | `redis://host:port/db` (`rediss://` for TLS, with `?cafile=PATH` for a CA of your own), optionally `?fallback=refuse` (default) or `?fallback=local:N`, `?eviction=allow`, `?hold=SECONDS`, `?prefix=P` |
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("sipcreds-open-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let reg = sipcreds_open::open_registry(dir.join("x.db").to_str().unwrap(), "process").unwrap();
//! assert!(reg.describe().starts_with("sqlite:"));
//! let e = sipcreds_open::open_registry("postgres://x@127.0.0.1:1/db", "file").unwrap_err();
//! assert!(e.to_string().contains("SQLite"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use sipcreds::{DEFAULT_MARGIN, Error, ErrorCode, MonotonicClock, RateLimiter, Registry, Result};
use sipcreds_postgres::PostgresStore;
use sipcreds_redis::{RedisOptions, RedisRateBackend};
use sipcreds_sqlite::{Durability, Key, SqliteRateBackend, SqliteStore, WallClock};

/// Where the CPS limiter keeps its admissions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Limiter {
    /// In this process's memory.
    #[default]
    Process,
    /// In the SQLite file (shared by the processes that open it).
    File,
    /// In Redis at this URL (shared by every instance).
    Redis(String),
}

impl std::str::FromStr for Limiter {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if let Some(scheme) = sipcreds::location_scheme(s) {
            return match scheme.as_str() {
                "redis" | "rediss" | "redis+unix" => Ok(Limiter::Redis(lowercase_scheme(s))),
                _ => Err(Error::Invalid {
                    code: ErrorCode::InvalidOption,
                    field: Some("limiter".into()),
                    message: format!(
                        "unknown limiter URL {}: the shared limiter is redis:// or rediss:// (TLS)",
                        sipcreds::redact_location(s)
                    ),
                }),
            };
        }
        match s {
            "process" | "memory" => Ok(Limiter::Process),
            "file" | "sqlite" => Ok(Limiter::File),
            _ => Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: format!(
                    "unknown limiter \"{}\": use \"process\" (in memory), \"file\" (shared through the SQLite file) or a redis:// URL (shared by every instance)",
                    sipcreds::printable(&sipcreds::redact_location(s), 80)
                ),
            }),
        }
    }
}

/// Is this location PostgreSQL's: a `postgres://` or `postgresql://` URL (the scheme in any
/// case), or a libpq `key=value` connection string ([`sipcreds::is_conninfo`]), which is
/// never taken as a SQLite file name?
pub fn is_postgres(location: &str) -> bool {
    matches!(
        sipcreds::location_scheme(location).as_deref(),
        Some("postgres" | "postgresql")
    ) || sipcreds::is_conninfo(location)
}

/// The location with its scheme in lower case (`POSTGRES://…` → `postgres://…`), as the
/// client libraries expect it.
fn lowercase_scheme(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
        None => location.to_owned(),
    }
}

/// A location with a scheme that is no store of ours (`mysql://…`, a misspelt `postgress://`)
/// is refused, not taken as a file name.
fn refuse_unknown_scheme(location: &str) -> Result<()> {
    match sipcreds::location_scheme(location) {
        Some(s) if s != "postgres" && s != "postgresql" => Err(Error::storage(format!(
            "unknown store URL {}: the store is a SQLite file path or a postgres:// URL",
            sipcreds::redact_location(location)
        ))),
        _ => Ok(()),
    }
}

/// A SQLite path that holds what a location's password would be (`user:secret@host`,
/// `x.db?password=…`, a mistyped URL) is refused: a file name never holds a secret, and an
/// error never shows one.
fn refuse_secret_path(location: &str) -> Result<()> {
    let shown = sipcreds::redact_location(location);
    if shown == location {
        return Ok(());
    }
    Err(Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: Some("path".into()),
        message: format!(
            "the store location {} holds a password, so it is no SQLite file name: for PostgreSQL write postgres://user:password@host/db or host=… password=… dbname=…; for a SQLite file, a path without user:password@ or password=",
            sipcreds::printable(&shown, 120)
        ),
    })
}

/// A limiter on Redis, on this process's monotonic clock (Redis decides on its own clock;
/// only waits cross over), with the default margin.
pub fn redis_limiter(url: &str) -> Result<RateLimiter> {
    let (url, options) = RedisOptions::from_url(url)?;
    let backend = RedisRateBackend::open(&url, options)?;
    Ok(
        RateLimiter::new(Arc::new(backend), Arc::new(MonotonicClock::new()))
            .with_margin(DEFAULT_MARGIN),
    )
}

/// How often a registry on a shared store or limiter reloads an org's rate groups, so that a
/// limit another instance changed applies here too (see [`Registry::with_limit_refresh`]).
pub const LIMIT_REFRESH: Duration = Duration::from_secs(1);

/// Open the registry at `location` (a SQLite path or a `postgres://` URL) with the CPS
/// limiter `limiter` (`process`, `file` or a `redis://` URL). The key comes from
/// `SIPCREDS_KEY` (or, for SQLite, the key file beside the database).
pub fn open_registry(location: &str, limiter: &str) -> Result<Registry> {
    open_with(location, limiter, None)
}

/// The registry of an SDK's constructor: in memory without a location (with the `process`
/// limiter, or a `redis://` one), else [`open_registry`].
pub fn open_optional(location: Option<&str>, limiter: &str) -> Result<Registry> {
    let Some(location) = location else {
        return match limiter.parse()? {
            Limiter::Process => Ok(Registry::in_memory()),
            Limiter::Redis(url) => Ok(Registry::with_limiter(
                Arc::new(sipcreds::MemoryStore::new()),
                Arc::new(redis_limiter(&url)?),
            )),
            Limiter::File => Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: "the \"file\" limiter lives in the database file: give a path".into(),
            }),
        };
    };
    open_registry(location, limiter)
}

/// As [`open_registry`], with an explicit encryption key.
pub fn open_with(location: &str, limiter: &str, key: Option<Key>) -> Result<Registry> {
    let limiter: Limiter = limiter.parse()?;
    refuse_unknown_scheme(location)?;
    if is_postgres(location) {
        let location = &lowercase_scheme(location);
        if limiter == Limiter::File {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: "the \"file\" limiter lives in a SQLite file; with PostgreSQL, share the limits through a redis:// URL".into(),
            });
        }
        let store = Arc::new(match key {
            Some(k) => PostgresStore::connect_with(location, k)?,
            None => PostgresStore::connect(location)?,
        });
        let reg = match limiter {
            Limiter::Redis(url) => Registry::with_limiter(store, Arc::new(redis_limiter(&url)?)),
            _ => Registry::from_arc(store),
        };
        // Other instances change this store.
        return Ok(reg.with_limit_refresh(LIMIT_REFRESH));
    }
    refuse_secret_path(location)?;
    let store = Arc::new(match key {
        Some(k) => SqliteStore::open_with(location, k, Durability::Normal)?,
        None => SqliteStore::open(location)?,
    });
    Ok(match limiter {
        Limiter::Process => Registry::from_arc(store),
        // A shared limiter means other processes, which may change the file too.
        Limiter::File => Registry::with_limiter(
            store,
            Arc::new(
                RateLimiter::new(
                    Arc::new(SqliteRateBackend::open(location)?),
                    Arc::new(WallClock::default()),
                )
                .with_margin(DEFAULT_MARGIN),
            ),
        )
        .with_limit_refresh(LIMIT_REFRESH),
        Limiter::Redis(url) => Registry::with_limiter(store, Arc::new(redis_limiter(&url)?))
            .with_limit_refresh(LIMIT_REFRESH),
    })
}
