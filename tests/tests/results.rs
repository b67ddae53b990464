//! The result-shape vectors through the Rust core: every result and error body as the core
//! serializes it. `SIPCREDS_BLESS=1` writes the expectations (read them before committing).

use serde::Serialize;
use sipcreds::{Error, Registry};
use sipcreds_conformance::results::{Placeholders, Step, arg_text, bless, compare, load};

fn text<T: Serialize>(r: Result<T, Error>) -> String {
    match r {
        Ok(v) => serde_json::to_string(&v).expect("serialize"),
        Err(e) => e.to_json_string(),
    }
}

fn run(reg: &Registry, step: &Step, ids: &Placeholders) -> String {
    let a = |name: &str| arg_text(step, name, ids);
    let org = a("org");
    let org = org.as_str();
    match step.op.as_str() {
        "create_credential" => text(reg.create_credential_json(org, &a("body"))),
        "get_credential" => text(reg.get_credential(org, &a("id"))),
        "update_credential" => text(reg.update_credential_json(org, &a("id"), &a("body"))),
        "usage" => text(reg.usage(org, &a("id"))),
        "delete_credential" => text(reg.delete_credential(org, &a("id"), a("force") == "true")),
        "link_number" => text(reg.link_number(org, &a("number"), &a("credentialId"))),
        "unlink_number" => text(reg.unlink_number(org, &a("number"))),
        "delete_number" => text(reg.delete_number(org, &a("number"))),
        "create_agent" => text(reg.create_agent(org, &a("name"))),
        "get_agent" => text(reg.get_agent(org, &a("id"))),
        "assign_number" => text(reg.assign_number(org, &a("agentId"), &a("number"))),
        "delete_agent" => text(reg.delete_agent(org, &a("id"))),
        "connect_provider" => {
            text(reg.connect_provider_json(org, &a("kind"), &a("name"), &a("body")))
        }
        "delete_provider" => text(reg.delete_provider(org, &a("id"))),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn result_vectors_through_the_core() {
    let steps = load();
    assert!(steps.len() >= 30);
    let reg = Registry::in_memory();
    let mut ids = Placeholders::default();
    let got: Vec<String> = steps
        .iter()
        .map(|s| {
            let out = run(&reg, s, &ids);
            ids.normalize(&out)
        })
        .collect();
    if std::env::var_os("SIPCREDS_BLESS").is_some_and(|v| v == "1") {
        bless(&got);
        return;
    }
    compare("core", &steps, &got).unwrap();
}

#[test]
fn result_vectors_cover_every_error_extra_and_id_field() {
    let steps = load();
    let all: Vec<&str> = steps.iter().filter_map(|s| s.expect.as_deref()).collect();
    for needle in [
        r#""code":"conflict""#,
        r#""expectedVersion":1,"actualVersion":2"#,
        r#""code":"in_use""#,
        r#""usage":{"phoneNumbers""#,
        r#""code":"read_only""#,
        r#""code":"not_found","field":"id""#,
        r#""code":"not_found","field":"credentialId""#,
        r#""code":"not_found","field":"agentId""#,
        r#""code":"not_found","field":"number""#,
        r#""deletedCredentials":["$cred3","$cred4"]"#,
        r#""unknown_field""#,
    ] {
        assert!(
            all.iter().any(|e| e.contains(needle)),
            "no vector answers {needle}"
        );
    }
}
