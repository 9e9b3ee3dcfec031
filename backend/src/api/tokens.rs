//! `/api/v1/tokens`: API tokens for scripts and CI. Managed from the admin session only (the
//! guard refuses tokens here).

use axum::{Extension, extract::State, http::StatusCode, response::IntoResponse};
use shared::v1::{ApiToken, CreateToken, ErrorBody, NewToken};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Json, Path, Session},
    guard::AuditTarget,
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Every API token, newest first, with when it was last used; never the tokens themselves.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses(
        (status = 200, body = [ApiToken]),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "An API token: tokens are managed from the admin session"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_tokens(
    State(state): State<AppState>,
    _: Session,
) -> ApiResult<axum::Json<Vec<ApiToken>>> {
    Ok(axum::Json(state.platform.list_tokens().await?))
}

/// Create an API token. The answer holds the token itself, this once: only its hash is kept.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses(
        (status = 201, body = NewToken),
        (status = 400, body = ErrorBody, description = "Malformed JSON or an unknown scope"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "An API token, or a cookie session without X-CSRF-Token"),
        (status = 409, body = ErrorBody, description = "A token of that name exists"),
        (status = 422, body = ErrorBody, description = "Invalid name or expiry"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_token(
    State(state): State<AppState>,
    _: Session,
    Json(request): Json<CreateToken>,
) -> ApiResult<impl IntoResponse> {
    let token = state.platform.create_token(&request).await?;
    Ok((
        StatusCode::CREATED,
        Extension(AuditTarget(token.name.clone())),
        axum::Json(token),
    ))
}

/// Revoke an API token: the next request with it gets 401.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, body = ErrorBody, description = "The id is not a number"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "An API token, or a cookie session without X-CSRF-Token"),
        (status = 404, body = ErrorBody, description = "No such token"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn revoke_token(
    State(state): State<AppState>,
    _: Session,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    let revoked = state.platform.revoke_token(id).await?;
    Ok((StatusCode::NO_CONTENT, Extension(AuditTarget(revoked.name))))
}
