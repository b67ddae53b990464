//! The core's `Error` as an instance of the matching class of `sipcreds._errors`.

use super::*;

/// `sipcreds._errors`, imported once.
static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Convert a core error into the Python exception (`code`, `field`, `message`, and the
/// `in_use` usage or the `conflict` versions). Never carries a password: core errors never do.
pub(crate) fn py_error(py: Python<'_>, e: Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module =
            ERRORS.get_or_try_init(py, || py.import("sipcreds._errors").map(Bound::unbind))?;
        let class = module.bind(py).getattr(e.code().class().name())?;
        let details = PyDict::new(py);
        // The docs/errors.md body as the core writes it: what `to_dict()` answers.
        details.set_item("_json", e.to_json_string())?;
        if let Some(usage) = e.usage() {
            let usage = serde_json::to_value(usage).unwrap_or(Value::Null);
            details.set_item("usage", to_py(py, &usage)?)?;
        }
        if let Error::Conflict {
            expected, actual, ..
        } = &e
        {
            details.set_item("expected_version", *expected)?;
            details.set_item("actual_version", *actual)?;
        }
        let instance = class.call1((e.to_string(), e.code().as_str(), e.field(), details))?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|import_error| import_error)
}

/// `?` for core results inside functions that hold the interpreter.
pub(crate) trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| py_error(py, e))
    }
}

pub(crate) fn invalid_json(message: impl Into<String>) -> Error {
    Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: message.into(),
    }
}
