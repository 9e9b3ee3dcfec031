//! Managed volumes mounted into apps: chosen with an upload, kept across redeploys, applied to
//! the app's container (a stack's main service) from the next deployment on.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use shared::v1::Mount;

use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};
use crate::{
    db::entities::{app, app_mount},
    runtime::VolumeMount,
};

const FIELD: &str = "mounts";

impl Platform {
    /// Checks the mounts an upload asks for: valid targets, no target twice, existing volumes.
    pub(in crate::domain) async fn check_mounts(
        &self,
        requested: &[Mount],
    ) -> DomainResult<Vec<Mount>> {
        let existing: HashSet<String> = self.managed_volume_names().await?.into_iter().collect();
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut checked = Vec::new();
        if requested.len() > shared::validation::MAX_MOUNTS {
            problems.push(format!(
                "at most {} mounts per app",
                shared::validation::MAX_MOUNTS
            ));
        }
        for mount in requested {
            let target = match shared::validation::mount_target(&mount.target) {
                Ok(target) => target,
                Err(e) => {
                    problems.push(format!("`{}` {e}", mount.target));
                    continue;
                }
            };
            if !seen.insert(target.clone()) {
                problems.push(format!("`{target}` is mounted twice"));
            }
            if !existing.contains(&mount.volume) {
                problems.push(format!("there is no volume named `{}`", mount.volume));
            }
            checked.push(Mount {
                volume: mount.volume.clone(),
                target,
                read_only: mount.read_only,
            });
        }
        if problems.is_empty() {
            Ok(checked)
        } else {
            Err(DomainError::Invalid(FieldErrors::from([(
                FIELD.to_string(),
                problems,
            )])))
        }
    }

    /// Replaces an app's mounts (inside the caller's transaction).
    pub(in crate::domain) async fn replace_mounts(
        db: &impl ConnectionTrait,
        app_id: i64,
        mounts: &[Mount],
    ) -> DomainResult<()> {
        app_mount::Entity::delete_many()
            .filter(app_mount::Column::AppId.eq(app_id))
            .exec(db)
            .await?;
        if !mounts.is_empty() {
            app_mount::Entity::insert_many(mounts.iter().map(|m| app_mount::ActiveModel {
                app_id: Set(app_id),
                volume: Set(m.volume.clone()),
                target: Set(m.target.clone()),
                read_only: Set(m.read_only),
                ..Default::default()
            }))
            .exec(db)
            .await?;
        }
        Ok(())
    }

    /// Every app's mounts, by app id (one query for a whole list).
    pub(in crate::domain) async fn mounts_by_app(&self) -> DomainResult<HashMap<i64, Vec<Mount>>> {
        let mut by_app: HashMap<i64, Vec<Mount>> = HashMap::new();
        for row in app_mount::Entity::find()
            .order_by_asc(app_mount::Column::Target)
            .all(&self.db)
            .await?
        {
            by_app.entry(row.app_id).or_default().push(to_wire(row));
        }
        Ok(by_app)
    }

    pub(in crate::domain) async fn app_mounts(&self, app_id: i64) -> DomainResult<Vec<Mount>> {
        Ok(app_mount::Entity::find()
            .filter(app_mount::Column::AppId.eq(app_id))
            .order_by_asc(app_mount::Column::Target)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_wire)
            .collect())
    }

    /// The Docker mounts of an app's managed volumes.
    pub(in crate::domain) fn docker_mounts(&self, mounts: &[Mount]) -> Vec<VolumeMount> {
        mounts
            .iter()
            .map(|m| VolumeMount {
                volume: self.names.managed_volume(&m.volume),
                target: m.target.clone(),
                read_only: m.read_only,
            })
            .collect()
    }

    /// Names of the apps that mount `volume`.
    pub async fn apps_mounting(&self, volume: &str) -> DomainResult<Vec<String>> {
        let rows = app_mount::Entity::find()
            .filter(app_mount::Column::Volume.eq(volume))
            .find_also_related(app::Entity)
            .all(&self.db)
            .await?;
        let mut names: Vec<String> = rows
            .into_iter()
            .filter_map(|(_, app)| app.map(|a| a.name))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

fn to_wire(row: app_mount::Model) -> Mount {
    Mount {
        volume: row.volume,
        target: row.target,
        read_only: row.read_only,
    }
}
