use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::v1::Volume;

use crate::{
    api::{ApiClient, Error},
    components::{Empty, Loading, Notice, NoticeKind, TextField},
    format,
    router::A,
    routes::Page,
};

/// Every volume with its size, file count and the apps mounting it; a form to create one.
#[component]
pub fn VolumeList() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let volumes = RwSignal::new(None::<Result<Vec<Volume>, Error>>);
    let load = move || {
        spawn_local(async move {
            let answer = api.list_volumes().await;
            let _ = volumes.try_set(Some(answer));
        })
    };
    load();

    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let server_error = RwSignal::new(None::<Error>);
    let busy = RwSignal::new(false);
    let name_error = Signal::derive(move || {
        if let Some(e) = server_error.with(|e| e.as_ref().and_then(|e| e.field("name"))) {
            return Some(e);
        }
        touched
            .get()
            .then(|| shared::validation::volume_name(&name.get()).err())
            .flatten()
    });
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if shared::validation::volume_name(&name.get_untracked()).is_err() {
            return;
        }
        busy.set(true);
        server_error.set(None);
        spawn_local(async move {
            let (n, d) = (name.get_untracked(), description.get_untracked());
            match api.create_volume(&n, &d).await {
                Ok(_) => {
                    name.set(String::new());
                    description.set(String::new());
                    touched.set(false);
                    load();
                }
                Err(e) => server_error.set(Some(e)),
            }
            let _ = busy.try_set(false);
        });
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Volumes"</h1>
                <p class="muted">"Docker volumes Milkcrate manages: files you upload, mounted into apps."</p>
            </div>
        </div>
        <form class="card form-card volume-form" on:submit=create novalidate=true>
            <div class="form-grid">
                <TextField id="volume-name" label="Name" value=name error=name_error
                    hint="Lowercase letters, digits and hyphens." placeholder="uploads"
                    on_blur=Callback::new(move |()| touched.set(true)) />
                <TextField id="volume-description" label="Description" value=description
                    error=Signal::derive(move || server_error.with(|e| e.as_ref().and_then(|e| e.field("description"))))
                    placeholder="What it holds" />
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create volume" }}
                </button>
            </div>
        </form>
        {move || match volumes.get() {
            None => view! { <Loading label="Loading volumes…" /> }.into_any(),
            Some(Err(e)) => view! { <Notice kind=NoticeKind::Error message=e.message() /> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <Empty title="No volumes yet" text="Create one above, upload files into it, and mount it into an app when you deploy." />
            }.into_any(),
            Some(Ok(list)) => view! {
                <div class="card table-card">
                    <table class="apps-table volumes-table">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Size"</th>
                                <th scope="col">"Files"</th>
                                <th scope="col">"Mounted by"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|v| {
                                let href = Page::VolumeDetail(v.name.clone()).path();
                                let label = v.name.clone();
                                view! {
                                <tr data-volume=v.name.clone()>
                                    <td>
                                        <A href=href class="app-name">{label}</A>
                                        <span class="sub">{v.description.clone()}</span>
                                    </td>
                                    <td>{format::bytes(v.size_bytes)}</td>
                                    <td>{v.files}</td>
                                    <td>{if v.mounted_by.is_empty() { "—".to_string() } else { v.mounted_by.join(", ") }}</td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}
