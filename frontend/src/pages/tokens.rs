use leptos::{
    ev::{MouseEvent, SubmitEvent},
    prelude::*,
};
use shared::v1::TokenScope;
use wasm_bindgen::JsCast;

use crate::{
    api::{ApiClient, TOKEN_FIELDS},
    components::{TextTable, clicked, explain, failure, notice_html, read_text, value_of, write},
};

/// API tokens: create one (shown once, with a copy button), see when each was last used, revoke.
/// Lean on purpose (the module's size budget): the form is read when submitted.
#[component]
pub fn TokensPage() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let path = RwSignal::new("/tokens".to_string());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    read_text(api, path, text, error);
    let shown = RwSignal::new(None::<String>);
    let create = write(move || {
        let name = value_of("token-name");
        let scope = TokenScope::parse(&value_of("token-scope")).unwrap_or(TokenScope::Read);
        let days = value_of("token-days").trim().parse().ok();
        async move {
            shown.set(Some(api.create_token(&name, scope, days).await?));
            path.notify();
            Ok(())
        }
    });
    let revoking = RwSignal::new(String::new());
    let revoke = write(move || {
        let id = revoking.get_untracked();
        async move {
            api.revoke_token(&id).await?;
            path.notify();
            Ok(())
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        shown.set(None);
        create.dispatch(());
    };
    // What the last write brought: the new token (with a Copy button), or why it failed.
    let status = move || match (shown.get(), failure(create).or_else(|| failure(revoke))) {
        (_, Some(e)) => notice_html(
            "notice notice-error",
            &explain(&e, &["name", "expires_in_days"]),
            None,
        ),
        (Some(token), None) => notice_html(
            "notice notice-success",
            "Copy the token now: it is not shown again.",
            Some(&token),
        ),
        (None, None) => String::new(),
    };
    let copy = move |ev: MouseEvent| {
        let input = document()
            .get_element_by_id("copy-value")
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let (Some(_), Some(input)) = (clicked(&ev, "data-copy"), input) {
            input.select();
            let _ = document()
                .unchecked_into::<web_sys::HtmlDocument>()
                .exec_command("copy");
        }
    };
    view! {
        <h1>"API tokens"</h1>
        <p class="muted">
            "For scripts, CI and the milkcrate command. read: every read but secrets; deploy: also deploy, start, stop, roll back; admin: all but tokens and the password."
        </p>
        <form class="card form-card form-grid lean-form" on:submit=submit>
            <label>"Name" <input id="token-name" required=true placeholder="ci" /></label>
            <label>
                "Scope"
                <select id="token-scope">
                    <option>"read"</option>
                    <option selected=true>"deploy"</option>
                    <option>"admin"</option>
                </select>
            </label>
            <label>"Expires after (days; empty: never)" <input id="token-days" type="number" min="1" /></label>
            <button type="submit" class="btn btn-primary">"Create token"</button>
        </form>
        <div on:click=copy inner_html=Signal::derive(status)></div>
        <TextTable
            head=&["Name", "Scope", "Last used", "Expires", ""]
            fields=&TOKEN_FIELDS
            text
            error
            empty="No tokens yet."
            action=("Revoke", Callback::new(move |id| {
                revoking.set(id);
                revoke.dispatch(());
            }))
        />
    }
}
