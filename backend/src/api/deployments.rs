//! `/api/v1/deployments/{id}` and its log.

use axum::extract::State;
use serde::Deserialize;
use shared::v1::{Deployment, DeploymentLog, ErrorBody, fields::query};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Path, Query, in_range},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_deployment))
        .routes(routes!(get_deployment_log))
}

/// One deployment.
#[utoipa::path(get, path = "/api/v1/deployments/{id}", tag = "deployments",
    params(("id" = i64, Path, description = "Deployment id")),
    responses((status = 200, body = Deployment), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_deployment(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Deployment>> {
    Ok(axum::Json(state.platform.get_deployment(id).await?))
}

#[derive(Deserialize, IntoParams)]
struct LogQuery {
    /// Byte offset to read from: the `next_offset` of the previous read.
    #[serde(default)]
    offset: i64,
}

/// The build and start output, readable while the deployment runs and kept afterwards.
#[utoipa::path(get, path = "/api/v1/deployments/{id}/log", tag = "deployments",
    params(("id" = i64, Path, description = "Deployment id"), LogQuery),
    responses((status = 200, body = DeploymentLog), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_deployment_log(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
    Query(query): Query<LogQuery>,
) -> ApiResult<axum::Json<DeploymentLog>> {
    let offset = in_range(query::OFFSET, query.offset, 0..=i64::MAX)?;
    Ok(axum::Json(state.platform.deployment_log(id, offset).await?))
}
