use leptos::{ev::SubmitEvent, prelude::*};

use crate::{
    api::{AUDIT_FIELDS, ApiClient, rows},
    components::{TextTable, read_text, value_of},
};

/// The audit trail, newest first, filtered by actor and target, 100 entries a page. Lean on
/// purpose (the module's size budget): the filters are read when submitted.
#[component]
pub fn AuditPage() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let path = RwSignal::new("/audit".to_string());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    read_text(api, path, text, error);
    // `before`: the id below which entries are shown ("" for the newest).
    let ask = move |before: String| {
        let mut query = String::from("/audit?limit=100");
        for (key, value) in [
            ("actor", value_of("audit-actor")),
            ("target", value_of("audit-target")),
            ("before", before),
        ] {
            if !value.trim().is_empty() {
                let value = String::from(js_sys::encode_uri_component(value.trim()));
                query.push_str(&format!("&{key}={value}"));
            }
        }
        path.set(query);
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        ask(String::new());
    };
    let older = move |_| {
        if let Some(last) = text.with(|t| rows(t, &AUDIT_FIELDS).pop()) {
            ask(last[0].clone());
        }
    };
    view! {
        <h1>"Audit trail"</h1>
        <p class="muted">"Logins and changes: who, what, the answer, from where."</p>
        <form class="card form-card form-grid lean-form" on:submit=submit>
            <label>"Actor" <input id="audit-actor" placeholder="token:ci" /></label>
            <label>"Target" <input id="audit-target" placeholder="blog" /></label>
            <button type="submit" class="btn btn-primary">"Filter"</button>
            <button type="button" class="btn" on:click=older>"Older"</button>
        </form>
        <TextTable
            head=&["When", "Actor", "Action", "Target", "Status", "Client"]
            fields=&AUDIT_FIELDS
            text
            error
            empty="Nothing recorded (or nothing older)."
        />
    }
}
