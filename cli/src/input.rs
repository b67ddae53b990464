//! A credential's JSON from what the user gives: flags, the no-echo password prompt,
//! `--password-stdin`, the interactive create, standard input or a file.

use crate::*;

/// The password of a create or update from flags: the first line of standard input with
/// --password-stdin, else asked for without echo when standard input is a terminal.
pub(crate) fn password(fields: &FieldArgs) -> Result<Option<zeroize::Zeroizing<String>>, Error> {
    use std::io::IsTerminal;
    if fields.password_stdin {
        let mut line = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
        let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        return Ok(Some(trimmed));
    }
    if fields.auth_user.is_some() && std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("authPassword (not shown): ")
            .map_err(|e| Error::storage(format!("cannot read the password: {e}")))?;
        return Ok(Some(zeroize::Zeroizing::new(p)));
    }
    Ok(None)
}

/// `credentials create` on a terminal with neither flags nor piped JSON: each field asked for
/// with its rule and default (from the input's JSON Schema, the one the core checks against),
/// the password without echo; then the whole credential checked, and a field the core refuses
/// asked for again with the error's fix, until it validates.
pub(crate) fn interactive_input() -> Result<zeroize::Zeroizing<String>, Error> {
    const ORDER: [&str; 8] = [
        "server",
        "transport",
        "name",
        "authUser",
        "authPassword",
        "domain",
        "cpsLimit",
        "cpsKey",
    ];
    let schema = sipcreds::input_schema();
    let mut values = serde_json::Map::new();
    let ask = |field: &str, values: &mut serde_json::Map<String, Value>| -> Result<(), Error> {
        let prop = &schema["properties"][field];
        // The rule: the schema's description up to its first ";" (what follows is about
        // updates), with the range of a number.
        let description = prop["description"].as_str().unwrap_or("");
        let mut rule = description
            .split(';')
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_owned();
        if let (Some(lo), Some(hi)) = (prop["minimum"].as_u64(), prop["maximum"].as_u64()) {
            rule.push_str(&format!(", {lo}-{hi}; empty: none"));
        }
        match field {
            "server" => rule.push_str("; required"),
            "authPassword" => rule.push_str(", not shown as you type"),
            _ => {}
        }
        let default = match &prop["default"] {
            Value::Null => String::new(),
            Value::String(d) => format!(" [{d}]"),
            d => format!(" [{d}]"),
        };
        let prompt = format!("{field}{default} ({rule}): ");
        let answer = if field == "authPassword" {
            zeroize::Zeroizing::new(
                rpassword::prompt_password(&prompt)
                    .map_err(|e| Error::storage(format!("cannot read the password: {e}")))?,
            )
        } else {
            eprint!("{prompt}");
            let mut line = zeroize::Zeroizing::new(String::new());
            let n = std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
            if n == 0 {
                return Err(Error::Invalid {
                    code: ErrorCode::InvalidOption,
                    field: Some(field.to_owned().into()),
                    message: "standard input ended before the credential was complete; nothing was created".into(),
                });
            }
            zeroize::Zeroizing::new(line.trim().to_owned())
        };
        if answer.is_empty() {
            values.remove(field);
        } else if field == "cpsLimit" {
            let v = answer
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(answer.to_string()));
            values.insert(field.to_owned(), v);
        } else {
            values.insert(field.to_owned(), Value::String(answer.to_string()));
        }
        Ok(())
    };
    eprintln!(
        "A new credential, field by field (an empty answer keeps the default or leaves the field out):"
    );
    for field in ORDER {
        if field == "authPassword" && !values.contains_key("authUser") {
            continue;
        }
        ask(field, &mut values)?;
    }
    for _ in 0..20 {
        let text = zeroize::Zeroizing::new(
            serde_json::to_string(&Value::Object(values.clone())).unwrap_or_default(),
        );
        match sipcreds::CredentialInput::from_json(&text) {
            Ok(_) => return Ok(text),
            Err(e) => {
                let field = e
                    .field()
                    .filter(|f| ORDER.contains(f))
                    .unwrap_or("server")
                    .to_owned();
                eprintln!("  {}: {}", e.code(), e);
                ask(&field, &mut values)?;
                // A user given without a password (or the reverse): ask for the other too.
                if e.code() == ErrorCode::IncompleteAuth {
                    let other = if field == "authUser" {
                        "authPassword"
                    } else {
                        "authUser"
                    };
                    ask(other, &mut values)?;
                }
            }
        }
    }
    Err(Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: None,
        message: "too many invalid answers; nothing was created".into(),
    })
}

/// The §3 JSON object of the flags (and the cleared fields, as null).
pub(crate) fn fields_json(
    fields: &FieldArgs,
    clear: &ClearArgs,
) -> Result<zeroize::Zeroizing<String>, Error> {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::String(v.clone()));
        }
    };
    put("name", &fields.name);
    put("server", &fields.server);
    put("transport", &fields.transport);
    put("authUser", &fields.auth_user);
    put("domain", &fields.domain);
    put("cpsKey", &fields.cps_key);
    if let Some(n) = &fields.cps_limit {
        // A number when it is one; otherwise the text, for the core to refuse with its fix.
        let v = n
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(n.clone()));
        m.insert("cpsLimit".into(), v);
    }
    for (on, keys) in [
        (clear.clear_name, &["name"][..]),
        (clear.clear_auth, &["authUser", "authPassword"][..]),
        (clear.clear_domain, &["domain"][..]),
        (clear.clear_cps_limit, &["cpsLimit"][..]),
        (clear.clear_cps_key, &["cpsKey"][..]),
    ] {
        if on {
            for k in keys {
                m.insert((*k).to_owned(), Value::Null);
            }
        }
    }
    if let Some(p) = password(fields)? {
        m.insert("authPassword".into(), Value::String(p.to_string()));
    }
    Ok(zeroize::Zeroizing::new(
        serde_json::to_string(&Value::Object(m)).unwrap_or_default(),
    ))
}

/// Read standard input whole, bounded a little above `limit` so a huge stream is not
/// buffered only to be refused.
pub(crate) fn read_stdin(limit: Option<usize>) -> Result<String, Error> {
    let mut buf = Vec::new();
    let stdin = std::io::stdin().lock();
    let read = match limit {
        Some(max) => stdin.take(max as u64 + 1).read_to_end(&mut buf),
        None => {
            let mut s = stdin;
            s.read_to_end(&mut buf)
        }
    };
    read.map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
    String::from_utf8(buf).map_err(|_| Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: "standard input is not UTF-8 text".into(),
    })
}

pub(crate) fn read_file_or_stdin(file: &Path) -> Result<String, Error> {
    if file.as_os_str() == "-" {
        return read_stdin(None);
    }
    std::fs::read_to_string(file).map_err(|e| Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: Some("file".into()),
        message: format!("cannot read {}: {e}", file.display()),
    })
}

/// The patch that sets every field an input gives (its password included).
pub(crate) fn patch_of(input: &sipcreds::CredentialInput) -> zeroize::Zeroizing<String> {
    let normalized = input.normalized_json();
    let mut m = serde_json::Map::new();
    for k in sipcreds::CREATE_FIELDS {
        if let Some(v) = normalized.get(k).filter(|v| !v.is_null()) {
            m.insert(k.to_owned(), v.clone());
        }
    }
    if let Some(p) = input.expose_password() {
        m.insert("authPassword".into(), Value::String(p.to_owned()));
    }
    zeroize::Zeroizing::new(serde_json::to_string(&Value::Object(m)).unwrap_or_default())
}
