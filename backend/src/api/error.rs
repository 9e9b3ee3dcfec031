//! The one place where errors become HTTP responses.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::v1::{ErrorBody, ErrorCode};

use crate::{domain::DomainError, runtime::RuntimeError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many login attempts; try again in {0} seconds")]
    RateLimited(u64),
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this path does not accept {0}")]
    MethodNotAllowed(String),
}

impl ApiError {
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub(super) fn classify(&self) -> (StatusCode, ErrorCode) {
        use DomainError as D;
        match self {
            Self::Domain(D::NotFound { .. }) | Self::NotFound(_) => {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            }
            Self::Domain(D::Conflict(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Domain(D::Taken(_)) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Self::Domain(D::Invalid(_)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
            ),
            // A disk error while extracting is ours, not the archive's.
            Self::Domain(D::Archive(e)) if e.rule() == "io" => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
            Self::Domain(D::Archive(e)) if e.rule() == "no_space" => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::InsufficientStorage,
            ),
            Self::Domain(D::NoSpace(_)) => (
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::InsufficientStorage,
            ),
            Self::Domain(D::Archive(_) | D::Policy(_)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidArchive)
            }
            Self::Domain(D::TooLarge(_)) | Self::TooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            Self::Domain(D::WrongPassword) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Self::Domain(D::Runtime(RuntimeError::Unavailable(_))) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::RuntimeUnavailable,
            ),
            Self::Domain(D::Runtime(RuntimeError::NotFound(_))) => {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            }
            Self::Domain(D::Runtime(RuntimeError::Conflict(_))) => {
                (StatusCode::CONFLICT, ErrorCode::Conflict)
            }
            Self::Domain(D::Runtime(RuntimeError::Failed(_)) | D::Database(_) | D::Internal(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            Self::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
            }
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Self::BadRequest { .. } => (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Domain(DomainError::Invalid(fields)) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("invalid {}", names.join(", "))
            }
            Self::Domain(DomainError::Taken(fields)) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("{} already in use", names.join(" and "))
            }
            Self::Domain(DomainError::WrongPassword) => "the current password is wrong".into(),
            Self::Domain(
                DomainError::Runtime(RuntimeError::Failed(_))
                | DomainError::Database(_)
                | DomainError::Internal(_),
            ) => "internal server error; the server log has the details".into(),
            other => other.to_string(),
        }
    }

    fn fields(&self) -> BTreeMap<String, Vec<String>> {
        match self {
            Self::Domain(DomainError::Invalid(fields) | DomainError::Taken(fields)) => {
                fields.clone()
            }
            Self::Domain(DomainError::Policy(problems)) => {
                BTreeMap::from([("file".to_string(), problems.clone())])
            }
            Self::Domain(DomainError::Archive(e)) => {
                BTreeMap::from([("file".to_string(), vec![e.to_string()])])
            }
            Self::Domain(DomainError::WrongPassword) => {
                BTreeMap::from([("current_password".to_string(), vec!["is wrong".to_string()])])
            }
            Self::BadRequest {
                field: Some(field),
                message,
            } => BTreeMap::from([(field.clone(), vec![message.clone()])]),
            _ => BTreeMap::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.classify();
        if status.is_server_error() {
            tracing::error!("request failed: {self:?}");
        }
        let body = ErrorBody {
            code,
            message: self.message(),
            fields: self.fields(),
        };
        let mut response = (status, Json(body)).into_response();
        match &self {
            Self::RateLimited(secs) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            Self::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::BadRequest {
            field: None,
            message: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest {
            field: None,
            message: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest {
            field: None,
            message: rejection.body_text(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Domain(DomainError::Internal(err))
    }
}
