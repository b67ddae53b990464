//! The key of a SQLite database: `SIPCREDS_KEY`, or the key file beside the database; and the
//! key check stored in the file so that a wrong key is refused at open time.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sipcreds::{Error, Result};
use sipcreds_sql::{KEY_ENV, Key};

use crate::sql_error;

/// The key for the database at `db`: `SIPCREDS_KEY` if set, else the key file beside it
/// (`x.db` → `x.key`), created with mode 0600 if missing.
pub fn key_for_database(db: &Path) -> Result<Key> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        return Key::from_base64(&text, KEY_ENV);
    }
    let path = key_file_path(db);
    let origin = crate::files::shown(&path);
    if let Some(text) = crate::files::read_key_file(&path)? {
        return Key::from_base64(&text, origin);
    }
    let (key, text) = Key::generate(origin.clone());
    if crate::files::write_key_file(&path, &text)? {
        return Ok(key);
    }
    // Another process created it first: use theirs.
    match crate::files::read_key_file(&path)? {
        Some(text) => Key::from_base64(&text, origin),
        None => Err(Error::storage(format!(
            "the key file {origin} vanished while it was being created; try again"
        ))),
    }
}

/// The key file of a database: the same name with the extension `key`.
pub fn key_file_path(db: &Path) -> PathBuf {
    db.with_extension("key")
}

/// On a new database store a value encrypted under the key; on an existing one check that it
/// decrypts, so a wrong key is refused at open time.
pub(crate) fn check_or_store_key_check(conn: &mut Connection, key: &Key) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    let stored: Option<Vec<u8>> = tx
        .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(sql_error)?;
    match stored {
        Some(blob) => key.verify_key_check(&blob)?,
        None => {
            let blob = key.key_check()?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                params![blob],
            )
            .map_err(sql_error)?;
        }
    }
    tx.commit().map_err(sql_error)
}
