//! Open a registry by location, the one way the CLI and every SDK do it:
//!
//! | store | location |
//! |---|---|
//! | SQLite (embedded, the default) | a file path: `sipcreds.db` |
//! | PostgreSQL (several instances) | `postgres://user:password@host:port/db` |
//!
//! | CPS limiter | `limiter` |
//! |---|---|
//! | in this process (default) | `process` |
//! | in the SQLite file, shared by the processes on one machine | `file` |
//! | in Redis, shared by every instance | `redis://host:port/db`, optionally `?fallback=refuse` (default) or `?fallback=local:N` |
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

use sipcreds::{DEFAULT_MARGIN, Error, ErrorCode, MonotonicClock, RateLimiter, Registry, Result};
use sipcreds_postgres::PostgresStore;
use sipcreds_redis::{RedisOptions, RedisRateBackend};
use sipcreds_sqlite::{LimiterScope, SqliteStore};

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
        if s.starts_with("redis://") || s.starts_with("rediss://") || s.starts_with("redis+unix://")
        {
            return Ok(Limiter::Redis(s.to_owned()));
        }
        match s.parse::<LimiterScope>() {
            Ok(LimiterScope::Process) => Ok(Limiter::Process),
            Ok(LimiterScope::File) => Ok(Limiter::File),
            Err(_) => Err(Error::Invalid {
                code: ErrorCode::InvalidJson,
                field: Some("limiter".into()),
                message: format!(
                    "unknown limiter {s:?}: use \"process\" (in memory), \"file\" (shared through the SQLite file) or a redis:// URL (shared by every instance)"
                ),
            }),
        }
    }
}

/// Is this location a PostgreSQL URL?
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
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

/// Open the registry at `location` (a SQLite path or a `postgres://` URL) with the CPS
/// limiter `limiter` (`process`, `file` or a `redis://` URL).
pub fn open_registry(location: &str, limiter: &str) -> Result<Registry> {
    let limiter: Limiter = limiter.parse()?;
    if is_postgres(location) {
        if limiter == Limiter::File {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidJson,
                field: Some("limiter".into()),
                message: "the \"file\" limiter lives in a SQLite file; with PostgreSQL, share the limits through a redis:// URL".into(),
            });
        }
        let store = Arc::new(PostgresStore::connect(location)?);
        return match limiter {
            Limiter::Redis(url) => Ok(Registry::with_limiter(
                store,
                Arc::new(redis_limiter(&url)?),
            )),
            _ => Ok(Registry::from_arc(store)),
        };
    }
    match limiter {
        Limiter::Process => sipcreds_sqlite::open_registry(location, LimiterScope::Process),
        Limiter::File => sipcreds_sqlite::open_registry(location, LimiterScope::File),
        Limiter::Redis(url) => {
            let store = Arc::new(SqliteStore::open(location)?);
            Ok(Registry::with_limiter(
                store,
                Arc::new(redis_limiter(&url)?),
            ))
        }
    }
}
