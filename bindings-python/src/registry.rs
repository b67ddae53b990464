//! The `Registry` class: every store operation with the interpreter detached, and the
//! list-or-page helpers its methods share.

use super::*;

/// The registry: credentials, numbers, agents and providers of every org, with their rate
/// limits. In memory without a path; the embedded SQLite store with one.
#[pyclass(subclass, module = "sipcreds._native", name = "Registry")]
pub(crate) struct PyRegistry {
    inner: sipcreds::Registry,
    path: Option<String>,
    closed: bool,
}

pub(crate) fn credential_list<'py>(
    py: Python<'py>,
    list: Vec<sipcreds::Credential>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for c in list {
        out.append(Bound::new(py, PyCredential::new(c))?)?;
    }
    Ok(out)
}

/// The page a `limit=` / `after=` pair asks for (`sipcreds::Page::from_options`: `None` for
/// the whole list). A limit that is not an int, or a cursor that is not a str, is
/// `invalid_option` with its field, as a limit out of range is (core's rule).
pub(crate) fn page_from_py(
    limit: Option<&Bound<'_, PyAny>>,
    after: Option<&Bound<'_, PyAny>>,
) -> Result<Option<sipcreds::Page>, Error> {
    let option = |field: &'static str, message: String| Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: Some(field.into()),
        message,
    };
    let limit = match limit {
        None => None,
        Some(l)
            if l.is_instance_of::<pyo3::types::PyBool>()
                || !l.is_instance_of::<pyo3::types::PyInt>() =>
        {
            return Err(option(
                "limit",
                format!("limit must be an int from 1 to 1000, not {}", type_name(l)),
            ));
        }
        // Out of u64 (negative or huge): a number out of range all the same.
        Some(l) => Some(l.extract::<u64>().unwrap_or(0)),
    };
    let after = match after {
        None => None,
        Some(a) => Some(a.extract::<String>().map_err(|_| {
            let why = if a.is_instance_of::<pyo3::types::PyString>() {
                "after is not valid text (a lone surrogate): give the previous page's \"next\""
                    .into()
            } else {
                format!(
                    "after must be the str cursor of the previous page, not {}",
                    type_name(a)
                )
            };
            option("after", why)
        })?),
    };
    sipcreds::Page::from_options(limit, after.as_deref())
}

/// `{"items": [...], "next": cursor | None}`.
pub(crate) fn page_dict<'py>(
    py: Python<'py>,
    items: Bound<'py, PyList>,
    next: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("items", items)?;
    d.set_item("next", next)?;
    Ok(d.into_any())
}

/// A JSON list answered whole (`whole`, a `list`) or, when `limit=` / `after=` ask for it,
/// one page (`page`, `{"items": [...], "next": ...}`), read with the GIL released.
pub(crate) fn json_list_or_page<'py, T>(
    py: Python<'py>,
    limit: Option<&Bound<'py, PyAny>>,
    after: Option<&Bound<'py, PyAny>>,
    whole: impl FnOnce() -> Result<Vec<T>, Error> + Send,
    page: impl FnOnce(&sipcreds::Page) -> Result<sipcreds::Paged<T>, Error> + Send,
    to_json: fn(&T) -> Value,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send,
{
    let Some(p) = page_from_py(limit, after).or_raise(py)? else {
        let list = py.detach(whole).or_raise(py)?;
        return Ok(json_list(py, list.iter().map(to_json))?.into_any());
    };
    let p = py.detach(|| page(&p)).or_raise(py)?;
    page_dict(py, json_list(py, p.items.iter().map(to_json))?, p.next)
}

pub(crate) fn json_list<'py>(
    py: Python<'py>,
    items: impl Iterator<Item = Value>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for v in items {
        out.append(to_py(py, &v)?)?;
    }
    Ok(out)
}

/// The docs/probe.md probe options from a Python dict (or None for the defaults).
pub(crate) fn probe_options(
    py: Python<'_>,
    options: Option<&Bound<'_, PyAny>>,
) -> PyResult<sipcreds_probe::ProbeOptions> {
    match options {
        None => Ok(sipcreds_probe::ProbeOptions::default()),
        Some(o) => {
            let mut conv = Conversion::default();
            let value = value_from_py(o, 0, &mut conv)?;
            if let Some(key) = conv.undecodable {
                return Err(py_error(
                    py,
                    Error::invalid(
                        sipcreds::ErrorCode::InvalidOption,
                        sipcreds::printable(&key, sipcreds::MAX_ECHOED_FIELD_CHARS),
                        not_text("the option"),
                    ),
                ));
            }
            sipcreds_probe::ProbeOptions::from_value(&value).or_raise(py)
        }
    }
}

/// The reports of `probe_all`, in the order the probes end.
#[pyclass(module = "sipcreds._native", name = "ProbeReports")]
pub(crate) struct ProbeReports {
    rx: std::sync::Mutex<Option<std::sync::mpsc::Receiver<(usize, sipcreds_probe::Report)>>>,
}

#[pymethods]
impl ProbeReports {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| {
            let guard = self.rx.lock().ok()?;
            guard.as_ref()?.recv().ok()
        });
        match next {
            Some((_, report)) => serialize_to_py(py, &report).map(Some),
            None => Ok(None),
        }
    }
}

/// The `#[pymethods]` of `PyRegistry` of one shape, a line each (pyo3's `multiple-pymethods`:
/// the others are in a `#[pymethods]` block of their own below). Of one shape: `org` and text arguments in (each converted
/// by its kind, answering its own error code), the core's operation of the same name called
/// with the interpreter detached, its answer as Python values; and the lists answered whole or,
/// with `limit=` / `after=`, one page.
macro_rules! registry_pymethods {
    (
        answers { $( $(#[$doc:meta])* fn $name:ident($($arg:ident: $kind:ident),*); )* }
        lists { $( fn $list:ident / $page:ident as $item:ident; )* }
    ) => {
        #[pymethods]
        impl PyRegistry {
            $(
                $(#[$doc])*
                fn $name<'py>(
                    &self,
                    py: Python<'py>,
                    org: OrgText,
                    $($arg: $kind),*
                ) -> PyResult<Bound<'py, PyAny>> {
                    let org: &str = &org;
                    $(let $arg: &str = &$arg;)*
                    let r = py.detach(|| self.inner.$name(org, $($arg),*)).or_raise(py)?;
                    serialize_to_py(py, &r)
                }
            )*
            $(
                /// Every item (a list), or with `limit=` / `after=` one page:
                /// `{"items": [...], "next": cursor | None}`.
                #[pyo3(signature = (org, *, limit=None, after=None))]
                fn $list<'py>(
                    &self,
                    py: Python<'py>,
                    org: OrgText,
                    limit: Option<&Bound<'py, PyAny>>,
                    after: Option<&Bound<'py, PyAny>>,
                ) -> PyResult<Bound<'py, PyAny>> {
                    let org: &str = &org;
                    json_list_or_page(
                        py,
                        limit,
                        after,
                        || self.inner.$list(org),
                        |p| self.inner.$page(org, p),
                        sipcreds::$item::to_json,
                    )
                }
            )*
        }
    };
}

impl PyRegistry {
    /// `reserve` or `acquire` (`op`) with `max_wait` in seconds, the interpreter detached.
    fn paced(
        &self,
        py: Python<'_>,
        org: &str,
        credential_id: &str,
        max_wait: f64,
        op: fn(
            &sipcreds::Registry,
            &str,
            &str,
            std::time::Duration,
        ) -> sipcreds::Result<sipcreds::Decision>,
    ) -> PyResult<PyDecision> {
        let max_wait = seconds(py, "max_wait", max_wait)?;
        let d = py
            .detach(|| op(&self.inner, org, credential_id, max_wait))
            .or_raise(py)?;
        Ok(PyDecision { inner: d })
    }
}

registry_pymethods! {
    answers {
        /// What uses the credential: ``{"phoneNumbers": [...], "agents": [...]}``.
        fn usage(id: IdText);
        /// Link a phone number (E.164, created if new) to a credential; linking it again moves it.
        fn link_number(number: NumberText, credential_id: CredentialIdText);
        /// Unlink a number from its credential (the number stays, with its agents).
        fn unlink_number(number: NumberText);
        /// Delete a number, unlinking it and removing it from every agent.
        fn delete_number(number: NumberText);
        /// One phone number and the credential it is linked to: ``{"number", "credentialId"}``.
        fn get_number(number: NumberText);
        /// The credential's health record: ``{"credentialId", "state", "since", "lastProbeAt",
        /// "nextProbeAt", "consecutiveFailures", "consecutiveSuccesses", "lastOutcome",
        /// "lastStatus", "lastReason", "lastRttMs", "probes", "failures"}``; ``state`` is
        /// ``unknown`` until the monitor probes it.
        fn health(id: IdText);
        /// Stop the monitor probing the credential (``paused``); its health record.
        fn pause(id: IdText);
        /// Probe a paused or rejected credential again (``unknown``, due now); its health record.
        fn resume(id: IdText);
        /// The org's tokens, oldest first: ``[{"id", "org", "name", "role", "createdAt",
        /// "lastUsedAt"}]`` (never a token itself).
        fn list_tokens();
        /// End a token at once (``id`` is its ``tok_...`` id, not the token): every server
        /// sharing the store refuses it from its next request. Returns what was revoked.
        fn revoke_token(id: IdText);
        /// Create an agent with this name (1-64 characters).
        fn create_agent(name: NameText);
        /// The agent ``id`` of ``org``, with its numbers.
        fn get_agent(id: IdText);
        /// Give an agent an existing number (assigning it twice changes nothing).
        fn assign_number(agent_id: AgentIdText, number: NumberText);
        /// Take a number from an agent.
        fn unassign_number(agent_id: AgentIdText, number: NumberText);
        /// Delete an agent (its numbers stay).
        fn delete_agent(id: IdText);
        /// Delete a provider and its read-only credentials, unlinking their numbers.
        fn delete_provider(id: IdText);
        /// Findings for the org's stored credentials (severity, code, field, message, fix), most
        /// severe first: what will probably fail though it is valid.
        fn lint();
        /// The org's rate groups: each key, its member credentials and its effective CPS limit.
        fn rate_groups();
    }
    lists {
        fn list_numbers / list_numbers_page as NumberRecord;
        fn list_agents / list_agents_page as Agent;
        fn list_providers / list_providers_page as Provider;
    }
}

#[pymethods]
impl PyRegistry {
    #[new]
    #[pyo3(signature = (path = None, *, limiter = "process"))]
    fn new(py: Python<'_>, path: Option<std::path::PathBuf>, limiter: &str) -> PyResult<Self> {
        let shown = path
            .as_ref()
            .map(|p| sipcreds::redact_location(&p.display().to_string()));
        // A path that is not UTF-8 is refused: a lossy conversion would open another file.
        let location = match path {
            None => None,
            Some(p) => Some(p.to_str().map(str::to_owned).ok_or_else(|| {
                py_error(
                    py,
                    Error::Invalid {
                        code: ErrorCode::InvalidOption,
                        field: Some("path".into()),
                        message: "path is not valid UTF-8; rename the file or give a UTF-8 path"
                            .into(),
                    },
                )
            })?),
        };
        let inner = py
            .detach(|| sipcreds_open::open_optional(location.as_deref(), limiter))
            .or_raise(py)?;
        Ok(PyRegistry {
            inner,
            path: shown,
            closed: false,
        })
    }

    /// The SQLite file, or `None` in memory.
    #[getter]
    fn path(&self) -> Option<String> {
        self.path.clone()
    }

    /// Close the registry: its store's file handles and connections are released at once,
    /// and every later call raises ``StorageError``. Closing again does nothing. Closing
    /// while another thread is inside a call of this object raises ``RuntimeError``.
    fn close(&mut self) {
        if !self.closed {
            self.inner = sipcreds::Registry::closed();
            self.closed = true;
        }
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        match &self.path {
            Some(p) => format!("Registry(path={p:?})"),
            None => "Registry(path=None)".into(),
        }
    }

    // -- credentials

    /// Create a credential from a dict of its wire fields (or its JSON text): the stored
    /// ``Credential``. Raises ``ValidationError`` (with ``code`` and ``field``) for bad input;
    /// nothing is stored then.
    fn create_credential(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential: &Bound<'_, PyAny>,
    ) -> PyResult<PyCredential> {
        let org: &str = &org;
        let input = input_from_py(py, credential)?;
        let c = py
            .detach(|| self.inner.create_credential(org, input))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// Create many credentials in one transaction: all or nothing.
    fn create_credentials<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        credentials: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let org: &str = &org;
        let inputs = inputs_from_py(py, credentials)?;
        let created = py
            .detach(|| self.inner.create_credentials(org, inputs))
            .or_raise(py)?;
        credential_list(py, created)
    }

    /// The credential ``id`` of ``org``; ``NotFoundError`` if there is none (another org's id
    /// is not found either).
    fn get_credential(&self, py: Python<'_>, org: OrgText, id: IdText) -> PyResult<PyCredential> {
        let org: &str = &org;
        let id: &str = &id;
        let c = py
            .detach(|| self.inner.get_credential(org, id))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// Every credential (a list), or with `limit=` / `after=` one page:
    /// `{"items": [...], "next": cursor | None}`.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn list_credentials<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let Some(page) = page_from_py(limit, after).or_raise(py)? else {
            let list = py
                .detach(|| self.inner.list_credentials(org))
                .or_raise(py)?;
            return Ok(credential_list(py, list)?.into_any());
        };
        let p = py
            .detach(|| self.inner.list_credentials_page(org, &page))
            .or_raise(py)?;
        page_dict(py, credential_list(py, p.items)?, p.next)
    }

    /// Change the fields a patch gives (``None`` clears one; ``expectedVersion`` refuses a
    /// stale update with ``ConflictError``): the updated ``Credential``, its version + 1.
    /// A provider's credential is read-only (``ReadOnlyError``).
    fn update_credential(
        &self,
        py: Python<'_>,
        org: OrgText,
        id: IdText,
        patch: &Bound<'_, PyAny>,
    ) -> PyResult<PyCredential> {
        let org: &str = &org;
        let id: &str = &id;
        let patch = patch_from_py(py, patch)?;
        let c = py
            .detach(|| self.inner.update_credential(org, id, patch))
            .or_raise(py)?;
        Ok(PyCredential::new(c))
    }

    /// Delete a credential. In use (numbers link to it), it is refused with ``InUseError``
    /// naming them, unless ``force=True``, which unlinks them first: the report says what was
    /// deleted and unlinked.
    #[pyo3(signature = (org, id, force = false))]
    fn delete_credential<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        force: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let r = py
            .detach(|| self.inner.delete_credential(org, id, force))
            .or_raise(py)?;
        serialize_to_py(py, &r)
    }

    // -- numbers

    /// The lint findings of an unsaved ``credential`` in the org's context: its own fields'
    /// and its cpsKey group's as they would be once saved, in place of the credential ``id``
    /// when given (an edit), else as a new one (labelled ``new``).
    #[pyo3(signature = (org, credential, id = None))]
    fn lint_input<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        credential: &Bound<'py, PyAny>,
        id: Option<IdText>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let input = input_from_py(py, credential)?;
        let id = id.as_deref().map(|i| i.to_owned());
        let findings = py
            .detach(|| self.inner.lint_input(org, &input, id.as_deref()))
            .or_raise(py)?;
        serialize_to_py(py, &findings)
    }

    // -- health over time (the monitor's records)

    /// Every credential's health record (a list), or with ``limit=`` / ``after=`` one page:
    /// ``{"items": [...], "next": cursor | None}``.
    #[pyo3(signature = (org, *, limit=None, after=None))]
    fn health_list<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        limit: Option<&Bound<'py, PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        json_list_or_page(
            py,
            limit,
            after,
            || sipcreds::Page::all(|p| self.inner.health_list(org, p)),
            |p| self.inner.health_list(org, p),
            sipcreds::HealthRecord::to_json,
        )
    }

    /// The credential's last transitions (up to 100), oldest first: ``{"at",
    /// "credentialId", "from", "to", "outcome", "status", "reason"}`` each.
    fn health_events<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let events = py
            .detach(|| self.inner.health_events(org, id))
            .or_raise(py)?;
        Ok(json_list(py, events.iter().map(sipcreds::HealthEvent::to_json))?.into_any())
    }

    // -- API tokens (for ``sipcreds serve``)

    /// Make a token of the HTTP API for ``org`` with ``role`` (``"read"`` or ``"write"``)
    /// and an optional ``name``: ``{"id", "name", "role", "org", "token", "createdAt"}``.
    /// ``token`` is shown here once; the store keeps only its SHA-256.
    #[pyo3(signature = (org, role, name = None))]
    fn create_token<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        role: RoleText,
        name: Option<NameText>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let role = sipcreds::Role::parse(&role, "role").or_raise(py)?;
        let name = name.as_deref().map(|n| n.to_owned());
        let t = py
            .detach(|| self.inner.create_token(org, role, name.as_deref()))
            .or_raise(py)?;
        serialize_to_py(py, &t.to_json())
    }

    // -- agents

    // -- providers

    /// Connect a provider and create its read-only credentials:
    /// `{"provider": {...}, "credentials": [Credential, ...]}`.
    fn connect_provider<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        kind: KindText,
        name: NameText,
        credentials: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let org: &str = &org;
        let kind: &str = &kind;
        let name: &str = &name;
        let inputs = inputs_from_py(py, credentials)?;
        let connected = py
            .detach(|| self.inner.connect_provider(org, kind, name, inputs))
            .or_raise(py)?;
        let out = PyDict::new(py);
        out.set_item(
            intern!(py, "provider"),
            serialize_to_py(py, &connected.provider)?,
        )?;
        out.set_item(
            intern!(py, "credentials"),
            credential_list(py, connected.credentials)?,
        )?;
        Ok(out)
    }

    // -- troubleshooting and rate limits

    /// The live probe (docs/probe.md) of a stored credential: resolve, connect, OPTIONS, and a REGISTER
    /// binding query answering one digest challenge. The interpreter is detached for the
    /// whole probe. A probe that fails is a report; errors are for what stops it starting
    /// (`not_found`, `invalid_option`).
    #[pyo3(signature = (org, id, options = None))]
    fn probe<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let org: &str = &org;
        let id: &str = &id;
        let options = probe_options(py, options)?;
        let report = py
            .detach(|| sipcreds_probe::probe_registry_blocking(&self.inner, org, id, &options))
            .or_raise(py)?;
        serialize_to_py(py, &report)
    }

    /// Start the probe of a stored credential on the probe crate's shared runtime and return
    /// at once; `callback(report)` is called from another thread when it ends (`probe_async`
    /// settles an asyncio future with it). Errors that stop it starting are raised here.
    #[pyo3(signature = (org, id, options, callback))]
    fn _probe_start<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        id: IdText,
        options: Option<&Bound<'py, PyAny>>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let org: &str = &org;
        let id: &str = &id;
        let options = probe_options(py, options)?;
        let credential = py
            .detach(|| self.inner.get_credential(org, id))
            .or_raise(py)?;
        sipcreds_probe::spawn_probe(credential, options, move |report| {
            Python::attach(|py| {
                // A callback that fails (its event loop closed) has no one to tell.
                if let Ok(v) = serialize_to_py(py, &report) {
                    let _ = callback.call1(py, (v,));
                }
            });
        })
        .or_raise(py)
    }

    /// Every credential of the org probed, `concurrency` at a time: an iterator of reports in
    /// the order they end (each `next` waits with the interpreter detached).
    #[pyo3(signature = (org, options, concurrency))]
    fn _probe_all<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        options: Option<&Bound<'py, PyAny>>,
        concurrency: usize,
    ) -> PyResult<ProbeReports> {
        let org: &str = &org;
        let options = probe_options(py, options)?;
        sipcreds_probe::check_concurrency(concurrency).or_raise(py)?;
        let credentials = py
            .detach(|| self.inner.list_credentials(org))
            .or_raise(py)?;
        let rx =
            sipcreds_probe::probe_all_channel(credentials, concurrency, options).or_raise(py)?;
        Ok(ProbeReports {
            rx: std::sync::Mutex::new(Some(rx)),
        })
    }

    /// `_probe_all`, calling `callback(report)` from another thread as each ends, then
    /// `callback(None)` (what `probe_all_async` reads through an asyncio queue).
    #[pyo3(signature = (org, options, concurrency, callback))]
    fn _probe_all_start<'py>(
        &self,
        py: Python<'py>,
        org: OrgText,
        options: Option<&Bound<'py, PyAny>>,
        concurrency: usize,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let reports = self._probe_all(py, org, options, concurrency)?;
        let Some(rx) = reports.rx.lock().ok().and_then(|mut r| r.take()) else {
            return Ok(());
        };
        std::thread::Builder::new()
            .name("sipcreds-probe-all".into())
            .spawn(move || {
                for (_, report) in rx {
                    let delivered = Python::attach(|py| {
                        serialize_to_py(py, &report)
                            .and_then(|v| callback.call1(py, (v,)))
                            .is_ok()
                    });
                    if !delivered {
                        // Nobody listens: dropping the channel stops starting new probes.
                        return;
                    }
                }
                Python::attach(|py| {
                    let _ = callback.call1(py, (py.None(),));
                });
            })
            .map_err(|e| py_error(py, Error::storage(format!("cannot start a thread: {e}"))))?;
        Ok(())
    }

    /// How many credentials the org has (nothing decrypted: one read of the rate columns).
    fn count_credentials(&self, py: Python<'_>, org: OrgText) -> PyResult<usize> {
        let org: &str = &org;
        py.detach(|| self.inner.count_credentials(org)).or_raise(py)
    }

    /// Admit a call on the credential's rate group now, or say when to retry.
    fn try_acquire(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
    ) -> PyResult<PyDecision> {
        let org: &str = &org;
        let credential_id: &str = &credential_id;
        let d = py
            .detach(|| self.inner.try_acquire(org, credential_id))
            .or_raise(py)?;
        Ok(PyDecision { inner: d })
    }

    /// Book the next free slot and say how long to wait before dialing (seconds); rejected,
    /// booking nothing, when that is longer than `max_wait` seconds.
    fn reserve(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
        max_wait: f64,
    ) -> PyResult<PyDecision> {
        self.paced(
            py,
            &org,
            &credential_id,
            max_wait,
            sipcreds::Registry::reserve,
        )
    }

    /// `reserve`, then sleep until the booked slot with the interpreter released: returns
    /// when the caller may dial (admitted), or at once when rejected.
    fn acquire(
        &self,
        py: Python<'_>,
        org: OrgText,
        credential_id: IdText,
        max_wait: f64,
    ) -> PyResult<PyDecision> {
        self.paced(
            py,
            &org,
            &credential_id,
            max_wait,
            sipcreds::Registry::acquire,
        )
    }
}
