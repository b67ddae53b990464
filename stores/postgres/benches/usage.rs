//! `usage` on PostgreSQL, on the large graph of the registry benchmarks (100k credentials with
//! 10 numbers each, 100k agents) and on one ten times smaller, beside the same on SQLite.
//!
//! `SIPCREDS_BENCH_POSTGRES_URL=postgres://… cargo bench -p sipcreds-postgres --bench usage`
//! (or `SIPCREDS_TEST_POSTGRES_URL`, from scripts/ci/services.sh). It creates a database per
//! graph. `SIPCREDS_BENCH_QUICK=1` uses graphs 10× smaller, for a smoke run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sipcreds_conformance::graph::{Graph, build, usage_median};
use sipcreds_postgres::PostgresStore;
use sipcreds_sql::Key;
use sipcreds_sqlite::SqliteStore;

fn base_url() -> String {
    std::env::var("SIPCREDS_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("SIPCREDS_TEST_POSTGRES_URL"))
        .expect("set SIPCREDS_BENCH_POSTGRES_URL (or start scripts/ci/services.sh)")
}

fn postgres(n: usize) -> Graph {
    let base = base_url();
    let name = format!("sipcreds_bench_{n}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let store = PostgresStore::connect_with(&url, Key::from_bytes(&[3; 32], "bench")).unwrap();
    let g = build(Arc::new(store), n, None);
    // Fresh statistics, as autovacuum would gather them on a live database.
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("ANALYZE")
        .unwrap();
    g
}

fn sqlite(n: usize) -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with(
        dir.path().join("bench.db"),
        Key::from_bytes(&[3; 32], "bench"),
        sipcreds_sqlite::Durability::Normal,
    )
    .unwrap();
    build(Arc::new(store), n, Some(Box::new(dir)))
}

fn benches(c: &mut Criterion) {
    let scale = if std::env::var_os("SIPCREDS_BENCH_QUICK").is_some() {
        10
    } else {
        1
    };
    let (large, small) = (100_000 / scale, 10_000 / scale);
    let mut summary = Vec::new();
    for (backend, make) in [
        ("postgres", postgres as fn(usize) -> Graph),
        ("sqlite", sqlite),
    ] {
        let mut medians = Vec::new();
        for (size, n) in [("large", large), ("small", small)] {
            let g = make(n);
            let mut group = c.benchmark_group(format!("{backend}/{size}"));
            group
                .sample_size(30)
                .measurement_time(Duration::from_secs(3))
                .warm_up_time(Duration::from_secs(1));
            let mut i = 0usize;
            group.bench_function("usage", |b| {
                b.iter(|| {
                    i = (i + 7919) % g.creds.len();
                    black_box(g.reg.usage("bench", &g.creds[i]).unwrap())
                })
            });
            group.finish();
            medians.push(usage_median(&g));
        }
        summary.push(format!(
            "{backend}: usage median large {:.1?} / small {:.1?} = ratio {:.2} (target ≤ 1.5)",
            medians[0],
            medians[1],
            medians[0].as_secs_f64() / medians[1].as_secs_f64()
        ));
    }
    eprintln!("\n== PostgreSQL usage summary ==");
    for line in summary {
        eprintln!("{line}");
    }
}

criterion_group!(usage, benches);
criterion_main!(usage);
