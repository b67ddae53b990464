//! Every surface has every operation of the registry. The operations are read from the
//! core's source (`pub fn` of `impl Registry` in `core/src/registry/mod.rs`) plus the probe's
//! two; the few that are Rust plumbing or Rust-only conveniences are named below with their
//! reason. A new operation added to the core fails this test until Python, Node, C and uniffi
//! have it (or it is added to the list below, with a reason).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Not operations of a surface: how a Rust caller builds or inspects a registry, and the
/// Rust-only spellings of operations every surface has under their own name.
const NOT_OPERATIONS: &[(&str, &str)] = &[
    (
        "new",
        "Rust constructor over a storage (surfaces open by location)",
    ),
    ("from_arc", "Rust constructor"),
    (
        "with_limiter",
        "Rust constructor (surfaces take a limiter location)",
    ),
    ("with_limit_refresh", "Rust configuration"),
    ("limiter", "Rust accessor"),
    ("in_memory", "Rust constructor (surfaces: no path)"),
    ("closed", "what the surfaces' close() swaps in"),
    ("describe", "Rust accessor (surfaces show their path)"),
    (
        "wait_option",
        "a check the surfaces call inside reserve/acquire",
    ),
    (
        "create_credential_json",
        "Rust spelling of create_credential from JSON text",
    ),
    (
        "update_credential_json",
        "Rust spelling of update_credential from JSON text",
    ),
    (
        "connect_provider_json",
        "Rust spelling of connect_provider from JSON text",
    ),
    (
        "create_credentials_with_progress",
        "the CLI import's progress bar; surfaces call create_credentials",
    ),
    (
        "change_counter",
        "what the HTTP API's event stream polls; not an operation of its own",
    ),
    (
        "announce",
        "the HTTP API's events across instances; not an operation of its own",
    ),
    (
        "listen",
        "the HTTP API's events across instances; not an operation of its own",
    ),
    (
        "numbers_for",
        "the dashboard's overview beside a page of credentials (HTTP overview); surfaces have usage",
    ),
    (
        "health_for",
        "the CLI's HEALTH column beside a page of credentials; surfaces page health_list",
    ),
    (
        "health_round",
        "the monitor's transaction (sipcreds_probe::Monitor); surfaces read and steer it",
    ),
    ("health_claim", "the monitor's transaction, claiming only"),
    (
        "health_record_results",
        "the monitor's transaction, recording only",
    ),
    ("release_health_leases", "the monitor's shutdown"),
    (
        "health_state_counts",
        "the /metrics gauge of the server, across orgs; surfaces read health_list",
    ),
    (
        "authenticate_token",
        "the HTTP API's check of a request; surfaces make, list and revoke tokens",
    ),
];

/// The registry's public operations, from the core's source (every `impl Registry` of the
/// registry module's files), and the probe's.
fn operations() -> Vec<String> {
    let mut impls = String::new();
    for file in [
        "core/src/registry/mod.rs",
        "core/src/registry/tokens.rs",
        "core/src/registry/health.rs",
    ] {
        let src = read(file);
        let start = src.find("\nimpl Registry {").expect("impl Registry");
        let body = &src[start..];
        let end = body.find("\n}\n").unwrap_or(body.len());
        impls.push_str(&body[..end]);
    }
    let mut ops: Vec<String> = impls
        .lines()
        .filter_map(|l| l.strip_prefix("    pub fn "))
        .map(|l| {
            l.split(['(', '<'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .filter(|name| !NOT_OPERATIONS.iter().any(|(n, _)| n == name))
        .collect();
    ops.extend(["probe".to_owned(), "probe_all".to_owned()]);
    ops.sort();
    ops.dedup();
    ops
}

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
