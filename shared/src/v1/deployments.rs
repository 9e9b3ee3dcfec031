use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a deployment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    /// Accepted, waiting for a build slot.
    Queued,
    /// The image is being built.
    Building,
    /// The container started; waiting for the app to answer on its port.
    Starting,
    /// This version serves the app.
    Running,
    /// The build or the start failed; see `error` and the log.
    Failed,
    /// A newer version replaced it.
    Superseded,
}

impl DeploymentStatus {
    /// True once nothing more will happen to the deployment.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Running | Self::Failed | Self::Superseded)
    }
}

/// What an upload holds: one image from a Dockerfile, or a compose stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// A `Dockerfile` at the top of the ZIP: one container.
    #[default]
    Dockerfile,
    /// A compose file at the top of the ZIP: a stack of services.
    Compose,
}

/// One version of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deployment {
    /// Identifier, increasing with time.
    pub id: i64,
    /// The app it belongs to.
    pub app: String,
    /// Dockerfile app or compose stack.
    #[serde(default)]
    pub kind: AppKind,
    /// Current state.
    pub status: DeploymentStatus,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The image built for it (for a stack: the main service's).
    pub image: Option<String>,
    /// The port the app answers on (from the image's `EXPOSE`).
    pub port: Option<u16>,
    /// When it was accepted.
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
    /// When it reached a final state.
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub finished_at: Option<DateTime<Utc>>,
    /// A build from an upload, a configuration change, or a rollback.
    #[serde(default)]
    pub trigger: super::ReleaseTrigger,
    /// What changed from the release before it (variable names, never secret values).
    #[serde(default)]
    pub changes: Vec<String>,
    /// Its image is still kept: a rollback to it is possible.
    #[serde(default)]
    pub kept: bool,
}

/// A slice of a deployment's build and start output (`GET /api/v1/deployments/{id}/log`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentLog {
    /// The deployment.
    pub id: i64,
    /// Its state when the slice was read.
    pub status: DeploymentStatus,
    /// The log text from the requested offset.
    pub text: String,
    /// Pass it as `offset` to get only what was written since.
    pub next_offset: u64,
    /// True when the deployment is final and this read reached the end: stop polling.
    pub complete: bool,
}
