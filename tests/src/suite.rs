//! The registry conformance suite: every backend runs the same checks of §2, §5 and §10
//! through [`crate::registry_conformance!`].

use serde_json::Value;
use sipcreds::{CredentialInput, ErrorCode, Registry};

/// A snapshot of everything an org holds, to check that a failed operation changed nothing.
pub fn snapshot(reg: &Registry, org: &str) -> Value {
    serde_json::json!({
        "credentials": reg.list_credentials(org).unwrap().iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        "passwords": reg.list_credentials(org).unwrap().iter().map(|c| c.expose_password().map(str::to_owned)).collect::<Vec<_>>(),
        "numbers": reg.list_numbers(org).unwrap().iter().map(|n| n.to_json()).collect::<Vec<_>>(),
        "agents": reg.list_agents(org).unwrap().iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        "providers": reg.list_providers(org).unwrap().iter().map(|p| p.to_json()).collect::<Vec<_>>(),
    })
}

/// Assert that `op` fails with `code` (and `field`, when given) and changes nothing in `orgs`.
pub fn fails_cleanly<T: std::fmt::Debug>(
    reg: &Registry,
    orgs: &[&str],
    code: ErrorCode,
    field: Option<&str>,
    op: impl FnOnce() -> sipcreds::Result<T>,
) -> sipcreds::Error {
    let before: Vec<Value> = orgs.iter().map(|o| snapshot(reg, o)).collect();
    let err = op().expect_err("the operation should fail");
    assert_eq!(err.code(), code, "unexpected error: {err:?}");
    if let Some(f) = field {
        assert_eq!(err.field(), Some(f), "unexpected field: {err:?}");
    }
    let after: Vec<Value> = orgs.iter().map(|o| snapshot(reg, o)).collect();
    assert_eq!(before, after, "a failed {code} changed the store");
    err
}

fn input(json: &str) -> CredentialInput {
    CredentialInput::from_json(json).unwrap()
}

const TRUNK: &str = r#"{"name":"Main","server":"SIP.example.com:5061","transport":"tls","authUser":"acme","authPassword":"pw-1","cpsLimit":10,"cpsKey":"shared"}"#;

/// create, get, list in creation order, the §3 output shape.
pub fn create_get_list(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    let b = reg
        .create_credential_json("acme", r#"{"server":"b.example.com"}"#)
        .unwrap();
    let c = reg
        .create_credential("acme", input(r#"{"server":"c.example.com"}"#))
        .unwrap();
    assert_eq!(a.version, 1);
    let json = a.to_json();
    // The output fields of SPEC §3, as the spec lists them.
    let fields = "id org name server host port transport authUser hasPassword domain realm \
        cpsLimit cpsKey source providerId readOnly version createdAt updatedAt";
    for k in fields.split_whitespace() {
        assert!(json.get(k).is_some(), "output lacks {k}: {json}");
    }
    assert_eq!(json["source"], "manual");
    assert_eq!(json["readOnly"], false);
    assert_eq!(json["providerId"], Value::Null);
    assert_eq!(json["server"], "sip.example.com:5061");
    assert_eq!(json["org"], "acme");
    assert!(json["id"].as_str().unwrap().starts_with("cred_"));
    assert!(json["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(json.get("authPassword").is_none());
    assert!(!json.to_string().contains("pw-1"));

    let got = reg.get_credential("acme", a.id.as_str()).unwrap();
    assert_eq!(got, a);
    assert_eq!(got.expose_password(), Some("pw-1"));
    let ids: Vec<_> = reg
        .list_credentials("acme")
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec![a.id, b.id, c.id]);
    assert!(reg.list_credentials("empty-org").unwrap().is_empty());
}

/// Bad org ids, malformed ids, bad bodies.
pub fn bad_arguments(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidOrg, Some("org"), || {
        reg.create_credential_json("bad org", TRUNK)
    });
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidOrg, Some("org"), || {
        reg.list_credentials("../etc")
    });
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidOrg, Some("org"), || {
        reg.get_credential("x'; DROP TABLE credentials; --", a.id.as_str())
    });
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("id"), || {
        reg.get_credential("acme", "cred_nope")
    });
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("id"), || {
        reg.get_credential("acme", "cred_01JD0000000000000000000000")
    });
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::InvalidServer,
        Some("server"),
        || reg.create_credential_json("acme", r#"{"server":"sip:x.example.com"}"#),
    );
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidJson, None, || {
        reg.create_credential_json("acme", "[]")
    });
    assert_eq!(reg.list_credentials("acme").unwrap().len(), 1);
}

/// Another org's ids answer exactly as ids that never existed.
pub fn org_isolation(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    reg.link_number("acme", "+14155550100", a.id.as_str())
        .unwrap();
    let agent = reg.create_agent("acme", "Ada").unwrap();
    reg.assign_number("acme", agent.id.as_str(), "+14155550100")
        .unwrap();
    let prov = reg
        .connect_provider(
            "acme",
            "twilio",
            "Twilio",
            vec![input(r#"{"server":"p.example.com"}"#)],
        )
        .unwrap();
    let id = a.id.as_str();
    let orgs = ["acme", "globex"];

    let never = "cred_01JD0000000000000000000000";
    for probe in [id, never] {
        let e1 = fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
            reg.get_credential("globex", probe)
        });
        assert!(
            !e1.to_string().contains("acme"),
            "the message names the other org: {e1}"
        );
        fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
            reg.usage("globex", probe)
        });
        fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
            reg.delete_credential("globex", probe, true)
        });
        fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
            reg.update_credential_json("globex", probe, r#"{"name":"stolen"}"#)
        });
        fails_cleanly(
            reg,
            &orgs,
            ErrorCode::NotFound,
            Some("credentialId"),
            || reg.link_number("globex", "+14155550199", probe),
        );
    }
    fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("agentId"), || {
        reg.assign_number("globex", agent.id.as_str(), "+14155550100")
    });
    fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
        reg.delete_agent("globex", agent.id.as_str())
    });
    fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("number"), || {
        reg.unlink_number("globex", "+14155550100")
    });
    fails_cleanly(reg, &orgs, ErrorCode::NotFound, Some("id"), || {
        reg.delete_provider("globex", prov.provider.id.as_str())
    });
    assert!(reg.list_credentials("globex").unwrap().is_empty());
    assert!(reg.list_numbers("globex").unwrap().is_empty());
    assert!(reg.list_agents("globex").unwrap().is_empty());
    assert!(reg.list_providers("globex").unwrap().is_empty());

    // The same number string in two orgs is two numbers.
    let g = reg
        .create_credential_json("globex", r#"{"server":"g.example.com"}"#)
        .unwrap();
    reg.link_number("globex", "+14155550100", g.id.as_str())
        .unwrap();
    assert_eq!(
        reg.usage("acme", id).unwrap().phone_numbers,
        ["+14155550100"]
    );
    assert_eq!(
        reg.usage("globex", g.id.as_str()).unwrap().phone_numbers,
        ["+14155550100"]
    );
    assert!(
        reg.usage("globex", g.id.as_str())
            .unwrap()
            .agents
            .is_empty()
    );
    // Lint and rate groups see one org only.
    assert!(
        reg.rate_groups("globex")
            .unwrap()
            .iter()
            .all(|g| g.cps_key.is_none())
    );
    assert!(
        reg.lint("globex")
            .unwrap()
            .iter()
            .all(|f| f.credential.as_deref() == Some(g.id.as_str()))
    );
}

/// Updates: versions, optimistic concurrency, clearing, the auth pair after the merge.
pub fn update_rules(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    let id = a.id.as_str();
    let b = reg
        .update_credential_json(
            "acme",
            id,
            r#"{"cpsLimit":null,"domain":"Example.COM","expectedVersion":1}"#,
        )
        .unwrap();
    assert_eq!(b.version, 2);
    assert_eq!(b.input.cps_limit, None);
    assert_eq!(b.to_json()["realm"], "example.com");
    assert_eq!(b.created_at, a.created_at);
    let e = fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::Conflict,
        Some("expectedVersion"),
        || reg.update_credential_json("acme", id, r#"{"name":"late","expectedVersion":1}"#),
    );
    assert!(
        e.to_string().contains('2'),
        "the conflict names the stored version: {e}"
    );
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::IncompleteAuth,
        Some("authUser"),
        || reg.update_credential_json("acme", id, r#"{"authUser":null}"#),
    );
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::InvalidServer,
        Some("server"),
        || reg.update_credential_json("acme", id, r#"{"server":null}"#),
    );
    fails_cleanly(reg, &["acme"], ErrorCode::UnknownField, Some("id"), || {
        reg.update_credential_json("acme", id, r#"{"id":"x"}"#)
    });
    let c = reg
        .update_credential_json("acme", id, r#"{"authPassword":"rotated"}"#)
        .unwrap();
    assert_eq!(c.version, 3);
    assert_eq!(
        reg.get_credential("acme", id).unwrap().expose_password(),
        Some("rotated")
    );
    let d = reg
        .update_credential_json("acme", id, r#"{"authUser":null,"authPassword":null}"#)
        .unwrap();
    assert!(d.input.auth.is_none());
    assert_eq!(reg.get_credential("acme", id).unwrap(), d);
}

/// Usage, in-use refusals, forced deletes.
pub fn usage_and_deletes(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    let other = reg
        .create_credential_json("acme", r#"{"server":"o.example.com"}"#)
        .unwrap();
    let id = a.id.as_str();
    assert!(reg.usage("acme", id).unwrap().is_empty());
    for n in ["+14155550102", "+14155550101", "+442071838750"] {
        reg.link_number("acme", n, id).unwrap();
    }
    reg.link_number("acme", "+14155550199", other.id.as_str())
        .unwrap();
    let ada = reg.create_agent("acme", "Ada").unwrap();
    let bob = reg.create_agent("acme", "Bob").unwrap();
    reg.assign_number("acme", ada.id.as_str(), "+14155550101")
        .unwrap();
    reg.assign_number("acme", ada.id.as_str(), "+14155550102")
        .unwrap();
    reg.assign_number("acme", ada.id.as_str(), "+14155550199")
        .unwrap();
    reg.assign_number("acme", bob.id.as_str(), "+442071838750")
        .unwrap();

    let usage = reg.usage("acme", id).unwrap();
    assert_eq!(
        usage.phone_numbers,
        ["+14155550101", "+14155550102", "+442071838750"]
    );
    assert_eq!(usage.agents.len(), 2);
    assert_eq!(usage.agents[0].name, "Ada");
    assert_eq!(usage.agents[0].via, ["+14155550101", "+14155550102"]);
    assert_eq!(usage.agents[1].via, ["+442071838750"]);
    let json = serde_json::to_value(&usage).unwrap();
    assert_eq!(json["phoneNumbers"][0], "+14155550101");
    assert_eq!(json["agents"][0]["id"], ada.id.as_str());

    let e = fails_cleanly(reg, &["acme"], ErrorCode::InUse, Some("id"), || {
        reg.delete_credential("acme", id, false)
    });
    assert_eq!(e.usage(), Some(&usage));
    assert_eq!(
        e.to_json()["error"]["usage"]["phoneNumbers"][2],
        "+442071838750"
    );

    let report = reg.delete_credential("acme", id, true).unwrap();
    assert_eq!(report.deleted, id);
    assert_eq!(report.unlinked_numbers, usage.phone_numbers);
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("id"), || {
        reg.get_credential("acme", id)
    });
    let numbers = reg.list_numbers("acme").unwrap();
    assert_eq!(numbers.len(), 4, "numbers stay, unlinked");
    assert!(
        numbers
            .iter()
            .filter(|n| n.number.as_str() != "+14155550199")
            .all(|n| n.credential_id.is_none())
    );
    assert_eq!(
        reg.get_agent("acme", ada.id.as_str())
            .unwrap()
            .numbers
            .len(),
        3,
        "agents keep their numbers"
    );

    // Unused: deleted without force, nothing to report.
    let unused = reg
        .create_credential_json("acme", r#"{"server":"u.example.com"}"#)
        .unwrap();
    assert!(
        reg.delete_credential("acme", unused.id.as_str(), false)
            .unwrap()
            .unlinked_numbers
            .is_empty()
    );
}

/// Numbers: E.164, linking, moving, unlinking, deleting.
pub fn numbers(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    let b = reg
        .create_credential_json("acme", r#"{"server":"b.example.com"}"#)
        .unwrap();
    for bad in [
        "4155550100",
        "+0155550100",
        "+1 415 555 0100",
        "+1234567",
        "+1234567890123456",
        "",
    ] {
        fails_cleanly(
            reg,
            &["acme"],
            ErrorCode::InvalidPhoneNumber,
            Some("number"),
            || reg.link_number("acme", bad, a.id.as_str()),
        );
    }
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::NotFound,
        Some("credentialId"),
        || reg.link_number("acme", "+14155550100", "cred_01JD0000000000000000000000"),
    );
    let r = reg
        .link_number("acme", "+14155550100", a.id.as_str())
        .unwrap();
    assert_eq!(
        r.to_json(),
        serde_json::json!({"number": "+14155550100", "credentialId": a.id.as_str()})
    );
    reg.link_number("acme", "+14155550100", b.id.as_str())
        .unwrap();
    assert!(
        reg.usage("acme", a.id.as_str()).unwrap().is_empty(),
        "re-linking moves the number"
    );
    assert_eq!(
        reg.usage("acme", b.id.as_str()).unwrap().phone_numbers,
        ["+14155550100"]
    );
    let agent = reg.create_agent("acme", "Ada").unwrap();
    reg.assign_number("acme", agent.id.as_str(), "+14155550100")
        .unwrap();
    let un = reg.unlink_number("acme", "+14155550100").unwrap();
    assert!(un.credential_id.is_none());
    assert!(reg.usage("acme", b.id.as_str()).unwrap().is_empty());
    assert_eq!(
        reg.get_agent("acme", agent.id.as_str())
            .unwrap()
            .numbers
            .len(),
        1
    );
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("number"), || {
        reg.unlink_number("acme", "+14155550111")
    });
    reg.link_number("acme", "+14155550100", a.id.as_str())
        .unwrap();
    reg.delete_number("acme", "+14155550100").unwrap();
    assert!(
        reg.get_agent("acme", agent.id.as_str())
            .unwrap()
            .numbers
            .is_empty(),
        "deleting a number removes it from agents"
    );
    assert!(reg.list_numbers("acme").unwrap().is_empty());
    assert!(reg.usage("acme", a.id.as_str()).unwrap().is_empty());
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("number"), || {
        reg.delete_number("acme", "+14155550100")
    });
}

/// Agents.
pub fn agents(reg: &Registry) {
    let a = reg.create_credential_json("acme", TRUNK).unwrap();
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidName, Some("name"), || {
        reg.create_agent("acme", "")
    });
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidName, Some("name"), || {
        reg.create_agent("acme", "a\nb")
    });
    let ada = reg.create_agent("acme", "Ada").unwrap();
    let bob = reg.create_agent("acme", "Bob").unwrap();
    assert!(ada.id.as_str().starts_with("agent_"));
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("number"), || {
        reg.assign_number("acme", ada.id.as_str(), "+14155550100")
    });
    reg.link_number("acme", "+14155550100", a.id.as_str())
        .unwrap();
    let got = reg
        .assign_number("acme", ada.id.as_str(), "+14155550100")
        .unwrap();
    assert_eq!(got.numbers.len(), 1);
    reg.assign_number("acme", ada.id.as_str(), "+14155550100")
        .unwrap();
    assert_eq!(
        reg.get_agent("acme", ada.id.as_str())
            .unwrap()
            .numbers
            .len(),
        1,
        "assign is idempotent"
    );
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("agentId"), || {
        reg.assign_number("acme", "agent_01JD0000000000000000000000", "+14155550100")
    });
    let names: Vec<_> = reg
        .list_agents("acme")
        .unwrap()
        .into_iter()
        .map(|a| a.name.to_string())
        .collect();
    assert_eq!(names, ["Ada", "Bob"]);
    let json = ada.to_json();
    assert_eq!(json["name"], "Ada");
    assert!(json["numbers"].is_array());
    reg.unassign_number("acme", ada.id.as_str(), "+14155550100")
        .unwrap();
    assert!(reg.usage("acme", a.id.as_str()).unwrap().agents.is_empty());
    reg.assign_number("acme", bob.id.as_str(), "+14155550100")
        .unwrap();
    reg.delete_agent("acme", bob.id.as_str()).unwrap();
    assert!(
        reg.usage("acme", a.id.as_str()).unwrap().agents.is_empty(),
        "a deleted agent uses nothing"
    );
    assert_eq!(
        reg.list_numbers("acme").unwrap().len(),
        1,
        "the number stays"
    );
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("id"), || {
        reg.delete_agent("acme", bob.id.as_str())
    });
}

/// Providers: read-only credentials, cascade, atomic connect.
pub fn providers(reg: &Registry) {
    let manual = reg.create_credential_json("acme", TRUNK).unwrap();
    let connected = reg
        .connect_provider_json(
            "acme",
            "Twilio",
            "Twilio main",
            r#"[{"server":"acme.pstn.twilio.com","transport":"tls","authUser":"t","authPassword":"tw-secret"},
                {"server":"acme2.pstn.twilio.com"}]"#,
        )
        .unwrap();
    let p = &connected.provider;
    assert!(p.id.as_str().starts_with("prov_"));
    assert_eq!(p.kind, "twilio");
    assert_eq!(connected.credentials.len(), 2);
    let c0 = &connected.credentials[0];
    let json = c0.to_json();
    assert_eq!(json["source"], "provider");
    assert_eq!(json["readOnly"], true);
    assert_eq!(json["providerId"], p.id.as_str());
    assert!(!connected.to_json().to_string().contains("tw-secret"));
    assert_eq!(
        reg.get_credential("acme", c0.id.as_str())
            .unwrap()
            .expose_password(),
        Some("tw-secret")
    );

    fails_cleanly(reg, &["acme"], ErrorCode::ReadOnly, Some("id"), || {
        reg.update_credential_json("acme", c0.id.as_str(), r#"{"name":"mine now"}"#)
    });
    fails_cleanly(reg, &["acme"], ErrorCode::ReadOnly, Some("id"), || {
        reg.delete_credential("acme", c0.id.as_str(), false)
    });
    fails_cleanly(reg, &["acme"], ErrorCode::ReadOnly, Some("id"), || {
        reg.delete_credential("acme", c0.id.as_str(), true)
    });

    // Links to provider-managed credentials are allowed.
    reg.link_number("acme", "+14155550100", c0.id.as_str())
        .unwrap();
    reg.link_number("acme", "+14155550101", connected.credentials[1].id.as_str())
        .unwrap();
    reg.link_number("acme", "+14155550102", manual.id.as_str())
        .unwrap();
    let ada = reg.create_agent("acme", "Ada").unwrap();
    reg.assign_number("acme", ada.id.as_str(), "+14155550100")
        .unwrap();
    assert_eq!(reg.list_providers("acme").unwrap().len(), 1);

    let report = reg.delete_provider("acme", p.id.as_str()).unwrap();
    assert_eq!(report.deleted, p.id.as_str());
    assert_eq!(
        report.deleted_credentials,
        [c0.id.as_str(), connected.credentials[1].id.as_str()]
    );
    assert_eq!(report.unlinked_numbers, ["+14155550100", "+14155550101"]);
    assert!(reg.list_providers("acme").unwrap().is_empty());
    let left: Vec<_> = reg
        .list_credentials("acme")
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left, std::slice::from_ref(&manual.id));
    assert_eq!(
        reg.get_agent("acme", ada.id.as_str())
            .unwrap()
            .numbers
            .len(),
        1,
        "the agent keeps the number"
    );
    let linked: Vec<_> = reg
        .list_numbers("acme")
        .unwrap()
        .into_iter()
        .filter(|n| n.credential_id.is_some())
        .collect();
    assert_eq!(linked.len(), 1);
    fails_cleanly(reg, &["acme"], ErrorCode::NotFound, Some("id"), || {
        reg.delete_provider("acme", p.id.as_str())
    });

    // One bad input: nothing is created, and the error says which one.
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::InvalidServer,
        Some("credentials[1].server"),
        || {
            reg.connect_provider_json(
                "acme",
                "telnyx",
                "Telnyx",
                r#"[{"server":"ok.example.com"},{"server":"sip:bad"}]"#,
            )
        },
    );
    fails_cleanly(reg, &["acme"], ErrorCode::InvalidName, Some("kind"), || {
        reg.connect_provider_json("acme", "no spaces", "X", "[]")
    });
    fails_cleanly(
        reg,
        &["acme"],
        ErrorCode::InvalidJson,
        Some("credentials"),
        || reg.connect_provider_json("acme", "telnyx", "X", r#"{"server":"a.example.com"}"#),
    );
}

/// Rate groups and lint through the registry.
pub fn groups_and_lint(reg: &Registry) {
    let a = reg
        .create_credential_json(
            "acme",
            r#"{"server":"a.example.com","cpsKey":"k","cpsLimit":5}"#,
        )
        .unwrap();
    let b = reg
        .create_credential_json(
            "acme",
            r#"{"server":"b.example.com","cpsKey":"k","cpsLimit":3}"#,
        )
        .unwrap();
    let c = reg
        .create_credential_json("acme", r#"{"server":"c.example.com"}"#)
        .unwrap();
    reg.create_credential_json(
        "globex",
        r#"{"server":"g.example.com","cpsKey":"k","cpsLimit":1}"#,
    )
    .unwrap();
    let groups = reg.rate_groups("acme").unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].members, [a.id.to_string(), b.id.to_string()]);
    assert_eq!(
        groups[0].limit,
        Some(3),
        "the smallest limit of the group, never another org's"
    );
    assert!(groups[0].conflicting_limits);
    assert_eq!(groups[1].members, [c.id.to_string()]);
    assert_eq!(groups[1].limit, None);
    let findings = reg.lint("acme").unwrap();
    assert!(findings.iter().any(|f| f.code == "cps_group_conflict"));
    assert!(
        findings
            .iter()
            .any(|f| f.code == "no_cps_limit" && f.credential.as_deref() == Some(c.id.as_str()))
    );
}

/// Lint of an org larger than a page: a group whose members are on different pages is
/// checked whole (the conflict found once, on its first member; nobody unlimited).
pub fn lint_across_pages(reg: &Registry) {
    let json = |i: usize| {
        let key = if i == 0 || i == 1500 {
            r#","cpsKey":"k""#
        } else {
            ""
        };
        format!(
            r#"{{"server":"s{i}.example.com","cpsLimit":{}{key}}}"#,
            1 + i % 7
        )
    };
    let created = reg
        .create_credentials(
            "big",
            (0..2001)
                .map(|i| CredentialInput::from_json(&json(i)).unwrap())
                .collect(),
        )
        .unwrap();
    let findings = reg.lint("big").unwrap();
    let conflicts: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "cps_group_conflict")
        .collect();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(
        conflicts[0].credential.as_deref(),
        Some(created[0].id.as_str())
    );
    assert!(
        conflicts[0].message.contains("(1, 3)"),
        "{}",
        conflicts[0].message
    );
    assert!(!findings.iter().any(|f| f.code == "no_cps_limit"));
    assert!(!findings.iter().any(|f| f.code == "cps_key_single_member"));
}

/// Every page of a list, `limit` at a time, checking each cursor; the items' keys.
fn walk<T>(
    mut page: impl FnMut(Option<&str>) -> sipcreds::Result<sipcreds::Paged<T>>,
    key: impl Fn(&T) -> String,
    limit: usize,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = page(after.as_deref()).unwrap();
        assert!(p.items.len() <= limit);
        keys.extend(p.items.iter().map(&key));
        match p.next {
            Some(next) => {
                assert_eq!(p.items.len(), limit, "a page before the last is full");
                assert_eq!(Some(&next), keys.last(), "next is the last key of the page");
                after = Some(next);
            }
            None => return keys,
        }
    }
}

/// Pages (SPEC §5): every list pages in its own order with `limit` and `after`, a deleted
/// cursor pages on from where it stood, and bad limits and cursors are `invalid_option`.
pub fn pages(reg: &Registry) {
    use sipcreds::Page;
    let creds: Vec<String> = (0..7)
        .map(|i| {
            reg.create_credential_json("acme", &format!(r#"{{"server":"t{i}.example.com"}}"#))
                .unwrap()
                .id
                .to_string()
        })
        .collect();
    reg.create_credential_json("other", TRUNK).unwrap();
    let numbers: Vec<String> = (0..5).map(|i| format!("+1415555010{i}")).collect();
    for (i, n) in numbers.iter().enumerate().rev() {
        reg.link_number("acme", n, &creds[i]).unwrap();
    }
    let agents: Vec<String> = (0..5)
        .map(|i| {
            let a = reg.create_agent("acme", &format!("Agent {i}")).unwrap();
            reg.assign_number("acme", a.id.as_str(), &numbers[i])
                .unwrap();
            reg.assign_number("acme", a.id.as_str(), &numbers[(i + 1) % 5])
                .unwrap();
            a.id.to_string()
        })
        .collect();
    let providers: Vec<String> = (0..3)
        .map(|i| {
            reg.connect_provider_json("acme", "twilio", &format!("P{i}"), "[]")
                .unwrap()
                .provider
                .id
                .to_string()
        })
        .collect();

    for limit in [1, 2, 3, 7, 1000] {
        let page = |after: Option<&str>| Page::new(limit as u64, after).unwrap();
        let all: Vec<String> = reg
            .list_credentials("acme")
            .unwrap()
            .iter()
            .map(|c| c.id.to_string())
            .collect();
        let paged = walk(
            |a| reg.list_credentials_page("acme", &page(a)),
            |c| c.id.to_string(),
            limit,
        );
        assert_eq!(paged, all, "credentials, limit {limit}");
        assert_eq!(paged, creds);
        let paged = walk(
            |a| reg.list_numbers_page("acme", &page(a)),
            |n| n.number.to_string(),
            limit,
        );
        assert_eq!(paged, numbers, "numbers, limit {limit}");
        let paged = walk(
            |a| reg.list_agents_page("acme", &page(a)),
            |a| a.id.to_string(),
            limit,
        );
        assert_eq!(paged, agents, "agents, limit {limit}");
        let paged = walk(
            |a| reg.list_providers_page("acme", &page(a)),
            |p| p.id.to_string(),
            limit,
        );
        assert_eq!(paged, providers, "providers, limit {limit}");
    }
    // A page carries the items whole: agents with their numbers, numbers with their links.
    let p = reg
        .list_agents_page("acme", &Page::new(2, Some(&agents[1])).unwrap())
        .unwrap();
    let whole = reg.list_agents("acme").unwrap();
    assert_eq!(p.items, whole[2..4].to_vec());
    assert_eq!(p.items[0].numbers.len(), 2);
    let p = reg
        .list_numbers_page("acme", &Page::first(2).unwrap())
        .unwrap();
    assert_eq!(p.items, reg.list_numbers("acme").unwrap()[..2].to_vec());
    let p = reg
        .list_credentials_page("acme", &Page::first(3).unwrap())
        .unwrap();
    assert_eq!(
        serde_json::to_value(p.items.iter().map(|c| c.to_json()).collect::<Vec<_>>()).unwrap(),
        serde_json::to_value(
            reg.list_credentials("acme").unwrap()[..3]
                .iter()
                .map(|c| c.to_json())
                .collect::<Vec<_>>()
        )
        .unwrap()
    );

    // A cursor deleted since pages on from where it stood.
    reg.delete_credential("acme", &creds[2], true).unwrap();
    let p = reg
        .list_credentials_page("acme", &Page::new(2, Some(&creds[2])).unwrap())
        .unwrap();
    assert_eq!(
        p.items.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
        creds[3..5].to_vec()
    );
    reg.delete_agent("acme", &agents[0]).unwrap();
    let p = reg
        .list_agents_page("acme", &Page::new(10, Some(&agents[0])).unwrap())
        .unwrap();
    assert_eq!(p.items.len(), 4);
    assert_eq!(p.next, None);
    // A number that was never there is a cursor too: the next ones after it.
    let p = reg
        .list_numbers_page("acme", &Page::new(10, Some("+14155550102")).unwrap())
        .unwrap();
    assert_eq!(
        p.items
            .iter()
            .map(|n| n.number.to_string())
            .collect::<Vec<_>>(),
        numbers[3..].to_vec()
    );
    // Past the end, and an empty org: an empty last page.
    let p = reg
        .list_credentials_page("acme", &Page::new(5, Some(&creds[6])).unwrap())
        .unwrap();
    assert!(p.items.is_empty() && p.next.is_none());
    let p = reg
        .list_credentials_page("nobody", &Page::first(5).unwrap())
        .unwrap();
    assert!(p.items.is_empty() && p.next.is_none());

    // Bad limits and cursors: invalid_option with the field, nothing read.
    for limit in [0, 1001] {
        let e = Page::new(limit, None).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::InvalidOption, Some("limit"))
        );
    }
    let bad = |r: sipcreds::Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::InvalidOption, Some("after")),
            "{e}"
        );
    };
    let page = |after: &str| Page::new(10, Some(after)).unwrap();
    bad(reg.list_credentials_page("acme", &page("nope")).map(drop));
    bad(reg
        .list_credentials_page("acme", &page(&agents[1]))
        .map(drop));
    bad(reg
        .list_numbers_page("acme", &page("14155550100"))
        .map(drop));
    bad(reg.list_agents_page("acme", &page(&creds[0])).map(drop));
    bad(reg.list_providers_page("acme", &page("prov_x")).map(drop));
    let e = reg
        .list_credentials_page("ac me", &Page::first(1).unwrap())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidOrg);
}

/// API tokens (§14): made with a role, found by their text only, listed without it, revoked
/// at once; another org's token id is `not_found`; `last used` written on first use.
pub fn tokens(reg: &Registry) {
    use secrecy::ExposeSecret;
    use sipcreds::Role;
    let w = reg.create_token("acme", Role::Write, Some("ci")).unwrap();
    let r = reg.create_token("acme", Role::Read, None).unwrap();
    let other = reg.create_token("globex", Role::Write, None).unwrap();
    assert_eq!(w.info.last_used_at, None);
    let who = reg.authenticate_token(w.token.expose_secret()).unwrap();
    assert_eq!(who.id, w.info.id);
    assert_eq!(who.role, Role::Write);
    assert_eq!(who.org.as_str(), "acme");
    assert!(who.last_used_at.is_some());
    let listed = reg.list_tokens("acme").unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        vec![w.info.id.clone(), r.info.id.clone()]
    );
    assert!(listed[0].last_used_at.is_some() && listed[1].last_used_at.is_none());
    assert_eq!(listed[0].name.as_ref().map(|n| n.as_str()), Some("ci"));
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(w.token.expose_secret()) && !text.contains(r.token.expose_secret()));
    // A token differing in one character, or of the wrong shape, is refused.
    let mut wrong = w.token.expose_secret().to_owned();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        wrong.as_str(),
        "",
        "sct_",
        "Bearer x",
        &w.token.expose_secret()[..40],
    ] {
        let e = reg.authenticate_token(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized, "{bad:?}");
        assert!(bad.len() < 8 || !e.to_string().contains(bad));
    }
    // Another org cannot revoke it; revoking ends it; revoking again is not_found.
    let e = reg.revoke_token("globex", w.info.id.as_str()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    reg.revoke_token("acme", w.info.id.as_str()).unwrap();
    assert_eq!(
        reg.authenticate_token(w.token.expose_secret())
            .unwrap_err()
            .code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(
        reg.revoke_token("acme", w.info.id.as_str())
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
    assert!(reg.authenticate_token(r.token.expose_secret()).is_ok());
    assert!(reg.authenticate_token(other.token.expose_secret()).is_ok());
    assert_eq!(reg.list_tokens("acme").unwrap().len(), 1);
    assert_eq!(
        reg.create_token("ac me", Role::Read, None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidOrg
    );
}

/// Generates one `#[test]` per suite check for a backend: `registry_conformance!(make)` where
/// `make()` returns a fresh, empty [`Registry`].
#[macro_export]
macro_rules! registry_conformance {
    ($make:expr) => {
        #[test]
        fn create_get_list() {
            $crate::suite::create_get_list(&$make());
        }
        #[test]
        fn bad_arguments() {
            $crate::suite::bad_arguments(&$make());
        }
        #[test]
        fn org_isolation() {
            $crate::suite::org_isolation(&$make());
        }
        #[test]
        fn update_rules() {
            $crate::suite::update_rules(&$make());
        }
        #[test]
        fn usage_and_deletes() {
            $crate::suite::usage_and_deletes(&$make());
        }
        #[test]
        fn numbers() {
            $crate::suite::numbers(&$make());
        }
        #[test]
        fn agents() {
            $crate::suite::agents(&$make());
        }
        #[test]
        fn providers() {
            $crate::suite::providers(&$make());
        }
        #[test]
        fn groups_and_lint() {
            $crate::suite::groups_and_lint(&$make());
        }
        #[test]
        fn pages() {
            $crate::suite::pages(&$make());
        }
        #[test]
        fn lint_across_pages() {
            $crate::suite::lint_across_pages(&$make());
        }
        #[test]
        fn tokens() {
            $crate::suite::tokens(&$make());
        }
        #[test]
        fn health() {
            $crate::suite::health(&$make());
        }
    };
}

/// Read through a store's own transaction.
fn read_store<R>(
    store: &dyn sipcreds::Storage,
    mut f: impl FnMut(&dyn sipcreds::Tx) -> sipcreds::Result<R>,
) -> R {
    let mut out = None;
    store
        .read(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })
        .unwrap();
    out.unwrap()
}

/// The rate projection and the change counter (§6, §10): `rate_rows` is the credentials' rate
/// fields in creation order; a store that keeps a counter moves it with every credential
/// written or deleted in the org (and only then), and says what changed since; and a
/// registry refreshing its limiter from the store sees another registry's changes.
pub fn rate_changes(store: std::sync::Arc<dyn sipcreds::Storage>) {
    use sipcreds::{ManualClock, Org, RateLimiter, RateRow};
    use std::sync::Arc;
    let writer = Registry::from_arc(store.clone());
    let limiter = Arc::new(RateLimiter::in_process(Arc::new(ManualClock::new())));
    let reader = Registry::with_limiter(store.clone(), limiter.clone())
        .with_limit_refresh(std::time::Duration::ZERO);
    let org = Org::parse("acme").unwrap();
    let make = |json: &str| writer.create_credential_json("acme", json).unwrap().id;
    let a = make(r#"{"server":"a.example.com","cpsKey":"k","cpsLimit":5}"#);
    let b = make(r#"{"server":"b.example.com","cpsLimit":3,"authUser":"u","authPassword":"p-1"}"#);
    let c = make(r#"{"server":"c.example.com"}"#);
    let rows = read_store(&*store, |tx| tx.rate_rows(&org));
    let expected: Vec<RateRow> = writer
        .list_credentials("acme")
        .unwrap()
        .iter()
        .map(RateRow::of)
        .collect();
    assert_eq!(rows, expected);
    assert!(
        reader
            .try_acquire("acme", a.as_str())
            .unwrap()
            .is_admitted()
    );
    assert_eq!(limiter.limit_of("acme", a.as_str()).unwrap(), Some(5));
    assert_eq!(
        limiter.group_key_of("acme", b.as_str()).unwrap(),
        format!("credential:{b}")
    );

    let counter = |o: &Org| read_store(&*store, |tx| tx.change_counter(o));
    let before = counter(&org);
    writer
        .create_credential_json("globex", r#"{"server":"g.example.com"}"#)
        .unwrap();
    writer
        .link_number("acme", "+14155550100", a.as_str())
        .unwrap();
    assert_eq!(
        counter(&org),
        before,
        "another org's write or a link moved the counter"
    );
    writer
        .update_credential_json("acme", b.as_str(), r#"{"cpsKey":"k","cpsLimit":2}"#)
        .unwrap();
    writer.delete_credential("acme", c.as_str(), false).unwrap();
    if let Some(before) = before {
        let now = counter(&org).unwrap();
        assert!(now > before, "the counter did not move: {before} -> {now}");
        let changes = read_store(&*store, |tx| tx.rate_changes(&org, before)).unwrap();
        assert_eq!(changes.counter, now);
        let changed: Vec<&str> = changes.changed.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(changed, [b.as_str()]);
        assert_eq!(changes.changed[0].cps_limit.map(|l| l.get()), Some(2));
        assert_eq!(changes.removed, std::slice::from_ref(&c));
        let none = read_store(&*store, |tx| tx.rate_changes(&org, now)).unwrap();
        assert!(none.changed.is_empty() && none.removed.is_empty());
        assert_eq!(
            read_store(&*store, |tx| tx.rate_changes(&org, now + 1)),
            None,
            "a counter from the future cannot be answered"
        );
    }
    // The reader's next decision sees the writer's changes: b joined k (the smallest limit,
    // 2, is the group's), c is gone.
    assert!(
        reader
            .try_acquire("acme", a.as_str())
            .unwrap()
            .is_admitted()
    );
    assert_eq!(limiter.group_key_of("acme", b.as_str()).unwrap(), "key:k");
    assert_eq!(limiter.limit_of("acme", a.as_str()).unwrap(), Some(2));
    assert!(
        !reader
            .try_acquire("acme", b.as_str())
            .unwrap()
            .is_admitted(),
        "b shares a's group, which used its 2 calls of this second"
    );
    assert_eq!(
        reader.try_acquire("acme", c.as_str()).unwrap_err().code(),
        ErrorCode::NotFound
    );
}

/// The batch writes of the storage trait (`insert_credentials` through `create_credentials`,
/// `put_numbers`, `insert_agents`) store what the one-at-a-time writes would.
pub fn batch_writes(store: std::sync::Arc<dyn sipcreds::Storage>) {
    use sipcreds::{Agent, AgentId, Name, NumberRecord, Org, PhoneNumber};
    let reg = Registry::from_arc(store.clone());
    let creds = reg
        .create_credentials(
            "acme",
            (0..2500)
                .map(|i| {
                    CredentialInput::from_json(&format!(
                        r#"{{"server":"s{i}.example.com","authUser":"u{i}","authPassword":"pw-{i}"}}"#
                    ))
                    .unwrap()
                })
                .collect(),
        )
        .unwrap();
    let listed = reg.list_credentials("acme").unwrap();
    assert_eq!(listed, creds);
    assert_eq!(listed[1234].expose_password(), Some("pw-1234"));
    let org = Org::parse("acme").unwrap();
    let num = |i: u32| PhoneNumber::parse(&format!("+1415555{i:04}")).unwrap();
    let records: Vec<NumberRecord> = (0..3)
        .map(|i| NumberRecord {
            number: num(i),
            credential_id: (i < 2).then(|| creds[i as usize].id.clone()),
        })
        .collect();
    let agent = Agent {
        id: AgentId::generate(),
        org: org.clone(),
        name: Name::parse("Ann").unwrap(),
        numbers: vec![num(0), num(2)],
        created_at: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap(),
    };
    store
        .write(&mut |tx| {
            tx.put_numbers(&org, &records)?;
            tx.insert_agents(std::slice::from_ref(&agent))
        })
        .unwrap();
    let numbers = reg.list_numbers("acme").unwrap();
    assert_eq!(numbers, records);
    assert_eq!(
        reg.list_agents("acme").unwrap(),
        std::slice::from_ref(&agent)
    );
    let usage = reg.usage("acme", creds[0].id.as_str()).unwrap();
    assert_eq!(usage.agents.len(), 1, "{usage:?}");
}

/// `sealed_credentials_after` (what lint reads) gives every field of `credentials_after` but
/// the password, page by page from the cursor, and lint on it tells credentials with and
/// without auth apart.
pub fn sealed_reads(store: std::sync::Arc<dyn sipcreds::Storage>) {
    use sipcreds::{Org, SealedCredential};
    let reg = Registry::from_arc(store.clone());
    let creds = reg
        .create_credentials(
            "acme",
            (0..30)
                .map(|i| {
                    let auth = if i % 3 == 0 {
                        String::new()
                    } else {
                        format!(r#","authUser":"u{i}","authPassword":"pw-{i}""#)
                    };
                    CredentialInput::from_json(&format!(
                        r#"{{"server":"s{i}.example.com","cpsLimit":5{auth}}}"#
                    ))
                    .unwrap()
                })
                .collect(),
        )
        .unwrap();
    reg.create_credential_json("other", r#"{"server":"x.example.com"}"#)
        .unwrap();
    let org = Org::parse("acme").unwrap();
    let mut after = None;
    let mut seen = 0;
    loop {
        let (mut full, mut sealed) = (Vec::new(), Vec::new());
        store
            .read(&mut |tx| {
                full = tx.credentials_after(&org, after.as_ref(), 7)?;
                sealed = tx.sealed_credentials_after(&org, after.as_ref(), 7)?;
                Ok(())
            })
            .unwrap();
        let expected: Vec<SealedCredential> =
            full.iter().cloned().map(SealedCredential::of).collect();
        assert_eq!(sealed, expected);
        assert!(sealed.iter().all(|c| c.input.auth.is_none()));
        seen += sealed.len();
        match sealed.last() {
            Some(last) if sealed.len() == 7 => after = Some(last.id.clone()),
            _ => break,
        }
    }
    assert_eq!(seen, creds.len());
    let no_auth: std::collections::BTreeSet<String> = reg
        .lint("acme")
        .unwrap()
        .into_iter()
        .filter(|f| f.code == "no_auth")
        .filter_map(|f| f.credential)
        .collect();
    let expected: std::collections::BTreeSet<String> = creds
        .iter()
        .filter(|c| c.input.auth.is_none())
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(no_auth, expected);
}

/// Generates the storage-level checks for a backend: `storage_conformance!(make)` where
/// `make()` returns a fresh, empty `Arc<dyn Storage>`.
#[macro_export]
macro_rules! storage_conformance {
    ($make:expr) => {
        #[test]
        fn rate_changes() {
            $crate::suite::rate_changes($make());
        }
        #[test]
        fn batch_writes() {
            $crate::suite::batch_writes($make());
        }
        #[test]
        fn sealed_reads() {
            $crate::suite::sealed_reads($make());
        }
    };
}

/// Health over time (§13): the reads, pause and resume, a change that makes a record
/// `unknown`, the monitor's two transactions with their leases, the events kept, and the
/// rows deleted with their credential.
pub fn health(reg: &Registry) {
    use sipcreds::{HealthState, Page, ProbeResult, Probed, Round, Thresholds};
    use std::time::Duration;
    let secs = |n: i64| time::Duration::seconds(n);
    let c1 = reg
        .create_credential(
            "acme",
            input(r#"{"server":"a.example.com","authUser":"u","authPassword":"p"}"#),
        )
        .unwrap();
    let c2 = reg
        .create_credential("acme", input(r#"{"server":"b.example.com"}"#))
        .unwrap();
    let c3 = reg
        .create_credential(
            "globex",
            input(r#"{"server":"c.example.com","authUser":"u","authPassword":"p"}"#),
        )
        .unwrap();
    let (i1, i2, i3) = (c1.id.as_str(), c2.id.as_str(), c3.id.as_str());
    let h = reg.health("acme", i1).unwrap();
    assert_eq!(
        (h.state, h.next_probe_at, h.probes),
        (HealthState::Unknown, None, 0)
    );
    assert_eq!(
        reg.health("globex", i1).unwrap_err().code().as_str(),
        "not_found"
    );
    assert_eq!(
        reg.health_events("globex", i1).unwrap_err().code().as_str(),
        "not_found"
    );
    assert_eq!(
        reg.pause("globex", i1).unwrap_err().code().as_str(),
        "not_found"
    );
    assert!(reg.health_events("acme", i1).unwrap().is_empty());
    let page = reg.health_list("acme", &Page::first(1).unwrap()).unwrap();
    assert_eq!(page.items.len(), 1);
    let rest = reg
        .health_list("acme", &Page::new(10, page.next.as_deref()).unwrap())
        .unwrap();
    assert_eq!((rest.items.len(), rest.next.clone()), (1, None));

    // Instance A claims everything (records made, due now); B finds every lease taken.
    let t = time::OffsetDateTime::now_utc();
    let round = |owner: &'static str, now, due_by| Round {
        owner,
        orgs: None,
        now,
        due_by,
        lease: Duration::from_secs(60),
        claim: 100,
        thresholds: Thresholds::default(),
        grace: Duration::from_secs(10),
    };
    let claims = reg.health_claim(&round("A", t, t), &mut |_, _| t).unwrap();
    let mut ids: Vec<String> = claims.iter().map(|c| c.credential.id.to_string()).collect();
    ids.sort();
    let mut want = vec![i1.to_owned(), i2.to_owned(), i3.to_owned()];
    want.sort();
    assert_eq!(ids, want);
    assert!(
        claims
            .iter()
            .any(|c| c.credential.expose_password() == Some("p"))
    );
    assert!(
        reg.health_claim(&round("B", t, t), &mut |_, _| t)
            .unwrap()
            .is_empty()
    );

    let probed = |org: &str, c: &sipcreds::Credential, outcome: &str, at| Probed {
        org: sipcreds::Org::parse(org).unwrap(),
        id: c.id.clone(),
        version: c.version,
        result: ProbeResult {
            outcome: outcome.into(),
            status: (outcome == "auth_rejected").then_some(401),
            reason: None,
            rtt_ms: Some(2),
            at,
        },
    };
    let next = t + secs(60);
    let events = reg
        .health_record_results(
            &round("A", t, t),
            vec![
                probed("acme", &c1, "ok", t),
                probed("acme", &c2, "timeout", t),
                probed("globex", &c3, "auth_rejected", t),
            ],
            &mut |r| r.state.probed().then_some(next),
        )
        .unwrap();
    let mut moves: Vec<(String, &str)> = events
        .iter()
        .map(|(_, e)| (e.credential_id.to_string(), e.to.as_str()))
        .collect();
    moves.sort();
    let mut want = vec![
        (i1.to_owned(), "up"),
        (i2.to_owned(), "degraded"),
        (i3.to_owned(), "rejected"),
    ];
    want.sort();
    assert_eq!(moves, want);
    let h1 = reg.health("acme", i1).unwrap();
    assert_eq!(h1.state, HealthState::Up);
    assert_eq!(
        (h1.probes, h1.failures, h1.consecutive_successes),
        (1, 0, 1)
    );
    assert_eq!(h1.last_outcome.as_deref(), Some("ok"));
    assert_eq!(
        h1.next_probe_at.map(|n| n.unix_timestamp()),
        Some(next.unix_timestamp())
    );
    let h3 = reg.health("globex", i3).unwrap();
    assert_eq!(
        (h3.state, h3.next_probe_at, h3.last_status),
        (HealthState::Rejected, None, Some(401))
    );
    assert_eq!(
        reg.health_state_counts().unwrap(),
        vec![
            (HealthState::Degraded, 1),
            (HealthState::Rejected, 1),
            (HealthState::Up, 1)
        ]
    );
    let json = h3.to_json();
    for key in [
        "credentialId",
        "state",
        "since",
        "lastProbeAt",
        "nextProbeAt",
        "consecutiveFailures",
        "consecutiveSuccesses",
        "lastOutcome",
        "lastStatus",
        "lastReason",
        "lastRttMs",
        "probes",
        "failures",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }

    // Not due before its time; A's lease holds until nextProbeAt + grace; then B takes over,
    // but never the rejected one.
    assert!(
        reg.health_claim(&round("B", t + secs(30), t + secs(30)), &mut |_, _| t)
            .unwrap()
            .is_empty()
    );
    assert!(
        reg.health_claim(&round("B", t + secs(61), t + secs(61)), &mut |_, _| t)
            .unwrap()
            .is_empty()
    );
    let later = t + secs(71);
    let taken = reg
        .health_claim(&round("B", later, later), &mut |_, _| t)
        .unwrap();
    let mut ids: Vec<String> = taken.iter().map(|c| c.credential.id.to_string()).collect();
    ids.sort();
    let mut want = vec![i1.to_owned(), i2.to_owned()];
    want.sort();
    assert_eq!(ids, want);
    // A result from the instance that lost the lease is not counted.
    let lost = reg
        .health_record_results(
            &round("A", t, t),
            vec![probed("acme", &c1, "timeout", later)],
            &mut |_| Some(next),
        )
        .unwrap();
    assert!(lost.is_empty());
    assert_eq!(reg.health("acme", i1).unwrap().state, HealthState::Up);

    // A change to what a probe uses: unknown again, due now, with an event; a rename is not.
    let c1b = reg
        .update_credential_json("acme", i1, r#"{"authPassword":"fixed"}"#)
        .unwrap();
    let h1 = reg.health("acme", i1).unwrap();
    assert_eq!(
        (h1.state, h1.probes, h1.last_probe_at),
        (HealthState::Unknown, 0, None)
    );
    assert!(h1.next_probe_at.is_some());
    // The result of a probe of the old version is not counted.
    assert!(
        reg.health_record_results(
            &round("B", t, t),
            vec![probed("acme", &c1, "ok", later)],
            &mut |_| Some(next)
        )
        .unwrap()
        .is_empty()
    );
    assert_eq!(reg.health("acme", i1).unwrap().state, HealthState::Unknown);
    assert_eq!(c1b.version, 2);
    reg.update_credential_json("acme", i2, r#"{"name":"renamed"}"#)
        .unwrap();
    assert_eq!(reg.health("acme", i2).unwrap().state, HealthState::Degraded);
    let ev = reg.health_events("acme", i1).unwrap();
    assert_eq!(
        ev.iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.outcome.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("unknown", "up", Some("ok".to_owned())),
            ("up", "unknown", None)
        ]
    );

    // Paused: never claimed, whatever the time; resumed: unknown and due. Rejected, resumed.
    assert_eq!(reg.pause("acme", i2).unwrap().state, HealthState::Paused);
    reg.release_health_leases("B").unwrap();
    let far = t + secs(100_000);
    let taken = reg
        .health_claim(&round("C", far, far), &mut |_, _| t)
        .unwrap();
    assert_eq!(
        taken
            .iter()
            .map(|c| c.credential.id.to_string())
            .collect::<Vec<_>>(),
        vec![i1.to_owned()]
    );
    assert_eq!(reg.resume("acme", i2).unwrap().state, HealthState::Unknown);
    assert_eq!(
        reg.resume("globex", i3).unwrap().state,
        HealthState::Unknown
    );
    // Only the last 100 events are kept.
    for _ in 0..60 {
        reg.pause("acme", i2).unwrap();
        reg.resume("acme", i2).unwrap();
    }
    let ev = reg.health_events("acme", i2).unwrap();
    assert_eq!(ev.len(), sipcreds::EVENTS_KEPT);
    assert_eq!(
        (ev[99].from, ev[99].to),
        (HealthState::Paused, HealthState::Unknown)
    );

    // Deleted with the credential: a new credential gets a fresh record, the old id none.
    reg.delete_credential("acme", i1, false).unwrap();
    assert_eq!(
        reg.health("acme", i1).unwrap_err().code().as_str(),
        "not_found"
    );
    let fresh = reg
        .create_credential("acme", input(r#"{"server":"d.example.com"}"#))
        .unwrap();
    let all = reg
        .health_claim(&round("D", far, far), &mut |_, _| t)
        .unwrap();
    assert!(all.iter().all(|c| c.credential.id != c1.id));
    assert!(all.iter().any(|c| c.credential.id == fresh.id));
}
