//! The monitor (§13): probes the credentials of the orgs it watches on their schedule, keeps
//! each one's health record in the store, and tells subscribers of every transition.
//!
//! Each round (once a second) is one write transaction: the results of the probes that ended
//! since the last round are counted and scheduled, credentials with no record yet get one, and
//! the due ones are claimed under a lease (so that several instances sharing a store never
//! probe one credential at once, and a dead instance's credentials lapse to another). Claimed
//! credentials wait in a queue for their turn under the politeness limits: at most
//! `perServer` probes in flight and one started per second for any one server, at most
//! `concurrency` in all.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipcreds::{
    Claim, Credential, Error, ErrorCode, HealthEvent, HealthRecord, Org, ProbeResult, Probed,
    Registry, Round, Thresholds,
};
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::options::ProbeOptions;
use crate::report::Report;

/// The shortest and longest `interval` (10 s to 1 h).
pub const INTERVAL_RANGE: (Duration, Duration) =
    (Duration::from_secs(10), Duration::from_secs(3600));
/// The longest `maxInterval` (1 day).
pub const MAX_MAX_INTERVAL: Duration = Duration::from_secs(86_400);
/// The most probes in flight to one server (`perServer`).
pub const MAX_PER_SERVER: usize = 100;
/// The most credentials `once` probes.
const ONCE_CLAIM: usize = 100_000_000;
/// How often a monitor runs a round.
pub const ROUND: Duration = Duration::from_secs(1);
/// How long after `nextProbeAt` an instance keeps a lease it holds: the spec's 10 s, or a
/// quarter of the interval if that is shorter, so that a dead instance's credentials are
/// probed by another within two intervals even at the shortest interval.
pub fn grace(interval: Duration) -> Duration {
    (interval / 4).min(Duration::from_secs(10))
}

/// The monitor's options (§13).
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// The interval between probes of a credential (10 s to 1 h; default 60 s).
    pub interval: Duration,
    /// The longest interval while `down` (at least `interval`, at most a day; default 10 min).
    pub max_interval: Duration,
    /// Successes in a row from `degraded`/`down` to `up` (1–10; default 2).
    pub up_after: u32,
    /// Hard failures in a row to `down` (1–10; default 3).
    pub down_after: u32,
    /// Probes in flight to one server host:port (1–100; default 2).
    pub per_server: usize,
    /// Probes in flight in all (1–10,000; default 50).
    pub concurrency: usize,
    /// The orgs watched (empty: every org of the store).
    pub orgs: Vec<Org>,
    /// The options of each probe (its `timeout` is §12's).
    pub probe: ProbeOptions,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions {
            interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(600),
            up_after: 2,
            down_after: 3,
            per_server: 2,
            concurrency: 50,
            orgs: Vec::new(),
            probe: ProbeOptions::default(),
        }
    }
}

fn out_of_range(field: &'static str, message: String) -> Error {
    Error::invalid(ErrorCode::InvalidOption, field, message)
}

impl MonitorOptions {
    /// Check every option: out of range is `invalid_option` naming it.
    pub fn check(&self) -> Result<Thresholds, Error> {
        let (lo, hi) = INTERVAL_RANGE;
        if !(lo..=hi).contains(&self.interval) {
            return Err(out_of_range(
                "interval",
                format!(
                    "interval must be 10 to 3600 seconds, not {:?}",
                    self.interval
                ),
            ));
        }
        if !(self.interval..=MAX_MAX_INTERVAL).contains(&self.max_interval) {
            return Err(out_of_range(
                "maxInterval",
                format!(
                    "maxInterval must be from the interval ({} s) to 86400 seconds, not {:?}",
                    self.interval.as_secs(),
                    self.max_interval
                ),
            ));
        }
        if !(1..=MAX_PER_SERVER).contains(&self.per_server) {
            return Err(out_of_range(
                "perServer",
                format!(
                    "perServer must be 1 to {MAX_PER_SERVER}, not {}",
                    self.per_server
                ),
            ));
        }
        crate::check_concurrency(self.concurrency)?;
        Thresholds::new(self.up_after, self.down_after)
    }
}

/// A transition, as subscribers get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The credential's org.
    pub org: Org,
    /// The event (`credentialId`, `from`, `to`, ...).
    pub event: HealthEvent,
}

/// What probes a credential for the monitor: the real probe, or (for tests) another.
pub type Prober =
    Arc<dyn Fn(Credential) -> Pin<Box<dyn Future<Output = ProbeResult> + Send>> + Send + Sync>;

/// What a monitor's round did, for those who measure it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Rounds run (write transactions).
    pub rounds: u64,
    /// Probes started.
    pub probes: u64,
    /// Transitions.
    pub transitions: u64,
    /// Probes started more than a second after their `nextProbeAt`.
    pub late: u64,
    /// The time spent in rounds' transactions, in all (ms).
    pub round_ms: u64,
    /// The longest round's transaction (ms).
    pub round_ms_max: u64,
}

/// The monitor. Cheap to clone (clones share one monitor).
#[derive(Clone)]
pub struct Monitor {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    options: MonitorOptions,
    thresholds: Thresholds,
    owner: String,
    prober: Prober,
    events: broadcast::Sender<Transition>,
    stop: watch::Sender<bool>,
    counters: std::sync::Mutex<Counters>,
    /// How late each probe started after its `nextProbeAt`, in ms (the last million).
    lateness: std::sync::Mutex<Vec<u32>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("owner", &self.inner.owner)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// The outcome of a report as the monitor counts it.
pub fn probe_result(report: &Report, at: OffsetDateTime) -> ProbeResult {
    ProbeResult {
        outcome: report.outcome.as_str().to_owned(),
        status: report.status,
        reason: report.reason.clone(),
        rtt_ms: report
            .steps
            .iter()
            .rev()
            .find(|s| s.status.is_some())
            .map(|s| s.ms.round() as u64),
        at,
    }
}

fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A delay with ±10% jitter.
fn jittered(d: Duration) -> Duration {
    d.mul_f64(0.9 + 0.2 * fastrand::f64())
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// The server a credential's probes go to, for the politeness limits (`host:port`).
fn server_key(c: &Credential) -> String {
    c.input.server.to_string()
}

impl Monitor {
    /// A monitor of `registry` with the real probe. `invalid_option` for an option out of
    /// range.
    pub fn new(registry: Registry, options: MonitorOptions) -> Result<Monitor, Error> {
        let probe = options.probe.clone();
        let prober: Prober = Arc::new(move |c: Credential| {
            let probe = probe.clone();
            Box::pin(async move {
                let at = wall_now();
                let report = crate::probe(&c, &probe).await;
                probe_result(&report, at)
            })
        });
        Monitor::with_prober(registry, options, prober)
    }

    /// A monitor that probes with `prober` (for tests of the schedule and the state machine).
    pub fn with_prober(
        registry: Registry,
        options: MonitorOptions,
        prober: Prober,
    ) -> Result<Monitor, Error> {
        let thresholds = options.check()?;
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| Error::storage(format!("no randomness: {e}")))?;
        let owner = format!(
            "mon_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        Ok(Monitor {
            inner: Arc::new(Inner {
                registry,
                options,
                thresholds,
                owner,
                prober,
                events: broadcast::channel(1024).0,
                stop: watch::channel(false).0,
                counters: Default::default(),
                lateness: Default::default(),
            }),
        })
    }

    /// This instance's name in the store's leases.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Every transition from now on (a subscriber that falls more than 1,024 behind misses
    /// the oldest: the records in the store stay right).
    pub fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.inner.events.subscribe()
    }

    /// What the monitor did so far.
    pub fn counters(&self) -> Counters {
        *self
            .inner
            .counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// How late each probe started after its `nextProbeAt` (the jittered due time), in
    /// milliseconds, the last million: the schedule's accuracy.
    pub fn lateness_ms(&self) -> Vec<u32> {
        self.inner
            .lateness
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ask [`Monitor::run`] to end: the probes in flight finish and are recorded, then the
    /// leases are released.
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    fn round_of(&self, now: OffsetDateTime, due_by: OffsetDateTime, claim: usize) -> Round<'_> {
        let o = &self.inner.options;
        Round {
            owner: &self.inner.owner,
            orgs: (!o.orgs.is_empty()).then_some(o.orgs.as_slice()),
            now,
            due_by,
            lease: o.interval,
            claim,
            thresholds: self.inner.thresholds,
            grace: grace(o.interval),
        }
    }

    /// Run one round in the blocking pool: record `results`, claim up to `claim` due by
    /// `due_by`; new credentials written before `started` are spread over the first interval.
    async fn round(
        &self,
        results: Vec<Probed>,
        claim: usize,
        due_by: Option<OffsetDateTime>,
        started: OffsetDateTime,
    ) -> Result<Vec<Claim>, Error> {
        let this = self.clone();
        let began = Instant::now();
        let (events, claims) = tokio::task::spawn_blocking(move || {
            let now = wall_now();
            let o = &this.inner.options;
            let (interval, max) = (o.interval, o.max_interval);
            let round = this.round_of(now, due_by.unwrap_or(now), claim);
            let mut next_at = |r: &HealthRecord| {
                r.next_delay(interval, max)
                    .map(|d| now + to_time(jittered(d)))
            };
            // Stores keep whole seconds: a credential written in the second the monitor
            // started counts as new (probed now), not as one to spread.
            let mut due_of = |_: &Org, written: OffsetDateTime| {
                if written + time::Duration::SECOND > started {
                    now
                } else {
                    // Spread over what is left of the first interval (a large store gets its
                    // first records over several rounds: none of them is due in the past).
                    let end = started + to_time(interval);
                    let left = (end - now).max(time::Duration::ZERO);
                    now + left * fastrand::f64()
                }
            };
            this.inner
                .registry
                .health_round(&round, results, &mut next_at, &mut due_of)
        })
        .await
        .map_err(|e| Error::storage(format!("the monitor's round stopped: {e}")))??;
        {
            let mut c = self
                .inner
                .counters
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            c.rounds += 1;
            c.transitions += events.len() as u64;
            let ms = began.elapsed().as_millis() as u64;
            c.round_ms += ms;
            c.round_ms_max = c.round_ms_max.max(ms);
        }
        for (org, event) in events {
            let _ = self.inner.events.send(Transition { org, event });
        }
        Ok(claims)
    }

    /// Probe every credential that is not `paused` or `rejected` once, now (within the
    /// politeness limits), whatever its schedule; record the results and set each
    /// `nextProbeAt` as a run would. Answers the transitions.
    pub async fn once(&self) -> Result<Vec<Transition>, Error> {
        let mut rx = self.subscribe();
        let started = wall_now();
        let far = started + time::Duration::days(36_500);
        // Every credential in one claim, each due now (a new one too).
        let claims = self
            .round(
                Vec::new(),
                ONCE_CLAIM,
                Some(far),
                OffsetDateTime::UNIX_EPOCH,
            )
            .await?;
        let mut pool = Pool::new(&self.inner.options);
        pool.extend(claims);
        let mut results = Vec::new();
        while !pool.idle() {
            pool.dispatch(self);
            tokio::select! {
                Some(done) = pool.running.join_next() => {
                    pool.finished(done, &mut results);
                }
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        self.round(results, 0, None, started).await?;
        // A run that ends leaves its credentials to the next monitor at once.
        self.release().await?;
        let mut out = Vec::new();
        while let Ok(t) = rx.try_recv() {
            out.push(t);
        }
        Ok(out)
    }

    /// Probe on schedule until [`Monitor::stop`]: one round a second; then the probes in
    /// flight finish and are recorded, and this instance's leases are released.
    pub async fn run(&self) -> Result<(), Error> {
        let started = wall_now();
        let mut stop = self.inner.stop.subscribe();
        let mut pool = Pool::new(&self.inner.options);
        let mut results = Vec::new();
        // Each round claims what comes due before the next one, and the queue starts each
        // claim at its time (checked ten times a round).
        pool.on_time = true;
        let mut tick = tokio::time::interval(ROUND);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut check = tokio::time::interval(ROUND / 10);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A round claims what comes due before the next one (so the queue holds about a
        // round's worth), up to 10,000 (or 20 × concurrency if more) a round: enough for
        // 100,000 credentials at a 10 s interval.
        let capacity = self
            .inner
            .options
            .concurrency
            .saturating_mul(20)
            .max(10_000);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = check.tick() => {
                    pool.dispatch(self);
                    continue;
                }
                Some(done) = pool.running.join_next() => {
                    pool.finished(done, &mut results);
                    pool.dispatch(self);
                    continue;
                }
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
            let want = capacity.saturating_sub(pool.queue.len() + pool.running.len());
            let ahead = Some(wall_now() + to_time(ROUND));
            match self
                .round(std::mem::take(&mut results), want, ahead, started)
                .await
            {
                Ok(claims) => pool.extend(claims),
                // A store that fails a round (a lock timeout, a lost connection): the results
                // are lost with it, the leases lapse, and the next round tries again.
                Err(e) => eprintln!("sipcreds monitor: a round failed: {e}"),
            }
            pool.dispatch(self);
        }
        while let Some(done) = pool.running.join_next().await {
            pool.finished(done, &mut results);
        }
        self.round(results, 0, None, started).await?;
        self.release().await
    }

    async fn release(&self) -> Result<(), Error> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.inner.registry.release_health_leases(&this.inner.owner)
        })
        .await
        .map_err(|e| Error::storage(format!("releasing the leases stopped: {e}")))?
    }
}

/// The claimed credentials waiting for their turn, and the probes in flight.
struct Pool {
    /// Claims waiting for their turn: (due, unix ms; the server's key; the claim), in due order.
    queue: VecDeque<(i64, String, Claim)>,
    running: JoinSet<(String, Probed)>,
    in_flight: HashMap<String, usize>,
    last_start: HashMap<String, Instant>,
    per_server: usize,
    concurrency: usize,
    /// Start each claim at its `nextProbeAt`, not before (a run; `once` starts them all).
    on_time: bool,
}

impl Pool {
    fn new(o: &MonitorOptions) -> Pool {
        Pool {
            queue: VecDeque::new(),
            running: JoinSet::new(),
            in_flight: HashMap::new(),
            last_start: HashMap::new(),
            per_server: o.per_server,
            concurrency: o.concurrency,
            on_time: false,
        }
    }

    fn idle(&self) -> bool {
        self.queue.is_empty() && self.running.is_empty()
    }

    /// Start what the limits allow, in queue order (a claim whose server is busy waits
    /// without holding back the others).
    /// Queue claims, in due order (each with its server's key, worked out once).
    fn extend(&mut self, claims: Vec<Claim>) {
        for claim in claims {
            let due = claim
                .record
                .next_probe_at
                .map_or(i64::MIN, sipcreds::unix_ms);
            self.queue
                .push_back((due, server_key(&claim.credential), claim));
        }
        self.queue.make_contiguous().sort_by_key(|(due, ..)| *due);
    }

    /// Start what the limits allow, in due order (a claim whose server is busy waits without
    /// holding back the others; with `on_time`, the scan ends at the first claim not due yet).
    fn dispatch(&mut self, monitor: &Monitor) {
        let now = Instant::now();
        let wall = wall_now();
        let now_ms = sipcreds::unix_ms(wall);
        let mut waiting = VecDeque::new();
        let (mut started, mut late_ones) = (0u64, 0u64);
        let mut lateness = Vec::new();
        while let Some((due, key, claim)) = self.queue.pop_front() {
            if self.running.len() >= self.concurrency || (self.on_time && due > now_ms) {
                self.queue.push_front((due, key, claim));
                break;
            }
            let busy = self.in_flight.get(&key).copied().unwrap_or(0) >= self.per_server
                || self
                    .last_start
                    .get(&key)
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1));
            if busy {
                waiting.push_back((due, key, claim));
                continue;
            }
            *self.in_flight.entry(key.clone()).or_default() += 1;
            self.last_start.insert(key.clone(), now);
            let late = if due == i64::MIN {
                0
            } else {
                (now_ms - due).clamp(0, u32::MAX.into()) as u32
            };
            lateness.push(late);
            started += 1;
            late_ones += u64::from(late > 1000);
            let prober = monitor.inner.prober.clone();
            let c = claim.credential;
            self.running.spawn(async move {
                let at = wall_now();
                let (org, id, version) = (c.org.clone(), c.id.clone(), c.version);
                let mut result = prober(c).await;
                result.at = at;
                (
                    key,
                    Probed {
                        org,
                        id,
                        version,
                        result,
                    },
                )
            });
        }
        // The busy ones go back in front, in their order (all due before what remains).
        while let Some(w) = waiting.pop_back() {
            self.queue.push_front(w);
        }
        if started > 0 {
            let mut c = monitor
                .inner
                .counters
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            c.probes += started;
            c.late += late_ones;
            drop(c);
            let mut l = monitor
                .inner
                .lateness
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if l.len() + lateness.len() > 1_000_000 {
                l.clear();
            }
            l.extend(lateness);
        }
        // Forget the start times that no longer hold anything back.
        if self.last_start.len() > 4 * self.concurrency.max(64) {
            self.last_start
                .retain(|_, t| now.duration_since(*t) < Duration::from_secs(1));
        }
    }

    fn finished(
        &mut self,
        done: Result<(String, Probed), tokio::task::JoinError>,
        results: &mut Vec<Probed>,
    ) {
        // A probe task that panicked leaves its lease to lapse; its slot is freed below only
        // when its server is known, so count the in-flight map again from what runs.
        match done {
            Ok((key, probed)) => {
                if let Some(n) = self.in_flight.get_mut(&key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.in_flight.remove(&key);
                    }
                }
                results.push(probed);
            }
            Err(_) => {
                if self.running.is_empty() {
                    self.in_flight.clear();
                }
            }
        }
    }
}
