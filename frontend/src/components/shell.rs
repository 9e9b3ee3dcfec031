use leptos::prelude::*;

use crate::{
    api::ApiClient,
    components::{Loading, write},
    router::{A, Redirect},
    routes::Page,
    state::{Auth, Session},
};

/// The frame of every page behind the login: the header with navigation, and the page itself.
/// Without a session it sends the user to the login page.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<Session>();
    move || match session.auth.get() {
        Auth::Checking => view! {
            <div class="boot">
                <Loading />
            </div>
        }
        .into_any(),
        Auth::LoggedOut => view! { <Redirect page=Page::Login /> }.into_any(),
        Auth::LoggedIn => view! {
            <Header />
            <main class="container" id="main">
                {children()}
            </main>
        }
        .into_any(),
    }
}

#[component]
fn Header() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let session = expect_context::<Session>();
    let logout = write(move || async move {
        // Out either way: a session the server no longer knows is over too.
        let _ = api.logout().await;
        session.logged_out();
        Ok(())
    });
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <A href=Page::Apps.path() class="brand">
                    <Logo />
                    <span>"Milkcrate"</span>
                </A>
                <nav class="nav" aria-label="Main">
                    <A href=Page::Apps.path() exact=true>
                        "Apps"
                    </A>
                    <A href=Page::NewApp.path()>"Deploy"</A>
                    <A href=Page::Volumes.path()>"Volumes"</A>
                    <A href=Page::Tokens.path()>"Tokens"</A>
                    <A href=Page::Audit.path()>"Audit"</A>
                    <A href=Page::Settings.path()>"Settings"</A>
                </nav>
                <button type="button" class="btn btn-ghost btn-sm logout" on:click=move |_| {
                    logout.dispatch(());
                }>
                    "Log out"
                </button>
            </div>
        </header>
    }
}

/// The crate mark, drawn inline so that no asset request is needed.
#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
            <rect x="3" y="7" width="26" height="20" rx="4" class="logo-box"></rect>
            <path d="M3 13h26M11 13v14M21 13v14" class="logo-lines"></path>
            <path d="M9 7l3-4h8l3 4" class="logo-lines"></path>
        </svg>
    }
}
