use super::*;

fn id() -> CredentialId {
    CredentialId::parse("cred_01JD0000000000000000000000", "id").unwrap()
}

fn result(outcome: &str, secs: i64) -> ProbeResult {
    ProbeResult {
        outcome: outcome.into(),
        status: None,
        reason: None,
        rtt_ms: Some(3),
        at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(secs),
    }
}

#[test]
fn the_table() {
    let t = Thresholds::default();
    let mut r = HealthRecord::unknown(id(), OffsetDateTime::UNIX_EPOCH, None);
    assert_eq!(r.apply(&result("ok", 1), t).unwrap().to, HealthState::Up);
    assert_eq!(
        r.apply(&result("timeout", 2), t).unwrap().to,
        HealthState::Degraded
    );
    assert!(r.apply(&result("timeout", 3), t).is_none());
    let e = r.apply(&result("timeout", 4), t).unwrap();
    assert_eq!((e.from, e.to), (HealthState::Degraded, HealthState::Down));
    assert_eq!((r.probes, r.failures, r.consecutive_failures), (1, 1, 3));
    // A soft failure leaves down as it is, and ends the run of hard failures.
    assert!(r.apply(&result("overloaded", 5), t).is_none());
    assert_eq!(r.consecutive_failures, 1);
    assert!(r.apply(&result("ok", 6), t).is_none());
    assert_eq!(r.apply(&result("ok", 7), t).unwrap().to, HealthState::Up);
    assert_eq!(
        r.apply(&result("auth_rejected", 8), t).unwrap().to,
        HealthState::Rejected
    );
    assert_eq!(r.next_probe_at, None);
    assert!(r.apply(&result("ok", 9), t).is_none());
    assert_eq!(r.state, HealthState::Rejected);
}

#[test]
fn back_off_doubles_up_to_the_maximum() {
    let t = Thresholds {
        up_after: 2,
        down_after: 1,
    };
    let s = std::time::Duration::from_secs;
    let mut r = HealthRecord::unknown(id(), OffsetDateTime::UNIX_EPOCH, None);
    assert_eq!(r.next_delay(s(60), s(600)), Some(s(60)));
    r.apply(&result("timeout", 1), t);
    assert_eq!(r.state, HealthState::Down);
    assert_eq!(r.next_delay(s(60), s(600)), Some(s(120)));
    r.apply(&result("timeout", 2), t);
    assert_eq!(r.next_delay(s(60), s(600)), Some(s(240)));
    for i in 0..40 {
        r.apply(&result("timeout", 3 + i), t);
    }
    assert_eq!(r.next_delay(s(60), s(600)), Some(s(600)));
}

#[test]
fn stored_form_round_trips() {
    let mut r = HealthRecord::unknown(id(), OffsetDateTime::UNIX_EPOCH, None);
    r.apply(&result("overloaded", 5), Thresholds::default());
    r.last_status = Some(503);
    r.last_reason = Some("Service Unavailable".into());
    assert_eq!(HealthRecord::from_stored(id(), &r.to_stored()).unwrap(), r);
    assert!(HealthRecord::from_stored(id(), "{").is_err());
    assert!(Thresholds::new(0, 3).is_err() && Thresholds::new(2, 11).is_err());
}
