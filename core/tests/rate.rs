//! The guarantee of §6, checked rather than hoped for: with an injected clock over random
//! arrival patterns and random reconfigurations, no half-open one-second window of a group's
//! admissions ever holds more than the group's limit; pacing admits (close to) the whole limit
//! under overload; and the same holds with the real clock and several threads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use sipcreds::{Decision, ManualClock, RateLimiter, Registry, SECOND};

/// One recorded admission: its group, the group's limit when it was admitted, and its slot.
#[derive(Debug, Clone)]
struct Admitted {
    group: String,
    limit: Option<u32>,
    at: u64,
}

/// For every admission at `s` (limit `L` then), at most `L` admissions of its group fall in
/// `(s - 1 s, s]`. With a fixed limit this is exactly "every half-open one-second window holds
/// at most L"; across changes it is "a changed limit applies from the next call".
fn check_windows(log: &[Admitted]) -> Result<(), String> {
    let mut by_group: BTreeMap<&str, Vec<&Admitted>> = BTreeMap::new();
    for a in log {
        by_group.entry(&a.group).or_default().push(a);
    }
    for (group, mut adm) in by_group {
        adm.sort_by_key(|a| a.at);
        let mut lo = 0;
        for (i, a) in adm.iter().enumerate() {
            while adm[lo].at + SECOND <= a.at {
                lo += 1;
            }
            let in_window = i - lo + 1;
            if let Some(limit) = a.limit
                && in_window > limit as usize
            {
                return Err(format!(
                    "group {group}: {in_window} admissions in the second ending at {} (limit {limit})",
                    a.at
                ));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Step {
    Wait(u64),
    TryAcquire(usize),
    Reserve(usize, u64),
    SetLimit(usize, Option<u32>),
    SetKey(usize, Option<&'static str>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => prop_oneof![0u64..5, 0u64..200, 0u64..1500].prop_map(Step::Wait),
        10 => (0usize..4).prop_map(Step::TryAcquire),
        4 => (0usize..4, 0u64..3000).prop_map(|(c, w)| Step::Reserve(c, w)),
        1 => (0usize..4, prop::option::of(1u32..12)).prop_map(|(c, l)| Step::SetLimit(c, l)),
        1 => (0usize..4, prop::option::of(prop::sample::select(vec!["k", "j"]))).prop_map(|(c, k)| Step::SetKey(c, k)),
    ]
}

struct Harness {
    reg: Registry,
    clock: ManualClock,
    creds: Vec<String>,
}

impl Harness {
    fn new(limits: [Option<u32>; 4], keys: [Option<&str>; 4]) -> Self {
        let clock = ManualClock::new();
        let limiter = Arc::new(RateLimiter::in_process(Arc::new(clock.clone())));
        let reg = Registry::with_limiter(Arc::new(sipcreds::MemoryStore::new()), limiter);
        let creds = (0..4)
            .map(|i| {
                let mut body = serde_json::json!({"server": format!("t{i}.example.com")});
                if let Some(l) = limits[i] {
                    body["cpsLimit"] = l.into();
                }
                if let Some(k) = keys[i] {
                    body["cpsKey"] = k.into();
                }
                reg.create_credential_json("acme", &body.to_string())
                    .unwrap()
                    .id
                    .to_string()
            })
            .collect();
        Harness { reg, clock, creds }
    }

    fn record(&self, c: usize, d: Decision, log: &mut Vec<Admitted>) {
        if let Decision::Admitted { at, .. } = d {
            let lim = self.reg.limiter();
            log.push(Admitted {
                group: lim.group_key_of("acme", &self.creds[c]).unwrap(),
                limit: lim.limit_of("acme", &self.creds[c]).unwrap(),
                at,
            });
        }
    }

    fn run(&self, steps: &[Step]) -> Vec<Admitted> {
        let mut log = Vec::new();
        for s in steps {
            match *s {
                Step::Wait(ms) => self.clock.advance(Duration::from_millis(ms)),
                Step::TryAcquire(c) => {
                    let d = self.reg.try_acquire("acme", &self.creds[c]).unwrap();
                    if let Decision::Rejected { retry_after } = d {
                        assert!(
                            retry_after > Duration::ZERO
                                && retry_after <= Duration::from_secs(1) * 40
                        );
                    }
                    self.record(c, d, &mut log);
                }
                Step::Reserve(c, ms) => {
                    let d = self
                        .reg
                        .reserve("acme", &self.creds[c], Duration::from_millis(ms))
                        .unwrap();
                    if let Decision::Admitted { wait, .. } = d {
                        assert!(wait <= Duration::from_millis(ms));
                    }
                    self.record(c, d, &mut log);
                }
                Step::SetLimit(c, l) => {
                    let body = match l {
                        Some(l) => format!(r#"{{"cpsLimit":{l}}}"#),
                        None => r#"{"cpsLimit":null}"#.into(),
                    };
                    self.reg
                        .update_credential_json("acme", &self.creds[c], &body)
                        .unwrap();
                }
                Step::SetKey(c, k) => {
                    let body = match k {
                        Some(k) => format!(r#"{{"cpsKey":"{k}"}}"#),
                        None => r#"{"cpsKey":null}"#.into(),
                    };
                    self.reg
                        .update_credential_json("acme", &self.creds[c], &body)
                        .unwrap();
                }
            }
        }
        log
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_window_ever_exceeds_its_limit(
        limits in prop::array::uniform4(prop::option::of(1u32..12)),
        keys in prop::array::uniform4(prop::option::of(prop::sample::select(vec!["k", "j"]))),
        steps in prop::collection::vec(step(), 1..400),
    ) {
        let h = Harness::new(limits, keys);
        let log = h.run(&steps);
        if let Err(e) = check_windows(&log) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_checker_catches_a_violation() {
    let log: Vec<Admitted> = (0..3)
        .map(|i| Admitted {
            group: "g".into(),
            limit: Some(2),
            at: SECOND + i,
        })
        .collect();
    assert!(check_windows(&log).is_err());
    let ok: Vec<Admitted> = [0, 1, SECOND]
        .iter()
        .map(|&t| Admitted {
            group: "g".into(),
            limit: Some(2),
            at: SECOND + t,
        })
        .collect();
    assert!(check_windows(&ok).is_ok(), "the window is half-open");
}

#[test]
fn a_limiter_without_history_limits_would_fail_the_check() {
    // A token bucket with a burst equal to the rate (governor's default) lets twice the limit
    // through in the first second; the checker must see that.
    let mut log = Vec::new();
    for i in 0..5 {
        log.push(Admitted {
            group: "g".into(),
            limit: Some(5),
            at: SECOND + i,
        });
    }
    for i in 0..5 {
        log.push(Admitted {
            group: "g".into(),
            limit: Some(5),
            at: SECOND + SECOND / 5 * (i + 1) - 1,
        });
    }
    assert!(check_windows(&log).is_err());
}

/// Over a long steady overload a group admits at least 95% of its limit.
#[test]
fn steady_overload_admits_close_to_the_limit() {
    for limit in [1u32, 3, 10, 50] {
        // try_acquire with callers arriving ten times faster than the limit, on three trunks
        // sharing the group.
        let h = Harness::new(
            [Some(limit), Some(limit), Some(limit), None],
            [Some("k"), Some("k"), Some("k"), None],
        );
        let seconds = 120;
        let arrivals = seconds * 10 * limit as u64;
        let gap = Duration::from_nanos(seconds * SECOND / arrivals);
        let mut admitted = 0;
        for i in 0..arrivals {
            if h.reg
                .try_acquire("acme", &h.creds[(i % 3) as usize])
                .unwrap()
                .is_admitted()
            {
                admitted += 1;
            }
            h.clock.advance(gap);
        }
        let share = admitted as f64 / (seconds * limit as u64) as f64;
        assert!(
            share >= 0.95 && share <= 1.0 + 1.0 / seconds as f64,
            "limit {limit}: admitted {share:.3} of the limit"
        );

        // reserve (pacing): every call gets a slot, and the slots fill the limit exactly.
        let h = Harness::new(
            [Some(limit), Some(limit), Some(limit), None],
            [Some("k"), Some("k"), Some("k"), None],
        );
        let mut log = Vec::new();
        let calls = 30 * limit as usize;
        for i in 0..calls {
            let d = h
                .reg
                .reserve("acme", &h.creds[i % 3], Duration::from_secs(3600))
                .unwrap();
            h.record(i % 3, d, &mut log);
        }
        assert_eq!(log.len(), calls);
        check_windows(&log).unwrap();
        let span = log.last().unwrap().at - log.first().unwrap().at;
        assert!(
            span < 30 * SECOND,
            "paced {calls} calls over {span} ns: slower than the limit"
        );
    }
}

/// The real clock, several threads, a shared group and a single one: every window of the
/// recorded admissions holds at most the limit, and the groups get most of their limit.
#[test]
fn threads_on_the_real_clock_never_exceed_the_limit() {
    let reg = Registry::in_memory();
    let shared: Vec<String> = (0..3)
        .map(|i| {
            reg.create_credential_json(
                "acme",
                &format!(r#"{{"server":"s{i}.example.com","cpsKey":"shared","cpsLimit":40}}"#),
            )
            .unwrap()
            .id
            .to_string()
        })
        .collect();
    let single = reg
        .create_credential_json("acme", r#"{"server":"one.example.com","cpsLimit":15}"#)
        .unwrap()
        .id
        .to_string();
    let run_for = Duration::from_millis(2500);
    let log = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let (reg, shared, single, log) = (&reg, &shared, &single, &log);
            s.spawn(move || {
                let start = std::time::Instant::now();
                let mut mine = Vec::new();
                let mut i = t;
                while start.elapsed() < run_for {
                    let id = if i % 4 == 3 { single } else { &shared[i % 3] };
                    let d = if i % 5 == 0 {
                        reg.reserve("acme", id, Duration::from_millis(50)).unwrap()
                    } else {
                        reg.try_acquire("acme", id).unwrap()
                    };
                    if let Decision::Admitted { at, .. } = d {
                        let lim = reg.limiter();
                        mine.push(Admitted {
                            group: lim.group_key_of("acme", id).unwrap(),
                            limit: lim.limit_of("acme", id).unwrap(),
                            at,
                        });
                    }
                    i += 1;
                    if i % 64 == 0 {
                        std::thread::yield_now();
                    }
                }
                log.lock().unwrap().extend(mine);
            });
        }
    });
    let log = log.into_inner().unwrap();
    check_windows(&log).unwrap();
    let count = |g: &str| log.iter().filter(|a| a.group.ends_with(g)).count();
    let secs = run_for.as_secs_f64();
    assert!(
        count("key:shared") as f64 >= 0.8 * 40.0 * secs,
        "shared group got {}",
        count("key:shared")
    );
    assert!(
        count(&single) as f64 >= 0.8 * 15.0 * secs,
        "single group got {}",
        count(&single)
    );
}
