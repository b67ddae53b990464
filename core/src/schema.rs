//! The JSON Schema (2020-12) of the credential wire input (§3), for UIs that want to check a
//! form before sending it. Built from the same declarations the parsers use (the field table
//! of [`crate::wire`], the limits of the value types, the error table), and published on every
//! surface (`sipcreds schema`, `schema()`). The core stays the authority: the schema cannot say
//! everything §4 says about `server` (IDN, IPv6 forms, ports 1–65535), and a body it accepts may
//! still be refused, with the code the schema names in `x-sipcreds-code`.

use serde_json::{Value, json};

use crate::error::ErrorCode;
use crate::values::{AuthUser, CpsKey, CpsLimit, Name, Password};
use crate::wire::{FIELDS, MAX_BODY_BYTES};

/// No control characters (C0, DEL, C1), nor the line separators and bidirectional controls
/// the text checks refuse.
const TEXT: &str =
    "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$";

/// RFC 3261 `user`: unreserved, user-unreserved and `%HH` escapes.
const USER: &str = "^([A-Za-z0-9\\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$";

/// A DNS name, an IPv4 address or a bracketed IPv6 address.
const HOST: &str = "(\\[[0-9A-Fa-f:.]+\\]|[^\\s\\[\\]:/@;?<>\"]+)";

fn field(name: &str) -> Value {
    // Each field's code is the wire table's.
    let code = crate::wire::field_code(name).map_or("", ErrorCode::as_str);
    match name {
        "name" => json!({
            "type": ["string", "null"], "minLength": 1, "maxLength": Name::MAX_CHARS,
            "pattern": TEXT, "x-sipcreds-code": code,
            "description": "A display name; null clears it on update.",
        }),
        "server" => json!({
            "type": "string", "minLength": 1, "pattern": format!("^{HOST}(:[0-9]{{1,5}})?$"),
            "x-sipcreds-code": code,
            "description": "The SIP server: host or host:port, no scheme, user, path or parameters.",
        }),
        "authUser" => json!({
            "type": ["string", "null"], "minLength": 1, "maxLength": AuthUser::MAX_CHARS,
            "pattern": USER, "x-sipcreds-code": code,
            "description": "The digest user; comes with authPassword.",
        }),
        "authPassword" => json!({
            "type": ["string", "null"], "minLength": 1, "maxLength": Password::MAX_CHARS,
            "pattern": TEXT, "writeOnly": true,
            "x-sipcreds-code": code,
            "description": "The digest password; comes with authUser; never shown.",
        }),
        "domain" => json!({
            "type": ["string", "null"], "minLength": 1, "pattern": format!("^{HOST}$"),
            "x-sipcreds-code": code,
            "description": "The SIP domain (and digest realm) when it differs from the server's host.",
        }),
        "transport" => json!({
            "type": "string", "pattern": "^([Uu][Dd][Pp]|[Tt][Cc][Pp]|[Tt][Ll][Ss])$",
            "default": "udp", "x-sipcreds-code": code,
            "description": "udp, tcp or tls, in any case.",
        }),
        "cpsLimit" => json!({
            "type": ["integer", "null"], "minimum": 1, "maximum": CpsLimit::MAX,
            "x-sipcreds-code": code,
            "description": "Calls per second allowed to this credential's rate group.",
        }),
        "cpsKey" => json!({
            "type": ["string", "null"], "minLength": 1, "maxLength": CpsKey::MAX_CHARS,
            "pattern": "^[A-Za-z0-9._:-]+$", "x-sipcreds-code": code,
            "description": "Credentials of one org with the same key share one CPS limit.",
        }),
        "expectedVersion" => json!({
            "type": "integer", "minimum": 1,
            "x-sipcreds-code": code,
            "description": "Update only: refuse with conflict unless this is the stored version.",
        }),
        _ => json!({}),
    }
}

/// The JSON Schema of a credential input (create; an update is the same fields, all optional,
/// with `expectedVersion`): every field of §3 with its type, bounds, pattern and the error
/// code the core answers when it is wrong.
///
/// ```
/// let schema = sipcreds::input_schema();
/// assert_eq!(schema["required"], serde_json::json!(["server"]));
/// assert_eq!(schema["properties"]["cpsLimit"]["maximum"], 10000);
/// assert_eq!(schema["additionalProperties"], false);
/// ```
pub fn input_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for name in FIELDS {
        properties.insert(name.to_owned(), field(name));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/sipcreds/sipcreds/schema/credential-input.schema.json",
        "title": "sipcreds credential input",
        "description": format!(
            "A SIP trunk credential as sent to create (SPEC §3). Unknown fields are refused (unknown_field), \
             authUser and authPassword come together (incomplete_auth), a body is at most {MAX_BODY_BYTES} bytes \
             (too_large). The library is the authority: it may refuse what this schema accepts."
        ),
        "type": "object",
        "properties": Value::Object(properties),
        "required": ["server"],
        "additionalProperties": false,
        "dependentRequired": {"authUser": ["authPassword"], "authPassword": ["authUser"]},
        "x-sipcreds-version": env!("CARGO_PKG_VERSION"),
    })
}
