//! `milkcrate deploy` and `milkcrate rollback`: upload, then follow the deployment to its end.
//!
//! The log is read from `GET /deployments/{id}/log` by offset (nothing is printed twice, nothing
//! missed); the event stream only says when to read again, so the output is live without
//! polling, and a stream a proxy cuts off costs at most a two-second delay.

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode, multipart};
use shared::v1::{
    App, CreatedApp, Deployment, DeploymentLog, DeploymentStatus, Event, fields::form,
};
use tokio::sync::Notify;

use super::{
    client::{Client, Refused},
    pack, progress, sse,
};

/// Without a word from the event stream, the log is read again this often.
const QUIET_READ: Duration = Duration::from_secs(2);

pub async fn deploy(
    client: &Client,
    path: &Path,
    name: Option<String>,
    route: Option<String>,
) -> anyhow::Result<()> {
    let name = match name {
        Some(name) => name,
        None => default_name(path)?,
    };
    let name = shared::validation::app_name(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
    let (zip, what) = archive(path)?;
    eprintln!("{what}");
    let exists = match client
        .send(client.request(Method::GET, &format!("/api/v1/apps/{name}")))
        .await
    {
        Ok(response) => Some(response.json::<App>().await?),
        Err(e)
            if e.downcast_ref::<Refused>()
                .is_some_and(|r| r.status == StatusCode::NOT_FOUND) =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let part = multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(progress::upload_stream(zip.clone())),
        zip.len() as u64,
    )
    .file_name(format!("{name}.zip"))
    .mime_str("application/zip")?;
    let deployment = match exists {
        Some(app) => {
            if let Some(route) = route.filter(|r| r.trim_end_matches('/') != app.route) {
                eprintln!(
                    "note: {name} exists at {}; --route {route} is ignored",
                    app.route
                );
            }
            eprintln!("deploying a new version of {} ({})", app.name, app.route);
            let form = multipart::Form::new().part(form::FILE, part);
            client
                .json::<Deployment>(
                    client
                        .request(Method::POST, &format!("/api/v1/apps/{name}/deployments"))
                        .multipart(form),
                )
                .await?
        }
        None => {
            let route = route.unwrap_or_else(|| format!("/{name}"));
            eprintln!("creating {name} at {route}");
            let form = multipart::Form::new()
                .text(form::NAME, name.clone())
                .text(form::ROUTE, route)
                .part(form::FILE, part);
            client
                .json::<CreatedApp>(client.request(Method::POST, "/api/v1/apps").multipart(form))
                .await?
                .deployment
        }
    };
    eprintln!("deployment {} queued", deployment.id);
    let done = follow(client, deployment.id).await?;
    finish(client, &name, &done).await
}

/// `POST /apps/{name}/rollback`: a new release from an earlier one's image and configuration,
/// followed like a deploy.
pub async fn rollback(client: &Client, name: &str, deployment: i64) -> anyhow::Result<()> {
    let release: Deployment = client
        .json(
            client
                .request(Method::POST, &format!("/api/v1/apps/{name}/rollback"))
                .json(&serde_json::json!({ "deployment": deployment })),
        )
        .await?;
    eprintln!(
        "rolling {name} back to deployment {deployment}: release {} queued",
        release.id
    );
    let done = follow(client, release.id).await?;
    finish(client, name, &done).await
}

/// Exit 0 when the version runs, else an error naming why it failed.
async fn finish(client: &Client, name: &str, done: &Deployment) -> anyhow::Result<()> {
    match done.status {
        DeploymentStatus::Running => {
            let app: App = client
                .json(client.request(Method::GET, &format!("/api/v1/apps/{name}")))
                .await?;
            println!("{name} is running deployment {} at {}/", done.id, app.route);
            Ok(())
        }
        status => bail!(
            "deployment {} of {name} {}: {}",
            done.id,
            serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            done.error.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// Prints the deployment's log as it is written, until the deployment is final.
async fn follow(client: &Client, id: i64) -> anyhow::Result<Deployment> {
    let wake = Arc::new(Notify::new());
    let listener = tokio::spawn(listen(
        client
            .request(Method::GET, "/api/v1/events")
            .header("accept", "text/event-stream"),
        id,
        wake.clone(),
    ));
    let mut offset = 0;
    let result = loop {
        let page: DeploymentLog = client
            .json(
                client
                    .request(Method::GET, &format!("/api/v1/deployments/{id}/log"))
                    .query(&[("offset", offset)]),
            )
            .await?;
        print!("{}", page.text);
        offset = page.next_offset;
        if page.complete {
            break client
                .json::<Deployment>(
                    client.request(Method::GET, &format!("/api/v1/deployments/{id}")),
                )
                .await;
        }
        let _ = tokio::time::timeout(QUIET_READ, wake.notified()).await;
    };
    listener.abort();
    result
}

/// Wakes the reader for every event about deployment `id` (or a resync).
async fn listen(request: reqwest::RequestBuilder, id: i64, wake: Arc<Notify>) {
    let Ok(response) = request.send().await else {
        return;
    };
    if !response.status().is_success() {
        return;
    }
    let mut events = Box::pin(sse::events(response.bytes_stream().boxed()));
    while let Some(Ok(event)) = events.next().await {
        let ours = match serde_json::from_str::<Event>(&event.data) {
            Ok(Event::Log { deployment, .. }) => deployment == id,
            Ok(Event::Deployment { id: of, .. }) => of == id,
            Ok(Event::Resync) => true,
            _ => false,
        };
        if ours {
            wake.notify_one();
        }
    }
}

/// The folder's name as an app name (lowercased), when it makes a valid one.
fn default_name(path: &Path) -> anyhow::Result<String> {
    let full = path
        .canonicalize()
        .with_context(|| format!("reading {}", path.display()))?;
    let stem = match full.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("zip") => full.file_stem(),
        _ => full.file_name(),
    };
    stem.and_then(|s| s.to_str())
        .map(str::to_string)
        .context("name the app with --name")
}

/// The ZIP to upload: the file itself, or the folder packed; and a line saying what it holds.
fn archive(path: &Path) -> anyhow::Result<(Bytes, String)> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let what = format!(
            "uploading {} ({})",
            path.display(),
            progress::human(bytes.len() as u64)
        );
        return Ok((Bytes::from(bytes), what));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    let packed = pack::pack(path, &mut out)?;
    let bytes = out.into_inner();
    let what = format!(
        "packed {} files of {} ({} zipped)",
        packed.files,
        path.display(),
        progress::human(bytes.len() as u64)
    );
    Ok((Bytes::from(bytes), what))
}
