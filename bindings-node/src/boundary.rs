//! The boundary with Node: the panic guard, core errors as napi errors, the caller's body
//! buffers, replies with their credentials, and the tasks that run registry operations on the
//! libuv thread pool.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use sipcreds::{Credential, CredentialInput, Error as CoreError};

/// A core error as a napi error whose message is the error JSON (with `usage` for
/// `in_use`, and the versions for `conflict`); `sipcreds.js` turns it into the right class.
pub(crate) fn fail(e: CoreError) -> napi::Error {
    napi::Error::new(Status::GenericFailure, e.to_json_string())
}

/// The panic boundary of the addon: a panic in Rust (a bug) must not unwind into Node, whose
/// process it would abort. It becomes a `storage` error that says so; the panic's own message
/// is not passed on (it could quote a value).
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(fail(CoreError::storage(
            "internal error: the sipcreds addon panicked (a bug; please report it); nothing was changed by this call",
        )))
    })
}

/// A caller's body text, wiped when dropped: napi-rs copies a JS string into exactly one Rust
/// buffer, and this is it.
pub(crate) type Body = zeroize::Zeroizing<String>;

pub(crate) fn to_text(v: &Value) -> String {
    // serde_json's writer, not `Display` (which goes through the formatting machinery).
    serde_json::to_string(v).unwrap_or_default()
}

/// What an operation answers: its JSON text, and the credentials in it (in the order they
/// appear in the JSON), whose passwords only `revealPassword(i)` reads.
#[napi]
pub struct Reply {
    pub(crate) json: String,
    pub(crate) credentials: Vec<Credential>,
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
    pub(crate) fn of(v: Value) -> Reply {
        Reply {
            json: to_text(&v),
            credentials: Vec::new(),
        }
    }

    pub(crate) fn credential(c: Credential) -> Reply {
        Reply {
            json: to_text(&c.to_json()),
            credentials: vec![c],
        }
    }

    pub(crate) fn credentials(list: Vec<Credential>) -> Reply {
        let json = Value::Array(list.iter().map(Credential::to_json).collect());
        Reply {
            json: to_text(&json),
            credentials: list,
        }
    }

    /// `{"items": [...], "next": cursor | null}`, the credentials kept for `revealPassword`.
    pub(crate) fn credential_page(p: sipcreds::Paged<Credential>) -> Reply {
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
    pub(crate) fn page<T>(p: sipcreds::Paged<T>, to_json: impl Fn(&T) -> Value) -> Reply {
        Reply::of(serde_json::json!({
            "items": p.items.iter().map(to_json).collect::<Vec<_>>(),
            "next": p.next,
        }))
    }

    /// `[...]`, each item's JSON.
    pub(crate) fn list<T>(items: &[T], to_json: impl Fn(&T) -> Value) -> Reply {
        Reply::of(Value::Array(items.iter().map(to_json).collect()))
    }

    pub(crate) fn serialize<T: serde::Serialize>(v: &T) -> Result<Reply> {
        let v = serde_json::to_value(v)
            .map_err(|e| fail(CoreError::storage(format!("cannot serialize: {e}"))))?;
        Ok(Reply::of(v))
    }
}

pub(crate) type Work = Box<dyn FnOnce() -> Result<Reply> + Send>;

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

pub(crate) fn op(work: impl FnOnce() -> Result<Reply> + Send + 'static) -> AsyncTask<Op> {
    AsyncTask::new(Op(Some(Box::new(work))))
}

/// The page of `limit` (a JS number, sipcreds.js has checked it is an integer; absent: core's
/// default) after `after` (sipcreds.js asks for the whole list when both are absent). A number
/// no page can hold (negative, fractional, huge) is out of range for core's rule.
pub(crate) fn page(limit: Option<f64>, after: Option<&str>) -> Result<sipcreds::Page> {
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

pub(crate) fn input(body: &str) -> Result<CredentialInput> {
    CredentialInput::from_json(body).map_err(fail)
}

/// A list of credential inputs: a JSON array text; errors name the item.
pub(crate) fn inputs(body: &str) -> Result<Vec<CredentialInput>> {
    sipcreds::read_inputs(body, "credentials").map_err(fail)
}
