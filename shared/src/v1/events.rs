//! What changed, as `GET /api/v1/events` streams it: one Server-Sent Event per change, named by
//! its `type`, with an id a reconnecting client sends back as `Last-Event-ID`.

use serde::{Deserialize, Serialize};

use super::{AppStatus, DeploymentStatus, ServiceStats};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An app's status changed, also through a change made outside Milkcrate (`docker stop`).
    App { app: String, status: AppStatus },
    /// An app was deleted.
    AppDeleted { app: String },
    /// A deployment's status changed.
    Deployment {
        id: i64,
        app: String,
        status: DeploymentStatus,
    },
    /// A line of a deployment's log, as it is written (not kept for `Last-Event-ID`: read
    /// `GET /deployments/{id}/log` for what came before); `step` is the build's progress.
    Log {
        deployment: i64,
        /// Where the line starts in the log, in bytes (the log endpoint's `offset`): a client
        /// that read the log up to `next_offset` appends the lines from there on, and reads the
        /// log again from its own offset when a line starts further on (some were missed).
        offset: u64,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<Progress>,
    },
    /// An app's resource use (one entry per container of its current version), sampled about
    /// every 2 s, only while a client asked for it (`GET /events?stats=<app>`, or `stats=*` for
    /// every running app); told only to those clients, and not kept for `Last-Event-ID`.
    Stats {
        app: String,
        /// One entry per container of its current version.
        services: Vec<ServiceStats>,
    },
    /// A managed volume was created or deleted.
    Volumes,
    /// The settings changed.
    Settings,
    /// Changes were missed (the client fell behind, or resumed after more than Milkcrate keeps):
    /// read what you show again.
    Resync,
}

/// How far a build is: step `current` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub current: u32,
    pub total: u32,
}

impl Progress {
    /// Reads a builder's `Step 3/7 : COPY . /app`.
    pub fn of_line(line: &str) -> Option<Self> {
        let rest = line.trim_start().strip_prefix("Step ")?;
        let (fraction, _) = rest.split_once(' ')?;
        let (current, total) = fraction.split_once('/')?;
        Some(Self {
            current: current.parse().ok()?,
            total: total.parse().ok()?,
        })
    }
}

impl Event {
    /// The SSE event name: the `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::App { .. } => "app",
            Self::AppDeleted { .. } => "app_deleted",
            Self::Deployment { .. } => "deployment",
            Self::Log { .. } => "log",
            Self::Stats { .. } => "stats",
            Self::Volumes => "volumes",
            Self::Settings => "settings",
            Self::Resync => "resync",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_steps_are_read_from_the_builders_lines() {
        assert_eq!(
            Progress::of_line("Step 3/7 : COPY . /app"),
            Some(Progress {
                current: 3,
                total: 7
            })
        );
        assert_eq!(Progress::of_line(" ---> Running in 1f2e"), None);
        assert_eq!(Progress::of_line("Step x/7 : RUN"), None);
    }
}
