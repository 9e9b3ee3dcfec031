use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api::{ApiClient, Error},
    components::{Logo, Notice, NoticeKind, TextField, failure, write},
    router::{Redirect, use_router},
    routes::Page,
    state::{Auth, Session},
};

/// Password-only login (Milkcrate has one administrator).
#[component]
pub fn Login() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let session = expect_context::<Session>();
    let router = use_router();
    let password = RwSignal::new(String::new());
    let login = write(move || {
        let password = password.get_untracked();
        async move {
            let response = api.login(password).await?;
            session.logged_in(&response);
            router.navigate(&Page::Apps);
            Ok(())
        }
    });
    let error = Signal::derive(move || match failure(login) {
        Some(Error::Api { message, .. }) => Some(message),
        _ => None,
    });
    let notice = move || match failure(login) {
        Some(e @ Error::Network(_)) => Some(e.message()),
        _ => session.reason.get(),
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !password.get_untracked().is_empty() {
            login.dispatch(());
        }
    };
    view! {
        <Show when=move || session.auth.get() == Auth::LoggedIn && login.value().with(Option::is_none)>
            <Redirect page=Page::Apps />
        </Show>
        <main class="auth-page">
            <div class="auth-card">
                <div class="auth-brand">
                    <Logo />
                    <span>"Milkcrate"</span>
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"Enter the administrator password to manage your apps."</p>
                {move || notice().map(|m| view! { <Notice kind=NoticeKind::Info message=m /> })}
                <form on:submit=submit novalidate=true>
                    <TextField
                        id="password"
                        label="Password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                        error=error
                    />
                    <button
                        type="submit"
                        class="btn btn-primary btn-block"
                        disabled=move || login.pending().get() || password.with(String::is_empty)
                    >
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
            </div>
            <a class="auth-foot" href=Page::Landing.path()>
                "← Back to the public page"
            </a>
        </main>
    }
}
