//! The read routes of one shape, a line each: the org (and an id or number) from the path,
//! a page from `?limit=&after=` for the lists, the registry's operation run for a reader of
//! the org, its answer as JSON.

use super::*;

macro_rules! read_routes {
    (
        pages { $( $page:ident => $page_op:ident; )* }
        one { $( $one:ident($arg:ident) => $one_op:ident; )* }
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
    };
}

read_routes! {
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
}
