//! Start, stop and restart, the same for every kind of app: a deployment's services in
//! dependency order (waiting as its file asks), stopped in reverse.

use std::time::Duration;

use sea_orm::EntityTrait;
use shared::v1::App;

use crate::{
    db::entities::{app::DesiredState, deployment},
    domain::{DomainError, DomainResult, Platform, deploy::plan::Topology},
};

impl Platform {
    /// Starts the current version; a stack in dependency order, waiting as its file asks.
    pub async fn start_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.set_desired(app, DesiredState::Running).await?;
        self.start_deployment(current).await?;
        tracing::info!(app = %name, "started {name}");
        self.refresh_routes().await?;
        self.after_change().await;
        self.get_app(name).await
    }

    /// Stops the current version; a stack in reverse start order.
    pub async fn stop_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.stop_deployment(current).await?;
        self.set_desired(app, DesiredState::Stopped).await?;
        tracing::info!(app = %name, "stopped {name}");
        self.refresh_routes().await?;
        self.after_change().await;
        self.get_app(name).await
    }

    pub async fn restart_app(&self, name: &str) -> DomainResult<App> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        self.stop_deployment(current).await?;
        self.set_desired(app, DesiredState::Running).await?;
        self.start_deployment(current).await?;
        tracing::info!(app = %name, "restarted {name}");
        self.refresh_routes().await?;
        self.after_change().await;
        self.get_app(name).await
    }

    /// Stops a deployment's containers in reverse start order.
    pub(in crate::domain) async fn stop_deployment(&self, id: i64) -> DomainResult<()> {
        let containers = self.deployment_containers(id).await?;
        let topology = self.topology(id).await?;
        self.stop_in_order(&topology, &containers).await?;
        Ok(())
    }

    /// Starts a deployment's containers in dependency order, waiting as it asks.
    pub(in crate::domain) async fn start_deployment(&self, id: i64) -> DomainResult<()> {
        let containers = self.deployment_containers(id).await?;
        let topology = self.topology(id).await?;
        let deadline = Duration::from_secs(self.config.builds.ready_timeout_secs);
        self.start_in_order(&topology, &containers, deadline)
            .await
            .map_err(DomainError::Conflict)
    }

    async fn topology(&self, id: i64) -> DomainResult<Topology> {
        let record = deployment::Entity::find_by_id(id).one(&self.db).await?;
        Ok(Topology::of_record(
            record.as_ref().and_then(|d| d.services.as_deref()),
        ))
    }
}
