//! Deployments: queued for a build slot, planned (a Dockerfile app is one service, a compose file
//! several), executed the same way for every plan, switched over, and cleaned up when they fail.

mod build;
mod error;
mod execute;
pub mod images;
pub mod logbook;
pub mod order;
pub mod plan;
mod readiness;
mod switchover;
#[cfg(test)]
pub(in crate::domain) mod tests;

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

pub use error::DeployError;
pub use execute::pick_port;

use super::{DomainResult, Platform};
use crate::db::entities::{
    app,
    deployment::{self, Status},
};
use logbook::Logbook;

impl Platform {
    /// Runs the deployment in the background once a build slot is free.
    pub fn enqueue(self: &Arc<Self>, deployment_id: i64) {
        let this = self.clone();
        self.tasks
            .spawn(async move { this.run(deployment_id).await });
    }

    async fn run(self: Arc<Self>, id: i64) {
        let platform = self.clone();
        let mut log = Logbook::open(self.paths.deployment_log(id))
            .await
            .telling(Box::new(move |text, offset| {
                platform.tell_transient(shared::v1::Event::Log {
                    deployment: id,
                    offset,
                    text: text.to_string(),
                    step: shared::v1::Progress::of_line(text),
                })
            }));
        // Building and waiting may be interrupted by a shutdown; the switchover, a few quick
        // database writes and container removals, always runs to the end once begun.
        let ready = tokio::select! {
            outcome = self.queue_and_deploy(id, &mut log) => outcome,
            () = self.shutdown.cancelled() => Err(DeployError::Interrupted(
                "interrupted: Milkcrate shut down before the deployment finished".into(),
            )),
        };
        let outcome = match ready {
            Ok(()) => self.switch_over(id, &mut log).await,
            Err(failure) => Err(failure),
        };
        if let Err(failure) = outcome {
            let reason = failure.to_string();
            log.step(&format!("deployment failed: {reason}")).await;
            tracing::warn!(deployment = id, error = ?failure, "deployment {id} failed: {reason}");
            if let Err(e) = self.fail_deployment(id, &reason).await {
                tracing::error!(
                    deployment = id,
                    "cannot record the failure of deployment {id}: {e}"
                );
            }
        }
    }

    async fn queue_and_deploy(&self, id: i64, log: &mut Logbook) -> Result<(), DeployError> {
        let (dep, _) = self.load_or_gone(id).await?;
        // A release of an image already built (a configuration change, a rollback) needs no
        // build slot: it does not wait behind other apps' builds.
        let slot = if dep.built_by.is_none() {
            log.step("queued, waiting for a build slot").await;
            Some(
                self.builds
                    .acquire()
                    .await
                    .map_err(|_| DeployError::Interrupted("the build queue is closed".into()))?,
            )
        } else {
            log.step("a release of an image already built: no build")
                .await;
            None
        };
        let (dep, app) = self.load_or_gone(id).await?;
        let status = if slot.is_some() {
            Status::Building
        } else {
            Status::Starting
        };
        let dep = self.set_status(dep, status).await?;
        let plan = self.plan(&dep, &app).await?;
        self.execute(plan, dep, &app, log).await
    }

    /// The deployment and its app; gone if the app was deleted meanwhile.
    pub(in crate::domain) async fn load_or_gone(
        &self,
        id: i64,
    ) -> Result<(deployment::Model, app::Model), DeployError> {
        self.load(id)
            .await?
            .ok_or_else(|| DeployError::Interrupted("the app was deleted".into()))
    }

    pub(in crate::domain) async fn load(
        &self,
        id: i64,
    ) -> DomainResult<Option<(deployment::Model, app::Model)>> {
        Ok(deployment::Entity::find_by_id(id)
            .find_also_related(app::Entity)
            .one(&self.db)
            .await?
            .and_then(|(d, a)| a.map(|a| (d, a))))
    }

    pub(in crate::domain) async fn set_status(
        &self,
        dep: deployment::Model,
        status: Status,
    ) -> Result<deployment::Model, sea_orm::DbErr> {
        let finished = dep.finished_at.is_some();
        let mut active: deployment::ActiveModel = dep.into();
        active.status = Set(status);
        // A superseded version keeps the time it went live.
        if status.is_final() && !finished {
            active.finished_at = Set(Some(Utc::now()));
        }
        let updated = active.update(&self.db).await?;
        self.tell_deployment(&updated).await;
        Ok(updated)
    }

    /// Tells listeners a deployment's status.
    pub(in crate::domain) async fn tell_deployment(&self, dep: &deployment::Model) {
        if let Ok(Some(app)) = app::Entity::find_by_id(dep.app_id).one(&self.db).await {
            self.tell(shared::v1::Event::Deployment {
                id: dep.id,
                app: app.name,
                status: super::convert::status(dep.status),
            });
        }
    }
}
