//! `server/openapi.json`: the OpenAPI 3.1 document of the HTTP API, from the server's route
//! table (`sipcreds_server::ROUTES`) and the core's schemas (the same ones the TypeScript and
//! Python types come from), never written by hand.

use serde_json::{Map, Value, json};
use sipcreds::ErrorCode;

/// The core's schema definitions with their references moved under `components/schemas`.
fn components() -> Map<String, Value> {
    let mut out = Map::new();
    for (name, schema) in sipcreds::output_schemas() {
        let text = schema
            .to_string()
            .replace("#/$defs/", "#/components/schemas/");
        let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.remove("$schema");
        }
        out.insert(name, v);
    }
    // The inputs, from the input schema the core checks against.
    let input = sipcreds::input_schema();
    let props = input["properties"].as_object().cloned().unwrap_or_default();
    let mut create = props.clone();
    create.remove("expectedVersion");
    let mut patch = props.clone();
    for p in patch.values_mut() {
        nullable(p);
    }
    out.insert(
        "CredentialInput".into(),
        json!({"type": "object", "description": input["description"], "properties": create,
               "required": input["required"], "additionalProperties": false,
               "dependentRequired": input["dependentRequired"]}),
    );
    out.insert(
        "CredentialPatch".into(),
        json!({"type": "object", "description": "The fields an update changes: each optional, null clears it; expectedVersion refuses a stale update.",
               "properties": patch, "additionalProperties": false,
               "dependentRequired": input["dependentRequired"]}),
    );
    let mut lint = create.clone();
    lint.insert(
        "id".into(),
        json!({"type": "string", "description": "The credential the input would replace (an edit)."}),
    );
    out.insert(
        "LintRequest".into(),
        json!({"type": "object", "properties": lint, "required": input["required"],
               "additionalProperties": false, "dependentRequired": input["dependentRequired"]}),
    );
    // The §8 error body as the API writes it (`field` absent when no field is concerned).
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    out.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "additionalProperties": false,
            "description": "Every failure: the stable code (docs/errors.md), the field it is about, how to fix it.",
            "properties": {"error": {"type": "object", "required": ["code", "message"],
                "additionalProperties": false,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "usage": {"$ref": "#/components/schemas/Usage"},
                    "expectedVersion": {"type": "integer", "minimum": 0},
                    "actualVersion": {"type": "integer", "minimum": 0},
                    "retryAfterMs": {"type": "integer", "minimum": 0}}}}}),
    );
    out.insert(
        "Session".into(),
        json!({"type": "object", "required": ["org", "role", "tokenId", "tokenName"],
            "additionalProperties": false,
            "properties": {"org": {"type": "string"}, "role": {"enum": ["read", "write"]},
                "tokenId": {"type": "string"}, "tokenName": {"type": ["string", "null"]}}}),
    );
    out.insert(
        "ProbeReport".into(),
        json!({"type": "object", "required": ["outcome", "steps"],
            "description": "The report of one live probe: outcome, steps, causes (docs/probe.md).",
            "properties": {"outcome": {"type": "string"}, "steps": {"type": "array"}}}),
    );
    out
}

/// A property schema that also takes `null`.
fn nullable(p: &mut Value) {
    match p.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            p["type"] = json!([t, "null"]);
        }
        Some(Value::Array(ts)) if !ts.contains(&json!("null")) => ts.push(json!("null")),
        _ => {}
    }
    if let Some(e) = p.get_mut("enum").and_then(|e| e.as_array_mut())
        && !e.contains(&Value::Null)
    {
        e.push(Value::Null);
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn page_of(name: &str) -> Value {
    json!({"type": "object", "required": ["items", "next"], "additionalProperties": false,
        "properties": {"items": {"type": "array", "items": schema_ref(name)},
            "next": {"type": ["string", "null"]}}})
}

fn object(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// (request body, success body) of an operation.
fn bodies(op: &str) -> (Option<Value>, Value) {
    let r = schema_ref;
    match op {
        "healthz" => (
            None,
            object(
                json!({"status": {"const": "ok"}, "version": {"type": "string"}}),
                &["status", "version"],
            ),
        ),
        "openapi" => (None, json!({"type": "object"})),
        "signIn" => (
            Some(object(json!({"token": {"type": "string"}}), &["token"])),
            r("Session"),
        ),
        "whoAmI" => (None, r("Session")),
        "signOut" => (
            None,
            object(json!({"signedOut": {"const": true}}), &["signedOut"]),
        ),
        "diagnose" => (
            Some(object(
                json!({"symptom": {"enum": sipcreds::symptoms().collect::<Vec<_>>()},
                    "reason": {"type": ["string", "null"]}}),
                &["symptom"],
            )),
            r("Diagnosis"),
        ),
        "listCredentials" => (None, page_of("Credential")),
        "createCredential" => (Some(r("CredentialInput")), r("Credential")),
        "validateCredential" => (Some(r("CredentialInput")), r("NormalizedCredential")),
        "lintInput" => (
            Some(r("LintRequest")),
            json!({"type": "array", "items": r("Finding")}),
        ),
        "getCredential" => (None, r("Credential")),
        "overview" => (
            None,
            object(
                json!({"items": {"type": "array", "items": object(
                    json!({"credential": r("Credential"),
                        "health": r("HealthRecord"),
                        "numbers": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                        "numberCount": {"type": "integer", "minimum": 0}}),
                    &["credential", "health", "numbers", "numberCount"],
                )},
                    "next": {"type": ["string", "null"]}}),
                &["items", "next"],
            ),
        ),
        "updateCredential" => (Some(r("CredentialPatch")), r("Credential")),
        "deleteCredential" => (None, r("DeleteReport")),
        "usage" => (None, r("Usage")),
        "probe" => (
            Some(object(
                json!({"timeout": {"type": "number", "minimum": 0.1, "maximum": 60},
                    "register": {"type": "boolean"}, "trace": {"type": "boolean"}}),
                &[],
            )),
            r("ProbeReport"),
        ),
        "acquire" => (None, r("Decision")),
        "health" | "pause" | "resume" => (None, r("HealthRecord")),
        "healthEvents" => (None, json!({"type": "array", "items": r("HealthEvent")})),
        "healthList" => (None, page_of("HealthRecord")),
        "events" => (None, json!({"type": "string"})),
        "listNumbers" => (None, page_of("NumberRecord")),
        "getNumber" | "deleteNumber" => (None, r("NumberRecord")),
        "putNumber" => (
            Some(object(
                json!({"credentialId": {"type": ["string", "null"]}}),
                &["credentialId"],
            )),
            r("NumberRecord"),
        ),
        "listAgents" => (None, page_of("Agent")),
        "createAgent" => (
            Some(object(
                json!({"name": {"type": "string", "minLength": 1, "maxLength": 100}}),
                &["name"],
            )),
            r("Agent"),
        ),
        "getAgent" | "deleteAgent" | "assignNumber" | "unassignNumber" => (None, r("Agent")),
        "listProviders" => (None, page_of("Provider")),
        "connectProvider" => (
            Some(object(
                json!({"kind": {"type": "string", "pattern": "^[a-z0-9._-]{1,64}$"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "credentials": {"type": "array", "items": r("CredentialInput")}}),
                &["kind", "name", "credentials"],
            )),
            r("ConnectedProvider"),
        ),
        "deleteProvider" => (None, r("ProviderDeleteReport")),
        "limits" => (None, page_of("RateGroup")),
        "lintOrg" => (None, page_of("Finding")),
        other => panic!("operation {other} has no bodies in xtask/src/openapi.rs"),
    }
}

fn query(op: &str) -> Vec<Value> {
    let p = |name: &str, schema: Value, doc: &str| json!({"name": name, "in": "query", "required": false, "schema": schema, "description": doc});
    match op {
        "listCredentials" | "listNumbers" | "listAgents" | "listProviders" => vec![
            p(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                "At most this many items.",
            ),
            p(
                "after",
                json!({"type": "string", "pattern": cursor_pattern(op)}),
                "The `next` of the previous page.",
            ),
        ],
        "overview" => vec![
            p(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                "At most this many items (fewer when a search reads 20,000 credentials without filling the page: go on with `next`).",
            ),
            p(
                "after",
                json!({"type": "string", "pattern": cursor_pattern("listCredentials")}),
                "The `next` of the previous page.",
            ),
            p(
                "q",
                json!({"type": "string", "maxLength": 100}),
                "Keep the credentials whose name, server or auth user contains this (any case).",
            ),
        ],
        "deleteCredential" => vec![p(
            "force",
            json!({"type": "boolean"}),
            "Unlink the credential's numbers and delete it.",
        )],
        "acquire" => vec![p(
            "maxWaitMs",
            json!({"type": "integer", "minimum": 0, "maximum": sipcreds_server::MAX_WAIT_MS}),
            "Wait up to this long for a slot (reserve); without it, try_acquire.",
        )],
        _ => vec![],
    }
}

/// What a list's cursor looks like: an id of the list's kind, or an E.164 number.
fn cursor_pattern(op: &str) -> &'static str {
    match op {
        "listCredentials" => "^cred_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$",
        "listAgents" => "^agent_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$",
        "listProviders" => "^prov_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$",
        _ => "^\\+[1-9][0-9]{7,14}$",
    }
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = match name {
                "org" => json!({"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}),
                "number" => json!({"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$"}),
                _ => json!({"type": "string"}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// The error statuses an operation can answer, by what it takes and needs.
fn error_statuses(role: &str, has_body: bool, has_query: bool, path: &str) -> Vec<u16> {
    let mut s = vec![500];
    if role != "none" || path == "/v1/session" {
        s.extend([401, 429, 503]);
    }
    if role != "none" {
        s.extend([403, 404]);
    }
    if has_body {
        s.extend([400, 413, 422]);
    }
    if has_query || path.contains('{') {
        s.push(422);
    }
    if role == "write" {
        s.extend([409, 422]);
    }
    if path.ends_with("/credentials/{id}") {
        s.push(412);
    }
    s.sort();
    s.dedup();
    s
}

/// The document.
pub fn openapi_json() -> String {
    let mut paths = Map::new();
    for (method, path, op, summary, role, status) in sipcreds_server::ROUTES {
        let (request, response) = bodies(op);
        let mut params = path_params(path);
        let q = query(op);
        let has_query = !q.is_empty();
        params.extend(q);
        let content_type = if *op == "events" {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut responses = Map::new();
        responses.insert(
            status.to_string(),
            json!({"description": "Success.", "content": {content_type: {"schema": response}}}),
        );
        for code in error_statuses(role, request.is_some(), has_query, path) {
            responses.insert(
                code.to_string(),
                json!({"description": "The error (docs/errors.md).",
                    "content": {"application/json": {"schema": schema_ref("Error")}}}),
            );
        }
        let mut operation = json!({
            "operationId": op,
            "summary": summary,
            "parameters": params,
            "responses": responses,
            "x-sipcreds-role": role,
        });
        if *role == "none" {
            operation["security"] = json!([]);
        }
        if let Some(body) = request {
            operation["requestBody"] = json!({"required": *op != "probe",
                "content": {"application/json": {"schema": body}}});
        }
        if *path == "/v1/orgs/{org}/credentials/{id}"
            && *method == "patch"
            && let Some(p) = operation["parameters"].as_array_mut()
        {
            p.push(
                json!({"name": "If-Match", "in": "header", "required": false,
                "schema": {"type": "string"}, "description": "The ETag as read, e.g. \"3\"."}),
            );
        }
        if let Some(m) = paths
            .entry(path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            m.insert(method.to_string(), operation);
        }
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sipcreds",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "SIP trunk credentials, CPS limits and live probes over HTTP (`sipcreds serve`). Generated from the core's schemas and the server's route table; see docs/http.md.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "http://127.0.0.1:8080"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A token from `sipcreds tokens create` (sct_...)."},
                "session": {"type": "apiKey", "in": "cookie", "name": sipcreds_server::SESSION_COOKIE}
            },
            "schemas": components(),
        }
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
