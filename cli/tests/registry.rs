//! The registry commands of §11 through the binary, on a real SQLite file, as a user (or a
//! held-out scenario) runs them with `--json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("sipcreds.db")
    }

    fn raw(&self, org: &str, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sipcreds"))
            .args(args)
            .env("SIPCREDS_DB", self.db())
            .env("SIPCREDS_ORG", org)
            .env_remove("SIPCREDS_KEY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    /// Run with `--json`; return the exit code and the parsed stdout.
    fn json(&self, org: &str, args: &[&str], stdin: &str) -> (i32, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.raw(org, &all, stdin);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap(), v)
    }

    fn ok(&self, org: &str, args: &[&str], stdin: &str) -> Value {
        let (code, v) = self.json(org, args, stdin);
        assert_eq!(code, 0, "{args:?} failed: {v}");
        v
    }

    fn err(&self, org: &str, args: &[&str], stdin: &str, want: &str) -> Value {
        let (code, v) = self.json(org, args, stdin);
        assert_eq!(code, 1, "{args:?} should fail with {want}: {v}");
        assert_eq!(v["error"]["code"], want, "{args:?}: {v}");
        v
    }
}

/// Does the database (the main file, and its -wal and -shm if present) contain `needle`?
fn files_contain(dir: &Path, needle: &str) -> bool {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sipcreds.db")
        })
        .collect();
    assert!(!files.is_empty(), "no database files in {}", dir.display());
    files
        .iter()
        .any(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains(needle))
}

#[test]
fn full_scenario_with_json() {
    let cli = Cli::new();
    let secret = "Sc3nario-Secret-Pw";
    let cred = cli.ok(
        "acme",
        &["credentials", "create"],
        &format!(r#"{{"name":"Main","server":"SIP.Example.com:5061","transport":"TLS","authUser":"acme","authPassword":"{secret}","cpsLimit":5,"cpsKey":"shared"}}"#),
    );
    let id = cred["id"].as_str().unwrap().to_owned();
    assert_eq!(cred["server"], "sip.example.com:5061");
    assert_eq!(cred["version"], 1);
    assert_eq!(cred["hasPassword"], true);
    let second = cli.ok(
        "acme",
        &["credentials", "create"],
        r#"{"server":"b.example.com","cpsKey":"shared","cpsLimit":3}"#,
    );
    let id2 = second["id"].as_str().unwrap().to_owned();

    // Numbers and agents.
    assert_eq!(
        cli.ok("acme", &["numbers", "link", "+14155550100", &id], "")["credentialId"],
        id.as_str()
    );
    cli.ok("acme", &["numbers", "link", "+14155550101", &id], "");
    cli.err(
        "acme",
        &["numbers", "link", "4155550100", &id],
        "",
        "invalid_phone_number",
    );
    let agent = cli.ok("acme", &["agents", "create", "Ada"], "");
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    cli.ok("acme", &["agents", "assign", &agent_id, "+14155550100"], "");
    let usage = cli.ok("acme", &["credentials", "usage", &id], "");
    assert_eq!(
        usage["phoneNumbers"],
        serde_json::json!(["+14155550100", "+14155550101"])
    );
    assert_eq!(usage["agents"][0]["id"], agent_id.as_str());
    assert_eq!(
        usage["agents"][0]["via"],
        serde_json::json!(["+14155550100"])
    );

    // Refused delete carries the usage; forced delete reports what it unlinked.
    let refused = cli.err("acme", &["credentials", "delete", &id], "", "in_use");
    assert_eq!(refused["error"]["usage"]["phoneNumbers"][1], "+14155550101");
    assert_eq!(
        cli.ok("acme", &["credentials", "list"], "")
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Update with optimistic concurrency.
    let updated = cli.ok(
        "acme",
        &["credentials", "update", &id],
        r#"{"name":"Renamed","expectedVersion":1}"#,
    );
    assert_eq!(updated["version"], 2);
    cli.err(
        "acme",
        &["credentials", "update", &id],
        r#"{"name":"Late","expectedVersion":1}"#,
        "conflict",
    );

    // Rate groups.
    let limits = cli.ok("acme", &["limits"], "");
    let group = limits
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["cpsKey"] == "shared")
        .unwrap();
    assert_eq!(group["limit"], 3);
    assert_eq!(group["members"].as_array().unwrap().len(), 2);

    // Org isolation: another org sees none of it and cannot touch it.
    for args in [
        vec!["credentials", "show", &id],
        vec!["credentials", "usage", &id],
        vec!["credentials", "delete", &id, "--force"],
    ] {
        let e = cli.err("globex", &args, "", "not_found");
        assert_eq!(e["error"]["field"], "id");
    }
    cli.err(
        "globex",
        &["numbers", "link", "+14155550100", &id],
        "",
        "not_found",
    );
    assert_eq!(
        cli.ok("globex", &["credentials", "list"], ""),
        serde_json::json!([])
    );
    assert_eq!(
        cli.ok("globex", &["numbers", "list"], ""),
        serde_json::json!([])
    );
    cli.err("bad org!", &["credentials", "list"], "", "invalid_org");

    let forced = cli.ok("acme", &["credentials", "delete", &id, "--force"], "");
    assert_eq!(forced["deleted"], id.as_str());
    assert_eq!(
        forced["unlinkedNumbers"],
        serde_json::json!(["+14155550100", "+14155550101"])
    );
    cli.err("acme", &["credentials", "show", &id], "", "not_found");
    assert!(
        cli.ok("acme", &["numbers", "list"], "")
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["credentialId"].is_null())
    );

    // Providers: read-only credentials and the cascade.
    let connected = cli.ok(
        "acme",
        &["providers", "connect", "twilio", "Twilio main"],
        r#"[{"server":"acme.pstn.twilio.com","transport":"tls","authUser":"tw","authPassword":"Provider-Secret-1"}]"#,
    );
    let prov_id = connected["provider"]["id"].as_str().unwrap().to_owned();
    let pcred = connected["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(connected["credentials"][0]["readOnly"], true);
    assert_eq!(connected["credentials"][0]["providerId"], prov_id.as_str());
    cli.err(
        "acme",
        &["credentials", "update", &pcred],
        r#"{"name":"x"}"#,
        "read_only",
    );
    cli.err(
        "acme",
        &["credentials", "delete", &pcred, "--force"],
        "",
        "read_only",
    );
    cli.ok("acme", &["numbers", "link", "+14155550100", &pcred], "");
    assert_eq!(
        cli.ok("acme", &["providers", "list"], "")
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let cascade = cli.ok("acme", &["providers", "delete", &prov_id], "");
    assert_eq!(cascade["deletedCredentials"], serde_json::json!([pcred]));
    assert_eq!(
        cascade["unlinkedNumbers"],
        serde_json::json!(["+14155550100"])
    );
    cli.err("acme", &["credentials", "show", &pcred], "", "not_found");

    // Agents and numbers housekeeping.
    cli.ok(
        "acme",
        &["agents", "unassign", &agent_id, "+14155550100"],
        "",
    );
    cli.ok("acme", &["numbers", "unlink", "+14155550101"], "");
    cli.ok("acme", &["numbers", "delete", "+14155550101"], "");
    cli.ok("acme", &["agents", "delete", &agent_id], "");
    assert_eq!(
        cli.ok("acme", &["agents", "list"], ""),
        serde_json::json!([])
    );
    cli.ok("acme", &["credentials", "delete", &id2], "");

    // No password in the database files, and none in any output above or below.
    assert!(!files_contain(cli.dir.path(), secret));
    assert!(!files_contain(cli.dir.path(), "Provider-Secret-1"));
    assert!(
        files_contain(cli.dir.path(), "+14155550100"),
        "the scan reads the files"
    );
    let shown = cli.raw("acme", &["credentials", "list"], "");
    assert!(!String::from_utf8_lossy(&shown.stdout).contains(secret));
}

#[test]
fn passwords_come_from_stdin_only() {
    let cli = Cli::new();
    // There is no flag that takes a credential or a password.
    let out = cli.raw("acme", &["credentials", "create", "--password", "x"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = cli.raw(
        "acme",
        &["credentials", "create", r#"{"server":"a.example.com"}"#],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn import_is_all_or_nothing_and_lint_reads_the_store() {
    let cli = Cli::new();
    let file = cli.dir.path().join("trunks.jsonl");
    let mut lines: Vec<String> =
        (0..2000).map(|i| format!(r#"{{"server":"t{i}.example.com","authUser":"u{i}","authPassword":"Imp-{i}-pw","cpsKey":"k{}"}}"#, i % 10)).collect();
    lines.insert(1500, r#"{"server":"sip:broken.example.com"}"#.into());
    std::fs::write(&file, lines.join("\n")).unwrap();
    let e = cli.err(
        "acme",
        &["import", file.to_str().unwrap()],
        "",
        "invalid_server",
    );
    assert_eq!(e["error"]["field"], "items[1500].server");
    assert_eq!(
        cli.ok("acme", &["credentials", "list"], ""),
        serde_json::json!([]),
        "nothing imported"
    );

    lines.remove(1500);
    std::fs::write(&file, lines.join("\n")).unwrap();
    let r = cli.ok("acme", &["import", file.to_str().unwrap()], "");
    assert_eq!(r["imported"], 2000);
    assert_eq!(
        cli.ok("acme", &["credentials", "list"], "")
            .as_array()
            .unwrap()
            .len(),
        2000
    );
    assert_eq!(
        cli.ok("acme", &["limits"], "").as_array().unwrap().len(),
        10
    );
    let findings = cli.ok("acme", &["lint"], "");
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "no_cps_limit")
    );
    assert!(!files_contain(cli.dir.path(), "Imp-1999-pw"));
}

#[test]
fn a_wrong_key_is_a_clear_storage_error() {
    let cli = Cli::new();
    cli.ok(
        "acme",
        &["credentials", "create"],
        r#"{"server":"a.example.com","authUser":"u","authPassword":"p"}"#,
    );
    std::fs::write(
        cli.dir.path().join("sipcreds.key"),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    let e = cli.err("acme", &["credentials", "list"], "", "storage");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{e}"
    );
}

/// `acquire` from many concurrent processes shares one budget through the file: exit 0
/// admitted, 3 rejected with retryAfterMs, and no one-second window of admissions holds more
/// than the group's limit.
#[test]
fn acquire_across_processes_never_exceeds_the_limit() {
    let cli = Cli::new();
    let a = cli.ok(
        "acme",
        &["credentials", "create"],
        r#"{"server":"a.example.com","cpsKey":"shared","cpsLimit":4}"#,
    );
    let b = cli.ok(
        "acme",
        &["credentials", "create"],
        r#"{"server":"b.example.com","cpsKey":"shared","cpsLimit":9}"#,
    );
    let ids = [
        a["id"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    ];
    let admitted = std::sync::Mutex::new(Vec::new());
    let rejected = std::sync::atomic::AtomicUsize::new(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2500);
    std::thread::scope(|s| {
        for t in 0..3 {
            let (cli, ids, admitted, rejected) = (&cli, &ids, &admitted, &rejected);
            s.spawn(move || {
                let mut i = t;
                while std::time::Instant::now() < deadline {
                    let (code, v) = cli.json("acme", &["acquire", &ids[i % 2]], "");
                    match code {
                        0 => admitted
                            .lock()
                            .unwrap()
                            .push(v["atUnixNanos"].as_u64().unwrap()),
                        3 => {
                            // At most a second from when the decision was made; the caller's
                            // clock read may precede a wait for the file's lock.
                            assert!(v["retryAfterMs"].as_u64().unwrap() <= 1500, "{v}");
                            rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        other => panic!("exit {other}: {v}"),
                    }
                    i += 1;
                }
            });
        }
    });
    let mut at = admitted.into_inner().unwrap();
    at.sort();
    assert!(at.len() >= 4, "only {} admitted", at.len());
    assert!(
        rejected.into_inner() > 0,
        "the processes never hit the limit"
    );
    let mut lo = 0;
    for (i, &t) in at.iter().enumerate() {
        while at[lo] + 1_000_000_000 <= t {
            lo += 1;
        }
        assert!(
            i - lo < 4,
            "{} admissions within one second (limit 4)",
            i - lo + 1
        );
    }
}
