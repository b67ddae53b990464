//! The dashboard (§15): its files, embedded in the binary and served at `/`, and the one
//! route made for it, the overview of a page of credentials (each with its health record and
//! its numbers, found by an optional search), so that the Credentials page is one request.

use axum::Router;
use axum::extract::State as St;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sipcreds::{Credential, Page, Paged, Registry};

use crate::State;
use crate::auth::Caller;
use crate::body::{PathArgs, Query};
use crate::error::{ApiError, ApiResult};

/// One embedded file: its path under `/`, its media type, its bytes.
struct Asset {
    path: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

/// The dashboard's files (plain HTML, CSS and ES modules: no build step).
const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        media_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../dashboard/index.html"),
    },
    Asset {
        path: "/assets/app.js",
        media_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../dashboard/app.js"),
    },
    Asset {
        path: "/assets/style.css",
        media_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../dashboard/style.css"),
    },
    Asset {
        path: "/assets/icon.svg",
        media_type: "image/svg+xml",
        bytes: include_bytes!("../dashboard/icon.svg"),
    },
];

/// An asset's ETag: the crate's version and a hash of its bytes (FNV-1a), so a browser
/// revalidates and a new binary's files are never taken from its cache.
fn etag(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{}-{h:016x}\"", env!("CARGO_PKG_VERSION"))
}

fn asset(a: &Asset, headers: &HeaderMap) -> Response {
    let tag = etag(a.bytes);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, a.bytes).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.media_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    r
}

/// The dashboard's routes: its files, and `GET /v1/orgs/{org}/overview`.
pub(crate) fn routes(mut r: Router<State>) -> Router<State> {
    for a in ASSETS {
        r = r.route(a.path, get(move |h: HeaderMap| async move { asset(a, &h) }));
    }
    r.route("/assets/fields.json", get(fields))
        .route("/v1/orgs/{org}/overview", get(overview))
}

/// `GET /assets/fields.json`: what the form says of each input field (its description,
/// default and range), from the core's schema, the one the server validates against.
async fn fields(headers: HeaderMap) -> Response {
    static FIELDS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let bytes = FIELDS.get_or_init(|| {
        let schema = sipcreds::input_schema();
        let mut out = serde_json::Map::new();
        if let Some(props) = schema["properties"].as_object() {
            for (name, p) in props {
                let mut f = serde_json::Map::new();
                for k in ["description", "default", "minimum", "maximum"] {
                    if let Some(v) = p.get(k).filter(|v| !v.is_null()) {
                        f.insert(k.to_owned(), v.clone());
                    }
                }
                out.insert(name.clone(), Value::Object(f));
            }
        }
        Value::Object(out).to_string().into_bytes()
    });
    let a = Asset {
        path: "/assets/fields.json",
        media_type: "application/json",
        bytes,
    };
    asset(&a, &headers)
}

/// The most credentials one overview request reads while searching: a search that matches
/// little answers a shorter page (its `next` goes on from where the reading stopped), so
/// every request stays short at any size.
const SEARCH_SCAN: usize = 20_000;

/// The numbers shown beside a credential; `numberCount` gives them all.
const NUMBERS_SHOWN: usize = 5;

/// `GET /v1/orgs/{org}/overview?limit=&after=&q=`: a page of credentials, each as
/// `{"credential", "health", "numbers", "numberCount"}`; `q` keeps those whose name, server
/// or auth user contains it (case-insensitive).
async fn overview(
    c: Caller,
    St(s): St<State>,
    PathArgs(org): PathArgs<String>,
    q: Query,
) -> ApiResult<Response> {
    let page = q.page_and(&["q"])?;
    let search = match q.0.get("q").map(|t| t.trim()) {
        Some(t) if t.chars().count() > 100 => {
            return Err(ApiError::option(
                "q",
                "a search is at most 100 characters: part of a name, a server or an auth user",
            ));
        }
        Some("") | None => None,
        Some(t) => Some(t.to_lowercase()),
    };
    s.read(&c, org, move |r, o| {
        overview_page(r, o, &page, search.as_deref())
    })
    .await
}

fn matches(c: &Credential, q: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(q);
    c.input.name.as_ref().is_some_and(|n| has(n.as_str()))
        || has(&c.input.server.to_string())
        || c.input.auth_user().is_some_and(|u| has(u.as_str()))
}

fn overview_page(
    r: &Registry,
    org: &str,
    page: &Page,
    search: Option<&str>,
) -> sipcreds::Result<Paged<Value>> {
    let limit = page.limit();
    let mut items: Vec<Credential> = Vec::new();
    let mut after = page.after().map(str::to_owned);
    let mut scanned = 0;
    let next = loop {
        let chunk = if search.is_some() {
            Page::MAX_LIMIT
        } else {
            limit as u64
        };
        let p = r.list_credentials_page(org, &Page::new(chunk, after.as_deref())?)?;
        let read = p.items.len();
        scanned += read;
        let last_read = p.items.last().map(|c| c.id.to_string());
        let mut full_at = None;
        for (i, c) in p.items.into_iter().enumerate() {
            if search.is_none_or(|q| matches(&c, q)) {
                items.push(c);
                if items.len() == limit {
                    full_at = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = full_at {
            // Full: the next page starts after the last one kept, unless nothing follows it.
            let more = i + 1 < read || p.next.is_some();
            break more
                .then(|| items.last().map(|c| c.id.to_string()))
                .flatten();
        }
        match p.next {
            None => break None,
            Some(n) if scanned >= SEARCH_SCAN => break Some(last_read.unwrap_or(n)),
            Some(n) => after = Some(n),
        }
    };
    let health = r.health_for(org, &items)?;
    let numbers = r.numbers_for(org, &items)?;
    let items = items
        .iter()
        .zip(health)
        .zip(numbers)
        .map(|((c, h), n)| {
            json!({
                "credential": c,
                "health": h,
                "numberCount": n.len(),
                "numbers": n.into_iter().take(NUMBERS_SHOWN).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Paged { items, next })
}
