//! The `sipcreds` command line (§11 of the spec).
//!
//! With `--json` every result is JSON on standard output and every error the §8 error JSON on
//! standard output; exit 0 on success, 1 on any error, 2 on a usage error. Without `--json`
//! the output is for people. Credential JSON (and so passwords) is only ever read from
//! standard input, never from the command line.

mod output;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use sipcreds::{Error, ErrorCode};

use output::Output;

/// SIP trunk credentials: validate, lint and troubleshoot.
#[derive(Debug, Parser)]
#[command(name = "sipcreds", version, about, long_about = None)]
struct Cli {
    /// The SQLite store.
    #[arg(
        long,
        env = "SIPCREDS_DB",
        default_value = "sipcreds.db",
        global = true
    )]
    db: PathBuf,
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
    /// Lint findings for a file of credential inputs (JSON array or JSON Lines).
    Lint {
        /// The file; `-` for standard input.
        file: PathBuf,
    },
    /// Likely causes and fixes for a SIP status (401, 503, ...) or a transport symptom.
    Diagnose {
        /// 401, 403, 404, 407, 408, 480, 486, 488, 500, 502, 503, 504, 603, timeout,
        /// connection_refused, tls_handshake_failed, dns_failure, calls_dropping, domain_mismatch.
        symptom: String,
        /// The reason phrase the provider sent, e.g. "User channel limit exceeded".
        #[arg(long)]
        reason: Option<String>,
    },
    /// List every error code with its number and meaning.
    Codes,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json;
    let result = run(cli);
    output::finish(result, json)
}

fn run(cli: Cli) -> Result<Output, Error> {
    match cli.command {
        Command::Validate => validate(),
        Command::Lint { file } => lint_file(&file),
        Command::Diagnose { symptom, reason } => {
            let d = sipcreds::diagnose(&symptom, reason.as_deref())?;
            Ok(Output::new(
                serde_json::to_value(&d).unwrap_or(Value::Null),
                output::diagnosis(&d),
            ))
        }
        Command::Codes => {
            let list: Vec<Value> = sipcreds::list_all_errors()
                .into_iter()
                .map(|(code, number, description)| json!({"code": code, "number": number, "description": description}))
                .collect();
            let human = output::codes(&list);
            Ok(Output::new(Value::Array(list), human))
        }
    }
}

/// Read standard input whole, bounded a little above the body limit so a huge stream is not
/// buffered only to be refused.
fn read_stdin(limit: Option<usize>) -> Result<String, Error> {
    let mut buf = Vec::new();
    let stdin = std::io::stdin().lock();
    match limit {
        Some(max) => stdin.take(max as u64 + 1).read_to_end(&mut buf),
        None => {
            let mut s = stdin;
            s.read_to_end(&mut buf)
        }
    }
    .map_err(|e| Error::storage(format!("cannot read standard input: {e}")))?;
    String::from_utf8(buf).map_err(|_| Error::Invalid {
        code: ErrorCode::InvalidJson,
        field: None,
        message: "standard input is not UTF-8 text".into(),
    })
}

fn validate() -> Result<Output, Error> {
    let body = read_stdin(Some(sipcreds::MAX_BODY_BYTES))?;
    let input = sipcreds::CredentialInput::from_json(&body)?;
    let normalized = input.normalized_json();
    let human = output::credential_fields("valid credential", &normalized);
    Ok(Output::new(normalized, human))
}

fn lint_file(file: &PathBuf) -> Result<Output, Error> {
    let text = if file.as_os_str() == "-" {
        read_stdin(None)?
    } else {
        std::fs::read_to_string(file).map_err(|e| Error::Invalid {
            code: ErrorCode::InvalidJson,
            field: None,
            message: format!("cannot read {}: {e}", file.display()),
        })?
    };
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
    for f in sipcreds::lint_credentials(valid.iter().map(|(l, c)| (l.as_str(), *c))) {
        findings.push(serde_json::to_value(&f).unwrap_or(Value::Null));
    }
    let invalid = findings.iter().any(|f| f["severity"] == "error");
    let human = output::findings(&findings, items.len());
    let mut out = Output::new(Value::Array(findings), human);
    if invalid {
        out.exit = 1;
    }
    Ok(out)
}
