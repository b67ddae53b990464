//! Files of the store and their permissions (§10): the database (and so its WAL and shared
//! memory files, which SQLite creates with the database's own mode) and the key file are
//! readable by their owner only, whatever the umask; an existing key file is used only if it
//! is a regular file of this user that nobody else can read or write; a new key file appears
//! whole or not at all.

use std::io::Write;
use std::path::Path;

use sipcreds::{Error, Result};

/// Create the database file with mode 0600 if it does not exist yet, so that SQLite (which
/// would create it with 0644 under the usual umask) opens a private file, and gives its
/// `-wal` and `-shm` files the same mode. The names SQLite does not take as a file path (the
/// in-memory `:memory:`, the private temporary `""`, a `file:` URI) are left to SQLite, so no
/// file named `:memory:` appears in the working folder.
pub(crate) fn create_private_database(path: &Path) -> Result<()> {
    if !names_a_plain_file(path) {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A missing folder and the like: SQLite's own open says it, with its path.
        Err(_) => Ok(()),
    }
}

/// Whether SQLite opens `path` as a file of that name (it takes `:memory:` and `""` as
/// databases with no file, and `file:...` as a URI, rusqlite opening with `SQLITE_OPEN_URI`).
fn names_a_plain_file(path: &Path) -> bool {
    let text = path.as_os_str().as_encoded_bytes();
    !(text.is_empty() || text == b":memory:" || text.starts_with(b"file:"))
}

/// A path for messages: what [`sipcreds::redact_location`] would hide stays hidden (a location
/// mistaken for a path may hold a password).
pub(crate) fn shown(path: &Path) -> String {
    sipcreds::redact_location(&path.display().to_string())
}

/// Read an existing key file, refusing one that another user could have planted or read.
/// `Ok(None)` when there is none.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<zeroize::Zeroizing<String>>> {
    let shown = shown(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A symbolic link is refused by the open itself (no check-then-use race).
        opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            #[cfg(unix)]
            if path
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(Error::storage(format!(
                    "the key file {shown} is a symbolic link, which another user could point at a key of theirs: replace it with the key file itself (or set SIPCREDS_KEY)"
                )));
            }
            return Err(Error::storage(format!(
                "cannot read the key file {shown}: {e}"
            )));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::storage(format!("cannot read the key file {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::storage(format!(
            "the key file {shown} is not a regular file: move it away, or set SIPCREDS_KEY"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(Error::storage(format!(
                "the key file {shown} belongs to uid {}, not to this user (uid {me}): someone else may have planted it; if it is yours, run `chown {me} {shown}`",
                meta.uid()
            )));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::storage(format!(
                "the key file {shown} has mode {mode:04o}: group or others can read or change it; run `chmod 600 {shown}`"
            )));
        }
    }
    // Room for any key file up front: a growing String would leave unwiped copies behind.
    let mut text = zeroize::Zeroizing::new(String::with_capacity(256));
    std::io::Read::read_to_string(&mut &file, &mut text)
        .map_err(|e| Error::storage(format!("cannot read the key file {shown}: {e}")))?;
    Ok(Some(text))
}

/// Write a new key file whole or not at all: the text goes to a private temporary file in
/// the same folder, is synced, and is then linked into place, which fails if another process
/// linked its own first (`Ok(false)`: read theirs). A crash or a full disk leaves at most a
/// stray temporary file, never an empty or partial key file.
pub(crate) fn write_key_file(path: &Path, text: &str) -> Result<bool> {
    let shown = shown(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail =
        |e: std::io::Error| Error::storage(format!("cannot create the key file {shown}: {e}"));
    // tempfile creates it with mode 0600, whatever the umask.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sipcreds-key-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.write_all(b"\n"))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(fail)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {
            // Make the new name durable too.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(true)
        }
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sqlite_keeps_in_memory_get_no_file() {
        // Run in the crate folder (cargo test's working directory): before the fix this left a
        // file named ":memory:" there.
        for name in [":memory:", "", "file:private?mode=memory"] {
            create_private_database(Path::new(name)).unwrap();
            if !name.is_empty() {
                assert!(!Path::new(name).exists(), "{name:?} was created as a file");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        create_private_database(&db).unwrap();
        assert!(db.exists());
    }
}
