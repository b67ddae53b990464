//! Output for people and for machines.
//!
//! Human output goes through `anstream`, which drops the colours when the stream is not a
//! terminal (or `NO_COLOR` is set).

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use owo_colors::OwoColorize;
use serde_json::Value;
use sipcreds::{
    Agent, Credential, Diagnosis, Error, NumberRecord, Provider, RateGroup, UsageReport,
};

/// Writes one form of a result (JSON or human) to a buffered stream.
type Render = Box<dyn FnOnce(&mut dyn Write, bool) -> std::io::Result<()>>;

/// A command's result: how to write its JSON form or its human form, and the exit code.
/// A list is written item by item (never built whole as one `Value` or `String`), and only
/// the form asked for is made.
pub struct Output {
    render: Render,
    pub exit: u8,
    /// An exit code the rendering decides (`probe --all` knows it once every probe ended).
    pub late_exit: Option<std::sync::Arc<std::sync::atomic::AtomicU8>>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("exit", &self.exit).finish()
    }
}

impl Output {
    /// A small result, both forms ready.
    pub fn new(json: Value, human: String) -> Self {
        Output::stream(move |w, as_json| {
            if as_json {
                write_json(w, &json)
            } else {
                w.write_all(human.as_bytes())
            }
        })
    }

    /// Bytes written as they are, whatever the form (a completion script, a man page).
    pub fn raw(bytes: Vec<u8>) -> Self {
        Output::stream(move |w, _| w.write_all(&bytes))
    }

    /// A result written by `render(writer, as_json)`.
    pub fn stream(
        render: impl FnOnce(&mut dyn Write, bool) -> std::io::Result<()> + 'static,
    ) -> Self {
        Output {
            render: Box::new(render),
            exit: 0,
            late_exit: None,
        }
    }

    /// A list: the JSON array written element by element (the same bytes as the whole array
    /// pretty-printed), or the human table streamed by `table`.
    pub fn list<T: 'static>(
        items: Vec<T>,
        to_json: fn(&T) -> Value,
        table: fn(&[T], &mut dyn Write) -> std::io::Result<()>,
    ) -> Self {
        Output::stream(move |w, as_json| {
            if as_json {
                use serde::Serializer as _;
                let mut ser = serde_json::Serializer::pretty(&mut *w);
                ser.collect_seq(items.iter().map(to_json))
                    .map_err(std::io::Error::other)?;
                w.write_all(b"\n")
            } else {
                table(&items, w)
            }
        })
    }
}

impl Output {
    /// A whole list read a page at a time by `page(after)` (`first` already read): the JSON
    /// array written as the pages come, in bounded memory (the same bytes as the whole array
    /// pretty-printed), or with `lines` JSON Lines (one compact object a line); the human table
    /// measures every row first, so it reads them all. A page that fails mid-way ends the
    /// output with that error.
    pub fn paged_list<T: 'static>(
        first: sipcreds::Paged<T>,
        mut page: impl FnMut(&str) -> Result<sipcreds::Paged<T>, sipcreds::Error> + 'static,
        to_json: fn(&T) -> Value,
        table: fn(&[T], &mut dyn Write) -> std::io::Result<()>,
        lines: bool,
    ) -> Self {
        Output::stream(move |w, as_json| {
            let mut failure = None;
            let written = {
                let mut items = first.items.into_iter();
                let mut next = first.next;
                let all = std::iter::from_fn(|| {
                    loop {
                        if let Some(item) = items.next() {
                            return Some(item);
                        }
                        match page(&next.take()?) {
                            Ok(p) => {
                                items = p.items.into_iter();
                                next = p.next;
                            }
                            Err(e) => {
                                failure = Some(e);
                                return None;
                            }
                        }
                    }
                });
                if lines {
                    let mut result = Ok(());
                    for t in all {
                        result = serde_json::to_writer(&mut *w, &to_json(&t))
                            .map_err(std::io::Error::other)
                            .and_then(|()| w.write_all(b"\n"));
                        if result.is_err() {
                            break;
                        }
                    }
                    result
                } else if as_json {
                    use serde::Serializer as _;
                    let mut ser = serde_json::Serializer::pretty(&mut *w);
                    ser.collect_seq(all.map(|t| to_json(&t)))
                        .map_err(std::io::Error::other)
                        .and_then(|()| w.write_all(b"\n"))
                } else {
                    let rows: Vec<T> = all.collect();
                    if failure.is_some() {
                        Ok(())
                    } else {
                        table(&rows, w)
                    }
                }
            };
            match failure {
                Some(e) => Err(std::io::Error::other(e.to_string())),
                None => written,
            }
        })
    }
}

fn write_json(w: &mut dyn Write, v: &Value) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, v).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

/// Print the result or the error and pick the exit code (0 success, 1 error). Standard output
/// is buffered (one `write` per 64 KiB, not per value) and flushed before the exit; a reader
/// that went away (`| head`) ends the output quietly.
pub fn finish(result: Result<Output, Error>, json: bool) -> ExitCode {
    const BUF: usize = 64 * 1024;
    match result {
        Ok(out) => {
            let written = if json {
                let mut o = std::io::BufWriter::with_capacity(BUF, std::io::stdout().lock());
                (out.render)(&mut o, true).and_then(|()| o.flush())
            } else {
                let mut o = std::io::BufWriter::with_capacity(BUF, anstream::stdout());
                (out.render)(&mut o, false).and_then(|()| o.flush())
            };
            match written {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    let _ = writeln!(anstream::stderr(), "error: cannot write the output: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::from(
                    out.late_exit
                        .map_or(out.exit, |e| e.load(std::sync::atomic::Ordering::Relaxed)),
                ),
            }
        }
        Err(e) if json => {
            let mut o = std::io::BufWriter::new(std::io::stdout().lock());
            let _ = write_json(&mut o, &e.to_json());
            let _ = o.flush();
            ExitCode::from(1)
        }
        Err(e) => {
            let mut o = std::io::BufWriter::new(anstream::stderr());
            let _ = write!(o, "{}", error(&e));
            let _ = o.flush();
            ExitCode::from(1)
        }
    }
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
pub fn fields(title: &str, v: &Value) -> String {
    let mut s = format!("{} {}\n", "✓".green().bold(), title.bold());
    // In the order of the core's shape (§3), as the JSON has it.
    if let Value::Object(m) = v {
        let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, value) in m {
            let val = match value {
                Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
                other => scalar(other),
            };
            let _ = writeln!(s, "  {}  {}", format!("{k:width$}").dimmed(), val);
        }
    }
    s
}

/// The widest a table cell is shown; longer ones end in `…`.
const MAX_CELL: usize = 120;

/// A cell's text, at most [`MAX_CELL`] characters.
fn cell(text: String) -> String {
    if text.chars().count() <= MAX_CELL {
        return text;
    }
    let mut t: String = text.chars().take(MAX_CELL - 1).collect();
    t.push('…');
    t
}

/// Items joined by `, ` up to about [`MAX_CELL`] characters, then `… and 5,998 more`.
fn joined<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let item = item.as_ref();
        let sep = if i == 0 { "" } else { ", " };
        if i > 0 && out.chars().count() + sep.len() + item.chars().count() > MAX_CELL - 24 {
            let _ = write!(out, ", … and {} more", thousands(items.len() - i));
            return out;
        }
        out.push_str(sep);
        out.push_str(item);
    }
    out
}

/// `5998` → `5,998`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows under a bold header, columns aligned, streamed: a first pass over the items measures
/// the columns, a second writes each row as it is made (nothing holds the whole table). Cells
/// are capped at [`MAX_CELL`] characters and padded by hand (a formatter's width would
/// panic past 65,535).
pub(crate) fn table<T>(
    w: &mut dyn Write,
    header: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Vec<String>,
    empty: &str,
) -> std::io::Result<()> {
    if items.is_empty() {
        return writeln!(w, "{empty}");
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for item in items {
        for (wd, c) in widths.iter_mut().zip(row(item)) {
            *wd = (*wd).max(cell(c).chars().count());
        }
    }
    let mut line = String::new();
    let mut put = |w: &mut dyn Write, cells: Vec<String>, bold: bool| -> std::io::Result<()> {
        line.clear();
        let n = cells.len();
        for (i, (c, wd)) in cells.into_iter().zip(&widths).enumerate() {
            let c = cell(c);
            let pad = wd.saturating_sub(c.chars().count());
            line.push_str(&c);
            if i + 1 < n {
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        let shown = line.trim_end();
        if bold {
            writeln!(w, "{}", shown.bold())
        } else {
            writeln!(w, "{shown}")
        }
    };
    put(w, header.iter().map(|h| h.to_string()).collect(), true)?;
    for item in items {
        put(w, row(item), false)?;
    }
    Ok(())
}

fn opt(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".into(), |x| x.to_string())
}

/// `tokens list`: id, name, role, created, last used (never a token).
pub fn tokens(list: &[sipcreds::TokenInfo], w: &mut dyn Write) -> std::io::Result<()> {
    table(
        w,
        &["ID", "NAME", "ROLE", "CREATED", "LAST USED"],
        list,
        |t| {
            vec![
                t.id.to_string(),
                t.name
                    .as_ref()
                    .map_or("-".into(), |n| n.as_str().to_owned()),
                t.role.as_str().to_owned(),
                sipcreds::timestamp(t.created_at),
                t.last_used_at.map_or("never".into(), sipcreds::timestamp),
            ]
        },
        "no tokens: make one with `sipcreds tokens create --role read|write`",
    )
}

pub fn credentials(
    list: &[(Credential, sipcreds::HealthState)],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    table(
        w,
        &[
            "ID",
            "NAME",
            "SERVER",
            "TRANSPORT",
            "AUTH USER",
            "CPS",
            "CPS KEY",
            "SOURCE",
            "HEALTH",
        ],
        list,
        |(c, health)| {
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
                health.to_string(),
            ]
        },
        "no credentials",
    )
}

/// [`credentials`] into a string, for small lists shown inside another message.
pub fn credentials_text(list: &[Credential]) -> String {
    let mut out = Vec::new();
    // Just connected: none of them probed yet.
    let rows: Vec<(Credential, sipcreds::HealthState)> = list
        .iter()
        .map(|c| (c.clone(), sipcreds::HealthState::Unknown))
        .collect();
    let _ = credentials(&rows, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn usage(id: &str, u: &UsageReport) -> String {
    if u.is_empty() {
        return format!("{id} is not in use\n");
    }
    let mut s = format!("{} {}\n", "numbers:".bold(), joined(&u.phone_numbers));
    let mut out = Vec::new();
    let _ = table(
        &mut out,
        &["AGENT", "NAME", "VIA"],
        &u.agents,
        |a| vec![a.id.clone(), a.name.clone(), joined(&a.via)],
        "no agents use them",
    );
    s.push_str(&String::from_utf8_lossy(&out));
    s
}

pub fn numbers(list: &[NumberRecord], w: &mut dyn Write) -> std::io::Result<()> {
    table(
        w,
        &["NUMBER", "CREDENTIAL"],
        list,
        |n| vec![n.number.to_string(), opt(n.credential_id.as_ref())],
        "no numbers",
    )
}

pub fn agents(list: &[Agent], w: &mut dyn Write) -> std::io::Result<()> {
    table(
        w,
        &["ID", "NAME", "NUMBERS"],
        list,
        |a| {
            let numbers: Vec<String> = a.numbers.iter().map(|n| n.to_string()).collect();
            vec![a.id.to_string(), a.name.to_string(), joined(&numbers)]
        },
        "no agents",
    )
}

pub fn providers(list: &[Provider], w: &mut dyn Write) -> std::io::Result<()> {
    table(
        w,
        &["ID", "KIND", "NAME"],
        list,
        |p| vec![p.id.to_string(), p.kind.clone(), p.name.to_string()],
        "no providers",
    )
}

pub fn limits(groups: &[RateGroup], w: &mut dyn Write) -> std::io::Result<()> {
    table(
        w,
        &["GROUP", "MEMBERS", "LIMIT", "CREDENTIALS"],
        groups,
        |g| {
            let limit = match g.limit {
                Some(l) if g.conflicting_limits => format!("{l} cps (members differ)"),
                Some(l) => format!("{l} cps"),
                None => "unlimited".into(),
            };
            vec![
                g.key.clone(),
                g.members.len().to_string(),
                limit,
                joined(&g.members),
            ]
        },
        "no credentials, so no rate groups",
    )
}

/// Lint findings: the JSON array, or one block per finding and a count, item by item.
pub fn findings<T: 'static>(findings: Vec<T>, to_json: fn(&T) -> Value, items: usize) -> Output {
    Output::stream(move |w, as_json| {
        if as_json {
            use serde::Serializer as _;
            let mut ser = serde_json::Serializer::pretty(&mut *w);
            ser.collect_seq(findings.iter().map(to_json))
                .map_err(std::io::Error::other)?;
            return w.write_all(b"\n");
        }
        let (mut errors, mut warnings, mut infos) = (0, 0, 0);
        for f in &findings {
            let f = to_json(f);
            let sev = scalar(&f["severity"]);
            let sev_shown = match sev.as_str() {
                "error" => {
                    errors += 1;
                    sev.red().bold().to_string()
                }
                "warning" => {
                    warnings += 1;
                    sev.yellow().bold().to_string()
                }
                _ => {
                    infos += 1;
                    sev.cyan().to_string()
                }
            };
            writeln!(
                w,
                "{} {} {} ({}): {}",
                scalar(&f["credential"]).bold(),
                sev_shown,
                scalar(&f["code"]),
                scalar(&f["field"]),
                scalar(&f["message"])
            )?;
            writeln!(w, "    {} {}", "fix:".green(), scalar(&f["fix"]))?;
        }
        writeln!(
            w,
            "{items} credential(s): {errors} error(s), {warnings} warning(s), {infos} info"
        )
    })
}

pub fn diagnosis(d: &Diagnosis) -> String {
    let mut s = format!("{}\n", d.summary.bold());
    if let Some(r) = &d.reason {
        // The caller's text, shown as it is only where it is safe to print (§8).
        let _ = writeln!(s, "reason: {}", sipcreds::printable(r, 200));
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

pub fn codes(list: &[sipcreds::ErrorInfo]) -> String {
    let mut s = String::new();
    for c in list {
        let _ = writeln!(s, "{:>3}  {:22}  {}", c.number, c.code, c.description);
    }
    s
}
