//! Request bodies and queries, read with the §14 bounds and answered with §8 codes.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde_json::{Map, Value};
use sipcreds::{Error, ErrorCode, MAX_BODY_BYTES, Page};

use crate::error::{ApiError, ApiResult};

/// A body must arrive within this long once its head has.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body as text: at most 64 KiB (a larger `Content-Length` is refused before a
/// byte of it is read), UTF-8, arrived within [`BODY_TIMEOUT`].
#[derive(Debug)]
pub struct Text(pub String);

fn too_large() -> ApiError {
    Error::invalid(
        ErrorCode::TooLarge,
        "body",
        format!("the body is larger than {MAX_BODY_BYTES} bytes (64 KiB)"),
    )
    .into()
}

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Text> {
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(too_large());
        }
        let bytes = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(req, state)).await
        {
            Err(_) => {
                return Err(ApiError::json(
                    "the body did not arrive within 10 s; send the whole request at once",
                ));
            }
            Ok(Err(rejection)) => {
                return Err(
                    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        ApiError::json("the body could not be read")
                    },
                );
            }
            Ok(Ok(b)) => b,
        };
        if bytes.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        String::from_utf8(bytes.to_vec())
            .map(Text)
            .map_err(|_| ApiError::json("the body is not UTF-8 text"))
    }
}

impl Text {
    /// The body as one JSON object (anything else is `invalid_json`).
    pub fn object(&self) -> ApiResult<Map<String, Value>> {
        if self.0.trim().is_empty() {
            return Err(ApiError::json("the body is empty; send one JSON object"));
        }
        match serde_json::from_str::<Value>(&self.0) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::json("the body must be one JSON object ({...})")),
            Err(e) => Err(ApiError::json(format!(
                "the body is not JSON: {} (line {}, column {})",
                match e.classify() {
                    serde_json::error::Category::Eof => "it ends too early",
                    _ => "syntax error",
                },
                e.line(),
                e.column()
            ))),
        }
    }

    /// The body as an object with only `known` keys (else `unknown_field`); an empty body is
    /// an empty object when `empty_ok`.
    pub fn fields(&self, known: &[&'static str], empty_ok: bool) -> ApiResult<Map<String, Value>> {
        if empty_ok && self.0.trim().is_empty() {
            return Ok(Map::new());
        }
        let m = self.object()?;
        if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Error::invalid(
                ErrorCode::UnknownField,
                sipcreds::printable(k, sipcreds::MAX_ECHOED_FIELD_CHARS),
                format!(
                    "unknown field {}; this body takes {}",
                    sipcreds::printable(k, 64),
                    known.join(", ")
                ),
            )
            .into());
        }
        Ok(m)
    }
}

/// A string member of a body: `missing_field` when absent (and `required`), `code` when not a
/// string.
pub fn string_field(
    m: &Map<String, Value>,
    field: &'static str,
    code: ErrorCode,
    required: bool,
) -> ApiResult<Option<String>> {
    match m.get(field) {
        None if required => Err(Error::invalid(
            ErrorCode::MissingField,
            field,
            format!("{field} is required"),
        )
        .into()),
        None | Some(Value::Null) if !required => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        _ => Err(Error::invalid(code, field, format!("{field} must be a string")).into()),
    }
}

/// The query parameters, each named at most once, only the `known` ones.
#[derive(Debug, Default)]
pub struct Query(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Query> {
        let mut out = HashMap::new();
        let q = parts.uri.query().unwrap_or("");
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode(&s.replace('+', " ")).ok_or_else(|| {
                    ApiError::option(
                        "query",
                        "the query string is not valid UTF-8 percent-encoding",
                    )
                })
            };
            let (k, v) = (decode(k)?, decode(v)?);
            if out.insert(k.clone(), v).is_some() {
                return Err(ApiError::option(
                    "query",
                    format!(
                        "query parameter {} is given twice",
                        sipcreds::printable(&k, 32)
                    ),
                ));
            }
        }
        Ok(Query(out))
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Query {
    /// Refuse parameters other than `known` (`invalid_option` naming it).
    pub fn only(&self, known: &[&'static str]) -> ApiResult<()> {
        if let Some(k) = self.0.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::option(
                "query",
                format!(
                    "unknown query parameter {}; this route takes {}",
                    sipcreds::printable(k, 32),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        Ok(())
    }

    /// The page of `limit` (default 100) and `after`.
    pub fn page(&self) -> ApiResult<Page> {
        self.page_and(&[])
    }

    /// [`Query::page`] on a route that also takes the parameters `also`.
    pub fn page_and(&self, also: &[&'static str]) -> ApiResult<Page> {
        let mut known = vec!["limit", "after"];
        known.extend_from_slice(also);
        self.only(&known)?;
        let limit = match self.0.get("limit") {
            None => 100,
            Some(s) => s.parse::<u64>().map_err(|_| {
                ApiError::option(
                    "limit",
                    format!(
                        "limit must be a whole number from 1 to 1000, not {}",
                        sipcreds::printable(s, 32)
                    ),
                )
            })?,
        };
        Ok(Page::new(limit, self.0.get("after").map(String::as_str))?)
    }

    /// A boolean parameter (`true`/`false`), `false` when absent.
    pub fn flag(&self, name: &'static str) -> ApiResult<bool> {
        match self.0.get(name).map(String::as_str) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::option(
                name,
                format!(
                    "{name} must be true or false, not {}",
                    sipcreds::printable(other, 32)
                ),
            )),
        }
    }
}

/// Path parameters, as axum's `Path` reads them, with a path that does not decode (bad
/// percent-encoding, not UTF-8) answered `invalid_option` about `path`, in the §8 body.
#[derive(Debug)]
pub struct PathArgs<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for PathArgs<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<PathArgs<T>> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| PathArgs(t))
            .map_err(|_| {
                ApiError::option(
                    "path",
                    "the path does not decode: a percent-escape that is not UTF-8 text",
                )
            })
    }
}
