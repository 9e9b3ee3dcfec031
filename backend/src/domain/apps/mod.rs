//! Apps: created from an upload, viewed (their status from the runtime and their rows), started,
//! stopped and deleted.

mod create;
mod delete;
mod domains;
mod lifecycle;
pub mod logs;
pub mod metrics;
mod status;
mod view;
pub mod watch;

pub(in crate::domain) use view::ListCache;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{DomainError, DomainResult, FieldErrors, Platform};
use crate::{
    compose,
    db::entities::app::{self, DesiredState},
    intake::IntakeLimits,
};

impl Platform {
    /// The platform's limits, as caps a compose file may lower but not raise.
    pub(in crate::domain) fn compose_caps(&self) -> compose::Caps {
        let limits = self.config.limits;
        compose::Caps {
            memory_bytes: (limits.memory_mb * 1024 * 1024) as i64,
            nano_cpus: (limits.cpus * 1e9) as i64,
            pids: i64::from(limits.pids),
            max_services: limits.max_stack_services,
            max_networks: limits.max_stack_networks,
        }
    }

    pub(in crate::domain) fn intake_limits(&self) -> IntakeLimits {
        let u = &self.config.uploads;
        IntakeLimits {
            max_entries: u.max_entries,
            max_uncompressed_bytes: u.max_uncompressed_mb * 1024 * 1024,
            ..IntakeLimits::default()
        }
    }

    async fn ensure_free(&self, name: &str, route: &str) -> DomainResult<()> {
        let mut fields = FieldErrors::new();
        if app::Entity::find()
            .filter(app::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .is_some()
        {
            fields.insert(
                "name".into(),
                vec![format!("an app named `{name}` already exists")],
            );
        }
        if app::Entity::find()
            .filter(app::Column::Route.eq(route))
            .one(&self.db)
            .await?
            .is_some()
        {
            fields.insert(
                "route".into(),
                vec![format!("`{route}` is already used by another app")],
            );
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Taken(fields))
        }
    }

    pub(in crate::domain) async fn find_app(&self, name: &str) -> DomainResult<app::Model> {
        let name = name.to_ascii_lowercase();
        app::Entity::find()
            .filter(app::Column::Name.eq(&name))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("app", name))
    }

    /// The current deployment, or a conflict explaining why there is none (or why it cannot be
    /// acted on: its containers are gone).
    async fn current_deployment(&self, app: &app::Model) -> DomainResult<i64> {
        let current = app.current_deployment_id.ok_or_else(|| {
            DomainError::Conflict(format!("`{}` has no running version yet", app.name))
        })?;
        if self.deployment_containers(current).await?.is_empty() {
            return Err(DomainError::Conflict(format!(
                "`{}` has no container; deploy it again",
                app.name
            )));
        }
        Ok(current)
    }

    async fn set_desired(&self, app: app::Model, state: DesiredState) -> DomainResult<()> {
        let mut active: app::ActiveModel = app.into();
        active.desired_state = Set(state);
        active.update(&self.db).await?;
        Ok(())
    }
}
