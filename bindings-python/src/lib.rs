//! The native module `sipcreds._native`: converts Python values and errors to and from the
//! core's, and nothing else. The public package is the pure-Python `sipcreds` beside it.
//!
//! Every store operation and every rate-limit decision runs with the interpreter detached
//! (`Python::detach`), so other Python threads run while SQLite works; the registry is
//! shared between threads by reference (`Arc`s inside), so one object serves every thread.

// pyo3's wrapper of `Credential.__eq__`, expanded inside the generated
// `credential_pymethods!` macro (credential_getters.rs), calls its unsafe helpers without an
// `unsafe` block there; the lint is about that expansion (this crate writes no unsafe code).
#![allow(unsafe_op_in_unsafe_fn)]

use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, intern};
use serde_json::{Map, Value};

use sipcreds::{CredentialInput, CredentialPatch, Decision, Error, ErrorCode};

mod credential;
mod errors;
mod functions;
mod registry;
mod values;
use credential::*;
use errors::*;
use functions::*;
use registry::*;
use values::*;

/// The native half of the `sipcreds` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", sipcreds::VERSION)?;
    // `__all__` is pyo3's: every `add` below appends its name.
    m.add("MAX_BODY_BYTES", sipcreds::MAX_BODY_BYTES)?;
    m.add_function(wrap_pyfunction!(validate_credential, m)?)?;
    m.add_function(wrap_pyfunction!(lint_credential, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(symptoms, m)?)?;
    m.add_function(wrap_pyfunction!(list_all_errors, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_class::<PyCredential>()?;
    m.add_class::<PyDecision>()?;
    m.add_class::<PyRegistry>()?;
    m.add_class::<ProbeReports>()?;
    Ok(())
}
