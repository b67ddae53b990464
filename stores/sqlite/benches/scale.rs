//! The SQLite store at scale (issue 17): one org with 100k credentials, 1M numbers and 100k
//! agents, and ten times smaller; the figures and targets of `sipcreds_conformance::scale`.
//!
//! `cargo bench -p sipcreds-sqlite --bench scale` (`SIPCREDS_SCALE=N` for another size).

use std::sync::Arc;

use sipcreds_conformance::{graph, scale};
use sipcreds_sqlite::SqliteStore;

fn at(n: usize) -> scale::Figures {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn sipcreds::Storage> =
        Arc::new(SqliteStore::open(dir.path().join("scale.db")).unwrap());
    let g = graph::build(store.clone(), n, None);
    scale::measure(&g, store)
}

fn main() {
    let Some(n) = scale::bench_size(100_000) else {
        return;
    };
    let large = at(n);
    let small = at(n / 10);
    scale::print("SQLite", &large, &small);
}
