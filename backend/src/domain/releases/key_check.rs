//! The secrets key is checked at every start: a value sealed under it is kept in the settings,
//! so a changed or missing key stops the start with a clear message instead of surfacing as
//! unreadable secrets at the next deploy. With no secret stored anywhere there is nothing to lose
//! and the check is simply renewed.

use anyhow::bail;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, sea_query::OnConflict};

use super::snapshot::{Snapshot, StoredVar, seal_context};
use crate::{
    db::entities::{app, certificate, deployment, setting, webhook},
    domain::Platform,
    secrets::{CHECK_CONTEXT, CHECK_PLAINTEXT},
};

const CHECK_KEY: &str = "secrets_key_check";

impl Platform {
    /// Refuses to go on when stored secrets were sealed under another key.
    pub async fn check_secrets_key(&self) -> anyhow::Result<()> {
        let stored = setting::Entity::find_by_id(CHECK_KEY).one(&self.db).await?;
        if let Some(row) = &stored
            && self.secrets.open(&row.value, CHECK_CONTEXT).is_ok()
        {
            return Ok(());
        }
        if stored.is_some() && self.holds_secrets().await? {
            bail!(
                "the secrets key does not open the secrets stored in {}: set MILKCRATE_SECRETS_KEY (or SECRET_KEY, when the secrets key is derived from it) to the value they were sealed with",
                self.config.data_dir.display()
            );
        }
        setting::Entity::insert(setting::ActiveModel {
            key: Set(CHECK_KEY.into()),
            value: Set(self.secrets.seal(CHECK_PLAINTEXT, CHECK_CONTEXT)),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .update_column(setting::Column::Value)
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Whether any sealed value is stored (an app's variables, a release's snapshot, a
    /// webhook's secret or an uploaded certificate's key).
    async fn holds_secrets(&self) -> anyhow::Result<bool> {
        let pattern = "%\"sealed\"%";
        let apps = app::Entity::find()
            .filter(app::Column::Vars.like(pattern))
            .count(&self.db)
            .await?;
        let releases = deployment::Entity::find()
            .filter(deployment::Column::Config.like(pattern))
            .count(&self.db)
            .await?;
        let others = webhook::Entity::find().count(&self.db).await?
            + certificate::Entity::find().count(&self.db).await?;
        Ok(apps + releases + others > 0)
    }
}

impl Platform {
    /// A backup's secrets must open under this instance's key (a restore needs the key that
    /// sealed them); the problem, naming the first that does not.
    pub(in crate::domain) fn unopenable_secrets(
        &self,
        apps: &[app::Model],
        deployments: &[deployment::Model],
        certificates: &[certificate::Model],
    ) -> Option<String> {
        if let Some(c) = certificates.iter().find(|c| {
            self.secrets
                .open(
                    &c.key_sealed,
                    &crate::domain::platform::certificate_seal_context(&c.host),
                )
                .is_err()
        }) {
            return Some(format!(
                "the key of the certificate uploaded for `{}` does not open with this instance's secrets key: restore needs the key that sealed it (MILKCRATE_SECRETS_KEY, or SECRET_KEY when that is unset, of the instance that made the backup)",
                c.host
            ));
        }
        let app_name = |id: i64| apps.iter().find(|a| a.id == id).map(|a| a.name.as_str());
        let app_vars = apps
            .iter()
            .map(|a| (a.name.as_str(), Some(a.vars.as_str())));
        let release_vars = deployments.iter().filter_map(|d| {
            let snapshot: Snapshot = serde_json::from_str(d.config.as_deref()?).ok()?;
            Some((app_name(d.app_id)?, snapshot.vars))
        });
        let stored = app_vars
            .filter_map(|(name, json)| {
                Some((name, serde_json::from_str::<Vec<StoredVar>>(json?).ok()?))
            })
            .chain(release_vars);
        for (app, vars) in stored {
            for var in vars {
                if let Some(sealed) = &var.sealed
                    && self
                        .secrets
                        .open(sealed, &seal_context(app, &var.key))
                        .is_err()
                {
                    return Some(format!(
                        "the secret `{}` of app `{app}` does not open with this instance's secrets key: restore needs the key that sealed it (MILKCRATE_SECRETS_KEY, or SECRET_KEY when that is unset, of the instance that made the backup)",
                        var.key
                    ));
                }
            }
        }
        None
    }
}
