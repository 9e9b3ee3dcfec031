//! Bringing an earlier release back: its image and its configuration snapshot, as a new release
//! switched over like any other. Only releases whose images are still kept qualify.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use shared::v1::Deployment;

use super::{
    NewRelease,
    kept::{build_of, ran},
};
use crate::{
    db::entities::{
        app,
        deployment::{self, Kind, Trigger},
    },
    domain::{DomainError, DomainResult, Platform, convert},
};

impl Platform {
    /// A new release from release `id`'s image and configuration.
    pub async fn rollback(self: &Arc<Self>, name: &str, id: i64) -> DomainResult<Deployment> {
        let app = self.find_app(name).await?;
        let target = deployment::Entity::find_by_id(id)
            .filter(deployment::Column::AppId.eq(app.id))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("deployment", id))?;
        if !ran(&target) {
            return Err(DomainError::Conflict(format!(
                "release {id} never ran (it is {}); only a release that ran can be brought back",
                format!("{:?}", convert::status(target.status)).to_lowercase()
            )));
        }
        self.ensure_build_kept(&app, &target).await?;
        let snapshot = self
            .release_snapshot(&target, &app)
            .await
            .map_err(|e| DomainError::Conflict(e.to_string()))?;
        let mounts = self.check_mounts(&snapshot.mounts).await?;
        let current = self.base_release(&app).await.ok();
        let mut lines = vec![format!("rollback to release {id}")];
        if let Some(current) = &current {
            let before = self
                .release_snapshot(current, &app)
                .await
                .map_err(|e| DomainError::Conflict(e.to_string()))?;
            lines.extend(self.release_changes(&app.name, &before, &snapshot));
        }
        let txn = self.db.begin().await?;
        let mut row: app::ActiveModel = app.clone().into();
        snapshot.apply_to(&mut row);
        row.update(&txn).await?;
        Self::replace_mounts(&txn, app.id, &mounts).await?;
        let release = NewRelease {
            kind: target.kind,
            trigger: Trigger::Rollback,
            built_by: Some(build_of(&target)),
            snapshot,
            changes: lines,
        }
        .insert(&txn, app.id)
        .await?;
        txn.commit().await?;
        Ok(self.release_queued(&app, release).await)
    }

    /// A conflict unless the images release `dep` runs (and, for a stack, its compose file) are
    /// still kept.
    pub(in crate::domain) async fn ensure_build_kept(
        &self,
        app: &app::Model,
        dep: &deployment::Model,
    ) -> DomainResult<()> {
        let (kept, all) = self.kept_releases(app).await?;
        let build = build_of(dep);
        let image = all
            .iter()
            .find(|d| d.id == build)
            .and_then(|d| d.image.clone());
        let present = match &image {
            Some(image) if kept.keeps_build(build) => {
                self.runtime.image_exists(image).await?
                    && (dep.kind == Kind::Dockerfile
                        || tokio::fs::try_exists(self.paths.source_dir(&app.name, build))
                            .await
                            .unwrap_or(false))
            }
            _ => false,
        };
        if present {
            return Ok(());
        }
        let listed: Vec<String> = kept.releases().iter().map(i64::to_string).collect();
        Err(DomainError::Conflict(format!(
            "the image of release {} is no longer kept: Milkcrate keeps the images of the last {} releases that ran (MILKCRATE_KEEP_RELEASES){}; deploy an upload instead",
            dep.id,
            self.config.keep_releases,
            if listed.is_empty() {
                String::new()
            } else {
                format!(", here releases {}", listed.join(", "))
            }
        )))
    }
}
