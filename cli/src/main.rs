//! The `sipcreds` command line (§11 of the spec).
//!
//! With `--json` every result is JSON on standard output and every error the §8 error JSON on
//! standard output; exit 0 on success, 1 on any error, 2 on a usage error. Without `--json`
//! the output is for people. Credential JSON (and so passwords) is only ever read from
//! standard input, never from the command line.

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

/// SIP trunk credentials: validate, store, link, lint and troubleshoot.
#[derive(Debug, Parser)]
#[command(name = "sipcreds", version, about, long_about = None)]
struct Cli {
    /// The store: a SQLite file (its key is SIPCREDS_KEY, or the .key file beside it), or
    /// PostgreSQL as a postgres:// URL or a libpq "host=… dbname=…" string (key in
    /// SIPCREDS_KEY). A location with a password goes in SIPCREDS_DB, not on the command line,
    /// where every user of the machine can read it.
    ///
    /// PostgreSQL TLS by sslmode (or PGSSLMODE): not written = prefer for a host on this
    /// machine, verify-full for any other; disable = plaintext; prefer = TLS if offered,
    /// unchecked; require and verify-ca = TLS, the chain checked (require is stricter than
    /// libpq's); verify-full = the chain and the host name. sslrootcert=FILE (or
    /// PGSSLROOTCERT) is the CA, else the system's roots. PGPASSWORD is read too; other PG*
    /// variables are ignored.
    #[arg(
        long,
        env = "SIPCREDS_DB",
        default_value = "sipcreds.db",
        global = true
    )]
    db: String,
    /// Where `acquire` keeps admissions: "file" (the SQLite file; the default there) or a
    /// redis:// URL shared by every instance (needed with PostgreSQL), with
    /// ?fallback=refuse|local:N. For TLS, rediss://host:port/ checked against the system's
    /// roots, or ?cafile=PATH for a CA of your own.
    #[arg(long, env = "SIPCREDS_LIMITER", global = true)]
    limiter: Option<String>,
    /// The organization (tenant).
    #[arg(long, env = "SIPCREDS_ORG", default_value = "default", global = true)]
    org: String,
    /// Print results as JSON and errors as the error JSON, both on standard output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate credential JSON from standard input and print its normalized form.
    Validate,
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell):
    /// e.g. `sipcreds completions bash > /etc/bash_completion.d/sipcreds`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `sipcreds man > sipcreds.1`.
    #[command(hide = true)]
    Man,
    /// Credentials: create and update read their JSON from standard input.
    #[command(subcommand)]
    Credentials(CredentialsCmd),
    /// Phone numbers and their links to credentials.
    #[command(subcommand)]
    Numbers(NumbersCmd),
    /// Agents and the numbers they use.
    #[command(subcommand)]
    Agents(AgentsCmd),
    /// Providers that own read-only credentials.
    #[command(subcommand)]
    Providers(ProvidersCmd),
    /// Rate groups: key, members, effective CPS limit.
    Limits,
    /// One try_acquire on the credential's rate group: exit 0 admitted, 3 rejected. With
    /// --max-wait, the next free slot is booked and waited for when it comes within that
    /// many seconds (exit 0 when the slot came), else nothing is booked (exit 3).
    ///
    /// The admission state lives in the database file, so every process using it shares
    /// one budget per group.
    Acquire {
        /// The credential: its id, or its exact name when unique in the org.
        credential_id: String,
        /// Wait up to this many seconds (0 to 3600, fractions allowed) for a slot instead of
        /// answering at once.
        #[arg(long, value_name = "SECONDS")]
        max_wait: Option<f64>,
    },
    /// Lint findings for the org's credentials, or for a file of inputs (JSON array or JSON Lines).
    Lint {
        /// The file; `-` for standard input. Without it, the org's stored credentials.
        file: Option<PathBuf>,
        /// Lint each input of the file as it would be once saved in the org (its cpsKey group
        /// with the org's stored credentials), instead of the inputs among themselves.
        #[arg(long, requires = "file")]
        in_org: bool,
    },
    /// Likely causes and fixes for a SIP status (401, 503, ...) or a transport symptom.
    Diagnose {
        /// 401, 403, 404, 407, 408, 480, 486, 488, 500, 502, 503, 504, 603, timeout,
        /// connection_refused, connection_closed, tls_handshake_failed, dns_failure, calls_dropping,
        /// domain_mismatch.
        symptom: String,
        /// The reason phrase the provider sent, e.g. "User channel limit exceeded".
        #[arg(long)]
        reason: Option<String>,
    },
    /// Import a JSON array or JSON Lines of credential inputs, all or nothing. A line whose
    /// name a credential of the org already has is a conflict, unless --upsert.
    Import {
        /// The file; `-` for standard input.
        file: PathBuf,
        /// Update the credential of the same name (the fields the line gives; the others are
        /// kept) instead of refusing the line; lines with a new name are created.
        #[arg(long)]
        upsert: bool,
    },
    /// List every error code with its number and meaning.
    Codes,
    /// Tokens of the HTTP API (`serve`): each belongs to the org and has a role.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Probe the org's credentials on a schedule and keep each one's health (§13): up,
    /// degraded, down (after --down-after hard failures), rejected (credentials refused: not
    /// probed again until changed or resumed), paused. Each transition is a line (JSON Lines
    /// with --json) until SIGTERM or Ctrl-C. Several monitors may share a store: each
    /// credential is probed by one at a time.
    Monitor(monitor::MonitorArgs),
    /// The health records the monitor keeps: every credential's, or one's; `health pause ID`,
    /// `health resume ID`, `health events ID`.
    Health(HealthArgs),
    /// Run the HTTP API on the store (--db) until SIGTERM or Ctrl-C: every org of the store,
    /// each caller's token deciding which. See docs/http.md.
    Serve(ServeArgs),
    /// Print the JSON Schema (2020-12) of a credential input, for a UI's form check.
    Schema,
    /// The live probe: resolve, connect, OPTIONS, and a REGISTER binding query (no Contact:
    /// nothing is registered) answering one digest challenge; the outcome, the failing step
    /// and the fix. Exit 0 for ok and reachable, 4 for any other outcome.
    Probe {
        /// The credential to probe: its id, or its exact name when unique in the org.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Probe every credential of the org (JSON Lines with --json, else a summary table).
        #[arg(long)]
        all: bool,
        /// How many probes run at once with --all.
        #[arg(long, default_value_t = 16, requires = "all")]
        concurrency: usize,
        /// Send OPTIONS only, not the REGISTER binding query.
        #[arg(long)]
        no_register: bool,
        /// The budget of one whole probe, in seconds (0.1 to 60; default 5).
        #[arg(long)]
        timeout: Option<String>,
        /// Verify TLS against the CA certificates of this PEM file (instead of the bundled
        /// Mozilla roots and the system's store).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Ask this nameserver (ip:port) instead of the system's resolver.
        #[arg(long)]
        nameserver: Option<String>,
        /// Bind the probe's sockets to this local IP.
        #[arg(long)]
        local_address: Option<String>,
        /// Show every message sent and received (digest response, nonce and cnonce
        /// redacted); with --json, the report's "trace".
        #[arg(long)]
        trace: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokensCmd {
    /// Make a token of the org; it is printed once (alone on its line; with --json, as
    /// "token") and stored only as its SHA-256.
    Create {
        /// read: every read, validate, lint, diagnose; write: everything of the org.
        #[arg(long, value_parser = ["read", "write"], default_value = "read")]
        role: String,
        /// A name to tell it by in `tokens list` (1-100 characters).
        #[arg(long)]
        name: Option<String>,
    },
    /// List the org's tokens: id, name, role, created, last used (never a token itself).
    List,
    /// End a token at once, on every server sharing the store.
    Revoke {
        /// The token's id (tok_..., from `tokens list`), not the token.
        id: String,
    },
}

/// `health`'s arguments: a subcommand, or a credential, or neither (every record).
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct HealthArgs {
    #[command(subcommand)]
    cmd: Option<HealthCmd>,
    /// The credential: its id, or its exact name when unique in the org. Without it, every
    /// credential's record.
    id: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

#[derive(Debug, Subcommand)]
enum HealthCmd {
    /// Stop probing a credential (paused until resumed).
    Pause {
        /// The credential: its id, or its exact name when unique in the org.
        id: String,
    },
    /// Probe a paused or rejected credential again (unknown, probed within 5 s by a running
    /// monitor).
    Resume {
        /// The credential: its id, or its exact name when unique in the org.
        id: String,
    },
    /// A credential's last transitions (up to 100), oldest first.
    Events {
        /// The credential: its id, or its exact name when unique in the org.
        id: String,
    },
}

/// `serve`'s options.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: std::net::SocketAddr,
    /// Serve TLS with this PEM certificate chain (with --tls-key; SIGHUP reloads both).
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Serve /metrics on this address instead of --listen.
    #[arg(long, value_name = "ADDR:PORT")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// One log line per request on standard error, as text or JSON.
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    log_format: String,
    /// Do not run the health monitor (§13) in this server (another process runs it, or none).
    #[arg(long)]
    no_monitor: bool,
    /// The monitor's interval between probes of a credential, in seconds (10 to 3600).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    monitor_interval: u64,
    /// Requests per second per token (token buckets, bursts of twice as many).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    token_rate: u32,
}

/// One page of a list (SPEC §5) instead of the whole list.
#[derive(Debug, clap::Args)]
struct PageArgs {
    /// Only one page, of at most N items (1-1000); the JSON is then {"items": [...], "next"}.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// The page after this cursor: the "next" of the previous page (1000 items without --limit).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// The whole list as JSON Lines: one compact object per line, written as the pages are
    /// read (errors as with --json).
    #[arg(long, conflicts_with_all = ["limit", "after"])]
    jsonl: bool,
}

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

/// A list command: one page when `--limit`/`--after` ask for it (`{"items", "next"}`), else
/// the whole list read a page at a time (its JSON array written as the pages come, so memory
/// stays bounded however long the list).
fn list_output<T: 'static>(
    args: PageArgs,
    page: impl Fn(&sipcreds::Page) -> Result<sipcreds::Paged<T>, Error> + 'static,
    to_json: fn(&T) -> Value,
    table: fn(&[T], &mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Output, Error> {
    use sipcreds::Page;
    if let Some(one) = Page::from_options(args.limit, args.after.as_deref())? {
        let p = page(&one)?;
        let json = json!({
            "items": p.items.iter().map(to_json).collect::<Vec<_>>(),
            "next": p.next,
        });
        let mut human = Vec::new();
        table(&p.items, &mut human).map_err(|e| Error::storage(e.to_string()))?;
        if let Some(next) = &p.next {
            human.extend_from_slice(format!("next: {next}\n").as_bytes());
        }
        return Ok(Output::new(
            json,
            String::from_utf8_lossy(&human).into_owned(),
        ));
    }
    // The first page now: its errors (a bad org) are the command's own.
    let first = page(&Page::first(Page::MAX_LIMIT)?)?;
    Ok(Output::paged_list(
        first,
        move |after| page(&Page::new(Page::MAX_LIMIT, Some(after))?),
        to_json,
        table,
        args.jsonl,
    ))
}

/// A credential's fields as flags (the password is never a flag).
#[derive(Debug, Default, clap::Args)]
struct FieldArgs {
    /// A label, unique or not (1-64 characters); commands that take an ID also take it.
    #[arg(long)]
    name: Option<String>,
    /// The trunk's SIP server: host or IP, optional :port, no scheme.
    #[arg(long)]
    server: Option<String>,
    /// udp (default), tcp or tls.
    #[arg(long)]
    transport: Option<String>,
    /// The digest user; the password is then asked for without echo on a terminal, or read
    /// from the first line of standard input with --password-stdin.
    #[arg(long)]
    auth_user: Option<String>,
    /// The SIP domain (the realm), when it is not the server's host.
    #[arg(long)]
    domain: Option<String>,
    /// The calls per second the provider allows (1-10000; none: unlimited).
    #[arg(long, value_name = "N")]
    cps_limit: Option<String>,
    /// Share the limit with the other credentials of this key.
    #[arg(long, value_name = "KEY")]
    cps_key: Option<String>,
    /// Read the password from the first line of standard input (for scripts).
    #[arg(long)]
    password_stdin: bool,
}

impl FieldArgs {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.server.is_some()
            || self.transport.is_some()
            || self.auth_user.is_some()
            || self.domain.is_some()
            || self.cps_limit.is_some()
            || self.cps_key.is_some()
            || self.password_stdin
    }
}

/// Fields an update may clear.
#[derive(Debug, Default, clap::Args)]
struct ClearArgs {
    /// Remove the name.
    #[arg(long)]
    clear_name: bool,
    /// Remove authUser and authPassword (the trunk authenticates by IP).
    #[arg(long)]
    clear_auth: bool,
    /// Remove the domain (the realm is then the server's host).
    #[arg(long)]
    clear_domain: bool,
    /// Remove the CPS limit (unlimited).
    #[arg(long)]
    clear_cps_limit: bool,
    /// Remove the cpsKey (the credential limits alone).
    #[arg(long)]
    clear_cps_key: bool,
}

#[derive(Debug, Subcommand)]
enum CredentialsCmd {
    /// Create a credential: from flags (--server ..., the password asked for without echo or
    /// read with --password-stdin), or from the JSON on standard input.
    Create(FieldArgs),
    /// List the org's credentials (every one, read a page at a time; or one page).
    List(PageArgs),
    /// Show one credential.
    Show {
        /// Its id, or its exact name when unique in the org.
        id: String,
    },
    /// How many credentials the org has.
    Count,
    /// What uses a credential: numbers, and agents through them.
    Usage {
        /// Its id, or its exact name when unique in the org.
        id: String,
    },
    /// Change a credential: from flags (and --clear-*), or the patch JSON on standard input
    /// (which may carry "expectedVersion").
    Update {
        /// Its id, or its exact name when unique in the org.
        id: String,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        clear: ClearArgs,
    },
    /// Delete a credential; in use, it is refused unless --force (which unlinks its numbers).
    Delete {
        /// Its id, or its exact name when unique in the org.
        id: String,
        /// Unlink its numbers and delete it anyway.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum NumbersCmd {
    /// Link a number (created if new) to a credential; re-linking moves it.
    Link {
        /// The number, E.164 (+14155550100).
        number: String,
        /// The credential: its id, or its exact name when unique in the org.
        credential_id: String,
    },
    /// Show a number and the credential it is linked to.
    Show {
        /// The number, E.164.
        number: String,
    },
    /// Unlink a number from its credential.
    Unlink {
        /// The number, E.164.
        number: String,
    },
    /// Delete a number (also from every agent).
    Delete {
        /// The number, E.164.
        number: String,
    },
    /// List the org's numbers (every one, read a page at a time; or one page).
    List(PageArgs),
}

#[derive(Debug, Subcommand)]
enum AgentsCmd {
    /// Create an agent.
    Create {
        /// The agent's name (1-64 characters).
        name: String,
    },
    /// Give an agent an existing number.
    Assign {
        /// The agent's id (agt_...).
        agent_id: String,
        /// The number, E.164.
        number: String,
    },
    /// Take a number from an agent.
    Unassign {
        /// The agent's id (agt_...).
        agent_id: String,
        /// The number, E.164.
        number: String,
    },
    /// Show an agent and its numbers.
    Show {
        /// The agent's id (agt_...).
        agent_id: String,
    },
    /// Delete an agent.
    Delete {
        /// The agent's id (agt_...).
        agent_id: String,
    },
    /// List the org's agents (every one, read a page at a time; or one page).
    List(PageArgs),
}

#[derive(Debug, Subcommand)]
enum ProvidersCmd {
    /// Connect a provider; its credentials are a JSON array on standard input.
    Connect {
        /// The provider's kind (twilio, telnyx, ...).
        kind: String,
        /// A name for this connection.
        name: String,
    },
    /// List the org's providers (every one, read a page at a time; or one page).
    List(PageArgs),
    /// Delete a provider with its credentials.
    Delete {
        /// The provider's id (prv_...).
        id: String,
    },
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

/// The password of a create or update from flags: the first line of standard input with
/// --password-stdin, else asked for without echo when standard input is a terminal.
fn password(fields: &FieldArgs) -> Result<Option<zeroize::Zeroizing<String>>, Error> {
    use std::io::IsTerminal;
    if fields.password_stdin {
        let mut line = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
        let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        return Ok(Some(trimmed));
    }
    if fields.auth_user.is_some() && std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("authPassword (not shown): ")
            .map_err(|e| Error::storage(format!("cannot read the password: {e}")))?;
        return Ok(Some(zeroize::Zeroizing::new(p)));
    }
    Ok(None)
}

/// `credentials create` on a terminal with neither flags nor piped JSON: each field asked for
/// with its rule and default (from the input's JSON Schema, the one the core checks against),
/// the password without echo; then the whole credential checked, and a field the core refuses
/// asked for again with the error's fix, until it validates.
fn interactive_input() -> Result<zeroize::Zeroizing<String>, Error> {
    const ORDER: [&str; 8] = [
        "server",
        "transport",
        "name",
        "authUser",
        "authPassword",
        "domain",
        "cpsLimit",
        "cpsKey",
    ];
    let schema = sipcreds::input_schema();
    let mut values = serde_json::Map::new();
    let ask = |field: &str, values: &mut serde_json::Map<String, Value>| -> Result<(), Error> {
        let prop = &schema["properties"][field];
        // The rule: the schema's description up to its first ";" (what follows is about
        // updates), with the range of a number.
        let description = prop["description"].as_str().unwrap_or("");
        let mut rule = description
            .split(';')
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_owned();
        if let (Some(lo), Some(hi)) = (prop["minimum"].as_u64(), prop["maximum"].as_u64()) {
            rule.push_str(&format!(", {lo}-{hi}; empty: none"));
        }
        match field {
            "server" => rule.push_str("; required"),
            "authPassword" => rule.push_str(", not shown as you type"),
            _ => {}
        }
        let default = match &prop["default"] {
            Value::Null => String::new(),
            Value::String(d) => format!(" [{d}]"),
            d => format!(" [{d}]"),
        };
        let prompt = format!("{field}{default} ({rule}): ");
        let answer = if field == "authPassword" {
            zeroize::Zeroizing::new(
                rpassword::prompt_password(&prompt)
                    .map_err(|e| Error::storage(format!("cannot read the password: {e}")))?,
            )
        } else {
            eprint!("{prompt}");
            let mut line = zeroize::Zeroizing::new(String::new());
            let n = std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
            if n == 0 {
                return Err(Error::Invalid {
                    code: ErrorCode::InvalidOption,
                    field: Some(field.to_owned().into()),
                    message: "standard input ended before the credential was complete; nothing was created".into(),
                });
            }
            zeroize::Zeroizing::new(line.trim().to_owned())
        };
        if answer.is_empty() {
            values.remove(field);
        } else if field == "cpsLimit" {
            let v = answer
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(answer.to_string()));
            values.insert(field.to_owned(), v);
        } else {
            values.insert(field.to_owned(), Value::String(answer.to_string()));
        }
        Ok(())
    };
    eprintln!(
        "A new credential, field by field (an empty answer keeps the default or leaves the field out):"
    );
    for field in ORDER {
        if field == "authPassword" && !values.contains_key("authUser") {
            continue;
        }
        ask(field, &mut values)?;
    }
    for _ in 0..20 {
        let text = zeroize::Zeroizing::new(
            serde_json::to_string(&Value::Object(values.clone())).unwrap_or_default(),
        );
        match sipcreds::CredentialInput::from_json(&text) {
            Ok(_) => return Ok(text),
            Err(e) => {
                let field = e
                    .field()
                    .filter(|f| ORDER.contains(f))
                    .unwrap_or("server")
                    .to_owned();
                eprintln!("  {}: {}", e.code(), e);
                ask(&field, &mut values)?;
                // A user given without a password (or the reverse): ask for the other too.
                if e.code() == ErrorCode::IncompleteAuth {
                    let other = if field == "authUser" {
                        "authPassword"
                    } else {
                        "authUser"
                    };
                    ask(other, &mut values)?;
                }
            }
        }
    }
    Err(Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: None,
        message: "too many invalid answers; nothing was created".into(),
    })
}

/// The §3 JSON object of the flags (and the cleared fields, as null).
fn fields_json(fields: &FieldArgs, clear: &ClearArgs) -> Result<zeroize::Zeroizing<String>, Error> {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::String(v.clone()));
        }
    };
    put("name", &fields.name);
    put("server", &fields.server);
    put("transport", &fields.transport);
    put("authUser", &fields.auth_user);
    put("domain", &fields.domain);
    put("cpsKey", &fields.cps_key);
    if let Some(n) = &fields.cps_limit {
        // A number when it is one; otherwise the text, for the core to refuse with its fix.
        let v = n
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(n.clone()));
        m.insert("cpsLimit".into(), v);
    }
    for (on, keys) in [
        (clear.clear_name, &["name"][..]),
        (clear.clear_auth, &["authUser", "authPassword"][..]),
        (clear.clear_domain, &["domain"][..]),
        (clear.clear_cps_limit, &["cpsLimit"][..]),
        (clear.clear_cps_key, &["cpsKey"][..]),
    ] {
        if on {
            for k in keys {
                m.insert((*k).to_owned(), Value::Null);
            }
        }
    }
    if let Some(p) = password(fields)? {
        m.insert("authPassword".into(), Value::String(p.to_string()));
    }
    Ok(zeroize::Zeroizing::new(
        serde_json::to_string(&Value::Object(m)).unwrap_or_default(),
    ))
}

/// `sipcreds health`.
fn health(reg: &Registry, org: &str, args: HealthArgs) -> Result<Output, Error> {
    match (args.cmd, args.id) {
        (Some(HealthCmd::Pause { id }), _) => {
            let r = reg.pause(org, &credential_ref(reg, org, &id, "id")?)?;
            Ok(Output::new(r.to_json(), monitor::health_one(&r)))
        }
        (Some(HealthCmd::Resume { id }), _) => {
            let r = reg.resume(org, &credential_ref(reg, org, &id, "id")?)?;
            Ok(Output::new(r.to_json(), monitor::health_one(&r)))
        }
        (Some(HealthCmd::Events { id }), _) => {
            let events = reg.health_events(org, &credential_ref(reg, org, &id, "id")?)?;
            let human = monitor::events_text(&events);
            Ok(Output::new(
                Value::Array(events.iter().map(sipcreds::HealthEvent::to_json).collect()),
                human,
            ))
        }
        (None, Some(id)) => {
            let r = reg.health(org, &credential_ref(reg, org, &id, "id")?)?;
            Ok(Output::new(r.to_json(), monitor::health_one(&r)))
        }
        (None, None) => {
            // Each page of credentials with its records (the same order and cursor as
            // health_list, whose records it answers), so that the table can name them.
            let (reg, org) = (reg.clone(), org.to_owned());
            list_output(
                args.page,
                move |p| {
                    let page = reg.list_credentials_page(&org, p)?;
                    let records = reg.health_for(&org, &page.items)?;
                    Ok(sipcreds::Paged {
                        items: page
                            .items
                            .iter()
                            .map(|c| c.input.name.as_ref().map(|n| n.as_str().to_owned()))
                            .zip(records)
                            .collect(),
                        next: page.next,
                    })
                },
                |(_, r)| r.to_json(),
                monitor::health_table,
            )
        }
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

/// Read standard input whole, bounded a little above `limit` so a huge stream is not
/// buffered only to be refused.
fn read_stdin(limit: Option<usize>) -> Result<String, Error> {
    let mut buf = Vec::new();
    let stdin = std::io::stdin().lock();
    let read = match limit {
        Some(max) => stdin.take(max as u64 + 1).read_to_end(&mut buf),
        None => {
            let mut s = stdin;
            s.read_to_end(&mut buf)
        }
    };
    read.map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
    String::from_utf8(buf).map_err(|_| Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: "standard input is not UTF-8 text".into(),
    })
}

fn read_file_or_stdin(file: &Path) -> Result<String, Error> {
    if file.as_os_str() == "-" {
        return read_stdin(None);
    }
    std::fs::read_to_string(file).map_err(|e| Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: Some("file".into()),
        message: format!("cannot read {}: {e}", file.display()),
    })
}

fn tokens(reg: &Registry, org: &str, cmd: TokensCmd) -> Result<Output, Error> {
    match cmd {
        TokensCmd::Create { role, name } => {
            let role = sipcreds::Role::parse(&role, "role")?;
            let t = reg.create_token(org, role, name.as_deref())?;
            let json = t.to_json();
            let id = t.info.id.to_string();
            Ok(Output::stream(move |w, as_json| {
                if as_json {
                    return writeln!(w, "{json}");
                }
                writeln!(w, "{}", json["token"].as_str().unwrap_or_default())?;
                eprintln!(
                    "\nThe token above ({id}, role {}) is shown once; keep it in a secret store.\n\
                     Use it as \"Authorization: Bearer <token>\" with `sipcreds serve`, or sign in to the dashboard with it.\n\
                     End it with `sipcreds tokens revoke {id}`.",
                    json["role"].as_str().unwrap_or_default()
                );
                Ok(())
            }))
        }
        TokensCmd::List => Ok(Output::list(
            reg.list_tokens(org)?,
            |t: &sipcreds::TokenInfo| t.to_json(),
            output::tokens,
        )),
        TokensCmd::Revoke { id } => {
            let t = reg.revoke_token(org, &id)?;
            let human = format!("revoked {}\n", t.id);
            Ok(Output::new(t.to_json(), human))
        }
    }
}

/// The limiter of a command that decides on calls: one every process shares (`file` by
/// default on SQLite; PostgreSQL needs Redis).
fn shared_limiter<'a>(db: &str, limiter: Option<&'a str>, what: &str) -> Result<&'a str, Error> {
    match limiter {
        Some("process" | "memory") | None if sipcreds_open::is_postgres(db) => {
            Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: format!(
                    "{what} needs a limiter every process shares: with PostgreSQL, give --limiter redis://host:port (or SIPCREDS_LIMITER)"
                ),
            })
        }
        Some("process" | "memory") => Err(Error::Invalid {
            code: ErrorCode::InvalidOption,
            field: Some("limiter".into()),
            message: format!(
                "{what} needs a limiter every process shares: \"file\" or a redis:// URL"
            ),
        }),
        Some(l) => Ok(l),
        None => Ok("file"),
    }
}

fn serve(db: &str, limiter: Option<&str>, args: ServeArgs) -> Result<Output, Error> {
    let limiter = shared_limiter(db, limiter, "serve")?;
    let registry = sipcreds_open::open_registry(db, limiter)?;
    // A store that keeps no tokens cannot serve: say so before listening.
    registry.list_tokens("default")?;
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false);
    let _ = if args.log_format == "json" {
        tracing::subscriber::set_global_default(subscriber.json().flatten_event(true).finish())
    } else {
        tracing::subscriber::set_global_default(subscriber.finish())
    };
    let failed = |what: &str, e: &dyn std::fmt::Display| Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: Some(what.to_owned().into()),
        message: format!("{what}: {e}"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::storage(format!("cannot start the runtime: {e}")))?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(sipcreds_server::TlsFiles { cert, key }),
        _ => None,
    };
    let options = sipcreds_server::Options {
        tls: tls.is_some(),
        token_rate: args.token_rate,
        token_burst: args.token_rate.saturating_mul(2),
        metrics: args.metrics_listen.is_none(),
    };
    sipcreds_server::install_metrics();
    // The last reference to the store is dropped here, after the runtime: PostgreSQL's
    // synchronous client cannot be dropped on a runtime's thread.
    let keep = registry.clone();
    let monitor = if args.no_monitor {
        None
    } else {
        let options = sipcreds_probe::MonitorOptions {
            interval: std::time::Duration::from_secs(args.monitor_interval),
            ..Default::default()
        };
        Some(sipcreds_probe::Monitor::new(registry.clone(), options)?)
    };
    let serve_options = sipcreds_server::ServeOptions {
        tls,
        ..Default::default()
    };
    runtime.block_on(async move {
        // Every org of the store is watched; its transitions go to the event stream.
        let (app, running) = match &monitor {
            Some(m) => {
                let app = sipcreds_server::router_with_monitor(registry, options, m);
                let m = m.clone();
                (app, Some(tokio::spawn(async move { m.run().await })))
            }
            None => (sipcreds_server::router(registry, options), None),
        };
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| failed("listen", &e))?;
        if let Some(addr) = args.metrics_listen {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| failed("metrics-listen", &e))?;
            let metrics = sipcreds_server::metrics_router();
            tokio::spawn(async move {
                let _ =
                    sipcreds_server::serve(l, metrics, Default::default(), std::future::pending())
                        .await;
            });
        }
        let local = listener.local_addr().map_err(|e| failed("listen", &e))?;
        eprintln!(
            "sipcreds serve: listening on {}://{local}/v1 (store {})",
            if serve_options.tls.is_some() {
                "https"
            } else {
                "http"
            },
            sipcreds::redact_location(db)
        );
        let served = sipcreds_server::serve(listener, app, serve_options, shutdown_signal())
            .await
            .map_err(|e| failed("listen", &e));
        // The monitor's probes in flight end and are recorded; its leases are released.
        if let (Some(m), Some(running)) = (&monitor, running) {
            m.stop();
            if let Ok(Err(e)) = running.await {
                eprintln!("sipcreds serve: the monitor stopped: {e}");
            }
        }
        served
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    drop(keep);
    Ok(Output::new(
        json!({"stopped": true}),
        "sipcreds serve: stopped\n".into(),
    ))
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

fn acquire(
    db: &str,
    limiter: Option<&str>,
    org: &str,
    id: &str,
    max_wait: Option<std::time::Duration>,
) -> Result<Output, Error> {
    // Each run of the command is a new process: its limiter must be shared to mean anything.
    let limiter = match limiter {
        Some("process" | "memory") | None if sipcreds_open::is_postgres(db) => {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: "acquire needs a limiter every process shares: with PostgreSQL, give --limiter redis://host:port (or SIPCREDS_LIMITER)".into(),
            });
        }
        Some("process" | "memory") => {
            return Err(Error::Invalid {
                code: ErrorCode::InvalidOption,
                field: Some("limiter".into()),
                message: "acquire needs a limiter every process shares: \"file\" or a redis:// URL"
                    .into(),
            });
        }
        Some(l) => l,
        None => "file",
    };
    let reg = sipcreds_open::open_registry(db, limiter)?;
    let limiter = reg.limiter();
    let decision = match max_wait {
        Some(max_wait) => reg.acquire(org, id, max_wait)?,
        None => reg.try_acquire(org, id)?,
    };
    let mut json = decision.to_json();
    json["group"] = limiter.group_key_of(org, id)?.into();
    json["limit"] = limiter.limit_of(org, id)?.into();
    if let sipcreds::Decision::Admitted { at, .. } = decision {
        json["atUnixNanos"] = at.into();
    }
    let human = match decision {
        sipcreds::Decision::Admitted { wait, .. } if !wait.is_zero() => format!(
            "admitted after {} ms ({})\n",
            json["waitMs"],
            json["group"].as_str().unwrap_or("")
        ),
        sipcreds::Decision::Admitted { .. } => {
            format!("admitted ({})\n", json["group"].as_str().unwrap_or(""))
        }
        sipcreds::Decision::Rejected { .. } => {
            format!(
                "rejected: the group is at its limit; retry after {} ms\n",
                json["retryAfterMs"]
            )
        }
    };
    let mut out = Output::new(json, human);
    if !decision.is_admitted() {
        out.exit = 3;
    }
    Ok(out)
}

fn validate() -> Result<Output, Error> {
    let body = read_stdin(Some(sipcreds::MAX_BODY_BYTES))?;
    let input = sipcreds::CredentialInput::from_json(&body)?;
    let normalized = input.normalized_json();
    let human = output::fields("valid credential", &normalized);
    Ok(Output::new(normalized, human))
}

/// Lint a file of inputs: among themselves, or each in an org's context (`in_org`).
fn lint_file(file: &Path, in_org: Option<(&Registry, &str)>) -> Result<Output, Error> {
    let text = read_file_or_stdin(file)?;
    let items = sipcreds::read_input_list(&text)?;
    let mut findings = Vec::new();
    let mut valid = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let label = format!("#{}", i + 1);
        match item {
            Ok(input) => valid.push((label, input)),
            Err(e) => findings.push(json!({
                "code": e.code().as_str(),
                "severity": "error",
                "field": e.field(),
                "message": e.to_string(),
                "fix": "correct the input; see the message",
                "credential": label,
            })),
        }
    }
    match in_org {
        Some((reg, org)) => {
            for (label, input) in &valid {
                for f in reg.lint_input(org, input, None)? {
                    let mut f = to_value(&f);
                    if f["credential"] == "new" {
                        f["credential"] = label.as_str().into();
                    }
                    findings.push(f);
                }
            }
        }
        None => {
            for f in sipcreds::lint_credentials(valid.iter().map(|(l, c)| (l.as_str(), *c))) {
                findings.push(to_value(&f));
            }
        }
    }
    let invalid = findings.iter().any(|f| f["severity"] == "error");
    let mut out = output::findings(findings, Value::clone, items.len());
    if invalid {
        out.exit = 1;
    }
    Ok(out)
}

/// The org's credentials by name: name → the ids that have it.
fn ids_by_name(
    reg: &Registry,
    org: &str,
) -> Result<std::collections::HashMap<String, Vec<String>>, Error> {
    let mut names: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut page = sipcreds::Page::first(sipcreds::Page::MAX_LIMIT)?;
    loop {
        let p = reg.list_credentials_page(org, &page)?;
        for c in &p.items {
            if let Some(n) = &c.input.name {
                names
                    .entry(n.as_str().to_owned())
                    .or_default()
                    .push(c.id.to_string());
            }
        }
        match p.next {
            Some(next) => page = sipcreds::Page::new(sipcreds::Page::MAX_LIMIT, Some(&next))?,
            None => return Ok(names),
        }
    }
}

/// The patch that sets every field an input gives (its password included).
fn patch_of(input: &sipcreds::CredentialInput) -> zeroize::Zeroizing<String> {
    let normalized = input.normalized_json();
    let mut m = serde_json::Map::new();
    for k in sipcreds::CREATE_FIELDS {
        if let Some(v) = normalized.get(k).filter(|v| !v.is_null()) {
            m.insert(k.to_owned(), v.clone());
        }
    }
    if let Some(p) = input.expose_password() {
        m.insert("authPassword".into(), Value::String(p.to_owned()));
    }
    zeroize::Zeroizing::new(serde_json::to_string(&Value::Object(m)).unwrap_or_default())
}

fn import(reg: &Registry, org: &str, file: &Path, upsert: bool) -> Result<Output, Error> {
    let text = read_file_or_stdin(file)?;
    let items = sipcreds::read_input_list(&text)?;
    let existing = ids_by_name(reg, org)?;
    let mut inputs = Vec::with_capacity(items.len());
    let mut updates: Vec<(String, zeroize::Zeroizing<String>)> = Vec::new();
    let mut errors = Vec::new();
    let mut in_file: std::collections::HashMap<String, usize> = Default::default();
    for (i, item) in items.into_iter().enumerate() {
        let input = match item {
            Ok(input) => input,
            Err(e) => {
                errors.push((i, e));
                continue;
            }
        };
        let Some(name) = input.name.as_ref().map(|n| n.as_str().to_owned()) else {
            inputs.push(input);
            continue;
        };
        if let Some(first) = in_file.insert(name.clone(), i) {
            errors.push((
                i,
                Error::Invalid {
                    code: ErrorCode::Conflict,
                    field: Some("name".into()),
                    message: format!(
                        "the name {} is also on entry {} of the file",
                        sipcreds::printable(&name, 64),
                        first + 1
                    ),
                },
            ));
            continue;
        }
        match existing.get(&name).map(Vec::as_slice) {
            None => inputs.push(input),
            Some([id]) if upsert => updates.push((id.clone(), patch_of(&input))),
            Some(ids) => errors.push((
                i,
                Error::Invalid {
                    code: if upsert {
                        ErrorCode::InvalidOption
                    } else {
                        ErrorCode::Conflict
                    },
                    field: Some("name".into()),
                    message: if upsert {
                        format!(
                            "{} credentials are named {}: rename them apart before an upsert ({})",
                            ids.len(),
                            sipcreds::printable(&name, 64),
                            ids.join(", ")
                        )
                    } else {
                        format!(
                            "a credential named {} exists ({}): rename the line, or import with --upsert to update it",
                            sipcreds::printable(&name, 64),
                            ids.join(", ")
                        )
                    },
                },
            )),
        }
    }
    if let Some((i, first)) = errors.first() {
        // All or nothing: report every bad entry (people) or the first (JSON), import none.
        let mut shown = String::new();
        for (j, e) in &errors {
            shown.push_str(&format!("entry {}: {} ({})\n", j + 1, e, e.code()));
        }
        // The first bad entry's code and field, as core's `at_index` writes them
        // (`items[3].server`); the message counts and names them all.
        let first = first.clone().at_index("items", *i);
        return Err(Error::Invalid {
            code: first.code(),
            field: first.field().map(|f| f.to_owned().into()),
            message: format!(
                "{} of {} entries are invalid; nothing was imported. {}",
                errors.len(),
                errors.len() + inputs.len(),
                shown.trim_end().replace('\n', "; ")
            ),
        });
    }
    // The updates first, each checked against its credential (a provider's is read-only)
    // before any is written.
    for (id, patch) in &updates {
        if reg.get_credential(org, id)?.read_only() {
            // The registry's own read_only error (nothing is written).
            reg.update_credential_json(org, id, patch)?;
        }
    }
    let updated = updates.len();
    for (id, patch) in &updates {
        reg.update_credential_json(org, id, patch)?;
    }
    let total = inputs.len();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} ({rate}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        // A whole number of credentials a second ("136449/s", not "136,449.3516/s").
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let created = reg.create_credentials_with_progress(org, inputs, &mut |n| {
        if n % 1000 == 0 || n == total {
            bar.set_position(n as u64);
        }
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let json = json!({
        "imported": created.len(),
        "updated": updated,
        "firstId": created.first().map(|c| c.id.to_string()),
        "lastId": created.last().map(|c| c.id.to_string()),
    });
    let human = format!(
        "imported {} credential(s) into org {org} in {:.2} s ({:.0}/s){}\n",
        created.len(),
        secs,
        created.len() as f64 / secs.max(1e-9),
        if upsert {
            format!("; updated {updated} of the same name")
        } else {
            String::new()
        }
    );
    Ok(Output::new(json, human))
}

fn credentials(reg: &Registry, org: &str, cmd: CredentialsCmd) -> Result<Output, Error> {
    match cmd {
        CredentialsCmd::Create(fields) => {
            let body = if fields.any() {
                fields_json(&fields, &ClearArgs::default())?
            } else {
                use std::io::IsTerminal;
                if std::io::stdin().is_terminal() {
                    // Neither flags nor piped JSON: ask field by field.
                    interactive_input()?
                } else {
                    zeroize::Zeroizing::new(read_stdin(Some(sipcreds::MAX_BODY_BYTES))?)
                }
            };
            let c = reg.create_credential_json(org, &body)?;
            let j = c.to_json();
            Ok(Output::new(
                j.clone(),
                output::fields(&format!("created {}", c.id), &j),
            ))
        }
        CredentialsCmd::List(args) => {
            let (reg, org) = (reg.clone(), org.to_owned());
            list_output(
                args,
                move |p| {
                    let page = reg.list_credentials_page(&org, p)?;
                    let health = reg.health_for(&org, &page.items)?;
                    Ok(sipcreds::Paged {
                        items: page
                            .items
                            .into_iter()
                            .zip(health)
                            .map(|(c, h)| (c, h.state))
                            .collect(),
                        next: page.next,
                    })
                },
                |(c, _)| c.to_json(),
                output::credentials,
            )
        }
        CredentialsCmd::Show { id } => {
            let c = reg.get_credential(org, &credential_ref(reg, org, &id, "id")?)?;
            let j = c.to_json();
            Ok(Output::new(j.clone(), output::fields(c.id.as_str(), &j)))
        }
        CredentialsCmd::Count => {
            let n = reg.count_credentials(org)?;
            Ok(Output::new(
                serde_json::json!({ "count": n }),
                format!("{n}\n"),
            ))
        }
        CredentialsCmd::Usage { id } => {
            let id = credential_ref(reg, org, &id, "id")?;
            let u = reg.usage(org, &id)?;
            Ok(Output::new(to_value(&u), output::usage(&id, &u)))
        }
        CredentialsCmd::Update { id, fields, clear } => {
            let id = credential_ref(reg, org, &id, "id")?;
            let cleared = clear.clear_name
                || clear.clear_auth
                || clear.clear_domain
                || clear.clear_cps_limit
                || clear.clear_cps_key;
            let body = if fields.any() || cleared {
                fields_json(&fields, &clear)?
            } else {
                zeroize::Zeroizing::new(read_stdin(Some(sipcreds::MAX_BODY_BYTES))?)
            };
            let c = reg.update_credential_json(org, &id, &body)?;
            let j = c.to_json();
            Ok(Output::new(
                j.clone(),
                output::fields(&format!("updated {} to version {}", c.id, c.version), &j),
            ))
        }
        CredentialsCmd::Delete { id, force } => {
            let id = credential_ref(reg, org, &id, "id")?;
            let r = reg.delete_credential(org, &id, force)?;
            let human = if r.unlinked_numbers.is_empty() {
                format!("deleted {}\n", r.deleted)
            } else {
                format!(
                    "deleted {}; unlinked {}\n",
                    r.deleted,
                    r.unlinked_numbers.join(", ")
                )
            };
            Ok(Output::new(to_value(&r), human))
        }
    }
}

fn numbers(reg: &Registry, org: &str, cmd: NumbersCmd) -> Result<Output, Error> {
    match cmd {
        NumbersCmd::Link {
            number,
            credential_id,
        } => {
            let credential_id = credential_ref(reg, org, &credential_id, "credential_id")?;
            let r = reg.link_number(org, &number, &credential_id)?;
            Ok(Output::new(
                r.to_json(),
                format!("linked {} → {}\n", r.number, credential_id),
            ))
        }
        NumbersCmd::Show { number } => {
            let r = reg.get_number(org, &number)?;
            let j = r.to_json();
            Ok(Output::new(
                j.clone(),
                output::fields(r.number.as_str(), &j),
            ))
        }
        NumbersCmd::Unlink { number } => {
            let r = reg.unlink_number(org, &number)?;
            Ok(Output::new(r.to_json(), format!("unlinked {}\n", r.number)))
        }
        NumbersCmd::Delete { number } => {
            let r = reg.delete_number(org, &number)?;
            Ok(Output::new(r.to_json(), format!("deleted {}\n", r.number)))
        }
        NumbersCmd::List(args) => {
            let (reg, org) = (reg.clone(), org.to_owned());
            list_output(
                args,
                move |p| reg.list_numbers_page(&org, p),
                NumberRecord::to_json,
                output::numbers,
            )
        }
    }
}

fn agents(reg: &Registry, org: &str, cmd: AgentsCmd) -> Result<Output, Error> {
    let one = |a: sipcreds::Agent, verb: &str| {
        let j = a.to_json();
        Output::new(j.clone(), output::fields(&format!("{verb} {}", a.id), &j))
    };
    match cmd {
        AgentsCmd::Create { name } => Ok(one(reg.create_agent(org, &name)?, "created")),
        AgentsCmd::Assign { agent_id, number } => {
            Ok(one(reg.assign_number(org, &agent_id, &number)?, "updated"))
        }
        AgentsCmd::Unassign { agent_id, number } => Ok(one(
            reg.unassign_number(org, &agent_id, &number)?,
            "updated",
        )),
        AgentsCmd::Show { agent_id } => Ok(one(reg.get_agent(org, &agent_id)?, "agent")),
        AgentsCmd::Delete { agent_id } => Ok(one(reg.delete_agent(org, &agent_id)?, "deleted")),
        AgentsCmd::List(args) => {
            let (reg, org) = (reg.clone(), org.to_owned());
            list_output(
                args,
                move |p| reg.list_agents_page(&org, p),
                Agent::to_json,
                output::agents,
            )
        }
    }
}

fn providers(reg: &Registry, org: &str, cmd: ProvidersCmd) -> Result<Output, Error> {
    match cmd {
        ProvidersCmd::Connect { kind, name } => {
            let body = read_stdin(None)?;
            let c = reg.connect_provider_json(org, &kind, &name, &body)?;
            let human = format!(
                "connected {} ({}) with {} read-only credential(s)\n{}",
                c.provider.id,
                c.provider.kind,
                c.credentials.len(),
                output::credentials_text(&c.credentials)
            );
            Ok(Output::new(c.to_json(), human))
        }
        ProvidersCmd::List(args) => {
            let (reg, org) = (reg.clone(), org.to_owned());
            list_output(
                args,
                move |p| reg.list_providers_page(&org, p),
                Provider::to_json,
                output::providers,
            )
        }
        ProvidersCmd::Delete { id } => {
            let r = reg.delete_provider(org, &id)?;
            let human = format!(
                "deleted {} with {} credential(s); unlinked {}\n",
                r.deleted,
                r.deleted_credentials.len(),
                if r.unlinked_numbers.is_empty() {
                    "no numbers".to_owned()
                } else {
                    r.unlinked_numbers.join(", ")
                }
            );
            Ok(Output::new(to_value(&r), human))
        }
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
