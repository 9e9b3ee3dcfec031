//! Creating an app from an upload, and queueing a new version of one.

use std::{path::Path, sync::Arc};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set, SqlErr, TransactionTrait};
use shared::v1::{AppKind, CreatedApp, Deployment, Mount};

use crate::{
    compose,
    db::entities::{
        app::{self, DesiredState},
        deployment::{Kind, Trigger},
    },
    domain::{
        DomainError, DomainResult, FieldErrors, Platform, convert,
        releases::{self, NewRelease, Snapshot},
    },
    intake::{self, AppSource},
};

impl Platform {
    /// Checks and extracts an uploaded ZIP into a fresh staging folder, which the caller moves
    /// into place; a compose file must pass the policy. A refused archive leaves nothing behind.
    async fn stage_upload(
        &self,
        upload: &Path,
        app: Option<&app::Model>,
    ) -> DomainResult<(tempfile::TempDir, AppKind)> {
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
            check_added_urls(&[staging.path().join("Dockerfile")]).await?;
            return Ok((staging, AppKind::Dockerfile));
        };
        // The whole policy runs before anything is created, so a refused file costs nothing.
        let managed = self.managed_volume_names().await?;
        let vars = match app {
            Some(app) => self.interpolation_vars(app)?,
            None => Default::default(),
        };
        let (dir, caps) = (staging.path().to_path_buf(), self.compose_caps());
        let checked =
            tokio::task::spawn_blocking(move || compose::load(&dir, &file, &caps, &managed, &vars))
                .await
                .map_err(|e| anyhow::anyhow!("compose check failed: {e}"))?;
        match checked {
            Ok(stack) => {
                let dockerfiles: Vec<_> = stack
                    .services
                    .iter()
                    .filter_map(|s| s.build.as_ref())
                    .map(|b| staging.path().join(&b.context).join(&b.dockerfile))
                    .collect();
                check_added_urls(&dockerfiles).await?;
                Ok((staging, AppKind::Compose))
            }
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
        let (staging, kind) = self.stage_upload(upload, None).await?;

        let limits = self.config.limits;
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let app = app::ActiveModel {
            name: Set(name.clone()),
            route: Set(route.clone()),
            desired_state: Set(DesiredState::Running),
            current_deployment_id: Set(None),
            memory_bytes: Set((limits.memory_mb * 1024 * 1024) as i64),
            nano_cpus: Set((limits.cpus * 1e9) as i64),
            pids: Set(limits.pids as i64),
            created_at: Set(now),
            vars: Set("[]".into()),
            build_args: Set("[]".into()),
            health_path: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| unique_violation(e, &name, &route))?;
        Self::replace_mounts(&txn, app.id, &mounts).await?;
        let snapshot = Snapshot::of_app(&app, mounts);
        let deployment = build_release(kind, snapshot, vec!["first release".into()])
            .insert(&txn, app.id)
            .await?;
        txn.commit().await?;

        self.place_source(staging, &name, deployment.id).await?;
        self.enqueue(deployment.id);
        self.after_change().await;
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
        let (staging, kind) = self.stage_upload(upload, Some(&app)).await?;
        let snapshot = match mounts.clone() {
            Some(mounts) => Snapshot::of_app(&app, mounts),
            None => self.app_snapshot(&app).await?,
        };
        let mut lines = vec!["new image from an upload".to_string()];
        if let Ok(base) = self.base_release(&app).await
            && let Ok(before) = self.release_snapshot(&base, &app).await
        {
            lines.extend(releases::changes_between(&before, &snapshot));
        }
        let txn = self.db.begin().await?;
        if let Some(mounts) = &mounts {
            Self::replace_mounts(&txn, app.id, mounts).await?;
        }
        let deployment = build_release(kind, snapshot, lines)
            .insert(&txn, app.id)
            .await?;
        txn.commit().await?;
        self.place_source(staging, &app.name, deployment.id).await?;
        self.enqueue(deployment.id);
        self.after_change().await;
        tracing::info!(app = %app.name, deployment = deployment.id, "queued a new version of {}", app.name);
        Ok(convert::deployment(deployment, &app.name))
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
}

/// A release built from an upload, with the app's configuration.
fn build_release(kind: AppKind, snapshot: Snapshot, changes: Vec<String>) -> NewRelease {
    NewRelease {
        kind: match kind {
            AppKind::Dockerfile => Kind::Dockerfile,
            AppKind::Compose => Kind::Compose,
        },
        trigger: Trigger::Build,
        built_by: None,
        snapshot,
        changes,
    }
}

/// Refuses an upload whose Dockerfiles `ADD` from the host's own, link-local or private
/// addresses (the build would fetch them from inside the host's network), naming each; a host
/// name is resolved to judge it.
async fn check_added_urls(dockerfiles: &[std::path::PathBuf]) -> DomainResult<()> {
    use intake::origins::{added_urls, forbidden, forbidden_host, url_host};
    let mut problems = Vec::new();
    for path in dockerfiles {
        let Ok(text) = tokio::fs::read_to_string(path).await else {
            continue;
        };
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        for (line, url) in added_urls(&text) {
            let Some(host) = url_host(&url) else { continue };
            let mut why = forbidden_host(&host);
            if why.is_none() && host.parse::<std::net::IpAddr>().is_err() {
                let resolved = tokio::time::timeout(
                    std::time::Duration::from_secs(2),
                    tokio::net::lookup_host((host.as_str(), 80)),
                )
                .await;
                if let Ok(Ok(addresses)) = resolved {
                    why = addresses.map(|a| a.ip()).find_map(forbidden);
                }
            }
            if let Some(why) = why {
                problems.push(format!(
                    "{name}:{line}: ADD {url} fetches from {why}; fetch it beforehand and put it in the ZIP"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Policy(problems))
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
