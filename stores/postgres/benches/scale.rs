//! The PostgreSQL store at scale (issue 17), beside SQLite in the same run: one org with 100k
//! credentials, 1M numbers and 100k agents, and ten times smaller; the figures of
//! `sipcreds_conformance::scale` and the ratios PostgreSQL / SQLite (target: within 3x).
//!
//! `SIPCREDS_BENCH_POSTGRES_URL=postgres://… cargo bench -p sipcreds-postgres --bench scale`
//! (or `SIPCREDS_TEST_POSTGRES_URL`, from scripts/ci/services.sh); `SIPCREDS_SCALE=N` for
//! another size. It creates a database per graph.

use std::sync::Arc;
use std::time::Instant;

use sipcreds_conformance::{graph, scale};
use sipcreds_postgres::PostgresStore;
use sipcreds_sql::Key;
use sipcreds_sqlite::SqliteStore;

fn postgres(n: usize) -> scale::Figures {
    let base = std::env::var("SIPCREDS_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SIPCREDS_TEST_POSTGRES_URL"))
        .expect("set SIPCREDS_BENCH_POSTGRES_URL (or start scripts/ci/services.sh)");
    let name = format!("sipcreds_scale_{n}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let store: Arc<dyn sipcreds::Storage> =
        Arc::new(PostgresStore::connect_with(&url, Key::from_bytes(&[3; 32], "bench")).unwrap());
    let g = graph::build(store.clone(), n, None);
    // Fresh statistics, as autovacuum would gather them on a live database.
    let t = Instant::now();
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("ANALYZE")
        .unwrap();
    eprintln!("ANALYZE in {:.1?}", t.elapsed());
    let f = scale::measure(&g, store);
    drop(g);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    f
}

fn sqlite(n: usize) -> scale::Figures {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn sipcreds::Storage> = Arc::new(
        SqliteStore::open_with(
            dir.path().join("scale.db"),
            Key::from_bytes(&[3; 32], "bench"),
            sipcreds_sqlite::Durability::Normal,
        )
        .unwrap(),
    );
    let g = graph::build(store.clone(), n, None);
    scale::measure(&g, store)
}

fn main() {
    let Some(n) = scale::bench_size(100_000) else {
        return;
    };
    let (pg_large, pg_small) = (postgres(n), postgres(n / 10));
    let (lite_large, lite_small) = (sqlite(n), sqlite(n / 10));
    scale::print("PostgreSQL", &pg_large, &pg_small);
    scale::print("SQLite (same run)", &lite_large, &lite_small);
    scale::print_ratios("PostgreSQL / SQLite", &pg_large, &lite_large);
}
