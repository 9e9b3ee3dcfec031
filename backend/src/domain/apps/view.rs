//! What the API shows of apps: each with its live status (one runtime call for the whole list),
//! their deployments and logs, and the public list of running apps.

use std::{collections::HashMap, sync::Arc};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::v1::{App, AppKind, AppStatus, Deployment, DeploymentLog, Mount, PublicApp};

use super::status;
use crate::{
    db::entities::{
        app::{self, DesiredState},
        deployment::{self, Kind},
    },
    domain::{
        DomainError, DomainResult, Platform, convert,
        deploy::{logbook, order, plan::Topology},
    },
    runtime::{ContainerSummary, labels},
};

/// What the app list is computed from: the database's revision and the live view's generation.
type ListKey = (crate::db::Revision, u64);

/// The app list as last computed, reused until what it came from changes.
#[derive(Default)]
pub(in crate::domain) struct ListCache(std::sync::Mutex<Option<(ListKey, Arc<[App]>)>>);

impl Platform {
    /// Every app with its live status: no runtime call while the live view is current (one
    /// otherwise), and of each app's history only the two deployments shown. Reused while no
    /// commit and no runtime event came in between (profiled: at 500 apps the cost is in
    /// fetching 1000 rows, not in computing the list).
    pub async fn list_apps(&self) -> DomainResult<Arc<[App]>> {
        // Asked before reading, so a change made meanwhile makes the next read compute again.
        let key = match (self.live.generation(), self.revisions.current().await) {
            (Some(generation), Some(revision)) => Some((revision, generation)),
            _ => None,
        };
        let lock = || self.app_list.0.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(key), Some((cached, list))) = (key, lock().as_ref())
            && key == *cached
        {
            return Ok(list.clone());
        }
        let list: Arc<[App]> = self.compute_app_list().await?.into();
        if let Some(key) = key {
            *lock() = Some((key, list.clone()));
        }
        Ok(list)
    }

    async fn compute_app_list(&self) -> DomainResult<Vec<App>> {
        let apps = app::Entity::find()
            .order_by_asc(app::Column::Name)
            .all(&self.db)
            .await?;
        let containers = self.app_containers().await?;
        let mut mounts = self.mounts_by_app().await?;
        let mut by_app: HashMap<i64, Vec<deployment::Model>> = HashMap::new();
        for d in self.shown_deployments(None).await? {
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
        let deployments = self.shown_deployments(Some(app.id)).await?;
        let mounts = self.app_mounts(app.id).await?;
        Ok(view(app, &deployments, &containers, mounts))
    }

    /// The deployments an app view shows, newest first: each app's latest and its current one
    /// (of one app, or of all). Two small queries, whatever the history's length.
    async fn shown_deployments(&self, app_id: Option<i64>) -> DomainResult<Vec<deployment::Model>> {
        use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
        let latest = Query::select()
            .expr(Func::max(Expr::col(deployment::Column::Id)))
            .from(deployment::Entity)
            .group_by_col(deployment::Column::AppId)
            .to_owned();
        let current = Query::select()
            .column(app::Column::CurrentDeploymentId)
            .from(app::Entity)
            .and_where(Expr::col(app::Column::CurrentDeploymentId).is_not_null())
            .to_owned();
        let mut query = deployment::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(deployment::Column::Id.in_subquery(latest))
                    .add(deployment::Column::Id.in_subquery(current)),
            )
            .order_by_desc(deployment::Column::Id);
        if let Some(id) = app_id {
            query = query.filter(deployment::Column::AppId.eq(id));
        }
        Ok(query.all(&self.db).await?)
    }

    /// The instance's containers: from the live view once it is filled, else from the runtime.
    async fn app_containers(&self) -> DomainResult<HashMap<String, ContainerSummary>> {
        if let Some(view) = self.live.snapshot() {
            return Ok(view);
        }
        let list = self
            .runtime
            .list_containers(&[(labels::INSTANCE, self.names.instance())])
            .await?;
        Ok(list.into_iter().map(|c| (c.id.clone(), c)).collect())
    }

    /// An app's releases, newest first, each saying whether a rollback to it is possible.
    pub async fn list_deployments(&self, name: &str) -> DomainResult<Vec<Deployment>> {
        let app = self.find_app(name).await?;
        let (kept, rows) = self.kept_releases(&app).await?;
        Ok(rows
            .into_iter()
            .map(|d| {
                let can_roll_back = kept.can_roll_back_to(&d);
                Deployment {
                    kept: can_roll_back,
                    ..convert::deployment(d, &app.name)
                }
            })
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
            .iter()
            .filter(|a| a.status == AppStatus::Running)
            .map(|a| PublicApp {
                deployed_at: a.current_deployment.as_ref().and_then(|d| d.finished_at),
                name: a.name.clone(),
                route: a.route.clone(),
            })
            .collect();
        public.sort_by_key(|a| std::cmp::Reverse(a.deployed_at));
        *self.public_apps.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), public.clone()));
        Ok(public)
    }
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
    // A stack shows its services and stands for them all; a Dockerfile app is its container.
    let stack = current
        .as_ref()
        .filter(|d| d.kind == Kind::Compose)
        .and_then(|d| Some((d.id, Topology::from_record(d.services.as_deref())?)));
    let services = match &stack {
        Some((id, topology)) => {
            order::service_views(topology, &order::by_service(containers.values(), *id))
        }
        None => Vec::new(),
    };
    let state = if stack.is_some() {
        order::aggregate_state(&services)
    } else {
        container.map(|c| c.state)
    };
    let status = status::app_status(
        app.desired_state == DesiredState::Running,
        current.is_some(),
        state,
        latest.as_ref().map(|d| convert::status(d.status)),
    );
    let kind = current
        .as_ref()
        .or(latest.as_ref())
        .map_or(AppKind::Dockerfile, |d| convert::kind(d.kind));
    let latest = latest.filter(|l| Some(l.id) != app.current_deployment_id);
    App {
        limits: convert::limits(&app),
        health_path: app.health_path.clone(),
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
