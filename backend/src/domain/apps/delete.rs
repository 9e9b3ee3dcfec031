//! Deleting an app and everything it owns.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    db::entities::{app, deployment},
    domain::{DomainResult, Platform},
    runtime::labels,
};

impl Platform {
    /// Removes the app and everything labelled with it: containers, networks, images, files,
    /// logs, routes (routes live on its containers); its compose volumes only if asked to, since
    /// they hold data. Managed volumes are never touched.
    pub async fn delete_app(&self, name: &str, remove_volumes: bool) -> DomainResult<()> {
        let _guard = self.lock_app(&name.to_ascii_lowercase()).await;
        let app = self.find_app(name).await?;
        let owned = [
            (labels::INSTANCE, self.names.instance()),
            (labels::APP, app.name.as_str()),
        ];
        for container in self.runtime.list_containers(&owned).await? {
            self.runtime.remove_container(&container.id).await?;
        }
        self.remove_edge_network(&app.name).await?;
        for network in self.runtime.list_networks(&owned).await? {
            self.runtime.remove_network(&network.name).await?;
        }
        for image in self.owned_images(Some(&app.name)).await? {
            self.runtime.remove_image(&image.tag).await?;
        }
        if remove_volumes {
            for volume in self.runtime.list_volumes(&owned).await? {
                self.runtime.remove_volume(&volume).await?;
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
        self.refresh_routes().await?;
        self.tell_deleted(&app.name);
        self.after_change().await;
        tracing::info!(app = %app.name, "deleted {}", app.name);
        Ok(())
    }
}
