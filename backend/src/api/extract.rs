//! Extractors whose rejections speak our error shape.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use super::{ApiError, guard::Caller};
use crate::auth::Claims;

/// `axum::Json`, rejecting with our JSON error body. Every JSON body of the API is an object
/// (serde would also read a struct from an array); a number with a zero fraction (`3.0`) counts as
/// the integer it is, as JSON Schema says.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(ApiError::BadRequest {
                field: None,
                message: "the body must be a JSON object".into(),
            });
        }
        T::deserialize(whole_numbers(value))
            .map(Self)
            .map_err(|e| ApiError::BadRequest {
                field: None,
                message: format!("Failed to deserialize the JSON body into the target type: {e}"),
            })
    }
}

/// `value` with every float that is a whole number in the `i64` range as that integer.
fn whole_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
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

/// A number from the query, refused (400, naming `field`) outside `range`: the bounds the OpenAPI
/// document states, enforced rather than clamped, so a client learns it asked for too much.
pub fn in_range<T, U>(
    field: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<U, ApiError>
where
    T: PartialOrd + std::fmt::Display + Copy,
    U: TryFrom<T>,
{
    range
        .contains(&value)
        .then(|| U::try_from(value).ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::bad_field(
                field,
                format!("must be {} to {}", range.start(), range.end()),
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
