//! A platform for tests: a real SQLite file in a temporary data folder (migrated), the in-memory
//! runtime, and settings tuned for speed (short deadlines). No Docker daemon is touched.

use std::sync::Arc;

use super::Platform;
use crate::{config::Config, db, runtime::fake::FakeRuntime};

/// A platform on the fake runtime, with the data folder it owns.
pub struct TestPlatform {
    pub platform: Arc<Platform>,
    pub runtime: Arc<FakeRuntime>,
    pub data: tempfile::TempDir,
}

impl TestPlatform {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    /// A platform whose settings `adjust` may change first.
    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::default();
        config.builds.ready_timeout_secs = 2;
        config.proxy.drain_secs = 0;
        adjust(&mut config);
        Self::build(config).await
    }

    /// A platform configured by these environment variables (as `milkcrate serve` reads them).
    pub async fn with_env(env: &[(&str, &str)]) -> Self {
        let config = Config::load(|key| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
        .expect("a valid test configuration");
        Self::build(config).await
    }

    /// A platform sealing secrets with `key` (the others share one).
    pub async fn with_secrets_key(key: &str) -> Self {
        Self::build_sealing(Config::default(), key).await
    }

    async fn build(config: Config) -> Self {
        Self::build_sealing(config, "test secrets key").await
    }

    async fn build_sealing(mut config: Config, key: &str) -> Self {
        let data = tempfile::tempdir().expect("a temporary data folder");
        config.data_dir = data.path().to_path_buf();
        config.instance = "test".into();
        let paths = super::Paths::new(&config.data_dir);
        paths.create_all().expect("the data folders");
        let db = db::connect(&config.db_path())
            .await
            .expect("a migrated database");
        let runtime = Arc::new(FakeRuntime::new());
        let secrets = crate::secrets::SecretBox::from_material(key);
        let platform = Platform::new(db, runtime.clone(), config, secrets);
        Self {
            platform,
            runtime,
            data,
        }
    }

    /// Another platform on the same data folder and runtime, sealing with `key`.
    pub async fn reopened_with_secrets_key(&self, key: &str) -> Arc<Platform> {
        let config = self.platform.config().clone();
        let db = db::connect(&config.db_path())
            .await
            .expect("the same database");
        let secrets = crate::secrets::SecretBox::from_material(key);
        Platform::new(db, self.runtime.clone(), config, secrets)
    }
}
