//! An app's host names with their certificates' state, and a field to add one (removing is the
//! API's: the dashboard's size budget has little room). The app page reads them again with its
//! CPU and memory figures (`detail.rs`): a certificate's state changes without an event.

use leptos::{ev::SubmitEvent, prelude::*};
use shared::v1::fields;

use crate::{
    api::ApiClient,
    components::{TextField, failure, write},
};

/// The app's `domains` as JSON text, as `ApiClient::app_domains` reads it.
pub type Rows = RwSignal<Option<String>>;

/// Each host name with its certificate's state and detail (the day it expires, and whether the
/// admin uploaded it, or why it failed).
fn parse(rows: Option<String>) -> Vec<(String, String, String)> {
    let get = |v: &wasm_bindgen::JsValue, k: &str| {
        js_sys::Reflect::get(v, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let list = js_sys::JSON::parse(&rows.unwrap_or_default()).unwrap_or_default();
    js_sys::Array::from(&list)
        .iter()
        .map(|d| {
            let c = js_sys::Reflect::get(&d, &"certificate".into()).unwrap_or_default();
            let until = get(&c, "not_after");
            let uploaded = js_sys::Reflect::get(&c, &"uploaded".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let detail = match until.get(..10) {
                Some(day) if uploaded => format!("{day} (uploaded)"),
                Some(day) => day.to_string(),
                None => get(&c, "reason"),
            };
            (get(&d, "host"), get(&c, "state"), detail)
        })
        .collect()
}

#[component]
pub fn Domains(name: String, rows: Rows) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let name = StoredValue::new(name);
    let text = RwSignal::new(String::new());
    // One more host name: the list as last read, plus the new one.
    let save = write(move || {
        let mut list: Vec<String> = parse(rows.get_untracked())
            .into_iter()
            .map(|(host, ..)| host)
            .collect();
        list.push(text.get_untracked());
        let n = name.get_value();
        // The page reads the list again within seconds (`detail.rs`).
        async move { api.set_domains(&n, list).await }
    });
    let error = Signal::derive(move || {
        failure(save).map(|e| {
            e.field(fields::form::DOMAINS)
                .unwrap_or_else(|| e.message())
        })
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.dispatch(());
    };
    let list = move || {
        parse(rows.get())
            .into_iter()
            .map(|(host, state, detail)| {
                view! { <li data-certificate=state.clone()>{format!("{host}: {state} {detail}")}</li> }
            })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="domains-title">
            <h2 id="domains-title">"Domains"</h2>
            <ul class="domains">{list}</ul>
            <form on:submit=submit novalidate=true>
                <TextField
                    id="domains"
                    label="Add a domain"
                    value=text
                    error=error
                    placeholder="blog.example.com"
                />
                <button type="submit" class="btn btn-secondary">
                    "Add domain"
                </button>
            </form>
        </section>
    }
}
