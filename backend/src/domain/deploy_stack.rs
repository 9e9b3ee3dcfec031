//! Deploying a compose stack: images per service (built from the ZIP, or the named image, pulled
//! when missing), a network per deployment for the stack's own traffic, app-scoped volumes, one
//! hardened container per service, started in dependency order; only the main service joins
//! Traefik's network and carries routing labels.

use std::{collections::HashMap, time::Duration};

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use shared::v1::DeploymentStatus;

use super::{Platform, convert, deploy::Failure, logbook::Logbook, readiness, stack::StackPlan};
use crate::{
    compose::{self, Service, VolumeSource},
    db::entities::{app, deployment},
    intake,
    runtime::{
        BuildOptions, ContainerLimits, ContainerSpec, HealthSpec, Restart, VolumeMount, labels,
        subnets::Cidr,
    },
};

/// The network every service joins when the file names none (Compose's `default`).
const DEFAULT_NETWORK: &str = "default";

impl Platform {
    // Docker names of a stack's objects. Instance and app names never hold `_` or `.`, so `_`
    // separators cannot make two apps' names meet (`a-b` + `c` vs `a` + `b-c`), and an app's
    // volumes (`_`) never meet a managed volume (`.`).

    /// The Docker network of one of a deployment's networks. Per deployment, so an old and a new
    /// version running side by side never resolve each other's service names.
    fn stack_network(&self, app: &str, deployment: i64, network: &str) -> String {
        format!("{}_{app}_{deployment}_{network}", self.config.instance)
    }

    /// The Docker volume of a compose file's named volume: per app, so data outlives versions.
    pub(super) fn app_volume(&self, app: &str, volume: &str) -> String {
        format!("{}_{app}_{volume}", self.config.instance)
    }

    /// The Docker volume of a Milkcrate-managed volume.
    pub(super) fn managed_volume(&self, volume: &str) -> String {
        format!("{}.{volume}", self.config.instance)
    }

    pub(super) async fn deploy_stack(
        &self,
        dep: deployment::Model,
        app: app::Model,
        log: &mut Logbook,
    ) -> Result<(), Failure> {
        let id = dep.id;
        let source = self.paths.source_dir(&app.name, id);
        let stack = self.load_stack(&source).await?;
        let plan = StackPlan::of(&stack);

        let mut images = HashMap::new();
        for service in &stack.services {
            let image = self.service_image(&app, id, service, &source, log).await?;
            images.insert(service.name.clone(), image);
        }
        let _ = tokio::fs::remove_dir_all(&source).await;
        let main_image = images.get(&stack.main_service).cloned();
        log.step(&format!(
            "images ready; `{}` should answer on port {}",
            stack.main_service, stack.main_port
        ))
        .await;

        let mut active: deployment::ActiveModel = dep.into();
        active.image = Set(main_image);
        active.port = Set(Some(i32::from(stack.main_port)));
        active.services = Set(Some(plan.to_json()));
        active.status = Set(convert::status_str(DeploymentStatus::Starting).into());
        let dep = active.update(&self.db).await?;

        let networks = self.create_stack_networks(&app, id, &stack).await?;
        for volume in &stack.volumes {
            let name = self.app_volume(&app.name, volume);
            let volume_labels = labels::app_volume(&self.config.instance, &app.name, volume);
            self.docker.ensure_volume(&name, volume_labels).await?;
        }

        let mounts = self.app_mounts(app.id).await?;
        let writes_volumes = mounts.iter().any(|m| !m.read_only)
            || stack
                .services
                .iter()
                .any(|s| s.volumes.iter().any(|v| !v.read_only));
        if writes_volumes {
            self.replace_not_overlap(&app, log).await?;
        }

        let mut containers = HashMap::new();
        for service in &stack.services {
            let extra = if service.name == stack.main_service {
                self.docker_mounts(&mounts)
            } else {
                Vec::new()
            };
            let container = self
                .create_service(&app, id, &stack, &plan, service, &images, &networks, extra)
                .await?;
            containers.insert(service.name.clone(), container);
        }
        let main = containers[&stack.main_service].clone();
        let mut active: deployment::ActiveModel = dep.into();
        active.container_id = Set(Some(main.clone()));
        active.update(&self.db).await?;

        let deadline = Duration::from_secs(self.config.builds.ready_timeout_secs);
        log.step(&format!(
            "starting {} services in dependency order; waiting up to {}s",
            plan.services.len(),
            deadline.as_secs()
        ))
        .await;
        let started = std::time::Instant::now();
        self.start_in_order(&plan, &containers, deadline)
            .await
            .map_err(Failure)?;
        log.step(&format!(
            "services started; waiting for `{}` to answer",
            stack.main_service
        ))
        .await;
        readiness::wait_until_ready(
            &self.docker,
            &main,
            &self.config.traefik_network,
            stack.main_port,
            deadline.saturating_sub(started.elapsed()),
        )
        .await
        .map_err(Failure)
    }

    /// Reads the compose file again (it passed at upload; managed volumes may have changed since).
    async fn load_stack(&self, source: &std::path::Path) -> Result<compose::Stack, Failure> {
        let file = intake::compose_file_in(source)
            .ok_or_else(|| Failure("the compose file is missing from the upload".into()))?;
        let managed = self.managed_volume_names().await?;
        let (dir, caps) = (source.to_path_buf(), self.compose_caps());
        tokio::task::spawn_blocking(move || compose::load(&dir, file, &caps, &managed))
            .await?
            .map_err(|problems| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                Failure(format!("the compose file is refused: {}", list.join("; ")))
            })
    }

    /// Builds the service's image from the ZIP, or makes sure its named image is here.
    async fn service_image(
        &self,
        app: &app::Model,
        id: i64,
        service: &Service,
        source: &std::path::Path,
        log: &mut Logbook,
    ) -> Result<String, Failure> {
        let image = match (&service.build, &service.image) {
            (Some(build), _) => {
                let tag = self.service_image_tag(&app.name, id, &service.name);
                log.step(&format!("service `{}`: building", service.name))
                    .await;
                let options = BuildOptions {
                    dockerfile: build.dockerfile.clone(),
                    args: build.args.clone().into_iter().collect(),
                    target: build.target.clone(),
                };
                self.build(id, &source.join(&build.context), &tag, &options, log)
                    .await?;
                tag
            }
            (None, Some(image)) => {
                if !self.docker.image_exists(image).await? {
                    log.step(&format!("service `{}`: pulling {image}", service.name))
                        .await;
                    self.docker.pull_image(image).await.map_err(|e| {
                        Failure(format!(
                            "service `{}`: cannot pull {image} ({e}); build it from the ZIP or make the registry reachable",
                            service.name
                        ))
                    })?;
                }
                image.clone()
            }
            (None, None) => {
                return Err(Failure(format!(
                    "service `{}` has neither `image` nor `build`",
                    service.name
                )));
            }
        };
        self.checked_image(&image).await?;
        Ok(image)
    }

    /// Creates the deployment's networks; returns the Docker name of each of the file's networks.
    async fn create_stack_networks(
        &self,
        app: &app::Model,
        id: i64,
        stack: &compose::Stack,
    ) -> Result<HashMap<String, String>, Failure> {
        self.docker
            .ensure_network(&self.config.traefik_network, self.instance_labels())
            .await?;
        let pool = Cidr::parse(&self.config.stack_subnets).map_err(Failure)?;
        let mut networks = HashMap::new();
        for network in
            std::iter::once(DEFAULT_NETWORK).chain(stack.networks.iter().map(String::as_str))
        {
            let name = self.stack_network(&app.name, id, network);
            let mut network_labels = labels::ownership(&self.config.instance, &app.name, id);
            network_labels.insert("com.docker.compose.project".into(), app.name.clone());
            network_labels.insert("com.docker.compose.network".into(), network.into());
            self.docker
                .ensure_network_in(&name, network_labels, &pool)
                .await?;
            networks.insert(network.to_string(), name);
        }
        Ok(networks)
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_service(
        &self,
        app: &app::Model,
        id: i64,
        stack: &compose::Stack,
        plan: &StackPlan,
        service: &Service,
        images: &HashMap<String, String>,
        networks: &HashMap<String, String>,
        mounts: Vec<VolumeMount>,
    ) -> Result<String, Failure> {
        let is_main = service.name == stack.main_service;
        if let Some(clash) = mounts
            .iter()
            .find(|m| service.volumes.iter().any(|v| v.target == m.target))
        {
            return Err(Failure(format!(
                "the app mounts a volume at {} in `{}`, where the compose file mounts one already; choose another path",
                clash.target, service.name
            )));
        }
        let mut container_labels: HashMap<String, String> =
            service.labels.clone().into_iter().collect();
        container_labels.extend(labels::ownership(&self.config.instance, &app.name, id));
        container_labels.insert(labels::SERVICE.into(), service.name.clone());
        container_labels.extend(labels::compose_service(&app.name, &service.name));
        if is_main {
            container_labels.extend(labels::traefik_routing(
                &app.name,
                &app.route,
                stack.main_port,
                &self.config.traefik_network,
            ));
        } else {
            container_labels.insert("traefik.enable".into(), "false".into());
        }
        let joined: Vec<&String> = service
            .networks
            .iter()
            .filter_map(|n| networks.get(n))
            .collect();
        let (first, others) = joined
            .split_first()
            .ok_or_else(|| Failure(format!("service `{}` joins no network", service.name)))?;
        let one_shot = plan
            .services
            .iter()
            .any(|s| s.name == service.name && s.one_shot);
        let spec = ContainerSpec {
            name: format!(
                "{}_{}_{id}_{}",
                self.config.instance, app.name, service.name
            ),
            image: images[&service.name].clone(),
            labels: container_labels,
            cmd: service.command.clone(),
            entrypoint: service.entrypoint.clone(),
            network: (*first).clone(),
            aliases: vec![service.name.clone()],
            limits: Some(ContainerLimits {
                memory_bytes: service.memory_bytes,
                nano_cpus: service.nano_cpus,
                pids: service.pids,
            }),
            env: service
                .environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            working_dir: service.working_dir.clone(),
            user: service.user.clone(),
            healthcheck: service.healthcheck.as_ref().map(|h| HealthSpec {
                test: h.test.clone(),
                interval: h.interval,
                timeout: h.timeout,
                start_period: h.start_period,
                start_interval: h.start_interval,
                retries: h.retries,
            }),
            tmpfs: service
                .tmpfs
                .iter()
                .map(|t| match t.split_once(':') {
                    Some((path, options)) => (path.to_string(), options.to_string()),
                    None => (t.clone(), String::new()),
                })
                .collect(),
            read_only: service.read_only,
            init: Some(service.init.unwrap_or(true)),
            stop_timeout: service
                .stop_grace_period
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            restart: Some(restart_policy(service.restart.as_deref(), one_shot)),
            volumes: service
                .volumes
                .iter()
                .map(|v| VolumeMount {
                    volume: match &v.source {
                        VolumeSource::Named(name) => self.app_volume(&app.name, name),
                        VolumeSource::Managed(name) => self.managed_volume(name),
                    },
                    target: v.target.clone(),
                    read_only: v.read_only,
                })
                .chain(mounts)
                .collect(),
            ..Default::default()
        };
        let container = self.docker.create_container(&spec).await?;
        for network in others {
            self.docker
                .connect_network(&container, network, &spec.aliases)
                .await?;
        }
        if is_main {
            self.docker
                .connect_network(&container, &self.config.traefik_network, &[])
                .await?;
        }
        Ok(container)
    }

    /// Stops a deployment's containers (a stack in reverse start order).
    pub(super) async fn stop_deployment(&self, id: i64) -> super::DomainResult<()> {
        let containers = self.deployment_containers(id).await?;
        let record = deployment::Entity::find_by_id(id).one(&self.db).await?;
        match StackPlan::from_record(record.as_ref().and_then(|d| d.services.as_deref())) {
            Some(plan) => self.stop_in_order(&plan, &containers).await?,
            None => {
                for container in containers.values() {
                    self.docker.stop_container(container, 10).await?;
                }
            }
        }
        Ok(())
    }

    /// Starts a deployment's containers (a stack in dependency order, waiting as it asks).
    pub(super) async fn start_deployment(&self, id: i64) -> super::DomainResult<()> {
        let containers = self.deployment_containers(id).await?;
        let record = deployment::Entity::find_by_id(id).one(&self.db).await?;
        match StackPlan::from_record(record.as_ref().and_then(|d| d.services.as_deref())) {
            Some(plan) => {
                let deadline = Duration::from_secs(self.config.builds.ready_timeout_secs);
                self.start_in_order(&plan, &containers, deadline)
                    .await
                    .map_err(super::DomainError::Conflict)?;
            }
            None => {
                for container in containers.values() {
                    self.docker.start_container(container).await?;
                }
            }
        }
        Ok(())
    }
}

/// The file's `restart`, else `unless-stopped` (apps come back after a reboot); a one-shot job
/// another service waits for defaults to `no`, so it is not run again and again.
fn restart_policy(restart: Option<&str>, one_shot: bool) -> Restart {
    match restart {
        Some("no") => Restart::No,
        Some("always") => Restart::Always,
        Some("unless-stopped") => Restart::UnlessStopped,
        Some(on_failure) if on_failure.starts_with("on-failure") => Restart::OnFailure(
            on_failure
                .strip_prefix("on-failure:")
                .and_then(|n| n.parse().ok()),
        ),
        _ if one_shot => Restart::No,
        _ => Restart::UnlessStopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_follows_the_file_and_one_shot_jobs_run_once() {
        assert_eq!(restart_policy(None, false), Restart::UnlessStopped);
        assert_eq!(restart_policy(None, true), Restart::No);
        assert_eq!(restart_policy(Some("always"), true), Restart::Always);
        assert_eq!(
            restart_policy(Some("on-failure:3"), false),
            Restart::OnFailure(Some(3))
        );
        assert_eq!(
            restart_policy(Some("on-failure"), false),
            Restart::OnFailure(None)
        );
        assert_eq!(restart_policy(Some("no"), false), Restart::No);
    }
}
