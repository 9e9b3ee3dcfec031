use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AppKind, Deployment};

/// What an app is doing now, derived from Docker (never from hope) and its deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    /// The first version is being built or started; nothing serves yet.
    Deploying,
    /// The container runs and is routed.
    Running,
    /// Docker is restarting the container after it exited.
    Restarting,
    /// Stopped on request.
    Stopped,
    /// Should run, but the container exited on its own.
    Exited,
    /// No version ever started: the last deployment failed.
    Failed,
    /// Should run, but its container is gone (removed outside Milkcrate).
    Missing,
}

/// Resource limits applied to the app's container.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// Memory limit in bytes; swap is not added on top.
    pub memory_bytes: u64,
    /// CPU share, in cores (0.5 = half a core).
    pub cpus: f64,
    /// Maximum number of processes and threads.
    pub pids: u32,
}

/// What Docker says one service of a stack is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Created, never started (e.g. the stack stopped before its turn).
    Created,
    Running,
    /// Docker is restarting it after it exited.
    Restarting,
    /// Not running: stopped, finished or crashed (see `exit_code`).
    Exited,
    /// Its container is gone.
    Missing,
}

/// A service's healthcheck verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceHealth {
    Starting,
    Healthy,
    Unhealthy,
}

/// One service of a compose stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceStatus {
    /// The service's name in the compose file (and its host name inside the stack).
    pub name: String,
    /// The service Traefik routes the app's route to.
    pub main: bool,
    pub state: ServiceState,
    /// `None` when the service has no healthcheck.
    pub health: Option<ServiceHealth>,
    /// The exit code, once it exited.
    pub exit_code: Option<i64>,
    /// The image it runs.
    pub image: Option<String>,
    /// Runs once and exits: another service waits for it to complete.
    pub one_shot: bool,
}

/// A managed volume mounted into an app (for a stack: into its main service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mount {
    /// The managed volume's name.
    pub volume: String,
    /// Absolute path inside the container, not `/`.
    pub target: String,
    /// Mounted read-only.
    #[serde(default)]
    pub read_only: bool,
}

/// An app as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    /// Unique name: lowercase letters, digits and hyphens.
    pub name: String,
    /// Path prefix it is served under, e.g. `/blog`.
    pub route: String,
    /// Dockerfile app or compose stack (of the current version, else the latest).
    #[serde(default)]
    pub kind: AppKind,
    /// Current state; for a stack, the aggregate of its services.
    pub status: AppStatus,
    /// A stack's services in start order (empty for Dockerfile apps).
    #[serde(default)]
    pub services: Vec<ServiceStatus>,
    /// The port the app listens on inside its container (from `EXPOSE`, default 8000; for a
    /// stack, the main service's `ports`/`expose`).
    pub port: Option<u16>,
    /// Image of the running version.
    pub image: Option<String>,
    /// Container of the running version (short id).
    pub container: Option<String>,
    /// Limits of its container.
    pub limits: Limits,
    /// Where readiness (and the proxy's health check) asks for a 2xx/3xx; `None`: any reply.
    #[serde(default)]
    pub health_path: Option<String>,
    /// Managed volumes mounted into it; they apply from the next deployment on and are kept
    /// across redeploys.
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// The version that serves (or last tried to).
    pub current_deployment: Option<Deployment>,
    /// The newest deployment, when it is newer than the current one (a build in progress or a
    /// failed redeploy).
    pub latest_deployment: Option<Deployment>,
    /// When the app was created.
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
}

/// The reply to `POST /api/v1/apps`: the app and the deployment building it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApp {
    /// The new app.
    pub app: App,
    /// Its first deployment, queued.
    pub deployment: Deployment,
}
