//! What changed on the server, from `GET /api/v1/events`: one `EventSource` while logged in,
//! and one trigger per kind of thing pages show, carried by the `ApiClient` (`api.events`). A
//! page's read tracks the trigger of what it shows (in its `Fetch`'s fetcher, before the first
//! `.await`), so an event refetches that read and nothing else. No page polls for status.
//!
//! A trigger is an `RwSignal<bool>`: `set` notifies even when the value does not change, and
//! the module already has that signal type's code.

use leptos::prelude::*;

use super::{Auth, Session};
use crate::{
    api::{EventStream, json_field, keep_open},
    router::Router,
    routes::Page,
};

/// The event names the dashboard listens to (`shared::v1::Event::kind`); others are ignored.
const NAMES: &[&str] = &[
    "app",
    "app_deleted",
    "deployment",
    "volumes",
    "settings",
    "resync",
];

/// The triggers: `track()` one in a read, and the read runs again on its events.
#[derive(Clone, Copy)]
pub struct Events {
    /// Any app or deployment changed (the app list).
    pub apps: RwSignal<bool>,
    /// The app whose page is open changed.
    pub app: RwSignal<bool>,
    /// A managed volume was created or deleted.
    pub volumes: RwSignal<bool>,
    pub settings: RwSignal<bool>,
}

/// The field of an `app`, `app_deleted` or `deployment` event that names the app. Read alone, by
/// the browser: serde's code for `shared::v1::Event` (internally tagged, so buffered) or even for
/// a one-field struct costs the module more.
const APP: &str = "app";

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let trigger = || RwSignal::new(false);
        Self {
            apps: trigger(),
            app: trigger(),
            volumes: trigger(),
            settings: trigger(),
        }
    }

    /// Keeps the stream open while `session` is logged in; `router` tells which app's page is
    /// open. `EventSource` reconnects by itself after a dropped connection, but not after an
    /// answer that is not a stream (a proxy's 502 while Milkcrate restarts): such a stream is
    /// opened again at the next page change (the new page reads what it shows anyway).
    pub fn listen(self, session: Session, router: Router) {
        let events = self;
        keep_open(Box::new(move |open| {
            if session.auth.get() != Auth::LoggedIn {
                return None;
            }
            router.page(); // tracked: a page change runs this again
            open.filter(|s| !s.closed()).or_else(|| {
                EventStream::open(
                    "/events",
                    NAMES,
                    Box::new(move |kind, data| events.received(kind, &data, router)),
                )
            })
        }));
    }

    fn received(&self, kind: &str, data: &str, router: Router) {
        match kind {
            "volumes" => self.volumes.set(true),
            "settings" => self.settings.set(true),
            "resync" => {
                for trigger in [self.apps, self.app, self.volumes, self.settings] {
                    trigger.set(true);
                }
            }
            "closed" => {}
            _ => {
                self.apps.set(true);
                let app = json_field(data, APP).as_string();
                if let (Some(Page::AppDetail(open)), Some(app)) = (router.page(), app)
                    && open.eq_ignore_ascii_case(&app)
                {
                    self.app.set(true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::v1::{AppStatus, DeploymentStatus, Event};

    #[test]
    fn the_app_field_names_the_app() {
        for event in [
            Event::App {
                app: "blog".into(),
                status: AppStatus::Exited,
            },
            Event::AppDeleted { app: "blog".into() },
            Event::Deployment {
                id: 7,
                app: "blog".into(),
                status: DeploymentStatus::Running,
            },
        ] {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json[super::APP], "blog", "{json}");
            assert!(super::NAMES.contains(&event.kind()));
        }
        for event in [Event::Volumes, Event::Settings, Event::Resync] {
            assert!(super::NAMES.contains(&event.kind()));
        }
    }
}
