//! The event stream of an org (`GET /v1/orgs/{org}/events`): every change made through this
//! server as it commits, and the changes other instances make to the org's credentials (seen
//! through the store's change counter, polled while someone listens).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// How often a listened-to org's change counter is read.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// One org's channel and the counter it last saw.
#[derive(Debug)]
struct Channel {
    tx: broadcast::Sender<Arc<Value>>,
    counter: Arc<Mutex<Option<u64>>>,
}

/// The channels of the orgs someone listens to.
#[derive(Debug, Default)]
pub struct Hub {
    orgs: Mutex<HashMap<String, Channel>>,
}

impl Hub {
    /// Tell the org's listeners (if any) of a change: `{"type", ...fields}`.
    pub fn publish(&self, org: &str, kind: &str, mut fields: Value) {
        let orgs = self.orgs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ch) = orgs.get(org) {
            if let Some(map) = fields.as_object_mut() {
                map.insert("type".into(), kind.into());
            }
            let _ = ch.tx.send(Arc::new(fields));
        }
    }

    /// Subscribe to an org; the first listener starts the poll of its change counter.
    pub fn subscribe(
        self: &Arc<Self>,
        org: &str,
        registry: &sipcreds::Registry,
    ) -> broadcast::Receiver<Arc<Value>> {
        let mut orgs = self.orgs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ch) = orgs.get(org) {
            return ch.tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(256);
        let counter = Arc::new(Mutex::new(None));
        orgs.insert(
            org.to_owned(),
            Channel {
                tx: tx.clone(),
                counter: counter.clone(),
            },
        );
        let hub = Arc::downgrade(self);
        let registry = registry.clone();
        let org = org.to_owned();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            loop {
                tick.tick().await;
                if tx.receiver_count() == 0 {
                    if let Some(hub) = hub.upgrade() {
                        let mut orgs = hub.orgs.lock().unwrap_or_else(|p| p.into_inner());
                        if orgs.get(&org).is_some_and(|c| c.tx.receiver_count() == 0) {
                            orgs.remove(&org);
                            return;
                        }
                    }
                    continue;
                }
                let (reg, o) = (registry.clone(), org.clone());
                let now = tokio::task::spawn_blocking(move || reg.change_counter(&o))
                    .await
                    .ok()
                    .and_then(|r| r.ok())
                    .flatten();
                let mut seen = counter.lock().unwrap_or_else(|p| p.into_inner());
                if let (Some(now), Some(before)) = (now, *seen)
                    && now != before
                {
                    let _ = tx.send(Arc::new(
                        json!({"type": "credentials.changed", "counter": now}),
                    ));
                }
                if now.is_some() {
                    *seen = now;
                }
            }
        });
        rx
    }

    /// Whether anyone listens to the org (through this server).
    pub fn listened(&self, org: &str) -> bool {
        self.orgs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(org)
    }

    /// Record that this server itself moved the org's change counter to `counter` (so the poll
    /// does not announce its own change twice).
    pub fn saw_counter(&self, org: &str, counter: Option<u64>) {
        let orgs = self.orgs.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(ch), Some(c)) = (orgs.get(org), counter) {
            *ch.counter.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
        }
    }
}

/// Publish the other instances' announcements ([`sipcreds::Registry::listen`]) to this
/// router's listeners, on a thread of its own that ends with the router.
pub(crate) fn forward_announcements(state: &crate::State) {
    let Some(rx) = state.registry.listen() else {
        return;
    };
    let hub = Arc::downgrade(&state.hub);
    let own = state.instance.clone();
    let _ = std::thread::Builder::new()
        .name("sipcreds-events".into())
        .spawn(move || {
            for payload in rx {
                let Some(hub) = hub.upgrade() else {
                    return;
                };
                if payload.is_empty() {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(&payload) else {
                    continue;
                };
                if v["instance"].as_str() == Some(&*own) {
                    continue;
                }
                if let (Some(org), Some(kind)) = (v["org"].as_str(), v["type"].as_str()) {
                    hub.publish(org, kind, v["data"].clone());
                }
            }
        });
}

/// The SSE response of a subscription.
pub fn stream(
    rx: broadcast::Receiver<Arc<Value>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let first = Event::default().event("ready").data("{}");
    let s = futures_util::stream::unfold((rx, Some(first)), |(mut rx, first)| async move {
        if let Some(e) = first {
            return Some((Ok(e), (rx, None)));
        }
        let e = match rx.recv().await {
            Ok(v) => {
                let kind = v["type"].as_str().unwrap_or("change").to_owned();
                Event::default().event(kind).data(v.to_string())
            }
            Err(broadcast::error::RecvError::Lagged(n)) => Event::default()
                .event("resync")
                .data(json!({"type": "resync", "missed": n}).to_string()),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(e), (rx, None)))
    });
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
