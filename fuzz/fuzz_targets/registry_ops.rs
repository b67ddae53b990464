//! Random registry operation sequences on memory and on SQLite at once: see
//! `sipcreds_fuzz::registry`. SQLite runs on an in-memory database (`:memory:`, the same
//! schema, SQL and encryption as a file; a file per run would cost milliseconds).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sipcreds_fuzz::registry::{Op, Side, run};

fuzz_target!(|ops: Vec<Op>| {
    if ops.len() > 64 {
        return;
    }
    let key = sipcreds_sqlite::Key::from_bytes(&[7; 32], "fuzz");
    let store = sipcreds_sqlite::SqliteStore::open_with(
        ":memory:",
        key,
        sipcreds_sqlite::Durability::Normal,
    )
    .expect("open an in-memory SQLite store");
    let mut memory = Side::new(sipcreds::Registry::in_memory());
    let mut sqlite = Side::new(sipcreds::Registry::new(store));
    run(&mut memory, &mut sqlite, &ops);
});
