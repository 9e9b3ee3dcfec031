//! `/api/v1/volumes`: managed volumes and the files in them.

use axum::{
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use shared::v1::fields::{form, query};
use shared::v1::{CreateVolume, ErrorBody, UploadedFiles, Volume, VolumeListing};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiError, ApiResult,
    download::send,
    extract::{Admin, Json, Multipart, Path, Query, in_range},
    upload,
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_files))
        // Uploads are streamed to disk and limited there (`upload::receive`).
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(list_volumes, create_volume))
        .routes(routes!(get_volume, delete_volume))
        .routes(routes!(list_files, delete_path))
        .routes(routes!(create_folder))
        .routes(routes!(download_file))
        .routes(routes!(download_folder))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PathQuery {
    /// A path from the volume's root, e.g. `docs/a.txt`; empty for the root. Absolute paths,
    /// `..` and paths through symbolic links are refused.
    #[serde(default)]
    path: String,
}

/// The path of one entry (a file or a folder), never the root.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EntryQuery {
    /// A path from the volume's root, e.g. `docs/a.txt`. Absolute paths, `..` and paths through
    /// symbolic links are refused.
    path: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteVolumeQuery {
    /// Delete even though apps mount it (their mounts are removed too).
    #[serde(default)]
    force: bool,
}

/// The multipart form of an upload into a volume (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// Files to write into the folder (any number of `files` parts, each with its file name).
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
    /// A ZIP to extract into the folder, under the same rules as app uploads.
    #[schema(value_type = Option<String>, format = Binary)]
    zip: Option<Vec<u8>>,
}

/// Every managed volume with its size, file count and the apps that mount it.
#[utoipa::path(get, path = "/api/v1/volumes", tag = "volumes",
    responses((status = 200, body = Vec<Volume>)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_volumes(
    State(state): State<AppState>,
    _: Admin,
) -> ApiResult<axum::Json<Vec<Volume>>> {
    Ok(axum::Json(state.platform.list_volumes().await?))
}

/// Create a volume.
#[utoipa::path(post, path = "/api/v1/volumes", tag = "volumes",
    request_body = CreateVolume,
    responses(
        (status = 201, body = Volume),
        (status = 409, body = ErrorBody, description = "The name is taken"),
        (status = 422, body = ErrorBody, description = "Invalid name or description"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_volume(
    State(state): State<AppState>,
    _: Admin,
    Json(request): Json<CreateVolume>,
) -> ApiResult<impl IntoResponse> {
    let volume = state
        .platform
        .create_volume(&request.name, &request.description)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(volume)))
}

/// One volume.
#[utoipa::path(get, path = "/api/v1/volumes/{name}", tag = "volumes",
    params(("name" = String, Path, description = "Volume name")),
    responses((status = 200, body = Volume), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_volume(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Volume>> {
    Ok(axum::Json(state.platform.get_volume(&name).await?))
}

/// Delete a volume and its data. Refused (409, naming the apps) while apps mount it, unless
/// `force=true`; refused while a running container uses it.
#[utoipa::path(delete, path = "/api/v1/volumes/{name}", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), DeleteVolumeQuery),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_volume(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<DeleteVolumeQuery>,
) -> ApiResult<StatusCode> {
    state.platform.delete_volume(&name, query.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A folder's entries (folders first). Symbolic links are listed, never followed.
#[utoipa::path(get, path = "/api/v1/volumes/{name}/files", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), PathQuery, PageQuery),
    responses((status = 200, body = VolumeListing), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_files(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<PathQuery>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<VolumeListing>> {
    let offset = in_range(query::OFFSET, page.offset, 0..=i64::MAX)?;
    let limit = match page.limit {
        Some(limit) => in_range(query::LIMIT, limit, 1..=crate::domain::VOLUME_PAGE as i64)?,
        None => crate::domain::VOLUME_PAGE,
    };
    Ok(axum::Json(
        state
            .platform
            .list_volume_folder(&name, &query.path, offset, limit)
            .await?,
    ))
}

/// A page of a folder's entries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Entries to skip (the previous page's `next_offset`).
    #[serde(default)]
    offset: i64,
    /// Entries in the page: at most (and by default) 1000.
    limit: Option<i64>,
}

/// Upload files (many `files` parts) and/or a ZIP (`zip`, extracted) into the folder `path`,
/// created if missing. Same-named files are replaced.
#[utoipa::path(post, path = "/api/v1/volumes/{name}/upload", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), PathQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadedFiles),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The upload is too large"),
        (status = 422, body = ErrorBody, description = "A bad path or file name, or a refused ZIP; nothing was written"),
        (status = 507, body = ErrorBody, description = "The data disk is full; nothing was kept"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn upload_files(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<PathQuery>,
    Multipart(multipart): Multipart,
) -> ApiResult<impl IntoResponse> {
    let platform = &state.platform;
    let upload = upload::receive(
        multipart,
        &platform.upload_dir(),
        platform.max_upload_bytes(),
        &[form::FILES, form::ZIP],
    )
    .await?;
    let files: Vec<(String, std::path::PathBuf)> = upload
        .parts
        .iter()
        .filter(|(field, _, _)| field == form::FILES)
        .map(|(_, file_name, path)| (file_name.clone(), path.to_path_buf()))
        .collect();
    let zip = upload.parts.iter().find(|(field, _, _)| field == form::ZIP);
    if files.is_empty() && zip.is_none() {
        return Err(ApiError::bad_field(
            form::FILES,
            "attach files as `files` parts, or a ZIP as `zip`",
        ));
    }
    let mut total = UploadedFiles { files: 0, bytes: 0 };
    if let Some((_, _, zip)) = zip {
        let done = platform.upload_volume_zip(&name, &query.path, zip).await?;
        total.files += done.files;
        total.bytes += done.bytes;
    }
    if !files.is_empty() {
        let done = platform
            .upload_volume_files(&name, &query.path, &files)
            .await?;
        total.files += done.files;
        total.bytes += done.bytes;
    }
    Ok((StatusCode::CREATED, axum::Json(total)))
}

/// Delete a file or a folder with everything in it (a symbolic link itself, never its target).
#[utoipa::path(delete, path = "/api/v1/volumes/{name}/files", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), EntryQuery),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_path(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<EntryQuery>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .delete_volume_path(&name, &query.path)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create a folder (and its parents).
#[utoipa::path(post, path = "/api/v1/volumes/{name}/folders", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), EntryQuery),
    responses((status = 201), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_folder(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<EntryQuery>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .create_volume_folder(&name, &query.path)
        .await?;
    Ok(StatusCode::CREATED)
}

/// Download one file, byte for byte.
#[utoipa::path(get, path = "/api/v1/volumes/{name}/download", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), EntryQuery),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn download_file(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<EntryQuery>,
) -> ApiResult<Response> {
    let download = state
        .platform
        .download_volume_file(&name, &query.path)
        .await?;
    send(download, "application/octet-stream").await
}

/// Download a folder (the whole volume with an empty `path`) as a gzip-compressed tar.
#[utoipa::path(get, path = "/api/v1/volumes/{name}/archive", tag = "volumes",
    params(("name" = String, Path, description = "Volume name"), PathQuery),
    responses((status = 200, content_type = "application/gzip"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn download_folder(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<PathQuery>,
) -> ApiResult<Response> {
    let download = state
        .platform
        .download_volume_folder(&name, &query.path)
        .await?;
    send(download, "application/gzip").await
}
