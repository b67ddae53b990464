//! Values: JSON out as dicts, lists and scalars; JSON in from a dict (or a JSON string);
//! the arguments' text kinds and the caller's body buffers.

use super::*;

/// A JSON value as the Python object `json.loads` would give.
pub(crate) fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
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

pub(crate) fn dict_from_map<'py>(
    py: Python<'py>,
    map: &Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A core shape as Python objects (dicts in the shape's order), serialized by serde.
pub(crate) fn serialize_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v)
        .map_err(|e| py_error(py, Error::storage(format!("cannot serialize: {e}"))))
}

/// A value no JSON document can hold (bytes, sets, objects, NaN): it is "not a string,
/// not a number", so the field it sits in answers its own wrong-type error, as docs/fields.md says.
pub(crate) fn foreign() -> Value {
    Value::Array(Vec::new())
}

/// How deep containers inside a body are converted (no field of the wire format takes a
/// container, so deeper levels only need their shape, and a hostile depth costs nothing).
const MAX_DEPTH: u32 = 8;

/// A `str` as UTF-8, or `None` when it cannot be: a lone surrogate (as `os.environ` and
/// `sys.argv` give for bytes that are not UTF-8). CPython's `UnicodeEncodeError` for it would
/// carry the whole string (a password, a body) in its `args`: it is dropped here, and the
/// caller answers the field's own validation code instead.
pub(crate) fn utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<std::borrow::Cow<'a, str>> {
    s.to_cow().ok()
}

/// What a text argument is, for its error when it is not valid text.
pub(crate) trait TextKind {
    /// The docs/errors.md error for a value of this argument that cannot be encoded as UTF-8 (`None`), or
    /// that is not a `str` at all (its type's name): the argument's own code, as on Node.
    fn refused(type_name: Option<&str>) -> Error;
}

/// A text argument (an org, an id, a number, a name) read without CPython's
/// `UnicodeEncodeError`, whose `args` would carry the value: a `str` with a lone surrogate
/// answers the argument's own code (`invalid_org`, `not_found`, ...), as docs/errors.md says.
pub(crate) struct Text<K>(String, std::marker::PhantomData<K>);

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

/// The argument kinds: each a name, whose error (which code, which message) is the core's
/// [`sipcreds::argument_error`].
macro_rules! text_kinds {
    ($($alias:ident = $kind:ident => $argument:literal;)*) => {$(
        pub(crate) enum $kind {}
        impl TextKind for $kind {
            fn refused(type_name: Option<&str>) -> Error {
                sipcreds::argument_error(
                    $argument,
                    type_name.map_or(sipcreds::NotText::Undecodable(UNDECODABLE), sipcreds::NotText::Type),
                )
            }
        }
        pub(crate) type $alias = Text<$kind>;
    )*};
}

/// What is wrong with a Python string that is not valid text, and how to fix it.
const UNDECODABLE: &str = "it holds a lone surrogate (as os.environ or sys.argv give for bytes that are not UTF-8); decode the bytes as UTF-8 first";

text_kinds! {
    OrgText = OrgKind => "org";
    IdText = IdKind => "id";
    CredentialIdText = CredentialIdKind => "credentialId";
    AgentIdText = AgentIdKind => "agentId";
    NumberText = NumberKind => "number";
    NameText = NameKind => "name";
    SymptomText = SymptomKind => "symptom";
    ReasonText = ReasonKind => "reason";
    KindText = KindKind => "kind";
    RoleText = RoleKind => "role";
}

/// The message for a value that is not valid text.
pub(crate) fn not_text(what: &str) -> String {
    format!("{what} is not valid text: {UNDECODABLE}")
}

/// Dict values converted to JSON, remembering the first key whose string could not be
/// encoded (its value becomes a non-string, so the core answers that field's own code).
#[derive(Default)]
pub(crate) struct Conversion {
    pub(crate) undecodable: Option<String>,
}

pub(crate) fn value_from_py(
    obj: &Bound<'_, PyAny>,
    depth: u32,
    conv: &mut Conversion,
) -> PyResult<Value> {
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
pub(crate) enum Body {
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

pub(crate) fn body_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Result<Body, Error>> {
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

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

pub(crate) fn input_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<CredentialInput> {
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

pub(crate) fn patch_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<CredentialPatch> {
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
pub(crate) fn input_from_dict_fields(
    d: &Bound<'_, PyDict>,
) -> Option<Result<CredentialInput, Error>> {
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
pub(crate) fn inputs_from_py(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
) -> PyResult<Vec<CredentialInput>> {
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
