use leptos::prelude::*;

/// A labelled text input with its hint and its error (from live validation or the server).
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
    #[prop(optional, into)] on_input: Option<Callback<String>>,
    #[prop(optional, into)] on_blur: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=id
                type=kind
                placeholder=placeholder
                autocomplete=autocomplete
                prop:value=move || value.get()
                disabled=move || disabled.get().unwrap_or(false)
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    value.set(text.clone());
                    if let Some(cb) = on_input {
                        cb.run(text);
                    }
                }
                on:blur=move |_| {
                    if let Some(cb) = on_blur {
                        cb.run(());
                    }
                }
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })
            }}
        </div>
    }
}
