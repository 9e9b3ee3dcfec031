//! Releases: an app's variables and secrets, its editable settings, and rollback. Each change is
//! a new release on the image that runs, answered `202` with its `Deployment`.

use axum::{extract::State, http::StatusCode};
use shared::v1::{AppEnv, AppPatch, Deployment, ErrorBody, RollbackRequest};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Json, Path},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_env, put_env))
        .routes(routes!(patch_app))
        .routes(routes!(rollback))
}

/// The app's variables and build arguments; a secret's value is always `null`.
#[utoipa::path(get, path = "/api/v1/apps/{name}/env", tag = "releases",
    params(("name" = String, Path, description = "App name")),
    responses(
        (status = 200, body = AppEnv),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_env(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<AppEnv>> {
    Ok(axum::Json(state.platform.app_env(&name).await?))
}

/// Replace the app's variables and build arguments (the whole set) and release them on the
/// current image, without a build. A secret given with `"value": null` keeps its value.
#[utoipa::path(put, path = "/api/v1/apps/{name}/env", tag = "releases",
    params(("name" = String, Path, description = "App name")),
    request_body = AppEnv,
    responses(
        (status = 202, body = Deployment, description = "Accepted; the release is queued"),
        (status = 400, body = ErrorBody, description = "Not a JSON env set"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "No built release to apply it to"),
        (status = 422, body = ErrorBody, description = "Invalid names or values, under `fields`"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn put_env(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Json(env): Json<AppEnv>,
) -> ApiResult<(StatusCode, axum::Json<Deployment>)> {
    let release = state.platform.put_app_env(&name, env).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(release)))
}

/// Change the app's health path, limits or route; released on the current image.
#[utoipa::path(patch, path = "/api/v1/apps/{name}", tag = "releases",
    params(("name" = String, Path, description = "App name")),
    request_body = AppPatch,
    responses(
        (status = 202, body = Deployment, description = "Accepted; the release is queued"),
        (status = 400, body = ErrorBody, description = "Not a JSON patch"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The route is taken, or no built release"),
        (status = 422, body = ErrorBody, description = "Invalid values, under `fields`"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn patch_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Json(patch): Json<AppPatch>,
) -> ApiResult<(StatusCode, axum::Json<Deployment>)> {
    let release = state.platform.patch_app(&name, patch).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(release)))
}

/// Bring back an earlier release: its image and its configuration, as a new release.
#[utoipa::path(post, path = "/api/v1/apps/{name}/rollback", tag = "releases",
    params(("name" = String, Path, description = "App name")),
    request_body = RollbackRequest,
    responses(
        (status = 202, body = Deployment, description = "Accepted; the release is queued"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such app, or no such release of it"),
        (status = 409, body = ErrorBody, description = "The release never ran, or its image is no longer kept"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn rollback(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Json(request): Json<RollbackRequest>,
) -> ApiResult<(StatusCode, axum::Json<Deployment>)> {
    let release = state.platform.rollback(&name, request.deployment).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(release)))
}
