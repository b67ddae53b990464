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

// ---------------------------------------------------------------------------------------
// Errors: the core's `Error` becomes an instance of the matching class of `sipcreds._errors`.

/// `sipcreds._errors`, imported once.
static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Convert a core error into the Python exception (`code`, `field`, `message`, and the
/// `in_use` usage or the `conflict` versions). Never carries a password: core errors never do.
fn py_error(py: Python<'_>, e: Error) -> PyErr {
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
trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| py_error(py, e))
    }
}

fn invalid_json(message: impl Into<String>) -> Error {
    Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Values: JSON out as dicts, lists and scalars; JSON in from a dict (or a JSON string).

/// A JSON value as the Python object `json.loads` would give.
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)
            } else if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(s) => s.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => Ok(dict_from_map(py, map)?.into_any()),
    }
}

fn dict_from_map<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A core shape as Python objects (dicts in the shape's order), serialized by serde.
fn serialize_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v)
        .map_err(|e| py_error(py, Error::storage(format!("cannot serialize: {e}"))))
}

/// A value no JSON document can hold (bytes, sets, objects, NaN): it is "not a string,
/// not a number", so the field it sits in answers its own wrong-type error, as docs/fields.md says.
fn foreign() -> Value {
    Value::Array(Vec::new())
}

/// How deep containers inside a body are converted (no field of the wire format takes a
/// container, so deeper levels only need their shape, and a hostile depth costs nothing).
const MAX_DEPTH: u32 = 8;

/// A `str` as UTF-8, or `None` when it cannot be: a lone surrogate (as `os.environ` and
/// `sys.argv` give for bytes that are not UTF-8). CPython's `UnicodeEncodeError` for it would
/// carry the whole string (a password, a body) in its `args`: it is dropped here, and the
/// caller answers the field's own validation code instead.
fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<std::borrow::Cow<'a, str>> {
    s.to_cow().ok()
}

/// What a text argument is, for its error when it is not valid text.
trait TextKind {
    /// The docs/errors.md error for a value of this argument that cannot be encoded as UTF-8 (`None`), or
    /// that is not a `str` at all (its type's name): the argument's own code, as on Node.
    fn refused(type_name: Option<&str>) -> Error;
}

/// A text argument (an org, an id, a number, a name) read without CPython's
/// `UnicodeEncodeError`, whose `args` would carry the value: a `str` with a lone surrogate
/// answers the argument's own code (`invalid_org`, `not_found`, ...), as docs/errors.md says.
struct Text<K>(String, std::marker::PhantomData<K>);

impl<K> std::ops::Deref for Text<K> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'a, 'py, K: TextKind> FromPyObject<'a, 'py> for Text<K> {
    type Error = PyErr;
    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let Ok(s) = obj.cast::<PyString>() else {
            let type_name = obj.get_type().name().map(|n| n.to_string());
            let type_name = type_name.as_deref().unwrap_or("object");
            return Err(py_error(obj.py(), K::refused(Some(type_name))));
        };
        match utf8(&s) {
            Some(t) => Ok(Text(t.into_owned(), std::marker::PhantomData)),
            None => Err(py_error(obj.py(), K::refused(None))),
        }
    }
}

macro_rules! text_kinds {
    ($($alias:ident = $kind:ident => $err:expr;)*) => {$(
        enum $kind {}
        impl TextKind for $kind {
            fn refused(type_name: Option<&str>) -> Error {
                ($err)(type_name)
            }
        }
        type $alias = Text<$kind>;
    )*};
}

fn invalid_text(code: ErrorCode, field: &'static str, type_name: Option<&str>) -> Error {
    Error::Invalid {
        code,
        field: Some(field.into()),
        message: type_name.map_or_else(
            || not_text(field),
            |t| format!("{field} must be a string, not {t}"),
        ),
    }
}

fn unknown_id(what: &'static str, field: &'static str, type_name: Option<&str>) -> Error {
    Error::NotFound {
        what,
        field,
        id: type_name.map_or_else(
            || "(not valid text)".into(),
            |t| format!("(not a string: {t})"),
        ),
    }
}

text_kinds! {
    OrgText = OrgKind => |t| invalid_text(ErrorCode::InvalidOrg, "org", t);
    IdText = IdKind => |t| unknown_id("object", "id", t);
    CredentialIdText = CredentialIdKind => |t| unknown_id("credential", "credentialId", t);
    AgentIdText = AgentIdKind => |t| unknown_id("agent", "agentId", t);
    NumberText = NumberKind => |t| invalid_text(ErrorCode::InvalidPhoneNumber, "number", t);
    NameText = NameKind => |t| invalid_text(ErrorCode::InvalidName, "name", t);
    SymptomText = SymptomKind => |t| invalid_text(ErrorCode::InvalidSymptom, "symptom", t);
    ReasonText = ReasonKind => |t| invalid_text(ErrorCode::InvalidSymptom, "reason", t);
    KindText = KindKind => |t| invalid_text(ErrorCode::InvalidName, "kind", t);
    RoleText = RoleKind => |t| invalid_text(ErrorCode::InvalidOption, "role", t);
}

/// The message for a value that is not valid text.
fn not_text(what: &str) -> String {
    format!(
        "{what} is not valid text: it holds a lone surrogate (as os.environ or sys.argv give for bytes that are not UTF-8); decode the bytes as UTF-8 first"
    )
}

/// Dict values converted to JSON, remembering the first key whose string could not be
/// encoded (its value becomes a non-string, so the core answers that field's own code).
#[derive(Default)]
struct Conversion {
    undecodable: Option<String>,
}

fn value_from_py(obj: &Bound<'_, PyAny>, depth: u32, conv: &mut Conversion) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // The copy lives in the value, which the caller wipes (`sipcreds::wipe_value`).
        return Ok(utf8(s).map_or_else(foreign, |t| Value::String(t.into_owned())));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Beyond 64 bits: keep it a number (so it is "too large", not "not a number").
        return Ok(obj
            .extract::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(foreign, Value::Number));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(serde_json::Number::from_f64(f.value()).map_or_else(foreign, Value::Number));
    }
    if depth >= MAX_DEPTH {
        return Ok(foreign());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            match k
                .cast::<PyString>()
                .ok()
                .and_then(|k| utf8(k).map(|t| t.into_owned()))
            {
                Some(k) => {
                    if depth == 0
                        && conv.undecodable.is_none()
                        && v.cast::<PyString>().is_ok_and(|s| utf8(s).is_none())
                    {
                        conv.undecodable = Some(k.clone());
                    }
                    map.insert(k, value_from_py(&v, depth + 1, conv)?);
                }
                None => return Ok(foreign()),
            }
        }
        return Ok(Value::Object(map));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(value_from_py(&item?, depth + 1, conv)?);
        }
        return Ok(Value::Array(items));
    }
    Ok(foreign())
}

/// A request body: a dict (converted field by field) or JSON text (`str` or UTF-8 `bytes`,
/// read by the core's strict reader: size limit, duplicate keys).
/// Every copy of a caller's body is wiped when dropped: the text in a `Zeroizing` buffer,
/// the converted dict's strings by [`sipcreds::wipe_value`].
enum Body {
    Text(zeroize::Zeroizing<String>),
    Value(Value, Conversion),
}

impl Drop for Body {
    fn drop(&mut self) {
        if let Body::Value(v, _) = self {
            sipcreds::wipe_value(std::mem::take(v));
        }
    }
}

impl Body {
    /// Read it with `text` or `value`; an error about a field whose string could not be
    /// encoded says so (instead of "must be a string").
    fn parse<T>(
        &self,
        text: impl FnOnce(&str) -> Result<T, Error>,
        value: impl FnOnce(&Value) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self {
            Body::Text(t) => text(t),
            Body::Value(v, conv) => value(v).map_err(|e| match (e, &conv.undecodable) {
                (
                    Error::Invalid {
                        code,
                        field: Some(f),
                        ..
                    },
                    Some(k),
                ) if f == k.as_str() => {
                    let message = not_text(&f);
                    Error::Invalid {
                        code,
                        field: Some(f),
                        message,
                    }
                }
                (e, _) => e,
            }),
        }
    }
}

fn body_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Result<Body, Error>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match utf8(s) {
            Some(t) => Ok(Body::Text(zeroize::Zeroizing::new(t.into_owned()))),
            None => Err(invalid_json(not_text("the JSON text"))),
        });
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(match std::str::from_utf8(b.as_bytes()) {
            Ok(s) => Ok(Body::Text(zeroize::Zeroizing::new(s.to_owned()))),
            Err(_) => Err(invalid_json("the body is not UTF-8")),
        });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        for k in d.keys() {
            match k.cast::<PyString>() {
                Err(_) => {
                    return Ok(Err(invalid_json(format!(
                        "every key must be a string, not {}",
                        type_name(&k)
                    ))));
                }
                Ok(s) if utf8(s).is_none() => {
                    return Ok(Err(invalid_json(not_text("a key of the dict"))));
                }
                Ok(_) => {}
            }
        }
        let mut conv = Conversion::default();
        let value = value_from_py(obj, 0, &mut conv)?;
        return Ok(Ok(Body::Value(value, conv)));
    }
    Ok(Err(invalid_json(format!(
        "expected a dict or a JSON string, not {}",
        type_name(obj)
    ))))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn input_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<CredentialInput> {
    if let Ok(d) = obj.cast::<PyDict>()
        && let Some(answer) = input_from_dict_fields(d)
    {
        return answer.or_raise(py);
    }
    body_from_py(obj)?
        .or_raise(py)?
        .parse(CredentialInput::from_json, CredentialInput::from_value)
        .or_raise(py)
}

fn patch_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<CredentialPatch> {
    body_from_py(obj)?
        .or_raise(py)?
        .parse(CredentialPatch::from_json, CredentialPatch::from_value)
        .or_raise(py)
}

/// The common dict without JSON text: at most the nine wire keys as `str`, each value `None`,
/// a `bool`, a `str` or an `int` within 64 bits, read in place (strings borrowed as UTF-8, no
/// copy of the password made) by [`CredentialInput::from_fields`], which answers exactly as
/// the JSON path would. `None` for anything else (a float, a big int, a nested value, a key
/// that is not a field, a string with a lone surrogate): the JSON path answers those.
fn input_from_dict_fields(d: &Bound<'_, PyDict>) -> Option<Result<CredentialInput, Error>> {
    if d.len() > 9 {
        return None;
    }
    let items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = d.iter().collect();
    let mut fields = Vec::with_capacity(items.len());
    for (k, v) in &items {
        let key = k.cast::<PyString>().ok()?.to_str().ok()?;
        let value = if v.is_none() {
            sipcreds::FieldValue::Null
        } else if let Ok(b) = v.cast::<PyBool>() {
            sipcreds::FieldValue::Bool(b.is_true())
        } else if let Ok(s) = v.cast::<PyString>() {
            sipcreds::FieldValue::Str(s.to_str().ok()?)
        } else if v.cast::<PyInt>().is_ok() {
            sipcreds::FieldValue::Int(v.extract::<i64>().ok()?)
        } else {
            return None;
        };
        fields.push((key, value));
    }
    CredentialInput::from_fields(fields)
}

/// A list of credential inputs (a list of dicts or strings, or one JSON array as text):
/// errors name the item, `credentials[i].field`, as the core does for JSON arrays.
fn inputs_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<CredentialInput>> {
    if obj.cast::<PyString>().is_ok() || obj.cast::<PyBytes>().is_ok() {
        let body = body_from_py(obj)?.or_raise(py)?;
        return body
            .parse(
                |text| sipcreds::read_inputs(text, "credentials"),
                |_| Err(invalid_json("the credentials must be a list")),
            )
            .or_raise(py);
    }
    if obj.cast::<PyDict>().is_ok() {
        return Err(py_error(
            py,
            invalid_json("expected a list of credential inputs, not one dict"),
        ));
    }
    let iter = obj.try_iter().map_err(|_| {
        py_error(
            py,
            invalid_json(format!(
                "expected a list of credential inputs, not {}",
                type_name(obj)
            )),
        )
    })?;
    let mut out = Vec::new();
    for (i, item) in iter.enumerate() {
        let item = item?;
        let fast = item.cast::<PyDict>().ok().and_then(input_from_dict_fields);
        let parsed = match fast {
            Some(answer) => answer,
            None => body_from_py(&item)?
                .and_then(|b| b.parse(CredentialInput::from_json, CredentialInput::from_value)),
        };
        out.push(
            parsed
                .map_err(|e| e.at_index("credentials", i))
                .or_raise(py)?,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Module functions.

/// Validate one credential (a dict or a JSON string) and return its normalized fields.
#[pyfunction]
fn validate_credential<'py>(
    py: Python<'py>,
    credential: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let input = input_from_py(py, credential)?;
    Ok(serialize_to_py(py, &input.normalized_fields())?.cast_into::<PyDict>()?)
}

/// Lint one credential input: findings as dicts.
#[pyfunction]
fn lint_credential<'py>(
    py: Python<'py>,
    credential: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let input = input_from_py(py, credential)?;
    serialize_to_py(py, &sipcreds::lint_credential(&input))
}

/// Likely causes of a SIP failure, most likely first.
#[pyfunction]
#[pyo3(signature = (symptom, reason = None))]
fn diagnose<'py>(
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
fn symptoms() -> Vec<&'static str> {
    sipcreds::symptoms().collect()
}

/// The JSON Schema of a credential input (docs/fields.md), for a UI's form check.
#[pyfunction]
fn schema<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &sipcreds::input_schema())
}

/// Every error code with its C number and description.
#[pyfunction]
fn list_all_errors<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    serialize_to_py(py, &sipcreds::list_all_errors())
}

// ---------------------------------------------------------------------------------------
// Classes.

/// A stored credential. Attributes are wire fields in snake_case; the password is never
/// shown, only `reveal_password()` returns it.
#[pyclass(frozen, module = "sipcreds", name = "Credential")]
struct PyCredential {
    inner: sipcreds::Credential,
    /// The wire JSON, made on the first attribute read (a page of 1,000 credentials whose
    /// callers read a few fields of some does not build 1,000 maps).
    json: std::sync::OnceLock<Map<String, Value>>,
}

impl PyCredential {
    fn new(inner: sipcreds::Credential) -> Self {
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
struct PyDecision {
    inner: Decision,
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

fn seconds(py: Python<'_>, field: &'static str, s: f64) -> PyResult<Duration> {
    sipcreds::Registry::wait_option(field, s, 1.0).or_raise(py)
}

/// The registry: credentials, numbers, agents and providers of every org, with their rate
/// limits. In memory without a path; the embedded SQLite store with one.
#[pyclass(subclass, module = "sipcreds._native", name = "Registry")]
struct PyRegistry {
    inner: sipcreds::Registry,
    path: Option<String>,
    closed: bool,
}

fn credential_list<'py>(
    py: Python<'py>,
    list: Vec<sipcreds::Credential>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for c in list {
        out.append(Bound::new(py, PyCredential::new(c))?)?;
    }
    Ok(out)
}

/// The page a `limit=` / `after=` pair asks for (`sipcreds::Page::from_options`: `None` for
/// the whole list). A limit that is not an int, or a cursor that is not a str, is
/// `invalid_option` with its field, as a limit out of range is (core's rule).
fn page_from_py(
    limit: Option<&Bound<'_, PyAny>>,
    after: Option<&Bound<'_, PyAny>>,
) -> Result<Option<sipcreds::Page>, Error> {
    let option = |field: &'static str, message: String| Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: Some(field.into()),
        message,
    };
    let limit = match limit {
        None => None,
        Some(l)
            if l.is_instance_of::<pyo3::types::PyBool>()
                || !l.is_instance_of::<pyo3::types::PyInt>() =>
        {
            return Err(option(
                "limit",
                format!("limit must be an int from 1 to 1000, not {}", type_name(l)),
            ));
        }
        // Out of u64 (negative or huge): a number out of range all the same.
        Some(l) => Some(l.extract::<u64>().unwrap_or(0)),
    };
    let after = match after {
        None => None,
        Some(a) => Some(a.extract::<String>().map_err(|_| {
            let why = if a.is_instance_of::<pyo3::types::PyString>() {
                "after is not valid text (a lone surrogate): give the previous page's \"next\""
                    .into()
            } else {
                format!(
                    "after must be the str cursor of the previous page, not {}",
                    type_name(a)
                )
            };
            option("after", why)
        })?),
    };
    sipcreds::Page::from_options(limit, after.as_deref())
}

/// `{"items": [...], "next": cursor | None}`.
fn page_dict<'py>(
    py: Python<'py>,
    items: Bound<'py, PyList>,
    next: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("items", items)?;
    d.set_item("next", next)?;
    Ok(d.into_any())
}

/// A JSON list answered whole (`whole`, a `list`) or, when `limit=` / `after=` ask for it,
/// one page (`page`, `{"items": [...], "next": ...}`), read with the GIL released.
fn json_list_or_page<'py, T>(
    py: Python<'py>,
    limit: Option<&Bound<'py, PyAny>>,
    after: Option<&Bound<'py, PyAny>>,
    whole: impl FnOnce() -> Result<Vec<T>, Error> + Send,
    page: impl FnOnce(&sipcreds::Page) -> Result<sipcreds::Paged<T>, Error> + Send,
    to_json: fn(&T) -> Value,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send,
{
    let Some(p) = page_from_py(limit, after).or_raise(py)? else {
        let list = py.detach(whole).or_raise(py)?;
        return Ok(json_list(py, list.iter().map(to_json))?.into_any());
    };
    let p = py.detach(|| page(&p)).or_raise(py)?;
    page_dict(py, json_list(py, p.items.iter().map(to_json))?, p.next)
}

fn json_list<'py>(
    py: Python<'py>,
    items: impl Iterator<Item = Value>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for v in items {
        out.append(to_py(py, &v)?)?;
    }
    Ok(out)
}

/// The docs/probe.md probe options from a Python dict (or None for the defaults).
fn probe_options(
    py: Python<'_>,
    options: Option<&Bound<'_, PyAny>>,
) -> PyResult<sipcreds_probe::ProbeOptions> {
    match options {
        None => Ok(sipcreds_probe::ProbeOptions::default()),
        Some(o) => {
            let mut conv = Conversion::default();
            let value = value_from_py(o, 0, &mut conv)?;
            if let Some(key) = conv.undecodable {
                return Err(py_error(
                    py,
                    Error::invalid(
                        sipcreds::ErrorCode::InvalidOption,
                        sipcreds::printable(&key, sipcreds::MAX_ECHOED_FIELD_CHARS),
                        not_text("the option"),
                    ),
                ));
            }
            sipcreds_probe::ProbeOptions::from_value(&value).or_raise(py)
        }
    }
}

/// The reports of `probe_all`, in the order the probes end.
#[pyclass(module = "sipcreds._native", name = "ProbeReports")]
struct ProbeReports {
    rx: std::sync::Mutex<Option<std::sync::mpsc::Receiver<(usize, sipcreds_probe::Report)>>>,
}

#[pymethods]
impl ProbeReports {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| {
            let guard = self.rx.lock().ok()?;
            guard.as_ref()?.recv().ok()
        });
        match next {
            Some((_, report)) => serialize_to_py(py, &report).map(Some),
            None => Ok(None),
        }
    }
}

#[pymethods]
impl PyRegistry {
    #[new]
    #[pyo3(signature = (path = None, *, limiter = "process"))]
    fn new(py: Python<'_>, path: Option<std::path::PathBuf>, limiter: &str) -> PyResult<Self> {
        let shown = path
            .as_ref()
            .map(|p| sipcreds::redact_location(&p.display().to_string()));
        // A path that is not UTF-8 is refused: a lossy conversion would open another file.
        let location = match path {
            None => None,
            Some(p) => Some(p.to_str().map(str::to_owned).ok_or_else(|| {
                py_error(
                    py,
                    Error::Invalid {
                        code: ErrorCode::InvalidOption,
                        field: Some("path".into()),
                        message: "path is not valid UTF-8; rename the file or give a UTF-8 path"
                            .into(),
                    },
                )
            })?),
        };
        let inner = py
            .detach(|| sipcreds_open::open_optional(location.as_deref(), limiter))
            .or_raise(py)?;
        Ok(PyRegistry {
            inner,
            path: shown,
            closed: false,
        })
    }

    /// The SQLite file, or `None` in memory.
    #[getter]
    fn path(&self) -> Option<String> {
        self.path.clone()
    }

    /// Close the registry: its store's file handles and connections are released at once,
    /// and every later call raises ``StorageError``. Closing again does nothing. Closing
    /// while another thread is inside a call of this object raises ``RuntimeError``.
    fn close(&mut self) {
        if !self.closed {
            self.inner = sipcreds::Registry::closed();
            self.closed = true;
        }
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        match &self.path {
            Some(p) => format!("Registry(path={p:?})"),
            None => "Registry(path=None)".into(),
        }
    }

    // -- credentials

    /// Create a credential from a dict of its wire fields (or its JSON text): the stored
    /// ``Credential``. Raises ``ValidationError`` (with ``code`` and ``field``) for bad input;
    /// nothing is stored then.
    fn create_credential(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential: &Bound<'_, PyAny>,
    ) -> PyResult<PyCredential> {
        let org: &str = &org;
        let input = input_from_py(py, credential)?;
        let c = py
            .detach(|| self.inner.create_credential(org, input))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// Create many credentials in one transaction: all or nothing.
    fn create_credentials<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        credentials: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let org: &str = &org;
        let inputs = inputs_from_py(py, credentials)?;
        let created = py
            .detach(|| self.inner.create_credentials(org, inputs))
            .or_raise(py)?;
        credential_list(py, created)
    }

    /// The credential ``id`` of ``org``; ``NotFoundError`` if there is none (another org's id
    /// is not found either).
    fn get_credential(&self, py: Python<'_>, org: OrgText, id: IdText) -> PyResult<PyCredential> {
        let org: &str = &org;
        let id: &str = &id;
        let c = py
            .detach(|| self.inner.get_credential(org, id))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// Every credential (a list), or with `limit=` / `after=` one page:
    /// `{"items": [...], "next": cursor | None}`.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn list_credentials<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let Some(page) = page_from_py(limit, after).or_raise(py)? else {
            let list = py
                .detach(|| self.inner.list_credentials(org))
                .or_raise(py)?;
            return Ok(credential_list(py, list)?.into_any());
        };
        let p = py
            .detach(|| self.inner.list_credentials_page(org, &page))
            .or_raise(py)?;
        page_dict(py, credential_list(py, p.items)?, p.next)
    }

    /// Change the fields a patch gives (``None`` clears one; ``expectedVersion`` refuses a
    /// stale update with ``ConflictError``): the updated ``Credential``, its version + 1.
    /// A provider's credential is read-only (``ReadOnlyError``).
    fn update_credential(
        &self,
        py: Python<'_>,
        org: OrgText,
        id: IdText,
        patch: &Bound<'_, PyAny>,
    ) -> PyResult<PyCredential> {
        let org: &str = &org;
        let id: &str = &id;
        let patch = patch_from_py(py, patch)?;
        let c = py
            .detach(|| self.inner.update_credential(org, id, patch))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// What uses the credential: ``{"phoneNumbers": [...], "agents": [...]}``.
    fn usage<'py>(&self, py: Python<'py>, org: OrgText, id: IdText) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let u = py.detach(|| self.inner.usage(org, id)).or_raise(py)?;
        serialize_to_py(py, &u)
    }

    /// Delete a credential. In use (numbers link to it), it is refused with ``InUseError``
    /// naming them, unless ``force=True``, which unlinks them first: the report says what was
    /// deleted and unlinked.
    #[pyo3(signature = (org, id, force = false))]
    fn delete_credential<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        force: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py
            .detach(|| self.inner.delete_credential(org, id, force))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    // -- numbers

    /// Link a phone number (E.164, created if new) to a credential; linking it again moves it.
    fn link_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        number: NumberText,
        credential_id: CredentialIdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let credential_id: &str = &credential_id;
        let number: &str = &number;
        let r = py
            .detach(|| self.inner.link_number(org, number, credential_id))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    /// Unlink a number from its credential (the number stays, with its agents).
    fn unlink_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        number: NumberText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let number: &str = &number;
        let r = py
            .detach(|| self.inner.unlink_number(org, number))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    /// Delete a number, unlinking it and removing it from every agent.
    fn delete_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        number: NumberText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let number: &str = &number;
        let r = py
            .detach(|| self.inner.delete_number(org, number))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    /// Every item (a list), or with `limit=` / `after=` one page:
    /// `{"items": [...], "next": cursor | None}`.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn list_numbers<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        json_list_or_page(
            py,
            limit,
            after,
            || self.inner.list_numbers(org),
            |p| self.inner.list_numbers_page(org, p),
            sipcreds::NumberRecord::to_json,
        )
    }

    /// The lint findings of an unsaved ``credential`` in the org's context: its own fields'
    /// and its cpsKey group's as they would be once saved, in place of the credential ``id``
    /// when given (an edit), else as a new one (labelled ``new``).
    #[pyo3(signature = (org, credential, id = None))]
    fn lint_input<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        credential: &Bound<'py, PyAny>,
        id: Option<IdText>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let input = input_from_py(py, credential)?;
        let id = id.as_deref().map(|i| i.to_owned());
        let findings = py
            .detach(|| self.inner.lint_input(org, &input, id.as_deref()))
            .or_raise(py)?;
        serialize_to_py(py, &findings)
    }

    /// One phone number and the credential it is linked to: ``{"number", "credentialId"}``.
    fn get_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        number: NumberText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let number: &str = &number;
        let n = py
            .detach(|| self.inner.get_number(org, number))
            .or_raise(py)?;
        serialize_to_py(py, &n)
    }

    // -- health over time (the monitor's records)

    /// The credential's health record: ``{"credentialId", "state", "since", "lastProbeAt",
    /// "nextProbeAt", "consecutiveFailures", "consecutiveSuccesses", "lastOutcome",
    /// "lastStatus", "lastReason", "lastRttMs", "probes", "failures"}``; ``state`` is
    /// ``unknown`` until the monitor probes it.
    fn health<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py.detach(|| self.inner.health(org, id)).or_raise(py)?;
        serialize_to_py(py, &r)
    }

    /// Every credential's health record (a list), or with ``limit=`` / ``after=`` one page:
    /// ``{"items": [...], "next": cursor | None}``.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn health_list<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        json_list_or_page(
            py,
            limit,
            after,
            || sipcreds::Page::all(|p| self.inner.health_list(org, p)),
            |p| self.inner.health_list(org, p),
            sipcreds::HealthRecord::to_json,
        )
    }

    /// The credential's last transitions (up to 100), oldest first: ``{"at",
    /// "credentialId", "from", "to", "outcome", "status", "reason"}`` each.
    fn health_events<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let events = py
            .detach(|| self.inner.health_events(org, id))
            .or_raise(py)?;
        Ok(json_list(py, events.iter().map(sipcreds::HealthEvent::to_json))?.into_any())
    }

    /// Stop the monitor probing the credential (``paused``); its health record.
    fn pause<'py>(&self, py: Python<'py>, org: OrgText, id: IdText) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py.detach(|| self.inner.pause(org, id)).or_raise(py)?;
        serialize_to_py(py, &r)
    }

    /// Probe a paused or rejected credential again (``unknown``, due now); its health record.
    fn resume<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py.detach(|| self.inner.resume(org, id)).or_raise(py)?;
        serialize_to_py(py, &r)
    }

    // -- API tokens (for ``sipcreds serve``)

    /// Make a token of the HTTP API for ``org`` with ``role`` (``"read"`` or ``"write"``)
    /// and an optional ``name``: ``{"id", "name", "role", "org", "token", "createdAt"}``.
    /// ``token`` is shown here once; the store keeps only its SHA-256.
    #[pyo3(signature = (org, role, name = None))]
    fn create_token<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        role: RoleText,
        name: Option<NameText>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let role = sipcreds::Role::parse(&role, "role").or_raise(py)?;
        let name = name.as_deref().map(|n| n.to_owned());
        let t = py
            .detach(|| self.inner.create_token(org, role, name.as_deref()))
            .or_raise(py)?;
        serialize_to_py(py, &t.to_json())
    }

    /// The org's tokens, oldest first: ``[{"id", "org", "name", "role", "createdAt",
    /// "lastUsedAt"}]`` (never a token itself).
    fn list_tokens<'py>(&self, py: Python<'py>, org: OrgText) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let list = py.detach(|| self.inner.list_tokens(org)).or_raise(py)?;
        serialize_to_py(py, &list)
    }

    /// End a token at once (``id`` is its ``tok_...`` id, not the token): every server
    /// sharing the store refuses it from its next request. Returns what was revoked.
    fn revoke_token<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let t = py
            .detach(|| self.inner.revoke_token(org, id))
            .or_raise(py)?;
        serialize_to_py(py, &t)
    }

    // -- agents

    /// Create an agent with this name (1-64 characters).
    fn create_agent<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        name: NameText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let name: &str = &name;
        let a = py
            .detach(|| self.inner.create_agent(org, name))
            .or_raise(py)?;
        serialize_to_py(py, &a)
    }

    /// The agent ``id`` of ``org``, with its numbers.
    fn get_agent<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let a = py.detach(|| self.inner.get_agent(org, id)).or_raise(py)?;
        serialize_to_py(py, &a)
    }

    /// Give an agent an existing number (assigning it twice changes nothing).
    fn assign_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        agent_id: AgentIdText,
        number: NumberText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let agent_id: &str = &agent_id;
        let number: &str = &number;
        let a = py
            .detach(|| self.inner.assign_number(org, agent_id, number))
            .or_raise(py)?;
        serialize_to_py(py, &a)
    }

    /// Take a number from an agent.
    fn unassign_number<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        agent_id: AgentIdText,
        number: NumberText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let agent_id: &str = &agent_id;
        let number: &str = &number;
        let a = py
            .detach(|| self.inner.unassign_number(org, agent_id, number))
            .or_raise(py)?;
        serialize_to_py(py, &a)
    }

    /// Delete an agent (its numbers stay).
    fn delete_agent<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let a = py
            .detach(|| self.inner.delete_agent(org, id))
            .or_raise(py)?;
        serialize_to_py(py, &a)
    }

    /// Every item (a list), or with `limit=` / `after=` one page:
    /// `{"items": [...], "next": cursor | None}`.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn list_agents<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        json_list_or_page(
            py,
            limit,
            after,
            || self.inner.list_agents(org),
            |p| self.inner.list_agents_page(org, p),
            sipcreds::Agent::to_json,
        )
    }

    // -- providers

    /// Connect a provider and create its read-only credentials:
    /// `{"provider": {...}, "credentials": [Credential, ...]}`.
    fn connect_provider<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        kind: KindText,
        name: NameText,
        credentials: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let org: &str = &org;
        let kind: &str = &kind;
        let name: &str = &name;
        let inputs = inputs_from_py(py, credentials)?;
        let connected = py
            .detach(|| self.inner.connect_provider(org, kind, name, inputs))
            .or_raise(py)?;
        let out = PyDict::new(py);
        out.set_item(
            intern!(py, "provider"),
            serialize_to_py(py, &connected.provider)?,
        )?;
        out.set_item(
            intern!(py, "credentials"),
            credential_list(py, connected.credentials)?,
        )?;
        Ok(out)
    }

    /// Every item (a list), or with `limit=` / `after=` one page:
    /// `{"items": [...], "next": cursor | None}`.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn list_providers<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        json_list_or_page(
            py,
            limit,
            after,
            || self.inner.list_providers(org),
            |p| self.inner.list_providers_page(org, p),
            sipcreds::Provider::to_json,
        )
    }

    /// Delete a provider and its read-only credentials, unlinking their numbers.
    fn delete_provider<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py
            .detach(|| self.inner.delete_provider(org, id))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    // -- troubleshooting and rate limits

    /// The live probe (docs/probe.md) of a stored credential: resolve, connect, OPTIONS, and a REGISTER
    /// binding query answering one digest challenge. The interpreter is detached for the
    /// whole probe. A probe that fails is a report; errors are for what stops it starting
    /// (`not_found`, `invalid_option`).
    #[pyo3(signature = (org, id, options = None))]
    fn probe<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let options = probe_options(py, options)?;
        let report = py
            .detach(|| sipcreds_probe::probe_registry_blocking(&self.inner, org, id, &options))
            .or_raise(py)?;
        serialize_to_py(py, &report)
    }

    /// Start the probe of a stored credential on the probe crate's shared runtime and return
    /// at once; `callback(report)` is called from another thread when it ends (`probe_async`
    /// settles an asyncio future with it). Errors that stop it starting are raised here.
    #[pyo3(signature = (org, id, options, callback))]
    fn _probe_start<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        options: Option<&Bound<'py, PyAny>>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let org: &str = &org;
        let id: &str = &id;
        let options = probe_options(py, options)?;
        let credential = py
            .detach(|| self.inner.get_credential(org, id))
            .or_raise(py)?;
        sipcreds_probe::spawn_probe(credential, options, move |report| {
            Python::attach(|py| {
                // A callback that fails (its event loop closed) has no one to tell.
                if let Ok(v) = serialize_to_py(py, &report) {
                    let _ = callback.call1(py, (v,));
                }
            });
        })
        .or_raise(py)
    }

    /// Every credential of the org probed, `concurrency` at a time: an iterator of reports in
    /// the order they end (each `next` waits with the interpreter detached).
    #[pyo3(signature = (org, options, concurrency))]
    fn _probe_all<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        options: Option<&Bound<'py, PyAny>>,
        concurrency: usize,
    ) -> PyResult<ProbeReports> {
        let org: &str = &org;
        let options = probe_options(py, options)?;
        sipcreds_probe::check_concurrency(concurrency).or_raise(py)?;
        let credentials = py
            .detach(|| self.inner.list_credentials(org))
            .or_raise(py)?;
        let rx =
            sipcreds_probe::probe_all_channel(credentials, concurrency, options).or_raise(py)?;
        Ok(ProbeReports {
            rx: std::sync::Mutex::new(Some(rx)),
        })
    }

    /// `_probe_all`, calling `callback(report)` from another thread as each ends, then
    /// `callback(None)` (what `probe_all_async` reads through an asyncio queue).
    #[pyo3(signature = (org, options, concurrency, callback))]
    fn _probe_all_start<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        options: Option<&Bound<'py, PyAny>>,
        concurrency: usize,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let reports = self._probe_all(py, org, options, concurrency)?;
        let Some(rx) = reports.rx.lock().ok().and_then(|mut r| r.take()) else {
            return Ok(());
        };
        std::thread::Builder::new()
            .name("sipcreds-probe-all".into())
            .spawn(move || {
                for (_, report) in rx {
                    let delivered = Python::attach(|py| {
                        serialize_to_py(py, &report)
                            .and_then(|v| callback.call1(py, (v,)))
                            .is_ok()
                    });
                    if !delivered {
                        // Nobody listens: dropping the channel stops starting new probes.
                        return;
                    }
                }
                Python::attach(|py| {
                    let _ = callback.call1(py, (py.None(),));
                });
            })
            .map_err(|e| py_error(py, Error::storage(format!("cannot start a thread: {e}"))))?;
        Ok(())
    }

    /// Findings for the org's stored credentials (severity, code, field, message, fix), most
    /// severe first: what will probably fail though it is valid.
    fn lint<'py>(&self, py: Python<'py>, org: OrgText) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let f = py.detach(|| self.inner.lint(org)).or_raise(py)?;
        serialize_to_py(py, &f)
    }

    /// How many credentials the org has (nothing decrypted: one read of the rate columns).
    fn count_credentials(&self, py: Python<'_>, org: OrgText) -> PyResult<usize> {
        let org: &str = &org;
        py.detach(|| self.inner.count_credentials(org)).or_raise(py)
    }

    /// The org's rate groups: each key, its member credentials and its effective CPS limit.
    fn rate_groups<'py>(&self, py: Python<'py>, org: OrgText) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let g = py.detach(|| self.inner.rate_groups(org)).or_raise(py)?;
        serialize_to_py(py, &g)
    }

    /// Admit a call on the credential's rate group now, or say when to retry.
    fn try_acquire(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
    ) -> PyResult<PyDecision> {
        let org: &str = &org;
        let credential_id: &str = &credential_id;
        let d = py
            .detach(|| self.inner.try_acquire(org, credential_id))
            .or_raise(py)?;
        Ok(PyDecision { inner: d })
    }

    /// Book the next free slot and say how long to wait before dialing (seconds); rejected,
    /// booking nothing, when that is longer than `max_wait` seconds.
    fn reserve(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
        max_wait: f64,
    ) -> PyResult<PyDecision> {
        let org: &str = &org;
        let credential_id: &str = &credential_id;
        let max_wait = seconds(py, "max_wait", max_wait)?;
        let d = py
            .detach(|| self.inner.reserve(org, credential_id, max_wait))
            .or_raise(py)?;
        Ok(PyDecision { inner: d })
    }

    /// `reserve`, then sleep until the booked slot with the interpreter released: returns
    /// when the caller may dial (admitted), or at once when rejected.
    fn acquire(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
        max_wait: f64,
    ) -> PyResult<PyDecision> {
        let org: &str = &org;
        let credential_id: &str = &credential_id;
        let max_wait = seconds(py, "max_wait", max_wait)?;
        let d = py
            .detach(|| self.inner.acquire(org, credential_id, max_wait))
            .or_raise(py)?;
        Ok(PyDecision { inner: d })
    }
}

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
