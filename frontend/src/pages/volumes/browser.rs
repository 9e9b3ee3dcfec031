use leptos::{ev::SubmitEvent, prelude::*};
use shared::v1::{EntryKind, VolumeListing};
use web_sys::File;

use crate::{
    api::{ApiClient, Error, Progress},
    components::{ConfirmDialog, Fetch, Loaded, Notice, NoticeKind, UploadBar, write},
    format,
    router::{A, use_router},
    routes::Page,
};

/// One volume: browse its folders, upload files or a ZIP, download, create folders, delete.
#[component]
pub fn VolumeDetail(name: String) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = StoredValue::new(name);
    let folder = RwSignal::new(String::new());
    // Follows `folder`: opening a folder reads it.
    let listing = Fetch::new(move || {
        let (n, f) = (name.get_value(), folder.get());
        async move { api.list_folder(&n, &f).await }
    });
    let events = api.events;
    let volume = Fetch::new(move || {
        events.volumes.track();
        let n = name.get_value();
        async move { api.get_volume(&n).await }
    });
    let reload = move || {
        listing.refetch();
        volume.refetch();
    };
    let notice = RwSignal::new(None::<(NoticeKind, String)>);
    // Every write here ends the same way: a notice if it failed, else a fresh listing.
    let after = move |what: &str, outcome: Result<(), Error>| {
        match &outcome {
            Ok(()) => reload(),
            Err(e) => notice.set(Some((
                NoticeKind::Error,
                format!("{what}: {}", e.message()),
            ))),
        }
        outcome
    };

    // Upload
    let files = RwSignal::new_local(Vec::<File>::new());
    let unzip = RwSignal::new(true);
    let progress = RwSignal::new(None::<Progress>);
    let upload = write(move || {
        let (n, f, z) = (
            name.get_value(),
            folder.get_untracked(),
            unzip.get_untracked(),
        );
        let chosen = files.get_untracked();
        async move {
            let on_progress = move |p| progress.set(Some(p));
            let result = api.upload_to_volume(&n, &f, &chosen, z, on_progress).await;
            progress.set(None);
            if let Ok(done) = &result {
                files.set(Vec::new());
                notice.set(Some((
                    NoticeKind::Success,
                    format!(
                        "{} file(s) uploaded, {}",
                        done.files,
                        format::bytes(done.bytes)
                    ),
                )));
            }
            after("Upload refused", result.map(|_| ()))
        }
    });
    let submit_upload = move |ev: SubmitEvent| {
        ev.prevent_default();
        if files.with_untracked(Vec::is_empty) {
            return;
        }
        let total = files.with_untracked(|chosen| chosen.iter().map(|f| f.size()).sum());
        progress.set(Some(Progress { sent: 0.0, total }));
        upload.dispatch(());
    };

    // New folder
    let new_folder = RwSignal::new(String::new());
    let create_folder = write(move || {
        let path = join(&folder.get_untracked(), new_folder.get_untracked().trim());
        let n = name.get_value();
        async move {
            let result = api.create_folder(&n, &path).await;
            if result.is_ok() {
                new_folder.set(String::new());
            }
            after("Cannot create the folder", result)
        }
    });
    let submit_folder = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !new_folder.with_untracked(|f| f.trim().is_empty()) {
            create_folder.dispatch(());
        }
    };

    // Delete (asks first)
    let deleting = RwSignal::new(None::<String>);
    let delete_path = write(move || {
        let (n, path) = (
            name.get_value(),
            deleting.get_untracked().unwrap_or_default(),
        );
        async move { after("Cannot delete", api.delete_path(&n, &path).await) }
    });
    let confirm_delete = move |()| {
        delete_path.dispatch(());
        deleting.set(None);
    };
    let router = use_router();
    let delete_volume = RwSignal::new(false);
    let remove_volume = write(move || {
        let n = name.get_value();
        async move {
            let result = api.delete_volume(&n, false).await;
            match result {
                Ok(()) => router.navigate(&Page::Volumes),
                Err(ref e) => notice.set(Some((
                    NoticeKind::Error,
                    format!("Cannot delete the volume: {}", e.message()),
                ))),
            }
            result
        }
    });
    let confirm_volume = move |()| {
        delete_volume.set(false);
        remove_volume.dispatch(());
    };

    let crumbs = move || {
        let path = folder.get();
        let mut parts = vec![(name.get_value(), String::new())];
        let mut acc = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            acc = join(&acc, segment);
            parts.push((segment.to_string(), acc.clone()));
        }
        parts
            .into_iter()
            .map(|(label, target)| {
                view! {
                    <button type="button" class="crumb" data-folder=target.clone()
                        on:click=move |_| folder.set(target.clone())>{label}</button>
                    <span aria-hidden="true">"/"</span>
                }
            })
            .collect_view()
    };

    view! {
        <nav class="crumbs" aria-label="Breadcrumb">
            <A href=Page::Volumes.path()>"Volumes"</A>
            <span aria-hidden="true">"/"</span>
            <span aria-current="page">{name.get_value()}</span>
        </nav>
        <div class="page-head">
            <div>
                <h1>{name.get_value()}</h1>
                <p class="muted">
                    {move || volume.ok().map(|v| format!(
                        "{} · {} file(s) · {}",
                        format::bytes(v.size_bytes),
                        v.files,
                        if v.mounted_by.is_empty() { "not mounted".to_string() } else { format!("mounted by {}", v.mounted_by.join(", ")) },
                    ))}
                </p>
            </div>
            <div class="actions">
                <a class="btn btn-secondary btn-sm" href=move || ApiClient::archive_url(&name.get_value(), &folder.get()) data-action="download-folder">
                    "Download folder (.tar.gz)"
                </a>
                <button type="button" class="btn btn-danger-ghost btn-sm" data-action="delete-volume" on:click=move |_| delete_volume.set(true)>
                    "Delete volume"
                </button>
            </div>
        </div>
        {move || notice.get().map(|(kind, m)| view! { <Notice kind=kind message=m /> })}
        <div class="card">
            <div class="folder-path">{crumbs}</div>
            <Loaded
                data=listing
                loading="Reading the folder…"
                is_empty=|l: &VolumeListing| l.entries.is_empty()
                empty=|| view! { <p class="muted empty-folder">"This folder is empty."</p> }
            >
                <table class="services-table files-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Size"</th>
                            <th scope="col">"Modified"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || listing.ok().map(|l| l.entries).unwrap_or_default().into_iter().map(|e| {
                            let path = e.path.clone();
                            let open = {
                                let path = path.clone();
                                move |_| folder.set(path.clone())
                            };
                            let name_cell = match e.kind {
                                EntryKind::Folder => view! {
                                    <button type="button" class="link-button" data-open=e.name.clone() on:click=open>{format!("{}/", e.name)}</button>
                                }.into_any(),
                                EntryKind::File => view! {
                                    <a href=ApiClient::file_url(&name.get_value(), &path) download=e.name.clone()>{e.name.clone()}</a>
                                }.into_any(),
                                EntryKind::Symlink => view! { <span title="Links are never followed">{format!("{} (link)", e.name)}</span> }.into_any(),
                                EntryKind::Other => view! { <span>{e.name.clone()}</span> }.into_any(),
                            };
                            let target = path.clone();
                            view! {
                                <tr data-entry=e.name.clone()>
                                    <td>{name_cell}</td>
                                    <td>{if e.kind == EntryKind::File { format::bytes(e.size_bytes) } else { "—".into() }}</td>
                                    <td>{e.modified.map(format::ago).unwrap_or_default()}</td>
                                    <td>
                                        <button type="button" class="btn btn-danger-ghost btn-sm" data-delete=e.name.clone()
                                            on:click=move |_| deleting.set(Some(target.clone()))>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </Loaded>
        </div>
        <div class="detail-grid">
            <form class="card" on:submit=submit_upload>
                <h2>"Upload here"</h2>
                <input type="file" id="volume-files" multiple=true
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        let list = input.files();
                        let mut chosen = Vec::new();
                        if let Some(list) = list {
                            for i in 0..list.length() {
                                if let Some(f) = list.get(i) {
                                    chosen.push(f);
                                }
                            }
                        }
                        files.set(chosen);
                    } />
                <label class="inline-check">
                    <input type="checkbox" prop:checked=move || unzip.get() on:change=move |ev| unzip.set(event_target_checked(&ev)) />
                    "Extract .zip files here"
                </label>
                {move || progress.get().map(|_| view! { <UploadBar progress=progress /> })}
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" data-action="upload" disabled=move || files.with(Vec::is_empty) || progress.get().is_some()>
                        "Upload"
                    </button>
                </div>
            </form>
            <form class="card" on:submit=submit_folder>
                <h2>"New folder"</h2>
                <input type="text" id="new-folder" aria-label="Folder name" placeholder="images"
                    prop:value=move || new_folder.get()
                    on:input=move |ev| new_folder.set(event_target_value(&ev)) />
                <div class="form-actions">
                    <button type="submit" class="btn btn-secondary" data-action="create-folder">"Create folder"</button>
                </div>
            </form>
        </div>
        <Show when=move || deleting.get().is_some()>
            <ConfirmDialog
                title=format!("Delete {}?", deleting.get_untracked().unwrap_or_default())
                text="A folder goes with everything in it. Apps that mount this volume see the change at once. This cannot be undone."
                confirm_label="Delete"
                on_confirm=Callback::new(confirm_delete)
                on_cancel=Callback::new(move |()| deleting.set(None))
            />
        </Show>
        <Show when=move || delete_volume.get()>
            <ConfirmDialog
                title=format!("Delete the volume {}?", name.get_value())
                text="Every file in it is lost. A volume that apps mount is not deleted: the server names them."
                confirm_label="Delete volume"
                on_confirm=Callback::new(confirm_volume)
                on_cancel=Callback::new(move |()| delete_volume.set(false))
            />
        </Show>
    }
}

fn join(base: &str, rest: &str) -> String {
    if base.is_empty() {
        rest.to_string()
    } else {
        format!("{base}/{rest}")
    }
}
