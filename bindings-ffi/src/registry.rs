//! The registry handle's life (open, free), reading a password, and the JSON and paging
//! helpers of the registry's functions.

use super::*;

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
            Some(unsafe { text(path, "path")? })
        };
        // SAFETY: forwarded caller contract.
        let limiter = if limiter.is_null() {
            "process"
        } else {
            unsafe { text(limiter, "limiter")? }
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
        let (reg, org, id) = unsafe { (handle(registry)?, text(org, "org")?, text(id, "id")?) };
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

pub(crate) fn credential_json(c: &sipcreds::Credential) -> String {
    json_text(&c.to_json())
}

pub(crate) fn credentials_json(list: &[sipcreds::Credential]) -> String {
    json_text(&Value::Array(
        list.iter().map(sipcreds::Credential::to_json).collect(),
    ))
}

/// `{"items": [...], "next": cursor | null}`.
pub(crate) fn page_json<T>(p: &sipcreds::Paged<T>, f: impl Fn(&T) -> Value) -> String {
    json_text(&serde_json::json!({
        "items": p.items.iter().map(f).collect::<Vec<_>>(),
        "next": p.next,
    }))
}

/// The page of `limit` items after `after` (NULL: the first page).
///
/// # Safety
/// `after` is NULL or NUL-terminated.
pub(crate) unsafe fn page_arg(limit: u32, after: *const c_char) -> Result<sipcreds::Page, Failure> {
    let after = if after.is_null() {
        None
    } else {
        // SAFETY: forwarded caller contract.
        Some(unsafe { text(after, "after")? })
    };
    Ok(sipcreds::Page::new(u64::from(limit), after)?)
}

pub(crate) fn list_json<T>(list: &[T], f: impl Fn(&T) -> Value) -> String {
    json_text(&Value::Array(list.iter().map(f).collect()))
}

pub(crate) fn credential_list(body: &str) -> Result<Vec<CredentialInput>, Failure> {
    Ok(sipcreds::read_inputs(body, "credentials")?)
}
