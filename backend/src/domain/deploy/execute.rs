//! The one executor: any plan is run the same way. Images, then the record, networks, volumes,
//! containers (only the main service routed), start in dependency order, and wait until the main
//! service answers. The switchover comes after (`switchover.rs`).

use std::{collections::HashMap, time::Duration};

use sea_orm::{ActiveModelTrait, Set};

use super::{
    DeployError,
    logbook::Logbook,
    plan::{self, Plan, ServicePlan, Target, Topology},
    readiness,
};
use crate::{
    db::entities::{
        app,
        deployment::{self, Kind, Status},
    },
    domain::{Platform, platform::edge::server_url},
    runtime::{ContainerSpec, labels, subnets::Cidr},
};

/// The port apps are assumed to listen on when their image exposes none (the seed's rule).
pub const DEFAULT_PORT: u16 = 8000;

/// Picks the app's port from the image's exposed TCP ports: 8000 if exposed, else the lowest.
pub fn pick_port(exposed: &[u16]) -> u16 {
    if exposed.contains(&DEFAULT_PORT) {
        DEFAULT_PORT
    } else {
        exposed.iter().copied().min().unwrap_or(DEFAULT_PORT)
    }
}

impl Platform {
    /// The plan of a deployment: the one place the kind of app is looked at.
    pub(super) async fn plan(
        &self,
        dep: &deployment::Model,
        app: &app::Model,
    ) -> Result<Plan, DeployError> {
        let target = self.target(app, dep).await?;
        match dep.kind {
            Kind::Dockerfile => Ok(plan::dockerfile(&self.names, &target)),
            Kind::Compose => {
                // A stack's compose file stays beside the images of its build: a configuration
                // release interpolates it again with the new variables.
                let source = self
                    .paths
                    .source_dir(&app.name, dep.built_by.unwrap_or(dep.id));
                let vars = target.env.iter().cloned().collect();
                let stack = self.load_stack(&source, &vars).await?;
                plan::stack(&self.names, &target, &stack)
            }
        }
    }

    /// What a plan for release `dep` of `app` is made for: the configuration it records (limits,
    /// mounts, variables, health path), the images it reuses, and the proxy.
    pub(in crate::domain) async fn target<'a>(
        &'a self,
        app: &'a app::Model,
        dep: &deployment::Model,
    ) -> Result<Target<'a>, DeployError> {
        let snapshot = self.release_snapshot(dep, app).await?;
        Ok(Target {
            app: &app.name,
            deployment: dep.id,
            limits: snapshot.limits.into(),
            mounts: self.docker_mounts(&snapshot.mounts),
            edge_network: self.edge_network(&app.name),
            env: self.open_vars(&app.name, &snapshot.vars)?,
            build_args: snapshot.build_args,
            built_by: dep.built_by,
            health_path: snapshot.health_path,
        })
    }

    /// Runs `plan` for deployment `dep` until its main service answers.
    pub(super) async fn execute(
        &self,
        plan: Plan,
        dep: deployment::Model,
        app: &app::Model,
        log: &mut Logbook,
    ) -> Result<(), DeployError> {
        let id = dep.id;
        let source = self.paths.source_dir(&app.name, id);
        let mut images = HashMap::new();
        for service in &plan.services {
            let image = self
                .service_image(id, &service.name, &service.image, &source, log)
                .await?;
            images.insert(service.name.clone(), image);
        }
        // A Dockerfile app's upload is done with once built; a stack's stays for its releases
        // (removed with its images, see `prune_images`).
        if plan.recorded.is_none() {
            let _ = tokio::fs::remove_dir_all(&source).await;
        }
        let (main_image, main_details) = images[&plan.main].clone();
        let port = plan
            .port
            .unwrap_or_else(|| pick_port(&main_details.exposed_tcp_ports));
        log.step(&match plan.services.len() {
            1 if !plan.builds() => format!(
                "running image {main_image} again (no build); the app should answer on port {port}"
            ),
            1 => format!("image {main_image} built; the app should answer on port {port}"),
            _ => format!("images ready; `{}` should answer on port {port}", plan.main),
        })
        .await;

        let mut active: deployment::ActiveModel = dep.into();
        active.image = Set(Some(main_image));
        active.port = Set(Some(i32::from(port)));
        active.services = Set(plan.recorded.as_ref().map(Topology::to_json));
        active.status = Set(Status::Starting);
        let dep = active.update(&self.db).await?;
        self.tell_deployment(&dep).await;

        let edge = self.ensure_edge_network(&app.name).await?;
        self.create_networks(app, id, &plan).await?;
        for (volume, file_name) in &plan.volumes {
            let volume_labels = labels::app_volume(self.names.instance(), &app.name, file_name);
            self.runtime.ensure_volume(volume, volume_labels).await?;
        }
        if plan.writes_volumes {
            self.replace_not_overlap(app, log).await?;
        }

        let mut containers = HashMap::new();
        for service in &plan.services {
            let is_main = service.name == plan.main;
            let image = images[&service.name].0.clone();
            let container = self
                .create_service(app, service, image, is_main.then_some(port))
                .await?;
            containers.insert(service.name.clone(), container);
        }
        let main = containers[&plan.main].clone();
        // A first version has nothing to replace: its route is published now, so the proxy
        // serves it the moment it answers.
        if app.current_deployment_id.is_none()
            && let Some(service) = plan.services.iter().find(|s| s.name == plan.main)
        {
            self.route_to(app, vec![server_url(&service.spec.name, port)]);
        }
        let mut active: deployment::ActiveModel = dep.into();
        active.container_id = Set(Some(main.clone()));
        active.update(&self.db).await?;

        let deadline = Duration::from_secs(self.config.builds.ready_timeout_secs);
        let topology = plan.recorded.clone().unwrap_or_else(Topology::single);
        log.step(&match plan.services.len() {
            1 => format!(
                "starting the container; waiting up to {}s for the app to answer",
                deadline.as_secs()
            ),
            n => format!(
                "starting {n} services in dependency order; waiting up to {}s",
                deadline.as_secs()
            ),
        })
        .await;
        let started = tokio::time::Instant::now();
        self.start_in_order(&topology, &containers, deadline)
            .await
            .map_err(DeployError::App)?;
        let probe = readiness::Probe {
            container: &main,
            network: &edge,
            port,
            health_path: plan.health_path.as_deref(),
        };
        readiness::wait_until_ready(self.runtime.as_ref(), probe, deadline, started).await
    }

    /// The deployment's own networks, each on a free block of the stack pool.
    async fn create_networks(
        &self,
        app: &app::Model,
        id: i64,
        plan: &Plan,
    ) -> Result<(), DeployError> {
        if plan.networks.is_empty() {
            return Ok(());
        }
        let pool = Cidr::parse(&self.config.stack_subnets).map_err(DeployError::Refused)?;
        for (name, file_name) in &plan.networks {
            let mut network_labels = labels::ownership(self.names.instance(), &app.name, id);
            network_labels.insert("com.docker.compose.project".into(), app.name.clone());
            network_labels.insert("com.docker.compose.network".into(), file_name.clone());
            self.runtime
                .ensure_network_in(name, network_labels, &pool)
                .await?;
        }
        Ok(())
    }

    /// Creates one service's container; the routed one (`port` given) gets the routing labels
    /// (for an external proxy) and joins the app's edge network.
    pub(in crate::domain) async fn create_service(
        &self,
        app: &app::Model,
        service: &ServicePlan,
        image: String,
        port: Option<u16>,
    ) -> Result<String, DeployError> {
        let edge = self.edge_network(&app.name);
        let mut spec: ContainerSpec = service.spec.clone();
        spec.image = image;
        if let Some(port) = port {
            spec.labels
                .extend(labels::traefik_routing(&app.name, &app.route, port, &edge));
        }
        let container = self.runtime.create_container(&spec).await?;
        for network in &service.more_networks {
            self.runtime
                .connect_network(&container, network, &spec.aliases)
                .await?;
        }
        if port.is_some() && spec.network != edge {
            self.runtime.connect_network(&container, &edge, &[]).await?;
        }
        Ok(container)
    }

    /// Two versions writing the same files at once can corrupt them: a version that writes to a
    /// volume replaces the running one instead of overlapping with it (which is started again if
    /// the new one fails, see `fail_deployment`).
    async fn replace_not_overlap(
        &self,
        app: &app::Model,
        log: &mut Logbook,
    ) -> Result<(), DeployError> {
        if let Some(current) = app.current_deployment_id {
            log.step("the app writes to volumes: stopping the running version first, so two versions never write the same data")
                .await;
            self.stop_deployment(current).await?;
        }
        Ok(())
    }
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
