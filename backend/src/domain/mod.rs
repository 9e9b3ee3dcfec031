//! Use cases: apps, deployments, settings, reconciliation and the platform's own proxy.
//! No axum here; Docker only through `runtime`, SQLite only through sea-orm.

mod apps;
mod backup;
mod convert;
mod deploy;
mod deploy_stack;
mod error;
mod images;
mod logbook;
mod mounts;
mod paths;
mod proxy;
mod readiness;
mod reconcile;
mod settings;
mod stack;
mod status;
mod volume_files;
mod volume_helper;
mod volumes;

use std::{collections::HashMap, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use backup::Manifest;
pub use error::{DomainError, DomainResult, FieldErrors};
pub use paths::Paths;
pub use settings::load_or_create_secret;
pub use volume_files::Download;

use crate::{config::Config, runtime::Docker};

/// The platform: every use case hangs off this, shared by the API and background tasks.
pub struct Platform {
    pub db: DatabaseConnection,
    pub docker: Docker,
    pub config: Config,
    pub paths: Paths,
    /// One lock per app, so deploy switchovers, start/stop and delete never interleave.
    locks: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Build slots: the bounded deploy queue.
    builds: Semaphore,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    /// Address of the managed Traefik on the Traefik network, once known: the one peer whose
    /// `X-Forwarded-For` is believed without configuration.
    proxy_address: std::sync::RwLock<Option<std::net::IpAddr>>,
    /// The public landing's app list, briefly reused: anyone may ask for it, and each answer
    /// costs a Docker call.
    public_apps: std::sync::Mutex<Option<(std::time::Instant, Vec<shared::v1::PublicApp>)>>,
}

impl Platform {
    pub fn new(db: DatabaseConnection, docker: Docker, config: Config) -> Arc<Self> {
        let paths = Paths::new(&config.data_dir);
        let builds = Semaphore::new(config.builds.concurrency);
        Arc::new(Self {
            db,
            docker,
            paths,
            config,
            locks: Default::default(),
            builds,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            proxy_address: Default::default(),
            public_apps: Default::default(),
        })
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
