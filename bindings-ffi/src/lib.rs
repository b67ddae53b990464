//! The C ABI of sipcreds (`libsipcreds`, `include/sipcreds.h`): JSON text in, JSON text out,
//! a status code per call, opaque registry handles. A thin layer: it converts C strings and
//! errors, and calls the core; no rule lives here.
//!
//! Every `extern "C"` function runs its body inside [`std::panic::catch_unwind`] and checks
//! every pointer first, so neither a panic nor an abort reaches the C caller.
#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;
use sipcreds::{CredentialInput, CredentialPatch, Error, ErrorCode, Registry};

/// The version of the library, as in `Cargo.toml` (a test checks them against each other).
pub const SIPCREDS_VERSION_MAJOR: u32 = 0;
/// The minor version.
pub const SIPCREDS_VERSION_MINOR: u32 = 1;
/// The patch version.
pub const SIPCREDS_VERSION_PATCH: u32 = 0;

mod status;
pub use status::sipcreds_status;

/// A failure on its way to C: the status and the error JSON.
struct Failure {
    status: sipcreds_status,
    /// The docs/errors.md error JSON.
    json: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            status: sipcreds_status::of(e.code()),
            json: e.to_json_string(),
        }
    }
}

impl Failure {
    fn c_only(status: sipcreds_status, field: Option<&str>, message: String) -> Failure {
        let code = status.name().to_str().unwrap_or("internal");
        let error = sipcreds::ErrorBody {
            code,
            field,
            message,
            usage: None,
            expected_version: None,
            actual_version: None,
            retry_after_ms: None,
        };
        Failure {
            status,
            json: sipcreds::ErrorJson { error }.to_string(),
        }
    }

    fn null(field: &str) -> Failure {
        Failure::c_only(
            sipcreds_status::SIPCREDS_NULL_ARGUMENT,
            Some(field),
            format!("{field} is NULL"),
        )
    }
}

type Outcome = Result<String, Failure>;

/// A C string from Rust text (JSON never holds a NUL; anything after one would be cut).
fn c_string(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        Err(e) => {
            let mut bytes = e.into_vec();
            let nul = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            bytes.truncate(nul);
            CString::new(bytes).map_or(std::ptr::null_mut(), CString::into_raw)
        }
    }
}

/// Run `body` behind the panic boundary and write its JSON (or the error JSON) to `out`.
fn run(out: *mut *mut c_char, body: impl FnOnce() -> Outcome) -> sipcreds_status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(Failure::c_only(
            sipcreds_status::SIPCREDS_INTERNAL,
            None,
            "sipcreds failed internally (a panic was caught); please report it".into(),
        ))
    });
    let (status, text) = match outcome {
        Ok(text) => (sipcreds_status::SIPCREDS_OK, text),
        Err(f) => (f.status, f.json),
    };
    if !out.is_null() {
        // SAFETY: `out` is not NULL and, by the API contract, points to a writable `char *`.
        unsafe { *out = c_string(text) };
    }
    status
}

/// Borrow a required C string argument as UTF-8. A NULL pointer is `SIPCREDS_NULL_ARGUMENT`;
/// bytes that are not UTF-8 answer `invalid` with `code`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
unsafe fn text<'a>(p: *const c_char, field: &str, code: ErrorCode) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(field));
    }
    // SAFETY: the caller guarantees a NUL-terminated string that outlives the call.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map_err(|_| {
        Failure::from(Error::Invalid {
            code,
            field: Some(field.to_owned().into()),
            message: format!("{field} is not UTF-8"),
        })
    })
}

fn json_text(v: &Value) -> String {
    v.to_string()
}

fn serialized<T: serde::Serialize>(v: &T) -> Outcome {
    serde_json::to_string(v)
        .map_err(|e| Failure::from(Error::storage(format!("cannot serialize: {e}"))))
}

/// The registry behind a `sipcreds_registry *`.
pub struct sipcreds_registry {
    inner: Registry,
}

impl std::fmt::Debug for sipcreds_registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sipcreds_registry")
    }
}

/// Borrow the registry of a handle.
///
/// # Safety
/// `r` is NULL or a handle from `sipcreds_registry_open` not yet freed.
unsafe fn handle<'a>(r: *const sipcreds_registry) -> Result<&'a Registry, Failure> {
    if r.is_null() {
        return Err(Failure::null("registry"));
    }
    // SAFETY: a live handle from sipcreds_registry_open (the caller's contract).
    Ok(unsafe { &(*r).inner })
}

// ---------------------------------------------------------------------------------------
// Functions without a registry.

/// The name of a status: `"ok"`, the contract's code (`"invalid_server"`, ...), or
/// `"null_argument"` / `"internal"`; `"unknown"` for a number that is not a status. The string
/// is static: do not free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn sipcreds_status_name(status: u32) -> *const c_char {
    let found = sipcreds_status::ALL
        .into_iter()
        .find(|s| *s as u32 == status);
    found.map_or(c"unknown".as_ptr(), |s| s.name().as_ptr())
}

/// The library's version, e.g. `"0.1.0"` (static: do not free). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn sipcreds_version() -> *const c_char {
    static VERSION: std::sync::OnceLock<CString> = std::sync::OnceLock::new();
    VERSION
        .get_or_init(|| CString::new(sipcreds::VERSION).unwrap_or_default())
        .as_ptr()
}

/// Free a string the library returned (NULL is accepted). The bytes are zeroed first.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `s` came from CString::into_raw in this library and is freed once.
        let owned = unsafe { CString::from_raw(s) };
        let mut bytes = owned.into_bytes_with_nul();
        zeroize::Zeroize::zeroize(&mut bytes);
    }));
}

/// Validate one credential (its wire JSON) and write its normalized fields (docs/README.md) to `*out_json`:
/// returns 0, or the error's status with the error JSON in `*out_json`. Thread-safe.
///
/// # Safety
/// `json` is NULL or a NUL-terminated string; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_validate_credential_json(
    json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let body = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        Ok(CredentialInput::from_json(body)?.to_normalized_json_string())
    })
}

/// Lint one credential input: the findings as a JSON array. Thread-safe.
///
/// # Safety
/// As `sipcreds_validate_credential_json`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_lint_credential_json(
    json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let body = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        serialized(&sipcreds::lint_credential(&CredentialInput::from_json(
            body,
        )?))
    })
}

/// Likely causes of a SIP failure (`"401"`, `"503"`, `"timeout"`, ...), most likely first;
/// `reason` (the provider's reason phrase) may be NULL. Thread-safe.
///
/// # Safety
/// `symptom` and `reason` are NULL or NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_diagnose(
    symptom: *const c_char,
    reason: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let symptom = unsafe { text(symptom, "symptom", ErrorCode::InvalidSymptom)? };
        let reason = if reason.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(reason, "reason", ErrorCode::InvalidSymptom)? })
        };
        serialized(&sipcreds::diagnose(symptom, reason)?)
    })
}

/// The JSON Schema (2020-12) of a credential input (docs/fields.md), for a UI's form check.
/// Thread-safe.
///
/// # Safety
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_schema(out_json: *mut *mut c_char) -> sipcreds_status {
    run(out_json, || Ok(json_text(&sipcreds::input_schema())))
}

/// Every error code: `[{"code", "number", "description"}]`. Thread-safe.
///
/// # Safety
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_list_all_errors(out_json: *mut *mut c_char) -> sipcreds_status {
    run(out_json, || serialized(&sipcreds::list_all_errors()))
}

// ---------------------------------------------------------------------------------------
// The registry.

/// Open a registry: in memory when `path` is NULL, else the embedded SQLite file at `path`
/// (created with its key file on first use; `SIPCREDS_KEY` overrides the key file), or the
/// PostgreSQL database of a `postgres://` URL (key in `SIPCREDS_KEY`). The CPS limiter is in
/// this process. On success `*out_registry` is the handle (free it with
/// `sipcreds_registry_free`) and `*out_json` is NULL; on failure `*out_registry` is NULL and
/// `*out_json` the error JSON.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out_registry` is writable; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_open(
    path: *const c_char,
    out_registry: *mut *mut sipcreds_registry,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    // SAFETY: forwarded caller contract (a NULL limiter is "process").
    unsafe { sipcreds_registry_open_with(path, std::ptr::null(), out_registry, out_json) }
}

/// As `sipcreds_registry_open`, with the CPS limiter `limiter`: NULL or `"process"` (in this
/// process), `"file"` (in the SQLite file, shared by the processes that open it so), or a
/// `redis://` URL (shared by every instance; `?fallback=refuse` (default) or
/// `?fallback=local:N` says what happens when Redis cannot be reached).
///
/// # Safety
/// `path` and `limiter` are NULL or NUL-terminated; `out_registry` is writable; `out_json`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_open_with(
    path: *const c_char,
    limiter: *const c_char,
    out_registry: *mut *mut sipcreds_registry,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    let mut handle: *mut sipcreds_registry = std::ptr::null_mut();
    let status = run(out_json, || {
        if out_registry.is_null() {
            return Err(Failure::null("out_registry"));
        }
        // SAFETY: forwarded caller contract.
        let location = if path.is_null() {
            None
        } else {
            Some(unsafe { text(path, "path", ErrorCode::Storage)? })
        };
        // SAFETY: forwarded caller contract.
        let limiter = if limiter.is_null() {
            "process"
        } else {
            unsafe { text(limiter, "limiter", ErrorCode::InvalidOption)? }
        };
        let inner = sipcreds_open::open_optional(location, limiter)?;
        handle = Box::into_raw(Box::new(sipcreds_registry { inner }));
        Ok(String::new())
    });
    if !out_registry.is_null() {
        // SAFETY: checked non-NULL; writable by the API contract.
        unsafe { *out_registry = handle };
    }
    if status == sipcreds_status::SIPCREDS_OK && !out_json.is_null() {
        // Success writes no JSON: free the empty string `run` wrote.
        // SAFETY: `*out_json` was just written by `run` with a string of this library.
        unsafe {
            sipcreds_string_free(*out_json);
            *out_json = std::ptr::null_mut();
        }
    }
    status
}

/// Free a registry handle (NULL is accepted). Must not race with other calls on the handle.
///
/// # Safety
/// `registry` is NULL or a handle from `sipcreds_registry_open` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_free(registry: *mut sipcreds_registry) {
    if registry.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: a handle from sipcreds_registry_open, freed once (the caller's contract).
        drop(unsafe { Box::from_raw(registry) });
    }));
}

/// The password of a credential, in clear, for the SIP stack that must send it: the one way
/// to read it. `*out_password` is the password (free it with `sipcreds_string_free`, which
/// zeroes it), or NULL when the credential has none; on failure, the error JSON.
/// Thread-safe on one handle.
///
/// # Safety
/// `registry` is a live handle; `org` and `id` NUL-terminated; `out_password` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_credential_reveal_password(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_password: *mut *mut c_char,
) -> sipcreds_status {
    let mut none = false;
    let status = run(out_password, || {
        // SAFETY: forwarded caller contract.
        let (reg, org, id) = unsafe {
            (
                handle(registry)?,
                text(org, "org", ErrorCode::InvalidOrg)?,
                text(id, "id", ErrorCode::NotFound)?,
            )
        };
        let c = reg.get_credential(org, id)?;
        match c.expose_password() {
            // Room for the NUL up front: `CString::new` then neither grows nor shrinks the
            // buffer, so the one copy handed to the caller is the only one made, and
            // `sipcreds_string_free` wipes it.
            Some(p) => {
                let mut s = String::with_capacity(p.len() + 1);
                s.push_str(p);
                Ok(s)
            }
            None => {
                none = true;
                Ok(String::new())
            }
        }
    });
    if none && !out_password.is_null() {
        // SAFETY: `run` just wrote a string of this library there.
        unsafe {
            sipcreds_string_free(*out_password);
            *out_password = std::ptr::null_mut();
        }
    }
    status
}

fn credential_json(c: &sipcreds::Credential) -> String {
    json_text(&c.to_json())
}

fn credentials_json(list: &[sipcreds::Credential]) -> String {
    json_text(&Value::Array(
        list.iter().map(sipcreds::Credential::to_json).collect(),
    ))
}

/// `{"items": [...], "next": cursor | null}`.
fn page_json<T>(p: &sipcreds::Paged<T>, f: impl Fn(&T) -> Value) -> String {
    json_text(&serde_json::json!({
        "items": p.items.iter().map(f).collect::<Vec<_>>(),
        "next": p.next,
    }))
}

/// The page of `limit` items after `after` (NULL: the first page).
///
/// # Safety
/// `after` is NULL or NUL-terminated.
unsafe fn page_arg(limit: u32, after: *const c_char) -> Result<sipcreds::Page, Failure> {
    let after = if after.is_null() {
        None
    } else {
        // SAFETY: forwarded caller contract.
        Some(unsafe { text(after, "after", ErrorCode::InvalidOption)? })
    };
    Ok(sipcreds::Page::new(u64::from(limit), after)?)
}

fn list_json<T>(list: &[T], f: impl Fn(&T) -> Value) -> String {
    json_text(&Value::Array(list.iter().map(f).collect()))
}

fn credential_list(body: &str) -> Result<Vec<CredentialInput>, Failure> {
    Ok(sipcreds::read_inputs(body, "credentials")?)
}

/// Create a credential from its wire JSON: the stored credential.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_create_credential(
    registry: *const sipcreds_registry,
    org: *const c_char,
    json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        Ok(credential_json(&reg.create_credential(
            org,
            CredentialInput::from_json(json)?,
        )?))
    })
}

/// Create many credentials (a JSON array or JSON Lines) in one transaction.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_create_credentials(
    registry: *const sipcreds_registry,
    org: *const c_char,
    json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        Ok(credentials_json(
            &reg.create_credentials(org, credential_list(json)?)?,
        ))
    })
}

/// One credential.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_get_credential(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(credential_json(&reg.get_credential(org, id)?))
    })
}

/// The org's credentials, in creation order.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_credentials(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        Ok(credentials_json(&reg.list_credentials(org)?))
    })
}

/// One page of the org's credentials, in creation order (docs/registry.md): at most `limit` (1–1000) after `after`, the
/// previous page's `next` (NULL for the first page): `{"items": [...], "next": cursor | null}`.
/// A `limit` out of range or a malformed `after` is `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_credentials_page(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(
            &reg.list_credentials_page(org, &page)?,
            sipcreds::Credential::to_json,
        ))
    })
}

/// Apply a patch (docs/fields.md; `expectedVersion` optional): the updated credential.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_update_credential(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    patch: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        // SAFETY: forwarded caller contract.
        let patch = unsafe { text(patch, "patch", ErrorCode::InvalidJson)? };
        Ok(credential_json(&reg.update_credential(
            org,
            id,
            CredentialPatch::from_json(patch)?,
        )?))
    })
}

/// `{"phoneNumbers": [...], "agents": [...]}`.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_usage(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        serialized(&reg.usage(org, id)?)
    })
}

/// Link (or move) a phone number to a credential.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_link_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    number: *const c_char,
    credential_id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        // SAFETY: forwarded caller contract.
        let credential_id = unsafe { text(credential_id, "credential_id", ErrorCode::NotFound)? };
        Ok(json_text(
            &reg.link_number(org, number, credential_id)?.to_json(),
        ))
    })
}

/// Unlink a phone number (it stays in the org).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_unlink_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        Ok(json_text(&reg.unlink_number(org, number)?.to_json()))
    })
}

/// Delete a phone number (also from its agents).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_delete_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        Ok(json_text(&reg.delete_number(org, number)?.to_json()))
    })
}

/// The org's phone numbers, sorted.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_numbers(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        Ok(list_json(&reg.list_numbers(org)?, |n| n.to_json()))
    })
}

/// One page of the org's phone numbers, sorted (docs/registry.md): at most `limit` (1–1000) after `after`, the
/// previous page's `next` (NULL for the first page): `{"items": [...], "next": cursor | null}`.
/// A `limit` out of range or a malformed `after` is `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_numbers_page(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.list_numbers_page(org, &page)?, |n| {
            n.to_json()
        }))
    })
}

/// The lint findings (a JSON array) of an unsaved credential input (`json`) in the org's
/// context: its own fields' and its cpsKey group's as they would be once saved, in place of
/// the credential `id` when it is not NULL (an edit), else as a new one.
///
/// # Safety
/// `registry` is a live handle; `org` and `json` are NUL-terminated; `id` is NULL or
/// NUL-terminated; `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_lint_input(
    registry: *const sipcreds_registry,
    org: *const c_char,
    json: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        let id = if id.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(id, "id", ErrorCode::NotFound)? })
        };
        serialized(&reg.lint_input(org, &CredentialInput::from_json(json)?, id)?)
    })
}

/// One phone number: `{"number", "credentialId"}`.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_get_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        Ok(json_text(&reg.get_number(org, number)?.to_json()))
    })
}

/// The credential's health record (the monitor's; docs/health.md):
/// `{"credentialId", "state", "since", "lastProbeAt", "nextProbeAt", ...}`; `state` is `unknown`
/// until it is probed.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_health(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.health(org, id)?.to_json()))
    })
}

/// The credential's last transitions (up to 100), oldest first: a JSON array of `{"at",
/// "credentialId", "from", "to", "outcome", "status", "reason"}`.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_health_events(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(list_json(&reg.health_events(org, id)?, |e| e.to_json()))
    })
}

/// Stop the monitor probing the credential (`paused`): its health record.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_pause(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.pause(org, id)?.to_json()))
    })
}

/// Probe a paused or rejected credential again (`unknown`, due now): its health record.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_resume(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.resume(org, id)?.to_json()))
    })
}

/// One page of the org's health records, one per credential in id order: at most `limit`
/// (1–1000) after `after`, the previous page's `next` (NULL for the first page): `{"items":
/// [...], "next": cursor | null}`. A `limit` out of range or a malformed `after` is
/// `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_health_list(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.health_list(org, &page)?, |r| r.to_json()))
    })
}

/// Make a token of the HTTP API (`sipcreds serve`) for `org` with `role` (`"read"` or
/// `"write"`) and an optional `name` (NULL for none): `{"id", "name", "role", "org", "token",
/// "createdAt"}`. The token is in this answer once (`sipcreds_string_free` zeroes it); the store keeps its
/// SHA-256.
///
/// # Safety
/// `registry` is a live handle; `org` and `role` are NUL-terminated; `name` is NULL or
/// NUL-terminated; `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_create_token(
    registry: *const sipcreds_registry,
    org: *const c_char,
    role: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let role = unsafe { text(role, "role", ErrorCode::InvalidOption)? };
        let role = sipcreds::Role::parse(role, "role")?;
        let name = if name.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(name, "name", ErrorCode::InvalidName)? })
        };
        Ok(json_text(&reg.create_token(org, role, name)?.to_json()))
    })
}

/// The org's tokens, oldest first: a JSON array of `{"id", "org", "name", "role",
/// "createdAt", "lastUsedAt"}` (never a token itself).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_tokens(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        serialized(&reg.list_tokens(org)?)
    })
}

/// End a token at once (`id` is its `tok_...` id, not the token): every server sharing the
/// store refuses it from its next request. The answer is what was revoked.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_revoke_token(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.revoke_token(org, id)?.to_json()))
    })
}

/// Create an agent.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_create_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    name: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let name = unsafe { text(name, "name", ErrorCode::InvalidName)? };
        Ok(json_text(&reg.create_agent(org, name)?.to_json()))
    })
}

/// One agent.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_get_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.get_agent(org, id)?.to_json()))
    })
}

/// Let an agent use a phone number (which must exist).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_assign_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    agent_id: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let agent_id = unsafe { text(agent_id, "agent_id", ErrorCode::NotFound)? };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        Ok(json_text(
            &reg.assign_number(org, agent_id, number)?.to_json(),
        ))
    })
}

/// Stop an agent using a phone number.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_unassign_number(
    registry: *const sipcreds_registry,
    org: *const c_char,
    agent_id: *const c_char,
    number: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let agent_id = unsafe { text(agent_id, "agent_id", ErrorCode::NotFound)? };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number", ErrorCode::InvalidPhoneNumber)? };
        Ok(json_text(
            &reg.unassign_number(org, agent_id, number)?.to_json(),
        ))
    })
}

/// Delete an agent (its numbers stay).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_delete_agent(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(json_text(&reg.delete_agent(org, id)?.to_json()))
    })
}

/// The org's agents, in creation order.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_agents(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        Ok(list_json(&reg.list_agents(org)?, |a| a.to_json()))
    })
}

/// One page of the org's agents, in creation order (docs/registry.md): at most `limit` (1–1000) after `after`, the
/// previous page's `next` (NULL for the first page): `{"items": [...], "next": cursor | null}`.
/// A `limit` out of range or a malformed `after` is `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_agents_page(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.list_agents_page(org, &page)?, |a| {
            a.to_json()
        }))
    })
}

/// Connect a provider with a JSON array of credential inputs: `{"provider", "credentials"}`.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_connect_provider(
    registry: *const sipcreds_registry,
    org: *const c_char,
    kind: *const c_char,
    name: *const c_char,
    json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let kind = unsafe { text(kind, "kind", ErrorCode::InvalidName)? };
        // SAFETY: forwarded caller contract.
        let name = unsafe { text(name, "name", ErrorCode::InvalidName)? };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json", ErrorCode::InvalidJson)? };
        Ok(json_text(
            &reg.connect_provider(org, kind, name, credential_list(json)?)?
                .to_json(),
        ))
    })
}

/// The org's providers.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_providers(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        Ok(list_json(&reg.list_providers(org)?, |p| p.to_json()))
    })
}

/// One page of the org's providers, in creation order (docs/registry.md): at most `limit` (1–1000) after `after`, the
/// previous page's `next` (NULL for the first page): `{"items": [...], "next": cursor | null}`.
/// A `limit` out of range or a malformed `after` is `SIPCREDS_INVALID_OPTION`.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `after` is NULL or NUL-terminated;
/// `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_list_providers_page(
    registry: *const sipcreds_registry,
    org: *const c_char,
    limit: u32,
    after: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.list_providers_page(org, &page)?, |p| {
            p.to_json()
        }))
    })
}

/// Delete a provider, its credentials, and their links.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_delete_provider(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        serialized(&reg.delete_provider(org, id)?)
    })
}

/// Lint findings for the org's credentials.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_lint(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        serialized(&reg.lint(org)?)
    })
}

/// The live probe (docs/probe.md) of the stored credential `id`: resolve, connect, OPTIONS, and a
/// Contact-less REGISTER (a binding query: nothing is registered) answering one digest
/// challenge. Blocks the calling thread for at most the probe's budget (`timeout`, default
/// 5 s). `options_json` is NULL for the defaults, or an object of the probe options
/// (`{"timeout": 2, "register": false, "caFile": "...", "nameserver": "127.0.0.1:53",
/// "localAddress": "127.0.0.1"}`). A probe that fails is a report in `*out_json`
/// (`SIPCREDS_OK`); an error is for what stops it from starting (`SIPCREDS_NOT_FOUND`,
/// `SIPCREDS_INVALID_OPTION`).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated (`options_json` may
/// be NULL); `out_json` is NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_probe(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        let options = if options_json.is_null() {
            ""
        } else {
            // SAFETY: forwarded caller contract.
            unsafe { text(options_json, "options", ErrorCode::InvalidOption)? }
        };
        Ok(sipcreds_probe::probe_registry_json(reg, org, id, options)?)
    })
}

/// Called by [`sipcreds_registry_probe_all`] with each report (its JSON, valid only during the
/// call; copy what you keep) and the caller's `user_data`; return non-zero to go on, 0 to stop
/// starting more probes.
pub type sipcreds_probe_callback =
    Option<unsafe extern "C" fn(report_json: *const c_char, user_data: *mut c_void) -> c_int>;

/// Probe every credential of `org`, `concurrency` (1 to 10000) at a time, on sipcreds' shared
/// async runtime (the probes wait on their sockets, not on threads), calling `callback` on
/// the calling thread with each report as its probe ends. Blocks until every probe started
/// has ended (or `callback` returns 0: the probes running end within their budget, no new
/// one starts). `*out_json` is then `{"probed": N}`. `options_json` as for
/// [`sipcreds_registry_probe`]; errors (`SIPCREDS_INVALID_OPTION` for the options or the
/// concurrency) come before any probe starts.
///
/// # Safety
/// `registry` is a live handle; `org` is NUL-terminated; `options_json` is NULL or
/// NUL-terminated; `callback` is a function that does not unwind; `out_json` is NULL or
/// writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_probe_all(
    registry: *const sipcreds_registry,
    org: *const c_char,
    options_json: *const c_char,
    concurrency: u32,
    callback: sipcreds_probe_callback,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    // The pointer crosses no thread: the callback runs on this one.
    let user_data = user_data as usize;
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        let options = if options_json.is_null() {
            ""
        } else {
            // SAFETY: forwarded caller contract.
            unsafe { text(options_json, "options", ErrorCode::InvalidOption)? }
        };
        let Some(callback) = callback else {
            return Err(Failure::null("callback"));
        };
        let options = sipcreds_probe::ProbeOptions::from_json(options)?;
        let n = sipcreds_probe::probe_all_blocking(
            reg,
            org,
            concurrency as usize,
            options,
            |report| {
                let Ok(json) = CString::new(report.to_json_string()) else {
                    return true;
                };
                // SAFETY: the caller's callback, with a NUL-terminated string that lives for
                // the call and the caller's own user_data.
                unsafe { callback(json.as_ptr(), user_data as *mut c_void) != 0 }
            },
        )?;
        Ok(format!("{{\"probed\":{n}}}"))
    })
}

/// How many credentials the org has, as a JSON number (nothing decrypted: one read of the
/// rate columns).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_count_credentials(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        serialized(&reg.count_credentials(org)?)
    })
}

/// The org's rate groups.
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out_json` is NULL
/// or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_rate_groups(
    registry: *const sipcreds_registry,
    org: *const c_char,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        serialized(&reg.rate_groups(org)?)
    })
}

/// A rate-limit decision, for a dialer to act on without a JSON parser.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct sipcreds_decision {
    /// Whether the call may be dialled (after `wait_ms`).
    pub admitted: bool,
    /// Admitted: how long to wait before dialling, in milliseconds rounded up (0 from
    /// `try_acquire`; `acquire` has already waited it).
    pub wait_ms: u64,
    /// Not admitted: when to ask again, in milliseconds rounded up (never early).
    pub retry_after_ms: u64,
}

impl sipcreds_decision {
    fn of(d: &sipcreds::Decision) -> sipcreds_decision {
        let ms = |d: std::time::Duration| d.as_nanos().div_ceil(1_000_000) as u64;
        match d {
            sipcreds::Decision::Admitted { wait, .. } => sipcreds_decision {
                admitted: true,
                wait_ms: ms(*wait),
                retry_after_ms: 0,
            },
            sipcreds::Decision::Rejected { retry_after } => sipcreds_decision {
                admitted: false,
                wait_ms: 0,
                retry_after_ms: ms(*retry_after),
            },
        }
    }
}

/// Run a decision behind the panic boundary: `*out` filled on success; on failure
/// `*out_error_json` gets the error JSON (NULL on success) and `*out` is zeroed.
fn run_decision(
    out: *mut sipcreds_decision,
    out_error_json: *mut *mut c_char,
    body: impl FnOnce() -> Result<sipcreds::Decision, Failure>,
) -> sipcreds_status {
    let mut decided = None;
    let status = run(out_error_json, || {
        decided = Some(body()?);
        Ok(String::new())
    });
    if !out.is_null() {
        // SAFETY: `out` is not NULL and, by the API contract, points to a writable decision.
        unsafe {
            *out = decided
                .as_ref()
                .map(sipcreds_decision::of)
                .unwrap_or_default()
        };
    }
    if status == sipcreds_status::SIPCREDS_OK && !out_error_json.is_null() {
        // The success form has no JSON: free the empty string `run` wrote, leave NULL.
        // SAFETY: `out_error_json` is writable and holds what `run` just allocated.
        unsafe {
            sipcreds_string_free(*out_error_json);
            *out_error_json = std::ptr::null_mut();
        }
    }
    status
}

/// `reserve` and `acquire` from C: the arguments read, the wait checked, `book` decides.
///
/// # Safety
/// As the calls that use it.
unsafe fn booking(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    max_wait_ms: u64,
    out: *mut sipcreds_decision,
    out_error_json: *mut *mut c_char,
    book: fn(&Registry, &str, &str, std::time::Duration) -> sipcreds::Result<sipcreds::Decision>,
) -> sipcreds_status {
    run_decision(out, out_error_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org, id) = unsafe {
            (
                handle(registry)?,
                text(org, "org", ErrorCode::InvalidOrg)?,
                text(id, "id", ErrorCode::NotFound)?,
            )
        };
        let max_wait = Registry::wait_option("max_wait_ms", max_wait_ms as f64, 1000.0)?;
        Ok(book(reg, org, id, max_wait)?)
    })
}

/// Admit a call now, or say when to retry: `*out` is filled (`admitted`; `retry_after_ms`
/// when not); `*out_error_json` is NULL on success and the error JSON on failure (free it
/// with `sipcreds_string_free`).
///
/// # Safety
/// `registry` is a live handle; every string argument is NUL-terminated; `out` and
/// `out_error_json` are NULL or writable. Thread-safe on one handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_try_acquire(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    out: *mut sipcreds_decision,
    out_error_json: *mut *mut c_char,
) -> sipcreds_status {
    run_decision(out, out_error_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org", ErrorCode::InvalidOrg)?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id", ErrorCode::NotFound)? };
        Ok(reg.try_acquire(org, id)?)
    })
}

/// Delete a credential: refused with `SIPCREDS_IN_USE` (the usage in the error JSON) while it
/// is in use, unless `force`, which unlinks its numbers: `{"deleted", "unlinkedNumbers"}`.
///
/// # Safety
/// As the other registry operations.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_delete_credential(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    force: bool,
    out_json: *mut *mut c_char,
) -> sipcreds_status {
    run(out_json, || {
        // SAFETY: forwarded caller contract.
        let (reg, org, id) = unsafe {
            (
                handle(registry)?,
                text(org, "org", ErrorCode::InvalidOrg)?,
                text(id, "id", ErrorCode::NotFound)?,
            )
        };
        serialized(&reg.delete_credential(org, id, force)?)
    })
}

/// Book the next free slot and sleep until it (at most `max_wait_ms`): returns when the
/// caller may dial (`out->admitted`, `out->wait_ms` the time it waited), or at once with
/// `out->retry_after_ms` when the wait would be longer (nothing booked). Blocks the calling
/// thread for the wait. `*out_error_json` as for `sipcreds_registry_try_acquire`.
///
/// # Safety
/// As the other registry operations.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_acquire(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    max_wait_ms: u64,
    out: *mut sipcreds_decision,
    out_error_json: *mut *mut c_char,
) -> sipcreds_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        booking(
            registry,
            org,
            id,
            max_wait_ms,
            out,
            out_error_json,
            Registry::acquire,
        )
    }
}

/// Book the next free slot of the credential's rate group: `out->admitted` with
/// `out->wait_ms` (dial after that many ms), or not admitted with `out->retry_after_ms` when
/// the wait would exceed `max_wait_ms` (nothing booked). `*out_error_json` as for
/// `sipcreds_registry_try_acquire`.
///
/// # Safety
/// As the other registry operations.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sipcreds_registry_reserve(
    registry: *const sipcreds_registry,
    org: *const c_char,
    id: *const c_char,
    max_wait_ms: u64,
    out: *mut sipcreds_decision,
    out_error_json: *mut *mut c_char,
) -> sipcreds_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        booking(
            registry,
            org,
            id,
            max_wait_ms,
            out,
            out_error_json,
            Registry::reserve,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_fixed_number_and_name() {
        for code in ErrorCode::ALL {
            let status = sipcreds_status::of(code);
            assert_eq!(status as u32, code.number(), "{code:?}");
            assert_eq!(status.name().to_str().unwrap(), code.as_str());
            // SAFETY: the name is a static C string.
            let named = unsafe { CStr::from_ptr(sipcreds_status_name(status as u32)) };
            assert_eq!(named.to_str().unwrap(), code.as_str());
        }
        // SAFETY: static C strings.
        unsafe {
            assert_eq!(CStr::from_ptr(sipcreds_status_name(0)).to_str(), Ok("ok"));
            assert_eq!(
                CStr::from_ptr(sipcreds_status_name(1000)).to_str(),
                Ok("null_argument")
            );
            assert_eq!(
                CStr::from_ptr(sipcreds_status_name(999)).to_str(),
                Ok("unknown")
            );
        }
    }

    #[test]
    fn version_constants_match_cargo_toml() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            parts,
            [
                SIPCREDS_VERSION_MAJOR,
                SIPCREDS_VERSION_MINOR,
                SIPCREDS_VERSION_PATCH
            ]
        );
        let header = include_str!("../include/sipcreds.h");
        for (name, value) in [
            ("SIPCREDS_VERSION_MAJOR", SIPCREDS_VERSION_MAJOR),
            ("SIPCREDS_VERSION_MINOR", SIPCREDS_VERSION_MINOR),
            ("SIPCREDS_VERSION_PATCH", SIPCREDS_VERSION_PATCH),
        ] {
            assert!(
                header.contains(&format!("#define {name} {value}")),
                "sipcreds.h lacks #define {name} {value}"
            );
        }
        let pc = include_str!("../sipcreds.pc.in");
        assert!(pc.contains("Version: @VERSION@"));
    }
}
