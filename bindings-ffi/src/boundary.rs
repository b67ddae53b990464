//! The boundary with C: failures as a status and the error JSON, the panic boundary (`run`),
//! C strings in and out, and the registry handle.

use super::*;

/// A failure on its way to C: the status and the error JSON.
pub(crate) struct Failure {
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
    pub(crate) fn c_only(status: sipcreds_status, field: Option<&str>, message: String) -> Failure {
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

    pub(crate) fn null(field: &str) -> Failure {
        Failure::c_only(
            sipcreds_status::SIPCREDS_NULL_ARGUMENT,
            Some(field),
            format!("{field} is NULL"),
        )
    }
}

pub(crate) type Outcome = Result<String, Failure>;

/// A C string from Rust text (JSON never holds a NUL; anything after one would be cut).
pub(crate) fn c_string(s: String) -> *mut c_char {
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
pub(crate) fn run(out: *mut *mut c_char, body: impl FnOnce() -> Outcome) -> sipcreds_status {
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
/// bytes that are not UTF-8 answer the argument's own code ([`sipcreds::argument_error`]).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn text<'a>(p: *const c_char, field: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::null(field));
    }
    // SAFETY: the caller guarantees a NUL-terminated string that outlives the call.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes.to_str().map_err(|_| {
        Failure::from(sipcreds::argument_error(
            field,
            sipcreds::NotText::Undecodable("it is not UTF-8"),
        ))
    })
}

pub(crate) fn json_text(v: &Value) -> String {
    v.to_string()
}

pub(crate) fn serialized<T: serde::Serialize>(v: &T) -> Outcome {
    serde_json::to_string(v)
        .map_err(|e| Failure::from(Error::storage(format!("cannot serialize: {e}"))))
}

/// The registry behind a `sipcreds_registry *`.
pub struct sipcreds_registry {
    pub(crate) inner: Registry,
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
pub(crate) unsafe fn handle<'a>(r: *const sipcreds_registry) -> Result<&'a Registry, Failure> {
    if r.is_null() {
        return Err(Failure::null("registry"));
    }
    // SAFETY: a live handle from sipcreds_registry_open (the caller's contract).
    Ok(unsafe { &(*r).inner })
}
