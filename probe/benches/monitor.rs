//! The monitor at the size users have (§13): one instance watching N credentials (default
//! 10,000) on a real SQLite file at a 60 s interval, probing loopback UDP peers (P ports,
//! default 2,000: five credentials per server, so that the per-server limit of one start a
//! second seldom holds the schedule back; with fewer ports it does, by design), for a run
//! of S seconds
//! (default 130: the first interval, where the credentials are spread, and the second, where
//! they come due again). Prints the process's CPU (as % of one core, on average over the run),
//! its peak RSS, the schedule's accuracy (how late each probe started after its nextProbeAt)
//! and the store's transactions per second.
//!
//! `cargo bench -p sipcreds-probe --bench monitor` (or `-- N S P C`: credentials, seconds,
//! peers, the monitor's concurrency; e.g. `-- 10000 130 2000 50`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipcreds::{CredentialInput, Registry};

use sipcreds_probe::{Monitor, MonitorOptions};
use sipcreds_test_support::peers;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// UDP peers answering every request 200 OK, on their own runtime thread.
fn peers(n: usize) -> Vec<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut addrs = Vec::new();
            for _ in 0..n {
                let sock = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
                addrs.push(sock.local_addr().unwrap());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    while let Ok((len, from)) = sock.recv_from(&mut buf).await {
                        let text = String::from_utf8_lossy(&buf[..len]).into_owned();
                        let reply = peers::ok_reply(&text);
                        let _ = sock.send_to(reply.as_bytes(), from).await;
                    }
                });
            }
            tx.send(addrs).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let secs = args.get(1).copied().unwrap_or(130) as u64;
    let dir = tempfile::tempdir().unwrap();
    let store = sipcreds_sqlite::SqliteStore::open(dir.path().join("bench.db")).unwrap();
    let reg = Registry::new(store);
    let ports = args.get(2).copied().unwrap_or(2000);
    let addrs = peers(ports);
    let inputs: Vec<CredentialInput> = (0..n)
        .map(|i| {
            CredentialInput::from_json(&format!(
                r#"{{"name": "t{i}", "server": "{}"}}"#,
                addrs[i % addrs.len()]
            ))
            .unwrap()
        })
        .collect();
    for chunk in inputs.chunks(5_000) {
        reg.create_credentials("bench", chunk.to_vec()).unwrap();
    }
    // Existing credentials (written before the monitor starts) are spread over the first
    // interval; those of the last second count as new.
    std::thread::sleep(Duration::from_millis(1500));
    let options = MonitorOptions {
        interval: Duration::from_secs(60),
        concurrency: args.get(3).copied().unwrap_or(50),
        ..Default::default()
    };
    let monitor = Monitor::new(reg.clone(), options).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let m = monitor.clone();
    let run = rt.spawn(async move { m.run().await });
    std::thread::sleep(Duration::from_secs(secs));
    monitor.stop();
    rt.block_on(run).unwrap().unwrap();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let c = monitor.counters();
    let mut late = monitor.lateness_ms();
    late.sort_unstable();
    let states = sipcreds::Page::all(|p| reg.health_list("bench", p)).unwrap();
    let up = states
        .iter()
        .filter(|r| r.state == sipcreds::HealthState::Up)
        .count();
    println!(
        "monitor, {n} credentials, 60 s interval, concurrency {}, {elapsed:.0} s on a SQLite file ({ports} loopback UDP peers):",
        args.get(3).copied().unwrap_or(50)
    );
    println!(
        "  probes {} ({:.1}/s), transitions {}, credentials up {up}/{n}",
        c.probes,
        c.probes as f64 / elapsed,
        c.transitions
    );
    println!(
        "  CPU {:.2} s = {:.1}% of one core on average (target < 5%); peak RSS {:.1} MB (target <= 100 MB)",
        cpu,
        100.0 * cpu / elapsed,
        peak_rss_mb()
    );
    println!(
        "  start after due: p50 {} ms, p99 {} ms, max {} ms; {} of {} more than 1 s late (target: p99 within 1 s)",
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().copied().unwrap_or(0),
        c.late,
        late.len()
    );
    println!(
        "  store: {} write transactions in {elapsed:.0} s = {:.2}/s (target <= 1/s, whatever the number of credentials); a round's transaction {:.0} ms on average, {} ms at most",
        c.rounds,
        c.rounds as f64 / elapsed,
        c.round_ms as f64 / c.rounds.max(1) as f64,
        c.round_ms_max
    );
}
