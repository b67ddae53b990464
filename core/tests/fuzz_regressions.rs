//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and minimized crashers
//! (`core/tests/fuzz-crashers/<target>/`) through the fuzz targets' own checks, which this
//! file includes, so a crash once found stays fixed under plain `cargo test`.

#[path = "../../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("../fuzz/corpus").join(target),
        root.join("tests/fuzz-crashers").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            out.push((e.path().display().to_string(), bytes));
        }
    }
    out
}

fn replay(target: &str, check: fn(&str), at_least: usize) {
    let all = inputs(target);
    assert!(
        all.len() >= at_least,
        "{target}: {} inputs, expected at least {at_least}",
        all.len()
    );
    for (name, bytes) in all {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let outcome = std::panic::catch_unwind(|| check(text));
            assert!(outcome.is_ok(), "{target}: {name} fails its check");
        }
    }
}

#[test]
fn credential_json_corpus_and_crashers() {
    replay("credential_json", checks::credential_body, 200);
}

#[test]
fn patch_json_corpus_and_crashers() {
    replay("patch_json", checks::patch_body, 200);
}

#[test]
fn server_corpus_and_crashers() {
    replay("server", checks::server, 50);
}

#[test]
fn e164_corpus_and_crashers() {
    replay("e164", checks::e164, 8);
}
