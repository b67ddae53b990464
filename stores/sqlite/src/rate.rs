//! A CPS limiter backend in the SQLite file: the same window rule as the in-process backend,
//! with its state in a table, so every process using the file (each `sipcreds acquire`, or
//! several services on one machine) shares one budget per group.
//!
//! Each decision is one `BEGIN IMMEDIATE` transaction: it reads the group's admissions of the
//! last second, applies [`sipcreds::SlidingWindow`], and records the slot. Times come from
//! the wall clock ([`WallClock`]), the only clock processes share.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};
use sipcreds::{
    Admission, Clock, Error, GroupState, LimiterBackend, Nanos, Result, SECOND, SlidingWindow,
};

use crate::sql_error;

/// Nanoseconds since the Unix epoch, never going backwards within this process.
#[derive(Debug, Default)]
pub struct WallClock {
    last: std::sync::atomic::AtomicU64,
}

impl Clock for WallClock {
    fn now(&self) -> Nanos {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let prev = self
            .last
            .fetch_max(wall, std::sync::atomic::Ordering::SeqCst);
        prev.max(wall)
    }
}

/// The shared limiter backend on a SQLite file (the registry's own file is fine).
#[derive(Debug, Clone)]
pub struct SqliteRateBackend {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<WallClock>,
}

impl SqliteRateBackend {
    /// Open the file (its schema must be current: open it with `SqliteStore::open` first).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        crate::files::create_private_database(path.as_ref())?;
        let conn = Connection::open(path.as_ref()).map_err(sql_error)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(sql_error)?;
        crate::set_wal(&conn)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_error)?;
        if version < 2 {
            return Err(Error::storage(
                "the database has no rate_log table yet: open it with SqliteStore first",
            ));
        }
        Ok(SqliteRateBackend {
            conn: Arc::new(Mutex::new(conn)),
            clock: Arc::default(),
        })
    }
}

#[derive(Debug)]
struct SqliteGroup {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<WallClock>,
    key: String,
}

impl GroupState for SqliteGroup {
    fn acquire(&self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Result<Admission> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| Error::storage("the rate connection is poisoned"))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error)?;
        // The caller read `now` before waiting for the file's write lock; other processes may
        // have recorded later admissions meanwhile. Decide at the time the lock was taken.
        let now = now.max(self.clock.now());
        let cutoff = now.saturating_sub(span) as i64;
        tx.execute(
            "DELETE FROM rate_log WHERE grp = ?1 AND at <= ?2",
            params![self.key, cutoff],
        )
        .map_err(sql_error)?;
        let mut window = SlidingWindow::new();
        {
            let mut st = tx
                .prepare_cached("SELECT at FROM rate_log WHERE grp = ?1 ORDER BY at")
                .map_err(sql_error)?;
            let times = st
                .query_map(params![self.key], |r| r.get::<_, i64>(0))
                .map_err(sql_error)?;
            for t in times {
                window.restore(t.map_err(sql_error)? as Nanos);
            }
        }
        let admission = window.acquire(limit, span, now, max_wait);
        if let Admission::Admitted { at } = admission {
            tx.execute(
                "INSERT INTO rate_log (grp, at) VALUES (?1, ?2)",
                params![self.key, at as i64],
            )
            .map_err(sql_error)?;
        }
        tx.commit().map_err(sql_error)?;
        Ok(admission)
    }
}

impl LimiterBackend for SqliteRateBackend {
    fn group(&self, key: &str) -> Result<Arc<dyn GroupState>> {
        Ok(Arc::new(SqliteGroup {
            conn: self.conn.clone(),
            clock: self.clock.clone(),
            key: key.to_owned(),
        }))
    }

    fn sweep(&self, now: Nanos) {
        if let Ok(conn) = self.conn.lock() {
            let _ = conn.execute(
                "DELETE FROM rate_log WHERE at <= ?1",
                params![now.saturating_sub(SECOND) as i64],
            );
        }
    }
}
