//! An app's host names with their certificates' state, a field to add one, and a form to use
//! one's own certificate for one of them (removing a host, or an uploaded certificate, is the
//! API's: the dashboard's size budget has little room). The app page reads them again with its
//! CPU and memory figures (`detail.rs`): a certificate's state changes without an event.

use leptos::{ev::SubmitEvent, prelude::*};
use shared::v1::fields;

use crate::{
    api::{ApiClient, CHAIN, HOST, KEY},
    components::{Notice, NoticeKind, TextField, failure, write},
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

/// A labelled textarea for PEM text, with the server's objection under it. Its text lives in
/// the element's value only (never in the page's HTML).
fn pem_field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            <textarea
                id=id
                rows="4"
                spellcheck="false"
                autocomplete="off"
                placeholder="-----BEGIN …"
                prop:value=move || value.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=move || error.get().map(|_| described.clone())
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })
            }}
        </div>
    }
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

    // No host can have a certificate (none, or HTTPS off): no form.
    let none = move || {
        parse(rows.get())
            .iter()
            .all(|(_, state, ..)| state == "off")
    };
    let (host, chain, key) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let upload = write(move || {
        let h = host.get_untracked();
        let (c, k) = (chain.get_untracked(), key.get_untracked());
        async move {
            api.upload_certificate(&h, &c, &k).await?;
            // The key is not kept in the page once the server has it.
            chain.set(String::new());
            key.set(String::new());
            Ok(())
        }
    });
    let problem = move |field: &'static str| {
        Signal::derive(move || failure(upload).and_then(|e| e.field(field)))
    };
    // Under the host (typed: a select of the hosts cost 1.2 KB of gzip): its own objection, or
    // any that names neither PEM field (HTTPS off, ...).
    let host_error = Signal::derive(move || {
        failure(upload).and_then(|e| {
            e.field(HOST)
                .or_else(|| (!e.is_only_about(&[CHAIN, KEY])).then(|| e.message()))
        })
    });
    let uploaded = move || {
        upload.value().with(|v| matches!(v, Some(Ok(())))).then(|| {
            view! { <Notice kind=NoticeKind::Success message="Certificate uploaded." /> }
        })
    };
    let send = move |ev: SubmitEvent| {
        ev.prevent_default();
        upload.dispatch(());
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
            <form
                id="certificate-form"
                on:submit=send
                novalidate=true
                hidden=none
                aria-labelledby="certificate-title"
            >
                <h3 id="certificate-title">"Your own certificate"</h3>
                {uploaded}
                <TextField
                    id="certificate-host"
                    label="Domain"
                    value=host
                    error=host_error
                    placeholder="one of the domains above"
                />
                {pem_field("certificate-chain", "Certificate chain (PEM, the domain's first)", chain, problem(CHAIN))}
                {pem_field("certificate-key", "Private key (PEM, never shown again)", key, problem(KEY))}
                <button type="submit" class="btn btn-secondary" disabled=move || upload.pending().get()>
                    "Upload certificate"
                </button>
            </form>
        </section>
    }
}
