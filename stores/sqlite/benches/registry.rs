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
use sipcreds::{
    Agent, AgentId, CredentialInput, Name, NumberRecord, Org, PhoneNumber, Registry, Storage,
};
use sipcreds_sqlite::SqliteStore;

struct Graph {
    reg: Registry,
    /// Credentials that each have 10 numbers.
    creds: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

fn number(i: u64) -> PhoneNumber {
    PhoneNumber::parse(&format!("+1{:010}", 2_000_000_000 + i)).unwrap()
}

fn input(i: usize) -> CredentialInput {
    CredentialInput::from_json(&format!(
        r#"{{"name":"Trunk {i}","server":"sip{}.example.com","transport":"tls","authUser":"user{i}","authPassword":"pw-{i}-secret","cpsLimit":{},"cpsKey":"k{}"}}"#,
        i % 100,
        1 + i % 50,
        i % 1000
    ))
    .unwrap()
}

/// `n` credentials with 10 numbers each, and `n` agents using 2 numbers each.
fn build(store: Arc<dyn Storage>, n: usize, dir: Option<tempfile::TempDir>) -> Graph {
    let reg = Registry::from_arc(store.clone());
    let t = Instant::now();
    let mut creds = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let made = reg
            .create_credentials("bench", chunk.iter().map(|&i| input(i)).collect())
            .unwrap();
        creds.extend(made.into_iter().map(|c| c.id));
    }
    let org = Org::parse("bench").unwrap();
    // Numbers and agents in big transactions straight through the storage trait.
    for (chunk_no, chunk) in creds.chunks(10_000).enumerate() {
        store
            .write(&mut |tx| {
                for (j, id) in chunk.iter().enumerate() {
                    let c = (chunk_no * 10_000 + j) as u64;
                    for k in 0..10 {
                        tx.put_number(
                            &org,
                            &NumberRecord {
                                number: number(c * 10 + k),
                                credential_id: Some(id.clone()),
                            },
                        )?;
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    let total_numbers = (n * 10) as u64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        store
            .write(&mut |tx| {
                for &a in chunk {
                    let agent = Agent {
                        id: AgentId::generate(),
                        org: org.clone(),
                        name: Name::parse(&format!("Agent {a}")).unwrap(),
                        numbers: Vec::new(),
                        created_at: time::OffsetDateTime::now_utc(),
                    };
                    tx.insert_agent(&agent)?;
                    let x = (a as u64).wrapping_mul(2_654_435_761) % total_numbers;
                    tx.assign(&org, &agent.id, &number(x))?;
                    tx.assign(&org, &agent.id, &number((x + 7) % total_numbers))?;
                }
                Ok(())
            })
            .unwrap();
    }
    eprintln!(
        "built {} graph: {n} credentials, {} numbers, {n} agents in {:.1?}",
        store.describe(),
        n * 10,
        t.elapsed()
    );
    Graph {
        reg,
        creds: creds.into_iter().map(|c| c.to_string()).collect(),
        _dir: dir,
    }
}

fn memory(n: usize) -> Graph {
    build(Arc::new(sipcreds::MemoryStore::new()), n, None)
}

fn sqlite(n: usize) -> Graph {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    build(Arc::new(store), n, Some(dir))
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

/// Median of `usage` over many credentials (each with 10 numbers), for the summary's ratio.
fn usage_median(g: &Graph) -> Duration {
    let mut times: Vec<Duration> = (0..5000)
        .map(|k| {
            let id = &g.creds[(k * 7919) % g.creds.len()];
            let t = Instant::now();
            black_box(g.reg.usage("bench", id).unwrap());
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
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
