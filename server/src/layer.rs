//! What wraps every request: its id, a caught panic as a 500 `internal`, the security
//! headers, one log line (method, route template, status, ms, token id; never a header value,
//! a body or a query string), and the request metrics.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::auth::TokenSlot;
use crate::error::{ApiError, InternalMarker, error_body, json_response};

static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the Prometheus recorder as the process's metrics recorder (once; `false` when
/// another recorder was installed first, and `/metrics` then answers empty).
pub fn install_metrics() -> bool {
    METRICS
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .is_some()
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics() -> Response {
    let text = METRICS
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default();
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// The Content-Security-Policy of every answer.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The request layer.
pub(crate) async fn request(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = format!(
        "{:x}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    );
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(no route)".to_owned());
    let slot = TokenSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(r) => r,
        Err(_) => ApiError::internal().into_response(),
    };
    let status = response.status();
    if response.extensions().get::<InternalMarker>().is_some()
        || status == StatusCode::INTERNAL_SERVER_ERROR
    {
        tracing::error!(target: "sipcreds::http", request_id = %id, method = %method, route = %route, "internal error");
        let e = sipcreds::Error::Internal {
            request_id: id.clone(),
        };
        response = json_response(StatusCode::INTERNAL_SERVER_ERROR, &error_body(&e));
    }
    let h = response.headers_mut();
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The dashboard's pages (§15) and every other answer: this origin's files only, no
    // inline script or style, never framed.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let token = slot
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_else(|| "-".into());
    tracing::info!(
        target: "sipcreds::http",
        request_id = %id,
        method = %method,
        route = %route,
        status = status.as_u16(),
        ms = format!("{ms:.2}"),
        token = %token,
    );
    metrics::counter!(
        "sipcreds_http_requests_total",
        "route" => route.clone(),
        "method" => method.to_string(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!("sipcreds_http_request_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
