use std::time::Duration;

use crate::router::A;
use leptos::{prelude::*, task::spawn_local};
use shared::v1::App;

use super::actions::AppActions;
use crate::{
    api::{ApiClient, Error},
    components::{Empty, Loading, Notice, NoticeKind, StatusBadge, use_interval},
    format,
    routes::{Page, app_href},
};

/// How often the list asks for fresh statuses.
const POLL: Duration = Duration::from_secs(3);

/// Every app with its status, route, deploy date and actions; refreshed every few seconds.
#[component]
pub fn AppList() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let apps = RwSignal::new(None::<Result<Vec<App>, Error>>);
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let load = move || {
        spawn_local(async move {
            let answer = api.list_apps().await;
            let _ = apps.try_set(Some(answer));
        })
    };
    load();
    use_interval(POLL, load);

    let on_change = Callback::new(move |()| load());
    let on_error = Callback::new(move |m: String| notice.set(Some((NoticeKind::Error, m))));

    // Rows are keyed by what they show, so a poll that changes nothing touches no DOM (and keeps
    // keyboard focus where it is).
    let list = Memo::new(move |_| match apps.get() {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    });
    #[derive(Clone, PartialEq)]
    enum Phase {
        Loading,
        Failed(String),
        Empty,
        Ready,
    }
    let phase = Memo::new(move |_| match apps.get() {
        None => Phase::Loading,
        Some(Err(e)) => Phase::Failed(e.message()),
        Some(Ok(list)) if list.is_empty() => Phase::Empty,
        Some(Ok(_)) => Phase::Ready,
    });

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
        {move || match phase.get() {
            Phase::Loading => view! { <Loading label="Loading apps…" /> }.into_any(),
            Phase::Failed(m) => view! { <Notice kind=NoticeKind::Error message=m /> }.into_any(),
            Phase::Empty => view! {
                <Empty title="No apps yet" text="Upload a ZIP with a Dockerfile to deploy your first app.">
                    <A href=Page::NewApp.path() class="btn btn-primary">
                        "Deploy your first app"
                    </A>
                </Empty>
            }
            .into_any(),
            Phase::Ready => view! {
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
            }
            .into_any(),
        }}
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
                        <time datetime=at.to_rfc3339() title=format::timestamp(at)>
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
