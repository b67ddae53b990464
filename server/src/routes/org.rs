//! The org-wide routes not in plain.rs: connect a provider, rate groups and lint.

use super::*;

pub(super) async fn connect_provider(
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

pub(super) async fn limits(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    s.read(&c, org, |r, o| {
        Ok(json!({"items": r.rate_groups(o)?, "next": null}))
    })
    .await
}

pub(super) async fn lint_org(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
) -> ApiResult<Response> {
    s.read(&c, org, |r, o| {
        Ok(json!({"items": r.lint(o)?, "next": null}))
    })
    .await
}
