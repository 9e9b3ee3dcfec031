use leptos::{ev::DragEvent, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{File, HtmlInputElement};

/// Picks the app's ZIP: a drop zone that is also a labelled, keyboard-focusable file input.
#[component]
pub fn ZipPicker(
    #[prop(into)] id: String,
    file: RwSignal<Option<File>, LocalStorage>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let error_id = format!("{id}-error");
    let pick = move |files: Option<web_sys::FileList>| {
        if let Some(f) = files.and_then(|list| list.get(0)) {
            file.set(Some(f));
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if disabled.get_untracked().unwrap_or(false) {
            return;
        }
        pick(ev.data_transfer().and_then(|dt| dt.files()));
    };
    let described = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <span class="label">"App archive (ZIP with a Dockerfile or a compose file)"</span>
            <label
                for=id.clone()
                class="dropzone"
                class:dragging=move || dragging.get()
                class:has-file=move || file.with(Option::is_some)
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <input
                    id=id.clone()
                    name=shared::v1::fields::form::FILE
                    type="file"
                    accept=".zip,application/zip"
                    class="visually-hidden"
                    disabled=move || disabled.get().unwrap_or(false)
                    aria-describedby=described
                    on:change=move |ev| {
                        let input = ev
                            .target()
                            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok());
                        pick(input.and_then(|i| i.files()));
                    }
                />
                <span class="dropzone-icon" aria-hidden="true"></span>
                {move || match file.get() {
                    Some(f) => {
                        view! {
                            <span class="dropzone-title">{f.name()}</span>
                            <span class="dropzone-hint">
                                {format!("{} · drop another file to replace it", size(f.size()))}
                            </span>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <span class="dropzone-title">
                                "Drop a ZIP here or " <span class="link">"choose a file"</span>
                            </span>
                            <span class="dropzone-hint">
                                "A Dockerfile or compose.yaml at its root; compose files are checked against Milkcrate's policy."
                            </span>
                        }
                            .into_any()
                    }
                }}
            </label>
            {move || {
                // The server lists every problem of a compose file: one line each.
                error
                    .get()
                    .map(|e| {
                        let lines: Vec<String> = e.lines().map(str::to_string).collect();
                        if lines.len() == 1 {
                            view! { <p class="field-error" id=error_id.clone()>{e}</p> }.into_any()
                        } else {
                            view! {
                                <div class="field-error" id=error_id.clone() role="alert">
                                    {format!("{} problems:", lines.len())}
                                    <ul class="problem-list">
                                        {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                                    </ul>
                                </div>
                            }
                            .into_any()
                        }
                    })
            }}
        </div>
    }
}

fn size(bytes: f64) -> String {
    let kib = (bytes / 1024.0).ceil() as u64;
    if kib >= 1024 {
        let tenths = kib * 10 / 1024;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{kib} KB")
    }
}
