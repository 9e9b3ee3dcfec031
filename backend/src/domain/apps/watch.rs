//! Live resource use for whoever watches it: `GET /events?stats=<app>` (one app, each of its
//! containers) or `stats=*` (every running app, for the list). One sampler per watched target
//! runs only while at least one client watches it, and its samples go out as transient `stats`
//! events (the API hands each client only those it asked for).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::StreamExt;
use shared::v1::{AppStatus, Event};
use tokio_util::sync::CancellationToken;

use crate::domain::{DomainResult, Platform};

/// A round of samples starts this often (Docker's own sample takes about a second).
const PERIOD: Duration = Duration::from_secs(2);
/// Apps sampled at once by the list's sampler, so a host of apps does not flood the daemon.
const AT_ONCE: usize = 8;

/// What a client watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatsTarget {
    App(String),
    /// Every running app.
    All,
}

impl StatsTarget {
    /// Whether `app`'s samples are for this watcher.
    pub fn covers(&self, app: &str) -> bool {
        match self {
            Self::App(name) => name == app,
            Self::All => true,
        }
    }
}

/// The samplers running, by target, with how many watch each.
#[derive(Default)]
pub(in crate::domain) struct Watches(Mutex<HashMap<StatsTarget, (usize, CancellationToken)>>);

/// Watching a target; the sampler stops when the last watch of it is dropped.
pub struct StatsWatch {
    platform: Arc<Platform>,
    target: StatsTarget,
}

impl Drop for StatsWatch {
    fn drop(&mut self) {
        let mut watches = self
            .platform
            .watches
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((count, token)) = watches.get_mut(&self.target) {
            *count -= 1;
            if *count == 0 {
                token.cancel();
                watches.remove(&self.target);
            }
        }
    }
}

impl Platform {
    /// Starts sampling `target` (unless it already is) until the watch is dropped. An unknown
    /// app is `NotFound`.
    pub async fn watch_stats(self: &Arc<Self>, target: StatsTarget) -> DomainResult<StatsWatch> {
        let target = match target {
            StatsTarget::App(name) => StatsTarget::App(self.find_app(&name).await?.name),
            all => all,
        };
        let mut watches = self.watches.0.lock().unwrap_or_else(|p| p.into_inner());
        let (count, _) = watches.entry(target.clone()).or_insert_with(|| {
            let token = self.shutdown.child_token();
            self.tasks
                .spawn(self.clone().sample_stats(target.clone(), token.clone()));
            (0, token)
        });
        *count += 1;
        Ok(StatsWatch {
            platform: self.clone(),
            target,
        })
    }

    async fn sample_stats(self: Arc<Self>, target: StatsTarget, stop: CancellationToken) {
        loop {
            let next = tokio::time::Instant::now() + PERIOD;
            let apps = match &target {
                StatsTarget::App(name) => vec![name.clone()],
                StatsTarget::All => match self.list_apps().await {
                    Ok(apps) => apps
                        .iter()
                        .filter(|a| a.status == AppStatus::Running)
                        .map(|a| a.name.clone())
                        .collect(),
                    Err(_) => Vec::new(),
                },
            };
            let round = futures_util::stream::iter(apps)
                .map(|app| {
                    let this = &self;
                    async move {
                        // An app that does not run now has nothing to sample.
                        if let Ok(stats) = this.app_stats(&app).await {
                            this.tell_transient(Event::Stats {
                                app: stats.app,
                                services: stats.services,
                            });
                        }
                    }
                })
                .buffer_unordered(AT_ONCE)
                .collect::<Vec<()>>();
            tokio::select! {
                () = stop.cancelled() => return,
                _ = round => {}
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(next) => {}
            }
        }
    }

    /// How many watch `target` (for tests).
    pub fn stats_watchers(&self, target: &StatsTarget) -> usize {
        self.watches
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(target)
            .map_or(0, |(count, _)| *count)
    }
}
