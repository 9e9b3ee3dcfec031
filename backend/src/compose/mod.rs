//! Compose apps: a compose file read into typed structs and checked against Milkcrate's policy.
//!
//! This part is pure: it reads the compose file, the app's `.env` and the `env_file`s under the app
//! folder, and nothing else. It never calls Docker and never reads the server's environment.
//! [`load`] returns either a [`Stack`] the engine can run as is, or every [`Problem`] of the file.
//!
//! Pipeline: read → YAML to a generic value (anchors and `<<` merges applied) → interpolation from
//! `.env` → key walk (unknown and forbidden keys reported with their paths, `x-` keys dropped) →
//! serde into the typed mirror of the file (`model.rs`) → policy and conversion (`policy.rs`,
//! `policy/service.rs`).

mod interpolate;
mod model;
mod parse;
mod policy;
#[cfg(test)]
mod tests;

use std::{collections::BTreeMap, fmt, path::PathBuf, time::Duration};

pub use policy::load;

/// Platform caps; a file may lower limits, never raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Per service; the stack's services together may use [`STACK_LIMIT_FACTOR`] times as much.
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// Most services a file may define.
    pub max_services: usize,
    /// Most top-level networks a file may declare, `default` not counted.
    pub max_networks: usize,
}

/// A stack's services together may use this many times the platform's per-app memory, CPU and
/// PID limits (each service alone at most once). A service without limits counts at the
/// platform's, so this is also how many such services fit.
pub const STACK_LIMIT_FACTOR: i64 = 8;

/// The longest `stop_grace_period` a service may ask for: a stack stops one service after
/// another, under the app's lock.
pub const MAX_STOP_GRACE_PERIOD: Duration = Duration::from_secs(5 * 60);

/// One policy problem, e.g. path `services.web.privileged`, message
/// `privileged containers are not allowed`. The path is empty for problems with the whole file
/// (unreadable, invalid YAML), and `.env` for problems in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A compose file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// In a valid start order: every service comes after the services it depends on; ties keep
    /// the file's order.
    pub services: Vec<Service>,
    /// The service Traefik routes to.
    pub main_service: String,
    /// The main service's container port.
    pub main_port: u16,
    /// Top-level named volumes (app-scoped), in file order.
    pub volumes: Vec<String>,
    /// Top-level networks (the app's own), in file order. Never contains `default`, which always
    /// exists implicitly: the engine creates it for every stack.
    pub networks: Vec<String>,
}

impl Stack {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// One service, with everything resolved: interpolated, env files read, limits capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub image: Option<String>,
    pub build: Option<Build>,
    /// The string form split like a shell would (quotes, backslashes), without running one.
    pub command: Option<Vec<String>>,
    /// As `command`. `Some(vec![])` (from `entrypoint: []` or `""`) clears the image's.
    pub entrypoint: Option<Vec<String>>,
    /// `env_file` entries first (in order), then `environment`.
    pub environment: BTreeMap<String, String>,
    pub volumes: Vec<VolumeMount>,
    /// In file order.
    pub depends_on: Vec<(String, Condition)>,
    pub healthcheck: Option<Healthcheck>,
    /// `no`, `always`, `on-failure`, `on-failure:N` or `unless-stopped`.
    pub restart: Option<String>,
    /// The file's labels, minus `milkcrate.main_service` (consumed here).
    pub labels: BTreeMap<String, String>,
    /// Absolute.
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub stop_grace_period: Option<Duration>,
    /// `/path` or `/path:options` (options as Docker takes them, e.g. `size=64m,mode=1777`).
    pub tmpfs: Vec<String>,
    pub read_only: bool,
    pub init: Option<bool>,
    /// Effective limits: the file's, capped by the platform's.
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// The app's own networks the service joins; `["default"]` unless the file says otherwise.
    pub networks: Vec<String>,
    /// The service had `ports` or `expose`.
    pub exposes_port: bool,
}

/// How to build a service's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Relative to the app folder, normalized (`.` for the folder itself), inside it.
    pub context: PathBuf,
    /// Relative to the context, normalized, inside it (Docker reads it from the context).
    pub dockerfile: String,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
}

/// A volume mounted into a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    pub source: VolumeSource,
    /// Absolute, not `/`.
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSource {
    /// Declared in the file's top-level `volumes`: scoped to the app.
    Named(String),
    /// An existing Milkcrate-managed volume, by name.
    Managed(String),
}

/// When a dependency counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

/// A service's healthcheck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// `["CMD", args...]`, `["CMD-SHELL", command]` or `["NONE"]` (disabled, also from
    /// `disable: true`). Empty when the file sets only timings: the image's test is kept.
    pub test: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

impl Healthcheck {
    /// The healthcheck turns checks off (`NONE`).
    pub fn is_disabled(&self) -> bool {
        self.test.first().is_some_and(|t| t == "NONE")
    }
}
