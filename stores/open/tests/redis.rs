//! The Redis CPS limiter across processes, against real Redis servers: two processes sharing
//! one `cpsKey` group never admit more than the limit in any one-second window, through a
//! Redis restart in the middle of the run, and through an outage with the local-share
//! fallback.
//!
//! Each test starts its own `redis-server` (it restarts it), on a free port. Without the
//! binary they say so and pass, unless `SIPCREDS_REQUIRE_SERVICES=1` (CI sets it).
//!
//! Workers are this test binary run again (`worker` below), each on its own credential of
//! the shared group, recording the wall clock before and after every admitted call; the
//! wall clock is the one both processes share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{SECOND, busiest_windows, collect, max_provable_in_a_second, spawn_worker, wall};

const LIMIT: usize = 10;

fn have_redis() -> bool {
    let ok = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
            "redis-server is not installed: scripts/ci/services.sh installs it"
        );
        eprintln!("skipped: no redis-server");
    }
    ok
}

/// A redis-server of our own, which the test can stop and start again on the same port.
struct Server {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// More `redis-server` arguments (a memory limit and eviction policy).
    extra: Vec<String>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Server {
            port,
            dir: dir.to_owned(),
            child: None,
            extra: Vec::new(),
        };
        s.up();
        s
    }

    fn up(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(&self.extra)
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(t.elapsed() < Duration::from_secs(10), "redis did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self, query: &str) -> String {
        format!("redis://127.0.0.1:{}/{query}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.down();
    }
}

impl Server {
    fn start_with(dir: &Path, extra: &[&str]) -> Server {
        let mut s = Server::start(dir);
        s.down();
        s.extra = extra.iter().map(|a| a.to_string()).collect();
        s.up();
        s
    }
}

#[test]
fn an_evicting_server_is_refused_and_an_evicted_log_takes_its_epoch_with_it() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &["--maxmemory", "4mb", "--maxmemory-policy", "volatile-ttl"],
    );
    let (db, ids) = registry_file(dir.path());
    // By default: refused at the first connection, with the fix, whatever the fallback.
    for query in ["", "?fallback=local:2"] {
        let reg = sipcreds_open::open_registry(db.to_str().unwrap(), &server.url(query)).unwrap();
        let e = reg.try_acquire("acme", &ids[0]).unwrap_err();
        assert_eq!(e.code(), sipcreds::ErrorCode::Storage);
        let msg = e.to_string();
        assert!(
            msg.contains("volatile-ttl") && msg.contains("noeviction"),
            "{msg}"
        );
        assert!(msg.contains("eviction=allow"), "{msg}");
    }
    // Allowed: fill the group's second, then make the server evict its log.
    let reg =
        sipcreds_open::open_registry(db.to_str().unwrap(), &server.url("?eviction=allow")).unwrap();
    let first = reg.try_acquire("acme", &ids[0]).unwrap();
    // A new group's hold-down: wait it out, then admit the whole limit at once.
    if let sipcreds::Decision::Rejected { retry_after } = first {
        std::thread::sleep(retry_after + Duration::from_millis(5));
    }
    let t0 = Instant::now();
    let mut admitted = 0;
    while admitted < LIMIT {
        assert!(
            reg.try_acquire("acme", &ids[admitted % 2])
                .unwrap()
                .is_admitted()
        );
        admitted += 1;
    }
    let client = redis::Client::open(server.url("")).unwrap();
    let mut conn = client.get_connection().unwrap();
    let logs = |conn: &mut redis::Connection| -> Vec<String> {
        redis::cmd("KEYS")
            .arg("sipcreds:cps:g:*")
            .query(conn)
            .unwrap()
    };
    assert_eq!(logs(&mut conn).len(), 1);
    // Volatile keys that outlive the log's TTL: volatile-ttl evicts the log first.
    let filler = "x".repeat(16 * 1024);
    for i in 0..2000 {
        let _: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(&filler)
            .arg("EX")
            .arg(360_000)
            .query(&mut conn);
        if logs(&mut conn).is_empty() {
            break;
        }
    }
    assert!(
        logs(&mut conn).is_empty(),
        "the server never evicted the log"
    );
    // Still within the second of the limit's admissions: nothing more may be admitted. (With
    // the epoch in a key of its own, which has no TTL and so survives volatile eviction, the
    // whole limit was admitted again here.)
    let d = reg.try_acquire("acme", &ids[0]).unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "too slow to judge: {:?}",
        t0.elapsed()
    );
    assert!(!d.is_admitted(), "admitted right after the log was evicted");
}

#[test]
fn an_unlimited_group_is_admitted_at_once_and_a_limit_set_later_counts_its_calls() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let reg = sipcreds_open::open_optional(None, &server.url("")).unwrap();
    // No cpsLimit: unlimited, alone and in a cpsKey group. Before, the first second of a new
    // log was its hold-down and the calls were refused with "the group is at its limit".
    let solo = reg
        .create_credential_json("acme", r#"{"server":"sip.example.com"}"#)
        .unwrap()
        .id;
    let grouped = reg
        .create_credential_json("acme", r#"{"server":"sip.example.com","cpsKey":"free"}"#)
        .unwrap()
        .id;
    for id in [&solo, &grouped] {
        for _ in 0..50 {
            match reg.try_acquire("acme", id.as_str()).unwrap() {
                sipcreds::Decision::Admitted { wait, .. } => assert_eq!(wait, Duration::ZERO),
                other => panic!("an unlimited credential was not admitted at once: {other:?}"),
            }
        }
    }
    // A limit set now: the 50 calls of this second count against it.
    reg.update_credential_json("acme", solo.as_str(), r#"{"cpsLimit":10}"#)
        .unwrap();
    assert!(
        !reg.try_acquire("acme", solo.as_str())
            .unwrap()
            .is_admitted(),
        "a limit set after 50 calls admitted one more in the same second"
    );
}

/// A SQLite registry with two credentials in one `cpsKey` group of limit 10.
fn registry_file(dir: &Path) -> (PathBuf, Vec<String>) {
    let db = dir.join("sipcreds.db");
    let reg = sipcreds_open::open_registry(db.to_str().unwrap(), "process").unwrap();
    let ids = (0..2)
        .map(|i| {
            reg.create_credential_json(
                "acme",
                &format!(r#"{{"server":"t{i}.example.com","cpsKey":"shared","cpsLimit":{LIMIT}}}"#),
            )
            .unwrap()
            .id
            .to_string()
        })
        .collect();
    (db, ids)
}

#[test]
fn worker() {
    common::worker();
}

#[test]
fn two_processes_share_one_group_through_redis() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (db, ids) = registry_file(dir.path());
    let start = wall();
    let workers = ids
        .iter()
        .map(|id| spawn_worker(&db, &server.url(""), id, 4))
        .collect();
    let out = collect(workers);
    let end = wall();
    assert!(
        max_provable_in_a_second(&out.admitted) <= LIMIT,
        "a window admitted more than {LIMIT}"
    );
    // Both processes were admitted, and the group ran at its limit: after the first second
    // (the fresh server's hold-down), every whole second admitted about the limit.
    assert_eq!(out.errors, 0);
    assert!(out.rejected > 100, "the workers pushed past the limit");
    let per_second = busiest_windows(&out.admitted, start + 2 * SECOND, end - SECOND / 2);
    assert!(
        per_second.iter().all(|&n| n >= LIMIT - 2),
        "seconds under the limit: {per_second:?}"
    );
    assert!(out.admitted.len() >= 2 * LIMIT);
}

#[test]
fn a_redis_restart_mid_run_never_lets_a_window_exceed_the_limit() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let (db, ids) = registry_file(dir.path());
    let workers: Vec<Child> = ids
        .iter()
        .map(|id| spawn_worker(&db, &server.url(""), id, 6))
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    // Restart: the admissions of the last second are gone with the data.
    let down_at = wall();
    server.down();
    std::thread::sleep(Duration::from_millis(300));
    server.up();
    let up_at = wall();
    let out = collect(workers);
    assert!(
        max_provable_in_a_second(&out.admitted) <= LIMIT,
        "a window admitted more than {LIMIT} across the restart"
    );
    assert!(
        out.errors > 0,
        "the outage was seen (refused with a storage error)"
    );
    // Admissions resumed after the restart.
    assert!(out.admitted.iter().any(|(b, _)| *b > up_at + SECOND));
    // Nothing was admitted while Redis was down.
    assert!(
        !out.admitted
            .iter()
            .any(|(b, a)| *b > down_at + SECOND / 10 && *a < up_at),
        "admitted while Redis was down, with fallback=refuse"
    );
}

#[test]
fn the_local_share_fallback_keeps_two_processes_within_the_limit() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let (db, ids) = registry_file(dir.path());
    let limiter = server.url("?fallback=local:2");
    let workers: Vec<Child> = ids
        .iter()
        .map(|id| spawn_worker(&db, &limiter, id, 7))
        .collect();
    std::thread::sleep(Duration::from_millis(2000));
    let down_at = wall();
    server.down();
    std::thread::sleep(Duration::from_millis(3000));
    server.up();
    let up_at = wall();
    let out = collect(workers);
    if max_provable_in_a_second(&out.admitted) > LIMIT {
        let mut all: Vec<(u64, u64, usize)> = out
            .admitted
            .iter()
            .zip(&out.who)
            .map(|(&(b, a), &w)| (b, a, w))
            .collect();
        all.sort();
        for (b, a, w) in all {
            eprintln!(
                "worker {w}: {:+.3} s .. {:+.3} s (from down; up at {:+.3})",
                (b as f64 - down_at as f64) / 1e9,
                (a as f64 - down_at as f64) / 1e9,
                (up_at as f64 - down_at as f64) / 1e9
            );
        }
        panic!("a window admitted more than {LIMIT} with the local fallback");
    }
    // Calls went on during the outage, each process on its share (5 a second).
    let during = out
        .admitted
        .iter()
        .filter(|(b, _)| *b > down_at + 3 * SECOND / 2 && *b < down_at + 5 * SECOND / 2)
        .count();
    assert!(
        (LIMIT / 2..=LIMIT).contains(&during),
        "{during} admissions in one second of the outage"
    );
}

#[test]
fn reserve_paces_calls_through_redis() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (db, ids) = registry_file(dir.path());
    let reg = sipcreds_open::open_registry(db.to_str().unwrap(), &server.url("")).unwrap();
    // The fresh server's hold-down: the first slot is one span away.
    let first = reg
        .reserve("acme", &ids[0], Duration::from_secs(5))
        .unwrap();
    assert!(first.is_admitted());
    let wait0 = first.wait().unwrap();
    assert!(
        wait0 > Duration::from_millis(900) && wait0 <= Duration::from_millis(1011),
        "{wait0:?}"
    );
    // Then 10 slots in that second, and the 11th one span after the first.
    let waits: Vec<Duration> = (0..10)
        .map(|i| {
            reg.reserve("acme", &ids[i % 2], Duration::from_secs(5))
                .unwrap()
                .wait()
                .unwrap()
        })
        .collect();
    let eleventh = waits[9];
    assert!(
        eleventh >= wait0 + Duration::from_millis(1000),
        "{wait0:?} then {waits:?}"
    );
    // Past max_wait: rejected, nothing booked.
    let no = reg
        .reserve("acme", &ids[0], Duration::from_millis(10))
        .unwrap();
    assert!(!no.is_admitted());
    let sipcreds::Decision::Rejected { retry_after } = no else {
        unreachable!()
    };
    assert!(retry_after > Duration::from_millis(900), "{retry_after:?}");
    // A bad fallback and an unreachable server are clear errors that name no password.
    let e = sipcreds_open::open_registry(db.to_str().unwrap(), "redis://x/?fallback=sometimes")
        .unwrap_err();
    assert!(e.to_string().contains("local:N"), "{e}");
    let reg =
        sipcreds_open::open_registry(db.to_str().unwrap(), "redis://:Hunter2-pw@127.0.0.1:1/")
            .unwrap();
    let e = reg.try_acquire("acme", &ids[0]).unwrap_err();
    assert_eq!(e.code(), sipcreds::ErrorCode::Storage);
    assert!(!e.to_string().contains("Hunter2"), "{e}");
}
