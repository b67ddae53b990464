//! Every surface has every operation of the registry. The operations are read from the
//! core's source (`pub fn` of every `impl Registry` in `core/src/registry/`) plus the probe's
//! two, less the Rust plumbing and Rust-only conveniences named with their reason in
//! `sipcreds_conformance::parity::NOT_OPERATIONS`. A new operation added to the core fails
//! these tests until Python, Node, C and uniffi have it, and the HTTP table below names its
//! route or says why it has none (the command line: cli/tests/parity.rs).

use sipcreds_conformance::parity::{operations, read};

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A list's page is an option of the list itself in Python and Node
/// (`list_credentials(org, limit=, after=)`, `listCredentials(org, { limit, after })`).
fn python_or_node_name(op: &str) -> &str {
    op.strip_suffix("_page").unwrap_or(op)
}

#[test]
fn the_operations_are_read_from_the_core() {
    let ops = operations();
    for expected in [
        "create_credential",
        "list_credentials_page",
        "get_agent",
        "count_credentials",
        "acquire",
        "probe_all",
        "create_token",
    ] {
        assert!(
            ops.iter().any(|o| o == expected),
            "{expected} not in {ops:?}"
        );
    }
    assert!(ops.len() >= 30, "{ops:?}");
}

#[test]
fn every_surface_has_every_operation() {
    let python = read("bindings-python/python/sipcreds/_native.pyi")
        + &read("bindings-python/python/sipcreds/__init__.py");
    let node = read("bindings-node/sipcreds.d.ts");
    let c = read("bindings-ffi/include/sipcreds.h");
    let uniffi = read("bindings-ffi/uniffi/src/lib.rs");
    let mut missing = Vec::new();
    for op in operations() {
        let py = python_or_node_name(&op);
        if !python.contains(&format!("def {py}(")) {
            missing.push(format!("Python: {py}"));
        }
        let js = camel(python_or_node_name(&op));
        if !node.contains(&format!("  {js}(")) {
            missing.push(format!("Node: {js}"));
        }
        if !c.contains(&format!("sipcreds_registry_{op}(")) {
            missing.push(format!("C: sipcreds_registry_{op}"));
        }
        if !uniffi.contains(&format!("pub fn {op}(")) {
            missing.push(format!("uniffi: {op}"));
        }
    }
    assert!(
        missing.is_empty(),
        "operations missing from a surface:\n  {}",
        missing.join("\n  ")
    );
}

/// How the HTTP API offers each operation: the `operationId` of its route in
/// `sipcreds_server::ROUTES`, or why it has none.
const HTTP: &[(&str, Result<&str, &str>)] = &[
    ("acquire", Ok("acquire")),
    ("assign_number", Ok("assignNumber")),
    ("connect_provider", Ok("connectProvider")),
    (
        "count_credentials",
        Err("the overview and the list pages carry what a client counts"),
    ),
    ("create_agent", Ok("createAgent")),
    ("create_credential", Ok("createCredential")),
    (
        "create_credentials",
        Err("an import is a file job (CLI import, the libraries); HTTP creates one per request"),
    ),
    (
        "create_token",
        Err("tokens are made where the store is (CLI, libraries): a token cannot mint tokens"),
    ),
    ("delete_agent", Ok("deleteAgent")),
    ("delete_credential", Ok("deleteCredential")),
    ("delete_number", Ok("deleteNumber")),
    ("delete_provider", Ok("deleteProvider")),
    ("get_agent", Ok("getAgent")),
    ("get_credential", Ok("getCredential")),
    ("get_number", Ok("getNumber")),
    ("health", Ok("health")),
    ("health_events", Ok("healthEvents")),
    ("health_list", Ok("healthList")),
    ("link_number", Ok("putNumber")),
    ("lint", Ok("lintOrg")),
    ("lint_input", Ok("lintInput")),
    ("list_agents", Ok("listAgents")),
    ("list_agents_page", Ok("listAgents")),
    ("list_credentials", Ok("listCredentials")),
    ("list_credentials_page", Ok("listCredentials")),
    ("list_numbers", Ok("listNumbers")),
    ("list_numbers_page", Ok("listNumbers")),
    ("list_providers", Ok("listProviders")),
    ("list_providers_page", Ok("listProviders")),
    (
        "list_tokens",
        Err("tokens are listed where the store is (CLI, libraries)"),
    ),
    ("pause", Ok("pause")),
    ("probe", Ok("probe")),
    (
        "probe_all",
        Err("the monitor probes every credential; a client probes one per request"),
    ),
    ("rate_groups", Ok("limits")),
    ("reserve", Ok("acquire")),
    ("resume", Ok("resume")),
    (
        "revoke_token",
        Err("tokens are revoked where the store is (CLI, libraries)"),
    ),
    ("try_acquire", Ok("acquire")),
    ("unassign_number", Ok("unassignNumber")),
    ("unlink_number", Ok("putNumber")),
    ("update_credential", Ok("updateCredential")),
    ("usage", Ok("usage")),
];

#[test]
fn the_http_api_has_every_operation_or_says_why_not() {
    let ids: Vec<&str> = sipcreds_server::ROUTES.iter().map(|r| r.2).collect();
    let mut problems = Vec::new();
    for op in operations() {
        match HTTP.iter().find(|(name, _)| *name == op) {
            None => problems.push(format!(
                "{op}: not in the HTTP table (a route's operationId, or why none)"
            )),
            Some((_, Ok(id))) if !ids.contains(id) => {
                problems.push(format!("{op}: no route has operationId {id}"))
            }
            Some(_) => {}
        }
    }
    for (name, _) in HTTP {
        if !operations().iter().any(|op| op == name) {
            problems.push(format!("{name}: in the HTTP table but not an operation"));
        }
    }
    assert!(
        problems.is_empty(),
        "HTTP parity:\n  {}",
        problems.join("\n  ")
    );
}
