//! `/api/v1/backups`: take a backup, restore one.

use axum::{
    extract::{DefaultBodyLimit, State},
    response::Response,
};
use shared::v1::fields::form;
use shared::v1::{ErrorBody, RestoredBackup};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiError, ApiResult,
    download::send,
    extract::{Admin, Multipart},
    upload,
};
use crate::{domain::Download, state::AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(restore_backup))
        // Uploads are streamed to disk and limited there (`upload::receive`).
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(create_backup))
}

/// The multipart form of a restore (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
struct RestoreForm {
    /// A backup written by `POST /api/v1/backups` or `milkcrate backup`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Take a backup now and download it: a `.tar.gz` with a manifest, a consistent copy of the
/// database, every managed volume and the images of the apps' running versions.
#[utoipa::path(post, path = "/api/v1/backups", tag = "backups",
    responses(
        (status = 200, content_type = "application/gzip"),
        (status = 507, body = ErrorBody, description = "The data disk is too full to write the backup"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_backup(State(state): State<AppState>, _: Admin) -> ApiResult<Response> {
    let platform = &state.platform;
    let path = platform
        .upload_dir()
        .join(format!("backup-{}.tar.gz", rand::random::<u64>()));
    let file = tempfile::TempPath::try_from_path(&path)
        .map_err(|e| anyhow::anyhow!("backup path: {e}"))
        .map_err(crate::domain::DomainError::from)?;
    let manifest = platform.backup(&path).await?;
    let size = std::fs::metadata(&path)
        .map_err(|e| anyhow::anyhow!("reading the backup: {e}"))
        .map_err(crate::domain::DomainError::from)?
        .len();
    let name = format!(
        "milkcrate-{}-{}.tar.gz",
        manifest.instance,
        manifest.created_at.format("%Y%m%d-%H%M%S")
    );
    send(
        Download {
            file,
            offset: 0,
            name,
            size,
        },
        "application/gzip",
    )
    .await
}

/// Restore a backup into this instance, which must be empty (no apps, no volumes). The whole
/// archive is checked first (format, instance, checksums, the database's integrity); a corrupt or
/// foreign archive is refused and nothing changes.
#[utoipa::path(post, path = "/api/v1/backups/restore", tag = "backups",
    request_body(content = RestoreForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = RestoredBackup),
        (status = 409, body = ErrorBody, description = "The instance is not empty"),
        (status = 413, body = ErrorBody, description = "The upload is too large"),
        (status = 422, body = ErrorBody, description = "Not a Milkcrate backup, damaged, or of another instance"),
        (status = 507, body = ErrorBody, description = "The data disk is full; nothing was kept"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn restore_backup(
    State(state): State<AppState>,
    _: Admin,
    Multipart(multipart): Multipart,
) -> ApiResult<axum::Json<RestoredBackup>> {
    let platform = &state.platform;
    let upload = upload::receive(
        multipart,
        &platform.upload_dir(),
        platform.max_upload_bytes(),
        &[form::FILE],
    )
    .await?;
    let file = upload
        .file
        .as_deref()
        .ok_or_else(|| ApiError::bad_field(form::FILE, "attach the backup as the `file` field"))?;
    let manifest = platform.restore(file).await?;
    Ok(axum::Json(RestoredBackup {
        created_at: manifest.created_at,
        milkcrate: manifest.milkcrate,
        volumes: manifest.volumes.into_iter().map(|v| v.name).collect(),
        images: manifest.images.len() as u64,
    }))
}
