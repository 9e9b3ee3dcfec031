use crate::router::A;
use leptos::{ev::SubmitEvent, prelude::*};
use shared::{
    v1::{CreatedApp, Deployment, DeploymentStatus, fields::form},
    validation,
};
use web_sys::File;

use super::deploy_result::DeployResult;
use crate::{
    api::{ApiClient, Progress},
    components::{
        BuildLog, MountsEditor, Notice, NoticeKind, TextField, UploadBar, ZipPicker, failure, write,
    },
    routes::Page,
};

/// Deploy a new app: name and route checked as you type with the server's own rules, a ZIP,
/// the upload's progress, then the build log until the app runs or fails.
#[component]
pub fn NewApp() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = RwSignal::new(String::new());
    let route = RwSignal::new(String::new());
    let route_edited = RwSignal::new(false);
    let name_touched = RwSignal::new(false);
    let route_touched = RwSignal::new(false);
    let submitted = RwSignal::new(false);
    let file = RwSignal::new_local(None::<File>);
    let mounts = RwSignal::new(Vec::<shared::v1::Mount>::new());
    let progress = RwSignal::new(None::<Progress>);
    let created = RwSignal::new(None::<CreatedApp>);
    let finished = RwSignal::new(None::<Deployment>);

    let name_check = Memo::new(move |_| validation::app_name(&name.get()));
    let route_check = Memo::new(move |_| validation::route(&route.get()));
    let create = write(move || {
        let checked = (name_check.get_untracked(), route_check.get_untracked());
        let (chosen, with) = (file.get_untracked(), mounts.get_untracked());
        async move {
            let ((Ok(n), Ok(r)), Some(f)) = (checked, chosen) else {
                return Ok(());
            };
            let on_progress = move |p| progress.set(Some(p));
            match api.create_app(&n, &r, &f, &with, on_progress).await {
                Ok(c) => {
                    created.set(Some(c));
                    Ok(())
                }
                Err(e) => {
                    progress.set(None);
                    Err(e)
                }
            }
        }
    });
    let uploading = create.pending();
    let server_field = move |field: &str| failure(create).and_then(|e| e.field(field));
    let field_error =
        move |field: &'static str, touched: RwSignal<bool>, check: Memo<Result<String, String>>| {
            Signal::derive(move || {
                if let Some(e) = server_field(field) {
                    return Some(e);
                }
                if touched.get() || submitted.get() {
                    check.get().err()
                } else {
                    None
                }
            })
        };
    let name_error = field_error(form::NAME, name_touched, name_check);
    let route_error = field_error(form::ROUTE, route_touched, route_check);
    let file_error = Signal::derive(move || {
        server_field(form::FILE).or_else(|| {
            (submitted.get() && file.with(Option::is_none))
                .then(|| "Choose the app's ZIP".to_string())
        })
    });
    let notice = move || {
        failure(create)
            .filter(|e| !e.is_only_about(&[form::NAME, form::ROUTE, form::FILE, form::MOUNTS]))
            .map(|e| e.message())
    };
    // A new file or a changed field makes the server's last objection stale.
    Effect::new(move |_| {
        file.track();
        create.clear();
    });

    let on_name = Callback::new(move |text: String| {
        create.clear();
        if !route_edited.get_untracked() {
            let suggestion = validation::app_name(&text)
                .map(|n| format!("/{n}"))
                .unwrap_or_default();
            route.set(suggestion);
        }
    });
    let on_route = Callback::new(move |_: String| {
        create.clear();
        route_edited.set(true);
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let (Ok(_), Ok(_), Some(f)) = (
            name_check.get_untracked(),
            route_check.get_untracked(),
            file.get_untracked(),
        ) else {
            return;
        };
        create.clear();
        progress.set(Some(Progress {
            sent: 0.0,
            total: f.size(),
        }));
        create.dispatch(());
    };

    let form = move || {
        view! {
            <form class="card form-card" on:submit=submit novalidate=true>
                {move || notice().map(|m| view! { <Notice kind=NoticeKind::Error message=m /> })}
                <div class="form-grid">
                    <TextField
                        id="name"
                        label="Name"
                        value=name
                        error=name_error
                        hint="Lowercase letters, digits and hyphens."
                        placeholder="my-app"
                        disabled=uploading
                        on_input=on_name
                        on_blur=Callback::new(move |()| name_touched.set(true))
                    />
                    <TextField
                        id="route"
                        label="Route"
                        value=route
                        error=route_error
                        hint="The path it is served under, e.g. /blog."
                        placeholder="/my-app"
                        disabled=uploading
                        on_input=on_route
                        on_blur=Callback::new(move |()| route_touched.set(true))
                    />
                </div>
                <ZipPicker id="file" file=file error=file_error disabled=uploading />
                <MountsEditor
                    mounts=mounts
                    error=Signal::derive(move || server_field(form::MOUNTS))
                />
                {move || progress.get().map(|_| view! { <UploadBar progress=progress /> })}
                <div class="form-actions">
                    <A href=Page::Apps.path() class="btn btn-secondary">
                        "Cancel"
                    </A>
                    <button type="submit" class="btn btn-primary" disabled=move || uploading.get()>
                        {move || if uploading.get() { "Uploading…" } else { "Deploy" }}
                    </button>
                </div>
            </form>
        }
    };

    let stage = move |c: CreatedApp| {
        let id = c.deployment.id;
        view! {
            <div class="card">
                <div class="card-head">
                    <h2>{format!("Deploying {}", c.app.name)}</h2>
                    <span class="muted">{format!("Deployment #{id}")}</span>
                </div>
                <BuildLog id=id show_status=true on_done=Callback::new(move |d: Deployment| finished.set(Some(d))) />
                {move || {
                    finished
                        .get()
                        .map(|d| {
                            let failed = d.status == DeploymentStatus::Failed;
                            view! {
                                <DeployResult app=c.app.name.clone() route=c.app.route.clone() deployment=d />
                                {failed
                                    .then(|| {
                                        view! {
                                            <div class="form-actions">
                                                <button
                                                    type="button"
                                                    class="btn btn-secondary"
                                                    on:click=move |_| {
                                                        created.set(None);
                                                        finished.set(None);
                                                        progress.set(None);
                                                    }
                                                >
                                                    "Back to the form"
                                                </button>
                                            </div>
                                        }
                                    })}
                            }
                        })
                }}
            </div>
        }
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Deploy an app"</h1>
                <p class="muted">"Upload a ZIP with a Dockerfile or a compose file; Milkcrate builds it and puts it online."</p>
            </div>
        </div>
        <div class="narrow-left">
            {move || match created.get() {
                None => form().into_any(),
                Some(c) => stage(c).into_any(),
            }}
        </div>
    }
}
