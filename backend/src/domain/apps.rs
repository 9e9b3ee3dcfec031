//! Apps: create from an upload, list, inspect, start/stop/restart, delete.

use std::{collections::HashMap, path::Path, sync::Arc};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
    TransactionTrait,
};
use shared::v1::{
    App, AppKind, AppStatus, CreatedApp, Deployment, DeploymentLog, DeploymentStatus, Mount,
    PublicApp,
};

use super::{
    DomainError, DomainResult, FieldErrors, Platform, convert, logbook,
    stack::{self, StackPlan},
    status,
};
use crate::{
    compose,
    db::entities::{app, deployment},
    intake::{self, AppSource, IntakeLimits},
    runtime::{ContainerSummary, labels},
};

impl Platform {
    /// The platform's limits, as caps a compose file may lower but not raise.
    pub(super) fn compose_caps(&self) -> compose::Caps {
        let limits = self.config.limits;
        compose::Caps {
            memory_bytes: (limits.memory_mb * 1024 * 1024) as i64,
            nano_cpus: (limits.cpus * 1e9) as i64,
            pids: i64::from(limits.pids),
        }
    }

    pub(super) fn intake_limits(&self) -> IntakeLimits {
        let u = &self.config.uploads;
        IntakeLimits {
            max_entries: u.max_entries,
            max_uncompressed_bytes: u.max_uncompressed_mb * 1024 * 1024,
            ..IntakeLimits::default()
        }
    }

    /// Checks and extracts an uploaded ZIP into a fresh staging folder, which the caller moves
    /// into place; a compose file must pass the policy. A refused archive leaves nothing behind.
    async fn stage_upload(&self, upload: &Path) -> DomainResult<(tempfile::TempDir, AppKind)> {
        let staging = tempfile::Builder::new()
            .prefix("stage-")
            .tempdir_in(self.paths.tmp())
            .map_err(|e| anyhow::anyhow!("creating staging folder: {e}"))?;
        let (zip, dest, limits) = (
            upload.to_path_buf(),
            staging.path().to_path_buf(),
            self.intake_limits(),
        );
        let extracted =
            tokio::task::spawn_blocking(move || intake::extract_zip(&zip, &dest, &limits))
                .await
                .map_err(|e| anyhow::anyhow!("extraction task failed: {e}"))??;
        let AppSource::Compose(file) = extracted.source else {
            return Ok((staging, AppKind::Dockerfile));
        };
        // The whole policy runs before anything is created, so a refused file costs nothing.
        let managed = self.managed_volume_names().await?;
        let (dir, caps) = (staging.path().to_path_buf(), self.compose_caps());
        let checked =
            tokio::task::spawn_blocking(move || compose::load(&dir, &file, &caps, &managed))
                .await
                .map_err(|e| anyhow::anyhow!("compose check failed: {e}"))?;
        match checked {
            Ok(_) => Ok((staging, AppKind::Compose)),
            Err(problems) => Err(DomainError::Policy(
                problems.iter().map(ToString::to_string).collect(),
            )),
        }
    }

    /// Creates an app from `name`, `route` and an uploaded ZIP, and queues its first deployment.
    pub async fn create_app(
        self: &Arc<Self>,
        name: &str,
        route: &str,
        upload: &Path,
        mounts: &[Mount],
    ) -> DomainResult<CreatedApp> {
        let mut fields = FieldErrors::new();
        let name = shared::validation::app_name(name)
            .map_err(|e| fields.insert("name".into(), vec![e]))
            .ok();
        let route = shared::validation::route(route)
            .map_err(|e| fields.insert("route".into(), vec![e]))
            .ok();
        let (Some(name), Some(route)) = (name, route) else {
            return Err(DomainError::Invalid(fields));
        };
        self.ensure_free(&name, &route).await?;
        let mounts = self.check_mounts(mounts).await?;
        let (staging, kind) = self.stage_upload(upload).await?;

        let limits = self.config.limits;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let app = app::ActiveModel {
            name: Set(name.clone()),
            route: Set(route.clone()),
            desired_state: Set("running".into()),
            current_deployment_id: Set(None),
            memory_bytes: Set((limits.memory_mb * 1024 * 1024) as i64),
            nano_cpus: Set((limits.cpus * 1e9) as i64),
            pids: Set(limits.pids as i64),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, &name, &route))?;
        Self::replace_mounts(&txn, app.id, &mounts).await?;
        let deployment = new_deployment(app.id, kind).insert(&txn).await?;
        txn.commit().await?;

        self.place_source(staging, &name, deployment.id).await?;
        self.enqueue(deployment.id);
        tracing::info!(app = %name, deployment = deployment.id, "created app {name} at {route}");
        let app_view = self.get_app(&name).await?;
        Ok(CreatedApp {
            app: app_view,
            deployment: convert::deployment(deployment, &name),
        })
    }

    /// Queues a new version of an existing app. The running version is untouched until the new
    /// one is ready; a refused upload changes nothing. `mounts`, when given, replace the app's.
    pub async fn redeploy(
        self: &Arc<Self>,
        name: &str,
        upload: &Path,
        mounts: Option<&[Mount]>,
    ) -> DomainResult<Deployment> {
        let app = self.find_app(name).await?;
        let mounts = match mounts {
            Some(m) => Some(self.check_mounts(m).await?),
            None => None,
        };
        let (staging, kind) = self.stage_upload(upload).await?;
        let txn = self.db.begin().await?;
        if let Some(mounts) = &mounts {
            Self::replace_mounts(&txn, app.id, mounts).await?;
        }
        let deployment = new_deployment(app.id, kind).insert(&txn).await?;
        txn.commit().await?;
        self.place_source(staging, &app.name, deployment.id).await?;
        self.enqueue(deployment.id);
        tracing::info!(app = %app.name, deployment = deployment.id, "queued a new version of {}", app.name);
        Ok(convert::deployment(deployment, &app.name))
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

    async fn place_source(
        &self,
        staging: tempfile::TempDir,
        app: &str,
        deployment: i64,
    ) -> DomainResult<()> {
        let target = self.paths.source_dir(app, deployment);
        let parent = self.paths.app_dir(app);
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", parent.display()))?;
        let staged = staging.keep();
        tokio::fs::rename(&staged, &target)
            .await
            .map_err(|e| anyhow::anyhow!("moving the upload into place: {e}"))?;
        Ok(())
    }

    pub(super) async fn find_app(&self, name: &str) -> DomainResult<app::Model> {
        let name = name.to_ascii_lowercase();
        app::Entity::find()
            .filter(app::Column::Name.eq(&name))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("app", name))
    }

    /// Every app with its live status: one Docker call for the whole list.
    pub async fn list_apps(&self) -> DomainResult<Vec<App>> {
        let apps = app::Entity::find()
            .order_by_asc(app::Column::Name)
            .all(&self.db)
            .await?;
        let containers = self.app_containers().await?;
        let mut mounts = self.mounts_by_app().await?;
        // One query for every app's deployments, newest first, instead of one per app.
        let mut by_app: HashMap<i64, Vec<deployment::Model>> = HashMap::new();
        for d in deployment::Entity::find()
            .order_by_desc(deployment::Column::Id)
            .all(&self.db)
            .await?
        {
            by_app.entry(d.app_id).or_default().push(d);
        }
        Ok(apps
            .into_iter()
            .map(|app| {
                let deployments = by_app.remove(&app.id).unwrap_or_default();
                let mounts = mounts.remove(&app.id).unwrap_or_default();
                view(app, &deployments, &containers, mounts)
            })
            .collect())
    }

    pub async fn get_app(&self, name: &str) -> DomainResult<App> {
        let app = self.find_app(name).await?;
        let containers = self.app_containers().await?;
        let deployments = deployment::Entity::find()
            .filter(deployment::Column::AppId.eq(app.id))
            .order_by_desc(deployment::Column::Id)
            .all(&self.db)
            .await?;
        let mounts = self.app_mounts(app.id).await?;
        Ok(view(app, &deployments, &containers, mounts))
    }

    async fn app_containers(&self) -> DomainResult<HashMap<String, ContainerSummary>> {
        let list = self
            .docker
            .list_containers(&[(labels::INSTANCE, &self.config.instance)])
            .await?;
        Ok(list.into_iter().map(|c| (c.id.clone(), c)).collect())
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

    async fn set_desired(&self, app: app::Model, state: &str) -> DomainResult<()> {
        let mut active: app::ActiveModel = app.into();
        active.desired_state = Set(state.into());
        active.update(&self.db).await?;
        Ok(())
    }

    /// Starts the current version; a stack in dependency order, waiting as its file asks.
    pub async fn start_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.set_desired(app, "running").await?;
        self.start_deployment(current).await?;
        tracing::info!(app = %name, "started {name}");
        self.get_app(name).await
    }

    /// Stops the current version; a stack in reverse start order.
    pub async fn stop_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.stop_deployment(current).await?;
        self.set_desired(app, "stopped").await?;
        tracing::info!(app = %name, "stopped {name}");
        self.get_app(name).await
    }

    pub async fn restart_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.stop_deployment(current).await?;
        self.set_desired(app, "running").await?;
        self.start_deployment(current).await?;
        tracing::info!(app = %name, "restarted {name}");
        self.get_app(name).await
    }

    /// Removes the app and everything labelled with it: containers, networks, images, files,
    /// logs, routes (routes live on its containers); its compose volumes only if asked to, since
    /// they hold data. Managed volumes are never touched.
    pub async fn delete_app(&self, name: &str, remove_volumes: bool) -> DomainResult<()> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let owned = [
            (labels::INSTANCE, self.config.instance.as_str()),
            (labels::APP, app.name.as_str()),
        ];
        for container in self.docker.list_containers(&owned).await? {
            self.docker.remove_container(&container.id).await?;
        }
        for network in self.docker.list_networks(&owned).await? {
            self.docker.remove_network(&network.name).await?;
        }
        for image in self.owned_images(Some(&app.name)).await? {
            self.docker.remove_image(&image.tag).await?;
        }
        if remove_volumes {
            for volume in self.docker.list_volumes(&owned).await? {
                self.docker.remove_volume(&volume).await?;
            }
        }
        let ids: Vec<i64> = deployment::Entity::find()
            .filter(deployment::Column::AppId.eq(app.id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        app::Entity::delete_by_id(app.id).exec(&self.db).await?;
        self.forget_home_route(&app.route).await?;
        for id in ids {
            let _ = tokio::fs::remove_file(self.paths.deployment_log(id)).await;
        }
        let dir = self.paths.app_dir(&app.name);
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(app = %app.name, "cannot remove {}: {e}", dir.display());
        }
        tracing::info!(app = %app.name, "deleted {}", app.name);
        Ok(())
    }

    pub async fn list_deployments(&self, name: &str) -> DomainResult<Vec<Deployment>> {
        let app = self.find_app(name).await?;
        let rows = deployment::Entity::find()
            .filter(deployment::Column::AppId.eq(app.id))
            .order_by_desc(deployment::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|d| convert::deployment(d, &app.name))
            .collect())
    }

    pub async fn get_deployment(&self, id: i64) -> DomainResult<Deployment> {
        let row = deployment::Entity::find_by_id(id)
            .find_also_related(app::Entity)
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("deployment", id))?;
        let app_name = row.1.map(|a| a.name).unwrap_or_default();
        Ok(convert::deployment(row.0, &app_name))
    }

    pub async fn deployment_log(&self, id: i64, offset: u64) -> DomainResult<DeploymentLog> {
        let deployment = self.get_deployment(id).await?;
        // Status first: a final status means every line was already written.
        let (text, next_offset, at_end) =
            logbook::read_from(&self.paths.deployment_log(id), offset)
                .await
                .map_err(|e| anyhow::anyhow!("reading log of deployment {id}: {e}"))?;
        Ok(DeploymentLog {
            id,
            status: deployment.status,
            text,
            next_offset,
            complete: deployment.status.is_final() && at_end,
        })
    }

    /// Apps visitors may see: those with a running version, newest first.
    pub async fn public_apps(&self) -> DomainResult<Vec<PublicApp>> {
        const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(2);
        {
            let cached = self.public_apps.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, apps)) = cached.as_ref()
                && at.elapsed() < FRESH_FOR
            {
                return Ok(apps.clone());
            }
        }
        let apps = self.list_apps().await?;
        let mut public: Vec<PublicApp> = apps
            .into_iter()
            .filter(|a| a.status == AppStatus::Running)
            .map(|a| PublicApp {
                deployed_at: a.current_deployment.and_then(|d| d.finished_at),
                name: a.name,
                route: a.route,
            })
            .collect();
        public.sort_by_key(|a| std::cmp::Reverse(a.deployed_at));
        *self.public_apps.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), public.clone()));
        Ok(public)
    }
}

fn new_deployment(app_id: i64, kind: AppKind) -> deployment::ActiveModel {
    deployment::ActiveModel {
        app_id: Set(app_id),
        kind: Set(convert::kind_str(kind).into()),
        status: Set(convert::status_str(DeploymentStatus::Queued).into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// The UNIQUE constraints are the last word when two uploads race for a name or route.
fn unique_violation(err: sea_orm::DbErr, name: &str, route: &str) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("route") => {
            taken("route", format!("`{route}` is already used by another app"))
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            taken("name", format!("an app named `{name}` already exists"))
        }
        _ => err.into(),
    }
}

fn taken(field: &str, message: String) -> DomainError {
    DomainError::Taken(FieldErrors::from([(field.to_string(), vec![message])]))
}

/// The API's view of an app: its rows (deployments newest first) and what Docker says.
fn view(
    app: app::Model,
    deployments: &[deployment::Model],
    containers: &HashMap<String, ContainerSummary>,
    mounts: Vec<Mount>,
) -> App {
    let current = app
        .current_deployment_id
        .and_then(|id| deployments.iter().find(|d| d.id == id))
        .cloned();
    let latest = deployments.first().cloned();
    let container = current
        .as_ref()
        .and_then(|d| d.container_id.as_ref())
        .and_then(|id| containers.get(id));
    let plan = current
        .as_ref()
        .and_then(|d| StackPlan::from_record(d.services.as_deref()));
    let services = match (&plan, &current) {
        (Some(plan), Some(current)) => {
            stack::service_views(plan, &stack::by_service(containers.values(), current.id))
        }
        _ => Vec::new(),
    };
    let state = if plan.is_some() {
        stack::aggregate_state(&services)
    } else {
        container.map(|c| c.state)
    };
    let status = status::app_status(
        app.desired_state == "running",
        current.is_some(),
        state,
        latest.as_ref().map(|d| convert::parse_status(&d.status)),
    );
    let kind = current
        .as_ref()
        .or(latest.as_ref())
        .map_or(AppKind::Dockerfile, |d| convert::parse_kind(&d.kind));
    let latest = latest.filter(|l| Some(l.id) != app.current_deployment_id);
    App {
        limits: convert::limits(&app),
        mounts,
        port: current
            .as_ref()
            .and_then(|d| d.port)
            .and_then(|p| u16::try_from(p).ok()),
        image: current.as_ref().and_then(|d| d.image.clone()),
        container: container.map(|c| c.id.chars().take(12).collect()),
        current_deployment: current.map(|d| convert::deployment(d, &app.name)),
        latest_deployment: latest.map(|d| convert::deployment(d, &app.name)),
        name: app.name,
        route: app.route,
        kind,
        status,
        services,
        created_at: app.created_at,
    }
}
