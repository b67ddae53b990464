use super::tests::{create, keyed};
use super::*;
use crate::Registry;
use crate::rate::clock::ManualClock;

/// A configured group's state survives sweeps and regrouping: B joining A's group after A
/// was admitted must see A's admission.
#[test]
fn regrouping_keeps_the_window() {
    let clock = ManualClock::new();
    let lim = Arc::new(RateLimiter::in_process(Arc::new(clock.clone())));
    let reg = Registry::with_limiter(Arc::new(crate::MemoryStore::new()), lim.clone());
    let a = keyed(&reg, "o", "a.example.com");
    let b = create(&reg, "o", r#"{"server":"b.example.com","cpsLimit":1}"#);
    assert!(reg.try_acquire("o", a.id.as_str()).unwrap().is_admitted());
    clock.advance(Duration::from_millis(10));
    reg.update_credential_json("o", b.id.as_str(), r#"{"cpsKey":"k"}"#)
        .unwrap();
    assert!(
        !reg.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
        "b joined a group that used its second"
    );
    assert!(lim.backend().state_bytes() > 0);
}
