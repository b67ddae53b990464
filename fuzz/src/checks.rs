//! Checks shared by the fuzz targets and by the replay of committed crashers and seeds in
//! `core/tests/fuzz_regressions.rs` (which includes this file), so both check the same thing.
#![allow(dead_code)]

use sipcreds::{CredentialInput, CredentialPatch, Error, ErrorCode, PhoneNumber, ServerAddress};

/// An accepted input: its normalized form re-parses to itself (with the password put back),
/// the text and object forms agree, and neither they nor `Debug` show the password.
pub fn accepted(input: &CredentialInput) {
    let out = input.normalized_json();
    let text = input.to_normalized_json_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        out
    );
    // The output and `Debug` do not depend on the password at all: the same input with
    // another password prints the same. (A substring search for the password gave false
    // alarms: the fuzzer found the password "server", which every output holds as a key.)
    if let Some(auth) = &input.auth {
        let mut other = input.clone();
        let different = if auth.password.expose() == "another-password" {
            "yet-another-password"
        } else {
            "another-password"
        };
        other.auth.as_mut().unwrap().password = sipcreds::Password::parse(different).unwrap();
        assert_eq!(
            other.to_normalized_json_string(),
            text,
            "the output depends on the password"
        );
        assert_eq!(
            format!("{other:?}"),
            format!("{input:?}"),
            "Debug depends on the password"
        );
    }
    let mut again = out.as_object().unwrap().clone();
    for derived in ["host", "port", "hasPassword", "realm"] {
        again.remove(derived);
    }
    again.retain(|_, v| !v.is_null());
    if let Some(pw) = input.expose_password() {
        again.insert("authPassword".into(), pw.into());
    }
    let reparsed = CredentialInput::from_json(&serde_json::Value::Object(again).to_string())
        .expect("the normalized form re-parses");
    assert_eq!(
        reparsed.normalized_json(),
        out,
        "normalization is idempotent"
    );
}

/// A refusal: a known code; a field unless the body as a whole is wrong.
pub fn refused(e: &Error) {
    assert!(ErrorCode::ALL.contains(&e.code()));
    let whole_body = matches!(e.code(), ErrorCode::InvalidJson | ErrorCode::TooLarge);
    assert!(whole_body || e.field().is_some(), "no field: {e:?}");
    let _ = e.to_json();
}

/// One credential body through the parser.
pub fn credential_body(body: &str) {
    match CredentialInput::from_json(body) {
        Ok(input) => {
            // The password is unescaped by sipcreds itself (to keep it out of serde_json's
            // scratch buffer): it must read exactly as serde_json reads it.
            let value: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                input.expose_password(),
                value.get("authPassword").and_then(|p| p.as_str()),
                "the password reads differently from serde_json"
            );
            accepted(&input)
        }
        Err(e) => refused(&e),
    }
}

/// One patch body, applied to a fixed credential: a merged result obeys the create rules.
pub fn patch_body(body: &str) {
    let base = CredentialInput::from_json(
        r#"{"name":"Base","server":"sip.example.com:5061","transport":"tls","authUser":"u","authPassword":"base-secret","cpsLimit":5,"cpsKey":"k"}"#,
    )
    .unwrap();
    match CredentialPatch::from_json(body) {
        Ok(patch) => match base.apply(patch) {
            Ok(merged) => accepted(&merged),
            Err(e) => refused(&e),
        },
        Err(e) => refused(&e),
    }
}

/// One `server` string: accepted ones print a form that parses back to the same server.
pub fn server(text: &str) {
    match text.parse::<ServerAddress>() {
        Ok(s) => {
            let shown = s.to_wire_string();
            assert_eq!(shown, s.to_string());
            let again: ServerAddress = shown.parse().expect("the printed server re-parses");
            assert_eq!(again, s);
            assert!(!shown.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidServer);
            assert_eq!(e.field(), Some("server"));
        }
    }
}

/// One phone number: accepted ones are `+` and 8–15 digits, and print as they parse.
pub fn e164(text: &str) {
    match PhoneNumber::parse(text) {
        Ok(n) => {
            let shown = n.to_string();
            assert!(shown.starts_with('+'));
            let digits = &shown[1..];
            assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
            assert!(!digits.starts_with('0'));
            assert_eq!(PhoneNumber::parse(&shown).unwrap(), n);
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidPhoneNumber),
    }
}
