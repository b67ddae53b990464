//! The live probe of one credential or of an org.

use super::*;

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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        // SAFETY: forwarded caller contract.
        let id = unsafe { text(id, "id")? };
        let options = if options_json.is_null() {
            ""
        } else {
            // SAFETY: forwarded caller contract.
            unsafe { text(options_json, "options")? }
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
        let (reg, org) = unsafe { (handle(registry)?, text(org, "org")?) };
        let options = if options_json.is_null() {
            ""
        } else {
            // SAFETY: forwarded caller contract.
            unsafe { text(options_json, "options")? }
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
