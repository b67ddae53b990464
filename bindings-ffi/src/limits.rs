//! Counting, rate groups, deleting a credential, and the rate-limit decisions a dialer acts on.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
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
pub(crate) fn run_decision(
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
pub(crate) unsafe fn booking(
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
        let (reg, org, id) = unsafe { (handle(registry)?, text(org, "org")?, text(id, "id")?) };
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
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
        let (reg, org, id) = unsafe { (handle(registry)?, text(org, "org")?, text(id, "id")?) };
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
