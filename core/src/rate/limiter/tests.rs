use super::*;
use crate::Registry;
use crate::rate::clock::ManualClock;

/// A credential created in `org` from its JSON (a test's fixture: it must be valid).
pub(super) fn create(reg: &Registry, org: &str, json: &str) -> Credential {
    reg.create_credential_json(org, json).unwrap()
}

/// A credential of `org` at `server` in the rate group `k`, limited to 1 call a second.
pub(super) fn keyed(reg: &Registry, org: &str, server: &str) -> Credential {
    let json = format!(r#"{{"server":"{server}","cpsKey":"k","cpsLimit":1}}"#);
    create(reg, org, &json)
}

#[test]
fn decisions_serialize_to_the_wire_shape() {
    let admitted = Decision::Admitted {
        wait: Duration::from_micros(1_500),
        at: 7,
    };
    let rejected = Decision::Rejected {
        retry_after: Duration::from_millis(40),
    };
    assert_eq!(
        serde_json::to_string(&admitted).unwrap(),
        r#"{"admitted":true,"waitMs":2}"#
    );
    assert_eq!(
        serde_json::to_string(&rejected).unwrap(),
        r#"{"admitted":false,"retryAfterMs":40}"#
    );
    assert_eq!(admitted.to_json()["waitMs"], 2);
}

#[test]
fn margin_widens_the_window_and_nothing_else() {
    let reg = Registry::in_memory();
    let c = create(&reg, "a", r#"{"server":"x.example.com","cpsLimit":2}"#);
    let clock = ManualClock::new();
    let lim =
        RateLimiter::in_process(Arc::new(clock.clone())).with_margin(Duration::from_millis(10));
    assert_eq!(lim.margin(), Duration::from_millis(10));
    lim.set_org_credentials("a", &reg.list_credentials("a").unwrap())
        .unwrap();
    let id = c.id.as_str();
    assert!(lim.try_acquire("a", id).unwrap().is_admitted());
    assert!(lim.try_acquire("a", id).unwrap().is_admitted());
    assert_eq!(
        lim.try_acquire("a", id).unwrap(),
        Decision::Rejected {
            retry_after: Duration::from_millis(1010)
        }
    );
    clock.advance(Duration::from_secs(1));
    assert!(!lim.try_acquire("a", id).unwrap().is_admitted());
    clock.advance(Duration::from_millis(10));
    assert!(lim.try_acquire("a", id).unwrap().is_admitted());
    // The real-time limiters carry the default margin; `new` starts exact.
    assert_eq!(RateLimiter::in_process_real_time().margin(), DEFAULT_MARGIN);
    assert_eq!(
        RateLimiter::in_process(Arc::new(ManualClock::new())).margin(),
        Duration::ZERO
    );
}

#[test]
fn an_id_past_128_bits_is_not_found_not_aliased() {
    let reg = Registry::in_memory();
    let c = create(&reg, "a", r#"{"server":"x.example.com","cpsLimit":1}"#);
    let lim = RateLimiter::in_process(Arc::new(ManualClock::new()));
    lim.set_org_credentials("a", &reg.list_credentials("a").unwrap())
        .unwrap();
    // The same low 128 bits with a first character past 7 (bits the decoder would drop).
    let body = &c.id.as_str()[CredentialId::PREFIX.len()..];
    let first = body.as_bytes()[0];
    let alias = format!(
        "{}{}{}",
        CredentialId::PREFIX,
        (first + 8) as char,
        &body[1..]
    );
    assert_eq!(id_key(&alias), None);
    assert_eq!(
        lim.try_acquire("a", &alias).unwrap_err().code(),
        crate::ErrorCode::NotFound
    );
    assert!(lim.try_acquire("a", c.id.as_str()).unwrap().is_admitted());
    // Lowercase is the same id, as everywhere.
    assert!(id_key(&c.id.as_str().to_lowercase()).is_some());
}

#[test]
fn two_orgs_with_the_same_key_never_share() {
    let reg = Registry::in_memory();
    let a = keyed(&reg, "a", "x.example.com");
    let b = keyed(&reg, "b", "x.example.com");
    let lim = RateLimiter::in_process(Arc::new(ManualClock::new()));
    lim.set_org_credentials("a", &reg.list_credentials("a").unwrap())
        .unwrap();
    lim.set_org_credentials("b", &reg.list_credentials("b").unwrap())
        .unwrap();
    assert!(lim.try_acquire("a", a.id.as_str()).unwrap().is_admitted());
    assert!(lim.try_acquire("b", b.id.as_str()).unwrap().is_admitted());
    assert_eq!(
        lim.try_acquire("b", a.id.as_str()).unwrap_err().code(),
        crate::ErrorCode::NotFound
    );
}

#[test]
fn rekeying_moves_between_groups_at_once() {
    let reg = Registry::in_memory();
    let a = keyed(&reg, "o", "a.example.com");
    let b = keyed(&reg, "o", "b.example.com");
    let lim = RateLimiter::in_process(Arc::new(ManualClock::new()));
    lim.set_org_credentials("o", &reg.list_credentials("o").unwrap())
        .unwrap();
    assert!(lim.try_acquire("o", a.id.as_str()).unwrap().is_admitted());
    assert!(
        !lim.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
        "b shares a's group"
    );
    let b2 = reg
        .update_credential_json("o", b.id.as_str(), r#"{"cpsKey":null}"#)
        .unwrap();
    lim.upsert_credential(&b2).unwrap();
    assert!(
        lim.try_acquire("o", b.id.as_str()).unwrap().is_admitted(),
        "b is alone now"
    );
    assert_eq!(lim.limit_of("o", a.id.as_str()).unwrap(), Some(1));
    lim.remove_credential("o", a.id.as_str()).unwrap();
    assert!(lim.try_acquire("o", a.id.as_str()).is_err());
}
