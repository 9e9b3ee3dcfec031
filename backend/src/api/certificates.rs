//! `/api/v1/certificates`: certificates uploaded for a host instead of an ACME order. Keys go
//! in and never come out.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use shared::v1::{ErrorBody, UploadCertificate, UploadedCertificate};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiResult,
    extract::{Admin, Json},
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_certificates, upload_certificate))
        .routes(routes!(delete_certificate))
}

/// Every uploaded certificate: host, names, validity; never a key.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates",
    responses(
        (status = 200, body = [UploadedCertificate]),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_certificates(
    State(state): State<AppState>,
    _: Admin,
) -> ApiResult<axum::Json<Vec<UploadedCertificate>>> {
    Ok(axum::Json(state.platform.list_certificates().await?))
}

/// Upload a certificate for an app's host name (or the dashboard's): it is served instead of
/// one from the ACME server, and replaces any certificate uploaded for that host before.
/// Checked first: the key belongs to the chain's first certificate, which covers the host and
/// is valid now. The key is kept sealed and never returned.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates",
    request_body = UploadCertificate,
    responses(
        (status = 201, body = UploadedCertificate),
        (status = 400, body = ErrorBody, description = "Malformed JSON"),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope, or a cookie session without X-CSRF-Token"),
        (status = 409, body = ErrorBody, description = "HTTPS is off (no MILKCRATE_ACME_EMAIL)"),
        (status = 422, body = ErrorBody, description = "Not a host Milkcrate serves, not PEM, a key of another certificate, a host the certificate does not cover, or a certificate not valid now; each under its field"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn upload_certificate(
    State(state): State<AppState>,
    _: Admin,
    Json(upload): Json<UploadCertificate>,
) -> ApiResult<(StatusCode, axum::Json<UploadedCertificate>)> {
    let uploaded = state.platform.upload_certificate(upload).await?;
    Ok((StatusCode::CREATED, axum::Json(uploaded)))
}

/// Remove a host's uploaded certificate: the host gets one from the ACME server again.
#[utoipa::path(delete, path = "/api/v1/certificates/{host}", tag = "certificates",
    params(("host" = String, Path, description = "The host name")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody, description = "Not logged in"),
        (status = 403, body = ErrorBody, description = "A token without the admin scope, or a cookie session without X-CSRF-Token"),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_certificate(
    State(state): State<AppState>,
    _: Admin,
    Path(host): Path<String>,
) -> ApiResult<StatusCode> {
    state.platform.delete_certificate(&host).await?;
    Ok(StatusCode::NO_CONTENT)
}
