use leptos::prelude::*;
use shared::v1::Mount;

use super::Fetch;
use crate::api::ApiClient;

/// Chooses managed volumes to mount into an app: rows of volume, path and read-only. Paths are
/// checked with the server's own rule as they are typed.
#[component]
pub fn MountsEditor(
    mounts: RwSignal<Vec<Mount>>,
    /// The server's objection to the mounts, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    // The volumes to choose from; none while they load or when they cannot be read.
    let events = api.events;
    let list = Fetch::new(move || {
        events.volumes.track();
        async move { api.list_volumes().await }
    });
    let volumes = Memo::new(move |_| {
        list.ok()
            .map(|l| l.into_iter().map(|v| v.name).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let add = move |_| {
        let first = volumes
            .with_untracked(|v| v.first().cloned())
            .unwrap_or_default();
        mounts.update(|m| {
            m.push(Mount {
                volume: first,
                target: String::new(),
                read_only: false,
            })
        });
    };
    let row = move |index: usize| {
        let get = move || mounts.with(|m| m.get(index).cloned());
        let edit = move |f: &dyn Fn(&mut Mount)| {
            mounts.update(|m| {
                if let Some(mount) = m.get_mut(index) {
                    f(mount);
                }
            })
        };
        let problem = move || {
            get().and_then(|m| {
                (!m.target.is_empty())
                    .then(|| shared::validation::mount_target(&m.target).err())
                    .flatten()
            })
        };
        view! {
            <div class="mount-row" data-mount=index>
                <select
                    aria-label="Volume"
                    name=format!("mount-volume-{index}")
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        edit(&|m| m.volume = v.clone());
                    }
                >
                    {move || {
                        let chosen = get().map(|m| m.volume).unwrap_or_default();
                        volumes
                            .get()
                            .into_iter()
                            .map(|v| {
                                let selected = v == chosen;
                                view! { <option value=v.clone() selected=selected>{v.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <input
                    type="text"
                    aria-label="Mount path in the container"
                    name=format!("mount-target-{index}")
                    placeholder="/data"
                    prop:value=move || get().map(|m| m.target).unwrap_or_default()
                    on:input=move |ev| {
                        let t = event_target_value(&ev);
                        edit(&|m| m.target = t.clone());
                    }
                />
                <label class="inline-check">
                    <input
                        type="checkbox"
                        prop:checked=move || get().is_some_and(|m| m.read_only)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            edit(&|m| m.read_only = on);
                        }
                    />
                    "read-only"
                </label>
                <button
                    type="button"
                    class="btn btn-ghost btn-sm"
                    aria-label="Remove this mount"
                    on:click=move |_| mounts.update(|m| {
                        if index < m.len() {
                            m.remove(index);
                        }
                    })
                >
                    "Remove"
                </button>
                {move || problem().map(|p| view! { <p class="field-error">{p}</p> })}
            </div>
        }
    };
    view! {
        <fieldset class="field mounts">
            <legend>"Volumes (optional)"</legend>
            {move || {
                (0..mounts.with(Vec::len)).map(row).collect_view()
            }}
            {move || {
                if volumes.with(Vec::is_empty) {
                    view! { <p class="hint">"No volumes yet: create one under Volumes to mount it here."</p> }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-secondary btn-sm" data-action="add-mount" on:click=add>
                            "Add a volume"
                        </button>
                    }
                        .into_any()
                }
            }}
            {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
        </fieldset>
    }
}
