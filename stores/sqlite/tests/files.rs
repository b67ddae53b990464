//! §10 file hygiene: the database, its WAL and shared-memory files and the key file are
//! created 0600 whatever the umask; a key file another user could have planted or read is
//! refused with the fix; a key file is written whole or not at all.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use sipcreds::{ErrorCode, Registry};
use sipcreds_sqlite::{Key, SqliteStore};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Run one of the child tests below in a shell that sets `setup` first (a umask, a file size
/// limit), without `SIPCREDS_KEY`, so that the key file is used.
fn child(name: &str, db: &Path, setup: &str) -> std::process::ExitStatus {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{setup}; exec \"$0\" --exact {name} --nocapture --test-threads=1"
        ))
        .arg(std::env::current_exe().unwrap())
        .env("SIPCREDS_FILES_CHILD_DB", db)
        .env_remove("SIPCREDS_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
}

/// Child: open the store and write one credential.
#[test]
fn files_child_writer() {
    let Ok(db) = std::env::var("SIPCREDS_FILES_CHILD_DB") else {
        return;
    };
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    reg.create_credential_json(
        "acme",
        r#"{"server":"a.example.com","authUser":"u","authPassword":"p"}"#,
    )
    .unwrap();
    // Keep the WAL and shared-memory files: check them while the connection is open.
    assert!(Path::new(&format!("{db}-wal")).exists());
    assert!(Path::new(&format!("{db}-shm")).exists());
    let modes: Vec<String> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| format!("{:o}", mode(Path::new(&format!("{db}{s}")))))
        .collect();
    std::fs::write(format!("{db}.modes"), modes.join(" ")).unwrap();
}

#[test]
fn every_file_is_created_0600_under_the_usual_umask() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    assert!(child("files_child_writer", &db, "umask 022").success());
    let modes = std::fs::read_to_string(dir.path().join("sipcreds.db.modes")).unwrap();
    assert_eq!(modes, "600 600 600", "db, -wal, -shm");
    assert_eq!(mode(&dir.path().join("sipcreds.key")), 0o600);
    assert_eq!(mode(&db), 0o600);
    // The file limiter's own open of a new path creates it private too.
    let other = dir.path().join("limiter-only.db");
    let _ = sipcreds_sqlite::SqliteRateBackend::open(&other);
    assert_eq!(mode(&other), 0o600);
}

#[test]
fn a_crash_while_writing_the_key_file_leaves_no_key_file_that_blocks_later_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sipcreds.db");
    // `ulimit -f 0`: the first byte written to any file kills the process (SIGXFSZ), as a
    // crash in the middle of writing the key would.
    let status = child("files_child_writer", &db, "ulimit -f 0");
    assert!(!status.success());
    let key = dir.path().join("sipcreds.key");
    assert!(
        !key.exists() || std::fs::metadata(&key).unwrap().len() > 0,
        "an empty key file was left behind"
    );
    // The next open creates a key and works.
    assert!(child("files_child_writer", &db, "true").success());
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 44);
}

fn open_err(db: &Path) -> sipcreds::Error {
    // SIPCREDS_KEY would bypass the key file: these tests are about the file.
    assert!(
        std::env::var_os(sipcreds_sqlite::KEY_ENV).is_none(),
        "unset SIPCREDS_KEY to run the key file tests"
    );
    SqliteStore::open(db).unwrap_err()
}

#[test]
fn a_key_file_that_others_could_plant_or_read_is_refused_with_the_fix() {
    if std::env::var_os(sipcreds_sqlite::KEY_ENV).is_some() {
        panic!("unset SIPCREDS_KEY to run the key file tests");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let key = dir.path().join("x.key");
    let (_, text) = Key::generate("t");
    // Readable by others.
    std::fs::write(&key, format!("{}\n", &*text)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = open_err(&db);
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(e.to_string().contains("chmod 600"), "{e}");
    assert!(e.to_string().contains("0644"), "{e}");
    // Writable by the group.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o620)).unwrap();
    assert!(open_err(&db).to_string().contains("chmod 600"));
    // Private: accepted.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    drop(SqliteStore::open(&db).unwrap());
    // A symbolic link to an attacker's key (here: to a private file of ours, which must be
    // refused all the same: the link is the problem).
    let planted = dir.path().join("planted.key");
    std::fs::rename(&key, &planted).unwrap();
    std::os::unix::fs::symlink(&planted, &key).unwrap();
    let e = open_err(&db);
    assert_eq!(e.code(), ErrorCode::Storage);
    assert!(e.to_string().contains("symbolic link"), "{e}");
    std::fs::remove_file(&key).unwrap();
    std::fs::rename(&planted, &key).unwrap();
    // A directory where the key file should be.
    let db2 = dir.path().join("y.db");
    std::fs::create_dir(dir.path().join("y.key")).unwrap();
    assert_eq!(open_err(&db2).code(), ErrorCode::Storage);
    // Owned by another user (only root can make one).
    if rustix::process::geteuid().is_root() {
        rustix::fs::chown(&key, Some(rustix::fs::Uid::from_raw(12345)), None).unwrap();
        let e = open_err(&db);
        assert!(e.to_string().contains("uid 12345"), "{e}");
        assert!(e.to_string().contains("chown"), "{e}");
    } else {
        eprintln!("not root: the other-owner case of the key file check is not run");
    }
}

#[test]
fn two_processes_creating_the_key_at_once_agree_on_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("race.db");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "files_child_writer", "--test-threads=1"])
                .env("SIPCREDS_FILES_CHILD_DB", &db)
                .env_remove("SIPCREDS_KEY")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // One key, which decrypts all four rows; no temporary file left.
    let reg = Registry::new(SqliteStore::open(&db).unwrap());
    let creds = reg.list_credentials("acme").unwrap();
    assert_eq!(creds.len(), 4);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
