//! Output for people and for machines.
//!
//! Human output goes through `anstream`, which drops the colours when the stream is not a
//! terminal (or `NO_COLOR` is set).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use owo_colors::OwoColorize;
use serde_json::Value;
use sipcreds::{
    Agent, Credential, Diagnosis, Error, NumberRecord, Provider, RateGroup, UsageReport,
};

/// A command's result: the JSON form, the human form, and the exit code.
#[derive(Debug)]
pub struct Output {
    pub json: Value,
    pub human: String,
    pub exit: u8,
}

impl Output {
    pub fn new(json: Value, human: String) -> Self {
        Output {
            json,
            human,
            exit: 0,
        }
    }
}

/// Print the result or the error and pick the exit code (0 success, 1 error).
pub fn finish(result: Result<Output, Error>, json: bool) -> ExitCode {
    match (result, json) {
        (Ok(out), true) => {
            print_json(&out.json);
            ExitCode::from(out.exit)
        }
        (Ok(out), false) => {
            let mut o = anstream::stdout();
            let _ = write!(o, "{}", out.human);
            ExitCode::from(out.exit)
        }
        (Err(e), true) => {
            print_json(&e.to_json());
            ExitCode::from(1)
        }
        (Err(e), false) => {
            let mut o = anstream::stderr();
            let _ = write!(o, "{}", error(&e));
            ExitCode::from(1)
        }
    }
}

fn print_json(v: &Value) {
    let mut o = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut o, v);
    let _ = writeln!(o);
}

/// `error[code]: message`, then the field, then any usage.
pub fn error(e: &Error) -> String {
    let mut s = format!(
        "{}{}{} {}\n",
        "error[".red().bold(),
        e.code().as_str().red().bold(),
        "]:".red().bold(),
        e
    );
    if let Some(field) = e.field() {
        let _ = writeln!(s, "  {} {}", "field:".dimmed(), field);
    }
    if let Some(usage) = e.usage() {
        let _ = writeln!(
            s,
            "  {} {}",
            "numbers:".dimmed(),
            usage.phone_numbers.join(", ")
        );
        for a in &usage.agents {
            let _ = writeln!(
                s,
                "  {} {} ({}) via {}",
                "agent:".dimmed(),
                a.name,
                a.id,
                a.via.join(", ")
            );
        }
    }
    s
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The order people read a credential in; other keys follow alphabetically.
const FIELD_ORDER: &[&str] = &[
    "id",
    "org",
    "name",
    "server",
    "host",
    "port",
    "transport",
    "authUser",
    "hasPassword",
    "domain",
    "realm",
    "cpsLimit",
    "cpsKey",
    "source",
    "providerId",
    "readOnly",
    "version",
    "numbers",
    "createdAt",
    "updatedAt",
];

/// A title and aligned `key  value` lines.
pub fn fields(title: &str, v: &Value) -> String {
    let mut s = format!("{} {}\n", "✓".green().bold(), title.bold());
    if let Value::Object(m) = v {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| {
            (
                FIELD_ORDER
                    .iter()
                    .position(|f| f == k)
                    .unwrap_or(usize::MAX),
                k.as_str(),
            )
        });
        let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
        for k in keys {
            let val = match &m[k] {
                Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
                other => scalar(other),
            };
            let _ = writeln!(s, "  {}  {}", format!("{k:width$}").dimmed(), val);
        }
    }
    s
}

/// Rows under a bold header, columns aligned.
fn table(header: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("{empty}\n");
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut s = format!(
        "{}\n",
        line(header.iter().map(|h| h.to_string()).collect()).bold()
    );
    for r in rows {
        let _ = writeln!(s, "{}", line(r.clone()));
    }
    s
}

fn opt(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".into(), |x| x.to_string())
}

pub fn credentials(list: &[Credential]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let i = &c.input;
            vec![
                c.id.to_string(),
                opt(i.name.as_ref()),
                i.server.to_string(),
                i.transport.to_string(),
                opt(i.auth_user()),
                opt(i.cps_limit),
                opt(i.cps_key.as_ref()),
                match &c.source {
                    sipcreds::Source::Manual => "manual".into(),
                    sipcreds::Source::Provider(p) => format!("provider {p}"),
                },
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "NAME",
            "SERVER",
            "TRANSPORT",
            "AUTH USER",
            "CPS",
            "CPS KEY",
            "SOURCE",
        ],
        &rows,
        "no credentials",
    )
}

pub fn usage(id: &str, u: &UsageReport) -> String {
    if u.is_empty() {
        return format!("{id} is not in use\n");
    }
    let mut s = format!("{} {}\n", "numbers:".bold(), u.phone_numbers.join(", "));
    let rows: Vec<Vec<String>> = u
        .agents
        .iter()
        .map(|a| vec![a.id.clone(), a.name.clone(), a.via.join(", ")])
        .collect();
    s.push_str(&table(
        &["AGENT", "NAME", "VIA"],
        &rows,
        "no agents use them",
    ));
    s
}

pub fn numbers(list: &[NumberRecord]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|n| vec![n.number.to_string(), opt(n.credential_id.as_ref())])
        .collect();
    table(&["NUMBER", "CREDENTIAL"], &rows, "no numbers")
}

pub fn agents(list: &[Agent]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.name.to_string(),
                a.numbers
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    table(&["ID", "NAME", "NUMBERS"], &rows, "no agents")
}

pub fn providers(list: &[Provider]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| vec![p.id.to_string(), p.kind.clone(), p.name.to_string()])
        .collect();
    table(&["ID", "KIND", "NAME"], &rows, "no providers")
}

pub fn limits(groups: &[RateGroup]) -> String {
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let limit = match g.limit {
                Some(l) if g.conflicting_limits => format!("{l} cps (members differ)"),
                Some(l) => format!("{l} cps"),
                None => "unlimited".into(),
            };
            vec![
                g.key.clone(),
                g.members.len().to_string(),
                limit,
                g.members.join(", "),
            ]
        })
        .collect();
    table(
        &["GROUP", "MEMBERS", "LIMIT", "CREDENTIALS"],
        &rows,
        "no credentials, so no rate groups",
    )
}

pub fn findings(findings: &[Value], items: usize) -> String {
    let mut s = String::new();
    for f in findings {
        let sev = scalar(&f["severity"]);
        let sev_shown = match sev.as_str() {
            "error" => sev.red().bold().to_string(),
            "warning" => sev.yellow().bold().to_string(),
            _ => sev.cyan().to_string(),
        };
        let _ = writeln!(
            s,
            "{} {} {} ({}): {}",
            scalar(&f["credential"]).bold(),
            sev_shown,
            scalar(&f["code"]),
            scalar(&f["field"]),
            scalar(&f["message"])
        );
        let _ = writeln!(s, "    {} {}", "fix:".green(), scalar(&f["fix"]));
    }
    let count = |sev: &str| findings.iter().filter(|f| f["severity"] == sev).count();
    let _ = writeln!(
        s,
        "{} credential(s): {} error(s), {} warning(s), {} info",
        items,
        count("error"),
        count("warning"),
        count("info")
    );
    s
}

pub fn diagnosis(d: &Diagnosis) -> String {
    let mut s = format!("{}\n", d.summary.bold());
    if let Some(r) = &d.reason {
        let _ = writeln!(s, "reason: {r}");
    }
    for (i, c) in d.causes.iter().enumerate() {
        let _ = writeln!(s, "\n{}. {} {}", i + 1, c.code.bold(), c.cause);
        let _ = writeln!(s, "   {} {}", "fix:".green(), c.fix);
        if !c.fields.is_empty() {
            let _ = writeln!(s, "   {} {}", "check:".dimmed(), c.fields.join(", "));
        }
    }
    s
}

pub fn codes(list: &[Value]) -> String {
    let mut s = String::new();
    for c in list {
        let _ = writeln!(
            s,
            "{:>3}  {:22}  {}",
            scalar(&c["number"]),
            scalar(&c["code"]),
            scalar(&c["description"])
        );
    }
    s
}
