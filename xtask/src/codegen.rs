//! The files generated from the core's declarations, so that no surface keeps a list of its
//! own: the C status enum, the Python and Node error classes and code tables, and the JSON
//! Schema of the wire input, the typed shapes, the docs' tables and the OpenAPI document.
//! `xtask/tests/generated.rs` checks that the committed files are what this module renders (CI
//! fails on drift); `cargo xtask codegen` rewrites them.

use std::fmt::Write as _;

use sipcreds::{ErrorClass, ErrorCode};

/// Where a section of the design's contract is told for users (`docs/`): generated files
/// cite these pages, never section numbers of a file users do not have.
fn doc_page(section: u32) -> &'static str {
    match section {
        3 | 4 => "docs/fields.md",
        5 => "docs/registry.md",
        6 => "docs/rate-limits.md",
        7 => "docs/troubleshooting.md",
        8 => "docs/errors.md",
        10 => "docs/storage.md",
        12 => "docs/probe.md",
        _ => "docs/README.md",
    }
}

/// A text for users: `(SPEC §8)`, `(§3)` and `§3` become the `docs/` page that tells it; a
/// list of sections (`(SPEC §3, §5-§8)`) becomes the docs' index.
fn user_facing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('§') {
        let (before, after) = rest.split_at(at);
        let after = &after['§'.len_utf8()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let mut tail = &after[digits.len()..];
        let mut before = before.to_owned();
        let opened = before.ends_with("(SPEC ") || before.ends_with('(');
        if before.ends_with("SPEC ") {
            before.truncate(before.len() - "SPEC ".len());
        }
        let mut page = doc_page(digits.parse().unwrap_or(0));
        // A list or range of sections: the index, up to the closing parenthesis.
        if opened && (tail.starts_with(',') || tail.starts_with('-')) {
            if let Some(close) = tail.find(')') {
                tail = &tail[close..];
            }
            page = "docs/README.md";
        }
        out.push_str(&before);
        out.push_str(page);
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The generated files: (path from the repository root, content).
pub fn generated_files() -> Vec<(&'static str, String)> {
    let mut files = generated_files_raw();
    for (path, text) in &mut files {
        if path.ends_with(".py")
            || path.ends_with(".ts")
            || path.ends_with(".js")
            || path.ends_with(".md")
        {
            *text = user_facing(text);
        }
    }
    files
}

fn generated_files_raw() -> Vec<(&'static str, String)> {
    vec![
        ("bindings-ffi/src/status.rs", c_status_rs()),
        (
            "bindings-python/python/sipcreds/_errors.py",
            python_errors(),
        ),
        ("bindings-node/errors.js", node_errors_js()),
        ("bindings-node/errors.d.ts", node_errors_dts()),
        ("schema/credential-input.schema.json", schema_json()),
        ("bindings-node/shapes.d.ts", shapes_ts()),
        ("bindings-python/python/sipcreds/_shapes.py", shapes_py()),
        (
            "bindings-python/src/credential_getters.rs",
            python_credential_getters(),
        ),
        (
            "bindings-python/python/sipcreds/_native.pyi",
            python_native_pyi(),
        ),
        ("docs/errors.md", errors_md()),
        ("docs/fields.md", fields_md()),
        ("docs/troubleshooting.md", troubleshooting_md()),
        ("server/openapi.json", crate::openapi::openapi_json()),
    ]
}

const DOC_HEADER: &str = "<!-- Generated from the core by `cargo xtask codegen`; do not edit. -->";

/// A Markdown table cell: pipes escaped, on one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `docs/errors.md`: every error code with its number, class and meaning, from the table.
pub fn errors_md() -> String {
    let mut s = format!(
        "{DOC_HEADER}\n\n# Errors\n\nEvery failure has exactly one code, the same on every surface: the `code` of the\nerror JSON (`{{\"error\": {{\"code\", \"field\", \"message\"}}}}`), of a Python or Node exception,\nand the number of a C `sipcreds_status`. `field` names the wire field (or the argument) the\nerror is about; `message` says what is wrong and how to fix it, and never holds a password.\nNumbers never change meaning and are never reused.\n\n| number | code | class (Python, Node) | meaning |\n|---:|---|---|---|\n"
    );
    for info in sipcreds::list_all_errors() {
        let code = ErrorCode::ALL
            .iter()
            .find(|c| c.as_str() == info.code)
            .copied()
            .unwrap_or(ErrorCode::Storage);
        let _ = writeln!(
            s,
            "| {} | `{}` | `{}` | {} |",
            info.number,
            info.code,
            code.class().name(),
            cell(info.description)
        );
    }
    s.push_str("\n## Classes\n\n");
    for class in ErrorClass::ALL {
        let builtin = class
            .python_builtin()
            .map(|b| format!(" (in Python also a `{b}`)"))
            .unwrap_or_default();
        let _ = writeln!(s, "- `{}`{builtin}: {}", class.name(), class.doc());
    }
    s.push_str("\nIn C the status 1000 (`SIPCREDS_NULL_ARGUMENT`: a required pointer was NULL) comes on top\nof these; in C `internal` (1001) is a bug caught before it crossed into C.\n");
    s
}

/// `docs/fields.md`: the fields of a credential, their rules and error codes, from the input
/// schema the core checks against.
pub fn fields_md() -> String {
    let schema = sipcreds::input_schema();
    let mut s = format!(
        "{DOC_HEADER}\n\n# A credential's fields\n\nA credential is a JSON object (a dict in Python, an object in Node) with these fields;\n`server` is the only one required. Unknown fields are refused (`unknown_field`), `authUser`\nand `authPassword` come together (`incomplete_auth`), and a body is at most 64 KiB\n(`too_large`). An update takes the same fields, each optional; `null` clears one, and\n`expectedVersion` refuses a stale update (`conflict`). The JSON Schema of the input is\n`schema/credential-input.schema.json` (`sipcreds schema`, `schema()` on every surface); the\nlibrary is the authority and may refuse what the schema accepts.\n\n| field | type | rule | default | error code |\n|---|---|---|---|---|\n"
    );
    for (name, prop, required) in properties(&schema) {
        let ty = match &prop["type"] {
            serde_json::Value::String(t) => t.clone(),
            serde_json::Value::Array(ts) => ts
                .iter()
                .filter_map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            _ => String::new(),
        };
        let ty = if required {
            format!("{ty}, required")
        } else {
            ty
        };
        let mut rule = prop["description"].as_str().unwrap_or("").to_owned();
        match (
            prop.get("minLength").and_then(|v| v.as_u64()),
            prop.get("maxLength").and_then(|v| v.as_u64()),
        ) {
            (Some(1), Some(max)) => {
                let _ = write!(rule, " Not empty, at most {max} characters.");
            }
            (Some(1), None) => rule.push_str(" Not empty."),
            (_, Some(max)) => {
                let _ = write!(rule, " At most {max} characters.");
            }
            _ => {}
        }
        if let (Some(lo), Some(hi)) = (prop.get("minimum"), prop.get("maximum")) {
            let _ = write!(rule, " From {lo} to {hi}.");
        }
        let default = match &prop["default"] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(d) => format!("`{d}`"),
            d => format!("`{d}`"),
        };
        let code = prop["x-sipcreds-code"].as_str().unwrap_or("");
        let _ = writeln!(
            s,
            "| `{name}` | {ty} | {} | {default} | `{code}` |",
            cell(rule.trim())
        );
    }
    s.push_str("\nThe server is a host (a DNS name, an IPv4 address, or an IPv6 address in brackets) with\nan optional `:port`, never a URI: `sip:`, a user, a path or parameters are refused with the\nfix (`sip:trunk.example.com` → `trunk.example.com`). Without a port the probe looks the\nhost up as RFC 3263 says (SRV, then A/AAAA on 5060, or 5061 for TLS). The realm is `domain`\nwhen given, else the server's host.\n");
    s
}

/// `docs/troubleshooting.md`: every symptom `diagnose` knows, with its causes and fixes, from
/// the core's one table (what the probe's reports use too).
pub fn troubleshooting_md() -> String {
    let mut s = format!(
        "{DOC_HEADER}\n\n# Troubleshooting: what a symptom usually means\n\n`diagnose(symptom, reason)` (CLI `sipcreds diagnose SYMPTOM --reason TEXT`) answers the likely\ncauses of a SIP status or a transport symptom, most likely first, with the fix and the\nfields to check; a provider's reason phrase moves the causes it points at to the front. The\nlive probe (`docs/probe.md`) finds the symptom and attaches these causes to its report.\n"
    );
    for symptom in sipcreds::symptoms() {
        let Ok(d) = sipcreds::diagnose(symptom, None) else {
            continue;
        };
        let _ = write!(s, "\n## `{symptom}`\n\n{}\n\n", d.summary);
        for (i, c) in d.causes.iter().enumerate() {
            let check = if c.fields.is_empty() {
                String::new()
            } else {
                format!(" Check: {}.", c.fields.join(", "))
            };
            let _ = writeln!(
                s,
                "{}. **{}**: {} Fix: {}{check}",
                i + 1,
                c.code,
                c.cause,
                c.fix
            );
        }
    }
    s
}

const HEADER: &str = "generated from the core's error table (core/src/error/codes.rs) by \
    `cargo xtask codegen`; do not edit";

/// The C-only statuses: (constant suffix, number, name, doc).
/// (`internal`, 1001, was C-only until the HTTP API needed the same code: it is in the table
/// now, with its number.)
const C_ONLY: [(&str, u32, &str, &str); 1] = [(
    "NULL_ARGUMENT",
    1000,
    "null_argument",
    "C only: a required pointer argument was NULL (the error JSON's field names it).",
)];

fn upper(code: ErrorCode) -> String {
    code.as_str().to_ascii_uppercase()
}

/// `bindings-ffi/src/status.rs`: `sipcreds_status`, `of(ErrorCode)` and `name()`.
pub fn c_status_rs() -> String {
    let mut s = format!("// {HEADER}.\n\n");
    s.push_str(
        "use std::ffi::CStr;\n\nuse sipcreds::ErrorCode;\n\n\
         /// The outcome of a call: `SIPCREDS_OK`, or the fixed number of an error code of the contract\n\
         /// (docs/errors.md), or one of the C-only statuses from 1000 up. A number never changes meaning and is\n\
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
        ErrorClass::RateLimited => &[("retry_after_ms", "int", "retryAfterMs", "number")],
        ErrorClass::Validation
        | ErrorClass::NotFound
        | ErrorClass::ReadOnly
        | ErrorClass::Storage
        | ErrorClass::Access
        | ErrorClass::Internal => &[],
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

/// `bindings-python/python/sipcreds/_errors.py`: its generated regions (the names of
/// `__all__`; the subclasses and the class of each code), the base class written there.
pub fn python_errors() -> String {
    let mut names = String::from("    \"Error\",\n");
    for class in ErrorClass::ALL {
        let _ = writeln!(names, "    \"{}\",", class.name());
    }
    let mut s = String::new();
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
    splice(
        "bindings-python/python/sipcreds/_errors.py",
        "#",
        &[("names", names), ("classes", s)],
    )
}

/// `bindings-node/errors.js`: its generated region (the subclasses, the class of each code,
/// the extras, the exports), the base class written there.
pub fn node_errors_js() -> String {
    let mut s = String::new();
    for class in ErrorClass::ALL {
        let _ = write!(
            s,
            "\n/** {} Codes: {}. */\nclass {} extends SipcredsError {{}}\n",
            class.doc(),
            codes_of(class).join(", "),
            class.name()
        );
    }
    // Each class's `name` on its prototype (as `Error.prototype.name` is), not set on every
    // instance: a stack header still reads `ValidationError: ...`, and making an error costs
    // one property less.
    s.push_str("\nfor (const C of [SipcredsError");
    for class in ErrorClass::ALL {
        let _ = write!(s, ", {}", class.name());
    }
    s.push_str("]) {\n  Object.defineProperty(C.prototype, 'name', { value: C.name, writable: true, configurable: true })\n}\n");
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
    splice("bindings-node/errors.js", "//", &[("classes", s)])
}

/// `bindings-node/errors.d.ts`: its generated regions (the codes; the subclasses), the base
/// class written there.
pub fn node_errors_dts() -> String {
    let mut codes = String::new();
    for code in ErrorCode::ALL {
        let _ = writeln!(codes, "  | '{}'", code.as_str());
    }
    let mut s = String::new();
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
    splice(
        "bindings-node/errors.d.ts",
        "//",
        &[("codes", codes), ("classes", s)],
    )
}

/// The file at `path` (from the repository's root) with each region `name` (the lines
/// between `{comment} generated: {name} (xtask/src/codegen.rs)` and `{comment} end of
/// generated: {name}`) replaced by its content; what stands outside the regions is written
/// in the file itself. A region whose markers are missing is said at the end (a drift).
fn splice(path: &str, comment: &str, regions: &[(&str, String)]) -> String {
    let mut out = std::fs::read_to_string(crate::root().join(path)).unwrap_or_default();
    for (name, content) in regions {
        let begin = format!("{comment} generated: {name} (xtask/src/codegen.rs)\n");
        let end = format!("{comment} end of generated: {name}\n");
        let start = out.find(&begin).map(|b| b + begin.len());
        let stop = out
            .find(&end)
            .map(|e| out[..e].rfind('\n').map_or(0, |n| n + 1));
        match (start, stop) {
            (Some(start), Some(stop)) if start <= stop => {
                out.replace_range(start..stop, content);
            }
            _ => {
                let _ = writeln!(
                    out,
                    "\n{comment} the markers of the region {name} are missing"
                );
            }
        }
    }
    out
}

/// `schema/credential-input.schema.json`: the core's schema, pretty-printed.
pub fn schema_json() -> String {
    let mut s = serde_json::to_string_pretty(&sipcreds::input_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// The output shapes the surfaces type: (the core's schema name, the TypeScript name, the
/// Python `TypedDict` name where Python answers a plain dict of that shape).
const SHAPES: [(&str, &str, Option<&str>); 24] = [
    (
        "NormalizedFields",
        "NormalizedCredential",
        Some("NormalizedCredential"),
    ),
    ("Credential", "CredentialData", Some("CredentialDict")),
    ("NumberRecord", "PhoneNumber", Some("NumberDict")),
    ("Agent", "Agent", Some("AgentDict")),
    ("Provider", "Provider", Some("ProviderDict")),
    ("ConnectedProvider", "ConnectedProviderData", None),
    ("AgentUsage", "AgentUsage", Some("AgentUsage")),
    ("UsageReport", "Usage", Some("Usage")),
    ("DeleteReport", "DeleteReport", Some("DeleteReport")),
    (
        "ProviderDeleteReport",
        "ProviderDeleteReport",
        Some("ProviderDeleteReport"),
    ),
    ("Severity", "Severity", None),
    ("Finding", "Finding", Some("Finding")),
    ("Cause", "Cause", Some("Cause")),
    ("Diagnosis", "Diagnosis", Some("Diagnosis")),
    ("RateGroup", "RateGroup", Some("RateGroupDict")),
    ("ErrorInfo", "ErrorCodeInfo", Some("ErrorCodeInfo")),
    ("ErrorBody", "ErrorBodyData", Some("ErrorBody")),
    // Python answers a `Decision` object of its own (admitted, wait, retry_after).
    ("Decision", "Decision", None),
    ("Role", "TokenRole", None),
    ("TokenInfo", "TokenInfo", Some("TokenDict")),
    ("NewTokenView", "NewToken", Some("NewTokenDict")),
    ("HealthState", "HealthState", None),
    ("HealthRecord", "HealthRecord", Some("HealthDict")),
    ("HealthEvent", "HealthEvent", Some("HealthEventDict")),
];

fn definitions() -> std::collections::BTreeMap<String, serde_json::Value> {
    sipcreds::output_schemas().into_iter().collect()
}

/// The first sentence-ish line of a rustdoc description, with rustdoc links unwrapped.
fn doc_line(schema: &serde_json::Value) -> Option<String> {
    let d = schema.get("description")?.as_str()?;
    let first = d.split("\n\n").next()?.replace('\n', " ");
    Some(first.replace("[`", "`").replace("`]", "`"))
}

fn ref_name(schema: &serde_json::Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

enum Lang {
    Ts,
    Py,
}

fn type_of(schema: &serde_json::Value, lang: &Lang) -> String {
    use serde_json::Value;
    let name_of = |def: &str| -> String {
        let found = SHAPES.iter().find(|(d, ..)| *d == def);
        match (lang, found) {
            (Lang::Ts, Some((_, ts, _))) => (*ts).to_owned(),
            (Lang::Py, Some((_, _, Some(py)))) => (*py).to_owned(),
            (Lang::Py, Some((d, _, None))) if *d == "Severity" => {
                "Literal[\"error\", \"warning\", \"info\"]".to_owned()
            }
            (Lang::Py, Some((d, _, None))) if *d == "Role" => {
                "Literal[\"read\", \"write\"]".to_owned()
            }
            (Lang::Py, Some((d, _, None))) if *d == "HealthState" => format!(
                "Literal[{}]",
                sipcreds::HealthState::ALL
                    .map(|h| format!("\"{h}\""))
                    .join(", ")
            ),
            _ => panic!("the shape {def} has no name on this surface"),
        }
    };
    let nullable = |inner: String| match lang {
        Lang::Ts => format!("{inner} | null"),
        Lang::Py => format!("Optional[{inner}]"),
    };
    if let Some(def) = ref_name(schema) {
        return name_of(def);
    }
    if let Some(Value::Array(any)) = schema.get("anyOf") {
        let (nulls, others): (Vec<_>, Vec<_>) = any.iter().partition(|s| s["type"] == "null");
        let inner = others
            .iter()
            .map(|s| type_of(s, lang))
            .collect::<Vec<_>>()
            .join(" | ");
        return if nulls.is_empty() {
            inner
        } else {
            nullable(inner)
        };
    }
    if let Some(c) = schema.get("const")
        && let Some(b) = c.as_bool()
    {
        return match lang {
            Lang::Ts => b.to_string(),
            Lang::Py => format!("Literal[{}]", if b { "True" } else { "False" }),
        };
    }
    if let Some(Value::Array(one)) = schema.get("oneOf") {
        let consts: Vec<String> = one
            .iter()
            .filter_map(|s| s.get("const").and_then(Value::as_str))
            .map(|c| match lang {
                Lang::Ts => format!("'{c}'"),
                Lang::Py => format!("\"{c}\""),
            })
            .collect();
        return match lang {
            Lang::Ts => consts.join(" | "),
            Lang::Py => format!("Literal[{}]", consts.join(", ")),
        };
    }
    let (ty, null) = match &schema["type"] {
        Value::String(t) => (t.as_str(), false),
        Value::Array(ts) => (
            ts.iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            ts.iter().any(|t| t == "null"),
        ),
        other => panic!("a shape without a type: {other}"),
    };
    let base = match (ty, lang) {
        ("string", _) if schema.get("enum").is_some() => {
            let values: Vec<String> = schema["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|v| match lang {
                    Lang::Ts => format!("'{v}'"),
                    Lang::Py => format!("\"{v}\""),
                })
                .collect();
            match lang {
                Lang::Ts => values.join(" | "),
                Lang::Py => format!("Literal[{}]", values.join(", ")),
            }
        }
        ("string", Lang::Ts) => "string".into(),
        ("string", Lang::Py) => "str".into(),
        ("integer", Lang::Ts) => "number".into(),
        ("integer", Lang::Py) => "int".into(),
        ("boolean", Lang::Ts) => "boolean".into(),
        ("boolean", Lang::Py) => "bool".into(),
        ("array", Lang::Ts) => {
            let item = type_of(&schema["items"], lang);
            if item.contains(' ') {
                format!("Array<{item}>")
            } else {
                format!("{item}[]")
            }
        }
        ("array", Lang::Py) => format!("list[{}]", type_of(&schema["items"], lang)),
        ("object", Lang::Ts) if schema.get("properties").is_some() => {
            let fields: Vec<String> = properties(schema)
                .into_iter()
                .map(|(name, prop, required)| {
                    let opt = if required { "" } else { "?" };
                    format!("{name}{opt}: {}", type_of(&prop, lang))
                })
                .collect();
            format!("{{ {} }}", fields.join("; "))
        }
        (other, _) => panic!("no rendering of the JSON type {other}"),
    };
    if null { nullable(base) } else { base }
}

/// The properties of an object shape: (name, schema, required), in the shape's order.
fn properties(schema: &serde_json::Value) -> Vec<(String, serde_json::Value, bool)> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone(), required.contains(&k.as_str())))
        .collect()
}

/// `bindings-node/shapes.d.ts`: an interface per output shape.
pub fn shapes_ts() -> String {
    let defs = definitions();
    let mut s = format!(
        "// The output shapes of sipcreds (SPEC §3, §5-§8), {}.\n",
        HEADER.replace(
            "error table (core/src/error/codes.rs)",
            "serde types (core, `sipcreds::output_schemas`)"
        )
    );
    for (def, ts, _) in SHAPES {
        let schema = &defs[def];
        s.push('\n');
        if let Some(doc) = doc_line(schema) {
            let _ = writeln!(s, "/** {doc} */");
        }
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            let _ = writeln!(s, "export type {ts} = {}", type_of(schema, &Lang::Ts));
            continue;
        }
        let _ = writeln!(s, "export interface {ts} {{");
        for (name, prop, required) in properties(schema) {
            if let Some(doc) = doc_line(&prop) {
                let _ = writeln!(s, "  /** {doc} */");
            }
            let opt = if required { "" } else { "?" };
            let _ = writeln!(s, "  {name}{opt}: {}", type_of(&prop, &Lang::Ts));
        }
        s.push_str("}\n");
    }
    s.push_str(&input_types_ts());
    s
}

/// `bindings-python/python/sipcreds/_shapes.py`: a `TypedDict` per output shape that Python
/// answers as a plain dict.
pub fn shapes_py() -> String {
    let defs = definitions();
    let mut s = format!(
        "\"\"\"The output shapes of sipcreds as ``TypedDict``s (SPEC §3, §5-§8).\n\nThis file is {}.\n\"\"\"\n\n",
        HEADER.replace(
            "error table (core/src/error/codes.rs)",
            "serde types (core, `sipcreds::output_schemas`)"
        )
    );
    s.push_str("from __future__ import annotations\n\nfrom typing import Literal, Optional, TypedDict\n\n__all__ = [\n");
    for (_, _, py) in SHAPES {
        if let Some(py) = py {
            let _ = writeln!(s, "    \"{py}\",");
        }
    }
    for (name, ..) in input_types() {
        let _ = writeln!(s, "    \"{name}\",");
    }
    s.push_str("]\n");
    for (def, _, py) in SHAPES {
        let Some(py) = py else { continue };
        let schema = &defs[def];
        let props = properties(schema);
        let doc = doc_line(schema).unwrap_or_default().replace('`', "``");
        let (required, optional): (Vec<_>, Vec<_>) = props.iter().partition(|(.., r)| *r);
        let field = |(name, prop, _): &&(String, serde_json::Value, bool)| {
            format!("    {name}: {}\n", type_of(prop, &Lang::Py))
        };
        let keyword = |n: &str| ["from", "class", "def", "import", "in", "is", "not"].contains(&n);
        if optional.is_empty() && required.iter().any(|(n, ..)| keyword(n)) {
            // A key that is a Python keyword (`from`): the functional form, the doc a comment.
            let _ = write!(s, "\n\n# {doc}\n{py} = TypedDict(\n    \"{py}\",\n    {{\n");
            for (name, prop, _) in &required {
                let _ = writeln!(s, "        \"{name}\": {},", type_of(prop, &Lang::Py));
            }
            s.push_str("    },\n)\n");
        } else if optional.is_empty() {
            let _ = write!(s, "\n\nclass {py}(TypedDict):\n    \"\"\"{doc}\"\"\"\n\n");
            for p in &required {
                s.push_str(&field(p));
            }
        } else {
            let _ = write!(s, "\n\nclass _{py}Required(TypedDict):\n");
            for p in &required {
                s.push_str(&field(p));
            }
            let _ = write!(
                s,
                "\n\nclass {py}(_{py}Required, total=False):\n    \"\"\"{doc}\"\"\"\n\n"
            );
            for p in &optional {
                s.push_str(&field(p));
            }
        }
    }
    s.push_str(&input_types_py());
    s
}

/// The transport as a type: the lower- and upper-case spellings (the core accepts any case;
/// the schema says so by a pattern, which no type can).
const TRANSPORT_PY: &str = "Literal[\"udp\", \"tcp\", \"tls\", \"UDP\", \"TCP\", \"TLS\"]";
const TRANSPORT_TS: &str = "'udp' | 'tcp' | 'tls' | 'UDP' | 'TCP' | 'TLS'";

/// An input type: its name, its doc, and its fields (name, schema, required).
type InputType = (
    &'static str,
    &'static str,
    Vec<(String, serde_json::Value, bool)>,
);

/// The input types, from the input's JSON Schema (`sipcreds::input_schema`): `CredentialInput`
/// (what create takes: `server` required, `expectedVersion` not) and `CredentialPatch` (what
/// update takes: every field optional, `null` clears, `expectedVersion`). Each entry: (type
/// name, [(field, schema, required)]).
fn input_types() -> Vec<InputType> {
    let schema = sipcreds::input_schema();
    let props = properties(&schema);
    let create: Vec<_> = props
        .iter()
        .filter(|(n, ..)| n != "expectedVersion")
        .cloned()
        .collect();
    let patch: Vec<_> = props
        .iter()
        .map(|(n, p, _)| (n.clone(), p.clone(), false))
        .collect();
    vec![
        (
            "CredentialInput",
            "A credential as create takes it (§3): `server` required, the other fields optional; unknown keys are refused.",
            create,
        ),
        (
            "CredentialPatch",
            "The fields update changes (§3): each optional, `null` clears it; `expectedVersion` refuses a stale update.",
            patch,
        ),
    ]
}

fn input_field_type(name: &str, prop: &serde_json::Value, lang: &Lang) -> String {
    match (name, lang) {
        ("transport", Lang::Py) => TRANSPORT_PY.to_owned(),
        ("transport", Lang::Ts) => TRANSPORT_TS.to_owned(),
        _ => type_of(prop, lang),
    }
}

fn input_types_py() -> String {
    let mut s = String::new();
    for (name, doc, fields) in input_types() {
        let doc = doc.replace('`', "``");
        let (required, optional): (Vec<_>, Vec<_>) = fields.iter().partition(|(.., r)| *r);
        let field = |(n, p, _): &&(String, serde_json::Value, bool)| {
            format!("    {n}: {}\n", input_field_type(n, p, &Lang::Py))
        };
        if required.is_empty() {
            let _ = write!(
                s,
                "\n\nclass {name}(TypedDict, total=False):\n    \"\"\"{doc}\"\"\"\n\n"
            );
        } else {
            let _ = write!(s, "\n\nclass _{name}Required(TypedDict):\n");
            for p in &required {
                s.push_str(&field(p));
            }
            let _ = write!(
                s,
                "\n\nclass {name}(_{name}Required, total=False):\n    \"\"\"{doc}\"\"\"\n\n"
            );
        }
        for p in &optional {
            s.push_str(&field(p));
        }
    }
    s
}

fn input_types_ts() -> String {
    let mut s = String::new();
    for (name, doc, fields) in input_types() {
        let _ = writeln!(s, "\n/** {doc} */\nexport interface {name} {{");
        for (n, p, required) in fields {
            if let Some(d) = doc_line(&p) {
                let _ = writeln!(s, "  /** {d} */");
            }
            let opt = if required { "" } else { "?" };
            let _ = writeln!(s, "  {n}{opt}: {}", input_field_type(&n, &p, &Lang::Ts));
        }
        s.push_str("}\n");
    }
    s
}

/// A wire name in snake_case (`authUser` → `auth_user`): Python's attribute names.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a shape's property is a time (RFC 3339 text on the wire).
fn is_time(prop: &serde_json::Value) -> bool {
    prop.get("format").and_then(|f| f.as_str()) == Some("date-time")
}

/// The fields of the stored credential's view (the core's `Credential` shape), in its order.
fn credential_fields() -> Vec<(String, serde_json::Value, bool)> {
    properties(&definitions()["Credential"])
}

/// `bindings-python/src/credential_getters.rs`: the `#[pymethods]` of the Python `Credential`,
/// one getter per field of the core's credential view, then the methods `lib.rs` writes.
pub fn python_credential_getters() -> String {
    let mut s = format!(
        "// The attributes of the Python `Credential`, {}.\n\n",
        HEADER.replace(
            "error table (core/src/error/codes.rs)",
            "credential view (core, the `Credential` shape of `sipcreds::output_schemas`)"
        )
    );
    s.push_str(
        "/// `#[pymethods] impl PyCredential`: a getter per field of the core's credential view (its\n\
         /// wire name in snake_case, read from the view's JSON), then the methods given.\n\
         macro_rules! credential_pymethods {\n    ($($methods:tt)*) => {\n        #[pymethods]\n        impl PyCredential {\n",
    );
    for (name, prop, _) in credential_fields() {
        if let Some(doc) = doc_line(&prop) {
            let _ = writeln!(s, "            /// {doc}");
        }
        // A time is a timezone-aware `datetime` (UTC) as an attribute; the dict keeps the text.
        let read = if is_time(&prop) {
            "time_field"
        } else {
            "field"
        };
        let _ = write!(
            s,
            "            #[getter]\n            fn {}<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {{\n                self.{read}(py, \"{name}\")\n            }}\n\n",
            snake(&name)
        );
    }
    s.push_str("            $($methods)*\n        }\n    };\n}\n");
    s
}

/// `bindings-python/python/sipcreds/_native.pyi` with its region `credential properties` (the
/// properties of `Credential`) rendered from the core's credential view; the rest of the stub
/// is written by hand and checked against the built module by stubtest.
pub fn python_native_pyi() -> String {
    let mut s = String::new();
    for (name, prop, _) in credential_fields() {
        let ty = if is_time(&prop) {
            "datetime".to_owned()
        } else {
            type_of(&prop, &Lang::Py)
        };
        let _ = writeln!(
            s,
            "    @property\n    def {}(self) -> {ty}: ...",
            snake(&name)
        );
    }
    splice(
        "bindings-python/python/sipcreds/_native.pyi",
        "#",
        &[("credential properties", s)],
    )
}
