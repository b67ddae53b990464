//! `sipcreds probe` as users run it, on a real SQLite file: exit 0 for ok/reachable and 4
//! for any other outcome, the report as JSON, `--all` as JSON Lines and as a summary table,
//! options refused before anything is sent, and no password in any output. The peers are
//! loopback sockets made here: a UDP responder answering 200 OK, a silent UDP socket, a
//! closed TCP port. (The probe against Kamailio, SIPp, dnsmasq and TLS servers is in
//! `probe/tests/live`.)

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use sipcreds_test_support::peers;

const PASSWORD: &str = "probe-Pa55word-never-shown";

fn sipcreds(db: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let bin = sipcreds_conformance::cli_bin(env!("CARGO_BIN_EXE_sipcreds"));
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("SIPCREDS_DB", db)
        .env("SIPCREDS_ORG", "acme")
        .env_remove("SIPCREDS_KEY");
    let out = sipcreds_conformance::run_with_stdin(&mut cmd, stdin);
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(PASSWORD),
            "the password is in the output"
        );
    }
    out
}

fn create(db: &Path, body: &str) -> String {
    let out = sipcreds(db, &["--json", "credentials", "create"], body.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

/// Answers every request 200 OK, copying Via, From, To, Call-ID and CSeq.
fn responder() -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let reply = peers::ok_reply_with(&text, "Server: cli-test\r\n");
            let _ = sock.send_to(reply.as_bytes(), from);
        }
    });
    port
}

fn closed_tcp_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn probe_exit_codes_json_and_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    let up = responder();
    let reachable = create(&db, &format!(r#"{{"server": "127.0.0.1:{up}"}}"#));
    let closed = create(
        &db,
        &format!(
            r#"{{"server": "127.0.0.1:{}", "transport": "tcp", "authUser": "a", "authPassword": "{PASSWORD}"}}"#,
            closed_tcp_port()
        ),
    );

    let out = sipcreds(&db, &["probe", &reachable, "--json"], b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "reachable");
    assert_eq!(v["serverHeader"], "cli-test");
    assert_eq!(v["credentialId"], reachable.as_str());
    assert_eq!(v["causes"], serde_json::json!([]));

    // --trace: every message, in the report and on the terminal.
    let out = sipcreds(&db, &["probe", &reachable, "--json", "--trace"], b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trace = v["trace"].as_array().expect("a trace");
    assert_eq!(trace[0]["direction"], "sent");
    assert!(
        trace[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("OPTIONS sip:")
    );
    assert!(trace.iter().any(|m| m["direction"] == "received"));
    let out = sipcreds(&db, &["probe", &reachable, "--trace"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("trace (") && text.contains("OPTIONS sip:"),
        "{text}"
    );
    let out = sipcreds(&db, &["probe", &reachable, "--json"], b"");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("trace").is_none(), "{v}");

    let out = sipcreds(&db, &["probe", &closed, "--json", "--timeout", "1"], b"");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "connection_refused");
    assert_eq!(v["symptom"], "connection_refused");
    assert!(!v["causes"].as_array().unwrap().is_empty());

    let out = sipcreds(&db, &["probe", &closed], b"");
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("connection_refused"), "{text}");
    assert!(text.contains("failed at: connect"), "{text}");
    assert!(text.contains("fix:"), "{text}");
}

#[test]
fn probe_all_as_json_lines_and_as_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    let up = responder();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ids = [
        create(&db, &format!(r#"{{"server": "127.0.0.1:{up}"}}"#)),
        create(
            &db,
            &format!(r#"{{"server": "{}"}}"#, silent.local_addr().unwrap()),
        ),
        create(
            &db,
            &format!(
                r#"{{"server": "127.0.0.1:{}", "transport": "tcp"}}"#,
                closed_tcp_port()
            ),
        ),
    ];
    let began = std::time::Instant::now();
    let out = sipcreds(
        &db,
        &[
            "probe",
            "--all",
            "--concurrency",
            "3",
            "--timeout",
            "0.5",
            "--json",
        ],
        b"",
    );
    // Three probes at once: the silent one sets the pace.
    assert!(began.elapsed() < Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let outcome = |id: &str| {
        lines
            .iter()
            .find(|l| l["credentialId"] == id)
            .map(|l| l["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome(&ids[0]).as_deref(), Some("reachable"));
    assert_eq!(outcome(&ids[1]).as_deref(), Some("timeout"));
    assert_eq!(outcome(&ids[2]).as_deref(), Some("connection_refused"));

    let out = sipcreds(&db, &["probe", "--all", "--timeout", "0.5"], b"");
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OUTCOME"), "{text}");
    assert!(
        text.contains("3 credential(s) probed: 1 connection_refused, 1 reachable, 1 timeout"),
        "{text}"
    );
    // The table is in the credentials' order.
    let pos = |id: &str| text.find(id).unwrap();
    assert!(pos(&ids[0]) < pos(&ids[1]) && pos(&ids[1]) < pos(&ids[2]));
}

#[test]
fn probe_options_are_checked_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    let id = create(&db, r#"{"server": "127.0.0.1:9"}"#);
    for (args, field) in [
        (vec!["--timeout", "0"], "timeout"),
        (vec!["--timeout", "soon"], "timeout"),
        (vec!["--ca-file", "/nonexistent/ca.pem"], "caFile"),
        (vec!["--nameserver", "localhost"], "nameserver"),
        (vec!["--local-address", "me"], "localAddress"),
    ] {
        let mut all = vec!["--json", "probe", id.as_str()];
        all.extend(args.iter().copied());
        let out = sipcreds(&db, &all, b"");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["error"]["code"], "invalid_option", "{args:?}");
        assert_eq!(v["error"]["field"], field, "{args:?}");
    }
    let out = sipcreds(
        &db,
        &["--json", "probe", "cred_01J00000000000000000000000"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    let out = sipcreds(&db, &["probe", "--all", "--concurrency", "0"], b"");
    assert_eq!(out.status.code(), Some(1));
    // Neither an id nor --all: a usage error.
    let out = sipcreds(&db, &["probe"], b"");
    assert_eq!(out.status.code(), Some(2));
}
