//! The credential routes not in plain.rs: create, validate, lint an input, read, update
//! (If-Match), delete, probe, acquire, and the org's event stream.

use super::*;

pub(super) async fn create_credential(
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

pub(super) async fn validate(
    c: Caller,
    PathArgs(org): PathArgs<String>,
    body: Text,
) -> ApiResult<Response> {
    c.org(&org)?;
    Ok(ok(sipcreds::validate_credential_json(&body.0)?))
}

pub(super) async fn lint_input(
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

pub(super) async fn get_credential(
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
pub(super) fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
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

pub(super) async fn update_credential(
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

pub(super) async fn delete_credential(
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

/// The probe options an HTTP client may set: none that names a file or an address of the
/// server's host.
pub(super) fn probe_options(body: &Text) -> ApiResult<sipcreds_probe::ProbeOptions> {
    let m = body.fields(&["timeout", "register", "trace"], true)?;
    Ok(sipcreds_probe::ProbeOptions::from_value(&Value::Object(m))?)
}

pub(super) async fn probe(
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

pub(super) async fn acquire(
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

pub(super) async fn events(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    c.org(&org)?;
    let rx = s.hub.subscribe(&org, &s.registry);
    Ok(crate::events::stream(rx).into_response())
}
