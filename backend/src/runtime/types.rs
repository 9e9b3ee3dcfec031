//! The runtime's vocabulary: what Milkcrate asks to create and what it reads back, in its own
//! words. Docker's (or a later cluster runtime's) options are built from these inside the
//! implementation, never in the domain.

use std::{collections::HashMap, time::Duration};

/// Failures of the container engine, in the terms the domain cares about.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the Docker daemon cannot be reached: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Failed(String),
}

/// Resource limits and hardening every app container gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContainerLimits {
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
}

/// A container to create.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub labels: HashMap<String, String>,
    pub cmd: Option<Vec<String>>,
    pub network: String,
    pub limits: Option<ContainerLimits>,
    /// (container port, host ip, host port) to publish; apps never get any.
    pub publish: Vec<(u16, String, u16)>,
    /// Host bind mounts (`src:dst:mode`); only the platform's own Traefik gets one.
    pub binds: Vec<String>,
    /// Extra DNS names of the container on `network`.
    pub aliases: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    /// `KEY=value` pairs.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub healthcheck: Option<HealthSpec>,
    /// Path → mount options (`size=64m`), empty for none.
    pub tmpfs: HashMap<String, String>,
    pub read_only: bool,
    /// Whether a tiny init runs as PID 1; `None` means: for app containers (those with limits).
    pub init: Option<bool>,
    /// Seconds Docker waits after SIGTERM before killing it.
    pub stop_timeout: Option<i64>,
    /// `None` means `unless-stopped`.
    pub restart: Option<Restart>,
    /// Docker volumes mounted into the container.
    pub volumes: Vec<VolumeMount>,
    /// No network at all (`network` is ignored).
    pub no_network: bool,
    /// Capabilities added back after dropping all; `NET_BIND_SERVICE` when empty.
    pub cap_add: Vec<String>,
}

/// A container's restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    No,
    Always,
    UnlessStopped,
    OnFailure(Option<i64>),
}

/// A named Docker volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    /// The Docker volume's name.
    pub volume: String,
    pub target: String,
    pub read_only: bool,
}

/// A container healthcheck: `test` as Docker takes it (`CMD`, `CMD-SHELL`, `NONE`, or empty to
/// keep the image's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthSpec {
    pub test: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

/// What a container's healthcheck says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

/// What Docker says a container is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Restarting,
    Exited,
    Other,
}

/// A container found by label.
#[derive(Debug, Clone)]
pub struct ContainerSummary {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub labels: HashMap<String, String>,
    /// From Docker's status text; `None` without a healthcheck.
    pub health: Option<Health>,
    /// From Docker's status text, for exited containers.
    pub exit_code: Option<i64>,
}

/// The parts of `docker inspect` a deploy needs.
#[derive(Debug, Clone)]
pub struct ContainerDetails {
    pub id: String,
    pub state: ContainerState,
    pub exit_code: Option<i64>,
    /// How often Docker restarted it after it exited.
    pub restart_count: i64,
    pub error: Option<String>,
    pub health: Option<Health>,
    /// Address per network name.
    pub addresses: HashMap<String, String>,
    pub labels: HashMap<String, String>,
}

/// An image found by name.
#[derive(Debug, Clone)]
pub struct ImageSummary {
    pub id: String,
    pub tags: Vec<String>,
}

/// The parts of an image's config a deploy needs.
#[derive(Debug, Clone, Default)]
pub struct ImageDetails {
    pub id: String,
    pub exposed_tcp_ports: Vec<u16>,
    pub labels: HashMap<String, String>,
}

/// A network found by label.
#[derive(Debug, Clone)]
pub struct NetworkSummary {
    pub name: String,
    pub labels: HashMap<String, String>,
}

/// A bridge network's addressing.
#[derive(Debug, Clone)]
pub struct NetworkDetails {
    pub id: String,
    pub subnets: Vec<String>,
    pub gateway: Option<String>,
}

/// How to build an image from a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Path of the Dockerfile inside the context.
    pub dockerfile: String,
    pub args: HashMap<String, String>,
    /// Multi-stage target; the last stage when `None`.
    pub target: Option<String>,
    /// What the build's steps may use; unbounded when `None`.
    pub limits: Option<BuildLimits>,
}

/// Memory (no swap on top) and CPU for a build's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildLimits {
    pub memory_bytes: i64,
    pub nano_cpus: i64,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            dockerfile: "Dockerfile".into(),
            args: HashMap::new(),
            target: None,
            limits: None,
        }
    }
}

/// What a command run in a container said.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// An image inside an archive written by `save_image`, as the archive itself says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArchivedImage {
    pub tags: Vec<String>,
    pub labels: HashMap<String, String>,
}

/// One line (or error) of build output.
#[derive(Debug)]
pub enum BuildEvent {
    Output(String),
    /// The build itself failed (a step, the Dockerfile).
    Error(String),
    /// The runtime failed while building (it went away): not the app's fault.
    Lost(RuntimeError),
}

/// A change of state of a container Milkcrate owns, as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeEvent {
    pub container: String,
    pub name: String,
    pub image: String,
    pub labels: HashMap<String, String>,
    pub change: StateChange,
}

/// What happened to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateChange {
    Created,
    Started,
    /// It stopped or crashed; the exit code when the runtime says.
    Exited(Option<i64>),
    Health(Health),
    Removed,
}

/// Which of a container's output to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogQuery {
    /// The last lines written so far (then, with `follow`, everything new).
    pub tail: usize,
    /// Only lines written at or after this Unix time.
    pub since: Option<i64>,
    /// Keep the stream open for new lines.
    pub follow: bool,
}

/// One line a container printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    pub stderr: bool,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    pub text: String,
}

/// A container's resource use, as sampled now.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ContainerStats {
    /// Of one core: 150.0 is one and a half cores.
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub pids: u64,
}

/// A reply to an HTTP knock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The status of the reply; `None` when what came back is not HTTP.
    pub status: Option<u16>,
}

impl Answer {
    /// A 2xx or 3xx.
    pub fn is_success(self) -> bool {
        self.status.is_some_and(|s| (200..400).contains(&s))
    }
}
