//! Settings and the public landing data.

use axum::extract::State;
use shared::v1::{ErrorBody, PublicIndex, Settings};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Json},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(public_apps))
}

/// Platform settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_settings(State(state): State<AppState>, _: Admin) -> ApiResult<axum::Json<Settings>> {
    Ok(axum::Json(state.platform.settings().await?))
}

/// Change platform settings. `default_home_route` must be an existing app's route, or null.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = Settings,
    responses((status = 200, body = Settings), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn update_settings(
    State(state): State<AppState>,
    _: Admin,
    Json(settings): Json<Settings>,
) -> ApiResult<axum::Json<Settings>> {
    Ok(axum::Json(state.platform.update_settings(settings).await?))
}

/// What visitors who are not logged in see: running apps, or where `/` redirects. No auth.
#[utoipa::path(get, path = "/api/v1/public/apps", tag = "public", responses((status = 200, body = PublicIndex)))]
async fn public_apps(State(state): State<AppState>) -> ApiResult<axum::Json<PublicIndex>> {
    Ok(axum::Json(state.platform.public_index().await?))
}
