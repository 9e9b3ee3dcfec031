//! Rows to wire types. Models are destructured without `..` and enums matched without `_`, so a
//! new column or state forces a choice here.

use shared::v1::{AppKind, Deployment, DeploymentStatus, Limits, ReleaseTrigger};

use crate::db::entities::{
    app,
    deployment::{self, Kind, Status, Trigger},
};

pub fn status(status: Status) -> DeploymentStatus {
    match status {
        Status::Queued => DeploymentStatus::Queued,
        Status::Building => DeploymentStatus::Building,
        Status::Starting => DeploymentStatus::Starting,
        Status::Running => DeploymentStatus::Running,
        Status::Failed => DeploymentStatus::Failed,
        Status::Superseded => DeploymentStatus::Superseded,
    }
}

pub fn kind(kind: Kind) -> AppKind {
    match kind {
        Kind::Dockerfile => AppKind::Dockerfile,
        Kind::Compose => AppKind::Compose,
    }
}

pub fn deployment(model: deployment::Model, app_name: &str) -> Deployment {
    let deployment::Model {
        id,
        app_id: _,
        status: row_status,
        error,
        image,
        container_id: _,
        port,
        created_at,
        finished_at,
        kind: row_kind,
        services: _,
        config: _,
        trigger: row_trigger,
        built_by: _,
        changes,
    } = model;
    Deployment {
        id,
        app: app_name.to_string(),
        kind: kind(row_kind),
        status: status(row_status),
        error,
        image,
        port: port.and_then(|p| u16::try_from(p).ok()),
        created_at,
        finished_at,
        trigger: trigger(row_trigger),
        changes: serde_json::from_str(&changes).unwrap_or_default(),
        kept: false,
    }
}

pub fn trigger(trigger: Trigger) -> ReleaseTrigger {
    match trigger {
        Trigger::Build => ReleaseTrigger::Build,
        Trigger::Config => ReleaseTrigger::Config,
        Trigger::Rollback => ReleaseTrigger::Rollback,
    }
}

pub fn limits(app: &app::Model) -> Limits {
    Limits {
        memory_bytes: app.memory_bytes.max(0) as u64,
        cpus: app.nano_cpus as f64 / 1e9,
        pids: app.pids.clamp(0, u32::MAX as i64) as u32,
    }
}
