//! `sipcreds monitor` and `sipcreds health` (§13): the monitor in the foreground (each
//! transition a line, JSON Lines with `--json`; `--once` probes every credential once and
//! exits 4 if any is `down` or `rejected`), and the records it keeps.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use owo_colors::OwoColorize;
use serde_json::{Value, json};
use sipcreds::{Error, HealthEvent, HealthRecord, HealthState, Org, Registry};
use sipcreds_probe::{Monitor, MonitorOptions, ProbeOptions, Transition};

use crate::output::{Output, table};
use crate::probe::EXIT_PROBE_FAILED;

/// `monitor`'s options, as given (checked by [`MonitorOptions::check`]).
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// Seconds between probes of a credential (10 to 3600).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    interval: u64,
    /// The longest interval while a credential is down, in seconds (the back-off doubles up
    /// to it; from --interval to 86400).
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    max_interval: u64,
    /// Successes in a row that bring a degraded or down credential up (1 to 10).
    #[arg(long, default_value_t = 2, value_name = "N")]
    up_after: u32,
    /// Hard failures in a row that make a credential down (1 to 10).
    #[arg(long, default_value_t = 3, value_name = "N")]
    down_after: u32,
    /// Probes in flight to one server host:port (1 to 100); one started per second at most.
    #[arg(long, default_value_t = 2, value_name = "N")]
    per_server: usize,
    /// Probes in flight in all (1 to 10000).
    #[arg(long, default_value_t = 50, value_name = "N")]
    concurrency: usize,
    /// The budget of one probe, in seconds (0.1 to 60; default 5).
    #[arg(long, value_name = "SECS")]
    timeout: Option<String>,
    /// Verify TLS trunks against the CA certificates of this PEM file.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// Ask this nameserver (ip:port) instead of the system's resolver.
    #[arg(long, value_name = "ADDR:PORT")]
    nameserver: Option<String>,
    /// Probe every credential that is not paused or rejected once, now, record the results
    /// and exit: 0, or 4 if any credential of the org is down or rejected.
    #[arg(long)]
    once: bool,
}

impl MonitorArgs {
    /// The monitor's options for `org`: `invalid_option` naming the option out of range.
    pub fn options(&self, org: &str) -> Result<MonitorOptions, Error> {
        let mut probe = ProbeOptions::default();
        if let Some(t) = &self.timeout {
            probe = probe.with_timeout(ProbeOptions::parse_timeout(t)?)?;
        }
        if let Some(f) = &self.ca_file {
            probe = probe.with_ca_file(f.clone())?;
        }
        if let Some(ns) = &self.nameserver {
            probe.nameserver = Some(ProbeOptions::parse_nameserver(ns)?);
        }
        let options = MonitorOptions {
            interval: Duration::from_secs(self.interval),
            max_interval: Duration::from_secs(self.max_interval),
            up_after: self.up_after,
            down_after: self.down_after,
            per_server: self.per_server,
            concurrency: self.concurrency,
            orgs: vec![Org::parse(org)?],
            probe,
        };
        options.check()?;
        Ok(options)
    }
}

/// A transition as a line: `{"org", "at", "credentialId", "from", "to", "outcome", ...}`.
pub fn transition_json(t: &Transition) -> Value {
    let mut v = t.event.to_json();
    if let Value::Object(m) = &mut v {
        m.insert("org".into(), json!(t.org.as_str()));
    }
    v
}

fn state_word(s: HealthState) -> String {
    match s {
        HealthState::Up => s.as_str().green().to_string(),
        HealthState::Degraded => s.as_str().yellow().to_string(),
        HealthState::Down | HealthState::Rejected => s.as_str().red().bold().to_string(),
        _ => s.as_str().to_owned(),
    }
}

/// One transition, for people: its time, the credential (and its name, when known), the
/// states and why.
fn event_line(e: &HealthEvent, name: Option<&str>) -> String {
    let name = name
        .map(|n| format!(" ({})", sipcreds::printable(n, 100)))
        .unwrap_or_default();
    let why = match (&e.outcome, e.status) {
        (Some(o), Some(st)) => format!(" ({o}, {st}{})", reason(e.reason.as_deref())),
        (Some(o), None) => format!(" ({o})"),
        (None, _) => String::new(),
    };
    format!(
        "{} {}{} {} -> {}{}\n",
        sipcreds::timestamp(e.at),
        e.credential_id,
        name,
        state_word(e.from),
        state_word(e.to),
        why
    )
}

fn reason(r: Option<&str>) -> String {
    r.map(|r| format!(" {}", sipcreds::printable(r, 80)))
        .unwrap_or_default()
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::storage(format!("cannot start the runtime: {e}")))
}

/// Whether any credential of `org` is `down` or `rejected` (read a page at a time).
fn any_failing(reg: &Registry, org: &str) -> Result<bool, Error> {
    let mut after: Option<String> = None;
    loop {
        let page = reg.health_list(
            org,
            &sipcreds::Page::new(sipcreds::Page::MAX_LIMIT, after.as_deref())?,
        )?;
        if page
            .items
            .iter()
            .any(|r| matches!(r.state, HealthState::Down | HealthState::Rejected))
        {
            return Ok(true);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(false),
        }
    }
}

/// `sipcreds monitor`.
pub fn monitor(reg: Registry, org: &str, args: MonitorArgs) -> Result<Output, Error> {
    let options = args.options(org)?;
    let monitor = Monitor::new(reg.clone(), options)?;
    let org = org.to_owned();
    let exit = Arc::new(AtomicU8::new(0));
    let late = exit.clone();
    let once = args.once;
    let mut out = Output::stream(move |w, as_json| {
        let rt = runtime().map_err(std::io::Error::other)?;
        // The credentials' names, read once each for the lines people read.
        let mut names: std::collections::HashMap<String, Option<String>> = Default::default();
        let mut write = |w: &mut dyn Write, t: &Transition| -> std::io::Result<()> {
            if as_json {
                serde_json::to_writer(&mut *w, &transition_json(t))
                    .map_err(std::io::Error::other)?;
                w.write_all(b"\n")?;
            } else {
                let id = t.event.credential_id.to_string();
                let name = names.entry(id).or_insert_with_key(|id| {
                    reg.get_credential(t.org.as_str(), id)
                        .ok()
                        .and_then(|c| c.input.name.map(|n| n.as_str().to_owned()))
                });
                w.write_all(event_line(&t.event, name.as_deref()).as_bytes())?;
            }
            w.flush()
        };
        if once {
            let transitions = rt.block_on(monitor.once()).map_err(std::io::Error::other)?;
            for t in &transitions {
                write(w, t)?;
            }
            if any_failing(&reg, &org).map_err(std::io::Error::other)? {
                late.store(EXIT_PROBE_FAILED, Ordering::Relaxed);
            }
            return Ok(());
        }
        let mut rx = monitor.subscribe();
        let m = monitor.clone();
        let mut handle = rt.spawn(async move { m.run().await });
        let stopper = monitor.clone();
        rt.spawn(async move {
            crate::shutdown_signal().await;
            stopper.stop();
        });
        let mut result = Ok(());
        let ran = rt.block_on(async {
            loop {
                tokio::select! {
                    ran = &mut handle => break ran,
                    got = rx.recv() => match got {
                        Ok(t) if result.is_ok() => {
                            if let Err(e) = write(w, &t) {
                                result = Err(e);
                                monitor.stop();
                            }
                        }
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            eprintln!("sipcreds monitor: {n} transitions not shown (too many at once; the records are right)");
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            break (&mut handle).await;
                        }
                    },
                }
            }
        });
        // The transitions of the last round.
        while let Ok(t) = rx.try_recv() {
            if result.is_ok() {
                result = write(w, &t);
            }
        }
        ran.map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        result
    });
    out.late_exit = Some(exit);
    Ok(out)
}

/// `health` without an id: the org's records as a table, or the §5 list JSON.
/// The health table: each credential's id, name and record.
pub fn health_table(
    list: &[(Option<String>, HealthRecord)],
    w: &mut dyn Write,
) -> std::io::Result<()> {
    table(
        w,
        &[
            "ID",
            "NAME",
            "STATE",
            "SINCE",
            "LAST PROBE",
            "OUTCOME",
            "NEXT PROBE",
            "PROBES",
            "FAILURES",
        ],
        list,
        |(name, r)| {
            vec![
                r.credential_id.to_string(),
                name.clone().unwrap_or_else(|| "-".into()),
                r.state.to_string(),
                sipcreds::timestamp(r.since),
                r.last_probe_at
                    .map(sipcreds::timestamp)
                    .unwrap_or_else(|| "-".into()),
                match (&r.last_outcome, r.last_status) {
                    (Some(o), Some(s)) => format!("{o} ({s})"),
                    (Some(o), None) => o.clone(),
                    _ => "-".into(),
                },
                r.next_probe_at
                    .map(sipcreds::timestamp)
                    .unwrap_or_else(|| "-".into()),
                r.probes.to_string(),
                r.failures.to_string(),
            ]
        },
        "no credentials",
    )
}

/// One record, for people.
pub fn health_one(r: &HealthRecord) -> String {
    let mut s = String::new();
    let mut row = |k: &str, v: String| s.push_str(&format!("{:22} {}\n", k.bold(), v));
    row("credential", r.credential_id.to_string());
    row("state", state_word(r.state));
    row("since", sipcreds::timestamp(r.since));
    row(
        "last probe",
        r.last_probe_at
            .map(sipcreds::timestamp)
            .unwrap_or_else(|| "-".into()),
    );
    row(
        "last outcome",
        match (&r.last_outcome, r.last_status) {
            (Some(o), Some(st)) => format!("{o} ({st}{})", reason(r.last_reason.as_deref())),
            (Some(o), None) => o.clone(),
            _ => "-".into(),
        },
    );
    row(
        "last round trip",
        r.last_rtt_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_else(|| "-".into()),
    );
    row(
        "next probe",
        r.next_probe_at
            .map(sipcreds::timestamp)
            .unwrap_or_else(|| "-".into()),
    );
    row("failures in a row", r.consecutive_failures.to_string());
    row("successes in a row", r.consecutive_successes.to_string());
    row(
        "in this state",
        format!(
            "{} probe{}, {} failed",
            r.probes,
            if r.probes == 1 { "" } else { "s" },
            r.failures
        ),
    );
    s
}

/// A credential's events, for people.
pub fn events_text(events: &[HealthEvent]) -> String {
    if events.is_empty() {
        return "no transitions yet\n".into();
    }
    events.iter().map(|e| event_line(e, None)).collect()
}
