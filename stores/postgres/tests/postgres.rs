//! The PostgreSQL store against a real server (`SIPCREDS_TEST_POSTGRES_URL`, started by
//! `scripts/ci/services.sh`): the registry conformance suite, passwords at rest, the key
//! check, and two registries racing deletes against links.
//!
//! Without the variable these tests say so and pass, unless `SIPCREDS_REQUIRE_SERVICES=1`
//! (CI sets it), where a missing server fails them.

use std::sync::atomic::{AtomicUsize, Ordering};

use sipcreds::{ErrorCode, Registry};
use sipcreds_postgres::PostgresStore;
use sipcreds_sql::Key;

fn base_url() -> Option<String> {
    match std::env::var("SIPCREDS_TEST_POSTGRES_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            assert!(
                std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
                "SIPCREDS_TEST_POSTGRES_URL is not set: start the server with scripts/ci/services.sh"
            );
            eprintln!("skipped: no SIPCREDS_TEST_POSTGRES_URL");
            None
        }
    }
}

/// A fresh, empty database on the test server; its URL.
fn fresh_database() -> Option<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = base_url()?;
    let name = format!(
        "sipcreds_t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

fn key() -> Key {
    Key::from_bytes(&[42; 32], "test")
}

fn fresh() -> Registry {
    match fresh_database() {
        Some(url) => Registry::new(PostgresStore::connect_with(&url, key()).unwrap()),
        // No server: the suite runs on memory, so the macro's tests still mean something.
        None => Registry::in_memory(),
    }
}

mod conformance {
    use super::fresh;
    sipcreds_conformance::registry_conformance!(fresh);

    fn fresh_store() -> std::sync::Arc<dyn sipcreds::Storage> {
        match super::fresh_database() {
            Some(url) => {
                std::sync::Arc::new(super::PostgresStore::connect_with(&url, super::key()).unwrap())
            }
            None => std::sync::Arc::new(sipcreds::MemoryStore::new()),
        }
    }
    sipcreds_conformance::storage_conformance!(fresh_store);
}

#[test]
fn passwords_are_encrypted_at_rest_and_a_wrong_key_is_refused() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::connect_with(&url, key()).unwrap();
    assert_eq!(store.schema_version().unwrap(), sipcreds_postgres::LATEST);
    let reg = Registry::new(store);
    let c = reg
        .create_credential_json(
            "acme",
            r#"{"server":"sip.example.com","authUser":"u","authPassword":"Pg-Secret-At-Rest-9"}"#,
        )
        .unwrap();
    // The table holds ciphertext only.
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = raw
        .query_one(
            "SELECT password, server FROM sipcreds_credentials WHERE id = $1",
            &[&c.id.as_str()],
        )
        .unwrap();
    let blob: Vec<u8> = row.get(0);
    assert!(!String::from_utf8_lossy(&blob).contains("Pg-Secret"));
    assert_eq!(row.get::<_, String>(1), "sip.example.com");
    let dump: i64 = raw
        .query_one(
            "SELECT count(*) FROM sipcreds_credentials WHERE encode(password, 'escape') LIKE '%Pg-Secret%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dump, 0);
    assert_eq!(
        reg.get_credential("acme", c.id.as_str())
            .unwrap()
            .expose_password(),
        Some("Pg-Secret-At-Rest-9")
    );
    // A second instance with the same key reads it; with another key it is refused at once.
    let again = Registry::new(PostgresStore::connect_with(&url, key()).unwrap());
    assert_eq!(again.list_credentials("acme").unwrap().len(), 1);
    let e = PostgresStore::connect_with(&url, Key::from_bytes(&[1; 32], "wrong")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(e.to_string().contains("does not match"), "{e}");
    // A bad URL and an unreachable server are storage errors that never show the password.
    let e =
        PostgresStore::connect_with("postgres://u:Hunter2-pw@127.0.0.1:1/x", key()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(!e.to_string().contains("Hunter2"), "{e}");
}

#[test]
fn two_registries_racing_deletes_against_links_leave_no_dangling_link() {
    let Some(url) = fresh_database() else { return };
    let a = Registry::new(PostgresStore::connect_with(&url, key()).unwrap());
    let b = Registry::new(PostgresStore::connect_with(&url, key()).unwrap());
    let mut deleted_in_use = 0;
    for round in 0..40 {
        let c = a
            .create_credential_json("acme", r#"{"server":"race.example.com"}"#)
            .unwrap();
        let id = c.id.to_string();
        let number = format!("+1415555{round:04}");
        // One instance links numbers while the other deletes the credential (unforced).
        let (links, delete) = std::thread::scope(|s| {
            let linker = s.spawn(|| {
                (0..3)
                    .map(|k| {
                        let n = format!("{}{k}", &number[..number.len() - 1]);
                        b.link_number("acme", &n, &id).map(drop)
                    })
                    .collect::<Vec<_>>()
            });
            let deleter = s.spawn(|| a.delete_credential("acme", &id, false).map(drop));
            (linker.join().unwrap(), deleter.join().unwrap())
        });
        match delete {
            // Deleted: every link must have failed (not found), or been made before and so
            // refused the delete; none may point at the gone credential.
            Ok(()) => {
                for l in &links {
                    if let Err(e) = l {
                        assert_eq!(e.code(), ErrorCode::NotFound);
                    }
                }
            }
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::InUse);
                deleted_in_use += 1;
            }
        }
        for reg in [&a, &b] {
            let ids: Vec<String> = reg
                .list_credentials("acme")
                .unwrap()
                .iter()
                .map(|c| c.id.to_string())
                .collect();
            for n in reg.list_numbers("acme").unwrap() {
                if let Some(c) = n.credential_id {
                    assert!(ids.contains(&c.to_string()), "{} dangles", n.number);
                }
            }
        }
    }
    // Both outcomes happened, so the race was real.
    assert!(
        deleted_in_use > 0 && deleted_in_use < 40,
        "{deleted_in_use} of 40 refused"
    );
}

#[test]
fn the_database_refuses_a_dangling_link_even_in_raw_sql() {
    let Some(url) = fresh_database() else { return };
    let store = PostgresStore::connect_with(&url, key()).unwrap();
    let e = store
        .raw_execute(
            "INSERT INTO sipcreds_numbers (org, number, credential_id) VALUES ('acme', '+14155550100', 'cred_01ARZ3NDEKTSV4RRFFQ69G5FAV')",
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(
        e.to_string().contains("23503"),
        "a foreign key violation: {e}"
    );
}

/// Every statement shared with SQLite prepares on a migrated PostgreSQL database.
#[test]
fn every_shared_statement_prepares() {
    let Some(url) = fresh_database() else { return };
    drop(PostgresStore::connect_with(&url, key()).unwrap());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for (name, sql) in sipcreds_sql::Dialect::Postgres.statements().all() {
        client
            .prepare(sql)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{sql}"));
    }
}
