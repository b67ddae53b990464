//! The files generated from the core's declarations, so that no surface keeps a list of its
//! own: the C status enum, the Python and Node error classes and code tables, and the JSON
//! Schema of the wire input. `tests/tests/generated.rs` checks that the committed files are
//! what this module renders (CI fails on drift); `SIPCREDS_BLESS=1 cargo test -p
//! sipcreds-conformance --test generated` rewrites them.

use std::fmt::Write as _;

use sipcreds::{ErrorClass, ErrorCode};

/// The generated files: (path from the repository root, content).
pub fn generated_files() -> Vec<(&'static str, String)> {
    vec![
        ("bindings-ffi/src/status.rs", c_status_rs()),
        (
            "bindings-python/python/sipcreds/_errors.py",
            python_errors(),
        ),
        ("bindings-node/errors.js", node_errors_js()),
        ("bindings-node/errors.d.ts", node_errors_dts()),
        ("schema/credential-input.schema.json", schema_json()),
    ]
}

const HEADER: &str = "generated from the core's error table (core/src/error.rs) by \
    `SIPCREDS_BLESS=1 cargo test -p sipcreds-conformance --test generated`; do not edit";

/// The C-only statuses: (constant suffix, number, name, doc).
const C_ONLY: [(&str, u32, &str, &str); 2] = [
    (
        "NULL_ARGUMENT",
        1000,
        "null_argument",
        "C only: a required pointer argument was NULL (the error JSON's field names it).",
    ),
    (
        "INTERNAL",
        1001,
        "internal",
        "C only: the library failed internally (a bug: please report it); nothing was changed\n    /// that the call would not have changed.",
    ),
];

fn upper(code: ErrorCode) -> String {
    code.as_str().to_ascii_uppercase()
}

/// `bindings-ffi/src/status.rs`: `sipcreds_status`, `of(ErrorCode)` and `name()`.
pub fn c_status_rs() -> String {
    let mut s = format!("// {HEADER}.\n\n");
    s.push_str(
        "use std::ffi::CStr;\n\nuse sipcreds::ErrorCode;\n\n\
         /// The outcome of a call: `SIPCREDS_OK`, or the fixed number of an error code of the contract\n\
         /// (§8), or one of the C-only statuses from 1000 up. A number never changes meaning and is\n\
         /// never reused.\n\
         #[repr(u32)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum sipcreds_status {\n    /// Success.\n    SIPCREDS_OK = 0,\n",
    );
    for code in ErrorCode::ALL {
        let _ = writeln!(
            s,
            "    /// `{}`: {}.\n    SIPCREDS_{} = {},",
            code.as_str(),
            code.description(),
            upper(code),
            code.number()
        );
    }
    for n in ErrorCode::RETIRED_NUMBERS {
        let _ = writeln!(s, "    // {n}: retired; never reused.");
    }
    for (suffix, number, _, doc) in C_ONLY {
        let _ = writeln!(s, "    /// {doc}\n    SIPCREDS_{suffix} = {number},");
    }
    s.push_str("}\n\nimpl sipcreds_status {\n    /// The status of a core error code.\n    pub(crate) fn of(code: ErrorCode) -> sipcreds_status {\n        match code {\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(
            s,
            "            ErrorCode::{} => sipcreds_status::SIPCREDS_{},",
            code.variant_name(),
            upper(code)
        );
    }
    s.push_str("        }\n    }\n\n    /// Every status, success first.\n    pub(crate) const ALL: [sipcreds_status; ");
    let _ = write!(s, "{}", ErrorCode::COUNT + 1 + C_ONLY.len());
    s.push_str("] = [\n        sipcreds_status::SIPCREDS_OK,\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(s, "        sipcreds_status::SIPCREDS_{},", upper(code));
    }
    for (suffix, ..) in C_ONLY {
        let _ = writeln!(s, "        sipcreds_status::SIPCREDS_{suffix},");
    }
    s.push_str("    ];\n\n    /// The status's name: `ok`, the code, or the C-only name.\n    pub(crate) fn name(self) -> &'static CStr {\n        match self {\n            sipcreds_status::SIPCREDS_OK => c\"ok\",\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(
            s,
            "            sipcreds_status::SIPCREDS_{} => c\"{}\",",
            upper(code),
            code.as_str()
        );
    }
    for (suffix, _, name, _) in C_ONLY {
        let _ = writeln!(
            s,
            "            sipcreds_status::SIPCREDS_{suffix} => c\"{name}\","
        );
    }
    s.push_str("        }\n    }\n}\n");
    s
}

/// The members a class's errors carry besides code, field and message:
/// (Python attribute, Python type, Node property, TypeScript type).
fn extras(
    class: ErrorClass,
) -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
    match class {
        ErrorClass::InUse => &[("usage", "UsageDict", "usage", "Usage")],
        ErrorClass::Conflict => &[
            ("expected_version", "int", "expectedVersion", "number"),
            ("actual_version", "int", "actualVersion", "number"),
        ],
        ErrorClass::Validation
        | ErrorClass::NotFound
        | ErrorClass::ReadOnly
        | ErrorClass::Storage => &[],
    }
}

fn codes_of(class: ErrorClass) -> Vec<&'static str> {
    ErrorCode::ALL
        .iter()
        .filter(|c| c.class() == class)
        .map(|c| c.as_str())
        .collect()
}

/// Wrap `text` as comment lines of at most ~96 characters, each starting with `prefix`.
fn wrapped(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 92 - prefix.len() {
            let _ = writeln!(out, "{prefix}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix}{line}");
    }
    out
}

/// `bindings-python/python/sipcreds/_errors.py`.
pub fn python_errors() -> String {
    let mut s = format!(
        "\"\"\"The exceptions of sipcreds: one base class, one subclass per kind of failure.\n\n\
         Every exception carries the stable ``code`` of the contract (the same on every surface),\n\
         the ``field`` it is about (the wire name, or ``None``) and a ``message`` that says how to\n\
         fix it; ``to_dict()`` is the contract's error JSON (SPEC §8) exactly as every surface\n\
         writes it. No exception ever carries a password.\n\n\
         This file is {HEADER}.\n\"\"\"\n\n"
    );
    s.push_str("from __future__ import annotations\n\nimport json\nfrom typing import Any, Optional, TypeAlias\n\n");
    s.push_str("__all__ = [\n    \"Error\",\n");
    for class in ErrorClass::ALL {
        let _ = writeln!(s, "    \"{}\",", class.name());
    }
    // (No `Literal` alias of the codes: mypy's stubtest cannot check one at runtime.)
    s.push_str("    \"CLASS_OF_CODE\",\n]\n\n");
    s.push_str("#: The ``usage`` of an ``in_use`` error: ``{\"phoneNumbers\": [...], \"agents\": [...]}``.\nUsageDict: TypeAlias = dict[str, Any]\n\n");
    s.push_str(
        r#"
class Error(Exception):
    """Base class of every sipcreds error."""

    code: str
    field: Optional[str]
    message: str

    def __init__(
        self,
        message: str,
        code: str,
        field: Optional[str] = None,
        details: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        for key, value in (details or {}).items():
            setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        """The contract's error JSON (SPEC §8): ``{"error": {"code", "field", "message"}}``
        with the code's extras (``usage`` for ``in_use``, ``expectedVersion`` and
        ``actualVersion`` for ``conflict``), as the core wrote it: the same on every surface."""
        text = self.__dict__.get("_json")
        if isinstance(text, str):
            body: dict[str, Any] = json.loads(text)
            return body
        error: dict[str, Any] = {"code": self.code, "field": self.field, "message": self.message}
        usage = getattr(self, "usage", None)
        if usage is not None:
            error["usage"] = usage
        expected = getattr(self, "expected_version", None)
        if expected is not None:
            error["expectedVersion"] = expected
            error["actualVersion"] = getattr(self, "actual_version", None)
        return {"error": error}

    def __reduce__(self) -> tuple[Any, ...]:
        details = {
            k: v for k, v in self.__dict__.items() if k not in ("code", "field", "message")
        }
        return (type(self), (self.message, self.code, self.field, details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"
"#,
    );
    for class in ErrorClass::ALL {
        let bases = match class.python_builtin() {
            Some(b) => format!("Error, {b}"),
            None => "Error".to_owned(),
        };
        let doc = format!(
            "{} Codes: {}.",
            class.doc().replace('`', "``"),
            codes_of(class)
                .iter()
                .map(|c| format!("``{c}``"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = write!(
            s,
            "\n\nclass {}({bases}):\n    \"\"\"{}    \"\"\"\n",
            class.name(),
            wrapped(&doc, "    ").trim_start()
        );
        let ex = extras(class);
        if !ex.is_empty() {
            s.push('\n');
        }
        for (attr, ty, _, _) in ex {
            let _ = writeln!(s, "    {attr}: {ty}");
        }
    }
    s.push_str("\n\n#: The class of each code.\nCLASS_OF_CODE: dict[str, type[Error]] = {\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(s, "    \"{}\": {},", code.as_str(), code.class().name());
    }
    s.push_str("}\n");
    s
}

/// `bindings-node/errors.js`.
pub fn node_errors_js() -> String {
    let mut s = format!("'use strict'\n// The error classes of sipcreds, {HEADER}.\n");
    s.push_str(
        r#"
/** Base class of every sipcreds error: `.code` (stable, the same on every surface), `.field`. */
class SipcredsError extends Error {
  constructor(message, code, field = null, details = undefined, body = undefined) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.field = field
    if (details) Object.assign(this, details)
    Object.defineProperty(this, 'body', { value: body, enumerable: false })
  }

  /** The contract's error JSON (SPEC §8) with the code's extras, as the core wrote it: the
   * same on every surface. */
  toJSON() {
    if (typeof this.body === 'string') return JSON.parse(this.body)
    const error = { code: this.code, field: this.field, message: this.message }
    if (this.usage !== undefined) error.usage = this.usage
    if (this.expectedVersion !== undefined) {
      error.expectedVersion = this.expectedVersion
      error.actualVersion = this.actualVersion
    }
    return { error }
  }
}
"#,
    );
    for class in ErrorClass::ALL {
        let _ = write!(
            s,
            "\n/** {} Codes: {}. */\nclass {} extends SipcredsError {{}}\n",
            class.doc(),
            codes_of(class).join(", "),
            class.name()
        );
    }
    s.push_str("\n/** The class of each code. */\nconst CLASS_OF = Object.freeze({\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(s, "  {}: {},", code.as_str(), code.class().name());
    }
    s.push_str("})\n\n/** The extra members of each code's error body, as properties. */\nconst EXTRAS = Object.freeze({\n");
    for code in ErrorCode::ALL {
        let ex = extras(code.class());
        if !ex.is_empty() {
            let names: Vec<String> = ex.iter().map(|(_, _, n, _)| format!("'{n}'")).collect();
            let _ = writeln!(s, "  {}: [{}],", code.as_str(), names.join(", "));
        }
    }
    s.push_str("})\n\nmodule.exports = {\n  SipcredsError,\n");
    for class in ErrorClass::ALL {
        let _ = writeln!(s, "  {},", class.name());
    }
    s.push_str("  CLASS_OF,\n  EXTRAS,\n}\n");
    s
}

/// `bindings-node/errors.d.ts`.
pub fn node_errors_dts() -> String {
    let mut s = format!("// The error classes of sipcreds, {HEADER}.\n\n");
    s.push_str("import type { Usage } from './sipcreds'\n\n/** Every error code of the contract (SPEC §8). */\nexport type ErrorCode =\n");
    for code in ErrorCode::ALL {
        let _ = writeln!(s, "  | '{}'", code.as_str());
    }
    s.push_str(
        r#"
/** The contract's error JSON (SPEC §8). */
export interface ErrorBody {
  code: ErrorCode
  field: string | null
  message: string
  /** `in_use`: what uses the credential. */
  usage?: Usage
  /** `conflict`: the version the caller expected. */
  expectedVersion?: number
  /** `conflict`: the stored version. */
  actualVersion?: number
}

/** Base class of every sipcreds error. */
export declare class SipcredsError extends Error {
  /** The stable code (`invalid_server`, `not_found`, `in_use`, ...): the same on every surface. */
  readonly code: ErrorCode
  /** The wire field the error is about, or `null`. */
  readonly field: string | null
  /** The §8 error JSON, as on every surface. */
  toJSON(): { error: ErrorBody }
}
"#,
    );
    for class in ErrorClass::ALL {
        let _ = write!(
            s,
            "/** {} Codes: {}. */\nexport declare class {} extends SipcredsError {{",
            class.doc(),
            codes_of(class).join(", "),
            class.name()
        );
        let ex = extras(class);
        if ex.is_empty() {
            s.push_str("}\n");
        } else {
            s.push('\n');
            for (_, _, name, ty) in ex {
                let _ = writeln!(s, "  readonly {name}: {ty}");
            }
            s.push_str("}\n");
        }
    }
    s
}

/// `schema/credential-input.schema.json`: the core's schema, pretty-printed.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&sipcreds::input_schema()).unwrap_or_default();
    s.push('\n');
    s
}
