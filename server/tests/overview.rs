//! The dashboard's route and files (docs/dashboard.md): the overview pages through every
//! credential exactly once, with and without a search (one that matches nothing in the first
//! 20,000 answers a short page and goes on), each item with its health and numbers; the
//! files answer with their media type, the CSP and an ETag that revalidates.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    app: axum::Router,
    token: String,
    registry: sipcreds::Registry,
}

impl App {
    fn new() -> App {
        let registry = sipcreds::Registry::in_memory();
        let token = registry
            .create_token("acme", sipcreds::Role::Read, Some("t"))
            .unwrap()
            .token
            .expose_secret()
            .to_owned();
        let options = sipcreds_server::Options {
            token_rate: 100_000,
            token_burst: 100_000,
            ..Default::default()
        };
        App {
            app: sipcreds_server::router(registry.clone(), options),
            token,
            registry,
        }
    }

    async fn get(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder()
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = self
            .app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 26).await.unwrap();
        (parts.status, parts.headers, bytes.to_vec())
    }

    async fn json(&self, path: &str) -> Value {
        let (status, _, body) = self.get(path, &[]).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }

    /// Every item of the overview, page by page; and the size of each page.
    async fn all(&self, query: &str, limit: usize) -> (Vec<Value>, Vec<usize>) {
        let mut items = Vec::new();
        let mut sizes = Vec::new();
        let mut after = String::new();
        loop {
            let page = self
                .json(&format!(
                    "/v1/orgs/acme/overview?limit={limit}{query}{after}"
                ))
                .await;
            let got = page["items"].as_array().unwrap();
            sizes.push(got.len());
            items.extend(got.iter().cloned());
            match page["next"].as_str() {
                Some(n) => after = format!("&after={n}"),
                None => return (items, sizes),
            }
        }
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["credential"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_overview_pages_through_every_credential_once_and_searches() {
    let app = App::new();
    let inputs: Vec<_> = (0..2_500)
        .map(|i| {
            sipcreds::CredentialInput::from_json(
                &json!({"name": format!("trunk-{i:05}"), "server": format!("sip{}.example.com", i % 7),
                    "authUser": if i % 10 == 0 { "Needle-User" } else { "other" }, "authPassword": "pw"})
                .to_string(),
            )
            .unwrap()
        })
        .collect();
    let created = app.registry.create_credentials("acme", inputs).unwrap();
    app.registry
        .link_number("acme", "+14155550100", created[3].id.as_str())
        .unwrap();
    for n in 0..7 {
        app.registry
            .link_number("acme", &format!("+1415555020{n}"), created[4].id.as_str())
            .unwrap();
    }

    // Without a search: every credential once, in order, 100 a page, the last page's next null.
    let (items, sizes) = app.all("", 100).await;
    assert_eq!(items.len(), 2_500);
    assert_eq!(sizes, vec![100; 25]);
    let expected: Vec<String> = (0..2_500).map(|i| format!("trunk-{i:05}")).collect();
    assert_eq!(names(&items), expected);
    assert_eq!(items[3]["numbers"], json!(["+14155550100"]));
    assert_eq!(items[4]["numberCount"], 7);
    assert_eq!(items[4]["numbers"].as_array().unwrap().len(), 5);
    assert_eq!(items[0]["health"]["state"], "unknown");
    assert_eq!(items[0]["credential"]["hasPassword"], true);
    assert!(!serde_json::to_string(&items).unwrap().contains("\"pw\""));

    // A search (any case, auth user here): the 250 matches once each, across chunks of reading.
    let (found, sizes) = app.all("&q=needle-user", 100).await;
    let want: Vec<String> = (0..2_500)
        .step_by(10)
        .map(|i| format!("trunk-{i:05}"))
        .collect();
    assert_eq!(names(&found), want);
    assert_eq!(sizes, vec![100, 100, 50]);
    // Matches ending exactly at a page's end: that page's next is null.
    let (found, sizes) = app.all("&q=trunk-0249", 10).await;
    assert_eq!(found.len(), 10);
    assert_eq!(sizes, vec![10]);
    // By server, and nothing.
    let (found, _) = app.all("&q=SIP6.EXAMPLE", 1000).await;
    assert_eq!(found.len(), (0..2_500).filter(|i| i % 7 == 6).count());
    let (found, sizes) = app.all("&q=nothing-like-this", 100).await;
    assert!(found.is_empty());
    assert_eq!(sizes, vec![0]);

    // Bad queries: the §8 body naming the parameter.
    for (q, field) in [
        ("q=".to_owned() + &"x".repeat(101), "q"),
        ("limit=0".into(), "limit"),
        ("sort=name".into(), "query"),
    ] {
        let (status, _, body) = app.get(&format!("/v1/orgs/acme/overview?{q}"), &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    // Another org's overview is not found; no token is unauthorized.
    let (status, _, _) = app.get("/v1/orgs/other/overview", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_search_that_matches_little_answers_short_pages_and_goes_on() {
    let app = App::new();
    let inputs: Vec<_> = (0..25_000)
        .map(|i| {
            let name = if i == 24_000 {
                "the-only-one".to_owned()
            } else {
                format!("t{i}")
            };
            sipcreds::CredentialInput::from_json(
                &json!({"name": name, "server": "sip.example.com"}).to_string(),
            )
            .unwrap()
        })
        .collect();
    app.registry.create_credentials("acme", inputs).unwrap();
    let first = app.json("/v1/orgs/acme/overview?q=only-one").await;
    // 20,000 read, nothing found: an empty page that goes on.
    assert_eq!(first["items"], json!([]));
    let next = first["next"].as_str().unwrap();
    let second = app
        .json(&format!("/v1/orgs/acme/overview?q=only-one&after={next}"))
        .await;
    assert_eq!(
        names(second["items"].as_array().unwrap()),
        vec!["the-only-one"]
    );
    assert_eq!(second["next"], Value::Null);
}

#[tokio::test]
async fn the_files_have_their_type_the_csp_and_an_etag() {
    let app = App::new();
    for (path, kind) in [
        ("/", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/style.css", "text/css"),
        ("/assets/icon.svg", "image/svg+xml"),
        ("/assets/fields.json", "application/json"),
    ] {
        let (status, headers, body) = app.get(path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"));
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(!body.is_empty());
        let tag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, body) = app.get(path, &[("if-none-match", &tag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
    }
    // The fields' descriptions are the schema's.
    let fields = app.json("/assets/fields.json").await;
    assert_eq!(
        fields["server"]["description"],
        sipcreds::input_schema()["properties"]["server"]["description"]
    );
    assert_eq!(fields["cpsLimit"]["maximum"], 10_000);
}
