//! Figures at the size of a large platform (SPEC §5, §6; issue 17): one org with N
//! credentials, 10 numbers each and N agents, on any store. The benchmarks of the SQLite and
//! PostgreSQL stores (`cargo bench -p sipcreds-sqlite --bench scale`, `-p sipcreds-postgres
//! --bench scale`) print these at N and N/10 with the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sipcreds::{Page, Registry};

use crate::graph::{Graph, usage_median};

/// What one graph measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Credentials in the org.
    pub n: usize,
    /// Credentials imported per second (`create_credentials`, 10,000 a call).
    pub import_per_s: f64,
    /// Building the numbers and agents (10 numbers per credential, 1 agent per credential).
    pub links: Duration,
    /// The first `try_acquire` of the org on a fresh registry (the limiter learns the org),
    /// median of 5 fresh registries.
    pub first_acquire: Duration,
    /// The same, the very first time (cold caches).
    pub first_acquire_cold: Duration,
    /// `try_acquire` with a refresh of an unchanged org on every call (median).
    pub refresh_unchanged: Duration,
    /// A 1,000-credential page from the middle of the list (median).
    pub page: Duration,
    /// The whole list (`list_credentials`, every password decrypted).
    pub list_all: Duration,
    /// `lint` of the org.
    pub lint: Duration,
    /// `rate_groups` (the `limits` command) of the org.
    pub limits: Duration,
    /// `usage` of a credential with 10 numbers (median).
    pub usage: Duration,
}

fn median(mut f: impl FnMut() -> Duration, runs: usize) -> Duration {
    let mut v: Vec<Duration> = (0..runs).map(|_| f()).collect();
    v.sort();
    v[v.len() / 2]
}

fn timed<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
}

/// Measure a built graph (its store shared by fresh registries, as other instances would be).
/// How many credentials a scale benchmark builds (`SIPCREDS_SCALE`, else `default`); `None`
/// when cargo only lists the benchmarks (`--list`): nothing to build then.
pub fn bench_size(default: usize) -> Option<usize> {
    if std::env::args().any(|a| a == "--list") {
        return None;
    }
    let n = std::env::var("SIPCREDS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok());
    Some(n.unwrap_or(default))
}

pub fn measure(g: &Graph, store: std::sync::Arc<dyn sipcreds::Storage>) -> Figures {
    let n = g.creds.len();
    let mid = g.creds[n / 2].as_str();
    // Each run a fresh registry on the shared store, as another instance starting would be:
    // the limiter learns the whole org. The very first run (cold caches) is kept too.
    let learn = || {
        let fresh = Registry::from_arc(store.clone()).with_limit_refresh(Duration::from_secs(1));
        let (t, d) = timed(|| fresh.try_acquire("bench", mid).unwrap());
        black_box(d);
        t
    };
    let first_acquire_cold = learn();
    let first_acquire = median(learn, 5);
    let always = Registry::from_arc(store.clone()).with_limit_refresh(Duration::ZERO);
    always.try_acquire("bench", mid).unwrap();
    let mut k = 0usize;
    let refresh_unchanged = median(
        || {
            k += 1;
            let id = g.creds[(k * 7919) % n].as_str();
            timed(|| always.try_acquire("bench", id).unwrap()).0
        },
        201,
    );
    let page_at = Page::new(1000, Some(mid)).unwrap();
    let page = median(
        || {
            timed(|| {
                let p = g.reg.list_credentials_page("bench", &page_at).unwrap();
                assert_eq!(p.items.len(), 1000.min(n - n / 2 - 1));
                black_box(p)
            })
            .0
        },
        21,
    );
    let (list_all, all) = timed(|| g.reg.list_credentials("bench").unwrap());
    assert_eq!(all.len(), n);
    drop(all);
    let (lint, findings) = timed(|| g.reg.lint("bench").unwrap());
    black_box(findings);
    let (limits, groups) = timed(|| g.reg.rate_groups("bench").unwrap());
    black_box(groups);
    Figures {
        n,
        import_per_s: n as f64 / g.import.as_secs_f64(),
        links: g.links,
        first_acquire,
        first_acquire_cold,
        refresh_unchanged,
        page,
        list_all,
        lint,
        limits,
        usage: usage_median(g),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Print the figures of a large graph and a graph ten times smaller, with the targets of
/// issue 17 (SQLite's; PostgreSQL's are "within 3x of SQLite").
pub fn print(store: &str, large: &Figures, small: &Figures) {
    eprintln!(
        "\n== {store} at scale: {} credentials / {} numbers / {} agents, and {} ==",
        large.n,
        large.n * 10,
        large.n,
        small.n
    );
    let row = |what: &str, l: String, s: String, target: &str| {
        eprintln!("{what:<44} {l:>14} {s:>14}   {target}");
    };
    row("", format!("{}", large.n), format!("{}", small.n), "target");
    row(
        "import (create_credentials)",
        format!("{:.0}/s", large.import_per_s),
        format!("{:.0}/s", small.import_per_s),
        ">= 100k/s",
    );
    row(
        "numbers and agents built",
        ms(large.links),
        ms(small.links),
        "",
    );
    row(
        "first try_acquire of the org (median of 5)",
        ms(large.first_acquire),
        ms(small.first_acquire),
        "<= 50 ms",
    );
    row(
        "  the very first one (cold)",
        ms(large.first_acquire_cold),
        ms(small.first_acquire_cold),
        "",
    );
    row(
        "try_acquire + refresh, org unchanged",
        ms(large.refresh_unchanged),
        ms(small.refresh_unchanged),
        "<= 1 ms",
    );
    row("1,000-item page", ms(large.page), ms(small.page), "<= 5 ms");
    row(
        "whole list (passwords decrypted)",
        ms(large.list_all),
        ms(small.list_all),
        "",
    );
    row(
        "lint of the org",
        ms(large.lint),
        ms(small.lint),
        "<= 500 ms",
    );
    row(
        "limits (rate_groups)",
        ms(large.limits),
        ms(small.limits),
        "",
    );
    row(
        "usage (10 numbers)",
        ms(large.usage),
        ms(small.usage),
        &format!(
            "ratio {:.2} (<= 1.5)",
            large.usage.as_secs_f64() / small.usage.as_secs_f64()
        ),
    );
}

/// Print the ratios of two stores' figures at the same size (target: within 3x).
pub fn print_ratios(what: &str, a: &Figures, b: &Figures) {
    eprintln!("\n== {what} at {} credentials (target <= 3) ==", a.n);
    let r = |name: &str, x: std::time::Duration, y: std::time::Duration| {
        eprintln!("{name:<44} {:>8.2}", x.as_secs_f64() / y.as_secs_f64());
    };
    eprintln!(
        "{:<44} {:>8.2}",
        "import (time per credential)",
        b.import_per_s / a.import_per_s
    );
    r("numbers and agents built", a.links, b.links);
    r(
        "first try_acquire of the org",
        a.first_acquire,
        b.first_acquire,
    );
    r(
        "  the very first one (cold)",
        a.first_acquire_cold,
        b.first_acquire_cold,
    );
    r(
        "try_acquire + refresh, org unchanged",
        a.refresh_unchanged,
        b.refresh_unchanged,
    );
    r("1,000-item page", a.page, b.page);
    r("whole list", a.list_all, b.list_all);
    r("lint of the org", a.lint, b.lint);
    r("limits (rate_groups)", a.limits, b.limits);
    r("usage (10 numbers)", a.usage, b.usage);
}
