//! The result-shape vectors (`tests/vectors/results.json`) through the command line: each
//! step as `sipcreds --json ...` on one SQLite file, its standard output (the result or the §8
//! error, pretty-printed) written compactly in the order it came, compared with what every
//! surface answers.

use std::process::Command;

use sipcreds_conformance::results::{Placeholders, Step, arg_text, compare, load};

fn run(db: &std::path::Path, step: &Step, ids: &Placeholders) -> String {
    let a = |name: &str| arg_text(step, name, ids);
    let (args, stdin): (Vec<String>, String) = match step.op.as_str() {
        "create_credential" => (vec!["credentials".into(), "create".into()], a("body")),
        "get_credential" => (
            vec!["credentials".into(), "show".into(), a("id")],
            String::new(),
        ),
        "update_credential" => (
            vec!["credentials".into(), "update".into(), a("id")],
            a("body"),
        ),
        "usage" => (
            vec!["credentials".into(), "usage".into(), a("id")],
            String::new(),
        ),
        "delete_credential" => {
            let mut v = vec!["credentials".into(), "delete".into(), a("id")];
            if a("force") == "true" {
                v.push("--force".into());
            }
            (v, String::new())
        }
        "link_number" => (
            vec![
                "numbers".into(),
                "link".into(),
                a("number"),
                a("credentialId"),
            ],
            String::new(),
        ),
        "unlink_number" => (
            vec!["numbers".into(), "unlink".into(), a("number")],
            String::new(),
        ),
        "delete_number" => (
            vec!["numbers".into(), "delete".into(), a("number")],
            String::new(),
        ),
        "create_agent" => (
            vec!["agents".into(), "create".into(), a("name")],
            String::new(),
        ),
        "get_agent" => (vec!["agents".into(), "show".into(), a("id")], String::new()),
        "assign_number" => (
            vec!["agents".into(), "assign".into(), a("agentId"), a("number")],
            String::new(),
        ),
        "delete_agent" => (
            vec!["agents".into(), "delete".into(), a("id")],
            String::new(),
        ),
        "connect_provider" => (
            vec!["providers".into(), "connect".into(), a("kind"), a("name")],
            a("body"),
        ),
        "delete_provider" => (
            vec!["providers".into(), "delete".into(), a("id")],
            String::new(),
        ),
        other => panic!("unknown op {other}"),
    };
    let bin = sipcreds_conformance::cli_bin(env!("CARGO_BIN_EXE_sipcreds"));
    let mut cmd = Command::new(bin);
    cmd.arg("--db")
        .arg(db)
        .arg("--org")
        .arg(a("org"))
        .arg("--json")
        .args(&args)
        .env_remove("SIPCREDS_DB")
        .env_remove("SIPCREDS_ORG");
    let out = sipcreds_conformance::run_with_stdin(&mut cmd, stdin.as_bytes());
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{:?}: stdout is not JSON ({e}): {}{}",
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let is_error = value.get("error").is_some();
    assert_eq!(
        out.status.code(),
        Some(if is_error { 1 } else { 0 }),
        "{args:?}: exit code"
    );
    serde_json::to_string(&value).expect("serialize")
}

#[test]
fn result_vectors_through_the_cli() {
    let steps = load();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("results.db");
    let mut ids = Placeholders::default();
    let got: Vec<String> = steps
        .iter()
        .map(|s| {
            let out = run(&db, s, &ids);
            ids.normalize(&out)
        })
        .collect();
    compare("cli", &steps, &got).unwrap();
}
