//! `try_acquire` with 10k rate groups, on one thread and on two, against bare governor as
//! the anchor (a direct limiter's `check()`, and a keyed limiter's `check_key()` over the same
//! 10k keys); memory per group, busy (10k) and idle (1M, counted by a counting allocator).
//! Targets: try_acquire ≤ 3× governor's keyed `check_key()` over the same ids, one hot group
//! through a `RateHandle` (resolved once, as governor's direct limiter is) ≤ 3× governor's
//! `check()`, ≤ 64 bytes per idle group.
//!
//! `cargo bench -p sipcreds --bench rate` (criterion figures, then a summary with the ratios).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota, RateLimiter as Governor};
use sipcreds::{MonotonicClock, RateLimiter, Registry};

const GROUPS: usize = 10_000;

/// Counts the bytes live on the heap, for the limiter's state per idle group.
struct Counting;
static LIVE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator, counting sizes.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        LIVE.fetch_sub(l.size() as isize, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(
            n as isize - l.size() as isize,
            std::sync::atomic::Ordering::Relaxed,
        );
        unsafe { std::alloc::System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap bytes the limiter holds per credential of its own group, idle, with `n` credentials
/// loaded in one org (the rows are made first and not counted).
fn idle_bytes_per_group(n: usize) -> f64 {
    let rows: Vec<sipcreds::RateRow> = (0..n)
        .map(|_| sipcreds::RateRow {
            id: sipcreds::CredentialId::generate(),
            cps_limit: Some(sipcreds::CpsLimit::new(10).unwrap()),
            cps_key: None,
        })
        .collect();
    let limiter = RateLimiter::in_process(Arc::new(MonotonicClock::new()));
    let before = LIVE.load(std::sync::atomic::Ordering::Relaxed);
    limiter.set_org_rates("big", &rows).unwrap();
    let after = LIVE.load(std::sync::atomic::Ordering::Relaxed);
    drop(rows);
    black_box(&limiter);
    (after - before) as f64 / n as f64
}

/// The groups' CPS limit: `SIPCREDS_BENCH_LIMIT`, default 10 (a typical trunk). The window
/// log holds up to `limit` timestamps per busy group, so large limits cost memory and cache.
fn limit() -> u32 {
    std::env::var("SIPCREDS_BENCH_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

fn setup() -> (Arc<RateLimiter>, Vec<String>) {
    let limiter = Arc::new(RateLimiter::in_process(Arc::new(MonotonicClock::new())));
    let reg = Registry::with_limiter(Arc::new(sipcreds::MemoryStore::new()), limiter.clone());
    let inputs = (0..GROUPS)
        .map(|i| {
            sipcreds::CredentialInput::from_json(&format!(
                r#"{{"server":"t{i}.example.com","cpsLimit":{}}}"#,
                limit()
            ))
            .unwrap()
        })
        .collect();
    let ids: Vec<String> = reg
        .create_credentials("bench", inputs)
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    limiter
        .set_org_credentials("bench", &reg.list_credentials("bench").unwrap())
        .unwrap();
    (limiter, ids)
}

fn per_op_two_threads(iters: u64, f: impl Fn(u64) + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let f = &f;
            s.spawn(move || {
                for i in 0..iters {
                    f(i * 2 + t);
                }
            });
        }
    });
    // Wall time per call of one thread: both threads make `iters` calls at once.
    start.elapsed()
}

fn median_ns(mut f: impl FnMut(u64)) -> f64 {
    let mut samples: Vec<f64> = (0..41)
        .map(|s| {
            let n = 20_000u64;
            let t = Instant::now();
            for i in 0..n {
                f(s * n + i);
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

fn benches(c: &mut Criterion) {
    let (limiter, ids) = setup();
    let pick = |i: u64| &ids[(i.wrapping_mul(2_654_435_761) as usize) % GROUPS];
    let direct = Governor::direct(
        Quota::per_second(NonZeroU32::new(limit()).unwrap()).allow_burst(NonZeroU32::MIN),
    );
    // Keyed by the same credential id strings, so the anchor resolves a key as we must.
    let keyed = Governor::keyed(
        Quota::per_second(NonZeroU32::new(limit()).unwrap()).allow_burst(NonZeroU32::MIN),
    );
    let keys: Vec<String> = ids.clone();
    let one = ids[0].clone();

    let mut g = c.benchmark_group("try_acquire_10k_groups");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let mut i = 0u64;
    g.bench_function("sipcreds/1_thread", |b| {
        b.iter(|| {
            i += 1;
            black_box(limiter.try_acquire("bench", pick(i)).unwrap())
        })
    });
    g.bench_function("governor_direct_check/1_thread", |b| {
        b.iter(|| black_box(direct.check().is_ok()))
    });
    g.bench_function("sipcreds_one_hot_group/1_thread", |b| {
        b.iter(|| black_box(limiter.try_acquire("bench", &one).unwrap()))
    });
    let mut handle = limiter.handle("bench", &one).unwrap();
    g.bench_function("sipcreds_one_hot_group_handle/1_thread", |b| {
        b.iter(|| black_box(limiter.try_acquire_with(&mut handle).unwrap()))
    });
    g.bench_function("governor_keyed_check_key/1_thread", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                keyed
                    .check_key(&keys[(i.wrapping_mul(2_654_435_761) as usize) % GROUPS])
                    .is_ok(),
            )
        })
    });
    g.bench_function("sipcreds/2_threads", |b| {
        b.iter_custom(|iters| {
            per_op_two_threads(iters, |i| {
                black_box(limiter.try_acquire("bench", pick(i)).unwrap());
            })
        })
    });
    g.bench_function("governor_direct_check/2_threads", |b| {
        b.iter_custom(|iters| {
            per_op_two_threads(iters, |_| {
                black_box(direct.check().is_ok());
            })
        })
    });
    g.finish();

    // The summary, measured in this run.
    let ours = median_ns(|i| {
        black_box(limiter.try_acquire("bench", pick(i)).unwrap());
    });
    let gov = median_ns(|_| {
        black_box(direct.check().is_ok());
    });
    let ours_one = median_ns(|_| {
        black_box(limiter.try_acquire("bench", &one).unwrap());
    });
    let ours_handle = median_ns(|_| {
        black_box(limiter.try_acquire_with(&mut handle).unwrap());
    });
    let gov_keyed = median_ns(|i| {
        black_box(
            keyed
                .check_key(&keys[(i.wrapping_mul(2_654_435_761) as usize) % GROUPS])
                .is_ok(),
        );
    });
    let two =
        |f: &(dyn Fn(u64) + Sync)| per_op_two_threads(200_000, f).as_nanos() as f64 / 200_000.0;
    let ours2 = two(&|i| {
        black_box(limiter.try_acquire("bench", pick(i)).unwrap());
    });
    let gov2 = two(&|_| {
        black_box(direct.check().is_ok());
    });
    let state = limiter.backend().state_bytes();
    let idle = idle_bytes_per_group(1_000_000);
    eprintln!(
        "\n== rate limiter summary ({GROUPS} groups, limit {}/s) ==",
        limit()
    );
    eprintln!(
        "1 thread : sipcreds try_acquire over 10k ids {ours:.0} ns, governor direct check() {gov:.0} ns -> ratio {:.2} (the target is against check_key, below)",
        ours / gov
    );
    eprintln!(
        "1 thread : one hot group by id: sipcreds try_acquire {ours_one:.0} ns -> ratio to governor check() {:.2}",
        ours_one / gov
    );
    eprintln!(
        "1 thread : one hot group through a RateHandle (no lookup, as governor's direct limiter): try_acquire_with {ours_handle:.0} ns -> ratio to governor check() {:.2} (target <= 3)",
        ours_handle / gov
    );
    eprintln!(
        "1 thread : governor keyed check_key() over the same 10k credential ids {gov_keyed:.0} ns -> sipcreds/keyed {:.2} (target <= 3)",
        ours / gov_keyed
    );
    eprintln!(
        "2 threads: sipcreds {ours2:.0} ns/call/thread, governor check() {gov2:.0} ns -> ratio {:.2}",
        ours2 / gov2
    );
    eprintln!(
        "memory: {state} bytes of window state for {GROUPS} groups = {} bytes/group (busy groups hold 8 bytes per admission of the last second)",
        state / GROUPS
    );
    eprintln!(
        "memory: 1M credentials of their own group, idle: {idle:.1} bytes/group held by the limiter (target <= 64)"
    );
}

criterion_group!(rate, benches);
criterion_main!(rate);
