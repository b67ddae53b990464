//! The command line's arguments: every command, subcommand and flag (clap), with its help.

use crate::*;

/// SIP trunk credentials: validate, store, link, lint and troubleshoot.
#[derive(Debug, Parser)]
#[command(name = "sipcreds", version, about, long_about = None)]
pub(crate) struct Cli {
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
    pub(crate) db: String,
    /// Where `acquire` keeps admissions: "file" (the SQLite file; the default there) or a
    /// redis:// URL shared by every instance (needed with PostgreSQL), with
    /// ?fallback=refuse|local:N. For TLS, rediss://host:port/ checked against the system's
    /// roots, or ?cafile=PATH for a CA of your own.
    #[arg(long, env = "SIPCREDS_LIMITER", global = true)]
    pub(crate) limiter: Option<String>,
    /// The organization (tenant).
    #[arg(long, env = "SIPCREDS_ORG", default_value = "default", global = true)]
    pub(crate) org: String,
    /// Print results as JSON and errors as the error JSON, both on standard output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum TokensCmd {
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
pub(crate) struct HealthArgs {
    #[command(subcommand)]
    pub(crate) cmd: Option<HealthCmd>,
    /// The credential: its id, or its exact name when unique in the org. Without it, every
    /// credential's record.
    pub(crate) id: Option<String>,
    #[command(flatten)]
    pub(crate) page: PageArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HealthCmd {
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
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub(crate) listen: std::net::SocketAddr,
    /// Serve TLS with this PEM certificate chain (with --tls-key; SIGHUP reloads both).
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Serve /metrics on this address instead of --listen.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) metrics_listen: Option<std::net::SocketAddr>,
    /// One log line per request on standard error, as text or JSON.
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    pub(crate) log_format: String,
    /// Do not run the health monitor (§13) in this server (another process runs it, or none).
    #[arg(long)]
    pub(crate) no_monitor: bool,
    /// The monitor's interval between probes of a credential, in seconds (10 to 3600).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub(crate) monitor_interval: u64,
    /// Requests per second per token (token buckets, bursts of twice as many).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) token_rate: u32,
}

/// One page of a list (SPEC §5) instead of the whole list.
#[derive(Debug, clap::Args)]
pub(crate) struct PageArgs {
    /// Only one page, of at most N items (1-1000); the JSON is then {"items": [...], "next"}.
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u64>,
    /// The page after this cursor: the "next" of the previous page (1000 items without --limit).
    #[arg(long, value_name = "CURSOR")]
    pub(crate) after: Option<String>,
    /// The whole list as JSON Lines: one compact object per line, written as the pages are
    /// read (errors as with --json).
    #[arg(long, conflicts_with_all = ["limit", "after"])]
    pub(crate) jsonl: bool,
}

/// A credential's fields as flags (the password is never a flag).
#[derive(Debug, Default, clap::Args)]
pub(crate) struct FieldArgs {
    /// A label, unique or not (1-64 characters); commands that take an ID also take it.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// The trunk's SIP server: host or IP, optional :port, no scheme.
    #[arg(long)]
    pub(crate) server: Option<String>,
    /// udp (default), tcp or tls.
    #[arg(long)]
    pub(crate) transport: Option<String>,
    /// The digest user; the password is then asked for without echo on a terminal, or read
    /// from the first line of standard input with --password-stdin.
    #[arg(long)]
    pub(crate) auth_user: Option<String>,
    /// The SIP domain (the realm), when it is not the server's host.
    #[arg(long)]
    pub(crate) domain: Option<String>,
    /// The calls per second the provider allows (1-10000; none: unlimited).
    #[arg(long, value_name = "N")]
    pub(crate) cps_limit: Option<String>,
    /// Share the limit with the other credentials of this key.
    #[arg(long, value_name = "KEY")]
    pub(crate) cps_key: Option<String>,
    /// Read the password from the first line of standard input (for scripts).
    #[arg(long)]
    pub(crate) password_stdin: bool,
}

impl FieldArgs {
    pub(crate) fn any(&self) -> bool {
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
pub(crate) struct ClearArgs {
    /// Remove the name.
    #[arg(long)]
    pub(crate) clear_name: bool,
    /// Remove authUser and authPassword (the trunk authenticates by IP).
    #[arg(long)]
    pub(crate) clear_auth: bool,
    /// Remove the domain (the realm is then the server's host).
    #[arg(long)]
    pub(crate) clear_domain: bool,
    /// Remove the CPS limit (unlimited).
    #[arg(long)]
    pub(crate) clear_cps_limit: bool,
    /// Remove the cpsKey (the credential limits alone).
    #[arg(long)]
    pub(crate) clear_cps_key: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CredentialsCmd {
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
pub(crate) enum NumbersCmd {
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
pub(crate) enum AgentsCmd {
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
pub(crate) enum ProvidersCmd {
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
