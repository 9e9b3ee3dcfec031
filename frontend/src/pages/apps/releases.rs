//! An app's releases, newest first: each with what made it (a build, a configuration change, a
//! rollback), its status, time and what changed, its log on demand, and a rollback to it while
//! its image is kept.

use leptos::prelude::*;
use shared::v1::{Deployment, DeploymentStatus, ReleaseTrigger};

use crate::{
    api::ApiClient,
    components::{BuildLog, ConfirmDialog, DeploymentBadge, Empty, Fetch, Loaded, failure, write},
    format,
};

#[component]
pub fn Releases(app: String, deployments: Fetch<Vec<Deployment>>) -> impl IntoView {
    let list = Memo::new(move |_| deployments.ok().unwrap_or_default());
    let app = StoredValue::new(app);
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Releases"</h2>
            <Loaded
                data=deployments
                loading="Loading releases…"
                is_empty=Vec::is_empty
                empty=|| view! { <Empty title="No releases" text="This app has no versions yet." /> }
            >
                <ul class="deployments">
                    <For each=move || list.get() key=|d| (d.id, d.status as u8, d.kept) let:d>
                        <Release app=app.get_value() deployment=d />
                    </For>
                </ul>
            </Loaded>
        </section>
    }
}

#[component]
fn Release(app: String, deployment: Deployment) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let open = RwSignal::new(!deployment.status.is_final());
    let confirming = RwSignal::new(false);
    let id = deployment.id;
    let when = deployment.created_at;
    let duration = deployment.finished_at.map(|f| {
        format!(
            "took {} s",
            (f - deployment.created_at).num_seconds().max(0)
        )
    });
    let current = deployment.status == DeploymentStatus::Running;
    let trigger = match deployment.trigger {
        ReleaseTrigger::Build => "build",
        ReleaseTrigger::Config => "config",
        ReleaseTrigger::Rollback => "rollback",
    };
    // The new release shows up in this list through the app's events.
    let rollback = write(move || {
        let app = app.clone();
        async move { api.rollback(&app, id).await.map(|_| ()) }
    });
    let rolling = rollback.pending();
    view! {
        <li class="deployment" data-deployment=id data-trigger=trigger>
            <details
                prop:open=open.get_untracked()
                on:toggle=move |ev| {
                    let el = event_target::<web_sys::HtmlDetailsElement>(&ev);
                    open.set(el.open());
                }
            >
                <summary>
                    <span class="deployment-id">{format!("#{id}")}</span>
                    <span class="tag">{trigger}</span>
                    <DeploymentBadge status=deployment.status />
                    <time datetime=format::iso(when) title=format::timestamp(when)>
                        {format::ago(when)}
                    </time>
                    {duration.map(|d| view! { <span class="muted small">{d}</span> })}
                    {current.then(|| view! { <span class="tag">"current"</span> })}
                    // Server text (variable names), shown as text.
                    {(!deployment.changes.is_empty())
                        .then(|| {
                            view! {
                                <ul class="changes">
                                    {deployment
                                        .changes
                                        .iter()
                                        .map(|c| view! { <li>{c.clone()}</li> })
                                        .collect_view()}
                                </ul>
                            }
                        })}
                </summary>
                {deployment
                    .error
                    .clone()
                    .map(|e| view! { <p class="deployment-error">{e}</p> })}
                {move || open.get().then(|| view! { <BuildLog id=id /> })}
            </details>
            {(deployment.kept && !current)
                .then(|| {
                    view! {
                        <div class="deployment-foot">
                            <button
                                type="button"
                                class="btn btn-secondary btn-sm"
                                data-action="rollback"
                                disabled=move || rolling.get()
                                on:click=move |_| confirming.set(true)
                            >
                                {move || if rolling.get() { "Rolling back…" } else { "Roll back" }}
                            </button>
                            {move || {
                                failure(rollback)
                                    .map(|e| view! { <p class="deployment-error">{e.message()}</p> })
                            }}
                        </div>
                        <Show when=move || confirming.get()>
                            <ConfirmDialog
                                title=format!("Roll back to release #{id}?")
                                text="Its image and configuration (variables, secrets, limits, health check) come back as a new release. The running version keeps serving until it answers."
                                confirm_label="Roll back"
                                on_confirm=Callback::new(move |()| {
                                    confirming.set(false);
                                    rollback.dispatch(());
                                })
                                on_cancel=Callback::new(move |()| confirming.set(false))
                            />
                        </Show>
                    }
                })}
        </li>
    }
}
