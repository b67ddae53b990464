//! The routes of §14 and their handlers.

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

/// One route of the API, as the OpenAPI document lists it: (method, path, operation id,
/// what it does, the role it needs: `none`, `read` or `write`, success status).
pub type RouteDoc = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u16,
);

/// Every route (`/metrics` aside), for the OpenAPI document and the test that holds the
/// router to it.
pub const ROUTES: &[RouteDoc] = &[
    (
        "get",
        "/v1/healthz",
        "healthz",
        "Liveness and version",
        "none",
        200,
    ),
    (
        "get",
        "/v1/openapi.json",
        "openapi",
        "This document",
        "none",
        200,
    ),
    (
        "post",
        "/v1/session",
        "signIn",
        "Sign in with a token: sets the session cookie",
        "none",
        200,
    ),
    (
        "get",
        "/v1/session",
        "whoAmI",
        "The caller's org, role and token",
        "read",
        200,
    ),
    (
        "delete",
        "/v1/session",
        "signOut",
        "Sign out: clears the session cookie",
        "none",
        200,
    ),
    (
        "post",
        "/v1/diagnose",
        "diagnose",
        "Causes and fixes of a symptom",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/credentials",
        "listCredentials",
        "A page of credentials",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/overview",
        "overview",
        "A page of credentials with their health and numbers, optionally searched (the dashboard's list)",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials",
        "createCredential",
        "Create a credential",
        "write",
        201,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/validate",
        "validateCredential",
        "Validate an input; its normalized form",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/lint",
        "lintInput",
        "Lint findings of an unsaved input in the org's context",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/credentials/{id}",
        "getCredential",
        "One credential",
        "read",
        200,
    ),
    (
        "patch",
        "/v1/orgs/{org}/credentials/{id}",
        "updateCredential",
        "Update a credential (If-Match or expectedVersion)",
        "write",
        200,
    ),
    (
        "delete",
        "/v1/orgs/{org}/credentials/{id}",
        "deleteCredential",
        "Delete a credential (force=true unlinks its numbers)",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/credentials/{id}/usage",
        "usage",
        "The numbers and agents using a credential",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/{id}/probe",
        "probe",
        "Probe the credential's server live",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/credentials/{id}/health",
        "health",
        "The credential's health record (the monitor's)",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/credentials/{id}/health/events",
        "healthEvents",
        "The credential's last transitions (up to 100), oldest first",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/{id}/pause",
        "pause",
        "Stop the monitor probing the credential",
        "write",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/{id}/resume",
        "resume",
        "Probe a paused or rejected credential again",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/health",
        "healthList",
        "A page of health records, one per credential",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/credentials/{id}/acquire",
        "acquire",
        "A CPS decision (maxWaitMs: wait for a slot)",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/events",
        "events",
        "The org's changes as they happen (text/event-stream)",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/numbers",
        "listNumbers",
        "A page of phone numbers",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/numbers/{number}",
        "getNumber",
        "One phone number",
        "read",
        200,
    ),
    (
        "put",
        "/v1/orgs/{org}/numbers/{number}",
        "putNumber",
        "Link a number to a credential, move it, or unlink it (credentialId null)",
        "write",
        200,
    ),
    (
        "delete",
        "/v1/orgs/{org}/numbers/{number}",
        "deleteNumber",
        "Delete a number",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/agents",
        "listAgents",
        "A page of agents",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/agents",
        "createAgent",
        "Create an agent",
        "write",
        201,
    ),
    (
        "get",
        "/v1/orgs/{org}/agents/{id}",
        "getAgent",
        "One agent",
        "read",
        200,
    ),
    (
        "delete",
        "/v1/orgs/{org}/agents/{id}",
        "deleteAgent",
        "Delete an agent",
        "write",
        200,
    ),
    (
        "put",
        "/v1/orgs/{org}/agents/{id}/numbers/{number}",
        "assignNumber",
        "Give an agent a number",
        "write",
        200,
    ),
    (
        "delete",
        "/v1/orgs/{org}/agents/{id}/numbers/{number}",
        "unassignNumber",
        "Take a number from an agent",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/providers",
        "listProviders",
        "A page of connected providers",
        "read",
        200,
    ),
    (
        "post",
        "/v1/orgs/{org}/providers",
        "connectProvider",
        "Connect a provider with its read-only credentials",
        "write",
        201,
    ),
    (
        "delete",
        "/v1/orgs/{org}/providers/{id}",
        "deleteProvider",
        "Delete a provider and its credentials",
        "write",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/limits",
        "limits",
        "The org's CPS groups",
        "read",
        200,
    ),
    (
        "get",
        "/v1/orgs/{org}/lint",
        "lintOrg",
        "Lint findings of every credential of the org",
        "read",
        200,
    ),
];

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

// ------------------------------------------------------------------ open routes

async fn healthz() -> Response {
    ok(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn openapi() -> Response {
    let mut r = (StatusCode::OK, crate::OPENAPI).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// How long a session lasts without a visit (§15: 12 h idle).
const SESSION_SECONDS: u64 = 12 * 3600;

fn session_cookie(value: &str, max_age: u64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

fn who(t: &sipcreds::TokenInfo) -> Value {
    json!({
        "org": t.org.as_str(),
        "role": t.role.as_str(),
        "tokenId": t.id.as_str(),
        "tokenName": t.name.as_ref().map(|n| n.as_str()),
    })
}

async fn sign_in(St(s): St<State>, body: Text) -> ApiResult<Response> {
    let m = body.fields(&["token"], false)?;
    let token = string_field(&m, "token", ErrorCode::Unauthorized, true)?.unwrap_or_default();
    let reg = s.registry.clone();
    let t = token.clone();
    drop(reg);
    let info = s.tokens.authenticate(&s.registry, t).await?;
    s.rate.check(&info)?;
    let mut r = ok(who(&info));
    r.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, SESSION_SECONDS, s.options.tls),
    );
    Ok(r)
}

/// Who am I; for a signed-in browser also the session's renewal: the cookie's 12 hours
/// start again (the dashboard asks on every load, so a session ends after 12 h idle).
async fn who_am_i(c: Caller, St(s): St<State>, headers: HeaderMap) -> Response {
    let mut r = ok(who(&c.token));
    if !headers.contains_key(header::AUTHORIZATION)
        && let Some(token) = crate::auth::cookie_in(&headers, SESSION_COOKIE)
    {
        r.headers_mut().insert(
            header::SET_COOKIE,
            session_cookie(&token, SESSION_SECONDS, s.options.tls),
        );
    }
    r
}

async fn sign_out(St(s): St<State>) -> Response {
    let mut r = ok(json!({"signedOut": true}));
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, s.options.tls));
    r
}

async fn diagnose(_c: Caller, body: Text) -> ApiResult<Response> {
    let m = body.fields(&["symptom", "reason"], false)?;
    let symptom = string_field(&m, "symptom", ErrorCode::InvalidSymptom, true)?.unwrap_or_default();
    let reason = string_field(&m, "reason", ErrorCode::InvalidOption, false)?;
    Ok(ok(sipcreds::diagnose(&symptom, reason.as_deref())?))
}

// ------------------------------------------------------------------ credentials

async fn list_credentials(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page()?;
    s.read(&c, org, move |r, o| r.list_credentials_page(o, &page))
        .await
}

async fn create_credential(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    body: Text,
) -> ApiResult<Response> {
    let cred = s
        .write(
            &c,
            &org,
            "credential.created",
            move |r, o| r.create_credential_json(o, &body.0),
            |c| json!({"id": c.id.as_str(), "version": c.version}),
        )
        .await?;
    Ok(credential_response(StatusCode::CREATED, &cred, &org))
}

async fn validate(c: Caller, PathArgs(org): PathArgs<String>, body: Text) -> ApiResult<Response> {
    c.org(&org)?;
    Ok(ok(sipcreds::validate_credential_json(&body.0)?))
}

async fn lint_input(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    body: Text,
) -> ApiResult<Response> {
    c.org(&org)?;
    let mut m = body.object()?;
    let id = match m.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(Error::invalid(
                ErrorCode::InvalidOption,
                "id",
                "id must be the id (a string) of the credential the input would replace",
            )
            .into());
        }
    };
    let input = CredentialInput::from_json(&Value::Object(m).to_string())?;
    let reg = s.registry.clone();
    let findings = blocking(move || reg.lint_input(&org, &input, id.as_deref())).await?;
    Ok(ok(findings))
}

async fn get_credential(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    c.org(&org)?;
    let reg = s.registry.clone();
    let o = org.clone();
    let cred = blocking(move || reg.get_credential(&o, &id)).await?;
    Ok(credential_response(StatusCode::OK, &cred, &org))
}

/// The version of `If-Match: "N"` (a weak `W/"N"` too); `*` is any version.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::option(
                "If-Match",
                "If-Match must be the ETag of the credential as read, such as \"3\"",
            )
        })
}

async fn update_credential(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
    headers: HeaderMap,
    body: Text,
) -> ApiResult<Response> {
    c.writer(&org)?;
    let mut patch = CredentialPatch::from_json(&body.0)?;
    let from_header = if_match(&headers)?;
    if let Some(v) = from_header {
        if patch.expected_version.is_some_and(|e| e != v) {
            return Err(ApiError::option(
                "If-Match",
                "If-Match and expectedVersion differ; send one of them",
            ));
        }
        patch.expected_version = Some(v);
    }
    let result = s
        .write(
            &c,
            &org,
            "credential.updated",
            move |r, o| r.update_credential(o, &id, patch),
            |c| json!({"id": c.id.as_str(), "version": c.version}),
        )
        .await;
    let cred = match result {
        Err(mut e) if from_header.is_some() && e.error.code() == ErrorCode::Conflict => {
            e.precondition = true;
            return Err(e);
        }
        other => other?,
    };
    Ok(credential_response(StatusCode::OK, &cred, &org))
}

async fn delete_credential(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
    q: Query,
) -> ApiResult<Response> {
    c.writer(&org)?;
    q.only(&["force"])?;
    let force = q.flag("force")?;
    let report = s
        .write(
            &c,
            &org,
            "credential.deleted",
            move |r, o| r.delete_credential(o, &id, force),
            |r| json!({"id": r.deleted, "unlinkedNumbers": r.unlinked_numbers}),
        )
        .await?;
    Ok(ok(report))
}

async fn usage(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    s.read(&c, org, move |r, o| r.usage(o, &id)).await
}

async fn health(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    s.read(&c, org, move |r, o| r.health(o, &id)).await
}

async fn health_events(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    s.read(&c, org, move |r, o| r.health_events(o, &id)).await
}

async fn health_list(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page()?;
    s.read(&c, org, move |r, o| r.health_list(o, &page)).await
}

async fn pause(c: Caller, st: St<State>, path: PathArgs<(String, String)>) -> ApiResult<Response> {
    steer(c, st, path, sipcreds::Registry::pause).await
}

async fn resume(c: Caller, st: St<State>, path: PathArgs<(String, String)>) -> ApiResult<Response> {
    steer(c, st, path, sipcreds::Registry::resume).await
}

/// Pause or resume the monitor's probes of a credential (a write), announced as
/// `health.changed`: the record.
async fn steer(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
    f: fn(&sipcreds::Registry, &str, &str) -> sipcreds::Result<sipcreds::HealthRecord>,
) -> ApiResult<Response> {
    let r = s
        .write(
            &c,
            &org,
            "health.changed",
            move |r, o| f(r, o, &id),
            |h| h.to_json(),
        )
        .await?;
    Ok(ok(r))
}

/// The probe options an HTTP client may set: none that names a file or an address of the
/// server's host.
fn probe_options(body: &Text) -> ApiResult<sipcreds_probe::ProbeOptions> {
    let m = body.fields(&["timeout", "register", "trace"], true)?;
    Ok(sipcreds_probe::ProbeOptions::from_value(&Value::Object(m))?)
}

async fn probe(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
    body: Text,
) -> ApiResult<Response> {
    c.writer(&org)?;
    let options = probe_options(&body)?;
    let reg = s.registry.clone();
    let (o, i) = (org.clone(), id.clone());
    let cred = blocking(move || reg.get_credential(&o, &i)).await?;
    s.probes.take(&org, cred.id.as_str())?;
    let report = sipcreds_probe::probe(&cred, &options).await;
    metrics::counter!("sipcreds_probes_total", "outcome" => report.outcome.as_str()).increment(1);
    Ok(json_response(StatusCode::OK, &report.to_json()))
}

async fn acquire(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
    q: Query,
) -> ApiResult<Response> {
    c.writer(&org)?;
    q.only(&["maxWaitMs"])?;
    let wait = match q.0.get("maxWaitMs") {
        None => None,
        Some(v) => {
            let n = v.parse::<f64>().map_err(|_| {
                ApiError::option(
                    "maxWaitMs",
                    format!(
                        "maxWaitMs must be a number of milliseconds, not {}",
                        sipcreds::printable(v, 32)
                    ),
                )
            })?;
            if n > MAX_WAIT_MS as f64 {
                return Err(ApiError::option(
                    "maxWaitMs",
                    format!("maxWaitMs must be from 0 to {MAX_WAIT_MS} over HTTP, not {n}"),
                ));
            }
            Some(sipcreds::Registry::wait_option("maxWaitMs", n, 1000.0)?)
        }
    };
    let reg = s.registry.clone();
    let decision = blocking(move || match wait {
        None => reg.try_acquire(&org, &id),
        Some(w) => reg.reserve(&org, &id, w),
    })
    .await?;
    metrics::counter!(
        "sipcreds_rate_decisions_total",
        "admitted" => if decision.is_admitted() { "true" } else { "false" }
    )
    .increment(1);
    if let Some(w) = decision.wait().filter(|w| !w.is_zero()) {
        tokio::time::sleep(w).await;
    }
    Ok(ok(decision))
}

async fn events(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    c.org(&org)?;
    let rx = s.hub.subscribe(&org, &s.registry);
    Ok(crate::events::stream(rx).into_response())
}

// ------------------------------------------------------------------ numbers

async fn list_numbers(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page()?;
    s.read(&c, org, move |r, o| r.list_numbers_page(o, &page))
        .await
}

async fn get_number(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, number)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    s.read(&c, org, move |r, o| r.get_number(o, &number)).await
}

async fn put_number(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, number)): PathArgs<(String, String)>,
    body: Text,
) -> ApiResult<Response> {
    c.writer(&org)?;
    let m = body.fields(&["credentialId"], false)?;
    if !m.contains_key("credentialId") {
        return Err(Error::invalid(
            ErrorCode::MissingField,
            "credentialId",
            "credentialId is required: a credential's id to link, or null to unlink",
        )
        .into());
    }
    let target = match m.get("credentialId") {
        Some(Value::Null) | None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::NotFound {
                what: "credential",
                field: "credentialId",
                id: "(not a string)".into(),
            }
            .into());
        }
    };
    let reg = s.registry.clone();
    let o = org.clone();
    let record = blocking(move || match &target {
        Some(id) => reg.link_number(&o, &number, id),
        None => reg.unlink_number(&o, &number),
    })
    .await?;
    s.changed(
        &org,
        if record.credential_id.is_some() {
            "number.linked"
        } else {
            "number.unlinked"
        },
        record.to_json(),
    );
    Ok(ok(record))
}

async fn delete_number(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, number)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    let record = s
        .write(
            &c,
            &org,
            "number.deleted",
            move |r, o| r.delete_number(o, &number),
            |n| json!({"number": n.number}),
        )
        .await?;
    Ok(ok(record))
}

// ------------------------------------------------------------------ agents

async fn list_agents(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page()?;
    s.read(&c, org, move |r, o| r.list_agents_page(o, &page))
        .await
}

async fn create_agent(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    body: Text,
) -> ApiResult<Response> {
    c.writer(&org)?;
    let m = body.fields(&["name"], false)?;
    let name = string_field(&m, "name", ErrorCode::InvalidName, true)?.unwrap_or_default();
    let agent = s
        .write(
            &c,
            &org,
            "agent.created",
            move |r, o| r.create_agent(o, &name),
            |a| a.to_json(),
        )
        .await?;
    Ok(json_response(StatusCode::CREATED, &agent))
}

async fn get_agent(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    s.read(&c, org, move |r, o| r.get_agent(o, &id)).await
}

async fn delete_agent(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    let agent = s
        .write(
            &c,
            &org,
            "agent.deleted",
            move |r, o| r.delete_agent(o, &id),
            |a| json!({"id": a.id.as_str()}),
        )
        .await?;
    Ok(ok(agent))
}

async fn assign_number(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id, number)): PathArgs<(String, String, String)>,
) -> ApiResult<Response> {
    let agent = s
        .write(
            &c,
            &org,
            "agent.updated",
            move |r, o| r.assign_number(o, &id, &number),
            |a| a.to_json(),
        )
        .await?;
    Ok(ok(agent))
}

async fn unassign_number(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id, number)): PathArgs<(String, String, String)>,
) -> ApiResult<Response> {
    let agent = s
        .write(
            &c,
            &org,
            "agent.updated",
            move |r, o| r.unassign_number(o, &id, &number),
            |a| a.to_json(),
        )
        .await?;
    Ok(ok(agent))
}

// ------------------------------------------------------------------ providers, limits, lint

async fn list_providers(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page()?;
    s.read(&c, org, move |r, o| r.list_providers_page(o, &page))
        .await
}

async fn connect_provider(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    body: Text,
) -> ApiResult<Response> {
    c.writer(&org)?;
    let m = body.fields(&["kind", "name", "credentials"], false)?;
    let kind = string_field(&m, "kind", ErrorCode::InvalidName, true)?.unwrap_or_default();
    let name = string_field(&m, "name", ErrorCode::InvalidName, true)?.unwrap_or_default();
    let credentials = match m.get("credentials") {
        None => {
            return Err(Error::invalid(
                ErrorCode::MissingField,
                "credentials",
                "credentials is required: a list of credential inputs",
            )
            .into());
        }
        Some(v) => v.to_string(),
    };
    let connected = s
        .write(
            &c,
            &org,
            "provider.connected",
            move |r, o| r.connect_provider_json(o, &kind, &name, &credentials),
            |p| json!({"id": p.provider.id.as_str()}),
        )
        .await?;
    Ok(json_response(StatusCode::CREATED, &connected))
}

async fn delete_provider(
    c: Caller,
    St(s): St<State>,
    PathArgs((org, id)): PathArgs<(String, String)>,
) -> ApiResult<Response> {
    let report = s
        .write(
            &c,
            &org,
            "provider.deleted",
            move |r, o| r.delete_provider(o, &id),
            |r| serde_json::to_value(r).unwrap_or(Value::Null),
        )
        .await?;
    Ok(ok(report))
}

async fn limits(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    s.read(&c, org, |r, o| {
        Ok(json!({"items": r.rate_groups(o)?, "next": null}))
    })
    .await
}

async fn lint_org(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    s.read(&c, org, |r, o| {
        Ok(json!({"items": r.lint(o)?, "next": null}))
    })
    .await
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
