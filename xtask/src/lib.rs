//! The maintainers' tasks (the `cargo xtask` convention): the files generated from the core's
//! declarations, so that no surface keeps a list of its own. `cargo xtask codegen` writes
//! them; `cargo xtask codegen --check` (and this crate's test, which CI runs) fails when a
//! committed file is not what the core renders.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub mod codegen;
mod openapi;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The generated files (paths from the root) whose committed content is not what the core
/// renders; with `write`, each is rewritten.
pub fn stale_files(write: bool) -> std::io::Result<Vec<&'static str>> {
    let root = root();
    let mut stale = Vec::new();
    for (path, content) in codegen::generated_files() {
        let file = root.join(path);
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        if current != content {
            if write {
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&file, content)?;
            }
            stale.push(path);
        }
    }
    Ok(stale)
}
