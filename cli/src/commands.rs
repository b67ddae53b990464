//! The commands of the registry: credentials, numbers, agents, providers, tokens, health,
//! lists and their pages, import, lint, validate, acquire and serve.

use crate::*;

/// A list command: one page when `--limit`/`--after` ask for it (`{"items", "next"}`), else
/// the whole list read a page at a time (its JSON array written as the pages come, so memory
/// stays bounded however long the list).
pub(crate) fn list_output<T: 'static>(
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

/// `sipcreds health`.
pub(crate) fn health(reg: &Registry, org: &str, args: HealthArgs) -> Result<Output, Error> {
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

pub(crate) fn tokens(reg: &Registry, org: &str, cmd: TokensCmd) -> Result<Output, Error> {
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
pub(crate) fn shared_limiter<'a>(
    db: &str,
    limiter: Option<&'a str>,
    what: &str,
) -> Result<&'a str, Error> {
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

pub(crate) fn serve(db: &str, limiter: Option<&str>, args: ServeArgs) -> Result<Output, Error> {
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

pub(crate) fn acquire(
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
        // Only a caller who asked to wait is told how long it waited (a try's slot may lie a
        // few microseconds ahead, which the JSON's whole milliseconds round up).
        sipcreds::Decision::Admitted { wait, .. }
            if max_wait.is_some() && wait >= std::time::Duration::from_millis(1) =>
        {
            format!(
                "admitted after {} ms ({})\n",
                json["waitMs"],
                json["group"].as_str().unwrap_or("")
            )
        }
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

pub(crate) fn validate() -> Result<Output, Error> {
    let body = read_stdin(Some(sipcreds::MAX_BODY_BYTES))?;
    let input = sipcreds::CredentialInput::from_json(&body)?;
    let normalized = input.normalized_json();
    let human = output::fields("valid credential", &normalized);
    Ok(Output::new(normalized, human))
}

/// Lint a file of inputs: among themselves, or each in an org's context (`in_org`).
pub(crate) fn lint_file(file: &Path, in_org: Option<(&Registry, &str)>) -> Result<Output, Error> {
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
pub(crate) fn ids_by_name(
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

pub(crate) fn import(
    reg: &Registry,
    org: &str,
    file: &Path,
    upsert: bool,
) -> Result<Output, Error> {
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

pub(crate) fn credentials(reg: &Registry, org: &str, cmd: CredentialsCmd) -> Result<Output, Error> {
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

pub(crate) fn numbers(reg: &Registry, org: &str, cmd: NumbersCmd) -> Result<Output, Error> {
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

pub(crate) fn agents(reg: &Registry, org: &str, cmd: AgentsCmd) -> Result<Output, Error> {
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

pub(crate) fn providers(reg: &Registry, org: &str, cmd: ProvidersCmd) -> Result<Output, Error> {
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
