//! Entity rows to wire types. Models are destructured without `..`, so a new column forces a choice.

use shared::v1::{AppKind, Deployment, DeploymentStatus, Limits};

use crate::db::entities::{app, deployment};

pub fn status_str(status: DeploymentStatus) -> &'static str {
    match status {
        DeploymentStatus::Queued => "queued",
        DeploymentStatus::Building => "building",
        DeploymentStatus::Starting => "starting",
        DeploymentStatus::Running => "running",
        DeploymentStatus::Failed => "failed",
        DeploymentStatus::Superseded => "superseded",
    }
}

pub fn parse_status(text: &str) -> DeploymentStatus {
    match text {
        "queued" => DeploymentStatus::Queued,
        "building" => DeploymentStatus::Building,
        "starting" => DeploymentStatus::Starting,
        "running" => DeploymentStatus::Running,
        "superseded" => DeploymentStatus::Superseded,
        _ => DeploymentStatus::Failed,
    }
}

pub fn kind_str(kind: AppKind) -> &'static str {
    match kind {
        AppKind::Dockerfile => "dockerfile",
        AppKind::Compose => "compose",
    }
}

pub fn parse_kind(text: &str) -> AppKind {
    match text {
        "compose" => AppKind::Compose,
        _ => AppKind::Dockerfile,
    }
}

/// The statuses of deployments that are still in flight.
pub const IN_FLIGHT: [&str; 3] = ["queued", "building", "starting"];

pub fn deployment(model: deployment::Model, app_name: &str) -> Deployment {
    let deployment::Model {
        id,
        app_id: _,
        status,
        error,
        image,
        container_id: _,
        port,
        created_at,
        finished_at,
        kind,
        services: _,
    } = model;
    Deployment {
        id,
        app: app_name.to_string(),
        kind: parse_kind(&kind),
        status: parse_status(&status),
        error,
        image,
        port: port.and_then(|p| u16::try_from(p).ok()),
        created_at,
        finished_at,
    }
}

pub fn limits(app: &app::Model) -> Limits {
    Limits {
        memory_bytes: app.memory_bytes.max(0) as u64,
        cpus: app.nano_cpus as f64 / 1e9,
        pids: app.pids.clamp(0, u32::MAX as i64) as u32,
    }
}
