//! # sipcreds-server
//!
//! The HTTP API of sipcreds (`sipcreds serve`): the registry's operations, the CPS limiter
//! and the live probe over HTTP/1.1 and HTTP/2, for stacks that embed none of the libraries
//! and for the dashboard. Tokens with roles, the §8 error bodies with the status of each code,
//! pages, ETags, an event stream, Prometheus metrics, and bounds on everything.
//!
//! [`router`] is the API as an axum `Router`, to mount in a Rust service; [`serve`] runs it
//! on a listener with the connection bounds (head size, header timeout, connection count,
//! TLS, graceful drain).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let registry = sipcreds::Registry::in_memory();
//! let app = sipcreds_server::router(registry, sipcreds_server::Options::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! sipcreds_server::serve(listener, app, sipcreds_server::ServeOptions::default(), std::future::pending()).await
//! # }
//! ```

mod auth;
mod body;
mod dashboard;
mod error;
mod events;
mod layer;
mod routes;
mod serve;

use std::sync::Arc;

use sipcreds::Registry;

pub use auth::SESSION_COOKIE;
pub use error::{ApiError, error_body};
pub use layer::install_metrics;
pub use routes::{MAX_WAIT_MS, ROUTES, RouteDoc};
pub use serve::{ServeOptions, TlsFiles, serve};

/// The OpenAPI 3.1 document of the API, generated from the core's schemas
/// (`cargo xtask codegen`).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// How the API behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether clients reach it over TLS (the session cookie is then `Secure`, and the
    /// `Origin` a signed-in request must carry is `https://`).
    pub tls: bool,
    /// Requests per second per token (token buckets; §14: 50).
    pub token_rate: u32,
    /// The bucket size (§14: 100).
    pub token_burst: u32,
    /// Whether `/metrics` is served by this router (false when it has a listener of its
    /// own).
    pub metrics: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: false,
            token_rate: 50,
            token_burst: 100,
            metrics: true,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct State {
    pub registry: Registry,
    pub options: Arc<Options>,
    pub rate: Arc<auth::TokenRate>,
    pub hub: Arc<events::Hub>,
    pub probes: Arc<routes::ProbeGate>,
    pub tokens: Arc<auth::TokenCache>,
    /// This router's id in its announcements (its own are not published twice).
    pub instance: Arc<str>,
}

impl State {
    /// A change made through this server: published to its own listeners at once, and
    /// announced to the other instances sharing the store (PostgreSQL's `NOTIFY`).
    pub fn changed(&self, org: &str, kind: &str, data: serde_json::Value) {
        self.hub.publish(org, kind, data.clone());
        let payload = serde_json::json!({
            "instance": &*self.instance, "org": org, "type": kind, "data": data,
        })
        .to_string();
        let registry = self.registry.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = registry.announce(&payload) {
                tracing::warn!(target: "sipcreds::events", error = %e, "announcement failed");
            }
        });
    }
}

/// The API as a router over `registry`.
pub fn router(registry: Registry, options: Options) -> axum::Router {
    install_metrics();
    let state = state(registry, options);
    events::forward_announcements(&state);
    routes::router(state)
}

/// The API as a router over `registry`, with `monitor`'s transitions in the event stream
/// (`health.transition`, §13's event with its org) and its states counted in `/metrics`
/// (`sipcreds_health_transitions_total{to}`). Call from within a tokio runtime.
pub fn router_with_monitor(
    registry: Registry,
    options: Options,
    monitor: &sipcreds_probe::Monitor,
) -> axum::Router {
    install_metrics();
    let state = state(registry, options);
    events::forward_announcements(&state);
    let mut rx = monitor.subscribe();
    let st = state.clone();
    // The transitions to the event stream and /metrics; the records by state (one GROUP BY
    // over the store) a second after a transition, and every 15 s.
    let registry = state.registry.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        let mut stale = true;
        let mut refreshed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Ok(t) => {
                        metrics::counter!("sipcreds_health_transitions_total", "to" => t.event.to.as_str())
                            .increment(1);
                        st.changed(t.org.as_str(), "health.transition", t.event.to_json());
                        stale = true;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => stale = true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    if !stale && refreshed.elapsed() < std::time::Duration::from_secs(15) {
                        continue;
                    }
                    stale = false;
                    refreshed = tokio::time::Instant::now();
                    let reg = registry.clone();
                    if let Ok(Ok(counts)) =
                        tokio::task::spawn_blocking(move || reg.health_state_counts()).await
                    {
                        for state in sipcreds::HealthState::ALL {
                            let n = counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
                            metrics::gauge!("sipcreds_health_credentials", "state" => state.as_str())
                                .set(n as f64);
                        }
                    }
                }
            }
        }
    });
    routes::router(state)
}

#[cfg(test)]
pub(crate) fn test_state() -> State {
    state(Registry::in_memory(), Options::default())
}

fn state(registry: Registry, options: Options) -> State {
    State {
        registry,
        rate: Arc::new(auth::TokenRate::new(
            options.token_rate,
            options.token_burst,
        )),
        options: Arc::new(options),
        hub: Arc::default(),
        probes: Arc::default(),
        tokens: Arc::default(),
        instance: sipcreds::TokenId::generate().as_str()[4..].into(),
    }
}

/// `/metrics` alone, for a listener of its own (`--metrics-listen`).
pub fn metrics_router() -> axum::Router {
    install_metrics();
    axum::Router::new()
        .route("/metrics", axum::routing::get(layer::metrics))
        .fallback(|| async { ApiError::no_route() })
}

/// Run a registry call on the blocking pool (the stores are synchronous); a panic there is
/// `internal`. (Measured against `block_in_place`, which runs it on the worker itself: the
/// same latency at concurrency 1, and at 64 a third less throughput and three times the p99,
/// from the workers it hands off; scripts/bench_http.sh.)
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> sipcreds::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(_) => Err(ApiError::internal()),
    }
}
