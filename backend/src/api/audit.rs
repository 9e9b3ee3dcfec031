//! `GET /api/v1/audit`: the audit trail, newest first, in pages by id.

use axum::extract::State;
use serde::Deserialize;
use shared::v1::{AuditEntry, ErrorBody};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Query},
};
use crate::{domain::access::audit::AuditQuery, state::AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_trail))
}

#[derive(Deserialize, IntoParams)]
struct TrailQuery {
    /// Entries to return: 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// Only entries with a smaller id: the smallest id of the previous page.
    before: Option<i64>,
    /// Only this actor: `admin session`, `token:<name>` or `anonymous`.
    actor: Option<String>,
    /// Only this target: an app or volume name, a deployment or token id.
    target: Option<String>,
}

/// Logins and changes made through the API, newest first: who (the admin session or a token's
/// name), what, on what, the answer's status, the client's address and when. Kept
/// `MILKCRATE_AUDIT_DAYS` (90).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(TrailQuery),
    responses(
        (status = 200, body = [AuditEntry]),
        (status = 400, body = ErrorBody, description = "A malformed query"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the `admin` scope"),
        (status = 422, body = ErrorBody, description = "`limit` out of range"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn audit_trail(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<TrailQuery>,
) -> ApiResult<axum::Json<Vec<AuditEntry>>> {
    Ok(axum::Json(
        state
            .platform
            .audit_trail(AuditQuery {
                limit: query.limit,
                before: query.before,
                actor: query.actor,
                target: query.target,
            })
            .await?,
    ))
}
