//! The module's other synchronous functions (no I/O): lint, diagnose, the lists the JS side
//! reads from the core, the version.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::boundary::{Body, Op, Reply, fail, guard, input, op, to_text};

/// Lint one credential body: findings as JSON text.
#[napi]
pub fn lint_credential_json(body: String) -> Result<String> {
    let body = Body::new(body);
    guard(|| {
        let input = input(&body)?;
        Ok(Reply::serialize(&sipcreds::lint_credential(&input))?.json)
    })
}

/// Likely causes of a SIP failure, most likely first, as JSON text.
#[napi]
pub fn diagnose_json(symptom: String, reason: Option<String>) -> Result<String> {
    guard(|| {
        let d = sipcreds::diagnose(&symptom, reason.as_deref()).map_err(fail)?;
        Ok(Reply::serialize(&d)?.json)
    })
}

/// The error of an argument that is not a string (`typeName` its JS type), as JSON text: the
/// core's one rule of which code each argument answers ([`sipcreds::argument_error`]).
#[napi]
pub fn argument_error(argument: String, type_name: String) -> String {
    sipcreds::argument_error(&argument, sipcreds::NotText::Type(&type_name)).to_json_string()
}

/// The error for a field whose value is not valid text (a JS string with a lone surrogate):
/// the field's own code, as the error JSON.
#[napi]
pub fn undecodable_field_error(field: String) -> String {
    to_text(&sipcreds::undecodable_field(&field).to_json())
}

/// Panic inside the boundary, on the JS thread or (`inTask`) on the thread pool: for the
/// test that proves a panic becomes an error instead of aborting Node.
#[doc(hidden)]
#[napi(js_name = "__panicForTest")]
pub fn panic_for_test(in_task: bool) -> Result<Either<String, AsyncTask<Op>>> {
    if in_task {
        return Ok(Either::B(op(|| panic!("a test panic on the thread pool"))));
    }
    guard(|| panic!("a test panic on the JS thread"))
}

/// The create fields in the wire order (`sipcreds::CREATE_FIELDS`): the positions of the
/// arguments of [`check_credential_values`], which `sipcreds.js` reads here once instead of
/// keeping its own list.
#[napi]
pub fn create_fields() -> Vec<&'static str> {
    sipcreds::CREATE_FIELDS.to_vec()
}

/// The symptoms `diagnose` knows.
#[napi]
pub fn symptoms() -> Vec<String> {
    sipcreds::symptoms().map(str::to_owned).collect()
}

/// The JSON Schema of a credential input (docs/fields.md), as JSON text.
#[napi]
pub fn input_schema_json() -> String {
    to_text(&sipcreds::input_schema())
}

/// Every error code with its C number and description, as JSON text.
#[napi]
pub fn list_all_errors_json() -> String {
    serde_json::to_string(&sipcreds::list_all_errors()).unwrap_or_default()
}

/// A store or limiter location with the password of its URL hidden (for `path` and inspect).
#[napi]
pub fn redact_location(location: String) -> String {
    sipcreds::redact_location(&location)
}

/// The version shared by every surface.
#[napi]
pub fn version() -> String {
    sipcreds::VERSION.to_owned()
}
