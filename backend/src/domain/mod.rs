//! What Milkcrate does, by capability: `apps/` (create, view, lifecycle, delete), `deploy/` (the
//! queue, plans, the one executor, switchover), `releases/` (variables, secrets, rollback,
//! editable settings), `volumes/` (managed volumes, their files, mounts) and `platform/` (the
//! proxy, reconciliation, backups, settings). No axum here; the container engine only through
//! `runtime::ContainerRuntime`, SQLite only through sea-orm. The API asks `Platform`; its fields
//! are private.

pub mod access;
mod apps;
mod convert;
pub mod deploy;
mod error;
pub mod events;
mod names;
mod paths;
mod platform;
pub mod releases;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
mod volumes;
pub mod webhooks;

use std::{collections::HashMap, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use apps::{
    logs::{LogRequest, MAX_TAIL as MAX_LOG_TAIL},
    metrics::PlatformFigures,
    watch::{StatsTarget, StatsWatch},
};
pub use error::{DomainError, DomainResult, FieldErrors};
pub use names::Names;
pub use paths::Paths;
pub use platform::{
    backup::Manifest,
    proxy::CONFIG_ENDPOINT as PROXY_CONFIG_ENDPOINT,
    settings::{load_or_create_secret, reset_admin_password},
    traefik::TOKEN_HEADER as PROXY_TOKEN_HEADER,
    traefik_hosts::TO_HTTPS_PATH,
};
pub use volumes::files::{Download, PAGE as VOLUME_PAGE};

use crate::{config::Config, runtime::ContainerRuntime, secrets::SecretBox};

/// The platform: every use case hangs off this, shared by the API and background tasks.
pub struct Platform {
    db: DatabaseConnection,
    runtime: Arc<dyn ContainerRuntime>,
    config: Config,
    paths: Paths,
    names: Names,
    /// Seals and opens app secrets.
    secrets: SecretBox,
    /// One lock per app, so deploy switchovers, start/stop and delete never interleave.
    locks: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Build slots: the bounded deploy queue.
    builds: Semaphore,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    /// Address of the managed Traefik on the Traefik network, once known: the one peer whose
    /// `X-Forwarded-For` is believed without configuration.
    proxy_address: std::sync::RwLock<Option<std::net::IpAddr>>,
    /// What the managed proxy routes.
    routes: platform::edge::Routes,
    /// What runs (from the runtime's events) and the bus that tells what changed.
    live: events::Live,
    /// The public landing's app list, briefly reused: anyone may ask for it, and each answer
    /// costs a runtime call.
    public_apps: std::sync::Mutex<Option<(std::time::Instant, Vec<shared::v1::PublicApp>)>>,
    /// Whether the database changed, and the app list computed before it did.
    revisions: crate::db::Revisions,
    app_list: apps::ListCache,
    /// The stats samplers running, for clients of the event stream that watch.
    watches: apps::watch::Watches,
    /// The HTTP client webhook deliveries share, made at the first.
    webhook_client: std::sync::OnceLock<reqwest::Client>,
}

impl Platform {
    pub fn new(
        db: DatabaseConnection,
        runtime: Arc<dyn ContainerRuntime>,
        config: Config,
        secrets: SecretBox,
    ) -> Arc<Self> {
        let paths = Paths::new(&config.data_dir);
        let names = Names::new(&config.instance);
        let builds = Semaphore::new(config.builds.concurrency);
        let revisions = crate::db::Revisions::new(config.db_path());
        Arc::new(Self {
            db,
            runtime,
            paths,
            names,
            config,
            secrets,
            locks: Default::default(),
            builds,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            proxy_address: Default::default(),
            routes: Default::default(),
            live: Default::default(),
            public_apps: Default::default(),
            revisions,
            app_list: Default::default(),
            watches: Default::default(),
            webhook_client: Default::default(),
        })
    }

    /// The settings the platform runs with (read-only).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where uploads wait while they are received: on the data disk, beside their destination.
    pub fn upload_dir(&self) -> std::path::PathBuf {
        self.paths.tmp()
    }

    /// The largest upload accepted, in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.config.uploads.max_upload_mb * 1024 * 1024
    }

    async fn lock_app(&self, name: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(name.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// The managed Traefik's address, as last seen by `ensure_proxy`.
    pub fn proxy_address(&self) -> Option<std::net::IpAddr> {
        *self.proxy_address.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops accepting work, interrupts deployments in flight (they are marked failed and their
    /// containers removed) and waits for that to finish.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}
