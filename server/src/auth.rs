//! Who is calling: a bearer token or the dashboard's session cookie (§14), the org and role
//! checks, and the per-token request rate.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sipcreds::{Error, ErrorCode, Role, TokenInfo};

use crate::State;
use crate::error::{ApiError, ApiResult};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sipcreds_session";

/// The caller of a request, authenticated.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's record (never its text).
    pub token: TokenInfo,
}

/// The token id of the request, for its log line (filled by [`Caller`]'s extraction).
#[derive(Debug, Clone, Default)]
pub struct TokenSlot(pub Arc<std::sync::Mutex<Option<String>>>);

impl Caller {
    /// The caller's org, if `org` (a path's) is it; else `not_found`: a token never learns
    /// whether another org exists.
    pub fn org(&self, org: &str) -> ApiResult<()> {
        if self.token.org.as_str() == org {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: "organization",
                field: "org",
                id: sipcreds::printable(org, 64),
            }
            .into())
        }
    }

    /// [`Caller::org`], and a `write` token (else `forbidden`).
    pub fn writer(&self, org: &str) -> ApiResult<()> {
        self.org(org)?;
        if self.token.role == Role::Write {
            Ok(())
        } else {
            Err(Error::denied(
                ErrorCode::Forbidden,
                "this token's role is read; the request needs a write token (sipcreds tokens create --role write)",
            )
            .into())
        }
    }
}

/// The bearer token of `Authorization`, or the session cookie's; and whether it came from
/// the cookie.
fn presented(parts: &Parts) -> Option<(String, bool)> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, rest) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (rest.trim().to_owned(), false));
    }
    cookie(parts, SESSION_COOKIE).map(|t| (t, true))
}

/// A cookie's value.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// A cookie's value, from a request's headers.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether a cookie-carried request that changes state comes from the server's own origin:
/// its `Origin` names the host (and port) the request was sent to. (Either scheme: behind a
/// proxy that ends TLS the server sees plain HTTP for an `https://` page.)
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return false;
    };
    let Some(host) = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
    else {
        return false;
    };
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|h| h.eq_ignore_ascii_case(host))
}

impl FromRequestParts<State> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> ApiResult<Caller> {
        let Some((text, from_cookie)) = presented(parts) else {
            return Err(Error::denied(
                ErrorCode::Unauthorized,
                "no token: send \"Authorization: Bearer sct_...\" with a token from `sipcreds tokens create`, or sign in",
            )
            .into());
        };
        let token = state.tokens.authenticate(&state.registry, text).await?;
        if let Some(slot) = parts.extensions.get::<TokenSlot>() {
            *slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.id.to_string());
        }
        if from_cookie
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
            && !same_origin(parts)
        {
            return Err(Error::denied(
                ErrorCode::Forbidden,
                "a signed-in request that changes something must come from this server's own page (its Origin header)",
            )
            .into());
        }
        state.rate.check(&token)?;
        Ok(Caller { token })
    }
}

/// How long a token found in the store is taken as valid without reading the store again:
/// a revocation holds on every instance within this long (§14: 1 s).
pub const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// The tokens found recently, by the SHA-256 of their text (never the text itself).
#[derive(Debug, Default)]
pub struct TokenCache {
    found: std::sync::Mutex<
        std::collections::HashMap<sipcreds::TokenHash, (TokenInfo, std::time::Instant)>,
    >,
}

impl TokenCache {
    /// Who `text` is: from the cache when it was found in the store less than
    /// [`TOKEN_CACHE_TTL`] ago, else from the store (on the blocking pool).
    pub async fn authenticate(
        &self,
        registry: &sipcreds::Registry,
        text: String,
    ) -> ApiResult<TokenInfo> {
        let hash = sipcreds::looks_like_token(&text).then(|| sipcreds::TokenHash::of(&text));
        if let Some(h) = &hash {
            let found = self.found.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((info, at)) = found.get(h)
                && at.elapsed() < TOKEN_CACHE_TTL
            {
                return Ok(info.clone());
            }
        }
        let reg = registry.clone();
        let info = crate::blocking(move || reg.authenticate_token(&text)).await?;
        if let Some(h) = hash {
            let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
            if found.len() >= 10_000 {
                found.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
            }
            found.insert(h, (info.clone(), std::time::Instant::now()));
        }
        Ok(info)
    }
}

/// The per-token request rate: token buckets of `per_second` with bursts of `burst`.
#[derive(Debug)]
pub struct TokenRate {
    limiter: governor::DefaultKeyedRateLimiter<String>,
}

impl TokenRate {
    /// Buckets of `per_second` requests a second, `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> TokenRate {
        use std::num::NonZeroU32;
        let per_second = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        TokenRate {
            limiter: governor::RateLimiter::keyed(
                governor::Quota::per_second(per_second).allow_burst(burst),
            ),
        }
    }

    /// Take one request of the token's bucket, or `too_many_requests` with when to retry.
    pub fn check(&self, token: &TokenInfo) -> ApiResult<()> {
        use governor::clock::{Clock, DefaultClock};
        match self.limiter.check_key(&token.id.to_string()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                if self.limiter.len() > 100_000 {
                    self.limiter.retain_recent();
                }
                Err(Error::Denied {
                    code: ErrorCode::TooManyRequests,
                    message: "too many requests for this token; retry after retryAfterMs".into(),
                    retry_after_ms: Some(wait.as_millis().max(1) as u64),
                }
                .into())
            }
        }
    }
}
