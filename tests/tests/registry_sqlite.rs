//! The registry conformance suite on the SQLite backend (a fresh file per test).

use sipcreds::{Registry, Storage, Tx};
use sipcreds_sqlite::SqliteStore;

/// A store in a temporary directory that is removed with it.
struct TempSqlite {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl Storage for TempSqlite {
    fn read(&self, f: &mut dyn FnMut(&dyn Tx) -> sipcreds::Result<()>) -> sipcreds::Result<()> {
        self.store.read(f)
    }
    fn write(
        &self,
        f: &mut dyn FnMut(&mut dyn Tx) -> sipcreds::Result<()>,
    ) -> sipcreds::Result<()> {
        self.store.write(f)
    }
    fn describe(&self) -> String {
        self.store.describe()
    }
}

fn fresh() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("sipcreds.db")).unwrap();
    Registry::new(TempSqlite { store, _dir: dir })
}

sipcreds_conformance::registry_conformance!(fresh);

mod storage {
    fn fresh_store() -> std::sync::Arc<dyn sipcreds::Storage> {
        let dir = tempfile::tempdir().unwrap();
        let store = super::SqliteStore::open(dir.path().join("sipcreds.db")).unwrap();
        std::sync::Arc::new(super::TempSqlite { store, _dir: dir })
    }
    sipcreds_conformance::storage_conformance!(fresh_store);
}
