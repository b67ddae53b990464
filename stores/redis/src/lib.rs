//! A CPS limiter backend on Redis (§6): every instance of a platform shares one budget per
//! rate group, so N dialer instances together stay under a provider's limit.
//!
//! **Algorithm.** A sliding-window log per group, the same rule as the in-process backend
//! ([`sipcreds::SlidingWindow`]), run by one server-side Lua script: one round trip and one
//! atomic step per decision. The group's admissions are a sorted set of times taken from the
//! Redis server's own clock (`TIME`), so the instances' clocks never need to agree. The script
//! drops admissions older than one span, finds the first slot at which one more admission keeps
//! every window of one span (one second plus the limiter's margin) at most the limit, books it
//! if it is within the caller's wait, and answers how far away it is.
//!
//! **A server that forgets.** A restart without persistence, a failover to a replica that had
//! not seen the last writes, a flush, or an eviction would forget the admissions of the last
//! second, and the next second could admit the limit again on top of them. Each group's log
//! carries its own epoch (a member at score 0, in the same key, so the two are written,
//! expired, evicted and lost together): when the script finds no log (the data is gone, or
//! this is the group's first use), it starts one and admits nothing until one span after it.
//! Every instance sees the same epoch. A log is kept for `hold` (one hour) after its last
//! use, so only a group idle that long (or a forgotten one) waits out that span again.
//!
//! **Eviction.** A Redis with `maxmemory` set and a `maxmemory-policy` other than
//! `noeviction` may evict a group's log. That cannot break the limit (the epoch goes with
//! the log), but each eviction holds the group's calls back for a span. So at its first
//! connection the backend reads the server's policy (`INFO memory`) and refuses to decide,
//! with a `storage` error that says the fix, unless the URL says `?eviction=allow`.
//!
//! **When Redis cannot be reached** (connection refused, timeout), [`OnUnavailable`] decides:
//! - [`OnUnavailable::Refuse`] (the default): the decision is a `storage` error, and no call
//!   is admitted. The limit is never exceeded; calls stop until Redis answers.
//! - [`OnUnavailable::LocalShare`]: each instance admits up to `limit / instances` (rounded
//!   down) per second on its own, so `instances` instances together stay within the limit.
//!   So that admissions decided in Redis and locally never add up in one window, an instance
//!   admits nothing locally during the first span after it lost Redis, and nothing at all
//!   for one span (plus a retry interval and a timeout, during which the other instances
//!   may still be admitting locally) after Redis answers again. If only some instances lose Redis
//!   (a partition) while others still reach it, the two sides do not see each other: the
//!   total may exceed the limit by the cut-off instances' shares. That is the price of
//!   staying up; `Refuse` never pays it.
//!
//! Reconnection is lazy: after a failure the next attempt is made at most every
//! `retry_interval` (100 ms), with short connect and I/O timeouts (250 ms).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sipcreds::{
    Admission, Clock, Error, GroupState, LimiterBackend, MonotonicClock, Nanos, Result,
    SlidingWindow,
};

/// The script: KEYS[1] the group's log (its epoch the member at score 0); ARGV limit, span
/// (µs), max wait (µs), a unique member suffix, the hold (ms). Answers `{admitted (0/1), µs
/// from now to the slot}`. An unlimited group (limit `u32::MAX`, what the limiter passes for
/// no `cpsLimit`) has no window to protect: it is admitted at once, even on a new epoch, and
/// its calls are still logged so that a limit set later counts them.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local hold = tonumber(ARGV[5])
local UNLIMITED = 4294967295
local slot = now
local head = redis.call('ZRANGEBYSCORE', KEYS[1], 0, 0)
local epoch
if head[1] then
  epoch = tonumber(string.sub(head[1], 3))
else
  epoch = now
  redis.call('ZADD', KEYS[1], 0, string.format('e:%d', now))
end
if limit < UNLIMITED and epoch + span > slot then slot = epoch + span end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(0', now - span)
local n = redis.call('ZCARD', KEYS[1]) - 1
if n > 0 then
  local last = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
  if last > slot then slot = last end
end
if n >= limit then
  local edge = tonumber(redis.call('ZRANGE', KEYS[1], n - limit + 1, n - limit + 1, 'WITHSCORES')[2]) + span
  if edge > slot then slot = edge end
end
local admitted = 0
if slot - now <= max_wait then
  redis.call('ZADD', KEYS[1], slot, string.format('%d:%s', slot, ARGV[4]))
  admitted = 1
end
local ttl = math.floor((slot - now + span) / 1000) + 1000
if ttl < hold then ttl = hold end
redis.call('PEXPIRE', KEYS[1], ttl)
return {admitted, slot - now}
";

/// What to do when Redis cannot be reached (see the crate documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnavailable {
    /// Admit nothing: every decision is a `storage` error until Redis answers.
    #[default]
    Refuse,
    /// Fall back to a local share of each group's limit: `limit / instances` per second.
    LocalShare {
        /// How many instances share the limit (at least 1).
        instances: u32,
    },
}

impl std::str::FromStr for OnUnavailable {
    type Err = Error;
    /// `refuse`, or `local:N` (N instances).
    fn from_str(s: &str) -> Result<Self> {
        if s == "refuse" {
            return Ok(OnUnavailable::Refuse);
        }
        match s.strip_prefix("local:").and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if n >= 1 => Ok(OnUnavailable::LocalShare { instances: n }),
            _ => Err(limiter_option(format!(
                "unknown fallback \"{}\": use \"refuse\" or \"local:N\" (N instances share the limit)",
                sipcreds::printable(s, 64)
            ))),
        }
    }
}

/// An option of the limiter URL that does not parse (`invalid_option`, field `limiter`).
/// A query value, percent-decoded (`%2F` is `/`).
fn percent_decode(v: &str) -> Option<String> {
    percent_encoding::percent_decode_str(v)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

fn limiter_option(message: String) -> Error {
    Error::Invalid {
        code: sipcreds::ErrorCode::InvalidOption,
        field: Some("limiter".into()),
        message,
    }
}

/// Settings of the Redis limiter.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// What to do when Redis cannot be reached.
    pub on_unavailable: OnUnavailable,
    /// The prefix of every key (to share a Redis with other users).
    pub prefix: String,
    /// Connect, read and write timeout.
    pub timeout: Duration,
    /// The least time between two connection attempts after a failure.
    pub retry_interval: Duration,
    /// How long a group's log (and its epoch) is kept after its last use.
    pub hold: Duration,
    /// Decide even on a server whose `maxmemory-policy` may evict the logs (`?eviction=allow`).
    pub allow_eviction: bool,
    /// With `rediss://`: the PEM file of the CA(s) the server's certificate must chain to
    /// (`?cafile=PATH`), instead of the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            on_unavailable: OnUnavailable::Refuse,
            prefix: "sipcreds:cps:".into(),
            timeout: Duration::from_millis(250),
            retry_interval: Duration::from_millis(100),
            hold: Duration::from_secs(3600),
            allow_eviction: false,
            ca_file: None,
        }
    }
}

impl RedisOptions {
    /// Read the options a URL's query may carry (`?fallback=refuse|local:N&prefix=P`), and
    /// return the URL without them.
    pub fn from_url(url: &str) -> Result<(String, RedisOptions)> {
        let mut opts = RedisOptions::default();
        if sipcreds::location_fragment(url).is_some() {
            return Err(limiter_option(format!(
                "the limiter URL {} ends in a fragment (#…), which no option reads: a # inside a value (a cafile path, a password) is written %23",
                sipcreds::redact_location(url)
            )));
        }
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), opts));
        };
        let mut keep = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("fallback", v)) => opts.on_unavailable = v.parse()?,
                Some(("prefix", v)) => opts.prefix = v.to_owned(),
                Some(("cafile", v)) => {
                    let path = percent_decode(v)
                        .ok_or_else(|| limiter_option("cafile is not UTF-8".into()))?;
                    if path.is_empty() {
                        return Err(limiter_option(
                            "cafile is empty: give the PEM file of the server's CA".into(),
                        ));
                    }
                    opts.ca_file = Some(path.into());
                }
                Some(("eviction", "allow")) => opts.allow_eviction = true,
                Some(("eviction", "refuse")) => opts.allow_eviction = false,
                Some(("eviction", v)) => {
                    return Err(limiter_option(format!(
                        "unknown eviction {:?}: use \"refuse\" (the default) or \"allow\"",
                        sipcreds::printable(v, 64)
                    )));
                }
                Some(("hold", v)) => {
                    opts.hold = match v.parse::<u64>() {
                        Ok(secs) if (1..=86_400 * 7).contains(&secs) => Duration::from_secs(secs),
                        _ => {
                            return Err(limiter_option(format!(
                                "hold {:?} is not a number of seconds in 1-604800",
                                sipcreds::printable(v, 64)
                            )));
                        }
                    }
                }
                _ => keep.push(pair),
            }
        }
        let url = if keep.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", keep.join("&"))
        };
        Ok((url, opts))
    }
}

/// Where an instance is, towards Redis.
#[derive(Debug, Default)]
struct Health {
    /// When the current outage was first seen (`None`: Redis answers).
    down_since: Option<Nanos>,
    /// The last failed attempt (to space out reconnections).
    last_attempt: Option<Nanos>,
    /// When Redis answered again after an outage (`LocalShare`): the quiet period runs from here.
    recovered_at: Option<Nanos>,
}

struct Shared {
    client: redis::Client,
    script: redis::Script,
    pool: Mutex<Vec<redis::Connection>>,
    options: RedisOptions,
    shown: String,
    clock: MonotonicClock,
    health: Mutex<Health>,
    member: AtomicU64,
    salt: u64,
    /// The server's eviction policy was read and found safe (or allowed).
    policy_checked: std::sync::atomic::AtomicBool,
    /// The groups handed out, so asking again for a key while the limiter holds it gives the
    /// same state (its local fallback window must survive a reload of the configuration).
    /// Weak: a group holds the backend, so a strong map would be a cycle.
    groups: Mutex<HashMap<String, Weak<RedisGroup>>>,
}

/// The Redis limiter backend. Build a [`sipcreds::RateLimiter`] on it (or let
/// `sipcreds-open` do it from a `redis://` URL).
#[derive(Clone)]
pub struct RedisRateBackend {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisRateBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateBackend")
            .field("url", &self.shared.shown)
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

fn micros_ceil(n: Nanos) -> u64 {
    n.div_ceil(1000)
}

impl RedisRateBackend {
    /// A backend on the Redis at `url` (`redis://[:password@]host[:port][/db]`). Nothing is
    /// sent until the first decision; see [`RedisRateBackend::ping`] to check it now.
    pub fn open(url: &str, options: RedisOptions) -> Result<Self> {
        let shown = sipcreds::redact_location(url);
        // Not `{e}`: the client's message may quote the URL whole, password and all.
        let invalid = |e: redis::RedisError| {
            Error::storage(format!(
                "the Redis URL {shown} is not valid ({:?}): use redis://[user:password@]host[:port][/db], or rediss:// for TLS",
                e.kind()
            ))
        };
        let client = match &options.ca_file {
            None => redis::Client::open(url).map_err(invalid)?,
            Some(path) => {
                if sipcreds::location_scheme(url).as_deref() != Some("rediss") {
                    return Err(limiter_option(format!(
                        "cafile is for TLS: the limiter URL {shown} must be rediss://"
                    )));
                }
                let pem = std::fs::read(path)
                    .map_err(|e| limiter_option(format!("cafile {}: {e}", path.display())))?;
                if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                    return Err(limiter_option(format!(
                        "cafile {}: no PEM certificate in it",
                        path.display()
                    )));
                }
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                };
                redis::Client::build_with_tls(url, certificates).map_err(invalid)?
            }
        };
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Ok(RedisRateBackend {
            shared: Arc::new(Shared {
                client,
                script: redis::Script::new(SCRIPT),
                pool: Mutex::new(Vec::new()),
                options,
                shown,
                clock: MonotonicClock::new(),
                health: Mutex::new(Health::default()),
                member: AtomicU64::new(0),
                salt,
                policy_checked: std::sync::atomic::AtomicBool::new(false),
                groups: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Check that Redis answers (and that its eviction policy is safe, see the crate docs).
    pub fn ping(&self) -> Result<()> {
        let mut conn = self.shared.connection().map_err(Failure::into_error)?;
        redis::cmd("PING")
            .query::<String>(&mut conn)
            .map_err(|e| self.shared.unreachable(&e))?;
        self.shared.give_back(conn);
        Ok(())
    }

    /// The URL, without its password.
    pub fn describe(&self) -> &str {
        &self.shared.shown
    }
}

impl Shared {
    fn unreachable(&self, e: &redis::RedisError) -> Error {
        // A TLS-only port answers plain RESP by closing the connection.
        let hint = if sipcreds::location_scheme(&self.shown).as_deref() == Some("redis")
            && (e.is_connection_dropped()
                || matches!(e.kind(), redis::ErrorKind::Io)
                    && matches!(
                        std::error::Error::source(e)
                            .and_then(|s| s.downcast_ref::<std::io::Error>())
                            .map(std::io::Error::kind),
                        Some(
                            std::io::ErrorKind::ConnectionReset
                                | std::io::ErrorKind::UnexpectedEof
                                | std::io::ErrorKind::BrokenPipe
                                | std::io::ErrorKind::ConnectionAborted
                        )
                    ))
        {
            " (the server closed the connection: if this Redis speaks TLS only, use rediss:// with ?cafile=PATH for a CA of your own)"
        } else {
            ""
        };
        Error::storage(format!(
            "the CPS limiter cannot reach Redis at {}: {e}{hint}; no call is admitted until it answers",
            self.shown
        ))
    }

    fn connection(&self) -> std::result::Result<redis::Connection, Failure> {
        if let Some(c) = self.pool.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(c);
        }
        let unreachable = |e: &redis::RedisError| Failure::Unreachable(self.unreachable(e));
        let mut conn = self
            .client
            .get_connection_with_timeout(self.options.timeout)
            .map_err(|e| unreachable(&e))?;
        conn.set_read_timeout(Some(self.options.timeout))
            .and_then(|()| conn.set_write_timeout(Some(self.options.timeout)))
            .map_err(|e| unreachable(&e))?;
        if !self.policy_checked.load(Ordering::Acquire) {
            let info: String = redis::cmd("INFO")
                .arg("memory")
                .query(&mut conn)
                .map_err(|e| unreachable(&e))?;
            self.check_policy(&info)?;
            self.policy_checked.store(true, Ordering::Release);
        }
        Ok(conn)
    }

    /// Refuse a server that may evict the logs (unless allowed): `maxmemory` set and a
    /// `maxmemory-policy` other than `noeviction`.
    fn check_policy(&self, info: &str) -> std::result::Result<(), Failure> {
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let maxmemory: u64 = field("maxmemory").and_then(|v| v.parse().ok()).unwrap_or(0);
        let policy = field("maxmemory_policy").unwrap_or("noeviction");
        if maxmemory == 0 || policy == "noeviction" || self.options.allow_eviction {
            return Ok(());
        }
        Err(Failure::Refused(Error::storage(format!(
            "the Redis at {} has maxmemory {maxmemory} with maxmemory-policy {}: it may evict the CPS limiter's logs, and every eviction holds that group's calls back for a second; set `maxmemory-policy noeviction` (or give the limiter a Redis of its own), or add ?eviction=allow to the limiter URL to accept it",
            self.shown,
            sipcreds::printable(policy, 64)
        ))))
    }

    fn give_back(&self, conn: redis::Connection) {
        if let Ok(mut p) = self.pool.lock()
            && p.len() < 64
        {
            p.push(conn);
        }
    }

    /// One decision in Redis: `(admitted, µs from the server's now to the slot)`.
    fn decide(
        &self,
        group: &str,
        limit: u32,
        span: Nanos,
        max_wait: Nanos,
    ) -> std::result::Result<(bool, u64), Failure> {
        let mut conn = self.connection()?;
        let n = self.member.fetch_add(1, Ordering::Relaxed);
        let reply: redis::RedisResult<(i64, i64)> = self
            .script
            .key(format!("{}g:{group}", self.options.prefix))
            .arg(limit)
            .arg(micros_ceil(span))
            .arg(max_wait / 1000)
            .arg(format!("{:x}-{n:x}", self.salt))
            .arg(self.options.hold.as_millis().min(i64::MAX as u128) as u64)
            .invoke(&mut conn);
        match reply {
            Ok((admitted, wait)) => {
                self.give_back(conn);
                Ok((admitted == 1, wait.max(0) as u64))
            }
            // A broken connection is dropped, not pooled.
            Err(e) => Err(Failure::Unreachable(self.unreachable(&e))),
        }
    }
}

/// Why a decision could not be made in Redis.
enum Failure {
    /// Redis does not answer: an outage, for [`OnUnavailable`] to handle.
    Unreachable(Error),
    /// Redis answers but must not be used as it is set up: never a fallback.
    Refused(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Failure::Unreachable(e) | Failure::Refused(e) => e,
        }
    }
}

#[derive(Debug)]
struct RedisGroup {
    backend: RedisRateBackend,
    key: String,
    /// The local window of the `LocalShare` fallback.
    local: Mutex<SlidingWindow>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl RedisGroup {
    /// The `LocalShare` decision, `ask` being the limiter's `(limit, span, now, max_wait)`.
    fn local_share(
        &self,
        instances: u32,
        ask: (u32, Nanos, Nanos, Nanos),
        down_since: Nanos,
    ) -> Result<Admission> {
        let (limit, span, now, max_wait) = ask;
        let share = limit / instances;
        // Nothing locally in the first span of the outage: admissions made through Redis just
        // before it may still be in the window.
        let earliest = down_since + span;
        if share == 0 {
            return Ok(Admission::Rejected {
                next: now.max(earliest) + span,
            });
        }
        let mut w = self
            .local
            .lock()
            .map_err(|_| Error::storage("the local CPS window is poisoned"))?;
        let start = now.max(earliest);
        if start - now > max_wait {
            return Ok(Admission::Rejected {
                next: w.next_slot(share, span, start),
            });
        }
        let admission = w.acquire(share, span, start, max_wait - (start - now));
        Ok(admission)
    }
}

impl GroupState for RedisGroup {
    fn acquire(&self, limit: u32, span: Nanos, now: Nanos, max_wait: Nanos) -> Result<Admission> {
        let shared = &self.backend.shared;
        // The limiter's `now` is on its own clock; waits are what cross the boundary.
        let local_now = shared.clock.now();
        // After an outage with local fallback, every instance may have admitted its share
        // locally until it saw Redis again (up to a retry interval plus a timeout after Redis
        // came back). Redis knows none of that: stay quiet until those admissions are a span
        // old, so the two kinds never share a window.
        let quiet = span
            + shared.options.retry_interval.as_nanos() as u64
            + shared.options.timeout.as_nanos() as u64;
        let skip_redis = {
            let h = shared
                .health
                .lock()
                .map_err(|_| Error::storage("poisoned"))?;
            if let Some(until) = h.recovered_at.map(|r| r + quiet).filter(|&u| local_now < u) {
                return Ok(Admission::Rejected {
                    next: now + (until - local_now),
                });
            }
            h.last_attempt
                .is_some_and(|t| local_now < t + shared.options.retry_interval.as_nanos() as u64)
        };
        let result = if skip_redis {
            Err(Error::storage(format!(
                "the CPS limiter cannot reach Redis at {}; no call is admitted until it answers",
                shared.shown
            )))
        } else {
            match shared.decide(&self.key, limit, span, max_wait) {
                Ok(r) => Ok(r),
                Err(Failure::Unreachable(e)) => Err(e),
                // A misconfigured server is no outage: refused, whatever the fallback.
                Err(Failure::Refused(e)) => return Err(e),
            }
        };
        let mut h = shared
            .health
            .lock()
            .map_err(|_| Error::storage("poisoned"))?;
        match result {
            Ok((admitted, wait_us)) => {
                h.last_attempt = None;
                let was_down = h.down_since.take().is_some();
                if was_down
                    && matches!(
                        shared.options.on_unavailable,
                        OnUnavailable::LocalShare { .. }
                    )
                {
                    // Back from the local fallback: this call's slot (if any) stays booked,
                    // which only makes Redis stricter, but the call waits out the quiet period.
                    h.recovered_at = Some(local_now);
                    return Ok(Admission::Rejected { next: now + quiet });
                }
                h.recovered_at = None;
                let wait = wait_us.saturating_mul(1000);
                Ok(if admitted {
                    Admission::Admitted { at: now + wait }
                } else {
                    Admission::Rejected { next: now + wait }
                })
            }
            Err(e) => {
                if !skip_redis {
                    h.last_attempt = Some(local_now);
                }
                let down_since = *h.down_since.get_or_insert(local_now);
                match shared.options.on_unavailable {
                    OnUnavailable::Refuse => Err(e),
                    OnUnavailable::LocalShare { instances } => {
                        let a = self.local_share(
                            instances.max(1),
                            (limit, span, local_now, max_wait),
                            down_since,
                        )?;
                        // Back to the limiter's clock.
                        Ok(match a {
                            Admission::Admitted { at } => Admission::Admitted {
                                at: now + (at - local_now),
                            },
                            Admission::Rejected { next } => Admission::Rejected {
                                next: now + (next - local_now),
                            },
                        })
                    }
                }
            }
        }
    }
}

impl LimiterBackend for RedisRateBackend {
    fn group(&self, key: &str) -> Result<Arc<dyn GroupState>> {
        let mut groups = self
            .shared
            .groups
            .lock()
            .map_err(|_| Error::storage("the Redis limiter's groups are poisoned"))?;
        if let Some(g) = groups.get(key).and_then(Weak::upgrade) {
            return Ok(g);
        }
        let g = Arc::new(RedisGroup {
            backend: self.clone(),
            key: key.to_owned(),
            local: Mutex::new(SlidingWindow::new()),
        });
        groups.insert(key.to_owned(), Arc::downgrade(&g));
        Ok(g)
    }

    /// Redis expires idle groups' logs itself (each carries a TTL of `hold`, at least one
    /// span past its last slot); here, forget the groups no limiter holds any more.
    fn sweep(&self, _now: Nanos) {
        if let Ok(mut groups) = self.shared.groups.lock() {
            groups.retain(|_, g| g.strong_count() > 0);
        }
    }
}
