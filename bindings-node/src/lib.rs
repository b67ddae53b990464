//! The native addon of the `sipcreds` npm package: converts JSON text and errors to and from
//! the core's, and nothing else. The public API is `sipcreds.js` beside it, which turns replies
//! into plain objects and native errors into `SipcredsError` subclasses.
//!
//! Every store operation and `reserve` runs as an `AsyncTask` on the libuv thread pool, so the
//! event loop never waits for SQLite. A reply carries its JSON text and, out of the JSON, the
//! credentials it holds: their passwords stay in Rust memory (zeroized when the reply is
//! collected) until `revealPassword` asks for one.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use zeroize::Zeroize;

use sipcreds::{Credential, CredentialInput, CredentialPatch, Error as CoreError};

/// mimalloc for this addon's own allocations (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A core error as a napi error whose message is the error JSON (with `usage` for
/// `in_use`, and the versions for `conflict`); `sipcreds.js` turns it into the right class.
fn fail(e: CoreError) -> napi::Error {
    napi::Error::new(Status::GenericFailure, e.to_json_string())
}

/// The panic boundary of the addon: a panic in Rust (a bug) must not unwind into Node, whose
/// process it would abort. It becomes a `storage` error that says so; the panic's own message
/// is not passed on (it could quote a value).
fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(fail(CoreError::storage(
            "internal error: the sipcreds addon panicked (a bug; please report it); nothing was changed by this call",
        )))
    })
}

/// A caller's body text, wiped when dropped: napi-rs copies a JS string into exactly one Rust
/// buffer, and this is it.
type Body = zeroize::Zeroizing<String>;

fn to_text(v: &Value) -> String {
    // serde_json's writer, not `Display` (which goes through the formatting machinery).
    serde_json::to_string(v).unwrap_or_default()
}

/// The largest create or update body, in bytes (the core's limit, exported as it is).
#[napi]
pub const MAX_BODY_BYTES: u32 = sipcreds::MAX_BODY_BYTES as u32;

/// What an operation answers: its JSON text, and the credentials in it (in the order they
/// appear in the JSON), whose passwords only `revealPassword(i)` reads.
#[napi]
pub struct Reply {
    json: String,
    credentials: Vec<Credential>,
}

#[napi]
impl Reply {
    /// The reply as JSON text (never a password).
    #[napi(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }

    /// The password of the `index`-th credential of the reply, or `null` without one: the JS
    /// string is made straight from the credential's wiped buffer (no Rust copy).
    #[napi(ts_return_type = "string | null")]
    pub fn reveal_password<'env>(
        &self,
        env: &'env Env,
        index: u32,
    ) -> Result<Option<napi::JsString<'env>>> {
        guard(|| {
            self.credentials
                .get(index as usize)
                .and_then(|c| c.expose_password())
                .map(|p| env.create_string(p))
                .transpose()
        })
    }
}

impl Reply {
    fn of(v: Value) -> Reply {
        Reply {
            json: to_text(&v),
            credentials: Vec::new(),
        }
    }

    fn credential(c: Credential) -> Reply {
        Reply {
            json: to_text(&c.to_json()),
            credentials: vec![c],
        }
    }

    fn credentials(list: Vec<Credential>) -> Reply {
        let json = Value::Array(list.iter().map(Credential::to_json).collect());
        Reply {
            json: to_text(&json),
            credentials: list,
        }
    }

    /// `{"items": [...], "next": cursor | null}`, the credentials kept for `revealPassword`.
    fn credential_page(p: sipcreds::Paged<Credential>) -> Reply {
        let json = serde_json::json!({
            "items": p.items.iter().map(Credential::to_json).collect::<Vec<_>>(),
            "next": p.next,
        });
        Reply {
            json: to_text(&json),
            credentials: p.items,
        }
    }

    /// `{"items": [...], "next": cursor | null}`.
    fn page<T>(p: sipcreds::Paged<T>, to_json: impl Fn(&T) -> Value) -> Reply {
        Reply::of(serde_json::json!({
            "items": p.items.iter().map(to_json).collect::<Vec<_>>(),
            "next": p.next,
        }))
    }

    fn serialize<T: serde::Serialize>(v: &T) -> Result<Reply> {
        let v = serde_json::to_value(v)
            .map_err(|e| fail(CoreError::storage(format!("cannot serialize: {e}"))))?;
        Ok(Reply::of(v))
    }
}

type Work = Box<dyn FnOnce() -> Result<Reply> + Send>;

/// One registry operation, run on the libuv thread pool.
pub struct Op(Option<Work>);

impl Task for Op {
    type Output = Reply;
    type JsValue = Reply;

    fn compute(&mut self) -> Result<Reply> {
        match self.0.take() {
            // On a libuv worker thread: a panic there would abort the process.
            Some(work) => guard(work),
            None => Err(napi::Error::new(
                Status::GenericFailure,
                "the operation already ran",
            )),
        }
    }

    fn resolve(&mut self, _env: Env, output: Reply) -> Result<Reply> {
        Ok(output)
    }
}

fn op(work: impl FnOnce() -> Result<Reply> + Send + 'static) -> AsyncTask<Op> {
    AsyncTask::new(Op(Some(Box::new(work))))
}

/// The page of `limit` (a JS number, sipcreds.js has checked it is an integer; absent: core's
/// default) after `after` (sipcreds.js asks for the whole list when both are absent). A number
/// no page can hold (negative, fractional, huge) is out of range for core's rule.
fn page(limit: Option<f64>, after: Option<&str>) -> Result<sipcreds::Page> {
    let limit = limit.map(|l| {
        if l.fract() == 0.0 && (0.0..=1e15).contains(&l) {
            l as u64
        } else {
            0
        }
    });
    sipcreds::Page::from_options(limit, after)
        .map_err(fail)?
        .map_or_else(
            || sipcreds::Page::first(sipcreds::Page::MAX_LIMIT).map_err(fail),
            Ok,
        )
}

fn input(body: &str) -> Result<CredentialInput> {
    CredentialInput::from_json(body).map_err(fail)
}

/// A list of credential inputs: a JSON array text; errors name the item.
fn inputs(body: &str) -> Result<Vec<CredentialInput>> {
    sipcreds::read_inputs(body, "credentials").map_err(fail)
}

// ---------------------------------------------------------------------------------------
// Module functions (synchronous: no I/O).

/// Validate one credential body (JSON text) for `validateCredential`: on success the 11
/// normalized fields in their documented order, each after a NUL, with U+0001 for null (no field can
/// hold either character, the parser refuses control characters); on failure the error JSON
/// code, field (U+0001 for none) and message after U+0002 separators. `sipcreds.js` builds
/// the object or the error from the parts directly, several times cheaper than `JSON.parse`
/// of the same data.
#[napi]
pub fn check_credential_fields(body: String) -> Result<String> {
    let body = Body::new(body);
    guard(|| Ok(credential_fields(&body)))
}

/// [`check_credential_fields`] without JSON text: the 8 create fields of a plain object as
/// arguments in the wire order (name, server, authUser, authPassword, domain, transport,
/// cpsLimit, cpsKey), each `undefined` (absent), `null`, a boolean, a safe integer or a
/// well-formed string, and first their kinds, 3 bits a field from the lowest (see [`Kind`]):
/// only strings and numbers are read from their arguments (asking each argument its type cost
/// more than the rest of the crossing). Read in place by `CredentialInput::from_fields`, which
/// answers exactly as the JSON path would. The empty string when it cannot (an argument not of
/// its kind, a string longer than the scratch buffer): `sipcreds.js` then sends the JSON text.
///
/// A valid credential whose normalized fields are the given ones (or derived from them as
/// [`compact_reply`] says) is answered by one number instead of text: building and splitting
/// the text was a third of a validation's time in Node. Anything else answers the text of
/// [`check_credential_fields`].
///
/// The strings are copied into one thread-local buffer (no allocation, no separate length
/// pass), which is wiped before the call returns.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn check_credential_values(
    env: Env,
    kinds: u32,
    name: Unknown<'_>,
    server: Unknown<'_>,
    auth_user: Unknown<'_>,
    auth_password: Unknown<'_>,
    domain: Unknown<'_>,
    transport: Unknown<'_>,
    cps_limit: Unknown<'_>,
    cps_key: Unknown<'_>,
) -> Result<Either<u32, String>> {
    let values = [
        name,
        server,
        auth_user,
        auth_password,
        domain,
        transport,
        cps_limit,
        cps_key,
    ]
    .map(|v| v.raw());
    let answer = guard(|| {
        SCRATCH.with_borrow_mut(|scratch| {
            let (answer, used) = answer_values(env.raw(), kinds, &values, scratch);
            scratch[..used].zeroize();
            Ok(answer)
        })
    });
    if answer.is_err() {
        // A panic left the buffer as it was: wipe all of it.
        SCRATCH.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                s.as_mut_slice().zeroize();
            }
        });
    }
    answer
}

/// The kinds of [`check_credential_values`]'s arguments (`sipcreds.js` reads them by these
/// names from `KIND_*`).
struct Kind;

impl Kind {
    const ABSENT: u32 = 0;
    const NULL: u32 = 1;
    const FALSE: u32 = 2;
    const TRUE: u32 = 3;
    const NUMBER: u32 = 4;
    const STRING: u32 = 5;
}

/// The kinds by name, for `sipcreds.js`: `{ absent, null, false, true, number, string }`.
#[napi]
pub fn argument_kinds() -> std::collections::HashMap<&'static str, u32> {
    [
        ("absent", Kind::ABSENT),
        ("null", Kind::NULL),
        ("false", Kind::FALSE),
        ("true", Kind::TRUE),
        ("number", Kind::NUMBER),
        ("string", Kind::STRING),
    ]
    .into()
}

/// Room for every string of one credential (a create body is at most 64 KiB of JSON).
const SCRATCH_BYTES: usize = sipcreds::MAX_BODY_BYTES;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH_BYTES]);
}

/// The answer of [`check_credential_values`] for its argument values, their strings copied
/// into `scratch`; and how many bytes of `scratch` were written.
fn answer_values(
    env: napi::sys::napi_env,
    kinds: u32,
    values: &[napi::sys::napi_value; sipcreds::CREATE_FIELDS.len()],
    scratch: &mut [u8],
) -> (Either<u32, String>, usize) {
    use napi::sys;
    use sipcreds::FieldValue;
    let fallback = || Either::B(String::new());
    let mut fields = [("", FieldValue::Null); sipcreds::CREATE_FIELDS.len()];
    let mut given = 0;
    let mut used = 0;
    let mut rest: &mut [u8] = scratch;
    for (i, (key, &value)) in sipcreds::CREATE_FIELDS.iter().zip(values).enumerate() {
        let field = match (kinds >> (3 * i)) & 7 {
            Kind::ABSENT => continue,
            Kind::NULL => FieldValue::Null,
            Kind::FALSE => FieldValue::Bool(false),
            Kind::TRUE => FieldValue::Bool(true),
            Kind::NUMBER => {
                let mut n = 0f64;
                // SAFETY: `env` and `value` are this call's, and `n` outlives the call; napi
                // answers `napi_number_expected` for a value that is not a number.
                if unsafe { sys::napi_get_value_double(env, value, &mut n) } != sys::Status::napi_ok
                    || n.fract() != 0.0
                    || n.abs() > 9_007_199_254_740_991.0
                {
                    return (fallback(), used);
                }
                FieldValue::Int(n as i64)
            }
            Kind::STRING => {
                let mut copied = 0usize;
                // SAFETY: as above; the buffer is `rest`, whose length is passed, and napi
                // writes at most that many bytes (the text, then a NUL), or answers
                // `napi_string_expected` for a value that is not a string.
                let status = unsafe {
                    sys::napi_get_value_string_utf8(
                        env,
                        value,
                        rest.as_mut_ptr().cast(),
                        rest.len(),
                        &mut copied,
                    )
                };
                // A string that filled the buffer may have been cut: the JSON path then.
                if status != sys::Status::napi_ok || copied + 1 >= rest.len() {
                    return (fallback(), (used + copied + 1).min(SCRATCH_BYTES));
                }
                let (text, after) = std::mem::take(&mut rest).split_at_mut(copied + 1);
                rest = after;
                used += copied + 1;
                match std::str::from_utf8(&text[..copied]) {
                    Ok(text) => FieldValue::Str(text),
                    Err(_) => return (fallback(), used),
                }
            }
            _ => return (fallback(), used),
        };
        fields[given] = (*key, field);
        given += 1;
    }
    let given = &fields[..given];
    let answer = match CredentialInput::from_fields(given.iter().copied()) {
        Some(parsed) => match parsed.as_ref().ok().and_then(|i| compact_reply(given, i)) {
            Some(code) => Either::A(code),
            None => Either::B(fields_reply(parsed)),
        },
        None => fallback(),
    };
    (answer, used)
}

/// The bits of [`compact_reply`]'s number (`sipcreds.js` reads them by these names).
#[napi]
pub const COMPACT_HOST_SHIFT: u32 = 16;
#[napi]
pub const COMPACT_TRANSPORT_SHIFT: u32 = 25;
#[napi]
pub const COMPACT_HAS_PASSWORD: u32 = 1 << 27;
#[napi]
pub const COMPACT_SERVER_LOWERCASED: u32 = 1 << 28;
#[napi]
pub const COMPACT_DOMAIN_SHIFT: u32 = 29;
#[napi]
pub const COMPACT_REALM_IS_DOMAIN: u32 = 1 << 31;

/// A valid input's normalized fields as one number, when every text field of the answer is
/// a given value, its ASCII lowercase, or a prefix of the server: `port` in bits 0–15, the
/// host's length in 16–24 (`host` is that prefix of `server`), the transport's index in
/// [`transports`] in 25–26, then `hasPassword`, "server is the given one lowercased",
/// `domain` in 29–30 (0 none, 1 as given, 2 lowercased) and "realm is the domain (else the
/// host)". `name`, `authUser`, `cpsLimit` and `cpsKey` are then exactly the given values.
/// `None` when the answer needs its text (an IDN, an IPv6 address, anything else rewritten).
fn compact_reply(
    given: &[(&str, sipcreds::FieldValue<'_>)],
    input: &CredentialInput,
) -> Option<u32> {
    use sipcreds::FieldValue;
    let get = |key: &str| given.iter().find(|(k, _)| *k == key).map(|&(_, v)| v);
    let text = |key: &str| match get(key) {
        Some(FieldValue::Str(s)) => Some(s),
        _ => None,
    };
    // 0 when `out` is `given`, 1 when it is its ASCII lowercase (as JavaScript's
    // `toLowerCase` makes it of ASCII text).
    let same_or_lower = |out: &str, given: &str| {
        if out == given {
            Some(0)
        } else {
            (given.is_ascii()
                && out.len() == given.len()
                && out
                    .bytes()
                    .zip(given.bytes())
                    .all(|(o, g)| o == g.to_ascii_lowercase()))
            .then_some(1)
        }
    };
    let f = input.normalized_fields();
    let limit = match get("cpsLimit") {
        Some(FieldValue::Int(n)) => Some(n),
        _ => None,
    };
    if f.name != text("name")
        || f.auth_user != text("authUser")
        || f.cps_key != text("cpsKey")
        || f.cps_limit.map(i64::from) != limit
    {
        return None;
    }
    let server_lowercased = same_or_lower(&f.server, text("server")?)?;
    let host_len = u32::try_from(f.host.len()).ok().filter(|&n| n < 512)?;
    if !f.host.is_ascii() || !f.server.starts_with(&*f.host) {
        return None;
    }
    let domain = match (&f.domain, get("domain")) {
        (None, None | Some(FieldValue::Null)) => 0,
        (Some(out), Some(FieldValue::Str(given))) => 1 + same_or_lower(out, given)?,
        _ => return None,
    };
    let realm_is_domain = if f.realm == f.host {
        false
    } else if f.domain.as_deref() == Some(&*f.realm) {
        true
    } else {
        return None;
    };
    let mut code = u32::from(f.port)
        | host_len << COMPACT_HOST_SHIFT
        | (input.transport as u32) << COMPACT_TRANSPORT_SHIFT
        | domain << COMPACT_DOMAIN_SHIFT;
    if f.has_password {
        code |= COMPACT_HAS_PASSWORD;
    }
    if server_lowercased == 1 {
        code |= COMPACT_SERVER_LOWERCASED;
    }
    if realm_is_domain {
        code |= COMPACT_REALM_IS_DOMAIN;
    }
    Some(code)
}

/// The transports by their index in [`compact_reply`]'s number.
#[napi]
pub fn transports() -> Vec<&'static str> {
    sipcreds::Transport::ALL
        .iter()
        .map(|t| t.as_str())
        .collect()
}

fn credential_fields(body: &str) -> String {
    fields_reply(CredentialInput::from_json(body))
}

/// The answer of [`check_credential_fields`] and [`check_credential_values`].
fn fields_reply(parsed: std::result::Result<CredentialInput, CoreError>) -> String {
    let input = match parsed {
        Ok(input) => input,
        Err(e) => {
            return format!(
                "\u{2}{}\u{2}{}\u{2}{}",
                e.code().as_str(),
                e.field().unwrap_or("\u{1}"),
                e
            );
        }
    };
    let f = input.normalized_fields();
    let mut out = String::with_capacity(160);
    let mut put = |v: Option<&str>| {
        out.push('\0');
        out.push_str(v.unwrap_or("\u{1}"));
    };
    let mut port = itoa::Buffer::new();
    let port = port.format(f.port);
    let mut limit = itoa::Buffer::new();
    let limit = f.cps_limit.map(|l| limit.format(l));
    put(f.name);
    put(Some(&f.server));
    put(Some(&f.host));
    put(Some(port));
    put(Some(f.transport));
    put(f.auth_user);
    put(Some(if f.has_password { "1" } else { "0" }));
    put(f.domain.as_deref());
    put(Some(&f.realm));
    put(limit);
    put(f.cps_key);
    out
}

/// Lint one credential body: findings as JSON text.
#[napi]
pub fn lint_credential_json(body: String) -> Result<String> {
    let body = Body::new(body);
    guard(|| {
        let input = input(&body)?;
        Ok(Reply::serialize(&sipcreds::lint_credential(&input))?.json)
    })
}

/// Likely causes of a SIP failure, most likely first, as JSON text.
#[napi]
pub fn diagnose_json(symptom: String, reason: Option<String>) -> Result<String> {
    guard(|| {
        let d = sipcreds::diagnose(&symptom, reason.as_deref()).map_err(fail)?;
        Ok(Reply::serialize(&d)?.json)
    })
}

/// The error for a field whose value is not valid text (a JS string with a lone surrogate):
/// the field's own code, as the error JSON.
#[napi]
pub fn undecodable_field_error(field: String) -> String {
    to_text(&sipcreds::undecodable_field(&field).to_json())
}

/// Panic inside the boundary, on the JS thread or (`inTask`) on the thread pool: for the
/// test that proves a panic becomes an error instead of aborting Node.
#[doc(hidden)]
#[napi(js_name = "__panicForTest")]
pub fn panic_for_test(in_task: bool) -> Result<Either<String, AsyncTask<Op>>> {
    if in_task {
        return Ok(Either::B(op(|| panic!("a test panic on the thread pool"))));
    }
    guard(|| panic!("a test panic on the JS thread"))
}

/// The create fields in the wire order (`sipcreds::CREATE_FIELDS`): the positions of the
/// arguments of [`check_credential_values`], which `sipcreds.js` reads here once instead of
/// keeping its own list.
#[napi]
pub fn create_fields() -> Vec<&'static str> {
    sipcreds::CREATE_FIELDS.to_vec()
}

/// The symptoms `diagnose` knows.
#[napi]
pub fn symptoms() -> Vec<String> {
    sipcreds::symptoms().map(str::to_owned).collect()
}

/// The JSON Schema of a credential input (docs/fields.md), as JSON text.
#[napi]
pub fn input_schema_json() -> String {
    to_text(&sipcreds::input_schema())
}

/// Every error code with its C number and description, as JSON text.
#[napi]
pub fn list_all_errors_json() -> String {
    serde_json::to_string(&sipcreds::list_all_errors()).unwrap_or_default()
}

/// A store or limiter location with the password of its URL hidden (for `path` and inspect).
#[napi]
pub fn redact_location(location: String) -> String {
    sipcreds::redact_location(&location)
}

/// The version shared by every surface.
#[napi]
pub fn version() -> String {
    sipcreds::VERSION.to_owned()
}

// ---------------------------------------------------------------------------------------
// The registry.

/// The registry: in memory without a path, the embedded SQLite store with one.
#[napi]
pub struct NativeRegistry {
    inner: sipcreds::Registry,
}

#[napi]
impl NativeRegistry {
    /// Release the store at once (the registry becomes one whose every call is a `storage`
    /// error); the operations already started hold their own reference and end first.
    #[napi]
    pub fn close(&mut self) {
        self.inner = sipcreds::Registry::closed();
    }

    /// Open the registry (the SQLite file and its key are opened here, once).
    #[napi(constructor)]
    pub fn new(path: Option<String>, limiter: Option<String>) -> Result<Self> {
        let (path, limiter) = (path.map(Body::new), limiter.map(Body::new));
        guard(|| {
            let inner = open_registry(path.as_ref(), limiter.as_ref())?;
            Ok(NativeRegistry { inner })
        })
    }

    /// Open the registry on the thread pool (the file, its key, a PostgreSQL connection):
    /// `Registry.open()` of `sipcreds.js`.
    #[napi(ts_return_type = "Promise<NativeRegistry>")]
    pub fn open(path: Option<String>, limiter: Option<String>) -> AsyncTask<OpenTask> {
        AsyncTask::new(OpenTask(Some((
            path.map(Body::new),
            limiter.map(Body::new),
        ))))
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn create_credential(&self, org: String, body: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        let body = Body::new(body);
        op(move || {
            let input = input(&body)?;
            reg.create_credential(&org, input)
                .map(Reply::credential)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn create_credentials(&self, org: String, body: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        let body = Body::new(body);
        op(move || {
            let inputs = inputs(&body)?;
            reg.create_credentials(&org, inputs)
                .map(Reply::credentials)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn get_credential(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.get_credential(&org, &id)
                .map(Reply::credential)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_credentials(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.list_credentials(&org)
                .map(Reply::credentials)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_credentials_page(
        &self,
        org: String,
        limit: Option<f64>,
        after: Option<String>,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let page = page(limit, after.as_deref())?;
            reg.list_credentials_page(&org, &page)
                .map(Reply::credential_page)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn update_credential(&self, org: String, id: String, patch: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        let patch = Body::new(patch);
        op(move || {
            let patch = CredentialPatch::from_json(&patch).map_err(fail)?;
            reg.update_credential(&org, &id, patch)
                .map(Reply::credential)
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn usage(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.usage(&org, &id).map_err(fail)?))
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn delete_credential(&self, org: String, id: String, force: bool) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.delete_credential(&org, &id, force).map_err(fail)?))
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn link_number(&self, org: String, number: String, credential_id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.link_number(&org, &number, &credential_id)
                .map(|n| Reply::of(n.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn unlink_number(&self, org: String, number: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.unlink_number(&org, &number)
                .map(|n| Reply::of(n.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn delete_number(&self, org: String, number: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.delete_number(&org, &number)
                .map(|n| Reply::of(n.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_numbers_page(
        &self,
        org: String,
        limit: Option<f64>,
        after: Option<String>,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let page = page(limit, after.as_deref())?;
            reg.list_numbers_page(&org, &page)
                .map(|p| Reply::page(p, |n| n.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_numbers(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.list_numbers(&org)
                .map(|l| Reply::of(Value::Array(l.iter().map(|n| n.to_json()).collect())))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn lint_input(&self, org: String, body: String, id: Option<String>) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        let body = Body::new(body);
        op(move || {
            let input = input(&body)?;
            reg.lint_input(&org, &input, id.as_deref())
                .map(|f| Reply::of(serde_json::to_value(f).unwrap_or_default()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn get_number(&self, org: String, number: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.get_number(&org, &number)
                .map(|n| Reply::of(n.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn health(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.health(&org, &id)
                .map(|r| Reply::of(r.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn health_list_page(
        &self,
        org: String,
        limit: Option<f64>,
        after: Option<String>,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let page = page(limit, after.as_deref())?;
            reg.health_list(&org, &page)
                .map(|p| Reply::page(p, |r| r.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn health_list(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            sipcreds::Page::all(|p| reg.health_list(&org, p))
                .map(|l| Reply::of(Value::Array(l.iter().map(|r| r.to_json()).collect())))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn health_events(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.health_events(&org, &id)
                .map(|l| Reply::of(Value::Array(l.iter().map(|e| e.to_json()).collect())))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn pause(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.pause(&org, &id)
                .map(|r| Reply::of(r.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn resume(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.resume(&org, &id)
                .map(|r| Reply::of(r.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn create_token(&self, org: String, role: String, name: Option<String>) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let role = sipcreds::Role::parse(&role, "role").map_err(fail)?;
            reg.create_token(&org, role, name.as_deref())
                .map(|t| Reply::of(t.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_tokens(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.list_tokens(&org)
                .map(|l| Reply::of(serde_json::to_value(l).unwrap_or_default()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn revoke_token(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.revoke_token(&org, &id)
                .map(|t| Reply::of(t.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn create_agent(&self, org: String, name: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.create_agent(&org, &name)
                .map(|a| Reply::of(a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn get_agent(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.get_agent(&org, &id)
                .map(|a| Reply::of(a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn assign_number(&self, org: String, agent_id: String, number: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.assign_number(&org, &agent_id, &number)
                .map(|a| Reply::of(a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn unassign_number(&self, org: String, agent_id: String, number: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.unassign_number(&org, &agent_id, &number)
                .map(|a| Reply::of(a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn delete_agent(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.delete_agent(&org, &id)
                .map(|a| Reply::of(a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_agents_page(
        &self,
        org: String,
        limit: Option<f64>,
        after: Option<String>,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let page = page(limit, after.as_deref())?;
            reg.list_agents_page(&org, &page)
                .map(|p| Reply::page(p, |a| a.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_agents(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.list_agents(&org)
                .map(|l| Reply::of(Value::Array(l.iter().map(|a| a.to_json()).collect())))
                .map_err(fail)
        })
    }

    /// Connect a provider: the reply is `{"provider": ..., "credentials": [...]}`, its
    /// credentials in order.
    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn connect_provider(
        &self,
        org: String,
        kind: String,
        name: String,
        body: String,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        let body = Body::new(body);
        op(move || {
            let inputs = inputs(&body)?;
            let connected = reg
                .connect_provider(&org, &kind, &name, inputs)
                .map_err(fail)?;
            Ok(Reply {
                json: to_text(&connected.to_json()),
                credentials: connected.credentials,
            })
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_providers_page(
        &self,
        org: String,
        limit: Option<f64>,
        after: Option<String>,
    ) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let page = page(limit, after.as_deref())?;
            reg.list_providers_page(&org, &page)
                .map(|p| Reply::page(p, |p| p.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn list_providers(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.list_providers(&org)
                .map(|l| Reply::of(Value::Array(l.iter().map(|p| p.to_json()).collect())))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn delete_provider(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.delete_provider(&org, &id).map_err(fail)?))
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn lint(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.lint(&org).map_err(fail)?))
    }

    /// The live probe (docs/probe.md) of a stored credential: the report as JSON. The probe waits on
    /// its sockets on the shared async runtime (no libuv worker is held), so a hundred
    /// probes take one budget. `options` is the probe options object as JSON text
    /// (`{"timeout": 2, ...}`), checked before anything is sent (`invalid_option`).
    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn probe<'env>(
        &self,
        env: &'env Env,
        org: String,
        id: String,
        options: Option<String>,
    ) -> Result<napi::bindgen_prelude::PromiseRaw<'env, Reply>> {
        // The registry is cloned here, on the JS thread: the future never touches `self`, so a
        // `close()` meanwhile cannot race with it.
        let reg = self.inner.clone();
        env.spawn_future(async move {
            let options = sipcreds_probe::ProbeOptions::from_json(options.as_deref().unwrap_or(""))
                .map_err(fail)?;
            let credential = reg.get_credential(&org, &id).map_err(fail)?;
            let report = sipcreds_probe::probe_shared(credential, options)
                .await
                .map_err(fail)?;
            Reply::serialize(&report)
        })
    }

    /// How many credentials the org has (nothing decrypted: one read of the rate columns).
    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn count_credentials(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.count_credentials(&org).map_err(fail)?))
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn rate_groups(&self, org: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.rate_groups(&org).map_err(fail)?))
    }

    /// One decision, synchronously, on the JS thread: `{"admitted": ..., "waitMs"|
    /// "retryAfterMs": ...}`. It reads the store on the first decision of an org (and once a
    /// second on a shared store or limiter), and asks Redis on every decision with a Redis
    /// limiter: `tryAcquireAsync` does the same on the thread pool.
    #[napi]
    pub fn try_acquire(&self, org: String, credential_id: String) -> Result<String> {
        guard(|| {
            let d = self.inner.try_acquire(&org, &credential_id).map_err(fail)?;
            Ok(to_text(&d.to_json()))
        })
    }

    /// `try_acquire` on the thread pool.
    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn try_acquire_async(&self, org: String, credential_id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            let d = reg.try_acquire(&org, &credential_id).map_err(fail)?;
            Ok(Reply::of(d.to_json()))
        })
    }

    /// Book the next free slot, on the thread pool; rejected when the wait exceeds
    /// `max_wait_ms`.
    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn reserve(
        &self,
        org: String,
        credential_id: String,
        max_wait_ms: f64,
    ) -> Result<AsyncTask<Op>> {
        let max_wait = guard(|| wait_ms(max_wait_ms))?;
        let reg = self.inner.clone();
        Ok(op(move || {
            let d = reg.reserve(&org, &credential_id, max_wait).map_err(fail)?;
            Ok(Reply::of(d.to_json()))
        }))
    }
}

fn wait_ms(ms: f64) -> Result<Duration> {
    sipcreds::Registry::wait_option("maxWaitMs", ms, 1000.0).map_err(fail)
}

/// The registry at `path` (in memory without one) with `limiter` (`process` by default): the
/// one open of the constructor and of `Registry.open`.
fn open_registry(path: Option<&Body>, limiter: Option<&Body>) -> Result<sipcreds::Registry> {
    sipcreds_open::open_optional(
        path.map(|p| p.as_str()),
        limiter.map_or("process", |l| l.as_str()),
    )
    .map_err(fail)
}

/// Opening a registry on the thread pool.
pub struct OpenTask(Option<(Option<Body>, Option<Body>)>);

impl Task for OpenTask {
    type Output = sipcreds::Registry;
    type JsValue = NativeRegistry;

    fn compute(&mut self) -> Result<sipcreds::Registry> {
        let (path, limiter) = self.0.take().unwrap_or_default();
        guard(|| open_registry(path.as_ref(), limiter.as_ref()))
    }

    fn resolve(&mut self, _env: Env, inner: sipcreds::Registry) -> Result<NativeRegistry> {
        Ok(NativeRegistry { inner })
    }
}
