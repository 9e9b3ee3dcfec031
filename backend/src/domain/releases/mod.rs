//! Releases: a deployment is an image plus a snapshot of the app's configuration (variables,
//! sealed secrets, build arguments, limits, health path, mounts). A configuration change or a
//! rollback is a new release on an image already built, switched over like any redeploy.
//! `snapshot.rs` is what a release records, `changes.rs` what differs between two, `env.rs` and
//! `patch.rs` the changes an admin makes, `rollback.rs` bringing an earlier release back and
//! `kept.rs` which releases can still be brought back.

mod changes;
mod env;
mod kept;
mod key_check;
mod patch;
mod rollback;
mod snapshot;
#[cfg(test)]
mod tests;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use shared::v1::Deployment;

pub use kept::{KeptReleases, build_of};
pub use snapshot::{Snapshot, StoredVar};

use super::{DomainError, DomainResult, Platform, convert};
use crate::db::entities::{
    app,
    deployment::{self, Kind, Status, Trigger},
};

/// A release about to be recorded.
pub(in crate::domain) struct NewRelease {
    pub kind: Kind,
    pub trigger: Trigger,
    /// The deployment whose images it runs; `None`: built from its own upload.
    pub built_by: Option<i64>,
    pub snapshot: Snapshot,
    pub changes: Vec<String>,
}

impl NewRelease {
    /// Records it, queued.
    pub(in crate::domain) async fn insert(
        self,
        db: &impl ConnectionTrait,
        app_id: i64,
    ) -> Result<deployment::Model, sea_orm::DbErr> {
        deployment::ActiveModel {
            app_id: Set(app_id),
            kind: Set(self.kind),
            status: Set(Status::Queued),
            created_at: Set(Utc::now()),
            config: Set(Some(self.snapshot.to_json())),
            trigger: Set(self.trigger),
            built_by: Set(self.built_by),
            changes: Set(serde_json::to_string(&self.changes).expect("strings serialize")),
            ..Default::default()
        }
        .insert(db)
        .await
    }
}

/// What changed between two configurations, comparing sealed secrets as they are stored (a
/// build release keeps the app's sealed values as they are).
pub(in crate::domain) fn changes_between(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    changes::between(before, after, |_, _, _| false)
}

impl Platform {
    /// What changed between two configurations of `app`, secrets compared by opening both
    /// (sealing twice never gives the same text).
    pub(in crate::domain) fn release_changes(
        &self,
        app: &str,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Vec<String> {
        changes::between(before, after, |key, a, b| {
            let context = snapshot::seal_context(app, key);
            matches!(
                (self.secrets.open(a, &context), self.secrets.open(b, &context)),
                (Ok(x), Ok(y)) if x == y
            )
        })
    }

    /// The app's variables in the clear for a compose file's `${VAR}` interpolation (they win
    /// over its `.env`).
    pub(in crate::domain) fn interpolation_vars(
        &self,
        app: &app::Model,
    ) -> DomainResult<std::collections::BTreeMap<String, String>> {
        let snapshot = Snapshot::of_app(app, Vec::new());
        self.open_vars(&app.name, &snapshot.vars)
            .map(|vars| vars.into_iter().collect())
            .map_err(|e| DomainError::Conflict(e.to_string()))
    }

    /// The release a configuration change starts from: the running one, else the newest with an
    /// image (a first version that built but did not start).
    pub(in crate::domain) async fn base_release(
        &self,
        app: &app::Model,
    ) -> DomainResult<deployment::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let current = match app.current_deployment_id {
            Some(id) => deployment::Entity::find_by_id(id).one(&self.db).await?,
            None => None,
        };
        let base = match current {
            Some(current) => Some(current),
            None => {
                deployment::Entity::find()
                    .filter(deployment::Column::AppId.eq(app.id))
                    .filter(deployment::Column::Image.is_not_null())
                    .order_by_desc(deployment::Column::Id)
                    .one(&self.db)
                    .await?
            }
        };
        base.ok_or_else(|| {
            DomainError::Conflict(format!(
                "`{}` has no built release yet: deploy an upload first; the configuration applies to it",
                app.name
            ))
        })
    }

    /// Queues a release recorded by the caller and tells listeners.
    pub(in crate::domain) async fn release_queued(
        self: &std::sync::Arc<Self>,
        app: &app::Model,
        release: deployment::Model,
    ) -> Deployment {
        self.enqueue(release.id);
        self.after_change().await;
        tracing::info!(
            app = %app.name,
            deployment = release.id,
            "queued release {} of {} ({:?})",
            release.id,
            app.name,
            release.trigger
        );
        convert::deployment(release, &app.name)
    }
}
