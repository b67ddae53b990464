//! The command line has every operation of the registry (read from the core's source by
//! `sipcreds_conformance::parity::operations`): each has its command here, checked by running
//! `sipcreds COMMAND --help` (and finding its flag where the operation is a flag), or the
//! reason it has none. A new operation added to the core fails this test until it has one.

use std::process::Command;

use sipcreds_conformance::parity::operations;

/// A command: the words after `sipcreds`, and the flag that selects the operation (if any).
type Spelling = (&'static [&'static str], Option<&'static str>);

/// Each operation's command, or why the command line has none.
const CLI: &[(&str, Result<Spelling, &str>)] = &[
    ("acquire", Ok((&["acquire"], Some("--max-wait")))),
    ("assign_number", Ok((&["agents", "assign"], None))),
    ("connect_provider", Ok((&["providers", "connect"], None))),
    ("count_credentials", Ok((&["credentials", "count"], None))),
    ("create_agent", Ok((&["agents", "create"], None))),
    ("create_credential", Ok((&["credentials", "create"], None))),
    ("create_credentials", Ok((&["import"], None))),
    ("create_token", Ok((&["tokens", "create"], None))),
    ("delete_agent", Ok((&["agents", "delete"], None))),
    ("delete_credential", Ok((&["credentials", "delete"], None))),
    ("delete_number", Ok((&["numbers", "delete"], None))),
    ("delete_provider", Ok((&["providers", "delete"], None))),
    ("get_agent", Ok((&["agents", "show"], None))),
    ("get_credential", Ok((&["credentials", "show"], None))),
    ("get_number", Ok((&["numbers", "show"], None))),
    ("health", Ok((&["health"], None))),
    ("health_events", Ok((&["health", "events"], None))),
    ("health_list", Ok((&["health"], Some("--limit")))),
    ("link_number", Ok((&["numbers", "link"], None))),
    ("lint", Ok((&["lint"], None))),
    ("lint_input", Ok((&["lint"], Some("--in-org")))),
    ("list_agents", Ok((&["agents", "list"], None))),
    (
        "list_agents_page",
        Ok((&["agents", "list"], Some("--after"))),
    ),
    ("list_credentials", Ok((&["credentials", "list"], None))),
    (
        "list_credentials_page",
        Ok((&["credentials", "list"], Some("--after"))),
    ),
    ("list_numbers", Ok((&["numbers", "list"], None))),
    (
        "list_numbers_page",
        Ok((&["numbers", "list"], Some("--after"))),
    ),
    ("list_providers", Ok((&["providers", "list"], None))),
    (
        "list_providers_page",
        Ok((&["providers", "list"], Some("--after"))),
    ),
    ("list_tokens", Ok((&["tokens", "list"], None))),
    ("pause", Ok((&["health", "pause"], None))),
    ("probe", Ok((&["probe"], None))),
    ("probe_all", Ok((&["probe"], Some("--all")))),
    ("rate_groups", Ok((&["limits"], None))),
    (
        "reserve",
        Err(
            "a booking is for a caller that then sleeps until its slot; a command cannot hand \
             the sleep to its caller, so `acquire --max-wait` books and waits itself",
        ),
    ),
    ("resume", Ok((&["health", "resume"], None))),
    ("revoke_token", Ok((&["tokens", "revoke"], None))),
    ("try_acquire", Ok((&["acquire"], None))),
    ("unassign_number", Ok((&["agents", "unassign"], None))),
    ("unlink_number", Ok((&["numbers", "unlink"], None))),
    ("update_credential", Ok((&["credentials", "update"], None))),
    ("usage", Ok((&["credentials", "usage"], None))),
];

fn help(words: &[&str]) -> Result<String, String> {
    let out = Command::new(sipcreds_conformance::cli_bin(env!(
        "CARGO_BIN_EXE_sipcreds"
    )))
    .args(words)
    .arg("--help")
    .env("NO_COLOR", "1")
    .output()
    .expect("run sipcreds");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_command_line_has_every_operation_or_says_why_not() {
    let ops = operations();
    let mut problems = Vec::new();
    for op in &ops {
        match CLI.iter().find(|(name, _)| name == op) {
            None => problems.push(format!(
                "{op}: not in the CLI table (its command, or why none)"
            )),
            Some((_, Err(_))) => {}
            Some((_, Ok((words, flag)))) => match help(words) {
                Err(e) => problems.push(format!(
                    "{op}: `sipcreds {} --help` failed: {e}",
                    words.join(" ")
                )),
                Ok(text) => {
                    if let Some(flag) = flag
                        && !text.contains(flag)
                    {
                        problems.push(format!(
                            "{op}: `sipcreds {}` has no {flag}",
                            words.join(" ")
                        ));
                    }
                }
            },
        }
    }
    for (name, _) in CLI {
        if !ops.iter().any(|op| op == name) {
            problems.push(format!("{name}: in the CLI table but not an operation"));
        }
    }
    assert!(
        problems.is_empty(),
        "CLI parity:\n  {}",
        problems.join("\n  ")
    );
}

/// The help of a missing command fails, so the check above can fail.
#[test]
fn a_missing_command_fails_the_check() {
    assert!(help(&["numbers", "no-such-command"]).is_err());
    assert!(!help(&["acquire"]).unwrap().contains("--no-such-flag"));
}
