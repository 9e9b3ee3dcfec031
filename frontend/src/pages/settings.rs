use leptos::{ev::SubmitEvent, prelude::*};
use shared::{
    v1::{ChangePasswordRequest, Settings},
    validation,
};

use crate::{
    api::{ApiClient, Error},
    components::{Fetch, Loaded, Notice, NoticeKind, TextField, failure, write},
    state::Session,
};

/// Platform settings (the default home route) and the admin password.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <div class="page-head">
            <div>
                <h1>"Settings"</h1>
                <p class="muted">"How visitors land on this server, and your password."</p>
            </div>
        </div>
        <div class="settings-grid">
            <HomeRoute />
            <ChangePassword />
        </div>
    }
}

#[component]
fn HomeRoute() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let choice = RwSignal::new(String::new());
    let events = api.events;
    // Read again when the settings change (not on app events: that would reset a choice being
    // made; `resync` notifies this one too).
    let apps = Fetch::new(move || {
        events.settings.track();
        async move {
            let settings = api.settings().await?;
            let apps = api.list_apps().await?;
            choice.set(settings.default_home_route.unwrap_or_default());
            Ok(apps)
        }
    });
    let save = write(move || {
        let route = choice.get_untracked();
        let settings = Settings {
            default_home_route: (!route.is_empty()).then_some(route),
        };
        async move { api.save_settings(settings).await.map(|_| ()) }
    });
    let saving = save.pending();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.clear();
        save.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="home-title">
            <h2 id="home-title">"Home page"</h2>
            <p class="muted small">
                "What visitors see at / : the list of running apps, or one app of your choice."
            </p>
            <Loaded data=apps loading="Loading…">
                <form on:submit=submit>
                    {move || match save.value().get() {
                        Some(Ok(())) => Some(view! { <Notice kind=NoticeKind::Success message="Saved." /> }.into_any()),
                        Some(Err(e)) => Some(view! {
                            <Notice kind=NoticeKind::Error message=e.field("default_home_route").unwrap_or_else(|| e.message()) />
                        }.into_any()),
                        None => None,
                    }}
                    <div class="field">
                        <label for="home-route">"Default home route"</label>
                        <select
                            id="home-route"
                            prop:value=move || choice.get()
                            on:change=move |ev| {
                                choice.set(event_target_value(&ev));
                                save.clear();
                            }
                        >
                            <option value="">"Show the list of apps"</option>
                            {move || {
                                apps.ok()
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|a| {
                                        let route = a.route.clone();
                                        view! {
                                            <option value=route.clone() selected=choice.get_untracked() == route>
                                                {format!("{} ({})", a.route, a.name)}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </select>
                        <p class="hint">"Visitors of / are redirected there."</p>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || saving.get()>
                            {move || if saving.get() { "Saving…" } else { "Save" }}
                        </button>
                    </div>
                </form>
            </Loaded>
        </section>
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let session = expect_context::<Session>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let submitted = RwSignal::new(false);
    let change = write(move || {
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        async move {
            let login = api.change_password(request).await?;
            session.logged_in(&login);
            for field in [current, new, confirm] {
                field.set(String::new());
            }
            submitted.set(false);
            Ok(())
        }
    });
    let saving = change.pending();
    let outcome = change.value();

    let server_field = move |field: &'static str| failure(change).and_then(|e| e.field(field));
    let current_error = Signal::derive(move || {
        server_field("current_password")
            .or_else(|| match outcome.get() {
                Some(Err(Error::Api {
                    status: 403,
                    message,
                    ..
                })) => Some(message),
                _ => None,
            })
            .or_else(|| {
                (submitted.get() && current.with(String::is_empty))
                    .then(|| "Enter your current password".into())
            })
    });
    let new_error = Signal::derive(move || {
        server_field("new_password").or_else(|| {
            let typed = !new.with(String::is_empty);
            (typed || submitted.get())
                .then(|| validation::new_password(&new.get()).err())
                .flatten()
        })
    });
    let confirm_error = Signal::derive(move || {
        let typed = !confirm.with(String::is_empty);
        ((typed || submitted.get()) && confirm.get() != new.get())
            .then(|| "does not match the new password".to_string())
    });
    let notice = move || match outcome.get() {
        Some(Ok(())) => Some((
            NoticeKind::Success,
            "Password changed. Other sessions have been signed out.".to_string(),
        )),
        Some(Err(e))
            if !matches!(e, Error::Api { status: 403, .. })
                && !e.is_only_about(&["current_password", "new_password"]) =>
        {
            Some((NoticeKind::Error, e.message()))
        }
        _ => None,
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        change.clear();
        if current_error.get_untracked().is_some()
            || new_error.get_untracked().is_some()
            || confirm_error.get_untracked().is_some()
        {
            return;
        }
        change.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            <p class="muted small">"Every other session ends when the password changes."</p>
            <form on:submit=submit novalidate=true>
                {move || notice().map(|(kind, m)| view! { <Notice kind=kind message=m /> })}
                <TextField
                    id="current-password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    value=current
                    error=current_error
                />
                <TextField
                    id="new-password"
                    label="New password"
                    kind="password"
                    autocomplete="new-password"
                    value=new
                    error=new_error
                    hint=format!("At least {} characters.", validation::MIN_PASSWORD_LEN)
                />
                <TextField
                    id="confirm-password"
                    label="Repeat the new password"
                    kind="password"
                    autocomplete="new-password"
                    value=confirm
                    error=confirm_error
                />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Change password" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
