//! `/api/v1/apps`: create from a ZIP, list, inspect, control, delete, redeploy.

use axum::{
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use shared::v1::fields::{form, query};
use shared::v1::{App, AppStats, CreatedApp, Deployment, ErrorBody, LogLine, Mount};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiError, ApiResult,
    extract::{Admin, Multipart, Path, Query, in_range},
    upload,
};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, create_app))
        .routes(routes!(list_deployments, create_deployment))
        // Uploads are streamed to disk and limited there (`upload::receive`), not by the JSON limit.
        .layer(DefaultBodyLimit::disable())
        .routes(routes!(get_app, delete_app))
        .routes(routes!(start_app))
        .routes(routes!(stop_app))
        .routes(routes!(restart_app))
        .routes(routes!(app_logs))
        .routes(routes!(app_stats))
}

/// The multipart form of `POST /api/v1/apps` (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
struct CreateAppForm {
    /// App name: letters, digits and hyphens.
    name: String,
    /// Route, e.g. `/blog`.
    route: String,
    /// The ZIP holding a Dockerfile or a compose file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional JSON array of managed volumes to mount, e.g.
    /// `[{"volume": "data", "target": "/data", "read_only": false}]` (a part of type
    /// `application/json`).
    mounts: Option<Vec<Mount>>,
}

/// The multipart form of `POST /api/v1/apps/{name}/deployments` (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
struct DeployForm {
    /// The ZIP holding a Dockerfile or a compose file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional JSON array of managed volumes to mount (a part of type `application/json`);
    /// replaces the app's mounts. Leave it out to keep them.
    mounts: Option<Vec<Mount>>,
}

/// One `mounts` part: the whole JSON array (curl, the dashboard), or one mount of it (OpenAPI
/// generators send an array property as one part per item).
#[derive(Deserialize)]
#[serde(untagged)]
enum MountsPart {
    All(Vec<Mount>),
    One(Mount),
}

/// The optional `mounts` field: a JSON array of `{"volume", "target", "read_only"}`, in one part
/// or in one part per mount; empty or `null` parts are the same as leaving it out.
fn mounts_field(upload: &upload::Upload) -> ApiResult<Option<Vec<Mount>>> {
    let mut mounts: Option<Vec<Mount>> = None;
    let parts = upload.fields.get(form::MOUNTS).into_iter().flatten();
    for text in parts.filter(|text| !text.trim().is_empty()) {
        let part = serde_json::from_str::<Option<MountsPart>>(text).map_err(|_| {
            ApiError::bad_field(
                form::MOUNTS,
                "must be a JSON array like [{\"volume\": \"data\", \"target\": \"/data\", \"read_only\": false}], or one such object per part",
            )
        })?;
        match part {
            Some(MountsPart::All(all)) => mounts.get_or_insert_with(Vec::new).extend(all),
            Some(MountsPart::One(one)) => mounts.get_or_insert_with(Vec::new).push(one),
            None => {}
        }
    }
    Ok(mounts)
}

fn required_file(upload: &upload::Upload) -> ApiResult<&std::path::Path> {
    upload
        .file
        .as_deref()
        .ok_or_else(|| ApiError::bad_field(form::FILE, "attach the app's ZIP as the `file` field"))
}

async fn receive(
    state: &AppState,
    Multipart(multipart): Multipart,
    expected: &[&str],
) -> ApiResult<upload::Upload> {
    let platform = &state.platform;
    upload::receive(
        multipart,
        &platform.upload_dir(),
        platform.max_upload_bytes(),
        expected,
    )
    .await
}

/// List every app with its live status.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps",
    responses((status = 200, body = [App]), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_apps(State(state): State<AppState>, _: Admin) -> ApiResult<Response> {
    let apps = state.platform.list_apps().await?;
    Ok(axum::Json(&apps[..]).into_response())
}

/// Create an app from a ZIP and start its first deployment.
///
/// The archive is checked before anything is created; the build then runs in the background:
/// follow it with `GET /api/v1/deployments/{id}` and its log.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps",
    request_body(content = CreateAppForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = CreatedApp, description = "Accepted; the deployment is queued"),
        (status = 409, body = ErrorBody, description = "The name or route is taken"),
        (status = 413, body = ErrorBody, description = "The upload is too large"),
        (status = 422, body = ErrorBody, description = "Invalid name, route or archive"),
        (status = 507, body = ErrorBody, description = "The data disk is full; nothing was kept"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_app(
    State(state): State<AppState>,
    _: Admin,
    multipart: Multipart,
) -> ApiResult<impl IntoResponse> {
    let upload = receive(
        &state,
        multipart,
        &[form::NAME, form::ROUTE, form::FILE, form::MOUNTS],
    )
    .await?;
    let field = |k: &str| {
        let parts = upload.fields.get(k);
        parts.and_then(|p| p.last()).cloned().unwrap_or_default()
    };
    let file = required_file(&upload)?;
    let mounts = mounts_field(&upload)?.unwrap_or_default();
    let created = state
        .platform
        .create_app(&field(form::NAME), &field(form::ROUTE), file, &mounts)
        .await?;
    let target = super::guard::AuditTarget(created.app.name.clone());
    Ok((
        StatusCode::ACCEPTED,
        axum::Extension(target),
        axum::Json(created),
    ))
}

/// One app with its live status.
#[utoipa::path(get, path = "/api/v1/apps/{name}", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, body = App), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<App>> {
    Ok(axum::Json(state.platform.get_app(&name).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// Also remove the volumes the app's compose file declared, with their data. Managed
    /// volumes are never removed with an app.
    #[serde(default)]
    volumes: bool,
}

/// Delete the app: its containers, networks, images, files, logs and routes (and, with
/// `?volumes=true`, its compose volumes).
#[utoipa::path(delete, path = "/api/v1/apps/{name}", tag = "apps",
    params(("name" = String, Path, description = "App name"), DeleteQuery),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn delete_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    state.platform.delete_app(&name, query.volumes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start the app's current version.
#[utoipa::path(post, path = "/api/v1/apps/{name}/start", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, body = App), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn start_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<App>> {
    Ok(axum::Json(state.platform.start_app(&name).await?))
}

/// Stop the app; Traefik stops routing to it.
#[utoipa::path(post, path = "/api/v1/apps/{name}/stop", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, body = App), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn stop_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<App>> {
    Ok(axum::Json(state.platform.stop_app(&name).await?))
}

/// Restart the app's current version.
#[utoipa::path(post, path = "/api/v1/apps/{name}/restart", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, body = App), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn restart_app(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<App>> {
    Ok(axum::Json(state.platform.restart_app(&name).await?))
}

/// The app's deployments, newest first.
#[utoipa::path(get, path = "/api/v1/apps/{name}/deployments", tag = "deployments",
    params(("name" = String, Path, description = "App name")),
    responses((status = 200, body = [Deployment]), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_deployments(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Vec<Deployment>>> {
    Ok(axum::Json(state.platform.list_deployments(&name).await?))
}

/// Deploy a new version from a ZIP. The running version serves until the new one answers.
#[utoipa::path(post, path = "/api/v1/apps/{name}/deployments", tag = "deployments",
    params(("name" = String, Path, description = "App name")),
    request_body(content = DeployForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, body = Deployment, description = "Accepted; the deployment is queued"),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "The upload is too large"),
        (status = 422, body = ErrorBody, description = "Invalid archive; nothing changed"),
        (status = 507, body = ErrorBody, description = "The data disk is full; nothing was kept"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn create_deployment(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    multipart: Multipart,
) -> ApiResult<impl IntoResponse> {
    let upload = receive(&state, multipart, &[form::FILE, form::MOUNTS]).await?;
    let mounts = mounts_field(&upload)?;
    let deployment = state
        .platform
        .redeploy(&name, required_file(&upload)?, mounts.as_deref())
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(deployment)))
}

/// What `GET /api/v1/apps/{name}/logs` reads.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogsQuery {
    /// The last lines to return (default 200, at most 1000); with `follow`, how many to start with
    /// (default 0).
    tail: Option<i64>,
    /// Only lines written at or after this Unix time (seconds).
    since: Option<i64>,
    /// One service of a stack; all of them when absent.
    service: Option<String>,
    /// `true`: a `text/event-stream` of new lines (each event's data a `LogLine`) until the
    /// client leaves; a client that falls far behind is dropped.
    #[serde(default)]
    follow: bool,
}

/// The app's own output (stdout and stderr of its current version, every service of a stack),
/// oldest first.
#[utoipa::path(get, path = "/api/v1/apps/{name}/logs", tag = "apps",
    params(("name" = String, Path, description = "App name"), LogsQuery),
    responses(
        (status = 200, description = "The lines; with `follow=true`, a `text/event-stream` of `log` events, each one `LogLine`",
            content((Vec<LogLine> = "application/json"), (LogLine = "text/event-stream"))),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "No running version, or its containers are gone"),
        (status = 422, body = ErrorBody, description = "No such service"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn app_logs(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    Query(query): Query<LogsQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures_util::StreamExt;
    let tail = query
        .tail
        .map(|tail| in_range(query::TAIL, tail, 0..=crate::domain::MAX_LOG_TAIL as i64))
        .transpose()?;
    let request = crate::domain::LogRequest {
        tail,
        since: query.since,
        service: query.service,
    };
    if !query.follow {
        return Ok(axum::Json(state.platform.app_logs(&name, &request).await?).into_response());
    }
    let lines = state.platform.follow_app_logs(&name, &request).await?;
    let events = lines.map(|line| {
        Ok::<_, std::convert::Infallible>(
            Event::default()
                .event("log")
                .json_data(line)
                .unwrap_or_default(),
        )
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The resource use of the app's current version: CPU, memory, network and block I/O, PIDs, per
/// container (every service of a stack). Sampling takes the runtime about a second.
#[utoipa::path(get, path = "/api/v1/apps/{name}/stats", tag = "apps",
    params(("name" = String, Path, description = "App name")),
    responses(
        (status = 200, body = AppStats),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "No running version, or its containers are gone"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn app_stats(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<AppStats>> {
    Ok(axum::Json(state.platform.app_stats(&name).await?))
}
