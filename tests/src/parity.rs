//! The registry's operations, read from the core's source, for the parity checks of every
//! surface (tests/tests/parity.rs: Python, Node, C, uniffi, HTTP; cli/tests/parity.rs: the
//! command line).

use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Not operations of a surface: how a Rust caller builds or inspects a registry, and the
/// Rust-only spellings of operations every surface has under their own name.
pub const NOT_OPERATIONS: &[(&str, &str)] = &[
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

/// The registry's public operations, from the core's source (every `impl Registry` block of
/// every file of the registry module), and the probe's.
pub fn operations() -> Vec<String> {
    let dir = root().join("core/src/registry");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut impls = String::new();
    let mut blocks = 0;
    for file in files {
        let src = std::fs::read_to_string(&file).expect("a registry source file");
        let mut rest = src.as_str();
        while let Some(start) = rest.find("\nimpl Registry {") {
            let body = &rest[start..];
            let end = body.find("\n}\n").unwrap_or(body.len());
            impls.push_str(&body[..end]);
            rest = &body[end..];
            blocks += 1;
        }
    }
    assert!(
        blocks >= 5,
        "found {blocks} impl Registry blocks in {}",
        dir.display()
    );
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
    // The lists and their pages, declared a line each (`fn list_x / list_x_page -> Item {`).
    let lists = std::fs::read_to_string(dir.join("lists.rs")).expect("core/src/registry/lists.rs");
    let table = lists.split("\nlistings! {").nth(1).unwrap_or_default();
    let listed = table
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("fn "))
        .filter_map(|l| l.split_once(" -> ").map(|(names, _)| names))
        .flat_map(|names| names.split(" / ").map(|n| n.trim().to_owned()))
        .collect::<Vec<_>>();
    assert_eq!(
        listed.len(),
        8,
        "the lists and pages of lists.rs: {listed:?}"
    );
    ops.extend(listed);
    ops.extend(["probe".to_owned(), "probe_all".to_owned()]);
    ops.sort();
    ops.dedup();
    ops
}
