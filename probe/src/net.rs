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
