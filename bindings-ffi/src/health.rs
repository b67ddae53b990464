//! Health over time: records, events, pause and resume.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let page = unsafe { page_arg(limit, after)? };
        Ok(page_json(&reg.health_list(org, &page)?, |r| r.to_json()))
    })
}
