//! Errors as HTTP responses: the §8 body, the status of the code from the core's one table.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sipcreds::{Error, ErrorCode};

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    /// The error.
    pub error: Error,
    /// 412 instead of the code's 409 (an `If-Match` that no longer matches).
    pub precondition: bool,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError {
            error,
            precondition: false,
        }
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// `invalid_option` about a query parameter or header.
    pub fn option(field: &'static str, message: impl Into<String>) -> ApiError {
        Error::invalid(ErrorCode::InvalidOption, field, message).into()
    }

    /// `invalid_json`: the body is not one JSON object.
    pub fn json(message: impl Into<String>) -> ApiError {
        Error::Invalid {
            code: ErrorCode::InvalidJson,
            field: None,
            message: message.into(),
        }
        .into()
    }

    /// `not_found` for a route that does not exist.
    pub fn no_route() -> ApiError {
        Error::NotFound {
            what: "route",
            field: "path",
            id: "this method and path".into(),
        }
        .into()
    }

    /// `internal`: the request id is filled in by the request layer.
    pub fn internal() -> ApiError {
        Error::Internal {
            request_id: String::new(),
        }
        .into()
    }
}

/// The §8 body of an error, `field` left out when no field is concerned (§14).
pub fn error_body(error: &Error) -> serde_json::Value {
    let mut body = error.to_json();
    if let Some(e) = body.get_mut("error").and_then(|e| e.as_object_mut())
        && e.get("field").is_some_and(|f| f.is_null())
    {
        e.remove("field");
    }
    body
}

/// A JSON response, serialized straight to its bytes. (A value that does not serialize is a
/// bare 500, which the request layer turns into the `internal` body with its request id.)
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let Ok(bytes) = serde_json::to_vec(body) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.error.code();
        let status = if self.precondition {
            StatusCode::PRECONDITION_FAILED
        } else {
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        };
        let mut r = json_response(status, &error_body(&self.error));
        let h = r.headers_mut();
        match (&self.error, code) {
            (_, ErrorCode::Unauthorized) => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"sipcreds\""),
                );
            }
            (_, ErrorCode::Storage) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            (
                Error::Denied {
                    retry_after_ms: Some(ms),
                    ..
                },
                _,
            ) => {
                let secs = ms.div_ceil(1000).max(1);
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    h.insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        if code == ErrorCode::Internal {
            r.extensions_mut().insert(InternalMarker);
        }
        r
    }
}

/// Marks a 500 made by [`ApiError::internal`], for the request layer to log and number.
#[derive(Debug, Clone, Copy)]
pub struct InternalMarker;
