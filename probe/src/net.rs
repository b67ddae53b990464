//! The network entry points: the probe of a credential (async and blocking), one probe of a
//! credential at a time, and the blocking calls' runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use sipcreds::{Credential, CredentialInput, Error, Registry};

use crate::options::ProbeOptions;
use crate::report::Report;
use crate::run;

type Key = (String, String);
type Locks = Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>;

fn locks() -> &'static Locks {
    static LOCKS: OnceLock<Locks> = OnceLock::new();
    LOCKS.get_or_init(Default::default)
}

/// One lock per credential probed in this process: a second probe of it waits for the first.
/// The entry lives as long as a probe of the credential runs or waits.
struct Held {
    key: Key,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl Held {
    fn of(org: &str, id: &str) -> Held {
        let key = (org.to_owned(), id.to_owned());
        let mut map = locks().lock().unwrap_or_else(|p| p.into_inner());
        let lock = match map.get(&key).and_then(Weak::upgrade) {
            Some(lock) => lock,
            None => {
                let lock = Arc::new(tokio::sync::Mutex::new(()));
                map.insert(key.clone(), Arc::downgrade(&lock));
                lock
            }
        };
        Held { key, lock }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Under the map's mutex, where every other taker upgrades its entry: when this is the
        // last strong reference, nobody holds or waits for the lock, and the entry goes.
        let mut map = locks().lock().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(&self.lock) == 1 {
            map.remove(&self.key);
        }
    }
}

/// How many credentials have a probe running or waiting in this process.
pub fn probes_in_flight() -> usize {
    locks().lock().unwrap_or_else(|p| p.into_inner()).len()
}

/// Probe a credential input that is not stored (its id, if any, only goes in the report).
/// Runs without the per-credential lock.
pub async fn probe_input(
    id: Option<&str>,
    input: &CredentialInput,
    options: &ProbeOptions,
) -> Report {
    run::probe_input(id, input, options).await
}

/// Probe a stored credential. A second probe of the same credential in this process waits
/// for the first one to end (and then runs within its own budget).
pub async fn probe(credential: &Credential, options: &ProbeOptions) -> Report {
    let held = Held::of(credential.org.as_str(), credential.id.as_str());
    // Declared after `held`, so released before it.
    let _guard = held.lock.lock().await;
    run::probe_input(Some(credential.id.as_str()), &credential.input, options).await
}

/// Probe the credential `id` of `org`: `not_found` when there is none. A probe that fails is
/// a [`Report`], not an error; errors are for what stops the probe from starting.
pub async fn probe_registry(
    registry: &Registry,
    org: &str,
    id: &str,
    options: &ProbeOptions,
) -> Result<Report, Error> {
    let credential = registry.get_credential(org, id)?;
    Ok(probe(&credential, options).await)
}

/// The shared runtime of every library surface's probes (two worker threads, started on
/// first use): a probe waits on its sockets and timers here, never on a thread of its own, so
/// a hundred probes of silent peers take one budget, not a hundred.
pub fn shared_runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    runtime()
}

/// Start the probe of `credential` on the [`shared_runtime`] and return at once; `on_done`
/// gets the report when it ends, on the runtime's blocking pool (so it may block, e.g. to take
/// Python's GIL, without stalling other probes).
pub fn spawn_probe(
    credential: Credential,
    options: ProbeOptions,
    on_done: impl FnOnce(Report) + Send + 'static,
) -> Result<(), Error> {
    let rt = runtime()?;
    rt.spawn(async move {
        let report = probe(&credential, &options).await;
        let _ = tokio::task::spawn_blocking(move || on_done(report)).await;
    });
    Ok(())
}

/// [`probe`] run on the [`shared_runtime`], awaitable from any executor (napi's runtime, a
/// caller's own): the probe's sockets and timers stay on the shared runtime.
pub async fn probe_shared(credential: Credential, options: ProbeOptions) -> Result<Report, Error> {
    let rt = runtime()?;
    rt.spawn(async move { probe(&credential, &options).await })
        .await
        .map_err(|e| Error::storage(format!("the probe stopped: {e}")))
}

/// The most probes `probe_all` runs at once.
pub const MAX_CONCURRENCY: usize = 10_000;

/// Check a `probe_all` concurrency: 1 to [`MAX_CONCURRENCY`], else `invalid_option` naming
/// `concurrency`.
pub fn check_concurrency(concurrency: usize) -> Result<usize, Error> {
    if concurrency == 0 || concurrency > MAX_CONCURRENCY {
        return Err(Error::invalid(
            sipcreds::ErrorCode::InvalidOption,
            "concurrency",
            format!("concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency}"),
        ));
    }
    Ok(concurrency)
}

/// Probe `credentials`, `concurrency` at a time, on the [`shared_runtime`]: each report is
/// sent on the returned channel as it ends, with the index of its credential; the channel
/// closes after the last. Dropping the receiver stops starting new probes (those running end
/// within their budget).
pub fn probe_all_channel(
    credentials: Vec<Credential>,
    concurrency: usize,
    options: ProbeOptions,
) -> Result<std::sync::mpsc::Receiver<(usize, Report)>, Error> {
    let concurrency = check_concurrency(concurrency)?;
    let rt = runtime()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let options = Arc::new(options);
    let credentials = Arc::new(credentials);
    rt.spawn(async move {
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..credentials.len() {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let (credentials, options, tx, stop) = (
                credentials.clone(),
                options.clone(),
                tx.clone(),
                stop.clone(),
            );
            tasks.spawn(async move {
                let report = probe(&credentials[i], &options).await;
                drop(permit);
                if tx.send((i, report)).is_err() {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
            // Reap what ended, so the set stays as small as the concurrency.
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    });
    Ok(rx)
}

/// Every credential of `org` probed, `concurrency` at a time, `on_report` called on this
/// thread with each report as it ends (return `false` to stop starting more); answers how
/// many were probed. The surfaces without an async runtime of their own (C, uniffi) use it.
pub fn probe_all_blocking(
    registry: &Registry,
    org: &str,
    concurrency: usize,
    options: ProbeOptions,
    mut on_report: impl FnMut(Report) -> bool,
) -> Result<usize, Error> {
    check_concurrency(concurrency)?;
    let credentials = registry.list_credentials(org)?;
    let rx = probe_all_channel(credentials, concurrency, options)?;
    let mut n = 0;
    for (_, report) in rx {
        n += 1;
        if !on_report(report) {
            break;
        }
    }
    Ok(n)
}

/// The runtime of the blocking calls: two worker threads, started on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sipcreds-probe")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::storage(format!("the probe's runtime cannot start: {e}")))
}

fn block_on<T: Send>(fut: impl std::future::Future<Output = T> + Send) -> Result<T, Error> {
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_ok() {
        // Called from inside a runtime: block a helper thread, not the caller's executor.
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(fut))
                .join()
                .map_err(|_| Error::storage("the probe panicked"))
        })
    } else {
        Ok(rt.block_on(fut))
    }
}

/// [`probe`], blocking the calling thread (the probe runs on a shared two-thread runtime).
pub fn probe_blocking(credential: &Credential, options: &ProbeOptions) -> Result<Report, Error> {
    block_on(probe(credential, options))
}

/// [`probe_registry`], blocking the calling thread.
pub fn probe_registry_blocking(
    registry: &Registry,
    org: &str,
    id: &str,
    options: &ProbeOptions,
) -> Result<Report, Error> {
    let credential = registry.get_credential(org, id)?;
    probe_blocking(&credential, options)
}

/// [`probe_registry_blocking`] with the options as JSON (the form the C, Node and Python
/// surfaces pass), answering the report as a JSON string.
pub fn probe_registry_json(
    registry: &Registry,
    org: &str,
    id: &str,
    options_json: &str,
) -> Result<String, Error> {
    let options = ProbeOptions::from_json(options_json)?;
    probe_registry_blocking(registry, org, id, &options).map(|r| r.to_json_string())
}
