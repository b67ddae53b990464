//! What the multi-process limiter tests share: worker processes (the test binary run again,
//! its `worker` test calling [`worker`]), each on one credential of a shared group, recording
//! the wall clock before and after every admitted call (the clock the processes share); and
//! the checks of their admissions.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const SECOND: u64 = 1_000_000_000;

pub fn wall() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A worker process: `try_acquire` on one credential as fast as it can for `secs` seconds.
pub fn spawn_worker(db: &Path, limiter: &str, id: &str, secs: u64) -> Child {
    spawn_worker_with(db, limiter, id, secs, &[])
}

/// [`spawn_worker`] with more environment (a key, say).
pub fn spawn_worker_with(
    db: &Path,
    limiter: &str,
    id: &str,
    secs: u64,
    env: &[(&str, &str)],
) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .envs(env.iter().copied())
        .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
        .env("SIPCREDS_WORKER_DB", db)
        .env("SIPCREDS_WORKER_LIMITER", limiter)
        .env("SIPCREDS_WORKER_ID", id)
        .env("SIPCREDS_WORKER_SECS", secs.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// (before, after) wall times of admitted calls.
    pub admitted: Vec<(u64, u64)>,
    /// The worker of each admission (index into the children).
    pub who: Vec<usize>,
    pub rejected: usize,
    pub errors: usize,
}

pub fn collect(children: Vec<Child>) -> Outcome {
    let mut out = Outcome::default();
    for (k, mut c) in children.into_iter().enumerate() {
        let stdout = c.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.first() {
                Some(&"ADM") => {
                    out.admitted
                        .push((f[1].parse().unwrap(), f[2].parse().unwrap()));
                    out.who.push(k);
                }
                Some(&"SUM") => {
                    out.rejected += f[1].parse::<usize>().unwrap();
                    out.errors += f[2].parse::<usize>().unwrap();
                }
                _ => {}
            }
        }
        assert!(c.wait().unwrap().success(), "a worker failed");
    }
    out
}

/// The largest number of admissions provably inside one one-second window: their true times
/// lie between `before` and `after`, so a set counts only if the latest `after` is less than
/// a second past the earliest `before`.
pub fn max_provable_in_a_second(admitted: &[(u64, u64)]) -> usize {
    let mut v = admitted.to_vec();
    v.sort();
    let mut best = 0;
    for (i, &(start, _)) in v.iter().enumerate() {
        let n = v[i..]
            .iter()
            .take_while(|(b, _)| *b < start + SECOND)
            .filter(|(_, a)| *a < start + SECOND)
            .count();
        best = best.max(n);
    }
    best
}

/// The fewest admissions in any one-second window, at one-second steps over `[from, to)`
/// (to show the limit was really reached).
pub fn busiest_windows(admitted: &[(u64, u64)], from: u64, to: u64) -> Vec<usize> {
    (0..)
        .map(|k| from + k * SECOND)
        .take_while(|s| s + SECOND <= to)
        .map(|s| {
            admitted
                .iter()
                .filter(|(b, _)| *b >= s && *b < s + SECOND)
                .count()
        })
        .collect()
}

/// The worker process's body (each test binary has a `worker` test that calls it).
pub fn worker() {
    let Ok(db) = std::env::var("SIPCREDS_WORKER_DB") else {
        return; // run by the tests below only
    };
    let limiter = std::env::var("SIPCREDS_WORKER_LIMITER").unwrap();
    let id = std::env::var("SIPCREDS_WORKER_ID").unwrap();
    let secs: u64 = std::env::var("SIPCREDS_WORKER_SECS")
        .unwrap()
        .parse()
        .unwrap();
    let reg = sipcreds_open::open_registry(&db, &limiter).unwrap();
    let end = Instant::now() + Duration::from_secs(secs);
    let (mut rejected, mut errors) = (0, 0);
    let mut lines = String::new();
    while Instant::now() < end {
        let before = wall();
        match reg.try_acquire("acme", &id) {
            Ok(d) if d.is_admitted() => {
                lines.push_str(&format!("ADM {before} {}\n", wall()));
            }
            Ok(_) => rejected += 1,
            Err(e) => {
                assert_eq!(e.code(), sipcreds::ErrorCode::Storage, "{e}");
                errors += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    println!("{lines}SUM {rejected} {errors}");
}
