//! The registry commands of §11 through the binary, on a real SQLite file, as a user (or a
//! held-out scenario) runs them with `--json`.

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
        let bin = sipcreds_conformance::cli_bin(env!("CARGO_BIN_EXE_sipcreds"));
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("SIPCREDS_DB", self.db())
            .env("SIPCREDS_ORG", org)
            .env_remove("SIPCREDS_KEY");
        sipcreds_conformance::run_with_stdin(&mut cmd, stdin.as_bytes())
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

/// The database's files (the main file, and its -wal and -shm if present) as text.
fn database_text(dir: &Path) -> String {
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
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

/// Does the database contain `needle`?
fn files_contain(dir: &Path, needle: &str) -> bool {
    database_text(dir).contains(needle)
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

/// A deterministic generator of passwords over a hostile alphabet: quotes, backslashes,
/// spaces, `%`, `{}`, non-ASCII letters and symbols; 12–40 characters.
fn generated_passwords(n: usize, seed: u64) -> Vec<String> {
    const ALPHABET: &[char] = &[
        'a', 'Z', 'q', '7', '0', ' ', '"', '\\', '/', '%', '{', '}', '$', '\'', '<', '>', '&', ';',
        ':', ',', 'é', 'ß', '☎', '€', '中', 'Ω', '-', '_', '~', '!', '#', '`',
    ];
    let mut x = seed;
    let mut next = move || {
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..n)
        .map(|i| {
            let len = 12 + (next() % 29) as usize;
            let mut s: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            s.push_str(&format!("{i:04}")); // distinct
            s
        })
        .collect()
}

/// Every form a password could take in output: as typed, and JSON-escaped.
fn forms(pw: &str) -> [String; 2] {
    let lit = serde_json::to_string(pw).unwrap();
    [pw.to_owned(), lit[1..lit.len() - 1].to_owned()]
}

#[test]
fn thousands_of_generated_passwords_never_in_cli_output_or_files() {
    let cli = Cli::new();
    let passwords = generated_passwords(2000, 0x5eed_cafe);
    let mut shown = Vec::<u8>::new();
    let mut record = |o: &Output| {
        shown.extend_from_slice(&o.stdout);
        shown.extend_from_slice(&o.stderr);
    };

    // 1,500 by import (JSON Lines), 400 through a provider, 100 created one by one.
    let line = |i: usize, pw: &str| {
        serde_json::json!({"server": format!("t{i}.example.com"), "authUser": format!("u{i}"),
            "authPassword": pw, "cpsKey": format!("k{}", i % 7), "cpsLimit": 1 + i % 20})
        .to_string()
    };
    let file = cli.dir.path().join("trunks.jsonl");
    let lines: Vec<String> = (0..1500).map(|i| line(i, &passwords[i])).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    for args in [
        &["import", file.to_str().unwrap()][..],
        &["lint", file.to_str().unwrap()],
    ] {
        record(&cli.raw("acme", args, ""));
        let mut json = args.to_vec();
        json.push("--json");
        let out = cli.raw("acme", &json, "");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        record(&out);
    }
    let provider: Vec<String> = (1500..1900).map(|i| line(i, &passwords[i])).collect();
    for json in [false, true] {
        let mut args = vec!["providers", "connect", "twilio", "Twilio"];
        if json {
            args.push("--json");
        }
        record(&cli.raw(
            if json { "acme" } else { "beta" },
            &args,
            &format!("[{}]", provider.join(",")),
        ));
    }
    let mut ids = Vec::new();
    for (i, pw) in passwords.iter().enumerate().skip(1900) {
        let out = cli.raw("acme", &["credentials", "create", "--json"], &line(i, pw));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(v["id"].as_str().unwrap().to_owned());
        record(&out);
    }

    // Rotation, and refusals of bodies carrying a password: a bad server, a bad field next
    // to it, the password itself made invalid (a control character), a conflict.
    for (k, id) in ids.iter().enumerate().take(40) {
        let pw = &passwords[k];
        let bodies = [
            serde_json::json!({"authPassword": pw}).to_string(),
            serde_json::json!({"authUser": "u", "authPassword": pw, "cpsLimit": 0}).to_string(),
            serde_json::json!({"authUser": "u", "authPassword": format!("{pw}\u{7}")}).to_string(),
            serde_json::json!({"authPassword": pw, "expectedVersion": 99}).to_string(),
            serde_json::json!({"authPassword": pw, "bogus": pw}).to_string(),
        ];
        for body in &bodies {
            for json in [false, true] {
                let mut args = vec!["credentials", "update", id.as_str()];
                if json {
                    args.push("--json");
                }
                record(&cli.raw("acme", &args, body));
            }
        }
        let bad = serde_json::json!({"server": "sip:bad", "authUser": "u", "authPassword": pw})
            .to_string();
        record(&cli.raw("acme", &["validate"], &bad));
        record(&cli.raw("acme", &["validate", "--json"], &bad));
        record(&cli.raw("acme", &["credentials", "create", "--json"], &bad));
    }
    // A lint file of 2,000 refused items, each with its password.
    let refused: Vec<String> = passwords
        .iter()
        .enumerate()
        .map(|(i, pw)| {
            serde_json::json!({"server": format!("sip:t{i}.example.com"), "authUser": "u", "authPassword": pw})
                .to_string()
        })
        .collect();
    std::fs::write(&file, refused.join("\n")).unwrap();
    record(&cli.raw("acme", &["lint", file.to_str().unwrap()], ""));
    record(&cli.raw("acme", &["lint", file.to_str().unwrap(), "--json"], ""));
    record(&cli.raw("acme", &["import", file.to_str().unwrap(), "--json"], ""));

    // Every reading command, in both forms.
    for args in [
        &["credentials", "list"][..],
        &["limits"],
        &["lint"],
        &["providers", "list"],
        &["credentials", "show", ids[0].as_str()],
        &["credentials", "usage", ids[1].as_str()],
    ] {
        for org in ["acme", "beta"] {
            record(&cli.raw(org, args, ""));
            let mut json = args.to_vec();
            json.push("--json");
            record(&cli.raw(org, &json, ""));
        }
    }
    let listed = cli.ok("acme", &["credentials", "list"], "");
    // The import ran twice (plain and --json): 2 × 1,500 + 400 (provider) + 100.
    assert_eq!(
        listed.as_array().unwrap().len(),
        3500,
        "the scan saw real output"
    );

    let text = String::from_utf8_lossy(&shown);
    assert!(
        text.contains("t1499.example.com"),
        "the output was recorded"
    );
    let files = database_text(cli.dir.path());
    assert!(
        files.contains("t1499.example.com"),
        "the scan reads the files"
    );
    let patterns: Vec<String> = passwords.iter().flat_map(|pw| forms(pw)).collect();
    let finder = aho_corasick::AhoCorasick::new(&patterns).unwrap();
    if let Some(m) = finder.find(text.as_ref() as &str) {
        panic!(
            "a password is in the CLI output: {:?}",
            patterns[m.pattern().as_usize()]
        );
    }
    if let Some(m) = finder.find(&files) {
        panic!(
            "a password is in the database files: {:?}",
            patterns[m.pattern().as_usize()]
        );
    }
    // The finder finds what it should.
    assert!(finder.find(&format!("..{}..", passwords[1234])).is_some());
}

#[test]
fn every_output_path_holds_up_with_thousands_in_a_group() {
    let cli = Cli::new();
    // 6,000 credentials in one cpsKey group (its CREDENTIALS cell was a 200 KB string, past
    // the formatter's width limit: `limits` panicked).
    let lines: String = (0..6000)
        .map(|i| {
            format!(
                "{{\"server\":\"t{i}.example.com\",\"cpsKey\":\"big\",\"cpsLimit\":{}}}\n",
                10 + i % 3
            )
        })
        .collect();
    let path = cli.dir.path().join("big.jsonl");
    std::fs::write(&path, lines).unwrap();
    cli.ok("acme", &["import", path.to_str().unwrap()], "");
    let out = cli.raw("acme", &["limits"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("key:big") && text.contains("6000"), "{text}");
    assert!(text.contains("… and 5,99"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 400), "{text}");
    // JSON keeps every member.
    let v = cli.ok("acme", &["limits"], "");
    assert_eq!(v[0]["members"].as_array().unwrap().len(), 6000);
    // The human list streams all 6,000 rows; lint and the JSON list too.
    let out = cli.raw("acme", &["credentials", "list"], "");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 6001);
    let v = cli.ok("acme", &["credentials", "list"], "");
    assert_eq!(v.as_array().unwrap().len(), 6000);
    let out = cli.raw("acme", &["lint"], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("6000 credential(s)"));
    // A reader that goes away early is no error and no panic.
    let mut child = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args(["credentials", "list", "--json"])
    .env("SIPCREDS_DB", cli.db())
    .env("SIPCREDS_ORG", "acme")
    .env_remove("SIPCREDS_KEY")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn the_json_list_is_written_in_large_chunks() {
    // Unbuffered, every token of the pretty JSON was its own write(2): 2.1 million for 100k
    // credentials. Count them with strace where it is installed.
    if Command::new("strace").arg("-V").output().is_err() {
        assert!(
            std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
            "strace is not installed: scripts/ci/services.sh installs it"
        );
        eprintln!("skipped: no strace");
        return;
    }
    let cli = Cli::new();
    let lines: String = (0..2000)
        .map(|i| {
            format!(
                "{{\"server\":\"t{i}.example.com\",\"authUser\":\"u{i}\",\"authPassword\":\"p\"}}\n"
            )
        })
        .collect();
    let path = cli.dir.path().join("n.jsonl");
    std::fs::write(&path, lines).unwrap();
    cli.ok("acme", &["import", path.to_str().unwrap()], "");
    let trace = cli.dir.path().join("trace");
    let out = Command::new("strace")
        .args(["-f", "-e", "trace=write", "-o"])
        .arg(&trace)
        .arg(sipcreds_conformance::cli_bin(env!(
            "CARGO_BIN_EXE_sipcreds"
        )))
        .args(["credentials", "list", "--json"])
        .env("SIPCREDS_DB", cli.db())
        .env("SIPCREDS_ORG", "acme")
        .env_remove("SIPCREDS_KEY")
        .output()
        .unwrap();
    assert!(out.status.success());
    let bytes = out.stdout.len();
    let writes = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| l.contains("write(1,"))
        .count();
    assert!(bytes > 1_000_000, "{bytes}");
    // 64 KiB chunks: about bytes / 65536 writes.
    assert!(
        writes <= bytes / 32_768 + 2,
        "{writes} writes for {bytes} bytes"
    );
}

#[test]
fn an_import_line_whose_key_forges_a_log_line_is_refused_printably() {
    let cli = Cli::new();
    let key = format!("x\u{1b}]0;owned\u{7}\r\nINFO import ok{}", "k".repeat(100));
    let line = serde_json::json!({"server": "a.example.com", key: 1}).to_string();
    let path = cli.dir.path().join("evil.jsonl");
    std::fs::write(&path, format!("{{\"server\":\"b.example.com\"}}\n{line}\n")).unwrap();
    let (code, v) = cli.json("acme", &["import", path.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert_eq!(v["error"]["code"], "unknown_field");
    let field = v["error"]["field"].as_str().unwrap();
    assert!(field.chars().count() <= 64, "{field}");
    assert!(field.starts_with("items[1].x\\u001b]0;owned"), "{field}");
    // Human output to a terminal or a log: no control character at all.
    let out = cli.raw("acme", &["import", path.to_str().unwrap()], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    assert!(!err.contains("\nINFO import ok"), "{err}");
    assert_eq!(
        cli.ok("acme", &["credentials", "list"], "")
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn lists_page_with_limit_and_after_and_whole_lists_read_in_pages() {
    let cli = Cli::new();
    // 2,500 credentials: the whole list spans three store pages of 1,000.
    let lines: String = (0..2500)
        .map(|i| format!("{{\"server\":\"t{i}.example.com\"}}\n"))
        .collect();
    let file = cli.dir.path().join("many.jsonl");
    std::fs::write(&file, lines).unwrap();
    cli.ok("acme", &["import", file.to_str().unwrap()], "");
    let whole = cli.ok("acme", &["credentials", "list"], "");
    let whole = whole.as_array().unwrap();
    assert_eq!(whole.len(), 2500);
    let ids: Vec<&str> = whole.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "the whole list is in id (creation) order");

    // Page by page, 700 at a time: the same ids, each next the last id of its page.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["credentials", "list", "--limit", "700"];
        if let Some(a) = &after {
            args.extend(["--after", a.as_str()]);
        }
        let page = cli.ok("acme", &args, "");
        let items = page["items"].as_array().unwrap();
        paged.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), paged.last().map(String::as_str));
                after = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(paged, ids);

    // JSON Lines: one compact object per line, the same items; errors as JSON.
    let out = cli.raw("acme", &["credentials", "list", "--jsonl"], "");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2500);
    assert_eq!(
        lines
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ids
    );
    assert_eq!(lines[0], whole[0]);
    let out = cli.raw("ac me", &["credentials", "list", "--jsonl"], "");
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "invalid_org");
    let out = cli.raw(
        "acme",
        &["credentials", "list", "--jsonl", "--limit", "5"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "--jsonl is for whole lists");

    // The human form of a page ends with its cursor.
    let out = cli.raw("acme", &["credentials", "list", "--limit", "2"], "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.trim_end().ends_with(&format!("next: {}", ids[1])),
        "{text}"
    );

    // Bad pages: invalid_option with the field, exit 1; a limit that is no number is a usage error.
    for (args, field) in [
        (vec!["credentials", "list", "--limit", "0"], "limit"),
        (vec!["credentials", "list", "--limit", "1001"], "limit"),
        (vec!["numbers", "list", "--after", "not-a-number"], "after"),
        (vec!["agents", "list", "--after", ids[0]], "after"),
    ] {
        let (code, v) = cli.json("acme", &args, "");
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(v["error"]["code"], "invalid_option", "{args:?}: {v}");
        assert_eq!(v["error"]["field"], field, "{args:?}: {v}");
    }
    let out = cli.raw("acme", &["credentials", "list", "--limit", "many"], "");
    assert_eq!(out.status.code(), Some(2));
    // An empty list, whole and paged.
    assert_eq!(
        cli.ok("acme", &["agents", "list"], ""),
        serde_json::json!([])
    );
    assert_eq!(
        cli.ok("acme", &["providers", "list", "--limit", "5"], ""),
        serde_json::json!({"items": [], "next": null})
    );
}

#[test]
fn numbers_show_credentials_count_acquire_max_wait_and_lint_in_org() {
    let cli = Cli::new();
    let a = cli.ok(
        "acme",
        &["credentials", "create"],
        r#"{"server":"a.example.com","name":"A","cpsLimit":1,"cpsKey":"pool"}"#,
    );
    let id = a["id"].as_str().unwrap();
    assert_eq!(cli.ok("acme", &["credentials", "count"], "")["count"], 1);
    assert_eq!(cli.ok("other", &["credentials", "count"], "")["count"], 0);

    cli.ok("acme", &["numbers", "link", "+14155550100", id], "");
    let n = cli.ok("acme", &["numbers", "show", "+14155550100"], "");
    assert_eq!(n["number"], "+14155550100");
    assert_eq!(n["credentialId"], id);
    let (code, err) = cli.json("acme", &["numbers", "show", "+14155550199"], "");
    assert_eq!(
        (code, err["error"]["code"].as_str()),
        (1, Some("not_found"))
    );

    // A CPS limit of 1: the first call is admitted at once; the second books the next slot
    // (about a second away) and waits for it with --max-wait 2; with --max-wait 0.1 a third
    // is refused and books nothing.
    let first = cli.ok("acme", &["acquire", id], "");
    assert_eq!(first["admitted"], true);
    let t0 = std::time::Instant::now();
    let second = cli.ok("acme", &["acquire", id, "--max-wait", "2"], "");
    assert_eq!(second["admitted"], true);
    assert!(second["waitMs"].as_u64().unwrap() > 0, "{second}");
    assert!(t0.elapsed() >= std::time::Duration::from_millis(500));
    let (code, third) = cli.json("acme", &["acquire", id, "--max-wait", "0.1"], "");
    assert_eq!((code, third["admitted"].as_bool()), (3, Some(false)));
    let (code, bad) = cli.json("acme", &["acquire", id, "--max-wait", "5000"], "");
    assert_ne!(code, 0, "{bad}");
    assert_eq!(bad["error"]["code"], "invalid_option");
    assert_eq!(bad["error"]["field"], "max_wait");

    // An input whose cpsKey joins the stored group with another limit: a conflict only in
    // the org's context.
    let file = cli.dir.path().join("inputs.json");
    std::fs::write(
        &file,
        r#"[{"server":"b.example.com","name":"B","cpsLimit":5,"cpsKey":"pool"}]"#,
    )
    .unwrap();
    let alone = cli.ok("acme", &["lint", file.to_str().unwrap()], "");
    let in_org = cli
        .json("acme", &["lint", file.to_str().unwrap(), "--in-org"], "")
        .1;
    let codes = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["code"], f["credential"]))
            .collect()
    };
    // Alone, the input is its group's only member; in the org it joins A's group, whose
    // limit differs.
    let alone = codes(&alone);
    let in_org = codes(&in_org);
    assert!(
        alone.contains(&"\"cps_key_single_member\" \"#1\"".to_owned()),
        "{alone:?}"
    );
    assert!(
        in_org.contains(&"\"cps_group_conflict\" \"#1\"".to_owned()),
        "{in_org:?}"
    );
    assert!(
        !in_org.iter().any(|c| c.contains("cps_key_single_member")),
        "{in_org:?}"
    );
}
