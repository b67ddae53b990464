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
pub use routes::{MAX_WAIT_MS, ROUTES};
pub use serve::{ServeOptions, TlsFiles, serve};

/// The OpenAPI 3.1 document of the API, generated from the core's schemas
/// (`SIPCREDS_BLESS=1 cargo test -p sipcreds-conformance --test generated`).
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
}

/// The API as a router over `registry`.
pub fn router(registry: Registry, options: Options) -> axum::Router {
    let state = State {
        registry,
        rate: Arc::new(auth::TokenRate::new(
            options.token_rate,
            options.token_burst,
        )),
        options: Arc::new(options),
        hub: Arc::default(),
        probes: Arc::default(),
        tokens: Arc::default(),
    };
    routes::router(state)
}

/// `/metrics` alone, for a listener of its own (`--metrics-listen`).
pub fn metrics_router() -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(layer::metrics))
        .fallback(|| async { ApiError::no_route() })
}

/// Run a registry call on the blocking pool (the stores are synchronous); a panic there is
/// `internal`.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> sipcreds::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(_) => Err(ApiError::internal()),
    }
}
