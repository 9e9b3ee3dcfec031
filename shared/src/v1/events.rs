//! What changed, as `GET /api/v1/events` streams it: one Server-Sent Event per change, named by
//! its `type`, with an id a reconnecting client sends back as `Last-Event-ID`.

use serde::{Deserialize, Serialize};

use super::{AppStatus, DeploymentStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A managed volume was created or deleted.
    Volumes,
    /// The settings changed.
    Settings,
    /// Changes were missed (the client fell behind, or resumed after more than Milkcrate keeps):
    /// read what you show again.
    Resync,
}

impl Event {
    /// The SSE event name: the `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::App { .. } => "app",
            Self::AppDeleted { .. } => "app_deleted",
            Self::Deployment { .. } => "deployment",
            Self::Volumes => "volumes",
            Self::Settings => "settings",
            Self::Resync => "resync",
        }
    }
}
