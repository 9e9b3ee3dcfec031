use leptos::prelude::*;
use shared::v1::AppStatus;

use crate::{
    api::{ApiClient, AppAction},
    components::{ConfirmDialog, write},
};

/// Which lifecycle buttons make sense in a state.
pub fn available(status: AppStatus) -> &'static [AppAction] {
    match status {
        AppStatus::Running | AppStatus::Restarting => &[AppAction::Stop, AppAction::Restart],
        AppStatus::Stopped | AppStatus::Exited | AppStatus::Missing => &[AppAction::Start],
        AppStatus::Deploying | AppStatus::Failed => &[],
    }
}

/// Start / stop / restart / delete buttons for one app. Delete asks first.
#[component]
pub fn AppActions(
    #[prop(into)] name: String,
    status: AppStatus,
    /// A compose stack: deleting may also remove its volumes.
    #[prop(optional)]
    stack: bool,
    /// Called after a successful action, so the caller reloads.
    on_change: Callback<()>,
    on_error: Callback<String>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let confirming = RwSignal::new(false);
    let remove_volumes = RwSignal::new(false);
    let name = StoredValue::new(name);
    // What the last button asked for (`None`: delete): the write reads it, the labels show it.
    let asked = StoredValue::new(None::<AppAction>);
    let command = write(move || {
        let (name, action) = (name.get_value(), asked.get_value());
        let remove_volumes = remove_volumes.get_untracked();
        async move {
            let outcome = match action {
                Some(action) => api.app_action(&name, action).await.map(|_| ()),
                None => api.delete_app(&name, remove_volumes).await,
            };
            match (&outcome, action) {
                (Ok(()), Some(_)) => on_change.run(()),
                (Ok(()), None) => on_deleted.run(()),
                (Err(e), Some(action)) => on_error.run(format!(
                    "Could not {} {name}: {}",
                    action.verb(),
                    e.message()
                )),
                (Err(e), None) => {
                    on_error.run(format!("Could not delete {name}: {}", e.message()));
                }
            }
            outcome
        }
    });
    let busy = command.pending();
    let doing = move |action: Option<AppAction>| busy.get() && asked.get_value() == action;
    let run = move |action: Option<AppAction>| {
        asked.set_value(action);
        command.dispatch(());
    };
    let delete = move |()| {
        confirming.set(false);
        run(None);
    };

    view! {
        <div class="actions">
            {available(status)
                .iter()
                .map(|&action| {
                    view! {
                        <button
                            type="button"
                            class="btn btn-secondary btn-sm"
                            data-action=action.verb()
                            aria-label=move || format!("{} {}", action.label(), name.get_value())
                            disabled=move || busy.get()
                            on:click=move |_| run(Some(action))
                        >
                            {move || {
                                if doing(Some(action)) {
                                    format!("{}…", action.label())
                                } else {
                                    action.label().to_string()
                                }
                            }}
                        </button>
                    }
                })
                .collect_view()}
            <button
                type="button"
                class="btn btn-danger-ghost btn-sm"
                data-action="delete"
                aria-label=move || format!("Delete {}", name.get_value())
                disabled=move || busy.get()
                on:click=move |_| confirming.set(true)
            >
                {move || if doing(None) { "Deleting…" } else { "Delete" }}
            </button>
            <Show when=move || confirming.get()>
                <ConfirmDialog
                    title=format!("Delete {}?", name.get_value())
                    text=if stack {
                        "Every service's containers, the stack's networks and images, its deployments and logs are removed, and its route stops answering. Its volumes are kept unless you tick the box. This cannot be undone."
                    } else {
                        "Its containers, images, deployments and logs are removed, and its route stops answering. This cannot be undone."
                    }
                    confirm_label="Delete app"
                    on_confirm=Callback::new(delete)
                    on_cancel=Callback::new(move |()| confirming.set(false))
                >
                    {stack.then(|| view! {
                        <label class="check-row">
                            <input
                                type="checkbox"
                                name="remove-volumes"
                                prop:checked=move || remove_volumes.get()
                                on:change=move |ev| remove_volumes.set(event_target_checked(&ev))
                            />
                            <span>"Also delete the stack's volumes and all data in them"</span>
                        </label>
                    })}
                </ConfirmDialog>
            </Show>
        </div>
    }
}
