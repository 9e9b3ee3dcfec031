use crate::router::A;
use leptos::prelude::*;
use shared::v1::App;

use super::actions::AppActions;
use crate::{
    api::ApiClient,
    components::{Empty, Fetch, Loaded, Notice, NoticeKind, StatusBadge},
    format,
    routes::{Page, app_href},
};

/// Every app with its status, route, deploy date and actions; read again whenever the server
/// says an app or a deployment changed.
#[component]
pub fn AppList() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let events = api.events;
    let apps = Fetch::new(move || {
        events.apps.track();
        async move { api.list_apps().await }
    });
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let on_change = Callback::new(move |()| apps.refetch());
    let on_error = Callback::new(move |m: String| notice.set(Some((NoticeKind::Error, m))));

    // Rows are keyed by what they show, so a read that changes nothing touches no DOM (and keeps
    // keyboard focus where it is).
    let list = Memo::new(move |_| apps.ok().unwrap_or_default());

    view! {
        <div class="page-head">
            <div>
                <h1>"Apps"</h1>
                <p class="muted">
                    {move || match list.with(Vec::len) {
                        0 => "Deploy a ZIP with a Dockerfile and it is online in seconds.".to_string(),
                        1 => "1 app on this server.".to_string(),
                        n => format!("{n} apps on this server."),
                    }}
                </p>
            </div>
            <A href=Page::NewApp.path() class="btn btn-primary">
                "Deploy an app"
            </A>
        </div>
        {move || notice.get().map(|(kind, m)| view! { <Notice kind=kind message=m /> })}
        <Loaded
            data=apps
            loading="Loading apps…"
            is_empty=Vec::is_empty
            empty=|| {
                view! {
                    <Empty title="No apps yet" text="Upload a ZIP with a Dockerfile to deploy your first app.">
                        <A href=Page::NewApp.path() class="btn btn-primary">
                            "Deploy your first app"
                        </A>
                    </Empty>
                }
            }
        >
            <div class="card table-card">
                <table class="apps-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Route"</th>
                            <th scope="col">"Deployed"</th>
                            <th scope="col" class="col-actions">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || list.get()
                            key=|app| {
                                (
                                    app.name.clone(),
                                    crate::components::app_status_key(app.status),
                                    app.current_deployment.as_ref().map(|d| (d.id, d.finished_at)),
                                    app.latest_deployment.as_ref().map(|d| (d.id, d.finished_at)),
                                    app.route.clone(),
                                )
                            }
                            let:app
                        >
                            <AppRow app=app on_change=on_change on_error=on_error />
                        </For>
                    </tbody>
                </table>
            </div>
        </Loaded>
    }
}

#[component]
fn AppRow(app: App, on_change: Callback<()>, on_error: Callback<String>) -> impl IntoView {
    let deployed = app
        .current_deployment
        .as_ref()
        .map(|d| d.finished_at.unwrap_or(d.created_at));
    let building = app
        .latest_deployment
        .as_ref()
        .filter(|d| !d.status.is_final())
        .map(|d| format!("Deploying #{}", d.id));
    let detail = Page::AppDetail(app.name.clone()).path();
    let name = app.name.clone();
    let label = app.name.clone();
    let row = app.name.clone();
    let route = app.route.clone();
    view! {
        <tr data-app=row>
            <td data-label="Name">
                <A href=detail class="app-name">
                    {label}
                </A>
            </td>
            <td data-label="Status">
                <StatusBadge status=app.status />
            </td>
            <td data-label="Route">
                <a class="route" href=app_href(&route) target="_blank" rel="noopener">
                    {route.clone()}
                </a>
            </td>
            <td data-label="Deployed">
                {match deployed {
                    Some(at) => view! {
                        <time datetime=format::iso(at) title=format::timestamp(at)>
                            {format::ago(at)}
                        </time>
                    }
                    .into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
                {building.map(|b| view! { <span class="sub">{b}</span> })}
            </td>
            <td class="col-actions">
                <AppActions
                    name=name
                    status=app.status
                    stack=app.kind == shared::v1::AppKind::Compose
                    on_change=on_change
                    on_error=on_error
                    on_deleted=on_change
                />
            </td>
        </tr>
    }
}
