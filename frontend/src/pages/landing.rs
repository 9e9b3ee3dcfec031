use leptos::{prelude::*, task::spawn_local};
use shared::v1::PublicIndex;

use crate::{
    api::{ApiClient, Error},
    components::{Empty, Loading, Logo, Notice, NoticeKind},
    format,
    routes::{Page, app_href},
};

/// What visitors who are not logged in see at `/`: the running apps and their routes, or a
/// redirect to the default home route when one is set.
#[component]
pub fn Landing() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let index = RwSignal::new(None::<Result<PublicIndex, Error>>);
    spawn_local(async move {
        let answer = api.public_apps().await;
        if let Ok(PublicIndex {
            default_home_route: Some(route),
            ..
        }) = &answer
        {
            let _ = window().location().replace(&app_href(route));
            return;
        }
        let _ = index.try_set(Some(answer));
    });
    let apps = move || {
        match index.get() {
        None => view! { <Loading label="Loading apps…" /> }.into_any(),
        Some(Err(e)) => view! { <Notice kind=NoticeKind::Error message=e.message() /> }.into_any(),
        Some(Ok(index)) if index.apps.is_empty() => view! {
            <Empty
                title="Nothing here yet"
                text="No apps are running on this server at the moment. Check back soon."
            />
        }
        .into_any(),
        Some(Ok(index)) => view! {
            <ul class="public-apps">
                {index
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
                    .collect_view()}
            </ul>
        }
        .into_any(),
    }
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
                {apps}
            </main>
        </div>
    }
}
