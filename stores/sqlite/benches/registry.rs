//! Registry benchmarks: create, link and usage on a large graph (100k credentials, 1M numbers,
//! 100k agents) and on one ten times smaller, in memory and in SQLite; bulk import into SQLite.
//!
//! `cargo bench -p sipcreds-sqlite --bench registry` prints criterion's figures, then a summary
//! with the usage ratio large/small (target ≤ 1.5) and the import rate (target ≥ 50k/s).
//! `SIPCREDS_BENCH_QUICK=1` uses graphs 10× smaller again, for a smoke run.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sipcreds::{CredentialInput, Registry};
use sipcreds_conformance::graph::{Graph, build, input, usage_median};
use sipcreds_sqlite::SqliteStore;

fn memory(n: usize) -> Graph {
    build(Arc::new(sipcreds::MemoryStore::new()), n, None)
}

fn sqlite(n: usize) -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    build(Arc::new(store), n, Some(Box::new(dir)))
}

static NEXT_NUMBER: AtomicU64 = AtomicU64::new(0);

/// The criterion benches of one graph; returns the usage median measured before `link` and
/// `create` grow the graph.
fn bench_graph(c: &mut Criterion, label: &str, g: &Graph) -> Duration {
    let mut group = c.benchmark_group(label);
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
    let median = usage_median(g);
    group.bench_function("link", |b| {
        b.iter(|| {
            let k = NEXT_NUMBER.fetch_add(1, Ordering::Relaxed);
            i = (i + 7919) % g.creds.len();
            let n = format!("+4420{:08}", k % 100_000_000);
            black_box(g.reg.link_number("bench", &n, &g.creds[i]).unwrap())
        })
    });
    let body = r#"{"name":"New","server":"new.example.com","authUser":"u","authPassword":"p","cpsLimit":5}"#;
    group.bench_function("create", |b| {
        b.iter(|| black_box(g.reg.create_credential_json("bench", body).unwrap()))
    });
    group.finish();
    median
}

fn import_rate(n: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::new(SqliteStore::open(dir.path().join("import.db")).unwrap());
    let inputs: Vec<CredentialInput> = (0..n).map(input).collect();
    let t = Instant::now();
    reg.create_credentials("bench", inputs).unwrap();
    n as f64 / t.elapsed().as_secs_f64()
}

fn benches(c: &mut Criterion) {
    let scale = if std::env::var_os("SIPCREDS_BENCH_QUICK").is_some() {
        10
    } else {
        1
    };
    let (large, small) = (100_000 / scale, 10_000 / scale);
    let mut summary = Vec::new();
    for (backend, make) in [("memory", memory as fn(usize) -> Graph), ("sqlite", sqlite)] {
        let mut medians = Vec::new();
        for (size, n) in [("large", large), ("small", small)] {
            let g = make(n);
            medians.push(bench_graph(c, &format!("{backend}/{size}"), &g));
        }
        summary.push(format!(
            "{backend}: usage median large {:.1?} / small {:.1?} = ratio {:.2} (target ≤ 1.5)",
            medians[0],
            medians[1],
            medians[0].as_secs_f64() / medians[1].as_secs_f64()
        ));
    }
    let rate = import_rate(100_000 / scale);
    summary.push(format!(
        "sqlite bulk import: {:.0} credentials/s (target ≥ 50000)",
        rate
    ));
    eprintln!("\n== registry summary ==");
    for line in summary {
        eprintln!("{line}");
    }
}

criterion_group!(registry, benches);
criterion_main!(registry);
