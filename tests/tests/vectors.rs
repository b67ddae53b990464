//! The conformance vectors through `sipcreds::validate_credential_json`.

use sipcreds_conformance::{check, load};

#[test]
fn vectors_through_the_core() {
    let vectors = load();
    assert!(vectors.len() >= 150, "only {} vectors", vectors.len());
    let failures: Vec<String> = vectors
        .iter()
        .filter_map(|v| {
            let outcome = sipcreds::validate_credential_json(&v.body).map_err(|e| e.to_json());
            check(v, outcome.as_ref()).err()
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn every_error_code_of_the_wire_format_is_covered() {
    let vectors = load();
    let mut seen = std::collections::BTreeSet::new();
    for v in &vectors {
        if let sipcreds_conformance::Expected::Error { code, .. } = &v.expected {
            seen.insert(code.clone());
        }
    }
    for code in [
        "invalid_json",
        "too_large",
        "unknown_field",
        "missing_field",
        "invalid_name",
        "invalid_server",
        "invalid_auth_user",
        "invalid_auth_password",
        "incomplete_auth",
        "invalid_domain",
        "invalid_transport",
        "invalid_cps_limit",
        "invalid_cps_key",
    ] {
        assert!(seen.contains(code), "no vector for {code}");
    }
}
