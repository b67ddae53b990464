//! The agent routes not in plain.rs: create.

use super::*;

pub(super) async fn create_agent(
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
