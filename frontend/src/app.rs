//! The root component: session, API client and server events in context, then the routes.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::ApiClient,
    components::Shell,
    pages::{AuditPage, Landing, Login, NotFound, SettingsPage, TokensPage, apps, volumes},
    router::Router,
    routes::Page,
    state::{Auth, Events, Session},
};

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    let events = Events::new();
    let api = ApiClient::new(session, events);
    provide_context(session);
    provide_context(api);
    // Is the session cookie still good? (It is HttpOnly: only the server can tell.)
    spawn_local(async move {
        match api.session().await {
            Ok(info) => session.resumed(&info),
            Err(_) => session.auth.set(Auth::LoggedOut),
        }
    });
    let router = Router::new();
    provide_context(router);
    events.listen(session, router);
    move || match router.page() {
        Some(Page::Landing) => view! { <Landing /> }.into_any(),
        Some(Page::Login) => view! { <Login /> }.into_any(),
        Some(page) => view! { <Shell>{admin_page(page.clone())}</Shell> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    }
}

/// The pages behind the login, inside the shell.
fn admin_page(page: Page) -> impl IntoView {
    match page {
        Page::NewApp => view! { <apps::NewApp /> }.into_any(),
        Page::AppDetail(name) => view! { <apps::AppDetail name /> }.into_any(),
        Page::Settings => view! { <SettingsPage /> }.into_any(),
        Page::Tokens => view! { <TokensPage /> }.into_any(),
        Page::Audit => view! { <AuditPage /> }.into_any(),
        Page::Volumes => view! { <volumes::VolumeList /> }.into_any(),
        Page::VolumeDetail(name) => view! { <volumes::VolumeDetail name /> }.into_any(),
        _ => view! { <apps::AppList /> }.into_any(),
    }
}
