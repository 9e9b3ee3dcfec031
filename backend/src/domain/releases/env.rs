//! An app's variables and secrets: read (secrets never sent back) and replaced as a whole, which
//! makes a configuration release.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, SqlErr, TransactionTrait};
use shared::v1::{AppEnv, BuildArg, Deployment, EnvVar};

use super::{
    NewRelease,
    snapshot::{Snapshot, StoredVar, seal_context},
};
use crate::{
    db::entities::{app, deployment::Trigger},
    domain::{DomainError, DomainResult, Platform},
};

impl Platform {
    /// The app's variables: plain values shown, secrets as `null`.
    pub async fn app_env(&self, name: &str) -> DomainResult<AppEnv> {
        let app = self.find_app(name).await?;
        let snapshot = Snapshot::of_app(&app, Vec::new());
        Ok(AppEnv {
            vars: snapshot
                .vars
                .into_iter()
                .map(|v| EnvVar {
                    secret: v.is_secret(),
                    value: if v.is_secret() { None } else { v.value },
                    key: v.key,
                })
                .collect(),
            build_args: snapshot
                .build_args
                .into_iter()
                .map(|(key, value)| BuildArg { key, value })
                .collect(),
        })
    }

    /// Replaces the app's variables and build arguments, and releases them on the current image.
    /// A secret sent without a value keeps the one it has.
    pub async fn put_app_env(
        self: &Arc<Self>,
        name: &str,
        env: AppEnv,
    ) -> DomainResult<Deployment> {
        let app = self.find_app(name).await?;
        let mut next = self.app_snapshot(&app).await?;
        let problems = shared::validation::app_env(&env, |key| {
            next.vars.iter().any(|v| v.key == key && v.is_secret())
        });
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        let vars = env
            .vars
            .into_iter()
            .map(|v| match (v.secret, v.value) {
                (true, Some(value)) => StoredVar {
                    sealed: Some(self.secrets.seal(&value, &seal_context(&app.name, &v.key))),
                    value: None,
                    key: v.key,
                },
                (true, None) => next
                    .vars
                    .iter()
                    .find(|old| old.key == v.key && old.is_secret())
                    .cloned()
                    .expect("validation kept only secrets that have a value"),
                (false, value) => StoredVar {
                    key: v.key,
                    value: Some(value.unwrap_or_default()),
                    sealed: None,
                },
            })
            .collect();
        next.vars = vars;
        next.build_args = env
            .build_args
            .into_iter()
            .map(|a| (a.key, a.value))
            .collect();
        self.config_release(&app, next, None, Vec::new()).await
    }

    /// A release of `next` (the app's configuration, changed) on the image that runs now; `route`
    /// moves the app. The app keeps the new configuration even if the release fails.
    pub(in crate::domain) async fn config_release(
        self: &Arc<Self>,
        app: &app::Model,
        next: Snapshot,
        route: Option<String>,
        also_changed: Vec<String>,
    ) -> DomainResult<Deployment> {
        // No app lock: the row is updated column by column (a switchover's `current` stays), and
        // a release made meanwhile is simply older; the newest goes live.
        let base = self.base_release(app).await?;
        let build = super::kept::build_of(&base);
        self.ensure_build_kept(app, &base).await?;
        let before = self
            .release_snapshot(&base, app)
            .await
            .map_err(|e| DomainError::Conflict(e.to_string()))?;
        let mut lines = self.release_changes(&app.name, &before, &next);
        let route = route.filter(|r| *r != app.route);
        if let Some(route) = &route {
            lines.push(format!("route: {} → {route}", app.route));
        }
        lines.extend(also_changed);
        if lines.is_empty() {
            lines.push("no change: the same configuration, released again".into());
        }
        let txn = self.db.begin().await?;
        let mut row: app::ActiveModel = app.clone().into();
        next.apply_to(&mut row);
        if let Some(route) = &route {
            row.route = sea_orm::Set(route.clone());
        }
        row.update(&txn).await.map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => DomainError::Taken(
                [(
                    "route".to_string(),
                    vec![format!(
                        "`{}` is already used by another app",
                        route.clone().unwrap_or_default()
                    )],
                )]
                .into(),
            ),
            _ => e.into(),
        })?;
        let release = NewRelease {
            kind: base.kind,
            trigger: Trigger::Config,
            built_by: Some(build),
            snapshot: next,
            changes: lines,
        }
        .insert(&txn, app.id)
        .await?;
        txn.commit().await?;
        let mut app = app.clone();
        if let Some(route) = route {
            app.route = route;
        }
        Ok(self.release_queued(&app, release).await)
    }
}
