//! The routes of one shape, a line each: the org (and an id or number) from the path, a page
//! from `?limit=&after=` for the lists; the registry's operation run for a reader of the org,
//! or for a writer with the change announced on the org's event stream (its name and
//! payload); the answer as JSON.

use super::*;

macro_rules! plain_routes {
    (
        pages { $( $page:ident => $page_op:ident; )* }
        one { $( $one:ident($arg:ident) => $one_op:ident; )* }
        writes { $(
            $write:ident($($warg:ident),+) => $write_op:ident, $event:literal, |$x:ident| $payload:expr;
        )* }
    ) => {
        $(
            pub(super) async fn $page(
                c: Caller,
                St(s): St<State>,
                PathArgs(org): PathArgs<String>,
                q: Query,
            ) -> ApiResult<Response> {
                let page = q.page()?;
                s.read(&c, org, move |r, o| r.$page_op(o, &page)).await
            }
        )*
        $(
            pub(super) async fn $one(
                c: Caller,
                St(s): St<State>,
                PathArgs((org, $arg)): PathArgs<(String, String)>,
            ) -> ApiResult<Response> {
                s.read(&c, org, move |r, o| r.$one_op(o, &$arg)).await
            }
        )*
        $(
            pub(super) async fn $write(
                c: Caller,
                St(s): St<State>,
                PathArgs((org, $($warg),+)): PathArgs<(String, $(plain_routes!(@text $warg)),+)>,
            ) -> ApiResult<Response> {
                let out = s
                    .write(&c, &org, $event, move |r, o| r.$write_op(o, $(&$warg),+), |$x| $payload)
                    .await?;
                Ok(ok(out))
            }
        )*
    };
    (@text $arg:ident) => { String };
}

plain_routes! {
    pages {
        list_credentials => list_credentials_page;
        list_numbers => list_numbers_page;
        list_agents => list_agents_page;
        list_providers => list_providers_page;
        health_list => health_list;
    }
    one {
        usage(id) => usage;
        health(id) => health;
        health_events(id) => health_events;
        get_number(number) => get_number;
        get_agent(id) => get_agent;
    }
    writes {
        pause(id) => pause, "health.changed", |h| h.to_json();
        resume(id) => resume, "health.changed", |h| h.to_json();
        delete_number(number) => delete_number, "number.deleted", |n| json!({"number": n.number});
        delete_agent(id) => delete_agent, "agent.deleted", |a| json!({"id": a.id.as_str()});
        assign_number(id, number) => assign_number, "agent.updated", |a| a.to_json();
        unassign_number(id, number) => unassign_number, "agent.updated", |a| a.to_json();
        delete_provider(id) => delete_provider, "provider.deleted", |r| serde_json::to_value(r).unwrap_or(Value::Null);
    }
}
