//! The generated files are what the core's declarations render (`sipcreds_conformance::codegen`):
//! a list kept by hand would drift. `SIPCREDS_BLESS=1` rewrites them.

use std::path::Path;

#[test]
fn generated_files_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bless = std::env::var_os("SIPCREDS_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, content) in sipcreds_conformance::codegen::generated_files() {
        let file = root.join(path);
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        if current != content {
            if bless {
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).unwrap();
                }
                std::fs::write(&file, content).unwrap();
            } else {
                stale.push(path);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files out of date: {stale:?}; run SIPCREDS_BLESS=1 cargo test -p sipcreds-conformance --test generated"
    );
}
