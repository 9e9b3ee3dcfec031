//! Extractors whose rejections speak our error shape.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{Method, request::Parts},
};
use serde::de::DeserializeOwned;

use super::{ApiError, auth::SESSION_COOKIES, cookie};
use crate::{auth::Claims, state::AppState};

/// `axum::Json`, rejecting with our JSON error body.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Path`, rejecting with our JSON error body.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// `axum::extract::Query`, rejecting with our JSON error body.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// A whole number from the query (read as text, so that any malformed value is refused the same
/// way), refused with `400` naming `field` unless it lies in `range`: the bounds the OpenAPI
/// document states, enforced rather than clamped, so a client learns it asked for too much.
pub fn number_in<U: TryFrom<i64>>(
    field: &str,
    text: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<U>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .and_then(|n| U::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_field(
                field,
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// `axum::extract::Multipart`, rejecting with our JSON error body.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Self)
            .map_err(|e| {
                ApiError::bad_field(
                    "file",
                    format!("send a multipart/form-data body: {}", e.body_text()),
                )
            })
    }
}

/// The authenticated admin. A bearer token, or the session cookie plus a matching
/// `X-CSRF-Token` header on anything but reads.
pub struct Admin {
    pub claims: Claims,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let (claims, from_cookie) = match bearer {
            Some(token) => {
                let claims = state.keys.verify(token.trim()).ok_or_else(|| {
                    ApiError::Unauthorized("the session expired or is invalid; log in again".into())
                })?;
                (claims, false)
            }
            None => {
                // Another site on this host name (an app on another port) can plant cookies of
                // the same name: any one that verifies is the session, the others are ignored.
                let candidates = cookie::all(&parts.headers, &SESSION_COOKIES);
                if candidates.is_empty() {
                    return Err(ApiError::Unauthorized("log in first".into()));
                }
                let claims = candidates
                    .iter()
                    .find_map(|token| state.keys.verify(token))
                    .ok_or_else(|| {
                        ApiError::Unauthorized(
                            "the session expired or is invalid; log in again".into(),
                        )
                    })?;
                (claims, true)
            }
        };
        if claims.pwv != state.platform.password_version().await? {
            return Err(ApiError::Unauthorized(
                "the password changed; log in again".into(),
            ));
        }
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if from_cookie && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(claims.csrf.as_str()) {
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token header".into(),
                ));
            }
        }
        Ok(Self { claims })
    }
}
