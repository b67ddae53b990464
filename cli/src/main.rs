//! The `sipcreds` command line (§11 of the spec).
//!
//! With `--json` every result is JSON on standard output and every error the §8 error JSON on
//! standard output; exit 0 on success, 1 on any error, 2 on a usage error. Without `--json`
//! the output is for people. Credential JSON (and so passwords) is only ever read from
//! standard input, never from the command line.

mod args;
mod commands;
mod input;
mod monitor;
mod output;
mod probe;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use sipcreds::{Agent, Error, ErrorCode, NumberRecord, Provider, Registry};

use output::Output;

use args::*;
use commands::*;
use input::*;

impl Command {
    /// Whether a list command asked for JSON Lines (its errors are then JSON too).
    fn jsonl(&self) -> bool {
        match self {
            Command::Credentials(CredentialsCmd::List(a))
            | Command::Numbers(NumbersCmd::List(a))
            | Command::Agents(AgentsCmd::List(a))
            | Command::Providers(ProvidersCmd::List(a))
            | Command::Health(HealthArgs { page: a, .. }) => a.jsonl,
            _ => false,
        }
    }
}

/// A location with a secret (a URL's password, a `password=` parameter) given on the command
/// line: whatever the redaction would hide is refused there.
fn password_in_argv(matches: &clap::ArgMatches) -> Option<&'static str> {
    ["db", "limiter"].into_iter().find(|name| {
        matches.value_source(name) == Some(clap::parser::ValueSource::CommandLine)
            && matches
                .get_one::<String>(name)
                .is_some_and(|v| sipcreds::redact_location(v) != *v)
    })
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, password_in_argv(&m))));
    let cli = match parsed {
        Ok((_, Some(name))) => {
            let env = if name == "db" {
                "SIPCREDS_DB"
            } else {
                "SIPCREDS_LIMITER"
            };
            eprintln!(
                "error: --{name} holds a password, which the command line shows to every user of the machine (ps); put the URL in {env} instead"
            );
            return ExitCode::from(2);
        }
        Ok((cli, None)) => cli,
        Err(e) => {
            // With --json, a usage error is the §8 error JSON too (invalid_option), exit 2.
            if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
                println!("{}", usage_error_json(&e));
                return ExitCode::from(2);
            }
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json || cli.command.jsonl();
    // The monitor's options out of range are a usage error (§13: exit 2), said as the error.
    if let Command::Monitor(args) = &cli.command
        && let Err(e) = args.options(&cli.org)
    {
        let _ = output::finish(Err(e), json);
        return ExitCode::from(2);
    }
    output::finish(run(cli), json)
}

/// A usage error as the §8 error JSON: `invalid_option`, the argument it is about as the field.
fn usage_error_json(e: &clap::Error) -> Value {
    use clap::error::{ContextKind, ContextValue};
    let field = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => Some(
            arg.split([' ', '='])
                .next()
                .unwrap_or(arg)
                .trim_start_matches('-')
                .trim_matches(['<', '>'])
                .to_ascii_lowercase()
                .replace('-', "_"),
        ),
        _ => None,
    };
    let message = e
        .render()
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join(" ");
    let message = message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned();
    json!({"error": {"code": "invalid_option", "field": field, "message": sipcreds::printable(&message, 1000)}})
}

fn open(db: &str) -> Result<Registry, Error> {
    sipcreds_open::open_registry(db, "process")
}

/// A read-only command (list, show, usage, limits, lint, probe) never creates a store: with no
/// SQLite file at the path it says so.
fn open_existing(db: &str) -> Result<Registry, Error> {
    if !sipcreds_open::is_postgres(db)
        && sipcreds::location_scheme(db).is_none()
        && !Path::new(db).exists()
    {
        return Err(Error::storage(format!(
            "there is no store at {}: a command that writes (credentials create, import) creates it; or point --db or SIPCREDS_DB at an existing one",
            sipcreds::printable(&sipcreds::redact_location(db), 200)
        )));
    }
    open(db)
}

impl Command {
    /// Whether the command only reads the store.
    fn read_only(&self) -> bool {
        matches!(
            self,
            Command::Limits
                | Command::Lint { file: None, .. }
                | Command::Lint { in_org: true, .. }
                | Command::Probe { .. }
                | Command::Credentials(
                    CredentialsCmd::List(_)
                        | CredentialsCmd::Show { .. }
                        | CredentialsCmd::Count
                        | CredentialsCmd::Usage { .. }
                )
                | Command::Numbers(NumbersCmd::List(_) | NumbersCmd::Show { .. })
                | Command::Agents(AgentsCmd::List(_) | AgentsCmd::Show { .. })
                | Command::Providers(ProvidersCmd::List(_))
                | Command::Tokens(TokensCmd::List)
                | Command::Health(HealthArgs {
                    cmd: None | Some(HealthCmd::Events { .. }),
                    ..
                })
        )
    }
}

/// The credential a command names: its id (`cred_...`), or else its exact `name` when exactly
/// one credential of the org has it (several: `invalid_option` listing their ids).
fn credential_ref(
    reg: &Registry,
    org: &str,
    given: &str,
    field: &'static str,
) -> Result<String, Error> {
    if given.starts_with("cred_") {
        return Ok(given.to_owned());
    }
    let mut matches = Vec::new();
    let mut page = sipcreds::Page::first(sipcreds::Page::MAX_LIMIT)?;
    loop {
        let p = reg.list_credentials_page(org, &page)?;
        for c in &p.items {
            if c.input.name.as_ref().is_some_and(|n| n.as_str() == given) {
                matches.push(c.id.to_string());
            }
        }
        match p.next {
            Some(next) => page = sipcreds::Page::new(sipcreds::Page::MAX_LIMIT, Some(&next))?,
            None => break,
        }
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(Error::NotFound {
            what: "credential",
            field,
            id: sipcreds::printable(given, 100),
        }),
        n => Err(Error::Invalid {
            code: ErrorCode::InvalidOption,
            field: Some(field.into()),
            message: format!(
                "{n} credentials are named {}: give one of their ids: {}",
                sipcreds::printable(given, 100),
                matches.join(", ")
            ),
        }),
    }
}

fn run(cli: Cli) -> Result<Output, Error> {
    let org = cli.org.as_str();
    let read_only = cli.command.read_only();
    let open = |db: &str| {
        if read_only {
            open_existing(db)
        } else {
            open(db)
        }
    };
    match cli.command {
        Command::Validate => validate(),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sipcreds", &mut script);
            Ok(Output::raw(script))
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Error::storage(format!("cannot render the man page: {e}")))?;
            Ok(Output::raw(page))
        }
        Command::Diagnose { symptom, reason } => {
            let d = sipcreds::diagnose(&symptom, reason.as_deref())?;
            Ok(Output::new(to_value(&d), output::diagnosis(&d)))
        }
        Command::Schema => {
            let schema = sipcreds::input_schema();
            let human = format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(Output::new(schema, human))
        }
        Command::Tokens(cmd) => tokens(&open(&cli.db)?, org, cmd),
        Command::Monitor(args) => {
            // The options are checked before the store is opened.
            args.options(org)?;
            monitor::monitor(open(&cli.db)?, org, args)
        }
        Command::Health(args) => health(&open(&cli.db)?, org, args),
        Command::Serve(args) => serve(&cli.db, cli.limiter.as_deref(), args),
        Command::Codes => {
            let list = sipcreds::list_all_errors();
            let human = output::codes(&list);
            Ok(Output::new(to_value(&list), human))
        }
        Command::Lint {
            file: Some(file),
            in_org,
        } => {
            let reg = if in_org {
                Some(open_existing(&cli.db)?)
            } else {
                None
            };
            lint_file(&file, reg.as_ref().map(|r| (r, org)))
        }
        Command::Lint { file: None, .. } => {
            let reg = open(&cli.db)?;
            let findings = reg.lint(org)?;
            let count = reg.count_credentials(org)?;
            Ok(output::findings(findings, to_value, count))
        }
        Command::Limits => Ok(Output::list(
            open(&cli.db)?.rate_groups(org)?,
            to_value,
            output::limits,
        )),
        Command::Import { file, upsert } => import(&open(&cli.db)?, org, &file, upsert),
        Command::Probe {
            id,
            all,
            concurrency,
            no_register,
            timeout,
            ca_file,
            nameserver,
            local_address,
            trace,
        } => {
            // The options are checked before the store is opened or anything is sent.
            let mut options = sipcreds_probe::ProbeOptions::default();
            if let Some(t) = timeout {
                options = options.with_timeout(sipcreds_probe::ProbeOptions::parse_timeout(&t)?)?;
            }
            if let Some(f) = ca_file {
                options = options.with_ca_file(f)?;
            }
            if let Some(ns) = nameserver {
                options.nameserver = Some(sipcreds_probe::ProbeOptions::parse_nameserver(&ns)?);
            }
            if let Some(a) = local_address {
                options.local_address =
                    Some(sipcreds_probe::ProbeOptions::parse_local_address(&a)?);
            }
            if no_register {
                options.register = Some(false);
            }
            options.trace = trace;
            let reg = open(&cli.db)?;
            match id {
                Some(id) if !all => {
                    let id = credential_ref(&reg, org, &id, "id")?;
                    probe::one(&reg, org, &id, options)
                }
                _ => probe::all(&reg, org, concurrency, options),
            }
        }
        Command::Acquire {
            credential_id,
            max_wait,
        } => {
            let credential_id = if credential_id.starts_with("cred_") {
                credential_id
            } else {
                credential_ref(
                    &open_existing(&cli.db)?,
                    org,
                    &credential_id,
                    "credential_id",
                )?
            };
            let max_wait = max_wait
                .map(|secs| Registry::wait_option("max_wait", secs, 1.0))
                .transpose()?;
            acquire(
                &cli.db,
                cli.limiter.as_deref(),
                org,
                &credential_id,
                max_wait,
            )
        }
        Command::Credentials(cmd) => credentials(&open(&cli.db)?, org, cmd),
        Command::Numbers(cmd) => numbers(&open(&cli.db)?, org, cmd),
        Command::Agents(cmd) => agents(&open(&cli.db)?, org, cmd),
        Command::Providers(cmd) => providers(&open(&cli.db)?, org, cmd),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and every argument says what it is for in --help.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "sipcreds", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }
}
