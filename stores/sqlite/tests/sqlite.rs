//! What only the SQLite store has: the file, the key, migrations, crashes, other processes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sipcreds::{ErrorCode, Registry};
use sipcreds_sqlite::{Durability, Key, SqliteStore};

fn all_file_bytes(dir: &Path, skip_key: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if skip_key && p.extension().is_some_and(|x| x == "key") {
            continue;
        }
        out.extend(std::fs::read(&p).unwrap());
    }
    out
}

/// The files' bytes as text: the passwords here are ASCII, so a lossy view finds them exactly,
/// and std's substring search is fast even in a debug build.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn passwords_never_in_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    let mut passwords = Vec::new();
    for i in 0..300 {
        let pw = format!("Secret-{i:04}-zq{}", i * 7919);
        let body = format!(
            r#"{{"server":"s{i}.example.com","authUser":"user{i}","authPassword":"{pw}"}}"#
        );
        let c = reg.create_credential_json("acme", &body).unwrap();
        if i % 3 == 0 {
            let rotated = format!("Rotated-{i:04}-xk{}", i * 104729);
            reg.update_credential_json(
                "acme",
                c.id.as_str(),
                &format!(r#"{{"authPassword":"{rotated}"}}"#),
            )
            .unwrap();
            passwords.push(rotated);
        }
        passwords.push(pw);
    }
    // Both the WAL (before a checkpoint) and the main file (after it).
    let before = text(&all_file_bytes(dir.path(), true));
    drop(reg);
    let after = text(&all_file_bytes(dir.path(), true));
    assert!(
        before.contains("user17"),
        "the scan sees plain columns, so it would see a password"
    );
    // Every password starts with one of these markers, which no other column holds: finding
    // neither anywhere proves that no password (nor any long piece of one) is in the files.
    for marker in ["Secret-", "Rotated-"] {
        assert!(
            !before.contains(marker) && !after.contains(marker),
            "a password ({marker}...) is in the files"
        );
    }
    // And they all read back.
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    let creds = reg.list_credentials("acme").unwrap();
    assert_eq!(creds.len(), 300);
    assert!(creds.iter().all(|c| {
        c.expose_password()
            .is_some_and(|p| passwords.iter().any(|x| x == p))
    }));
}

#[test]
fn key_file_is_created_0600_and_a_wrong_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    {
        let reg = Registry::new(SqliteStore::open(&db).unwrap());
        reg.create_credential_json(
            "acme",
            r#"{"server":"a.example.com","authUser":"u","authPassword":"p"}"#,
        )
        .unwrap();
    }
    let key_path = dir.path().join("sipcreds.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The right key from its text works.
    let text = std::fs::read_to_string(&key_path).unwrap();
    let store = SqliteStore::open_with(
        &db,
        Key::from_base64(&text, "test").unwrap(),
        Durability::Normal,
    )
    .unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    // Another key: refused at open, with a message that says what to do.
    let (other, _) = Key::generate("other");
    let err = SqliteStore::open_with(&db, other, Durability::Full).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    assert!(
        err.to_string().contains("does not match this database"),
        "{err}"
    );
    // A lost key file: a new one would be created, and is refused the same way.
    std::fs::remove_file(&key_path).unwrap();
    let err = SqliteStore::open(&db).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    // Garbage keys.
    assert_eq!(
        Key::from_base64("not base64!", "x").unwrap_err().code(),
        ErrorCode::Storage
    );
    assert!(
        Key::from_base64("AAAA", "x")
            .unwrap_err()
            .to_string()
            .contains("32")
    );
}

#[test]
fn data_survives_reopen_and_the_schema_is_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let id = {
        let reg = Registry::new(SqliteStore::open(&db).unwrap());
        let c = reg
            .create_credential_json("acme", r#"{"server":"a.example.com","cpsKey":"k"}"#)
            .unwrap();
        reg.link_number("acme", "+14155550100", c.id.as_str())
            .unwrap();
        c.id
    };
    assert!(dir.path().join("x.key").exists());
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), 5);
    let reg = Registry::new(store);
    assert_eq!(
        reg.usage("acme", id.as_str()).unwrap().phone_numbers,
        ["+14155550100"]
    );

    // A file from a newer sipcreds is refused, not misread.
    drop(reg);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&db).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn foreign_keys_forbid_dangling_links_even_in_raw_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    let c = reg
        .create_credential_json("acme", r#"{"server":"a.example.com"}"#)
        .unwrap();
    reg.link_number("acme", "+14155550100", c.id.as_str())
        .unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    assert!(
        conn.execute("DELETE FROM credentials WHERE id = ?1", [c.id.as_str()])
            .is_err()
    );
    assert!(conn
        .execute("INSERT INTO numbers (org, number, credential_id) VALUES ('acme', '+14155550199', 'cred_01JD0000000000000000000000')", [])
        .is_err());
}

/// Two stores on one file (as two processes would have) racing deletes against links.
#[test]
fn two_connections_racing_deletes_and_links_leave_no_dangling_link() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("race.db");
    let a = Registry::new(SqliteStore::open(&db).unwrap());
    let b = Registry::new(SqliteStore::open(&db).unwrap());
    let ids: Vec<String> = (0..200)
        .map(|i| {
            a.create_credential_json("acme", &format!(r#"{{"server":"r{i}.example.com"}}"#))
                .unwrap()
                .id
                .to_string()
        })
        .collect();
    std::thread::scope(|s| {
        let ids = &ids;
        let a = &a;
        let b = &b;
        s.spawn(move || {
            for (i, id) in ids.iter().enumerate() {
                let _ = a.delete_credential("acme", id, i % 2 == 0);
            }
        });
        s.spawn(move || {
            for round in 0..3 {
                for (i, id) in ids.iter().enumerate() {
                    let n = format!("+1415555{:04}", (round * 100 + i) % 10_000);
                    match b.link_number("acme", &n, id) {
                        Ok(_) => {}
                        Err(e) => assert_eq!(e.code(), ErrorCode::NotFound, "{e}"),
                    }
                }
            }
        });
    });
    let existing: std::collections::HashSet<String> = a
        .list_credentials("acme")
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    for n in a.list_numbers("acme").unwrap() {
        if let Some(c) = n.credential_id {
            assert!(
                existing.contains(c.as_str()),
                "{} links to deleted {c}",
                n.number
            );
        }
    }
}

/// The child side of the crash test: writes until killed, printing each id after its commit.
#[test]
fn crash_child_writer() {
    let Ok(db) = std::env::var("SIPCREDS_CRASH_CHILD_DB") else {
        return;
    };
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let c = reg
            .create_credential_json(
                "acme",
                &format!(r#"{{"server":"k{i}.example.com","authUser":"u","authPassword":"p{i}"}}"#),
            )
            .unwrap();
        reg.link_number(
            "acme",
            &format!("+1{:010}", 2_000_000_000u64 + i),
            c.id.as_str(),
        )
        .unwrap();
        use std::io::Write;
        writeln!(out, "ACK {} {}", c.id, i).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_in_the_middle_of_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SIPCREDS_CRASH_CHILD_DB", &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ACK ") {
                    if acked.is_empty() {
                        let _ = first_tx.send(());
                    }
                    acked.push(rest.split(' ').next().unwrap().to_owned());
                }
            }
            acked
        });
        // Once it is writing (a loaded machine may take a while to start it), let it write
        // for a while (longer each round), then kill it without warning.
        let start = Instant::now();
        let started = first_rx.recv_timeout(Duration::from_secs(60)).is_ok();
        std::thread::sleep(Duration::from_millis(300 + 200 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(started, "the child wrote nothing in {:?}", start.elapsed());
        let acked = reader.join().unwrap();

        let store = SqliteStore::open(&db).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let reg = Registry::new(store);
        let present: std::collections::HashSet<String> = reg
            .list_credentials("acme")
            .unwrap()
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        for id in &acked {
            assert!(
                present.contains(id),
                "acknowledged {id} is lost (round {round})"
            );
            assert_eq!(
                reg.usage("acme", id).unwrap().phone_numbers.len(),
                1,
                "its link is lost"
            );
        }
        eprintln!(
            "round {round}: {} acknowledged writes, {} present",
            acked.len(),
            present.len()
        );
    }
}

/// A file written before the change counter (schema 2) is migrated in place: its credentials
/// are read as rate rows, the counter starts at 0 and moves with the next write, and a
/// refreshing registry follows it.
#[test]
fn a_schema_2_file_gains_the_change_counter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let key = || Key::from_bytes(&[5; 32], "test");
    let id = {
        let reg = Registry::new(SqliteStore::open_with(&db, key(), Durability::Normal).unwrap());
        reg.create_credential_json("acme", r#"{"server":"a.example.com","cpsLimit":4}"#)
            .unwrap()
            .id
    };
    // Take the file back to schema 2, as an older sipcreds left it.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE health_events; DROP TABLE health;
         DROP INDEX credentials_by_change; DROP INDEX credentials_rate_rows;
         DROP TABLE org_changes; DROP TABLE credential_removals;
         ALTER TABLE credentials DROP COLUMN changed; DROP TABLE tokens; PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    let store =
        std::sync::Arc::new(SqliteStore::open_with(&db, key(), Durability::Normal).unwrap());
    assert_eq!(store.schema_version().unwrap(), 5);
    let org = sipcreds::Org::parse("acme").unwrap();
    let read = |f: &dyn Fn(&dyn sipcreds::Tx) -> sipcreds::Result<Option<u64>>| {
        let mut out = None;
        sipcreds::Storage::read(&*store, &mut |tx| {
            out = f(tx)?;
            Ok(())
        })
        .unwrap();
        out
    };
    assert_eq!(read(&|tx| tx.change_counter(&org)), Some(0));
    let reader = Registry::from_arc(store.clone()).with_limit_refresh(Duration::ZERO);
    assert_eq!(reader.rate_groups("acme").unwrap()[0].limit, Some(4));
    assert!(
        reader
            .try_acquire("acme", id.as_str())
            .unwrap()
            .is_admitted()
    );
    let writer = Registry::from_arc(store.clone());
    writer
        .update_credential_json("acme", id.as_str(), r#"{"cpsLimit":1}"#)
        .unwrap();
    assert_eq!(read(&|tx| tx.change_counter(&org)), Some(1));
    reader.try_acquire("acme", id.as_str()).unwrap();
    assert_eq!(
        reader.limiter().limit_of("acme", id.as_str()).unwrap(),
        Some(1)
    );
}
