//! Phone numbers: link, unlink, delete, list, get; and linting an input in its org.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
        // SAFETY: forwarded caller contract.
        let credential_id = unsafe { text(credential_id, "credential_id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json")? };
        let id = if id.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(id, "id")? })
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let number = unsafe { text(number, "number")? };
        Ok(json_text(&reg.get_number(org, number)?.to_json()))
    })
}
