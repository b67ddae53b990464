//! The module's functions: validate, lint, diagnose and the lists read from the core.

use super::*;

/// Validate one credential (a dict or a JSON string) and return its normalized fields.
#[pyfunction]
pub(crate) fn validate_credential<'py>(
    py: Python<'py>,
    credential: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = input_from_py(py, credential)?;
    Ok(serialize_to_py(py, &input.normalized_fields())?.cast_into::<PyDict>()?)
}

/// Lint one credential input: findings as dicts.
#[pyfunction]
pub(crate) fn lint_credential<'py>(
    py: Python<'py>,
    credential: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = input_from_py(py, credential)?;
    serialize_to_py(py, &sipcreds::lint_credential(&input))
}

/// Likely causes of a SIP failure, most likely first.
#[pyfunction]
#[pyo3(signature = (symptom, reason = None))]
pub(crate) fn diagnose<'py>(
    py: Python<'py>,
    symptom: SymptomText,
    reason: Option<ReasonText>,
) -> PyResult<Bound<'py, PyAny>> {
    let symptom: &str = &symptom;
    let d = sipcreds::diagnose(symptom, reason.as_deref()).or_raise(py)?;
    serialize_to_py(py, &d)
}

/// The symptoms `diagnose` knows.
#[pyfunction]
pub(crate) fn symptoms() -> Vec<&'static str> {
    sipcreds::symptoms().collect()
}

/// The JSON Schema of a credential input (docs/fields.md), for a UI's form check.
#[pyfunction]
pub(crate) fn schema<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &sipcreds::input_schema())
}

/// Every error code with its C number and description.
#[pyfunction]
pub(crate) fn list_all_errors<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    serialize_to_py(py, &sipcreds::list_all_errors())
}
