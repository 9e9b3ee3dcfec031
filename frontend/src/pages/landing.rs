use leptos::prelude::*;
use shared::v1::PublicIndex;

use crate::{
    api::ApiClient,
    components::{Empty, Fetch, Loaded, Logo},
    format,
    routes::{Page, app_href},
};

/// What visitors who are not logged in see at `/`: the running apps and their routes, or a
/// redirect to the default home route when one is set.
#[component]
pub fn Landing() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let index = Fetch::new(move || async move {
        let answer = api.public_apps().await;
        if let Ok(PublicIndex {
            default_home_route: Some(route),
            ..
        }) = &answer
        {
            // The spinner stays while the browser leaves for the app.
            let _ = window().location().replace(&app_href(route));
            std::future::pending::<()>().await;
        }
        answer
    });
    let apps = move || {
        index.ok().map(|index| {
            index
                .apps
                .into_iter()
                .map(|app| {
                    let href = app_href(&app.route);
                    view! {
                        <li>
                            <a class="public-app" href=href>
                                <span class="public-app-icon" aria-hidden="true">
                                    {app.name.chars().next().unwrap_or('?').to_ascii_uppercase()}
                                </span>
                                <span class="public-app-text">
                                    <span class="public-app-name">{app.name.clone()}</span>
                                    <span class="public-app-route">{app.route.clone()}</span>
                                </span>
                                <span class="public-app-date">
                                    {app.deployed_at.map(|d| format!("Updated {}", format::ago(d)))}
                                </span>
                            </a>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <div class="landing">
            <header class="landing-head">
                <div class="brand">
                    <Logo />
                    <span>"Milkcrate"</span>
                </div>
                <a class="btn btn-secondary btn-sm" href=Page::Apps.path()>
                    "Admin"
                </a>
            </header>
            <main class="container narrow">
                <section class="hero">
                    <h1>"Apps on this server"</h1>
                    <p class="muted">"Everything hosted here, one click away."</p>
                </section>
                <Loaded
                    data=index
                    loading="Loading apps…"
                    is_empty=|index: &PublicIndex| index.apps.is_empty()
                    empty=|| {
                        view! {
                            <Empty
                                title="Nothing here yet"
                                text="No apps are running on this server at the moment. Check back soon."
                            />
                        }
                    }
                >
                    <ul class="public-apps">{apps}</ul>
                </Loaded>
            </main>
        </div>
    }
}
