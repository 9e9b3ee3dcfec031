//! An app's variables, secrets and build arguments, saved as a whole (`PUT /apps/{name}/env`).
//! A secret is write-only: the server never sends its value, the page shows "•••• set" and
//! "Replace" opens an empty input; a typed value is dropped from the page once it has been sent,
//! whatever the answer.

use leptos::{ev::SubmitEvent, prelude::*};
use shared::v1::{Deployment, EnvVar};

use crate::{
    api::ApiClient,
    components::{Fetch, Loaded, Notice, NoticeKind, failure, write},
};

/// The request fields the server reports problems under.
const VARS: &str = "vars";
const BUILD_ARGS: &str = "build_args";

#[component]
pub fn Variables(
    name: String,
    /// Changes when a release is made (here, elsewhere, or by a rollback): read again then.
    newest: Memo<Option<i64>>,
    on_release: Callback<Deployment>,
) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = StoredValue::new(name);
    // Rows being edited; build arguments as rows without the secret box.
    let vars = RwSignal::new(Vec::<EnvVar>::new());
    let args = RwSignal::new(Vec::<EnvVar>::new());
    // The secrets the server holds a value of.
    let held = StoredValue::new(Vec::<String>::new());
    let env = Fetch::new(move || {
        // Read, not only tracked: a memo computes (and follows its own sources) when read.
        newest.get();
        let n = name.get_value();
        async move {
            let (v, a) = api.app_env(&n).await?;
            held.set_value(
                v.iter()
                    .filter(|r| r.secret)
                    .map(|r| r.key.clone())
                    .collect(),
            );
            vars.set(v);
            args.set(a);
            Ok(())
        }
    });
    let save = write(move || {
        let n = name.get_value();
        let (v, a) = (vars.get_untracked(), args.get_untracked());
        async move {
            let answer = api.save_env(&n, &v, &a).await;
            // Sent: no typed secret stays in the page. Saved, or one the server already holds:
            // shown as set; a new one, refused, must be typed again.
            vars.update(|rows| {
                for row in rows.iter_mut().filter(|r| r.secret && r.value.is_some()) {
                    let held = held.with_value(|h| h.contains(&row.key));
                    row.value = (answer.is_err() && !held).then(String::new);
                }
            });
            answer.map(|d| on_release.run(d))
        }
    });
    let saving = save.pending();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.dispatch(());
    };
    view! {
        <section class="card" aria-labelledby="env-title">
            <h2 id="env-title">"Variables and secrets"</h2>
            <p class="muted small">
                "Given to the app as its environment. Saving makes a new release on the current image, without a build."
            </p>
            <Loaded data=env loading="Loading variables…">
                <form class="env-form" on:submit=submit novalidate=true>
                    {move || {
                        failure(save)
                            .filter(|e| !e.is_only_about(&[VARS, BUILD_ARGS]))
                            .map(|e| view! { <Notice kind=NoticeKind::Error message=e.message() /> })
                    }}
                    <EnvRows rows=vars field=VARS secrets=true error=Signal::derive(move || failure(save).and_then(|e| e.field(VARS))) />
                    <h3>"Build arguments"</h3>
                    <p class="hint">"For the Dockerfile's ARGs, from the next upload on. Visible in the image: never put a secret here."</p>
                    <EnvRows rows=args field=BUILD_ARGS secrets=false error=Signal::derive(move || failure(save).and_then(|e| e.field(BUILD_ARGS))) />
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" data-action="save-env" disabled=move || saving.get()>
                            {move || if saving.get() { "Saving…" } else { "Save and release" }}
                        </button>
                    </div>
                </form>
            </Loaded>
        </section>
    }
}

/// Editable rows of name and value; with `secrets`, a box makes a row a secret, shown
/// write-only. Untrusted text (names, values) only ever goes into inputs' values. The rows are
/// drawn again on each change, which Leptos applies as a diff: typing keeps the focus.
#[component]
fn EnvRows(
    rows: RwSignal<Vec<EnvVar>>,
    field: &'static str,
    secrets: bool,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let edit = move |index: usize, f: &dyn Fn(&mut EnvVar)| {
        rows.update(|r| {
            if let Some(row) = r.get_mut(index) {
                f(row);
            }
        })
    };
    let row = move |(index, row): (usize, EnvVar)| {
        let value = match (row.secret, row.value) {
            (true, None) => view! {
                <span class="secret-set">"•••• set"</span>
                <button
                    type="button"
                    class="btn btn-ghost btn-sm"
                    data-action="replace"
                    on:click=move |_| edit(index, &|r| r.value = Some(String::new()))
                >
                    "Replace"
                </button>
            }
            .into_any(),
            (secret, value) => view! {
                <input
                    type=if secret { "password" } else { "text" }
                    aria-label=if secret { "Secret value" } else { "Value" }
                    autocomplete="new-password"
                    prop:value=value.unwrap_or_default()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        edit(index, &|r| r.value = Some(value.clone()));
                    }
                />
            }
            .into_any(),
        };
        view! {
            <div class="mount-row" data-env=index>
                <input
                    type="text"
                    aria-label="Name"
                    placeholder="NAME"
                    autocomplete="off"
                    prop:value=row.key
                    on:input=move |ev| {
                        let key = event_target_value(&ev);
                        edit(index, &|r| r.key = key.clone());
                    }
                />
                {value}
                {secrets
                    .then(|| {
                        view! {
                            <label class="inline-check">
                                <input
                                    type="checkbox"
                                    prop:checked=row.secret
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        // A plain value needs one: a secret's is not known here.
                                        edit(index, &|r| {
                                            r.secret = on;
                                            r.value.get_or_insert_with(String::new);
                                        });
                                    }
                                />
                                "secret"
                            </label>
                        }
                    })}
                <button
                    type="button"
                    class="btn btn-ghost btn-sm"
                    aria-label="Remove this row"
                    on:click=move |_| rows.update(|r| {
                        if index < r.len() {
                            r.remove(index);
                        }
                    })
                >
                    "Remove"
                </button>
            </div>
        }
    };
    view! {
        <div class="env-rows" data-field=field>
            {move || rows.get().into_iter().enumerate().map(row).collect_view()}
            <button
                type="button"
                class="btn btn-secondary btn-sm"
                data-action="add"
                on:click=move |_| rows.update(|r| r.push(EnvVar {
                    key: String::new(),
                    value: Some(String::new()),
                    secret: false,
                }))
            >
                "Add"
            </button>
            {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
    }
}
