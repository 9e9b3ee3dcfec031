use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api::ApiClient,
    components::{Empty, Fetch, Loaded, TextField, failure, write},
    format,
    router::A,
    routes::Page,
};

/// Every volume with its size, file count and the apps mounting it; a form to create one.
#[component]
pub fn VolumeList() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let events = api.events;
    let volumes = Fetch::new(move || {
        events.volumes.track();
        async move { api.list_volumes().await }
    });

    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let create = write(move || {
        let (n, d) = (name.get_untracked(), description.get_untracked());
        async move {
            let created = api.create_volume(&n, &d).await.map(|_| ());
            if created.is_ok() {
                name.set(String::new());
                description.set(String::new());
                touched.set(false);
                volumes.refetch();
            }
            created
        }
    });
    let server_field = move |field: &str| failure(create).and_then(|e| e.field(field));
    let name_error = Signal::derive(move || {
        server_field("name").or_else(|| {
            touched
                .get()
                .then(|| shared::validation::volume_name(&name.get()).err())
                .flatten()
        })
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if shared::validation::volume_name(&name.get_untracked()).is_err() {
            return;
        }
        create.clear();
        create.dispatch(());
    };
    let busy = create.pending();

    view! {
        <div class="page-head">
            <div>
                <h1>"Volumes"</h1>
                <p class="muted">"Docker volumes Milkcrate manages: files you upload, mounted into apps."</p>
            </div>
        </div>
        <form class="card form-card volume-form" on:submit=submit novalidate=true>
            <div class="form-grid">
                <TextField id="volume-name" label="Name" value=name error=name_error
                    hint="Lowercase letters, digits and hyphens." placeholder="uploads"
                    on_blur=Callback::new(move |()| touched.set(true)) />
                <TextField id="volume-description" label="Description" value=description
                    error=Signal::derive(move || server_field("description"))
                    placeholder="What it holds" />
            </div>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create volume" }}
                </button>
            </div>
        </form>
        <Loaded
            data=volumes
            loading="Loading volumes…"
            is_empty=Vec::is_empty
            empty=|| view! {
                <Empty title="No volumes yet" text="Create one above, upload files into it, and mount it into an app when you deploy." />
            }
        >
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
                        {move || volumes.ok().unwrap_or_default().into_iter().map(|v| {
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
        </Loaded>
    }
}
