//! Settings kept in the database: the admin password and the default home route.

use std::path::Path;

use anyhow::Context;
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use shared::v1::{PublicIndex, Settings};

use crate::domain::{DomainError, DomainResult, Platform};
use crate::{
    auth::PasswordHasher,
    config::Config,
    db::entities::{app, setting},
};

const PASSWORD_HASH: &str = "admin_password_hash";
const PASSWORD_VERSION: &str = "admin_password_version";
const DEFAULT_HOME_ROUTE: &str = "default_home_route";

impl Platform {
    async fn setting(&self, key: &str) -> DomainResult<Option<String>> {
        Ok(setting::Entity::find_by_id(key.to_string())
            .one(&self.db)
            .await?
            .map(|s| s.value))
    }

    async fn put_setting(&self, key: &str, value: Option<String>) -> DomainResult<()> {
        setting::Entity::delete_by_id(key.to_string())
            .exec(&self.db)
            .await?;
        if let Some(value) = value {
            setting::ActiveModel {
                key: Set(key.into()),
                value: Set(value),
            }
            .insert(&self.db)
            .await?;
        }
        Ok(())
    }

    /// On the first start (no password stored yet), stores the hash of `MILKCRATE_ADMIN_PASSWORD`,
    /// or of a strong random password when it is unset, in any mode: there is no default
    /// password. Returns the generated password, for the caller to show once; it is stored only as
    /// a hash. Later starts keep the stored password (the admin may have changed it) and return
    /// `None`.
    pub async fn init_admin(&self, hasher: &PasswordHasher) -> anyhow::Result<Option<String>> {
        if self.setting(PASSWORD_HASH).await?.is_some() {
            return Ok(None);
        }
        let (password, generated) = match &self.config.admin_password {
            Some(p) => (p.clone(), false),
            None => (generate_password(), true),
        };
        let hash = hasher.hash(&password).await?;
        // Past the stored version, if any (the hash was deleted to reset the password): sessions
        // from before must not come back to life.
        let version = self.password_version().await? + 1;
        self.put_setting(PASSWORD_HASH, Some(hash)).await?;
        self.put_setting(PASSWORD_VERSION, Some(version.to_string()))
            .await?;
        Ok(generated.then_some(password))
    }

    /// Bumped on each password change; tokens carry it, so old sessions end.
    pub async fn password_version(&self) -> DomainResult<i64> {
        Ok(self
            .setting(PASSWORD_VERSION)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn check_password(
        &self,
        hasher: &PasswordHasher,
        password: &str,
    ) -> DomainResult<bool> {
        let Some(hash) = self.setting(PASSWORD_HASH).await? else {
            return Ok(false);
        };
        Ok(hasher.verify(password, &hash).await?)
    }

    pub async fn change_password(
        &self,
        hasher: &PasswordHasher,
        current: &str,
        new: &str,
    ) -> DomainResult<i64> {
        shared::validation::new_password(new).map_err(|e| DomainError::field("new_password", e))?;
        if !self.check_password(hasher, current).await? {
            return Err(DomainError::WrongPassword);
        }
        let hash = hasher.hash(new).await?;
        let version = self.password_version().await? + 1;
        self.put_setting(PASSWORD_HASH, Some(hash)).await?;
        self.put_setting(PASSWORD_VERSION, Some(version.to_string()))
            .await?;
        tracing::info!("the admin password was changed; older sessions are signed out");
        Ok(version)
    }

    pub async fn settings(&self) -> DomainResult<Settings> {
        Ok(Settings {
            default_home_route: self.setting(DEFAULT_HOME_ROUTE).await?,
        })
    }

    /// The default home route must be an existing app's route (the original accepted any string,
    /// including an off-site `//evil.example`).
    pub async fn update_settings(&self, new: Settings) -> DomainResult<Settings> {
        let home = new
            .default_home_route
            .as_deref()
            .map(shared::validation::home_route)
            .transpose()
            .map_err(|e| DomainError::field("default_home_route", e))?
            .flatten();
        let route = match home {
            None => None,
            Some(route) => {
                let exists = app::Entity::find()
                    .filter(app::Column::Route.eq(&route))
                    .one(&self.db)
                    .await?
                    .is_some();
                if !exists {
                    return Err(DomainError::field(
                        "default_home_route",
                        format!("no app is served at `{route}`"),
                    ));
                }
                Some(route)
            }
        };
        self.put_setting(DEFAULT_HOME_ROUTE, route).await?;
        self.tell(shared::v1::Event::Settings);
        self.settings().await
    }

    /// Called when the app at `route` goes: `/` must not keep redirecting to nothing.
    pub(in crate::domain) async fn forget_home_route(&self, route: &str) -> DomainResult<()> {
        if self.setting(DEFAULT_HOME_ROUTE).await?.as_deref() == Some(route) {
            self.put_setting(DEFAULT_HOME_ROUTE, None).await?;
        }
        Ok(())
    }

    pub async fn public_index(&self) -> DomainResult<PublicIndex> {
        Ok(PublicIndex {
            default_home_route: self.settings().await?.default_home_route,
            apps: self.public_apps().await?,
        })
    }
}

/// 24 random letters and digits (about 143 bits): nothing to guess, easy to copy.
fn generate_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

/// The JWT signing secret: `SECRET_KEY`, or in development a random one kept in the data folder.
pub fn load_or_create_secret(config: &Config, path: &Path) -> anyhow::Result<String> {
    if let Some(secret) = &config.secret_key {
        return Ok(secret.clone());
    }
    if let Ok(existing) = std::fs::read_to_string(path)
        && existing.trim().len() >= 32
    {
        return Ok(existing.trim().to_string());
    }
    let secret = Alphanumeric.sample_string(&mut rand::rng(), 64);
    write_private(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!("generated a session secret in {}", path.display());
    Ok(secret)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

/// Sets a new admin password straight in the database, for `milkcrate password` on the host: the
/// recovery path when it is lost (no server, no Docker needed). The version goes up, so every
/// session ends; API tokens are not sessions and keep working.
pub async fn reset_admin_password(
    db: &sea_orm::DatabaseConnection,
    hasher: &PasswordHasher,
    new: &str,
) -> DomainResult<()> {
    shared::validation::new_password(new).map_err(|e| DomainError::field("new_password", e))?;
    let hash = hasher.hash(new).await?;
    let version = setting::Entity::find_by_id(PASSWORD_VERSION.to_string())
        .one(db)
        .await?
        .and_then(|s| s.value.parse::<i64>().ok())
        .unwrap_or(0)
        + 1;
    for (key, value) in [
        (PASSWORD_HASH, hash),
        (PASSWORD_VERSION, version.to_string()),
    ] {
        setting::Entity::delete_by_id(key.to_string())
            .exec(db)
            .await?;
        setting::ActiveModel {
            key: Set(key.into()),
            value: Set(value),
        }
        .insert(db)
        .await?;
    }
    tracing::info!("the admin password was reset from the host; older sessions are signed out");
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{auth::PasswordHasher, domain::testing::TestPlatform};

    #[tokio::test]
    async fn a_first_start_without_a_password_generates_one_and_only_once() {
        let test = TestPlatform::new().await;
        assert!(test.platform.config().admin_password.is_none());
        let hasher = PasswordHasher::new(2);
        let generated = test
            .platform
            .init_admin(&hasher)
            .await
            .unwrap()
            .expect("a generated password");
        assert_eq!(generated.len(), 24);
        assert!(generated.bytes().all(|b| b.is_ascii_alphanumeric()));
        let platform = &test.platform;
        assert!(platform.check_password(&hasher, &generated).await.unwrap());
        for guess in ["admin", "", "password", "changeme"] {
            let works = platform.check_password(&hasher, guess).await.unwrap();
            assert!(!works, "{guess:?} must not work");
        }
        // Only the hash is stored.
        let stored = test.platform.setting(super::PASSWORD_HASH).await.unwrap();
        assert!(stored.is_some_and(|h| h.starts_with("$argon2id$") && !h.contains(&generated)));
        // A second start keeps it and has nothing to show.
        assert_eq!(platform.init_admin(&hasher).await.unwrap(), None);
        assert!(platform.check_password(&hasher, &generated).await.unwrap());
        assert_eq!(platform.password_version().await.unwrap(), 1);
        // A reset (the hash deleted by hand) gives a new password, and a new version, so no
        // session from before is valid again.
        platform
            .put_setting(super::PASSWORD_HASH, None)
            .await
            .unwrap();
        let reset = platform.init_admin(&hasher).await.unwrap().unwrap();
        assert_ne!(reset, generated);
        assert_eq!(platform.password_version().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_configured_password_is_stored_and_not_shown() {
        let test = TestPlatform::with_env(&[("MILKCRATE_ADMIN_PASSWORD", "chosen-password")]).await;
        let hasher = PasswordHasher::new(2);
        assert_eq!(test.platform.init_admin(&hasher).await.unwrap(), None);
        assert!(
            test.platform
                .check_password(&hasher, "chosen-password")
                .await
                .unwrap()
        );
        assert!(
            !test
                .platform
                .check_password(&hasher, "admin")
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn two_instances_get_different_passwords() {
        let hasher = PasswordHasher::new(2);
        let (a, b) = (TestPlatform::new().await, TestPlatform::new().await);
        let a = a.platform.init_admin(&hasher).await.unwrap().unwrap();
        let b = b.platform.init_admin(&hasher).await.unwrap().unwrap();
        assert_ne!(a, b);
    }
}
