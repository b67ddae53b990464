//! Store locations through the binary (SPEC §10): a libpq `key=value` string is PostgreSQL's,
//! never a SQLite file name; a password in any spelling of a location never reaches a file
//! name, standard output or standard error; libpq's `PGSSLMODE` is honoured.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "Sekr3tQ7";

/// Run the CLI in `cwd` with `SIPCREDS_DB=location` (never argv: a password there is refused).
fn run(cwd: &Path, location: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )));
    cmd.current_dir(cwd)
        .args(args)
        .env("SIPCREDS_DB", location)
        .env("SIPCREDS_KEY", sipcreds_conformance::TEST_KEY)
        .env("NO_COLOR", "1")
        .env_remove("SIPCREDS_ORG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["PGSSLMODE", "PGSSLROOTCERT", "PGPASSWORD"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    child.wait_with_output().unwrap()
}

/// Every path under `dir` (files and folders, at any depth).
fn names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        out.push(entry.path().display().to_string());
        if entry.file_type().unwrap().is_dir() {
            out.extend(names(&entry.path()));
        }
    }
    out
}

/// The spellings of a location with a password that a user may write, none of which is a
/// store we can reach (port 1 refuses): each must fail, show no secret, create no file.
fn spellings() -> Vec<String> {
    vec![
        format!("host=127.0.0.1 port=1 user=u password={SECRET} dbname=d"),
        format!("host=127.0.0.1 port=1 password={SECRET} sslrootcert=/nonexistent/ca.pem"),
        format!("password={SECRET}"),
        format!("dbname=x password = '{SECRET} with spaces'"),
        format!("user=u password={SECRET} pasword=typo"),
        format!("host=127.0.0.1 password='{SECRET}"),
        format!("postgres://u:{SECRET}@127.0.0.1:1/d"),
        format!("POSTGRES://u:{SECRET}@127.0.0.1:1/d?sslmode=disable"),
        format!("postgres://127.0.0.1:1/d?sslmode=disable&password={SECRET}"),
        format!("postgres://u:{SECRET}@127.0.0.1:1/d#frag"),
        format!("u:{SECRET}@db.internal"),
        format!("x.db?password={SECRET}"),
        format!("mysql://u:{SECRET}@127.0.0.1:1/d"),
    ]
}

#[test]
fn no_spelling_of_a_location_with_a_password_creates_a_file_or_shows_it() {
    for location in spellings() {
        for args in [
            &["credentials", "list", "--json"][..],
            &["credentials", "list"][..],
            &[
                "numbers",
                "link",
                "+15551230000",
                "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            ][..],
        ] {
            let dir = tempfile::tempdir().unwrap();
            let out = run(dir.path(), &location, args, &[]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_ne!(
                out.status.code(),
                Some(0),
                "{location:?} {args:?} succeeded: {stdout}"
            );
            assert!(
                !stdout.contains("Sekr3t") && !stderr.contains("Sekr3t"),
                "{location:?} {args:?} shows the password:\n{stdout}\n{stderr}"
            );
            let files = names(dir.path());
            assert!(files.is_empty(), "{location:?} {args:?} created {files:?}");
            if args.contains(&"--json") {
                let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{location:?}: not JSON ({e}): {stdout}"));
                let code = v["error"]["code"].as_str().unwrap();
                assert!(
                    code == "storage" || code == "invalid_option",
                    "{location:?}: {v}"
                );
            }
        }
    }
}

#[test]
fn a_key_value_string_is_postgresql_and_pgsslmode_is_honoured() {
    let Ok(url) = std::env::var("SIPCREDS_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
            "SIPCREDS_TEST_POSTGRES_URL is not set: scripts/ci/services.sh starts PostgreSQL"
        );
        eprintln!("skipped: no PostgreSQL");
        return;
    };
    // postgres://user@host:port/db → host=… port=… user=… dbname=…
    let parsed = url::Url::parse(&url).unwrap();
    let conninfo = format!(
        "host={} port={} user={} dbname={}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432),
        parsed.username(),
        parsed.path().trim_start_matches('/')
    );
    let dir = tempfile::tempdir().unwrap();
    let name = format!("kv-{}", std::process::id());
    let mut child = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .current_dir(dir.path())
    .args(["--org", &name, "credentials", "create", "--json"])
    .env("SIPCREDS_DB", &conninfo)
    .env("SIPCREDS_KEY", sipcreds_conformance::TEST_KEY)
    .env_remove("PGSSLMODE")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"server":"sip.example.com","authUser":"a","authPassword":"pw-kv"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(names(dir.path()).is_empty(), "a file was created");
    // The same store through the URL sees it.
    let listed = run(
        dir.path(),
        &url,
        &["--org", &name, "credentials", "list", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");

    // The CI server has no TLS: PGSSLMODE=require (or verify-full) must refuse it, where
    // before the variable was ignored and the session was plaintext.
    for mode in ["require", "verify-full"] {
        let out = run(
            dir.path(),
            &url,
            &["--org", &name, "credentials", "list", "--json"],
            &[("PGSSLMODE", mode)],
        );
        assert_eq!(out.status.code(), Some(1), "PGSSLMODE={mode} was ignored");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["code"], "storage", "{v}");
    }
    // The location's own sslmode wins over the environment.
    let out = run(
        dir.path(),
        &format!("{conninfo} sslmode=disable"),
        &["--org", &name, "credentials", "list", "--json"],
        &[("PGSSLMODE", "verify-full")],
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_remote_host_without_sslmode_is_reached_with_verified_tls() {
    // 192.0.2.1 (TEST-NET-1) never answers; what matters is the mode chosen, shown in the
    // error: verify-full, not a silent plaintext prefer.
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "postgres://u@192.0.2.1:5432/d?connect_timeout=1",
        &["credentials", "list", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "storage", "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("sslmode=verify-full"), "{msg}");
    // Written out, prefer holds.
    let out = run(
        dir.path(),
        "postgres://u@192.0.2.1:5432/d?connect_timeout=1&sslmode=prefer",
        &["credentials", "list", "--json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sslmode=prefer"),
        "{v}"
    );
}
