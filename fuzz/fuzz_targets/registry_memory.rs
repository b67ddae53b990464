//! Random registry operation sequences on the in-memory registry alone, the invariants
//! checked after every step (no dangling link, usage equal to the links, provider-managed
//! credentials untouched, orgs isolated): the fast stateful target. `registry_ops` runs the
//! same sequences on SQLite as well and compares the two.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sipcreds_fuzz::registry::{Op, Side, run_one};

fuzz_target!(|ops: Vec<Op>| {
    if ops.len() > 64 {
        return;
    }
    run_one(&mut Side::new(sipcreds::Registry::in_memory()), &ops);
});
