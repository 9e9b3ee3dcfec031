//! Extractors whose rejections speak our error shape.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use super::{ApiError, guard::Caller};
use crate::auth::Claims;

/// `axum::Json`, rejecting with our JSON error body. Every body of this API is a JSON object
/// (serde would read a struct from an array, by position: refused), and a number is an integer
/// when its value is, as JSON Schema has it (`2.0` is the integer 2; serde would refuse it).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(mut value) =
            axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(ApiError::BadRequest {
                field: None,
                message: "the body must be a JSON object".into(),
            });
        }
        integral_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| ApiError::BadRequest {
                field: Some(e.path().to_string()).filter(|p| p != "."),
                message: format!("the body does not fit: {e}"),
            })
    }
}

/// `2.0` becomes `2`, at any depth; other numbers stay as they are.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^53 every integer is exact as a float, so the conversion loses nothing.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
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

/// The authenticated caller: the admin session or an API token, as `guard` established and
/// authorized it for this route. Without one (a route the guard lets through), 401.
pub struct Admin {
    pub caller: Caller,
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(|caller| Self { caller })
            .ok_or_else(|| ApiError::Unauthorized("log in first".into()))
    }
}

/// The admin session itself (not a token): its claims.
pub struct Session(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Admin::from_request_parts(parts, state).await?.caller {
            Caller::Session(claims) => Ok(Self(claims)),
            Caller::Token(_) => Err(ApiError::Forbidden(
                "this needs the admin session, not an API token".into(),
            )),
        }
    }
}
