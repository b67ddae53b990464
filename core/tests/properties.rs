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
