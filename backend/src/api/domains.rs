//! An app's host names, set whole. (`PATCH /api/v1/apps/{name}` takes `domains` too once it
//! exists; this route stays as the narrow way to change only them.)

use axum::extract::{Path, State};
use shared::v1::{App, DomainsUpdate, ErrorBody};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Json},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_domains))
}

/// Set the app's host names: it is served at the root of each (besides its route), over HTTPS
/// with a certificate from the ACME server when HTTPS is set up.
#[utoipa::path(put, path = "/api/v1/apps/{name}/domains", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    request_body = DomainsUpdate,
    responses(
        (status = 200, body = App),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A host name is another app's"),
        (status = 422, body = ErrorBody, description = "A host name is invalid or the dashboard's"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn set_domains(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Json(update): Json<DomainsUpdate>,
) -> ApiResult<axum::Json<App>> {
    Ok(axum::Json(
        state.platform.set_domains(&name, &update.domains).await?,
    ))
}
