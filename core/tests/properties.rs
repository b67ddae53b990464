//! Property tests: normalization is a fixed point, nothing panics, passwords never leak.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use sipcreds::{CredentialInput, CredentialPatch, ErrorCode, validate_credential_json};

/// Turn a normalized output back into an input (the password is not in the output, so the
/// same one is given again).
fn reinput(out: &Value, password: Option<&str>) -> Value {
    let mut m = serde_json::Map::new();
    for k in [
        "name",
        "server",
        "authUser",
        "domain",
        "transport",
        "cpsLimit",
        "cpsKey",
    ] {
        if !out[k].is_null() {
            m.insert(k.into(), out[k].clone());
        }
    }
    if let Some(p) = password {
        m.insert("authPassword".into(), json!(p));
    }
    Value::Object(m)
}

fn known_code(c: ErrorCode) -> bool {
    ErrorCode::ALL.contains(&c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn normalized_output_reparses_to_itself((input, pw) in valid_input()) {
        let out = validate_credential_json(&input.to_string());
        prop_assert!(out.is_ok(), "valid input rejected: {} -> {:?}", input, out);
        let out = out.unwrap();
        let again = validate_credential_json(&reinput(&out, pw.as_deref()).to_string()).unwrap();
        prop_assert_eq!(&out, &again);
        // The server string alone re-parses to the same server.
        let server_only = validate_credential_json(&json!({"server": out["server"]}).to_string()).unwrap();
        prop_assert_eq!(&server_only["server"], &out["server"]);
        prop_assert_eq!(&server_only["host"], &out["host"]);
    }

    #[test]
    fn normalized_text_is_the_normalized_object((input, pw) in valid_input()) {
        let parsed = CredentialInput::from_json(&input.to_string()).unwrap();
        let text = parsed.to_normalized_json_string();
        let reread: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&reread, &parsed.normalized_json());
        // The same text, fields in the same order (maps compare without order): the `Value`
        // is built by hand, the text by the serializer.
        prop_assert_eq!(&parsed.normalized_json().to_string(), &text);
        if let Some(pw) = pw {
            prop_assert!(!text.contains(&pw));
        }
    }

    #[test]
    fn password_never_in_output_debug_or_display((input, pw) in valid_input()) {
        let body = input.to_string();
        let parsed = CredentialInput::from_json(&body).unwrap();
        let out = parsed.normalized_json().to_string();
        if let Some(pw) = pw {
            prop_assert!(!out.contains(&pw));
            let debug = format!("{:?}", parsed);
            prop_assert!(!debug.contains(&pw), "Debug shows the password");
            let auth = parsed.auth.as_ref().unwrap();
            let shown = format!("{:?} {}", auth.password, auth.password);
            prop_assert!(!shown.contains(&pw), "Password's Debug/Display show it");
            prop_assert_eq!(parsed.expose_password(), Some(pw.as_str()));
        }
    }

    #[test]
    fn password_never_in_errors((input, pw) in valid_input(), breaker in 0usize..8) {
        // Break one other field, or the password itself, and look for the password anywhere
        // in the error.
        let Some(pw) = pw else { return Ok(()) };
        let mut obj = input.as_object().unwrap().clone();
        match breaker {
            0 => { obj.insert("server".into(), json!(format!("sip:{pw}"))); }
            1 => { obj.insert("authPassword".into(), json!(format!("{pw}\n"))); }
            2 => { obj.insert("authPassword".into(), json!(pw.repeat(20))); }
            3 => { obj.remove("authUser"); }
            4 => { obj.insert("cpsLimit".into(), json!(0)); }
            5 => { obj.insert(pw.clone(), json!(1)); obj.remove(&pw); obj.insert("x".into(), json!(pw)); }
            6 => { obj.insert("transport".into(), json!("sctp")); }
            _ => { obj.insert("domain".into(), json!("a..b")); }
        }
        let body = Value::Object(obj).to_string();
        if let Err(e) = validate_credential_json(&body) {
            let shown = format!("{e} {e:?} {}", e.to_json());
            // Case 0 puts the password into the server on purpose: the server is echoed, as it
            // should be; the authPassword field itself must never be.
            if breaker != 0 {
                prop_assert!(!shown.contains(&pw), "password leaked in {}", shown);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(body in ".{0,300}") {
        if let Err(e) = validate_credential_json(&body) {
            prop_assert!(known_code(e.code()));
        }
        let _ = CredentialPatch::from_json(&body);
        let _ = sipcreds::read_input_list(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(v in any_json()) {
        let body = v.to_string();
        match validate_credential_json(&body) {
            Ok(out) => prop_assert!(out["server"].is_string()),
            Err(e) => {
                prop_assert!(known_code(e.code()));
                if !matches!(e.code(), ErrorCode::InvalidJson | ErrorCode::TooLarge) {
                    prop_assert!(e.field().is_some(), "validation error without a field: {:?}", e);
                }
            }
        }
        let _ = CredentialPatch::from_json(&body);
    }

    #[test]
    fn mutated_valid_bodies_never_panic((input, _pw) in valid_input(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = input.to_string().into_bytes();
        let i = cut.index(bytes.len());
        bytes[i] = byte;
        if let Ok(body) = String::from_utf8(bytes) {
            let _ = validate_credential_json(&body);
            let _ = CredentialPatch::from_json(&body);
        }
    }

    #[test]
    fn patch_applied_keeps_create_rules((input, _pw) in valid_input(), (patch, _) in valid_input()) {
        let cred = CredentialInput::from_json(&input.to_string()).unwrap();
        let p = CredentialPatch::from_json(&patch.to_string()).unwrap();
        if let Ok(merged) = cred.apply(p) {
            // Whatever the merge gives must itself be a valid create body.
            let mut again = reinput(&merged.normalized_json(), merged.expose_password());
            if merged.auth.is_none() { again.as_object_mut().unwrap().remove("authUser"); }
            prop_assert!(validate_credential_json(&again.to_string()).is_ok());
        }
    }
}

/// A field value of the kinds `from_fields` takes, with the edges of each field's rules.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(10_000),
            Just(10_001),
            any::<i64>()
        ]
        .prop_map(Value::from),
        prop_oneof![
            Just("sip.example.com".to_string()),
            Just("SIP.Example.COM:5061".to_string()),
            Just("[2001:db8::1]:5060".to_string()),
            Just("sip:user:pw@host".to_string()),
            Just("xn--bcher-kva.example".to_string()),
            Just("TLS".to_string()),
            Just("udp".to_string()),
            Just(String::new()),
            Just("a\u{0}b".to_string()),
            Just("x".repeat(11_000)),
            "[ -~]{0,40}",
            ".{0,20}",
        ]
        .prop_map(Value::String),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// A binding's fields without JSON text answer exactly as the same object as JSON does.
    #[test]
    fn from_fields_answers_as_from_json(
        values in prop::collection::vec((0usize..10, field_value()), 0..9),
    ) {
        const KEYS: [&str; 10] = [
            "name", "server", "authUser", "authPassword", "domain", "transport", "cpsLimit",
            "cpsKey", "expectedVersion", "color",
        ];
        let mut map = serde_json::Map::new();
        for (k, v) in &values {
            map.insert(KEYS[*k].to_string(), v.clone());
        }
        let fields: Vec<(&str, sipcreds::FieldValue<'_>)> = map
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    match v {
                        Value::Null => sipcreds::FieldValue::Null,
                        Value::Bool(b) => sipcreds::FieldValue::Bool(*b),
                        Value::Number(n) => sipcreds::FieldValue::Int(n.as_i64().unwrap()),
                        Value::String(s) => sipcreds::FieldValue::Str(s),
                        _ => unreachable!(),
                    },
                )
            })
            .collect();
        let by_json = CredentialInput::from_json(&Value::Object(map.clone()).to_string());
        match CredentialInput::from_fields(fields) {
            None => {
                // Only when the JSON path must name an unknown field or may count the size.
                let text_len = Value::Object(map.clone()).to_string().len();
                prop_assert!(
                    map.contains_key("color") || map.contains_key("expectedVersion") || text_len * 6 > 60_000,
                    "from_fields declined {map:?}"
                );
            }
            Some(Ok(input)) => prop_assert_eq!(Ok(input), by_json),
            Some(Err(e)) => {
                let j = by_json.unwrap_err();
                prop_assert_eq!(e.to_json_string(), j.to_json_string());
            }
        }
    }
}
