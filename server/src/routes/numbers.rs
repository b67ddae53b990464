//! The phone number routes not in plain.rs: link or unlink (PUT).

use super::*;

pub(super) async fn put_number(
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
