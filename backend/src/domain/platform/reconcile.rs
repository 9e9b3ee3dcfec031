//! Makes the database and Docker agree: on start and then periodically.

use std::collections::{HashMap, HashSet};

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    db::entities::{
        app::{self, DesiredState},
        deployment::{self, Kind, Status},
    },
    domain::{
        DomainResult, Platform,
        deploy::{pick_port, plan},
        releases::{KeptReleases, build_of},
    },
    runtime::labels,
};

const INTERRUPTED: &str = "interrupted: Milkcrate stopped before the deployment finished";

impl Platform {
    /// On start, deployments left in flight by a crash or restart are failed (and cleaned up);
    /// always, containers and images whose app or deployment is gone are removed.
    pub async fn reconcile(&self, at_startup: bool) -> DomainResult<()> {
        if at_startup {
            let stale = deployment::Entity::find()
                .filter(deployment::Column::Status.is_in(Status::IN_FLIGHT))
                .all(&self.db)
                .await?;
            for dep in stale {
                tracing::warn!(
                    deployment = dep.id,
                    "deployment {} was cut off; marking it failed",
                    dep.id
                );
                self.fail_deployment(dep.id, INTERRUPTED).await?;
            }
            self.remove_helpers().await?;
            let _ = tokio::fs::remove_dir_all(self.paths.tmp()).await;
            let _ = tokio::fs::create_dir_all(self.paths.tmp()).await;
        }

        // Deployments first: a switchover between the two reads then leaves the new version
        // "in flight" or "running" in this snapshot, never unaccounted for.
        let deployments = deployment::Entity::find().all(&self.db).await?;
        let apps: HashMap<String, app::Model> = app::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect();
        // A deployment's objects are wanted while it is in flight, serves, or is the newest
        // superseded one (kept for rollback).
        let mut wanted: HashSet<i64> = deployments
            .iter()
            .filter(|d| d.status.is_in_flight() || d.status == Status::Running)
            .map(|d| d.id)
            .collect();
        wanted.extend(apps.values().filter_map(|a| a.current_deployment_id));
        // Images: those of the releases a rollback can reach, and of anything current or in
        // flight (a configuration release runs the image of the build it names).
        let mut by_app: HashMap<i64, Vec<deployment::Model>> = HashMap::new();
        for d in &deployments {
            by_app.entry(d.app_id).or_default().push(d.clone());
        }
        let mut keep_images: HashSet<i64> = HashSet::new();
        for deps in by_app.values() {
            keep_images.extend(KeptReleases::of(deps, self.config.keep_releases).builds());
            keep_images.extend(deps.iter().filter(|d| wanted.contains(&d.id)).map(build_of));
        }
        let current_containers: HashSet<i64> = wanted;

        let instance = [(labels::INSTANCE, self.names.instance())];
        for container in self.runtime.list_containers(&instance).await? {
            let Some(app_name) = container.labels.get(labels::APP) else {
                continue;
            };
            let dep = container
                .labels
                .get(labels::DEPLOYMENT)
                .and_then(|d| d.parse().ok());
            if !apps.contains_key(app_name) || !dep.is_some_and(|d| current_containers.contains(&d))
            {
                tracing::info!(app = %app_name, "removing orphaned container {}", container.name);
                self.runtime.remove_container(&container.id).await?;
            }
        }
        // A stack's networks belong to its deployment, like its containers; an edge network to
        // its app.
        for network in self.runtime.list_networks(&instance).await? {
            let Some(app_name) = network.labels.get(labels::APP) else {
                continue;
            };
            if Self::is_edge_network(&network.labels) {
                if !apps.contains_key(app_name)
                    && let Err(e) = self.remove_edge_network(app_name).await
                {
                    tracing::warn!(app = %app_name, "cannot remove network {}: {e}", network.name);
                }
                continue;
            }
            let dep = network
                .labels
                .get(labels::DEPLOYMENT)
                .and_then(|d| d.parse().ok());
            if !apps.contains_key(app_name) || !dep.is_some_and(|d| current_containers.contains(&d))
            {
                tracing::info!(app = %app_name, "removing orphaned network {}", network.name);
                if let Err(e) = self.runtime.remove_network(&network.name).await {
                    tracing::warn!(app = %app_name, "cannot remove network {}: {e}", network.name);
                }
            }
        }
        for image in self.owned_images(None).await? {
            if !apps.contains_key(&image.app) || !keep_images.contains(&image.deployment) {
                tracing::info!(app = %image.app, "removing orphaned image {}", image.tag);
                self.runtime.remove_image(&image.tag).await?;
            }
        }
        self.remove_orphaned_folders(&apps).await;
        if at_startup {
            self.revive_apps().await?;
        }
        self.refresh_routes().await
    }

    /// Recreates the container of a Dockerfile app that should run but has none while its image
    /// is here (after a restore, or a container removed behind Milkcrate's back), from the same
    /// plan a deploy makes.
    pub(in crate::domain) async fn revive_apps(&self) -> DomainResult<()> {
        for app in app::Entity::find().all(&self.db).await? {
            let Some(current) = app.current_deployment_id else {
                continue;
            };
            let Some(dep) = deployment::Entity::find_by_id(current)
                .one(&self.db)
                .await?
            else {
                continue;
            };
            let (Some(image), Some(port)) = (dep.image.clone(), dep.port) else {
                continue;
            };
            if app.desired_state != DesiredState::Running
                || dep.kind != Kind::Dockerfile
                || !self.deployment_containers(current).await?.is_empty()
                || !self.runtime.image_exists(&image).await?
            {
                continue;
            }
            let port = u16::try_from(port).unwrap_or_else(|_| pick_port(&[]));
            let created = async {
                let target = self.target(&app, &dep).await?;
                let plan = plan::dockerfile(&self.names, &target);
                self.ensure_edge_network(&app.name).await?;
                let container = self
                    .create_service(&app, &plan.services[0], image, Some(port))
                    .await?;
                self.runtime.start_container(&container).await?;
                Ok::<_, crate::domain::deploy::DeployError>(container)
            };
            match created.await {
                Ok(container) => {
                    let mut active: deployment::ActiveModel = dep.into();
                    active.container_id = sea_orm::Set(Some(container));
                    active.update(&self.db).await?;
                    tracing::info!(app = %app.name, "recreated the container of {}", app.name);
                }
                Err(e) => {
                    tracing::warn!(app = %app.name, "cannot recreate the container of {}: {e}", app.name);
                }
            }
        }
        Ok(())
    }

    async fn remove_orphaned_folders(&self, apps: &HashMap<String, app::Model>) {
        let Ok(mut entries) = tokio::fs::read_dir(self.paths.apps()).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !apps.contains_key(&name) {
                let _ = tokio::fs::remove_dir_all(entry.path()).await;
            }
        }
    }
}
