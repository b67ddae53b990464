//! The monitor's state machine against a model (§13): any sequence of probe outcomes, edits,
//! renames, pauses and resumes, run through the real monitor (`Monitor::once`, its rounds,
//! leases and records) on a real registry with a scripted prober. After every step the
//! stored state equals the model's, and a `paused` or `rejected` credential is never probed.

use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use sipcreds::{HealthState, ProbeResult, Registry};
use sipcreds_probe::{Monitor, MonitorOptions, Outcome, Prober};

#[derive(Debug, Clone)]
enum Op {
    Probe(usize),
    EditPassword,
    Rename,
    Pause,
    Resume,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..Outcome::ALL.len()).prop_map(Op::Probe),
        1 => Just(Op::EditPassword),
        1 => Just(Op::Rename),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Success,
    Soft,
    Hard,
    Credentials,
}

/// The model: the §13 table and counting rules, written from the text.
#[derive(Debug)]
struct Model {
    state: HealthState,
    successes: u32,
    hard_run: u32,
    up_after: u32,
    down_after: u32,
    /// Failures since the state began (the back-off's exponent while down).
    failures: u32,
}

impl Model {
    fn class(o: Outcome) -> Class {
        match o.as_str() {
            "ok" | "reachable" => Class::Success,
            "overloaded" | "rate_limited" => Class::Soft,
            "auth_rejected" | "forbidden" | "realm_mismatch" => Class::Credentials,
            _ => Class::Hard,
        }
    }

    fn probed(&self) -> bool {
        !matches!(self.state, HealthState::Paused | HealthState::Rejected)
    }

    fn reset(&mut self, to: HealthState) {
        self.state = to;
        self.successes = 0;
        self.hard_run = 0;
        self.failures = 0;
    }

    /// The delay before the next probe (seconds, before jitter): 60, doubled per failure
    /// while down up to 600; none when not probed.
    fn delay(&self) -> Option<f64> {
        match self.state {
            HealthState::Paused | HealthState::Rejected => None,
            HealthState::Down => Some((60.0 * 2f64.powi(self.failures.min(20) as i32)).min(600.0)),
            _ => Some(60.0),
        }
    }

    fn outcome(&mut self, o: Outcome) {
        let (before, failure) = (self.state, Model::class(o) != Class::Success);
        self.count(o);
        if self.state != before {
            self.failures = u32::from(failure);
        } else {
            self.failures += u32::from(failure);
        }
    }

    fn count(&mut self, o: Outcome) {
        use HealthState::*;
        match Model::class(o) {
            Class::Credentials => self.reset(Rejected),
            Class::Success => {
                self.hard_run = 0;
                self.successes += 1;
                if self.state == Unknown || self.successes >= self.up_after {
                    self.state = Up;
                }
            }
            Class::Hard => {
                self.successes = 0;
                self.hard_run += 1;
                if self.hard_run >= self.down_after {
                    self.state = Down;
                } else if matches!(self.state, Up | Unknown) {
                    self.state = Degraded;
                }
            }
            Class::Soft => {
                self.successes = 0;
                self.hard_run = 0;
                if matches!(self.state, Up | Unknown) {
                    self.state = Degraded;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn the_monitor_follows_the_model(
        up_after in 1u32..4,
        down_after in 1u32..5,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let reg = Registry::in_memory();
        let c = reg
            .create_credential_json(
                "acme",
                r#"{"server":"sip.example.com","authUser":"u","authPassword":"p"}"#,
            )
            .unwrap();
        let id = c.id.to_string();
        let script: Arc<Mutex<(Outcome, u32)>> = Arc::new(Mutex::new((Outcome::Ok, 0)));
        let s = script.clone();
        let prober: Prober = Arc::new(move |_c| {
            let mut g = s.lock().unwrap();
            g.1 += 1;
            let outcome = g.0.as_str().to_owned();
            Box::pin(async move {
                ProbeResult {
                    outcome,
                    status: None,
                    reason: None,
                    rtt_ms: Some(1),
                    at: time::OffsetDateTime::now_utc(),
                }
            })
        });
        let options = MonitorOptions { up_after, down_after, ..MonitorOptions::default() };
        let monitor = Monitor::with_prober(reg.clone(), options, prober).unwrap();
        let mut model = Model {
            state: HealthState::Unknown,
            successes: 0,
            hard_run: 0,
            up_after,
            down_after,
            failures: 0,
        };
        let mut n = 0;
        for op in ops {
            match op {
                Op::Probe(i) => {
                    let outcome = Outcome::ALL[i];
                    script.lock().unwrap().0 = outcome;
                    let before = script.lock().unwrap().1;
                    let transitions = rt.block_on(monitor.once()).unwrap();
                    let sent = script.lock().unwrap().1 - before;
                    prop_assert_eq!(sent, u32::from(model.probed()), "probes sent in {:?}", model.state);
                    let was = model.state;
                    if model.probed() {
                        model.outcome(outcome);
                    }
                    prop_assert_eq!(transitions.len(), usize::from(was != model.state));
                    // The schedule: the interval with ±10% jitter, doubled per failure while
                    // down up to the maximum; nothing while rejected.
                    let h = reg.health("acme", &id).unwrap();
                    match (model.delay(), h.next_probe_at, h.last_probe_at) {
                        (None, next, _) => prop_assert_eq!(next, None),
                        (Some(d), Some(next), Some(last)) => {
                            let got = (next - last).as_seconds_f64();
                            prop_assert!(
                                got >= 0.9 * d - 0.5 && got <= 1.1 * d + 2.0,
                                "next probe {got} s after the last, expected {d} s ±10% in {:?}", model.state
                            );
                        }
                        other => prop_assert!(false, "{other:?} in {:?}", model.state),
                    }
                }
                Op::EditPassword => {
                    n += 1;
                    reg.update_credential_json("acme", &id, &format!(r#"{{"authPassword":"p{n}"}}"#)).unwrap();
                    if model.state != HealthState::Paused {
                        model.reset(HealthState::Unknown);
                    }
                }
                Op::Rename => {
                    n += 1;
                    reg.update_credential_json("acme", &id, &format!(r#"{{"name":"n{n}"}}"#)).unwrap();
                }
                Op::Pause => {
                    reg.pause("acme", &id).unwrap();
                    model.reset(HealthState::Paused);
                }
                Op::Resume => {
                    reg.resume("acme", &id).unwrap();
                    model.reset(HealthState::Unknown);
                }
            }
            let h = reg.health("acme", &id).unwrap();
            prop_assert_eq!(h.state, model.state);
            if !model.probed() {
                prop_assert_eq!(h.next_probe_at, None);
            }
        }
    }
}
