//! Replays the stateful fuzz targets' committed inputs (`fuzz/corpus/registry_ops/`) and
//! minimized crashers (`core/tests/fuzz-crashers/registry_ops/`) with plain `cargo test`:
//! each decodes, as libFuzzer's `fuzz_target!` decodes it, into a sequence of registry
//! operations that runs on memory and on SQLite at once, with the invariants checked after
//! every step (`registry_ops` and `registry_memory` share this corpus).

#[path = "../../fuzz/src/registry.rs"]
mod registry;

use arbitrary::{Arbitrary, Unstructured};
use registry::{Op, Side};

#[test]
fn registry_ops_corpus_and_crashers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    let mut steps = 0;
    for dir in [
        root.join("fuzz/corpus/registry_ops"),
        root.join("core/tests/fuzz-crashers/registry_ops"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            let Ok(ops) = Vec::<Op>::arbitrary_take_rest(Unstructured::new(&bytes)) else {
                continue;
            };
            if ops.len() > 64 {
                continue;
            }
            let key = sipcreds_sqlite::Key::from_bytes(&[7; 32], "fuzz");
            let store = sipcreds_sqlite::SqliteStore::open_with(
                ":memory:",
                key,
                sipcreds_sqlite::Durability::Normal,
            )
            .unwrap();
            let mut memory = Side::new(sipcreds::Registry::in_memory());
            let mut sqlite = Side::new(sipcreds::Registry::new(store));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                registry::run_every_step(&mut memory, &mut sqlite, &ops)
            }));
            assert!(outcome.is_ok(), "{} fails its check", e.path().display());
            n += 1;
            steps += ops.len();
        }
    }
    assert!(n >= 100, "only {n} inputs replayed");
    assert!(steps >= 300, "only {steps} steps replayed");
}
