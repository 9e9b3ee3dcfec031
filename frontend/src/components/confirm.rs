use leptos::{ev::KeyboardEvent, html, prelude::*};

/// A modal question ("Delete this app?"). Focus starts on Cancel; Escape cancels.
#[component]
pub fn ConfirmDialog(
    #[prop(into)] title: String,
    #[prop(into)] text: String,
    #[prop(into)] confirm_label: String,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    /// Extra controls shown under the text (e.g. an option of the action).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let cancel_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel_ref.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div
            class="modal-backdrop"
            on:keydown=move |ev: KeyboardEvent| {
                if ev.key() == "Escape" {
                    on_cancel.run(());
                }
            }
        >
            <div
                class="modal"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                aria-describedby="confirm-text"
            >
                <h2 id="confirm-title">{title}</h2>
                <p id="confirm-text">{text}</p>
                {children.map(|c| c())}
                <div class="modal-actions">
                    <button
                        type="button"
                        class="btn btn-secondary"
                        node_ref=cancel_ref
                        on:click=move |_| on_cancel.run(())
                    >
                        "Cancel"
                    </button>
                    <button
                        type="button"
                        class="btn btn-danger"
                        data-confirm="yes"
                        on:click=move |_| on_confirm.run(())
                    >
                        {confirm_label}
                    </button>
                </div>
            </div>
        </div>
    }
}
