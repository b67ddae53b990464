//! `sipcreds monitor` (§13) as users run it, on a real SQLite file: against real Kamailio
//! peers, rounds of `monitor --once` walk the state machine (up; silent → degraded → down after
//! exactly `--down-after` rounds → up after `--up-after`; a wrong password `rejected` after one
//! round and never sent again until it is fixed; 503 `degraded`, never `down`); and two
//! monitor processes on one file never probe a credential at once, and when one is killed the
//! other takes its credentials over within two intervals.

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use sipcreds_test_support::peers;

/// The key of the PostgreSQL runs (a SQLite file keeps its own beside it).
const KEY: &str = sipcreds_conformance::TEST_KEY;

fn cmd(db: &Path) -> Command {
    let mut c = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )));
    c.env("SIPCREDS_DB", db).env("SIPCREDS_ORG", "acme");
    if db.to_string_lossy().starts_with("postgres://") {
        c.env("SIPCREDS_KEY", KEY);
    } else {
        c.env_remove("SIPCREDS_KEY");
    }
    c
}

fn sipcreds(db: &Path, args: &[&str], stdin: &str) -> Output {
    let out = sipcreds_conformance::run_with_stdin(cmd(db).args(args), stdin.as_bytes());
    for s in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(s);
        assert!(
            !s.contains("secret") && !s.contains("wrong-pw"),
            "a password in {s}"
        );
    }
    out
}

fn create(db: &Path, body: Value) -> String {
    let out = sipcreds(db, &["--json", "credentials", "create"], &body.to_string());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn state(db: &Path, id: &str) -> String {
    let out = sipcreds(db, &["--json", "health", id], "");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["state"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One round: `monitor --once --json`; its exit code and transitions.
fn round(db: &Path) -> (i32, Vec<Value>) {
    let out = sipcreds(
        db,
        &[
            "--json",
            "monitor",
            "--once",
            "--timeout",
            "1",
            "--per-server",
            "4",
        ],
        "",
    );
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

fn registers_of(k: &peers::Kamailio, user: &str) -> usize {
    std::fs::read_to_string(&k.peer.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("REGISTER RECEIVED") && l.contains(&format!("user={user}")))
        .count()
}

#[test]
fn rounds_against_real_peers_walk_the_state_machine() {
    let Some(k) = peers::kamailio(&peers::KamailioConfig::default()) else {
        return;
    };
    let Some(busy) = peers::kamailio(&peers::KamailioConfig {
        busy: Some(5),
        ..Default::default()
    }) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let cred = |port: u16, user: &str, pw: &str| {
        serde_json::json!({"server": format!("127.0.0.1:{port}"), "authUser": user,
            "authPassword": pw, "domain": "sip.test"})
    };
    let good = create(&db, cred(k.port, "alice", "secret"));
    let bad = create(&db, cred(k.port, "mallory", "wrong-pw"));
    let overloaded = create(&db, cred(busy.port, "bob", "secret"));
    for id in [&good, &bad, &overloaded] {
        assert_eq!(state(&db, id), "unknown");
    }

    // Round 1: up, rejected (exit 4), degraded.
    let (code, lines) = round(&db);
    assert_eq!(code, 4, "{lines:?}");
    let to = |lines: &[Value], id: &str| {
        lines
            .iter()
            .find(|l| l["credentialId"] == id)
            .map(|l| l["to"].as_str().unwrap().to_owned())
    };
    assert_eq!(to(&lines, &good).as_deref(), Some("up"));
    assert_eq!(to(&lines, &bad).as_deref(), Some("rejected"));
    assert_eq!(to(&lines, &overloaded).as_deref(), Some("degraded"));
    assert!(lines.iter().all(|l| l["org"] == "acme"));
    let rejected_sent = registers_of(&k, "mallory");
    assert!(rejected_sent >= 1);

    // The peer goes silent: degraded after one round, down after exactly three.
    k.peer.signal("STOP");
    let (_, l2) = round(&db);
    assert_eq!(to(&l2, &good).as_deref(), Some("degraded"));
    let (_, l3) = round(&db);
    assert_eq!(to(&l3, &good), None);
    assert_eq!(state(&db, &good), "degraded");
    let (_, l4) = round(&db);
    assert_eq!(to(&l4, &good).as_deref(), Some("down"));
    k.peer.signal("CONT");
    // Back: still down after one success, up after two.
    let (_, l5) = round(&db);
    assert_eq!(to(&l5, &good), None, "{l5:?}");
    assert_eq!(state(&db, &good), "down");
    let (code, l6) = round(&db);
    assert_eq!(to(&l6, &good).as_deref(), Some("up"));
    assert_eq!(code, 4, "still one rejected");
    // 503 all along: degraded, never down.
    assert_eq!(state(&db, &overloaded), "degraded");
    // The rejected credential was never sent again in five rounds.
    assert_eq!(registers_of(&k, "mallory"), rejected_sent);

    // Fixed: unknown, probed at the next round, up.
    let out = sipcreds(
        &db,
        &["--json", "credentials", "update", &bad],
        r#"{"authPassword": "secret"}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(state(&db, &bad), "unknown");
    let (_, l7) = round(&db);
    assert_eq!(to(&l7, &bad).as_deref(), Some("up"));
    assert!(registers_of(&k, "mallory") > rejected_sent);
    // The events of the credential, oldest first; the list shows the column.
    let out = sipcreds(&db, &["--json", "health", "events", &good], "");
    let events: Value = serde_json::from_slice(&out.stdout).unwrap();
    let path: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["up", "degraded", "down", "up"]);
    let out = sipcreds(&db, &["credentials", "list"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HEALTH") && text.contains("degraded"),
        "{text}"
    );
    // Paused: not probed, and said so.
    let out = sipcreds(&db, &["--json", "health", "pause", &good], "");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (_, l8) = round(&db);
    assert_eq!(to(&l8, &good), None);
    assert_eq!(state(&db, &good), "paused");
    // Options out of range: invalid_option naming the option, exit 2.
    let out = sipcreds(&db, &["--json", "monitor", "--interval", "5"], "");
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "invalid_option");
    assert_eq!(err["error"]["field"], "interval");
}

/// A UDP peer answering 200 after 100 ms, recording when each request arrived.
fn recording_peer() -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            s.lock().unwrap().push(Instant::now());
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            std::thread::sleep(Duration::from_millis(100));
            let reply = peers::ok_reply(&text);
            let _ = sock.send_to(reply.as_bytes(), from);
        }
    });
    (port, seen)
}

fn spawn_monitor(db: &Path) -> std::process::Child {
    cmd(db)
        .args(["--json", "monitor", "--interval", "10", "--timeout", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn two_monitors_share_a_file_and_one_takes_over_from_a_killed_one() {
    let dir = tempfile::tempdir().unwrap();
    two_monitors(&dir.path().join("two.db"));
}

#[test]
fn two_monitors_share_postgres_and_one_takes_over_from_a_killed_one() {
    let Ok(pg) = std::env::var("SIPCREDS_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
            "SIPCREDS_TEST_POSTGRES_URL is not set: scripts/ci/services.sh start"
        );
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    let name = format!("sipcreds_monitor_{}", std::process::id());
    let mut admin = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (prefix, _) = pg.rsplit_once('/').unwrap();
    two_monitors(Path::new(&format!("{prefix}/{name}")));
}

/// Two monitors on one store (`db`), six credentials each on a peer of its own.
fn two_monitors(db: &Path) {
    let db = db.to_path_buf();
    let db = db.as_path();
    let peers: Vec<(u16, Arc<Mutex<Vec<Instant>>>)> = (0..6).map(|_| recording_peer()).collect();
    for (port, _) in &peers {
        create(
            db,
            serde_json::json!({"server": format!("127.0.0.1:{port}")}),
        );
    }
    let mut a = spawn_monitor(db);
    let mut b = spawn_monitor(db);
    std::thread::sleep(Duration::from_secs(25));
    a.kill().unwrap();
    let _ = a.wait();
    let killed = Instant::now();
    std::thread::sleep(Duration::from_secs(21));
    let _ = Command::new("kill")
        .args(["-TERM", &b.id().to_string()])
        .status();
    let status = b.wait().unwrap();
    assert!(status.success(), "{status:?}");
    for (port, seen) in &peers {
        let seen = seen.lock().unwrap().clone();
        // Probed (one OPTIONS each: no authUser) about every 10 s by one instance at a time:
        // two instances probing it on their own would come closer than that.
        assert!(seen.len() >= 3, "{port}: {seen:?}");
        for w in seen.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= Duration::from_secs(5),
                "{port}: two probes {gap:?} apart"
            );
        }
        // Every credential probed again within two intervals of the kill.
        assert!(
            seen.iter()
                .any(|t| *t > killed && *t <= killed + Duration::from_secs(20)),
            "{port}: not probed within 20 s of the kill: {:?}",
            seen.iter()
                .map(|t| t.saturating_duration_since(killed))
                .collect::<Vec<_>>()
        );
    }
}

/// A UDP peer taking 2.5 s to answer each request (each on a thread of its own), counting
/// the requests (by Call-ID: a retransmission is the same request) it holds at once and when
/// each arrived.
/// In flight now, the most in flight at once, and when each request arrived.
type PeerStats = Arc<Mutex<(usize, usize, Vec<Instant>)>>;

fn slow_peer() -> (u16, PeerStats) {
    let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let port = sock.local_addr().unwrap().port();
    let stats = Arc::new(Mutex::new((0usize, 0usize, Vec::new())));
    let (s, st) = (sock.clone(), stats.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut calls = std::collections::HashSet::new();
        while let Ok((n, from)) = s.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let call = text
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("call-id:"))
                .unwrap_or_default()
                .to_owned();
            if !calls.insert(call) {
                continue;
            }
            {
                let mut g = st.lock().unwrap();
                g.0 += 1;
                g.1 = g.1.max(g.0);
                g.2.push(Instant::now());
            }
            let (s, st) = (s.clone(), st.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(2500));
                let reply = peers::ok_reply(&text);
                st.lock().unwrap().0 -= 1;
                let _ = s.send_to(reply.as_bytes(), from);
            });
        }
    });
    (port, stats)
}

/// Politeness, measured at the peer: never more than --per-server requests in flight to one
/// server, and at most one started a second.
#[test]
fn politeness_is_kept_at_the_peer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let (port, stats) = slow_peer();
    for i in 0..5 {
        create(
            &db,
            serde_json::json!({"name": format!("t{i}"), "server": format!("127.0.0.1:{port}")}),
        );
    }
    let out = sipcreds(
        &db,
        &[
            "--json",
            "monitor",
            "--once",
            "--timeout",
            "5",
            "--per-server",
            "2",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (_, max, arrivals) = stats.lock().unwrap().clone();
    assert_eq!(
        arrivals.len(),
        5,
        "one OPTIONS per credential: {arrivals:?}"
    );
    assert_eq!(max, 2, "in flight at once");
    for w in arrivals.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(900),
            "{:?}",
            w[1] - w[0]
        );
    }
    let out = sipcreds(&db, &["--json", "health"], "");
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        all.as_array().unwrap().iter().all(|r| r["state"] == "up"),
        "{all}"
    );
    // For people: a row per credential, named.
    let out = sipcreds(&db, &["health"], "");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.lines().next().unwrap().contains("NAME"), "{table}");
    for i in 0..5 {
        assert!(
            table
                .lines()
                .any(|l| l.contains(&format!(" t{i} ")) && l.contains(" up ")),
            "{table}"
        );
    }
    // A transition's line for people names the credential too.
    for step in ["pause", "resume"] {
        let out = sipcreds(&db, &["health", step, "t0"], "");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let out = sipcreds(&db, &["monitor", "--once", "--timeout", "5"], "");
    let lines = String::from_utf8_lossy(&out.stdout);
    assert!(
        lines.lines().any(|l| l.contains(" (t0) unknown -> up")),
        "{lines}"
    );
}
