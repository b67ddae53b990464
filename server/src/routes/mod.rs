//! The routes of §14 and their handlers.

mod agents;
mod credentials;
mod numbers;
mod org;
mod plain;
mod session;
mod table;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State as St;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};
use sipcreds::{CredentialInput, CredentialPatch, Error, ErrorCode};

use crate::State;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::body::{PathArgs, Query, Text, string_field};
use crate::error::{ApiError, ApiResult, json_response};
use crate::{blocking, layer};

use agents::*;
use credentials::*;
use numbers::*;
use org::*;
use plain::*;
use session::*;
pub use table::{ROUTES, RouteDoc};

/// The longest `maxWaitMs` of `acquire` over HTTP (a request that waits longer would meet
/// proxies' timeouts; the libraries wait up to an hour).
pub const MAX_WAIT_MS: u64 = 10_000;

/// At most one HTTP probe per credential per this long (§14; the monitor's do not count).
pub const PROBE_EVERY: Duration = Duration::from_secs(10);

/// When each credential was last probed over HTTP.
#[derive(Debug, Default)]
pub struct ProbeGate(Mutex<HashMap<(String, String), Instant>>);

impl ProbeGate {
    fn take(&self, org: &str, id: &str) -> ApiResult<()> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if m.len() > 10_000 {
            m.retain(|_, at| now.duration_since(*at) < PROBE_EVERY);
        }
        let key = (org.to_owned(), id.to_owned());
        if let Some(at) = m.get(&key) {
            let since = now.duration_since(*at);
            if since < PROBE_EVERY {
                return Err(Error::Denied {
                    code: ErrorCode::TooManyRequests,
                    message:
                        "this credential was probed less than 10 s ago; retry after retryAfterMs"
                            .into(),
                    retry_after_ms: Some((PROBE_EVERY - since).as_millis() as u64 + 1),
                }
                .into());
            }
        }
        m.insert(key, now);
        Ok(())
    }
}

impl State {
    /// A read of the caller's org (any role), on the blocking pool: its JSON answer.
    pub(crate) async fn read<T: serde::Serialize + Send + 'static>(
        &self,
        c: &Caller,
        org: String,
        f: impl FnOnce(&sipcreds::Registry, &str) -> sipcreds::Result<T> + Send + 'static,
    ) -> ApiResult<Response> {
        c.org(&org)?;
        let reg = self.registry.clone();
        Ok(ok(blocking(move || f(&reg, &org)).await?))
    }

    /// A change of the caller's org (a write token), on the blocking pool, announced as
    /// `kind` with the event `event` makes of the result: the result.
    async fn write<T: Send + 'static>(
        &self,
        c: &Caller,
        org: &str,
        kind: &str,
        f: impl FnOnce(&sipcreds::Registry, &str) -> sipcreds::Result<T> + Send + 'static,
        event: impl FnOnce(&T) -> Value,
    ) -> ApiResult<T> {
        c.writer(org)?;
        let reg = self.registry.clone();
        let o = org.to_owned();
        let listened = self.hub.listened(org);
        let (out, counter) = blocking(move || {
            let out = f(&reg, &o)?;
            // A change of credentials moves the store's change counter, which the event
            // stream's poll watches for other writers' changes: read it now (only when someone
            // listens), so the poll does not announce this one a second time.
            let counter = listened
                .then(|| reg.change_counter(&o).ok().flatten())
                .flatten();
            Ok((out, counter))
        })
        .await?;
        self.hub.saw_counter(org, counter);
        self.changed(org, kind, event(&out));
        Ok(out)
    }
}

fn ok(v: impl serde::Serialize) -> Response {
    json_response(StatusCode::OK, &v)
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn credential_response(status: StatusCode, c: &sipcreds::Credential, org: &str) -> Response {
    let mut r = json_response(status, c);
    r.headers_mut().insert(header::ETAG, etag(c.version));
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("/v1/orgs/{org}/credentials/{}", c.id))
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub(crate) fn router(state: State) -> Router {
    router_with(state, Router::new())
}

/// The router with `extra` routes behind the same layers (for tests).
fn router_with(state: State, extra: Router<State>) -> Router {
    let org = |p: &str| format!("/v1/orgs/{{org}}{p}");
    let mut r = extra
        .route("/v1/healthz", get(healthz))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/session", post(sign_in).get(who_am_i).delete(sign_out))
        .route("/v1/diagnose", post(diagnose))
        .route(
            &org("/credentials"),
            get(list_credentials).post(create_credential),
        )
        .route(&org("/credentials/validate"), post(validate))
        .route(&org("/credentials/lint"), post(lint_input))
        .route(
            &org("/credentials/{id}"),
            get(get_credential)
                .patch(update_credential)
                .delete(delete_credential),
        )
        .route(&org("/credentials/{id}/usage"), get(usage))
        .route(&org("/credentials/{id}/probe"), post(probe))
        .route(&org("/credentials/{id}/acquire"), post(acquire))
        .route(&org("/credentials/{id}/health"), get(health))
        .route(&org("/credentials/{id}/health/events"), get(health_events))
        .route(&org("/credentials/{id}/pause"), post(pause))
        .route(&org("/credentials/{id}/resume"), post(resume))
        .route(&org("/health"), get(health_list))
        .route(&org("/events"), get(events))
        .route(&org("/numbers"), get(list_numbers))
        .route(
            &org("/numbers/{number}"),
            get(get_number).put(put_number).delete(delete_number),
        )
        .route(&org("/agents"), get(list_agents).post(create_agent))
        .route(&org("/agents/{id}"), get(get_agent).delete(delete_agent))
        .route(
            &org("/agents/{id}/numbers/{number}"),
            put(assign_number).delete(unassign_number),
        )
        .route(
            &org("/providers"),
            get(list_providers).post(connect_provider),
        )
        .route(
            &org("/providers/{id}"),
            axum::routing::delete(delete_provider),
        )
        .route(&org("/limits"), get(limits))
        .route(&org("/lint"), get(lint_org));
    r = crate::dashboard::routes(r);
    if state.options.metrics {
        r = r.route("/metrics", get(layer::metrics));
    }
    r.fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async { ApiError::no_route() })
        .layer(axum::extract::DefaultBodyLimit::max(
            sipcreds::MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn(layer::request))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    /// A panic in a handler reaches no client: a 500 `internal` with a request id and no
    /// detail, and the server goes on.
    #[tokio::test]
    async fn a_panic_is_a_500_internal_without_detail() {
        let state = crate::test_state();
        let app = router_with(
            state,
            Router::new().route(
                "/v1/boom",
                get(|| async {
                    if std::hint::black_box(true) {
                        panic!("secret detail");
                    }
                    "unreachable"
                }),
            ),
        );
        let r = app
            .clone()
            .oneshot(
                axum::http::Request::get("/v1/boom")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&id) && !message.contains("secret"),
            "{message}"
        );
        assert!(v["error"].get("field").is_none());
        let ok = app
            .oneshot(
                axum::http::Request::get("/v1/healthz")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
