//! The routes open without a token (liveness, the OpenAPI document), the session cookie's
//! sign-in, who-am-i and sign-out, and diagnose.

use super::*;

pub(super) async fn healthz() -> Response {
    ok(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

pub(super) async fn openapi() -> Response {
    let mut r = (StatusCode::OK, crate::OPENAPI).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// How long a session lasts without a visit (§15: 12 h idle).
pub(super) const SESSION_SECONDS: u64 = 12 * 3600;

pub(super) fn session_cookie(value: &str, max_age: u64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

pub(super) fn who(t: &sipcreds::TokenInfo) -> Value {
    json!({
        "org": t.org.as_str(),
        "role": t.role.as_str(),
        "tokenId": t.id.as_str(),
        "tokenName": t.name.as_ref().map(|n| n.as_str()),
    })
}

pub(super) async fn sign_in(St(s): St<State>, body: Text) -> ApiResult<Response> {
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
pub(super) async fn who_am_i(c: Caller, St(s): St<State>, headers: HeaderMap) -> Response {
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

pub(super) async fn sign_out(St(s): St<State>) -> Response {
    let mut r = ok(json!({"signedOut": true}));
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, s.options.tls));
    r
}

pub(super) async fn diagnose(_c: Caller, body: Text) -> ApiResult<Response> {
    let m = body.fields(&["symptom", "reason"], false)?;
    let symptom = string_field(&m, "symptom", ErrorCode::InvalidSymptom, true)?.unwrap_or_default();
    let reason = string_field(&m, "reason", ErrorCode::InvalidOption, false)?;
    Ok(ok(sipcreds::diagnose(&symptom, reason.as_deref())?))
}
