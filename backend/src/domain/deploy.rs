//! The deploy pipeline: build the image, start a container, wait until it answers, switch over.

use std::{path::Path, sync::Arc, time::Duration};

use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use shared::v1::DeploymentStatus;

use super::{DomainResult, Platform, convert, logbook::Logbook, readiness};
use crate::{
    db::entities::{app, deployment},
    runtime::{BuildEvent, BuildOptions, ContainerLimits, ContainerSpec, labels},
};

/// The port apps are assumed to listen on when their image exposes none (the seed's rule).
pub const DEFAULT_PORT: u16 = 8000;

/// Why a deployment stopped short; the message goes to the deployment and its log.
pub(super) struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// Picks the app's port from the image's exposed TCP ports: 8000 if exposed, else the lowest.
pub fn pick_port(exposed: &[u16]) -> u16 {
    if exposed.contains(&DEFAULT_PORT) {
        DEFAULT_PORT
    } else {
        exposed.iter().copied().min().unwrap_or(DEFAULT_PORT)
    }
}

impl Platform {
    fn container_name(&self, app: &str, deployment: i64) -> String {
        format!("{}-{app}-{deployment}", self.config.instance)
    }

    /// Runs the deployment in the background once a build slot is free.
    pub fn enqueue(self: &Arc<Self>, deployment_id: i64) {
        let this = self.clone();
        self.tasks
            .spawn(async move { this.run(deployment_id).await });
    }

    async fn run(self: Arc<Self>, id: i64) {
        let mut log = Logbook::open(self.paths.deployment_log(id)).await;
        // Building and waiting may be interrupted by a shutdown; the switchover, a few quick
        // database writes and container removals, always runs to the end once begun.
        let ready = tokio::select! {
            outcome = self.queue_and_deploy(id, &mut log) => outcome,
            () = self.shutdown.cancelled() => Err(Failure("interrupted: Milkcrate shut down before the deployment finished".into())),
        };
        let outcome = match ready {
            Ok(()) => self.switch_over(id, &mut log).await,
            Err(failure) => Err(failure),
        };
        if let Err(Failure(reason)) = outcome {
            log.step(&format!("deployment failed: {reason}")).await;
            tracing::warn!(deployment = id, "deployment {id} failed: {reason}");
            if let Err(e) = self.fail_deployment(id, &reason).await {
                tracing::error!(
                    deployment = id,
                    "cannot record the failure of deployment {id}: {e}"
                );
            }
        }
    }

    async fn queue_and_deploy(&self, id: i64, log: &mut Logbook) -> Result<(), Failure> {
        log.step("queued, waiting for a build slot").await;
        let _slot = self.builds.acquire().await?;
        self.deploy(id, log).await
    }

    async fn deploy(&self, id: i64, log: &mut Logbook) -> Result<(), Failure> {
        let (dep, app) = self
            .load(id)
            .await?
            .ok_or_else(|| Failure("the app was deleted".into()))?;
        let dep = self.set_status(dep, DeploymentStatus::Building).await?;
        if dep.kind == "compose" {
            return self.deploy_stack(dep, app, log).await;
        }

        let image = self.image_tag(&app.name, id);
        let source = self.paths.source_dir(&app.name, id);
        self.build(id, &source, &image, &BuildOptions::default(), log)
            .await?;
        let _ = tokio::fs::remove_dir_all(&source).await;

        let details = self.checked_image(&image).await?;
        let port = pick_port(&details.exposed_tcp_ports);
        log.step(&format!(
            "image {image} built; the app should answer on port {port}"
        ))
        .await;

        let (dep, _) = self
            .load(id)
            .await?
            .ok_or_else(|| Failure("the app was deleted".into()))?;
        let mut active: deployment::ActiveModel = dep.into();
        active.image = Set(Some(image.clone()));
        active.port = Set(Some(i32::from(port)));
        active.status = Set(convert::status_str(DeploymentStatus::Starting).into());
        let dep = active.update(&self.db).await?;

        let mounts = self.app_mounts(app.id).await?;
        if mounts.iter().any(|m| !m.read_only) {
            self.replace_not_overlap(&app, log).await?;
        }
        let container = self
            .start_container(&app, dep.id, &image, port, &mounts)
            .await?;
        let mut active: deployment::ActiveModel = dep.into();
        active.container_id = Set(Some(container.clone()));
        active.update(&self.db).await?;
        log.step(&format!(
            "container started; waiting up to {}s for the app to answer",
            self.config.builds.ready_timeout_secs
        ))
        .await;
        let deadline = Duration::from_secs(self.config.builds.ready_timeout_secs);
        readiness::wait_until_ready(
            &self.docker,
            &container,
            &self.config.traefik_network,
            port,
            deadline,
        )
        .await
        .map_err(Failure)?;
        Ok(())
    }

    /// The image's details, refused if it carries labels that would steer Traefik or Milkcrate.
    pub(super) async fn checked_image(
        &self,
        image: &str,
    ) -> Result<crate::runtime::ImageDetails, Failure> {
        let details = self.docker.image_details(image).await?;
        if let Some(key) = details.labels.keys().find(|k| labels::is_reserved_label(k)) {
            return Err(Failure(format!(
                "the image {image} sets the label `{key}`; `traefik.*` and `milkcrate.*` labels belong to Milkcrate, which routes and tracks apps itself"
            )));
        }
        Ok(details)
    }

    pub(super) async fn load(
        &self,
        id: i64,
    ) -> DomainResult<Option<(deployment::Model, app::Model)>> {
        Ok(deployment::Entity::find_by_id(id)
            .find_also_related(app::Entity)
            .one(&self.db)
            .await?
            .and_then(|(d, a)| a.map(|a| (d, a))))
    }

    pub(super) async fn set_status(
        &self,
        dep: deployment::Model,
        status: DeploymentStatus,
    ) -> DomainResult<deployment::Model> {
        let finished = dep.finished_at.is_some();
        let mut active: deployment::ActiveModel = dep.into();
        active.status = Set(convert::status_str(status).into());
        // A superseded version keeps the time it went live.
        if status.is_final() && !finished {
            active.finished_at = Set(Some(Utc::now()));
        }
        Ok(active.update(&self.db).await?)
    }

    /// Builds `image` from the folder `source` (the build context).
    pub(super) async fn build(
        &self,
        id: i64,
        source: &Path,
        image: &str,
        options: &BuildOptions,
        log: &mut Logbook,
    ) -> Result<(), Failure> {
        log.step("packing the build context").await;
        let context = self.paths.tmp().join(format!("context-{id}.tar"));
        let (src, dst) = (source.to_path_buf(), context.clone());
        tokio::task::spawn_blocking(move || pack_context(&src, &dst)).await??;
        log.step(&format!("building image {image}")).await;
        let timeout = Duration::from_secs(self.config.builds.build_timeout_secs);
        let result = tokio::time::timeout(timeout, async {
            // The classic builder reuses cached layers; when another app's delete removes one
            // mid-build, the daemon reports an unknown parent. That is not the app's fault:
            // build once more, against the cache as it is now.
            let mut attempts = 0;
            loop {
                attempts += 1;
                let mut stream = Box::pin(self.docker.build_image(&context, image, options).await?);
                let mut error = None;
                while let Some(event) = stream.next().await {
                    match event {
                        BuildEvent::Output(text) if !text.trim().is_empty() => {
                            log.write(&text).await
                        }
                        BuildEvent::Output(_) => {}
                        BuildEvent::Error(text) => {
                            log.write(&text).await;
                            error = Some(text);
                        }
                    }
                }
                match error {
                    Some(e) if attempts == 1 && e.contains("unknown parent image") => {
                        log.step("a cached layer vanished during the build; building again")
                            .await;
                    }
                    Some(e) => {
                        return Err(Failure(format!("the image build failed: {}", e.trim())));
                    }
                    None => return Ok(()),
                }
            }
        })
        .await;
        let _ = tokio::fs::remove_file(&context).await;
        match result {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure(format!(
                "the build took longer than {}s",
                timeout.as_secs()
            ))),
        }
    }

    pub(super) async fn start_container(
        &self,
        app: &app::Model,
        id: i64,
        image: &str,
        port: u16,
        mounts: &[shared::v1::Mount],
    ) -> Result<String, Failure> {
        let network = &self.config.traefik_network;
        self.docker
            .ensure_network(network, self.instance_labels())
            .await?;
        let mut container_labels = labels::ownership(&self.config.instance, &app.name, id);
        container_labels.extend(labels::traefik_routing(
            &app.name, &app.route, port, network,
        ));
        let spec = ContainerSpec {
            name: self.container_name(&app.name, id),
            image: image.to_string(),
            labels: container_labels,
            network: network.clone(),
            limits: Some(ContainerLimits {
                memory_bytes: app.memory_bytes,
                nano_cpus: app.nano_cpus,
                pids: app.pids,
            }),
            volumes: self.docker_mounts(mounts),
            ..Default::default()
        };
        let container = self.docker.create_container(&spec).await?;
        self.docker.start_container(&container).await?;
        Ok(container)
    }

    /// Two versions writing the same files at once can corrupt them: a version that writes to a
    /// volume replaces the running one instead of overlapping with it (which is started again if
    /// the new one fails, see `fail_deployment`).
    pub(super) async fn replace_not_overlap(
        &self,
        app: &app::Model,
        log: &mut Logbook,
    ) -> Result<(), Failure> {
        if let Some(current) = app.current_deployment_id {
            log.step("the app writes to volumes: stopping the running version first, so two versions never write the same data")
                .await;
            self.stop_deployment(current).await?;
        }
        Ok(())
    }

    pub(super) fn instance_labels(&self) -> std::collections::HashMap<String, String> {
        std::collections::HashMap::from([(
            labels::INSTANCE.to_string(),
            self.config.instance.clone(),
        )])
    }

    /// Makes deployment `id` the app's current version and retires the previous one.
    async fn switch_over(&self, id: i64, log: &mut Logbook) -> Result<(), Failure> {
        let (dep, app) = self
            .load(id)
            .await?
            .ok_or_else(|| Failure("the app was deleted".into()))?;
        let _guard = self.lock_app(&app.name).await;
        let app = app::Entity::find_by_id(app.id)
            .one(&self.db)
            .await?
            .ok_or_else(|| Failure("the app was deleted".into()))?;
        if app
            .current_deployment_id
            .is_some_and(|current| current > id)
        {
            return Err(Failure("a newer version became current first".into()));
        }
        let previous = app.current_deployment_id;
        let mut active: app::ActiveModel = app.clone().into();
        active.current_deployment_id = Set(Some(id));
        active.desired_state = Set("running".into());
        active.update(&self.db).await?;
        log.step("the app answers; it now serves").await;
        self.set_status(dep, DeploymentStatus::Running).await?;
        tracing::info!(app = %app.name, deployment = id, "deployment {id} of {} is live", app.name);

        if let Some(old) = previous
            && let Some(old_dep) = deployment::Entity::find_by_id(old).one(&self.db).await?
        {
            // The records first (the new version serves from now on), then the old containers.
            let old_id = old_dep.id;
            self.set_status(old_dep, DeploymentStatus::Superseded)
                .await?;
            // A graceful stop lets in-flight requests finish and closes Traefik's pooled
            // connections cleanly before the containers disappear.
            if let Err(e) = self.stop_deployment(old_id).await {
                tracing::warn!(app = %app.name, "cannot stop the previous version: {e}");
            }
            self.remove_deployment_objects(old_id).await?;
        }
        self.prune_images(&app, id, previous).await;
        Ok(())
    }

    /// Removes the app's images except the current one and the one before it (for rollback).
    async fn prune_images(&self, app: &app::Model, current: i64, previous: Option<i64>) {
        let Ok(images) = self.owned_images(Some(&app.name)).await else {
            return;
        };
        let in_flight: Vec<i64> = deployment::Entity::find()
            .filter(deployment::Column::AppId.eq(app.id))
            .filter(deployment::Column::Status.is_in(convert::IN_FLIGHT))
            .order_by_asc(deployment::Column::Id)
            .all(&self.db)
            .await
            .map(|rows| rows.into_iter().map(|d| d.id).collect())
            .unwrap_or_default();
        for image in images {
            let d = image.deployment;
            let keep = d == current || Some(d) == previous || in_flight.contains(&d);
            if !keep && let Err(e) = self.docker.remove_image(&image.tag).await {
                tracing::warn!(app = %app.name, "cannot remove old image {}: {e}", image.tag);
            }
        }
    }

    /// Marks a deployment failed and removes whatever it created, leaving the current version alone.
    pub(super) async fn fail_deployment(&self, id: i64, reason: &str) -> DomainResult<()> {
        let Some(dep) = deployment::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(());
        };
        if dep.status == convert::status_str(DeploymentStatus::Running) {
            return Ok(());
        }
        self.remove_deployment_objects(id).await?;
        let loaded = self.load(id).await?;
        if let Some((_, app)) = &loaded {
            for image in self.owned_images(Some(&app.name)).await? {
                if image.deployment == id {
                    self.docker.remove_image(&image.tag).await?;
                }
            }
            let _ = tokio::fs::remove_dir_all(self.paths.source_dir(&app.name, id)).await;
        }
        let _ = tokio::fs::remove_file(self.paths.tmp().join(format!("context-{id}.tar"))).await;
        let mut active: deployment::ActiveModel = dep.into();
        active.status = Set(convert::status_str(DeploymentStatus::Failed).into());
        active.error = Set(Some(reason.to_string()));
        active.finished_at = Set(Some(Utc::now()));
        active.update(&self.db).await?;
        // A stack that writes to volumes stopped the running version before starting; it runs
        // again if it should.
        if let Some((_, app)) = loaded
            && app.desired_state == "running"
            && let Some(current) = app.current_deployment_id.filter(|c| *c != id)
            && let Err(e) = self.start_deployment(current).await
        {
            tracing::warn!(app = %app.name, "cannot start the running version again: {e}");
        }
        Ok(())
    }

    /// Removes a deployment's containers and networks.
    async fn remove_deployment_objects(&self, id: i64) -> DomainResult<()> {
        let id_label = id.to_string();
        let owned = [
            (labels::INSTANCE, self.config.instance.as_str()),
            (labels::DEPLOYMENT, id_label.as_str()),
        ];
        for container in self.docker.list_containers(&owned).await? {
            self.docker.remove_container(&container.id).await?;
        }
        for network in self.docker.list_networks(&owned).await? {
            self.docker.remove_network(&network.name).await?;
        }
        Ok(())
    }
}

/// Writes the extracted app folder as a tar file, keeping file modes (executables stay executable).
fn pack_context(source: &Path, target: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(target)?;
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    builder.follow_symlinks(false);
    builder.append_dir_all(".", source)?;
    builder
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_prefers_8000_then_the_lowest_exposed() {
        assert_eq!(pick_port(&[]), 8000);
        assert_eq!(pick_port(&[3000, 8000]), 8000);
        assert_eq!(pick_port(&[9000, 3000]), 3000);
    }
}
