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
        let data = tempfile::tempdir().expect("a temporary data folder");
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            instance: "test".into(),
            ..Config::default()
        };
        config.builds.ready_timeout_secs = 2;
        adjust(&mut config);
        let paths = super::Paths::new(&config.data_dir);
        paths.create_all().expect("the data folders");
        let db = db::connect(&config.db_path())
            .await
            .expect("a migrated database");
        let runtime = Arc::new(FakeRuntime::new());
        let platform = Platform::new(db, runtime.clone(), config);
        Self {
            platform,
            runtime,
            data,
        }
    }
}
