//! PostgreSQL and Redis over TLS, against real servers with certificates made by the test
//! (rcgen): a PostgreSQL cluster of the test's own with `ssl=on` (and one without), and a
//! `redis-server` with a TLS port. The right CA is accepted, another CA (and the system's
//! roots, which lack the test CA) refused, a name the certificate does not carry refused by
//! `verify-full`, `require` refused by a server without TLS, and the session is really
//! encrypted (`pg_stat_ssl`). And instances (worker processes) on PostgreSQL and Redis both
//! over TLS keep a shared group within its limit, and follow a limit changed elsewhere.
//!
//! Without the servers' binaries the tests say so and pass, unless
//! `SIPCREDS_REQUIRE_SERVICES=1` (CI sets it; `scripts/ci/services.sh` installs them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sipcreds::ErrorCode;
use sipcreds_sqlite::Key;

fn require_or_skip(what: &str) {
    assert!(
        std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
        "{what} is not installed: scripts/ci/services.sh installs it"
    );
    eprintln!("skipped: no {what}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "port {port} never opened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- certificates (made by sipcreds_test_support::tls, as the probe's tests make theirs) ----

use sipcreds_test_support::tls::{Ca, ca};

/// A server certificate for `names` (DNS names or IP literals) signed by `ca`: (cert, key) PEM.
fn leaf(ca: &Ca, names: &[&str]) -> (String, String) {
    let leaf = sipcreds_test_support::tls::leaf(ca, names, false);
    (leaf.cert_pem, leaf.key_pem)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

// ---- a PostgreSQL cluster of the test's own ----

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs.push("/usr/local/bin".into());
    dirs.into_iter().rev().find(|d| d.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

struct Pg {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

impl Pg {
    /// A cluster on a free port of 127.0.0.1, with `ssl=on` and this (cert, key) if given.
    fn start(tls: Option<&(String, String)>) -> Option<Pg> {
        let Some(bin) = pg_bin() else {
            require_or_skip("PostgreSQL (pg_ctl)");
            return None;
        };
        // PostgreSQL refuses to run as root: as root (CI) the postgres user runs it.
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("sipcreds-pg-tls-")
            .tempdir_in("/tmp")
            .unwrap();
        let data = dir.path().join("data");
        let pg = Pg {
            bin,
            data,
            port: free_port(),
            as_postgres,
            _dir: dir,
        };
        if as_postgres {
            let ok = Command::new("chown")
                .arg("postgres")
                .arg(pg._dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let initdb = pg.bin.join("initdb");
        pg.run(
            initdb.to_str().unwrap(),
            &[
                "-D",
                pg.data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        if let Some((cert, key)) = tls {
            let c = write(&pg.data, "server.crt", cert);
            let k = write(&pg.data, "server.key", key);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o600)).unwrap();
            if as_postgres {
                assert!(
                    Command::new("chown")
                        .arg("postgres")
                        .args([&c, &k])
                        .status()
                        .unwrap()
                        .success()
                );
            }
            let mut conf = std::fs::read_to_string(pg.data.join("postgresql.conf")).unwrap();
            conf.push_str(
                "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
            );
            std::fs::write(pg.data.join("postgresql.conf"), conf).unwrap();
        }
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            pg.port,
            pg.data.display()
        );
        let pg_ctl = pg.bin.join("pg_ctl");
        pg.run(
            pg_ctl.to_str().unwrap(),
            &[
                "-D",
                pg.data.to_str().unwrap(),
                "-l",
                pg.data.join("server.log").to_str().unwrap(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
        wait_for_port(pg.port);
        Some(pg)
    }

    fn run(&self, program: &str, args: &[&str]) {
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.data.to_str().unwrap().to_owned();
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&pg_ctl);
            c
        } else {
            Command::new(&pg_ctl)
        };
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn key() -> Key {
    Key::from_bytes(&[7; 32], "tls-test")
}

/// Connect a store; on success, say whether its session is encrypted (`pg_stat_ssl`).
fn pg_connect(url: &str) -> Result<bool, sipcreds::Error> {
    let store = sipcreds_postgres::PostgresStore::connect_with(url, key())?;
    let encrypted = store
        .raw_execute(
            "DO $$ BEGIN IF NOT (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) \
             THEN RAISE EXCEPTION 'plain'; END IF; END $$",
        )
        .is_ok();
    Ok(encrypted)
}

fn refused(result: Result<bool, sipcreds::Error>, says: &[&str]) -> String {
    let e = result.expect_err("the connection was accepted");
    assert_eq!(e.code(), ErrorCode::Storage);
    let msg = e.to_string();
    assert!(says.iter().any(|s| msg.contains(s)), "{msg}");
    msg
}

#[test]
fn postgres_with_ssl_on_accepts_the_right_ca_and_refuses_another_ca_and_another_name() {
    let ca = ca("right");
    let other = ca_other();
    // The certificate names localhost only: 127.0.0.1 is "another name".
    let server_cert = leaf(&ca, &["localhost"]);
    let Some(pg) = Pg::start(Some(&server_cert)) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let right = write(files.path(), "right.pem", &ca.pem);
    let wrong = write(files.path(), "other.pem", &other.pem);
    let q = |mode: &str, root: Option<&Path>| match root {
        Some(r) => format!("?sslmode={mode}&sslrootcert={}", r.display()),
        None => format!("?sslmode={mode}"),
    };

    // verify-full with the right CA and the certificate's name: accepted, and encrypted.
    let url = pg.url("localhost", &q("verify-full", Some(&right)));
    assert!(
        pg_connect(&url).unwrap(),
        "verify-full gave a plain session"
    );
    // The registry works through it, on every pooled connection.
    let reg = sipcreds_open::open_with(&url, "process", Some(key())).unwrap();
    assert!(
        reg.describe().contains("sslmode=verify-full"),
        "{}",
        reg.describe()
    );
    let id = reg
        .create_credential_json(
            "acme",
            r#"{"server":"sip.example.com","authUser":"acme","authPassword":"s3cret"}"#,
        )
        .unwrap()
        .id;
    assert_eq!(reg.get_credential("acme", id.as_str()).unwrap().id, id);

    // Another CA: refused, saying why.
    refused(
        pg_connect(&pg.url("localhost", &q("verify-full", Some(&wrong)))),
        &["UnknownIssuer", "unknown issuer"],
    );
    // The right CA, but a name the certificate does not carry: refused by verify-full...
    refused(
        pg_connect(&pg.url("127.0.0.1", &q("verify-full", Some(&right)))),
        &["NotValidForName", "not valid for name"],
    );
    // ...and accepted by verify-ca, which checks the chain only; which still refuses another CA.
    assert!(pg_connect(&pg.url("127.0.0.1", &q("verify-ca", Some(&right)))).unwrap());
    refused(
        pg_connect(&pg.url("127.0.0.1", &q("verify-ca", Some(&wrong)))),
        &["UnknownIssuer", "unknown issuer"],
    );
    // require checks the chain as verify-ca does (stricter than libpq, as SPEC §10 asks):
    // the right CA passes, another CA and the system's roots do not.
    assert!(pg_connect(&pg.url("127.0.0.1", &q("require", Some(&right)))).unwrap());
    for root in [Some(wrong.as_path()), None] {
        refused(
            pg_connect(&pg.url("127.0.0.1", &q("require", root))),
            &["UnknownIssuer", "unknown issuer", "no CA certificates"],
        );
    }
    // The default is libpq's prefer: encrypted (unchecked) when the server offers it.
    assert!(pg_connect(&pg.url("127.0.0.1", "")).unwrap());
    // disable: plain.
    assert!(!pg_connect(&pg.url("127.0.0.1", &q("disable", None))).unwrap());
    // The system's roots do not hold the test CA.
    refused(
        pg_connect(&pg.url("localhost", &q("verify-full", None))),
        &["UnknownIssuer", "unknown issuer", "no CA certificates"],
    );
}

fn ca_other() -> Ca {
    ca("other")
}

#[test]
fn postgres_without_tls_refuses_require_and_verify_full_and_serves_prefer_plain() {
    let Some(pg) = Pg::start(None) else {
        return;
    };
    let ca = ca("right");
    let files = tempfile::tempdir().unwrap();
    let right = write(files.path(), "right.pem", &ca.pem);
    refused(
        pg_connect(&pg.url("127.0.0.1", "?sslmode=require")),
        &["TLS", "tls", "SSL", "ssl"],
    );
    refused(
        pg_connect(&pg.url(
            "localhost",
            &format!("?sslmode=verify-full&sslrootcert={}", right.display()),
        )),
        &["TLS", "tls", "SSL", "ssl"],
    );
    assert!(!pg_connect(&pg.url("127.0.0.1", "?sslmode=prefer")).unwrap());
    assert!(!pg_connect(&pg.url("127.0.0.1", "")).unwrap());
}

// ---- Redis with a TLS port ----

struct Redis {
    child: Child,
    tls_port: u16,
    plain_port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis_tls(dir: &Path, cert: &(String, String), ca_pem: &str) -> Option<Redis> {
    if !Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        require_or_skip("redis-server");
        return None;
    }
    let c = write(dir, "redis.crt", &cert.0);
    let k = write(dir, "redis.key", &cert.1);
    let ca = write(dir, "redis-ca.crt", ca_pem);
    let (tls_port, plain_port) = (free_port(), free_port());
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--port", &plain_port.to_string()])
        .args(["--tls-port", &tls_port.to_string()])
        .arg("--tls-cert-file")
        .arg(&c)
        .arg("--tls-key-file")
        .arg(&k)
        .arg("--tls-ca-cert-file")
        .arg(&ca)
        .args(["--tls-auth-clients", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Redis {
        child,
        tls_port,
        plain_port,
    };
    wait_for_port(tls_port);
    wait_for_port(plain_port);
    Some(server)
}

/// One decision through the limiter at `url` (an in-memory registry): Ok when Redis answered.
fn decide(url: &str) -> Result<sipcreds::Decision, sipcreds::Error> {
    let reg = sipcreds_open::open_optional(None, url)?;
    let id = reg
        .create_credential_json("acme", r#"{"server":"sip.example.com","cpsLimit":5}"#)
        .unwrap()
        .id;
    reg.try_acquire("acme", id.as_str())
}

#[test]
fn redis_over_tls_accepts_the_right_ca_and_refuses_another_and_a_plain_port() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca("right");
    let other = ca_other();
    let Some(redis) = redis_tls(dir.path(), &leaf(&ca, &["localhost", "127.0.0.1"]), &ca.pem)
    else {
        return;
    };
    let right = write(dir.path(), "right.pem", &ca.pem);
    let wrong = write(dir.path(), "other.pem", &other.pem);
    let tls = |host: &str, query: &str| format!("rediss://{host}:{}/{query}", redis.tls_port);

    // The right CA, by name and by IP literal: Redis answers (a new group's first decision may
    // be its hold-down, still an answer).
    for host in ["localhost", "127.0.0.1"] {
        decide(&tls(host, &format!("?cafile={}", right.display()))).unwrap();
    }
    // Another CA, or the system's roots (which do not hold the test CA): refused, saying why.
    for query in [format!("?cafile={}", wrong.display()), String::new()] {
        let e = decide(&tls("localhost", &query)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Storage);
        let msg = e.to_string();
        assert!(
            msg.contains("certificate") || msg.contains("UnknownIssuer"),
            "{msg}"
        );
        assert!(msg.contains("cannot reach Redis"), "{msg}");
    }
    // rediss:// to the plain port: refused, never a plain session.
    let plain_as_tls = format!(
        "rediss://localhost:{}/?cafile={}",
        redis.plain_port,
        right.display()
    );
    assert_eq!(
        decide(&plain_as_tls).unwrap_err().code(),
        ErrorCode::Storage
    );
    // The plain port still answers plain redis://.
    decide(&format!("redis://127.0.0.1:{}/", redis.plain_port)).unwrap();
    // Plain redis:// to the TLS-only port: a storage error that says to use rediss://.
    let e = decide(&format!("redis://127.0.0.1:{}/", redis.tls_port)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(e.to_string().contains("use rediss://"), "{e}");
    // A fragment after the cafile is refused, never read as part of its path.
    let e = sipcreds_open::open_optional(
        None,
        &tls(
            "localhost",
            &format!("?cafile={}#insecure", right.display()),
        ),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidOption, "{e}");
    assert_eq!(e.field(), Some("limiter"));
    assert!(e.to_string().contains("fragment"), "{e}");

    // cafile on a plain URL, a missing file, a file with no certificate: invalid_option,
    // field limiter, before anything is sent.
    let junk = write(dir.path(), "junk.pem", "not a certificate\n");
    for (url, says) in [
        (
            format!(
                "redis://localhost:{}/?cafile={}",
                redis.plain_port,
                right.display()
            ),
            "must be rediss://",
        ),
        (
            tls("localhost", "?cafile=/nonexistent/ca.pem"),
            "/nonexistent/ca.pem",
        ),
        (
            tls("localhost", &format!("?cafile={}", junk.display())),
            "no PEM certificate",
        ),
    ] {
        let e = sipcreds_open::open_optional(None, &url).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidOption, "{e}");
        assert_eq!(e.field(), Some("limiter"));
        assert!(e.to_string().contains(says), "{e}");
    }
}

mod common;

#[test]
fn worker() {
    common::worker();
}

/// Several instances on one registry in PostgreSQL over TLS (`verify-full`) with the CPS
/// limiter in Redis over TLS (`rediss://`, the test's CA): worker processes on the two
/// credentials of one `cpsKey` group never admit more than its limit in any one-second
/// window; and when this process lowers the limit in the database mid-run, the workers'
/// limiters learn it from the change counter within their refresh (one second) and the
/// group keeps to the new limit from then on.
#[test]
fn instances_over_tls_share_one_group_and_follow_a_limit_changed_elsewhere() {
    use common::{SECOND, collect, max_provable_in_a_second, spawn_worker_with, wall};
    const LIMIT: usize = 10;
    const LOWER: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let ca = ca("instances");
    let cert = leaf(&ca, &["localhost", "127.0.0.1"]);
    let Some(pg) = Pg::start(Some(&cert)) else {
        return;
    };
    let Some(redis) = redis_tls(dir.path(), &cert, &ca.pem) else {
        return;
    };
    let root = write(dir.path(), "ca.pem", &ca.pem);
    let db = pg.url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={}", root.display()),
    );
    let limiter = format!(
        "rediss://localhost:{}/?cafile={}",
        redis.tls_port,
        root.display()
    );
    let key_text = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let admin = sipcreds_open::open_with(&db, "process", Some(key())).unwrap();
    let ids: Vec<String> = (0..2)
        .map(|i| {
            admin
                .create_credential_json(
                    "acme",
                    &format!(
                        r#"{{"server":"t{i}.example.com","cpsKey":"shared","cpsLimit":{LIMIT}}}"#
                    ),
                )
                .unwrap()
                .id
                .to_string()
        })
        .collect();
    let workers: Vec<_> = ids
        .iter()
        .map(|id| {
            spawn_worker_with(
                Path::new(&db),
                &limiter,
                id,
                6,
                &[("SIPCREDS_KEY", key_text)],
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    let changed_at = wall();
    for id in &ids {
        admin
            .update_credential_json("acme", id, &format!(r#"{{"cpsLimit":{LOWER}}}"#))
            .unwrap();
    }
    let out = collect(workers);
    assert_eq!(out.errors, 0);
    assert!(out.rejected > 100, "the workers pushed past the limit");
    assert!(
        out.who.contains(&0) && out.who.contains(&1),
        "both instances were admitted"
    );
    let before: Vec<(u64, u64)> = out
        .admitted
        .iter()
        .copied()
        .filter(|(b, _)| *b < changed_at)
        .collect();
    assert!(
        max_provable_in_a_second(&before) <= LIMIT,
        "a window admitted more than {LIMIT}"
    );
    assert!(before.len() >= LIMIT, "the group ran: {}", before.len());
    // A refresh is due at most a second after the change; allow the in-flight decisions.
    let settled = changed_at + SECOND + SECOND / 2;
    let after: Vec<(u64, u64)> = out
        .admitted
        .iter()
        .copied()
        .filter(|(b, _)| *b >= settled)
        .collect();
    assert!(
        max_provable_in_a_second(&after) <= LOWER,
        "after the change a window admitted more than {LOWER}"
    );
    assert!(
        after.len() >= LOWER,
        "the group ran at the new limit: {}",
        after.len()
    );
}
