//! What runs, kept in memory from the runtime's event stream, and what changed, told to whoever
//! listens. One task (`follow_runtime`) subscribes to the runtime's events for this instance,
//! then lists its containers (so nothing falls between the two), applies every change, and on a
//! lost stream (a daemon restart) reconnects with backoff and lists again. Reads of app status
//! come from this view, not from a runtime call per request. Actions resync it themselves, so
//! what they answer is never older than what they did.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use shared::v1::{AppStatus, Event};
use tokio::sync::broadcast;

use super::{DomainResult, Platform};
use crate::runtime::{ContainerState, ContainerSummary, RuntimeEvent, StateChange, labels};

/// Events kept for clients that reconnect with `Last-Event-ID`.
const HISTORY: usize = 1000;
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// An event with its id.
pub type Numbered = (u64, Arc<Event>);

/// The live view and the event bus.
pub struct Live {
    /// By container id; `None` until the first listing.
    containers: RwLock<Option<HashMap<String, ContainerSummary>>>,
    /// The runtime's events are being followed: only then is the view current.
    following: std::sync::atomic::AtomicBool,
    /// Counts changes of the view, so a read computed from it knows when it is out of date.
    generation: AtomicU64,
    /// The last status told per app, so only changes are told.
    told: Mutex<HashMap<String, AppStatus>>,
    bus: broadcast::Sender<Numbered>,
    history: Mutex<VecDeque<Numbered>>,
    next: AtomicU64,
}

impl Default for Live {
    fn default() -> Self {
        // Room for a round of stats samples of a host of apps without a reader lagging.
        let (bus, _) = broadcast::channel(1024);
        Self {
            containers: RwLock::new(None),
            following: Default::default(),
            generation: AtomicU64::new(0),
            told: Mutex::default(),
            bus,
            history: Mutex::default(),
            next: AtomicU64::new(1),
        }
    }
}

/// What a subscriber gets: the events it missed, then the live ones.
pub struct Subscription {
    pub missed: Vec<Numbered>,
    pub live: broadcast::Receiver<Numbered>,
}

impl Live {
    /// The containers as last seen, while the runtime's events are followed.
    pub fn snapshot(&self) -> Option<HashMap<String, ContainerSummary>> {
        if !self.following.load(Ordering::Acquire) {
            return None;
        }
        self.containers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Which version of the view [`Self::snapshot`] gives (ask first); `None` while it is not
    /// current.
    pub fn generation(&self) -> Option<u64> {
        let generation = self.generation.load(Ordering::Acquire);
        self.following.load(Ordering::Acquire).then_some(generation)
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn set_following(&self, following: bool) {
        self.following.store(following, Ordering::Release);
        self.changed();
    }

    fn replace(&self, list: Vec<ContainerSummary>) {
        *self.containers.write().unwrap_or_else(|p| p.into_inner()) =
            Some(list.into_iter().map(|c| (c.id.clone(), c)).collect());
        self.changed();
    }

    /// Applies a change; returns the app it concerns.
    fn apply(&self, event: RuntimeEvent) -> Option<String> {
        let app = event.labels.get(labels::APP).cloned();
        let mut guard = self.containers.write().unwrap_or_else(|p| p.into_inner());
        let containers = guard.as_mut()?;
        self.changed();
        let entry = containers
            .entry(event.container.clone())
            .or_insert_with(|| ContainerSummary {
                id: event.container.clone(),
                name: event.name.clone(),
                image: event.image.clone(),
                state: ContainerState::Created,
                labels: event.labels.clone(),
                health: None,
                exit_code: None,
            });
        match event.change {
            StateChange::Created => {}
            StateChange::Started => {
                entry.state = ContainerState::Running;
                entry.exit_code = None;
            }
            StateChange::Exited(code) => {
                entry.state = ContainerState::Exited;
                entry.exit_code = code;
                entry.health = None;
            }
            StateChange::Health(health) => entry.health = Some(health),
            StateChange::Removed => {
                containers.remove(&event.container);
            }
        }
        app
    }

    /// Tells every subscriber; keeps it for those who reconnect.
    pub fn publish(&self, event: Event) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let numbered = (id, Arc::new(event));
        {
            let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back(numbered.clone());
        }
        let _ = self.bus.send(numbered);
    }

    /// Tells subscribers now, without keeping it for those who reconnect.
    pub fn publish_transient(&self, event: Event) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let _ = self.bus.send((id, Arc::new(event)));
    }

    /// Live events, after those since `last_seen` (a `Last-Event-ID`); a `Resync` first when
    /// some of those are no longer kept.
    pub fn subscribe(&self, last_seen: Option<u64>) -> Subscription {
        let live = self.bus.subscribe();
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        let missed = match last_seen {
            None => Vec::new(),
            Some(seen) => {
                let oldest = history
                    .front()
                    .map_or(self.next.load(Ordering::Relaxed), |e| e.0);
                let mut missed: Vec<Numbered> =
                    history.iter().filter(|e| e.0 > seen).cloned().collect();
                if seen + 1 < oldest {
                    missed.insert(0, (oldest.saturating_sub(1), Arc::new(Event::Resync)));
                }
                missed
            }
        };
        Subscription { missed, live }
    }

    /// Whether `status` is news for `app` (and remembers it).
    fn is_news(&self, app: &str, status: AppStatus) -> bool {
        let mut told = self.told.lock().unwrap_or_else(|p| p.into_inner());
        told.insert(app.to_string(), status) != Some(status)
    }

    fn forget(&self, app: &str) {
        self.told
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(app);
    }
}

impl Platform {
    /// Follows the runtime's events for as long as the platform runs.
    pub async fn follow_runtime(self: Arc<Self>) {
        let mut backoff = BACKOFF_MIN;
        loop {
            let selector = [(labels::INSTANCE, self.names.instance())];
            match self.runtime.events(&selector).await {
                Ok(mut stream) => match self.resync_live().await {
                    Ok(()) => {
                        backoff = BACKOFF_MIN;
                        self.live.set_following(true);
                        while let Some(item) = stream.next().await {
                            match item {
                                Ok(event) => {
                                    let unhealthy = matches!(
                                        event.change,
                                        StateChange::Health(crate::runtime::Health::Unhealthy)
                                    );
                                    if let Some(app) = self.live.apply(event) {
                                        if unhealthy {
                                            self.app_unhealthy(&app).await;
                                        }
                                        self.tell_app_status(&app).await;
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!("the runtime's event stream broke: {e}");
                                    break;
                                }
                            }
                        }
                        // Until the next listing, reads ask the runtime.
                        self.live.set_following(false);
                    }
                    Err(e) => tracing::warn!("cannot list containers: {e}"),
                },
                Err(e) => tracing::debug!("cannot follow the runtime's events: {e}"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Lists what runs into the view and tells every app status that changed.
    pub(in crate::domain) async fn resync_live(&self) -> DomainResult<()> {
        let list = self
            .runtime
            .list_containers(&[(labels::INSTANCE, self.names.instance())])
            .await?;
        self.live.replace(list);
        for app in self.list_apps().await?.iter() {
            if self.live.is_news(&app.name, app.status) {
                self.live.publish(Event::App {
                    app: app.name.clone(),
                    status: app.status,
                });
            }
        }
        Ok(())
    }

    /// After an action: the view caught up, and the changes told. A failure only delays the
    /// view until the next event or resync.
    pub(in crate::domain) async fn after_change(&self) {
        if let Err(e) = self.resync_live().await {
            tracing::debug!("cannot resync the live view: {e}");
        }
    }

    async fn tell_app_status(&self, app: &str) {
        match self.get_app(app).await {
            Ok(view) => {
                if self.live.is_news(app, view.status) {
                    self.live.publish(Event::App {
                        app: view.name,
                        status: view.status,
                    });
                }
            }
            Err(super::DomainError::NotFound { .. }) => {}
            Err(e) => tracing::debug!(app, "cannot tell the status of {app}: {e}"),
        }
    }

    pub(in crate::domain) fn tell_deleted(&self, app: &str) {
        self.live.forget(app);
        self.live.publish(Event::AppDeleted {
            app: app.to_string(),
        });
    }

    pub(in crate::domain) fn tell(&self, event: Event) {
        self.live.publish(event);
    }

    /// Tells what needs no replay (a log line, readable from its log).
    pub(in crate::domain) fn tell_transient(&self, event: Event) {
        self.live.publish_transient(event);
    }

    /// What changes from now on, after those since `last_seen`.
    pub fn subscribe(&self, last_seen: Option<u64>) -> Subscription {
        self.live.subscribe(last_seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnecting_client_gets_what_it_missed_or_is_told_to_resync() {
        let live = Live::default();
        for i in 0..3 {
            live.publish(Event::App {
                app: format!("a{i}"),
                status: AppStatus::Running,
            });
        }
        let resumed = live.subscribe(Some(1));
        let ids: Vec<u64> = resumed.missed.iter().map(|e| e.0).collect();
        assert_eq!(ids, vec![2, 3]);
        assert!(live.subscribe(None).missed.is_empty());

        for _ in 0..HISTORY {
            live.publish(Event::Settings);
        }
        let late = live.subscribe(Some(1));
        assert_eq!(*late.missed[0].1, Event::Resync);
    }

    #[test]
    fn the_view_follows_what_the_runtime_reports() {
        let live = Live::default();
        let event = |change| RuntimeEvent {
            container: "c1".into(),
            name: "mc-blog-1".into(),
            image: "mc/blog:1".into(),
            labels: HashMap::from([(labels::APP.to_string(), "blog".to_string())]),
            change,
        };
        // Nothing is applied before the first listing.
        assert_eq!(live.apply(event(StateChange::Started)), None);
        assert!(live.snapshot().is_none());
        live.replace(Vec::new());
        assert!(live.snapshot().is_none(), "not followed: not current");
        live.set_following(true);
        let before = live.generation();
        live.apply(event(StateChange::Created));
        live.apply(event(StateChange::Started));
        assert_eq!(
            live.snapshot().unwrap()["c1"].state,
            ContainerState::Running
        );
        assert_ne!(live.generation(), before, "a change is a new generation");
        live.apply(event(StateChange::Exited(Some(137))));
        let c = &live.snapshot().unwrap()["c1"];
        assert_eq!((c.state, c.exit_code), (ContainerState::Exited, Some(137)));
        live.apply(event(StateChange::Removed));
        assert!(live.snapshot().unwrap().is_empty());
        assert!(live.is_news("blog", AppStatus::Running));
        assert!(!live.is_news("blog", AppStatus::Running));
    }
}
