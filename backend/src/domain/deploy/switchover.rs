//! After a plan runs: the switchover (the new version becomes current, the previous one is
//! retired), or the cleanup of a failed deployment (its objects removed, the running version
//! left alone or started again if it had to make room).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::{DeployError, logbook::Logbook};
use crate::{
    db::entities::{
        app::{self, DesiredState},
        deployment::{self, Status},
    },
    domain::{DomainResult, Platform},
    runtime::labels,
};

impl Platform {
    /// Makes deployment `id` the app's current version and retires the previous one.
    pub(super) async fn switch_over(&self, id: i64, log: &mut Logbook) -> Result<(), DeployError> {
        let (dep, app) = self.load_or_gone(id).await?;
        let _guard = self.lock_app(&app.name).await;
        let app = app::Entity::find_by_id(app.id)
            .one(&self.db)
            .await?
            .ok_or_else(|| DeployError::Interrupted("the app was deleted".into()))?;
        if app
            .current_deployment_id
            .is_some_and(|current| current > id)
        {
            return Err(DeployError::Interrupted(
                "a newer version became current first".into(),
            ));
        }
        let previous = app.current_deployment_id;
        let previous_dep = match previous {
            Some(old) => deployment::Entity::find_by_id(old).one(&self.db).await?,
            None => None,
        };
        // The new version joins the route and the proxy confirms it serves it; only then does the
        // old one leave the route, get its in-flight requests drained, and stop.
        let new_server = self.main_server(&app.name, &dep);
        let old_server = previous_dep
            .as_ref()
            .and_then(|d| self.main_server(&app.name, d));
        self.pin_route(&app.name, true);
        if let Some(server) = &new_server {
            let servers = old_server.iter().chain([server]).cloned().collect();
            self.route_to(&app, servers);
            self.confirm_served(&app.name, server, true).await;
        }
        let switched = self.make_current(&app, dep, previous_dep, log).await;
        if switched.is_ok()
            && let Some(server) = &new_server
        {
            self.route_to(&app, vec![server.clone()]);
            if let Some(old) = &old_server {
                self.confirm_served(&app.name, old, false).await;
                tokio::time::sleep(std::time::Duration::from_secs(self.config.proxy.drain_secs))
                    .await;
            }
        }
        self.pin_route(&app.name, false);
        let previous_dep = switched?;
        if let Some(old_dep) = previous_dep {
            // A graceful stop lets in-flight requests finish and closes the proxy's pooled
            // connections cleanly before the containers disappear.
            if let Err(e) = self.stop_deployment(old_dep).await {
                tracing::warn!(app = %app.name, "cannot stop the previous version: {e}");
            }
            self.remove_deployment_objects(old_dep).await?;
        }
        self.prune_images(&app).await;
        self.after_change().await;
        Ok(())
    }

    /// The records of a switchover: `dep` becomes current and running, the previous version
    /// superseded (whose id is returned, to retire its containers).
    async fn make_current(
        &self,
        app: &app::Model,
        dep: deployment::Model,
        previous: Option<deployment::Model>,
        log: &mut Logbook,
    ) -> Result<Option<i64>, DeployError> {
        let id = dep.id;
        let mut active: app::ActiveModel = app.clone().into();
        active.current_deployment_id = Set(Some(id));
        active.desired_state = Set(DesiredState::Running);
        active.update(&self.db).await?;
        log.step("the app answers; it now serves").await;
        self.set_status(dep, Status::Running).await?;
        tracing::info!(app = %app.name, deployment = id, "deployment {id} of {} is live", app.name);
        match previous {
            Some(old) => {
                let old_id = old.id;
                self.set_status(old, Status::Superseded).await?;
                Ok(Some(old_id))
            }
            None => Ok(None),
        }
    }

    /// Removes the app's images, and a stack's kept compose files, that no kept release runs
    /// (the newest `MILKCRATE_KEEP_RELEASES` that ran, and anything in flight).
    async fn prune_images(&self, app: &app::Model) {
        let Ok((kept, _)) = self.kept_releases(app).await else {
            return;
        };
        let Ok(images) = self.owned_images(Some(&app.name)).await else {
            return;
        };
        for image in images {
            if !kept.keeps_build(image.deployment)
                && let Err(e) = self.runtime.remove_image(&image.tag).await
            {
                tracing::warn!(app = %app.name, "cannot remove old image {}: {e}", image.tag);
            }
        }
        let Ok(mut sources) = tokio::fs::read_dir(self.paths.app_dir(&app.name)).await else {
            return;
        };
        while let Ok(Some(entry)) = sources.next_entry().await {
            let name = entry.file_name();
            let build = name
                .to_str()
                .and_then(|n| n.strip_prefix('d')?.parse().ok());
            if build.is_some_and(|b| !kept.keeps_build(b)) {
                let _ = tokio::fs::remove_dir_all(entry.path()).await;
            }
        }
    }

    /// Marks a deployment failed and removes whatever it created, leaving the current version alone.
    pub(in crate::domain) async fn fail_deployment(
        &self,
        id: i64,
        reason: &str,
    ) -> DomainResult<()> {
        let Some(dep) = deployment::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(());
        };
        if dep.status == Status::Running {
            return Ok(());
        }
        let loaded = self.load(id).await?;
        // Clean up first, so a failed deployment has left nothing once it reads as failed; but
        // record the failure whatever the cleanup meets (a daemon that is down): reconciliation
        // removes what is left.
        let cleanup = self
            .remove_failed_objects(id, loaded.as_ref().map(|(_, a)| a))
            .await;
        let mut active: deployment::ActiveModel = dep.into();
        active.status = Set(Status::Failed);
        active.error = Set(Some(reason.to_string()));
        active.finished_at = Set(Some(Utc::now()));
        let failed = active.update(&self.db).await?;
        self.tell_deployment(&failed).await;
        cleanup?;
        // A version that writes to volumes stopped the running one before starting; it runs
        // again if it should.
        if let Some((_, app)) = loaded
            && app.desired_state == DesiredState::Running
            && let Some(current) = app.current_deployment_id.filter(|c| *c != id)
            && let Err(e) = self.start_deployment(current).await
        {
            tracing::warn!(app = %app.name, "cannot start the running version again: {e}");
        }
        // A first version's early route goes; a version started again is routed again.
        self.after_change().await;
        self.refresh_routes().await
    }

    async fn remove_failed_objects(&self, id: i64, app: Option<&app::Model>) -> DomainResult<()> {
        let _ = tokio::fs::remove_file(self.paths.tmp().join(format!("context-{id}.tar"))).await;
        if let Some(app) = app {
            let _ = tokio::fs::remove_dir_all(self.paths.source_dir(&app.name, id)).await;
        }
        self.remove_deployment_objects(id).await?;
        if let Some(app) = app {
            for image in self.owned_images(Some(&app.name)).await? {
                if image.deployment == id {
                    self.runtime.remove_image(&image.tag).await?;
                }
            }
        }
        Ok(())
    }

    /// Removes a deployment's containers and networks.
    pub(in crate::domain) async fn remove_deployment_objects(&self, id: i64) -> DomainResult<()> {
        let id_label = id.to_string();
        let owned = [
            (labels::INSTANCE, self.names.instance()),
            (labels::DEPLOYMENT, id_label.as_str()),
        ];
        for container in self.runtime.list_containers(&owned).await? {
            self.runtime.remove_container(&container.id).await?;
        }
        for network in self.runtime.list_networks(&owned).await? {
            self.runtime.remove_network(&network.name).await?;
        }
        Ok(())
    }
}
