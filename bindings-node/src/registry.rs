//! The registry: every store operation as a task on the libuv thread pool.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use sipcreds::CredentialPatch;

use crate::boundary::*;

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
    pub fn delete_credential(&self, org: String, id: String, force: bool) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || Reply::serialize(&reg.delete_credential(&org, &id, force).map_err(fail)?))
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
                .map(|l| Reply::list(&l, |r| r.to_json()))
                .map_err(fail)
        })
    }

    #[napi(ts_return_type = "Promise<Reply>")]
    pub fn health_events(&self, org: String, id: String) -> AsyncTask<Op> {
        let reg = self.inner.clone();
        op(move || {
            reg.health_events(&org, &id)
                .map(|l| Reply::list(&l, |e| e.to_json()))
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

/// The operations of one shape: `org` and text arguments in, the core's operation of the same
/// name run on the thread pool, its answer as the reply (`to_json`: the record's own JSON;
/// `serialize`: serde's); and the lists, whole (`listX`) or a page (`listXPage`). napi takes a
/// class's methods from more than one `#[napi] impl`.
macro_rules! registry_ops {
    (
        answers { $( fn $name:ident($($arg:ident),*) -> $reply:ident; )* }
        lists { $( fn $list:ident / $page:ident; )* }
    ) => {
        #[napi]
        impl NativeRegistry {
            $(
                #[napi(ts_return_type = "Promise<Reply>")]
                pub fn $name(&self, org: String, $($arg: String),*) -> AsyncTask<Op> {
                    let reg = self.inner.clone();
                    op(move || registry_ops!(@$reply reg.$name(&org, $(&$arg),*).map_err(fail)?))
                }
            )*
            $(
                #[napi(ts_return_type = "Promise<Reply>")]
                pub fn $list(&self, org: String) -> AsyncTask<Op> {
                    let reg = self.inner.clone();
                    op(move || Ok(Reply::list(&reg.$list(&org).map_err(fail)?, |x| x.to_json())))
                }

                #[napi(ts_return_type = "Promise<Reply>")]
                pub fn $page(
                    &self,
                    org: String,
                    limit: Option<f64>,
                    after: Option<String>,
                ) -> AsyncTask<Op> {
                    let reg = self.inner.clone();
                    op(move || {
                        let page = page(limit, after.as_deref())?;
                        reg.$page(&org, &page)
                            .map(|p| Reply::page(p, |x| x.to_json()))
                            .map_err(fail)
                    })
                }
            )*
        }
    };
    (@to_json $v:expr) => {
        Ok(Reply::of($v.to_json()))
    };
    (@serialize $v:expr) => {
        Reply::serialize(&$v)
    };
}

registry_ops! {
    answers {
        fn usage(id) -> serialize;
        fn delete_provider(id) -> serialize;
        fn lint() -> serialize;
        // count_credentials: nothing decrypted, one read of the rate columns.
        fn count_credentials() -> serialize;
        fn rate_groups() -> serialize;
        fn link_number(number, credential_id) -> to_json;
        fn unlink_number(number) -> to_json;
        fn delete_number(number) -> to_json;
        fn get_number(number) -> to_json;
        fn health(id) -> to_json;
        fn pause(id) -> to_json;
        fn resume(id) -> to_json;
        fn revoke_token(id) -> to_json;
        fn create_agent(name) -> to_json;
        fn get_agent(id) -> to_json;
        fn assign_number(agent_id, number) -> to_json;
        fn unassign_number(agent_id, number) -> to_json;
        fn delete_agent(id) -> to_json;
    }
    lists {
        fn list_numbers / list_numbers_page;
        fn list_agents / list_agents_page;
        fn list_providers / list_providers_page;
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
