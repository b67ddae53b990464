//! Providers: connect, list, delete; and linting an org.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let kind = unsafe { text(kind, "kind")? };
        // SAFETY: forwarded caller contract.
        let name = unsafe { text(name, "name")? };
        // SAFETY: forwarded caller contract.
        let json = unsafe { text(json, "json")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        serialized(&reg.lint(org)?)
    })
}
