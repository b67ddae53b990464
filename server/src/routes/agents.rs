//! The agent routes that write: create, delete, assign and unassign numbers (list and read:
//! reads.rs).

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

pub(super) async fn delete_agent(
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

pub(super) async fn assign_number(
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

pub(super) async fn unassign_number(
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
