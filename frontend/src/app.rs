//! The root component: session and API client in context, then the routes.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    api::ApiClient,
    components::Shell,
    pages::{Landing, Login, NotFound, SettingsPage, apps},
    routes::Page,
    state::{Auth, Session},
};

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    let api = ApiClient::new(session);
    provide_context(session);
    provide_context(api);
    // Is the session cookie still good? (It is HttpOnly: only the server can tell.)
    spawn_local(async move {
        let auth = match api.session().await {
            Ok(_) => Auth::LoggedIn,
            Err(_) => Auth::LoggedOut,
        };
        session.auth.set(auth);
    });
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Landing />
                <Route path=path!("/admin/login") view=Login />
                <ParentRoute path=path!("/admin") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path=Page::Apps.path() /> } />
                    <Route path=path!("apps") view=apps::AppList />
                    <Route path=path!("apps/new") view=apps::NewApp />
                    <Route path=path!("apps/:name") view=apps::AppDetail />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
