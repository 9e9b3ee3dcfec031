//! The Docker implementation of the runtime seam, a file per resource. The only place that
//! names bollard: its types and errors are converted here, at the edge.

mod archive;
mod containers;
mod create;
mod events;
mod images;
mod networks;
mod volumes;

use std::{collections::HashMap, path::Path};

use bollard::errors::Error as BollardError;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::{Result, RuntimeError};

/// The log filter that keeps the Docker client's own chatter out of Milkcrate's log.
pub const QUIET_LOGS: &str = "bollard=warn";

/// A connection to the Docker daemon. Cheap to clone.
#[derive(Clone)]
pub struct Docker {
    client: bollard::Docker,
    /// Docker 20.10 creates two networks of the same name when asked at once; creations in this
    /// process take turns.
    network_creation: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Docker {
    /// Connects through the local socket (or `DOCKER_HOST`) and agrees on an API version the
    /// daemon speaks.
    pub async fn connect() -> Result<Self> {
        let client = bollard::Docker::connect_with_local_defaults()
            .map_err(|e| convert("connecting", e))?
            .negotiate_version()
            .await
            .map_err(|e| convert("negotiating the API version", e))?;
        Ok(Self {
            client,
            network_creation: Default::default(),
        })
    }
}

fn convert(what: &str, err: BollardError) -> RuntimeError {
    match err {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => RuntimeError::NotFound(format!("{what}: {message}")),
        BollardError::DockerResponseServerError {
            status_code: 409,
            message,
        } => RuntimeError::Conflict(format!("{what}: {message}")),
        BollardError::DockerResponseServerError { message, .. } => {
            RuntimeError::Failed(format!("{what}: {message}"))
        }
        // No connection to the daemon at all (a socket that refuses, a daemon that went away).
        BollardError::SocketNotFoundError(_)
        | BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::RequestTimeoutError => RuntimeError::Unavailable(format!("{what}: {err}")),
        other => RuntimeError::Failed(format!("{what}: {other}")),
    }
}

/// Treats "already gone" as success, for idempotent cleanup.
fn ignore_missing(result: Result<()>) -> Result<()> {
    match result {
        Err(RuntimeError::NotFound(_)) => Ok(()),
        other => other,
    }
}

/// "Not found" as `false`, for existence checks.
fn exists(result: std::result::Result<(), BollardError>, what: &str) -> Result<bool> {
    match result.map_err(|e| convert(what, e)) {
        Ok(()) => Ok(true),
        Err(RuntimeError::NotFound(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

fn label_filter(selector: super::Selector<'_>) -> HashMap<String, Vec<String>> {
    let values = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    HashMap::from([("label".to_string(), values)])
}

/// Writes a byte stream from the daemon into the file `target`.
async fn write_stream<B: AsRef<[u8]>>(
    stream: impl Stream<Item = std::result::Result<B, BollardError>>,
    target: &Path,
    what: &str,
) -> Result<()> {
    let failed = |e: std::io::Error| RuntimeError::Failed(format!("{what}: {e}"));
    let mut stream = Box::pin(stream);
    let mut file = tokio::fs::File::create(target).await.map_err(failed)?;
    while let Some(chunk) = stream.next().await {
        file.write_all(chunk.map_err(|e| convert(what, e))?.as_ref())
            .await
            .map_err(failed)?;
    }
    file.flush().await.map_err(failed)
}
