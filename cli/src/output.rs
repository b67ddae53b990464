//! Output for people and for machines.
//!
//! Human output goes through `anstream`, which drops the colours when the stream is not a
//! terminal (or `NO_COLOR` is set).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use owo_colors::OwoColorize;
use serde_json::Value;
use sipcreds::{Diagnosis, Error};

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

/// A title and aligned `key  value` lines.
pub fn credential_fields(title: &str, v: &Value) -> String {
    let mut s = format!("{} {}\n", "✓".green().bold(), title.bold());
    if let Value::Object(m) = v {
        let width = m.keys().map(String::len).max().unwrap_or(0);
        for (k, val) in m {
            let _ = writeln!(s, "  {:width$}  {}", k.dimmed(), scalar(val), width = width);
        }
    }
    s
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
