//! `/api/v1/webhooks`: where Milkcrate posts deployment and app events, signed, and what it
//! delivered.

use axum::{extract::State, http::StatusCode};
use shared::v1::{CreateWebhook, ErrorBody, Webhook, WebhookDelivery};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Json, Path},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_deliveries))
}

/// Every webhook; never its secret.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses(
        (status = 200, body = [Webhook]),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    _: Admin,
) -> ApiResult<axum::Json<Vec<Webhook>>> {
    Ok(axum::Json(state.platform.list_webhooks().await?))
}

/// Register a webhook: deployments that succeed or fail and apps that exit, restart or turn
/// unhealthy are posted to `url` as JSON, signed with `secret` (see the API guide).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses(
        (status = 201, body = Webhook),
        (status = 400, body = ErrorBody, description = "Malformed JSON"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope, or a cookie session without X-CSRF-Token"),
        (status = 422, body = ErrorBody, description = "A URL that is not http(s) with a host and no credentials, or a secret not of 16 to 256 characters"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    _: Admin,
    Json(request): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, axum::Json<Webhook>)> {
    let webhook = state.platform.create_webhook(request).await?;
    Ok((StatusCode::CREATED, axum::Json(webhook)))
}

/// Remove a webhook and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path)),
    responses(
        (status = 204),
        (status = 400, body = ErrorBody, description = "The id is not a number"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope, or a cookie session without X-CSRF-Token"),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.platform.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The last 100 deliveries to a webhook, newest first: event, status, attempts, the receiver's
/// last answer.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = [WebhookDelivery]),
        (status = 400, body = ErrorBody, description = "The id is not a number"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope"),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Vec<WebhookDelivery>>> {
    Ok(axum::Json(state.platform.webhook_deliveries(id).await?))
}
