//! The Redis CPS limiter: decisions per second and p50/p99/p99.9 latency of `try_acquire`
//! from one and from four client threads, beside the in-process limiter on the same registry
//! in the same run.
//!
//! `SIPCREDS_BENCH_REDIS_URL=redis://127.0.0.1:6379/ cargo bench -p sipcreds-open --bench redis`
//! (or `SIPCREDS_TEST_REDIS_URL`, from scripts/ci/services.sh). `SIPCREDS_BENCH_SECS` sets the
//! time per case (default 5 s).
//!
//! Two workloads: 100 credentials, each its own group at the highest limit (10,000/s), so
//! nearly every decision is an admission that Redis records; and one hot group at 10/s, so
//! nearly every decision is a rejection.

use std::time::{Duration, Instant};

use sipcreds::Registry;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

struct Case {
    decisions: usize,
    admitted: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

fn run(reg: &Registry, ids: &[String], threads: usize, secs: f64) -> Case {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let t0 = Instant::now();
    let results: Vec<(usize, Vec<Duration>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(1 << 20);
                    let mut admitted = 0;
                    let mut i = t * 31;
                    while Instant::now() < end {
                        i = (i + 7) % ids.len();
                        let a = Instant::now();
                        let d = reg.try_acquire("bench", &ids[i]).expect("a decision");
                        lat.push(a.elapsed());
                        admitted += usize::from(d.is_admitted());
                    }
                    (admitted, lat)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = t0.elapsed();
    let admitted = results.iter().map(|r| r.0).sum();
    let mut latencies: Vec<Duration> = results.into_iter().flat_map(|r| r.1).collect();
    latencies.sort();
    Case {
        decisions: latencies.len(),
        admitted,
        wall,
        latencies,
    }
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test` build of benches runs nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let redis = std::env::var("SIPCREDS_BENCH_REDIS_URL")
        .or_else(|_| std::env::var("SIPCREDS_TEST_REDIS_URL"))
        .expect("set SIPCREDS_BENCH_REDIS_URL (or start scripts/ci/services.sh)");
    let secs: f64 = std::env::var("SIPCREDS_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let db = db.to_str().unwrap();
    let setup = sipcreds_open::open_registry(db, "process").unwrap();
    let many: Vec<String> = (0..100)
        .map(|i| {
            setup
                .create_credential_json(
                    "bench",
                    &format!(r#"{{"server":"t{i}.example.com","cpsLimit":10000}}"#),
                )
                .unwrap()
                .id
                .to_string()
        })
        .collect();
    let hot = vec![
        setup
            .create_credential_json("bench", r#"{"server":"hot.example.com","cpsLimit":10}"#)
            .unwrap()
            .id
            .to_string(),
    ];
    // A prefix of our own, and one decision first so the epoch's hold-down is behind us.
    let url = format!(
        "{}{}prefix=bench{}:",
        redis,
        if redis.contains('?') { "&" } else { "?" },
        std::process::id()
    );
    let on_redis = sipcreds_open::open_registry(db, &url).unwrap();
    let _ = on_redis.try_acquire("bench", &many[0]).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let in_process = sipcreds_open::open_registry(db, "process").unwrap();

    println!(
        "{:<34} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "case", "threads", "decisions/s", "admitted", "p50", "p99", "p99.9"
    );
    // The floor: a bare PING round trip to the same server, from one thread.
    {
        let client = redis::Client::open(redis.as_str()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let end = Instant::now() + Duration::from_secs_f64(secs);
        let t0 = Instant::now();
        let mut lat = Vec::new();
        while Instant::now() < end {
            let a = Instant::now();
            let _: String = redis::cmd("PING").query(&mut conn).unwrap();
            lat.push(a.elapsed());
        }
        let rate = lat.len() as f64 / t0.elapsed().as_secs_f64();
        lat.sort();
        println!(
            "{:<34} {:>7} {:>12.0} {:>9} {:>9.1?} {:>9.1?} {:>9.1?}",
            "bare PING round trip (floor)",
            1,
            rate,
            "-",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            percentile(&lat, 0.999),
        );
    }
    for (workload, ids) in [
        ("100 groups at 10000/s", &many),
        ("1 hot group at 10/s", &hot),
    ] {
        for threads in [1, 4] {
            let mut rates = Vec::new();
            for (limiter, reg) in [("redis", &on_redis), ("in-process", &in_process)] {
                let c = run(reg, ids, threads, secs);
                let rate = c.decisions as f64 / c.wall.as_secs_f64();
                rates.push(rate);
                println!(
                    "{:<34} {:>7} {:>12.0} {:>8.1}% {:>9.1?} {:>9.1?} {:>9.1?}",
                    format!("{workload}, {limiter}"),
                    threads,
                    rate,
                    100.0 * c.admitted as f64 / c.decisions as f64,
                    percentile(&c.latencies, 0.5),
                    percentile(&c.latencies, 0.99),
                    percentile(&c.latencies, 0.999),
                );
            }
            println!(
                "{:<34} {:>7} redis makes {:.1}% of the in-process decision rate",
                "",
                threads,
                100.0 * rates[0] / rates[1]
            );
        }
    }
}
