//! The `Credential` and `Decision` classes.

use super::*;

/// A stored credential. Attributes are wire fields in snake_case; the password is never
/// shown, only `reveal_password()` returns it.
#[pyclass(frozen, module = "sipcreds", name = "Credential")]
pub(crate) struct PyCredential {
    inner: sipcreds::Credential,
    /// The wire JSON, made on the first attribute read (a page of 1,000 credentials whose
    /// callers read a few fields of some does not build 1,000 maps).
    json: std::sync::OnceLock<Map<String, Value>>,
}

impl PyCredential {
    pub(crate) fn new(inner: sipcreds::Credential) -> Self {
        PyCredential {
            inner,
            json: std::sync::OnceLock::new(),
        }
    }

    fn json(&self) -> &Map<String, Value> {
        self.json.get_or_init(|| match self.inner.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        })
    }

    fn field<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.json().get(key).unwrap_or(&Value::Null))
    }

    /// A time field as a timezone-aware `datetime` in UTC (the wire's RFC 3339 text parsed
    /// by `datetime.fromisoformat`, its `Z` written `+00:00` for Python 3.10).
    fn time_field<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(text) = self.json().get(key).and_then(Value::as_str) else {
            return Ok(py.None().into_bound(py));
        };
        let iso = match text.strip_suffix('Z') {
            Some(t) => format!("{t}+00:00"),
            None => text.to_owned(),
        };
        py.import("datetime")?
            .getattr("datetime")?
            .call_method1("fromisoformat", (iso,))
    }
}

// The getters (one per field of the core's credential view) are generated.
include!("credential_getters.rs");

credential_pymethods! {
    /// The docs/fields.md JSON form (never the password).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict_from_map(py, self.json())
    }

    /// The password in clear, for the SIP stack that must send it; `None` without one.
    fn reveal_password<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        // Straight from the credential's wiped buffer into the Python str: no Rust copy.
        self.inner.expose_password().map(|p| PyString::new(py, p))
    }

    fn __repr__(&self) -> String {
        let s = |k: &str| match self.json().get(k) {
            Some(Value::String(v)) => format!("{v:?}"),
            Some(Value::Null) | None => "None".into(),
            Some(other) => other.to_string(),
        };
        format!(
            "Credential(id={}, org={}, name={}, server={}, transport={}, auth_user={}, \
             has_password={}, cps_limit={}, cps_key={}, read_only={}, version={})",
            s("id"),
            s("org"),
            s("name"),
            s("server"),
            s("transport"),
            s("authUser"),
            if self.inner.expose_password().is_some() {
                "True"
            } else {
                "False"
            },
            s("cpsLimit"),
            s("cpsKey"),
            if self.inner.read_only() {
                "True"
            } else {
                "False"
            },
            s("version"),
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyCredential>() {
            Ok(o) => o.get().inner == self.inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.id.as_str().hash(&mut h);
        self.inner.version.hash(&mut h);
        h.finish()
    }

    /// Refuse pickling: a pickle would carry the password in clear.
    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "a Credential cannot be pickled (it holds a password); use to_dict()",
        ))
    }
}

/// A rate-limit decision: admitted (dial after `wait` seconds) or rejected (a call would
/// be admitted after `retry_after` seconds). True when admitted.
#[pyclass(frozen, module = "sipcreds", name = "Decision")]
pub(crate) struct PyDecision {
    pub(crate) inner: Decision,
}

#[pymethods]
impl PyDecision {
    /// True when admitted.
    #[getter]
    fn admitted(&self) -> bool {
        self.inner.is_admitted()
    }

    /// Seconds to wait before dialing (0.0 for `try_acquire`), `None` when rejected.
    #[getter]
    fn wait(&self) -> Option<f64> {
        self.inner.wait().map(|d| d.as_secs_f64())
    }

    /// Seconds until a call would be admitted, `None` when admitted.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        match self.inner {
            Decision::Rejected { retry_after } => Some(retry_after.as_secs_f64()),
            Decision::Admitted { .. } => None,
        }
    }

    /// `{"admitted": true, "waitMs": ...}` or `{"admitted": false, "retryAfterMs": ...}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialize_to_py(py, &self.inner)
    }

    fn __bool__(&self) -> bool {
        self.inner.is_admitted()
    }

    fn __repr__(&self) -> String {
        match self.inner {
            Decision::Admitted { wait, .. } => {
                format!("Decision(admitted=True, wait={})", wait.as_secs_f64())
            }
            Decision::Rejected { retry_after } => format!(
                "Decision(admitted=False, retry_after={})",
                retry_after.as_secs_f64()
            ),
        }
    }
}

pub(crate) fn seconds(py: Python<'_>, field: &'static str, s: f64) -> PyResult<Duration> {
    sipcreds::Registry::wait_option(field, s, 1.0).or_raise(py)
}
