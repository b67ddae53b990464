//! Replays the committed corpus and crashers of the `sip_response` fuzz target
//! (`fuzz/corpus/sip_response/`, and the minimized crashers in `probe/tests/fuzz-crashers/sip_response/`) through the same checks.

#[test]
fn sip_response_corpus_and_crashers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    for dir in [
        "fuzz/corpus/sip_response",
        "probe/tests/fuzz-crashers/sip_response",
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| sipcreds_probe::message::check_invariants(&data));
            assert!(r.is_ok(), "{} fails the checks", path.display());
            n += 1;
        }
    }
    assert!(n >= 8, "the corpus is missing: {n} inputs");
}
