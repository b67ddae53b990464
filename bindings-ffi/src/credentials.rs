//! Credentials: create, get, list, update, usage.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        // SAFETY: forwarded caller contract.
        let patch = unsafe { text(patch, "patch")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        serialized(&reg.usage(org, id)?)
    })
}
