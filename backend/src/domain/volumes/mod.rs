//! Managed volumes: create, list (size and file count), inspect, delete. Files inside them are in
//! `files.rs`; the helper container that reaches them in `helper.rs`; mounts into apps in
//! `mounts.rs`.

use std::collections::HashMap;

pub mod files;
pub mod helper;
mod mounts;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use shared::v1::Volume;

use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};
use crate::{
    db::entities::{app_mount, volume},
    runtime::{RuntimeError, labels},
};

/// The label carrying a managed volume's name on its Docker volume.
pub const VOLUME_LABEL: &str = "milkcrate.volume";
use shared::validation::MAX_VOLUME_DESCRIPTION_LEN as MAX_DESCRIPTION;

impl Platform {
    /// Names of the managed volumes (what a compose file or a mount may name).
    pub(in crate::domain) async fn managed_volume_names(&self) -> DomainResult<Vec<String>> {
        Ok(volume::Entity::find()
            .order_by_asc(volume::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    pub(in crate::domain) async fn find_volume(&self, name: &str) -> DomainResult<volume::Model> {
        let name = name.to_ascii_lowercase();
        volume::Entity::find()
            .filter(volume::Column::Name.eq(&name))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("volume", name))
    }

    pub async fn create_volume(&self, name: &str, description: &str) -> DomainResult<Volume> {
        let mut fields = FieldErrors::new();
        let name = shared::validation::volume_name(name)
            .map_err(|e| fields.insert("name".into(), vec![e]))
            .ok();
        // Counted as sent, so that the schema's `maxLength` states the rule exactly.
        if description.chars().count() > MAX_DESCRIPTION {
            fields.insert(
                "description".into(),
                vec![format!("must be at most {MAX_DESCRIPTION} characters long")],
            );
        }
        let description = description.trim();
        let Some(name) = name.filter(|_| fields.is_empty()) else {
            return Err(DomainError::Invalid(fields));
        };
        let row = volume::ActiveModel {
            name: Set(name.clone()),
            description: Set(description.to_string()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                DomainError::Taken(FieldErrors::from([(
                    "name".to_string(),
                    vec![format!("a volume named `{name}` already exists")],
                )]))
            }
            _ => e.into(),
        })?;
        let docker_labels = HashMap::from([
            (labels::INSTANCE.to_string(), self.config.instance.clone()),
            (VOLUME_LABEL.to_string(), name.clone()),
        ]);
        if let Err(e) = self
            .runtime
            .ensure_volume(&self.names.managed_volume(&name), docker_labels)
            .await
        {
            volume::Entity::delete_by_id(row.id).exec(&self.db).await?;
            return Err(e.into());
        }
        tracing::info!(volume = %name, "created volume {name}");
        self.tell(shared::v1::Event::Volumes);
        Ok(self.volume_views(vec![row]).await?.remove(0))
    }

    pub async fn list_volumes(&self) -> DomainResult<Vec<Volume>> {
        let rows = volume::Entity::find()
            .order_by_asc(volume::Column::Name)
            .all(&self.db)
            .await?;
        self.volume_views(rows).await
    }

    pub async fn get_volume(&self, name: &str) -> DomainResult<Volume> {
        let row = self.find_volume(name).await?;
        Ok(self.volume_views(vec![row]).await?.remove(0))
    }

    /// Deletes a volume and its data. Refused while apps mount it, naming them, unless `force`
    /// (which also removes those mounts); Docker refuses while a container still uses it.
    pub async fn delete_volume(&self, name: &str, force: bool) -> DomainResult<()> {
        let row = self.find_volume(name).await?;
        let apps = self.apps_mounting(&row.name).await?;
        if !apps.is_empty() && !force {
            return Err(DomainError::Conflict(format!(
                "`{}` is mounted by {}; remove the mounts (redeploy without them) or delete with force=true",
                row.name,
                apps.join(", ")
            )));
        }
        // Helpers of earlier requests are removed in the background; they must not hold it.
        self.remove_helpers().await?;
        match self
            .runtime
            .remove_volume(&self.names.managed_volume(&row.name))
            .await
        {
            Err(RuntimeError::Conflict(_)) => {
                return Err(DomainError::Conflict(format!(
                    "`{}` is in use by a running container (apps: {}); stop or redeploy them first",
                    row.name,
                    if apps.is_empty() {
                        "a compose stack naming it".to_string()
                    } else {
                        apps.join(", ")
                    }
                )));
            }
            other => other?,
        }
        app_mount::Entity::delete_many()
            .filter(app_mount::Column::Volume.eq(&row.name))
            .exec(&self.db)
            .await?;
        volume::Entity::delete_by_id(row.id).exec(&self.db).await?;
        tracing::info!(volume = %row.name, "deleted volume {}", row.name);
        self.tell(shared::v1::Event::Volumes);
        Ok(())
    }

    /// Rows with their sizes, file counts and mounts: one helper for the whole list.
    async fn volume_views(&self, rows: Vec<volume::Model>) -> DomainResult<Vec<Volume>> {
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        let (mut sizes, mut counts) = (HashMap::new(), HashMap::<String, u64>::new());
        if !names.is_empty() {
            let session = self.helper_session(&names).await?;
            let paths: Vec<String> = names.iter().map(|n| format!("/v/{n}")).collect();
            let mut du_args = vec!["-sk"];
            du_args.extend(paths.iter().map(String::as_str));
            sizes = helper::parse_du(&session.run("du", &du_args).await?);
            let mut find_args: Vec<&str> = paths.iter().map(String::as_str).collect();
            find_args.extend(["-xdev", "-type", "f"]);
            for line in session.run("find", &find_args).await?.lines() {
                if let Some(volume) = line.strip_prefix("/v/").and_then(|r| r.split('/').next()) {
                    *counts.entry(volume.to_string()).or_default() += 1;
                }
            }
        }
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(Volume {
                size_bytes: sizes.get(&format!("/v/{}", row.name)).copied().unwrap_or(0),
                files: counts.get(&row.name).copied().unwrap_or(0),
                mounted_by: self.apps_mounting(&row.name).await?,
                name: row.name,
                description: row.description,
                created_at: row.created_at,
            });
        }
        Ok(views)
    }
}
