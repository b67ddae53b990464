//! The functions without a registry: versions, strings, validation, lint, diagnose, lists.

use super::*;

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
        let body = unsafe { text(json, "json")? };
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
        let body = unsafe { text(json, "json")? };
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
        let symptom = unsafe { text(symptom, "symptom")? };
        let reason = if reason.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(reason, "reason")? })
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
