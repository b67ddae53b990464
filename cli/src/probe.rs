//! `sipcreds probe ID` and `sipcreds probe --all` (§12): the live probe, for people (the
//! outcome, the failing step, the realm asked against the one configured, and the fix) and
//! for machines (the report as JSON; JSON Lines for `--all`).

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use owo_colors::OwoColorize;
use sipcreds::{Error, Registry};
use sipcreds_probe::{Outcome, ProbeOptions, Report};

use crate::output::Output;

/// The exit code of a probe that did not end `ok` or `reachable`.
pub const EXIT_PROBE_FAILED: u8 = 4;

fn text(s: &str) -> String {
    // What the server sent is shown escaped: it is not ours to print raw to a terminal.
    sipcreds::printable(s, 200)
}

/// The report for people.
pub fn human(r: &Report) -> String {
    let mut s = String::new();
    let outcome = if r.outcome.is_success() {
        r.outcome.as_str().green().bold().to_string()
    } else {
        r.outcome.as_str().red().bold().to_string()
    };
    let _ = writeln!(
        s,
        "{} {} ({}): {}{}",
        r.credential_id.as_deref().unwrap_or("-").bold(),
        r.server,
        r.transport,
        outcome,
        match (r.status, &r.reason) {
            (Some(st), Some(re)) => format!(" — {st} {}", text(re)),
            (Some(st), None) => format!(" — {st}"),
            _ => String::new(),
        }
    );
    for step in &r.steps {
        let mark = if step.ok {
            "ok  ".green().to_string()
        } else {
            "FAIL".red().bold().to_string()
        };
        let _ = writeln!(
            s,
            "  {:9} {} {:>9.1} ms  {:21} {}",
            format!("{:?}", step.step).to_lowercase(),
            mark,
            step.ms,
            step.target.as_deref().unwrap_or(""),
            step.detail.as_deref().map(text).unwrap_or_default()
        );
    }
    if r.targets.len() > 1 {
        let list: Vec<String> = r
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{} ({})",
                    t.socket(),
                    match t.source {
                        sipcreds_probe::Source::Srv => "srv",
                        sipcreds_probe::Source::A => "a",
                        sipcreds_probe::Source::Literal => "literal",
                    }
                )
            })
            .collect();
        let _ = writeln!(s, "  {} {}", "targets:".dimmed(), list.join(", "));
    }
    if let Some(c) = &r.challenge {
        let verdict = if r.realm_matches == Some(true) {
            "matches".green().to_string()
        } else {
            "DIFFERS".red().bold().to_string()
        };
        let _ = writeln!(
            s,
            "  {} the server asked for {:?} ({}{}); configured {:?}: {}",
            "realm:".dimmed(),
            text(&c.realm),
            text(&c.algorithm),
            c.qop
                .as_deref()
                .map(|q| format!(", qop {}", text(q)))
                .unwrap_or_default(),
            r.configured_realm,
            verdict
        );
    }
    if let Some(a) = &r.public_address {
        let _ = writeln!(s, "  {} {a}", "seen as:".dimmed());
    }
    if let Some(h) = &r.server_header {
        let _ = writeln!(s, "  {} {}", "server:".dimmed(), text(h));
    }
    if let Some(t) = &r.tls_error {
        let _ = writeln!(s, "  {} {t}", "tls error:".dimmed());
    }
    if let Some(ra) = r.retry_after {
        let _ = writeln!(s, "  {} {ra} s", "retry after:".dimmed());
    }
    if let Some(step) = r.failing_step() {
        let _ = writeln!(
            s,
            "  {} {} — {}",
            "failed at:".dimmed(),
            format!("{:?}", step.step).to_lowercase().bold(),
            step.detail.as_deref().map(text).unwrap_or_default()
        );
    }
    if !r.causes.is_empty() {
        let _ = writeln!(
            s,
            "\nlikely causes ({}):",
            r.symptom.as_deref().unwrap_or("-")
        );
        for (i, c) in r.causes.iter().enumerate() {
            let _ = writeln!(s, "  {}. {} {}", i + 1, c.code.bold(), c.cause.cause);
            let _ = writeln!(s, "     {} {}", "fix:".green(), c.fix);
            if !c.fields.is_empty() {
                let _ = writeln!(s, "     {} {}", "check:".dimmed(), c.fields.join(", "));
            }
            if let Some(o) = &c.observed {
                let _ = writeln!(s, "     {} {}", "seen:".dimmed(), text(o));
            }
        }
    }
    if let Some(trace) = &r.trace {
        let _ = writeln!(s, "\ntrace ({} message(s)):", trace.len());
        for m in trace {
            let arrow = if m.direction == "sent" { "→" } else { "←" };
            let _ = writeln!(
                s,
                "  {:>9.1} ms {arrow} {} {}",
                m.ms, m.transport, m.address
            );
            // The message is escaped already: its line ends are \u000d\u000a.
            for line in m.message.split("\\u000d\\u000a") {
                if !line.is_empty() {
                    let _ = writeln!(s, "      {line}");
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "  {} {:.1} ms, {} request(s) sent",
        "took:".dimmed(),
        r.elapsed_ms,
        r.requests_sent
    );
    s
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::storage(format!("the probe's runtime cannot start: {e}")))
}

/// `probe ID`: one report; exit 4 unless `ok` or `reachable`.
pub fn one(reg: &Registry, org: &str, id: &str, options: ProbeOptions) -> Result<Output, Error> {
    let credential = reg.get_credential(org, id)?;
    let report = runtime()?.block_on(sipcreds_probe::probe(&credential, &options));
    let exit = if report.outcome.is_success() {
        0
    } else {
        EXIT_PROBE_FAILED
    };
    // The report's own key order (the struct's), pretty-printed.
    let mut out = Output::stream(move |w, as_json| {
        if as_json {
            serde_json::to_writer_pretty(&mut *w, &report).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        } else {
            w.write_all(human(&report).as_bytes())
        }
    });
    out.exit = exit;
    Ok(out)
}

/// `probe --all`: every credential of the org, `concurrency` at a time, a progress bar on a
/// terminal; JSON Lines (in the order they end) with `--json`, else a summary table.
pub fn all(
    reg: &Registry,
    org: &str,
    concurrency: usize,
    options: ProbeOptions,
) -> Result<Output, Error> {
    sipcreds_probe::check_concurrency(concurrency)?;
    let credentials = reg.list_credentials(org)?;
    let total = credentials.len();
    // The probes run on the probe crate's shared runtime; reports come back as they end.
    let rx = sipcreds_probe::probe_all_channel(credentials, concurrency, options)?;
    let exit = Arc::new(AtomicU8::new(0));
    let late = exit.clone();
    let mut out = Output::stream(move |w, as_json| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "probing {bar:30} {pos}/{len} credentials, {elapsed} ({msg})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut summary: Vec<Option<SummaryRow>> = Vec::new();
        if !as_json {
            summary.resize_with(total, || None);
        }
        let mut failed = 0usize;
        let mut counts: Vec<(Outcome, usize)> = Vec::new();
        let mut result = Ok(());
        for (i, report) in rx {
            bar.inc(1);
            if !report.outcome.is_success() {
                failed += 1;
                late.store(EXIT_PROBE_FAILED, Ordering::Relaxed);
            }
            bar.set_message(format!("{failed} failing"));
            match counts.iter_mut().find(|(o, _)| *o == report.outcome) {
                Some((_, n)) => *n += 1,
                None => counts.push((report.outcome, 1)),
            }
            if as_json {
                if result.is_ok() {
                    result = serde_json::to_writer(&mut *w, &report)
                        .map_err(std::io::Error::other)
                        .and_then(|()| w.write_all(b"\n"));
                }
            } else {
                summary[i] = Some(SummaryRow::of(&report));
            }
        }
        bar.finish_and_clear();
        result?;
        if !as_json {
            write_summary(w, &summary, &counts, total)?;
        }
        Ok(())
    });
    out.late_exit = Some(exit);
    Ok(out)
}

struct SummaryRow {
    id: String,
    server: String,
    transport: String,
    outcome: Outcome,
    status: String,
    ms: f64,
    fix: String,
}

impl SummaryRow {
    fn of(r: &Report) -> Self {
        SummaryRow {
            id: r.credential_id.clone().unwrap_or_default(),
            server: sipcreds::printable(&r.server, 40),
            transport: r.transport.clone(),
            outcome: r.outcome,
            status: r
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            ms: r.elapsed_ms,
            fix: r
                .causes
                .first()
                .map(|c| c.fix.to_owned())
                .unwrap_or_default(),
        }
    }
}

fn write_summary(
    w: &mut dyn Write,
    rows: &[Option<SummaryRow>],
    counts: &[(Outcome, usize)],
    total: usize,
) -> std::io::Result<()> {
    writeln!(
        w,
        "{:31}  {:40}  {:4}  {:20}  {:>6}  {:>8}  {}",
        "ID".bold(),
        "SERVER".bold(),
        "TP".bold(),
        "OUTCOME".bold(),
        "STATUS".bold(),
        "MS".bold(),
        "FIX".bold()
    )?;
    for row in rows.iter().flatten() {
        let outcome = if row.outcome.is_success() {
            format!("{:20}", row.outcome.as_str()).green().to_string()
        } else {
            format!("{:20}", row.outcome.as_str()).red().to_string()
        };
        let mut fix = row.fix.clone();
        if let Some((i, _)) = fix.char_indices().nth(70) {
            fix.truncate(i);
            fix.push('…');
        }
        writeln!(
            w,
            "{:31}  {:40}  {:4}  {}  {:>6}  {:>8.1}  {}",
            row.id, row.server, row.transport, outcome, row.status, row.ms, fix
        )?;
    }
    let mut by: Vec<String> = counts
        .iter()
        .map(|(o, n)| format!("{n} {}", o.as_str()))
        .collect();
    by.sort();
    writeln!(
        w,
        "\n{total} credential(s) probed: {}",
        if by.is_empty() {
            "none".to_owned()
        } else {
            by.join(", ")
        }
    )
}
