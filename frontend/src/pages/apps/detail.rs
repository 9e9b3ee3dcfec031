use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::v1::{App, AppKind, Deployment, ServiceHealth, ServiceState, ServiceStatus, fields};
use web_sys::File;

use super::{
    actions::AppActions,
    deploy_result::DeployResult,
    domains::{Domains, Rows},
    logs::Logs,
    releases::Releases,
    settings::AppSettings,
};
use crate::{
    api::{ApiClient, Progress},
    components::{
        BuildLog, Fetch, Loaded, Notice, NoticeKind, StatusBadge, UploadBar, ZipPicker, failure,
        sleep, write,
    },
    format,
    router::use_router,
    routes::{Page, app_href},
};

/// How often the CPU and memory figures are read again (ms).
const STATS_MS: i32 = 5000;

/// One app: its state, a new version and its output (Overview), its configuration (Settings),
/// and its releases with their logs.
#[component]
pub fn AppDetail(name: String) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let events = api.events;
    // Both follow the server's events about this app (no polling).
    let app = Fetch::new({
        let name = name.clone();
        move || {
            events.app.track();
            let name = name.clone();
            async move { api.get_app(&name).await }
        }
    });
    let deployments = Fetch::new({
        let name = name.clone();
        move || {
            events.app.track();
            let name = name.clone();
            async move { api.list_deployments(&name).await }
        }
    });
    let reload = move || {
        app.refetch();
        deployments.refetch();
    };
    // CPU and memory: sampled by the server (about a second), read again while the page is open;
    // the host names with them.
    let usage = RwSignal::new(None::<String>);
    let domains: Rows = RwSignal::new(None);
    spawn_local({
        let name = name.clone();
        async move {
            loop {
                // A certificate's state changes without an event: read with the figures.
                if let Ok(r) = api.app_domains(&name).await {
                    let _ = domains.try_set(Some(r));
                }
                let now = api.app_usage(&name).await.ok().map(|(cpu, memory)| {
                    format!(
                        "{} % CPU, {} memory",
                        format::cores(cpu),
                        format::bytes(memory as u64)
                    )
                });
                if usage.try_set(now).is_some() {
                    return; // the page is gone
                }
                sleep(STATS_MS).await;
            }
        }
    });
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    let router = use_router();
    let on_change = Callback::new(move |()| reload());
    let on_error = Callback::new(move |m: String| notice.set(Some((NoticeKind::Error, m))));
    let on_deleted = Callback::new(move |()| router.navigate(&Page::Apps));

    let current = Memo::new(move |_| app.ok());
    let head = move || {
        current.get().map(|a| {
            view! {
                <div class="page-head">
                    <div>
                        <div class="title-row">
                            <h1>{a.name.clone()}</h1>
                            <StatusBadge status=a.status />
                        </div>
                        <p class="muted">
                            "Served at "
                            <a href=app_href(&a.route) target="_blank" rel="noopener" class="route">
                                {a.route.clone()}
                            </a>
                        </p>
                    </div>
                    <AppActions
                        name=a.name.clone()
                        status=a.status
                        stack=a.kind == AppKind::Compose
                        on_change=on_change
                        on_error=on_error
                        on_deleted=on_deleted
                    />
                </div>
            }
        })
    };
    let version_name = name.clone();
    // The Settings tab is built when first opened.
    let settings = RwSignal::new(false);
    let opened = RwSignal::new(false);
    let tab = move |label: &'static str, is_settings: bool| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                data-tab=label
                aria-selected=move || (settings.get() == is_settings).to_string()
                on:click=move |_| {
                    settings.set(is_settings);
                    opened.set(opened.get_untracked() || is_settings);
                }
            >
                {label}
            </button>
        }
    };

    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href=Page::Apps.path()>"Apps"</a>
            <span aria-hidden="true">"/"</span>
            <span aria-current="page">{name}</span>
        </nav>
        <Loaded data=app loading="Loading app…">
            {head}
            {move || notice.get().map(|(kind, m)| view! { <Notice kind=kind message=m /> })}
            <div class="tabs" role="tablist">
                {tab("Overview", false)}
                {tab("Settings", true)}
            </div>
            // Both stay mounted once shown: an upload, a followed log or unsaved settings survive
            // a switch.
            <div role="tabpanel" hidden=move || settings.get()>
                <div class="detail-grid">
                    <Overview app=current usage=usage />
                    <Services app=current />
                    <Domains name=version_name.clone() rows=domains />
                    <NewVersion
                        name=version_name.clone()
                        route=Signal::derive(move || current.get().map(|a| a.route).unwrap_or_default())
                        on_done=on_change
                    />
                </div>
                <Logs name=version_name.clone() />
            </div>
            <div role="tabpanel" hidden=move || !settings.get()>
                {
                    let name = version_name.clone();
                    move || {
                        opened
                            .get()
                            .then(|| {
                                view! {
                                    <AppSettings name=name.clone() app=current deployments=deployments />
                                }
                            })
                    }
                }
            </div>
            <Releases app=version_name.clone() deployments=deployments />
        </Loaded>
    }
}

#[component]
fn Overview(app: Memo<Option<App>>, usage: RwSignal<Option<String>>) -> impl IntoView {
    let row = |label: &'static str, value: Option<String>| {
        view! {
            <div class="kv">
                <dt>{label}</dt>
                <dd>{value.unwrap_or_else(|| "—".into())}</dd>
            </div>
        }
    };
    move || {
        app.get().map(|a| {
            view! {
                <section class="card" aria-labelledby="overview-title">
                    <h2 id="overview-title">"Overview"</h2>
                    <dl class="kv-list">
                        {row("Route", Some(a.route.clone()))}
                        {row(
                            "Kind",
                            Some(
                                match a.kind {
                                    AppKind::Dockerfile => "Dockerfile",
                                    AppKind::Compose => "Compose stack",
                                }
                                    .into(),
                            ),
                        )}
                        {row("Image", a.image.clone())}
                        {row(
                            "Volumes",
                            (!a.mounts.is_empty())
                                .then(|| {
                                    a.mounts
                                        .iter()
                                        .map(|m| format!(
                                            "{} → {}{}",
                                            m.volume,
                                            m.target,
                                            if m.read_only { " (read-only)" } else { "" },
                                        ))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }),
                        )}
                        {row("Container", a.container.clone())}
                        {row("Port", a.port.map(|p| p.to_string()))}
                        {row("Memory limit", Some(format::bytes(a.limits.memory_bytes)))}
                        {row("CPU limit", Some(format!("{} cores", format::cores(a.limits.cpus))))}
                        {row("Process limit", Some(a.limits.pids.to_string()))}
                        {row("Created", Some(format::timestamp(a.created_at)))}
                        <div class="kv" data-usage="">
                            <dt>"Usage"</dt>
                            <dd>{move || usage.get().unwrap_or_else(|| "—".into())}</dd>
                        </div>
                    </dl>
                </section>
            }
        })
    }
}

/// A stack's services in start order, with what Docker says of each.
#[component]
fn Services(app: Memo<Option<App>>) -> impl IntoView {
    let state = |s: &ServiceStatus| -> (String, &'static str) {
        let text = match (s.state, s.exit_code) {
            (ServiceState::Running, _) => "running".to_string(),
            (ServiceState::Restarting, _) => "restarting".to_string(),
            (ServiceState::Created, _) => "created".to_string(),
            (ServiceState::Missing, _) => "missing".to_string(),
            (ServiceState::Exited, Some(0)) if s.one_shot => "completed".to_string(),
            (ServiceState::Exited, Some(code)) => format!("exited ({code})"),
            (ServiceState::Exited, None) => "exited".to_string(),
        };
        let class = match s.state {
            ServiceState::Running => "state-running",
            ServiceState::Exited if s.one_shot && s.exit_code == Some(0) => "",
            _ => "state-bad",
        };
        (text, class)
    };
    move || {
        app.get().filter(|a| !a.services.is_empty()).map(|a| {
            view! {
                <section class="card" aria-labelledby="services-title">
                    <h2 id="services-title">"Services"</h2>
                    <table class="services-table">
                        <thead>
                            <tr>
                                <th scope="col">"Service"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Health"</th>
                                <th scope="col">"Image"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {a.services
                                .iter()
                                .map(|s| {
                                    let (text, class) = state(s);
                                    let health = match s.health {
                                        Some(ServiceHealth::Starting) => "starting",
                                        Some(ServiceHealth::Healthy) => "healthy",
                                        Some(ServiceHealth::Unhealthy) => "unhealthy",
                                        None => "—",
                                    };
                                    view! {
                                        <tr data-service=s.name.clone()>
                                            <td>
                                                {s.name.clone()}
                                                {s.main.then(|| view! { <span class="tag" title="Traefik routes the app's route here">"routed"</span> })}
                                            </td>
                                            <td class=class>{text}</td>
                                            <td>{health}</td>
                                            <td class="mono">{s.image.clone().unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </section>
            }
        })
    }
}

#[component]
fn NewVersion(name: String, route: Signal<String>, on_done: Callback<()>) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = StoredValue::new(name);
    let file = RwSignal::new_local(None::<File>);
    let submitted = RwSignal::new(false);
    let progress = RwSignal::new(None::<Progress>);
    let started = RwSignal::new(None::<i64>);
    let finished = RwSignal::new(None::<Deployment>);
    let deploy = write(move || {
        let (n, chosen) = (name.get_value(), file.get_untracked());
        async move {
            let Some(f) = chosen else {
                return Ok(());
            };
            let on_progress = move |p| progress.set(Some(p));
            match api.deploy_version(&n, &f, on_progress).await {
                Ok(d) => {
                    started.set(Some(d.id));
                    file.set(None);
                    submitted.set(false);
                    on_done.run(());
                    Ok(())
                }
                Err(e) => {
                    progress.set(None);
                    Err(e)
                }
            }
        }
    });
    let uploading = deploy.pending();
    // A new file makes the server's last objection stale.
    Effect::new(move |_| {
        file.track();
        deploy.clear();
    });
    let file_error = Signal::derive(move || {
        failure(deploy)
            .and_then(|e| e.field(fields::form::FILE))
            .or_else(|| {
                (submitted.get() && file.with(Option::is_none))
                    .then(|| "Choose the new version's ZIP".to_string())
            })
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let Some(f) = file.get_untracked() else {
            return;
        };
        started.set(None);
        finished.set(None);
        progress.set(Some(Progress {
            sent: 0.0,
            total: f.size(),
        }));
        deploy.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="new-version-title">
            <h2 id="new-version-title">"Deploy a new version"</h2>
            <p class="muted small">"The running version keeps serving until the new one answers."</p>
            <form on:submit=submit novalidate=true>
                {move || {
                    failure(deploy)
                        .filter(|e| !e.is_only_about(&[fields::form::FILE]))
                        .map(|e| view! { <Notice kind=NoticeKind::Error message=e.message() /> })
                }}
                <ZipPicker id="version-file" file=file error=file_error disabled=uploading />
                {move || progress.get().map(|_| view! { <UploadBar progress=progress /> })}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || uploading.get()>
                        {move || if uploading.get() { "Uploading…" } else { "Deploy version" }}
                    </button>
                </div>
            </form>
            {move || {
                started
                    .get()
                    .map(|id| {
                        view! {
                            <BuildLog
                                id=id
                                show_status=true
                                on_done=Callback::new(move |d: Deployment| {
                                    finished.set(Some(d));
                                    on_done.run(());
                                })
                            />
                        }
                    })
            }}
            {move || {
                finished
                    .get()
                    .map(|d| {
                        view! {
                            <DeployResult app=name.get_value() route=route.get_untracked() deployment=d />
                        }
                    })
            }}
        </section>
    }
}
