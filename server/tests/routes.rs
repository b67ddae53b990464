//! The router answers every route of its table (the OpenAPI document's source), and nothing
//! else: each listed method and path reaches its handler (a protected one asks for a token),
//! and the OpenAPI document served is the committed one.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

async fn call(app: &axum::Router, method: &str, path: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method.to_ascii_uppercase().as_str())
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn every_listed_route_is_served_and_no_other() {
    let app = sipcreds_server::router(
        sipcreds::Registry::in_memory(),
        sipcreds_server::Options::default(),
    );
    for (method, path, op, _, role, _) in sipcreds_server::ROUTES {
        let concrete = path
            .replace("{org}", "acme")
            .replace("{id}", "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV")
            .replace("{number}", "+14155550100");
        let (status, body) = call(&app, method, &concrete).await;
        assert!(
            !body.contains("this method and path"),
            "{op}: {method} {path} is not routed: {body}"
        );
        if *role != "none" {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{op}: {body}");
        }
    }
    // A method the table does not list on a listed path, and an unlisted path.
    for (method, path) in [
        ("put", "/v1/orgs/acme/credentials"),
        ("get", "/v1/orgs/acme"),
    ] {
        let (status, body) = call(&app, method, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert!(body.contains("\"not_found\"") && body.contains("this method and path"));
    }
    let (status, body) = call(&app, "get", "/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, sipcreds_server::OPENAPI);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let listed: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(listed, sipcreds_server::ROUTES.len());
}
