//! Everything Milkcrate asks of the container engine. `docker.rs` is the only file that names
//! bollard; the rest of the program speaks the small vocabulary below.

mod docker;
pub mod labels;

use std::collections::HashMap;

pub use docker::Docker;

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
    pub state: ContainerState,
    pub labels: HashMap<String, String>,
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
#[derive(Debug, Clone)]
pub struct ImageDetails {
    pub id: String,
    pub exposed_tcp_ports: Vec<u16>,
    pub labels: HashMap<String, String>,
}

/// A bridge network's addressing.
#[derive(Debug, Clone)]
pub struct NetworkDetails {
    pub id: String,
    pub subnets: Vec<String>,
    pub gateway: Option<String>,
}

/// One line (or error) of build output.
#[derive(Debug, Clone)]
pub enum BuildEvent {
    Output(String),
    Error(String),
}
