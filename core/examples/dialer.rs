//! Pace 1,000 queued calls over three trunks sharing one `cpsKey`, on a simulated clock, and
//! print the calls started in each one-second window.
//!
//! `cargo run -p sipcreds --example dialer`
//!
//! The three trunks set limits of 10, 12 and 15 CPS; sharing the key "acme-carrier" they form
//! one group paced at the smallest, 10 CPS. Each queued call asks `reserve` for the next slot
//! on its trunk, and "dials" when the simulated clock reaches it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sipcreds::{Clock, Decision, ManualClock, RateLimiter, Registry, SECOND};

fn main() {
    let clock = ManualClock::new();
    let limiter = Arc::new(RateLimiter::in_process(Arc::new(clock.clone())));
    let reg = Registry::with_limiter(Arc::new(sipcreds::MemoryStore::new()), limiter);
    let trunks: Vec<String> = [("Trunk A", 10), ("Trunk B", 12), ("Trunk C", 15)]
        .iter()
        .map(|(name, cps)| {
            let body = format!(r#"{{"name":"{name}","server":"sip.carrier.example","cpsKey":"acme-carrier","cpsLimit":{cps}}}"#);
            reg.create_credential_json("acme", &body).unwrap().id.to_string()
        })
        .collect();
    for g in reg.rate_groups("acme").unwrap() {
        println!(
            "group {} with {} trunks: limit {:?} CPS",
            g.key,
            g.members.len(),
            g.limit
        );
    }

    // The queue: 1,000 calls, round-robin over the trunks, all waiting at t = 0.
    let start = clock.now();
    let mut dial_times = Vec::with_capacity(1000);
    for call in 0..1000 {
        let trunk = &trunks[call % trunks.len()];
        match reg
            .reserve("acme", trunk, Duration::from_secs(3600))
            .unwrap()
        {
            Decision::Admitted { at, .. } => dial_times.push(at),
            Decision::Rejected { retry_after } => {
                panic!("call {call} rejected; retry after {retry_after:?}")
            }
        }
    }
    // Simulate: the clock walks to each dial time.
    let mut per_window: BTreeMap<u64, usize> = BTreeMap::new();
    for &at in &dial_times {
        clock.set(at);
        *per_window.entry((at - start) / SECOND).or_default() += 1;
    }
    println!("second  calls started");
    for (second, calls) in &per_window {
        println!("{second:>6}  {calls:>3} {}", "#".repeat(*calls));
    }
    // The strict check: every half-open one-second window, not only the aligned ones.
    let mut worst = 0;
    let mut lo = 0;
    for (i, &t) in dial_times.iter().enumerate() {
        while dial_times[lo] + SECOND <= t {
            lo += 1;
        }
        worst = worst.max(i - lo + 1);
    }
    let span = (dial_times.last().unwrap() - start) as f64 / SECOND as f64;
    println!(
        "1000 calls in {span:.1} s: {:.2} CPS on average; the busiest sliding one-second window holds {worst} calls (limit 10)",
        999.0 / span
    );
    assert!(worst <= 10);
}
