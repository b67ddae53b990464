//! The command line as users run it: the conformance vectors through `sipcreds validate
//! --json`, exit codes, human errors, lint and diagnose.

use std::process::{Command, Output};

use serde_json::Value;

fn sipcreds(args: &[&str], stdin: &[u8]) -> Output {
    let bin = sipcreds_conformance::cli_bin(env!("CARGO_BIN_EXE_sipcreds"));
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("SIPCREDS_DB")
        .env_remove("SIPCREDS_ORG");
    // It may exit before reading everything (too_large).
    sipcreds_conformance::run_with_stdin(&mut cmd, stdin)
}

fn stdout_json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

#[test]
fn vectors_through_validate_json() {
    let vectors = sipcreds_conformance::load();
    let mut failures = Vec::new();
    for v in &vectors {
        let out = sipcreds(&["validate", "--json"], v.body.as_bytes());
        let json = stdout_json(&out);
        let code = out.status.code();
        let outcome = if code == Some(0) {
            Ok(&json)
        } else {
            Err(&json)
        };
        if let Err(msg) = sipcreds_conformance::check(v, outcome) {
            failures.push(msg);
        } else if code != Some(0) && code != Some(1) {
            failures.push(format!("{}: exit {code:?}", v.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn human_error_points_at_the_field_and_the_fix() {
    let out = sipcreds(&["validate"], br#"{"server":"sip:trunk.example.com"}"#);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            r#"server "sip:trunk.example.com": remove the "sip:" scheme → "trunk.example.com""#
        ),
        "{err}"
    );
    assert!(err.contains("invalid_server"), "{err}");
}

#[test]
fn password_never_printed() {
    let body = br#"{"server":"a.example.com","authUser":"u","authPassword":"Zx9-very-secret"}"#;
    for args in [&["validate"][..], &["validate", "--json"][..]] {
        let out = sipcreds(args, body);
        assert_eq!(out.status.code(), Some(0));
        let all = [out.stdout, out.stderr].concat();
        assert!(!String::from_utf8_lossy(&all).contains("Zx9-very-secret"));
    }
    let bad =
        br#"{"server":"a.example.com","authUser":"u","authPassword":"Zx9-very-secret\u0000"}"#;
    let out = sipcreds(&["validate", "--json"], bad);
    assert_eq!(stdout_json(&out)["error"]["code"], "invalid_auth_password");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Zx9-very-secret"));
}

#[test]
fn usage_error_exits_2() {
    assert_eq!(sipcreds(&["no-such-command"], b"").status.code(), Some(2));
    assert_eq!(sipcreds(&["diagnose"], b"").status.code(), Some(2));
}

#[test]
fn diagnose_json_and_unknown_symptom() {
    let out = sipcreds(&["diagnose", "503", "--json"], b"");
    assert_eq!(out.status.code(), Some(0));
    let d = stdout_json(&out);
    assert_eq!(d["symptom"], "503");
    assert_eq!(d["causes"][0]["code"], "cps_exceeded");
    assert!(d["causes"][0]["fix"].as_str().unwrap().contains("cpsLimit"));

    let out = sipcreds(
        &[
            "diagnose",
            "403",
            "--reason",
            "User channel limit exceeded",
            "--json",
        ],
        b"",
    );
    assert_eq!(
        stdout_json(&out)["causes"][0]["code"],
        "channel_limit_exceeded"
    );

    let out = sipcreds(&["diagnose", "999", "--json"], b"");
    assert_eq!(out.status.code(), Some(1));
    let e = stdout_json(&out);
    assert_eq!(e["error"]["code"], "invalid_symptom");
    assert_eq!(e["error"]["field"], "symptom");
}

#[test]
fn lint_a_file_array_and_json_lines() {
    let dir = std::env::temp_dir().join(format!("sipcreds-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trunks.json");
    std::fs::write(
        &file,
        r#"[{"server":"a.example.com:5060","transport":"tls","cpsKey":"k","cpsLimit":5},
            {"server":"b.example.com","cpsKey":"k","cpsLimit":10,"authUser":"u","authPassword":"p"}]"#,
    )
    .unwrap();
    let out = sipcreds(&["lint", file.to_str().unwrap(), "--json"], b"");
    assert_eq!(out.status.code(), Some(0));
    let findings = stdout_json(&out);
    let has = |code: &str, who: &str| {
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code && f["credential"] == who)
    };
    assert!(has("tls_on_plain_port", "#1"));
    assert!(has("cps_group_conflict", "#1"));
    assert!(!has("no_cps_limit", "#2"));

    let lines = dir.join("trunks.jsonl");
    std::fs::write(
        &lines,
        "{\"server\":\"a.example.com\"}\n\n{\"server\":\"sip:bad\"}\n",
    )
    .unwrap();
    let out = sipcreds(&["lint", lines.to_str().unwrap(), "--json"], b"");
    assert_eq!(
        out.status.code(),
        Some(1),
        "an invalid entry is an error finding"
    );
    let findings = stdout_json(&out);
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "invalid_server" && f["credential"] == "#2")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn codes_lists_every_error() {
    let out = sipcreds(&["codes", "--json"], b"");
    assert_eq!(
        stdout_json(&out).as_array().unwrap().len(),
        sipcreds::ErrorCode::COUNT
    );
}

#[test]
fn a_url_password_on_the_command_line_is_refused() {
    for args in [
        &[
            "--db",
            "postgres://app:Hunter2-pw@127.0.0.1:1/x",
            "credentials",
            "list",
        ][..],
        &[
            "--limiter",
            "redis://:Hunter2-pw@127.0.0.1:1/",
            "acquire",
            "cred_x",
        ],
        // The spellings a cut at the first `/` or `?`, or a case-sensitive scheme, let through.
        &[
            "--db",
            "postgres://app:Hunter2/pw@127.0.0.1:1/x",
            "credentials",
            "list",
        ],
        &[
            "--db",
            "postgres://app:Hunter2?pw@127.0.0.1:1/x",
            "credentials",
            "list",
        ],
        &[
            "--db",
            "postgres://127.0.0.1:1/x?password=Hunter2",
            "credentials",
            "list",
        ],
        &[
            "--db",
            "POSTGRES://app:Hunter2-pw@127.0.0.1:1/x",
            "credentials",
            "list",
        ],
        &[
            "--limiter",
            "Redis://:Hunter2-pw@127.0.0.1:1/",
            "acquire",
            "cred_x",
        ],
        &[
            "--limiter",
            "rediss://u:Hunter2/pw@127.0.0.1:1/",
            "acquire",
            "cred_x",
        ],
        &[
            "--limiter",
            "redis:/:Hunter2@127.0.0.1:1/",
            "acquire",
            "cred_x",
        ],
        &[
            "--db",
            "app:Hunter2@db.example.com/x",
            "credentials",
            "list",
        ],
    ] {
        let out = sipcreds(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("SIPCREDS_"), "{err}");
        assert!(!err.contains("Hunter2") && out.stdout.is_empty(), "{err}");
    }
    // From the environment it is accepted (and the unreachable server is a storage error
    // that does not show the password).
    let out = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args(["credentials", "list", "--json"])
    .env("SIPCREDS_DB", "postgres://app:Hunter2-pw@127.0.0.1:1/x")
    .env("SIPCREDS_KEY", sipcreds_conformance::TEST_KEY)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["error"]["code"], "storage");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Hunter2"));
    // From the environment, an upper-case scheme is still PostgreSQL (not a file named
    // "POSTGRES:"), an unknown scheme is refused, and neither message shows the password.
    let dir = tempfile::tempdir().unwrap();
    for (db, limiter) in [
        ("POSTGRES://app:Hunter2/pw@127.0.0.1:1/x", "process"),
        ("mysql://app:Hunter2@127.0.0.1:1/x", "process"),
        ("x.db", "Redis://:Hunter2@127.0.0.1:1/0?fallback=nope"),
        ("x.db", "memcached://:Hunter2@127.0.0.1:1/"),
    ] {
        let out = Command::new(sipcreds_conformance::cli_bin(env!(
            "CARGO_BIN_EXE_sipcreds"
        )))
        .args(["acquire", "cred_x", "--json"])
        .current_dir(dir.path())
        .env("SIPCREDS_DB", db)
        .env("SIPCREDS_LIMITER", limiter)
        .env("SIPCREDS_KEY", sipcreds_conformance::TEST_KEY)
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(1), "{db} {limiter}");
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(!shown.contains("Hunter2"), "{shown}");
        assert!(!shown.contains("key file"), "{shown}");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().all(|e| {
                let name = e.unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("x.") || !name.contains(':')
            }),
            "a URL was taken as a file path"
        );
    }
}

#[test]
fn acquire_needs_a_shared_limiter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let out = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args(["acquire", "cred_x", "--limiter", "process", "--json"])
    .env("SIPCREDS_DB", &db)
    .env_remove("SIPCREDS_KEY")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["error"]["field"], "limiter", "{v}");
    let out = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args(["acquire", "cred_x", "--json"])
    .env("SIPCREDS_DB", "postgres://app@127.0.0.1:1/x")
    .output()
    .unwrap();
    assert_eq!(stdout_json(&out)["error"]["field"], "limiter");
}

#[test]
fn a_reason_phrase_is_shown_printably() {
    // With colours forced, as on a terminal (anstream strips escapes only when it may).
    let out = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args([
        "diagnose",
        "403",
        "--reason",
        "User channel limit exceeded\u{1b}]0;owned\u{7}",
    ])
    .env_remove("NO_COLOR")
    .env("CLICOLOR_FORCE", "1")
    .output()
    .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("\u{1b}]0;owned") && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("\\u001b]0;owned"), "{text}");
}
