//! API tokens: create, list, revoke.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let role = unsafe { text(role, "role")? };
        let role = sipcreds::Role::parse(role, "role")?;
        let name = if name.is_null() {
            None
        } else {
            // SAFETY: forwarded caller contract.
            Some(unsafe { text(name, "name")? })
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        Ok(json_text(&reg.revoke_token(org, id)?.to_json()))
    })
}
