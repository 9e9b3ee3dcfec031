use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use leptos::{html, prelude::*, task::spawn_local};
use shared::v1::{Deployment, DeploymentStatus};

use super::{DeploymentBadge, sleep};
use crate::api::ApiClient;

/// A deployment's build and start output, streamed by polling the log endpoint with the last
/// offset until the deployment is final. `on_done` gets the final deployment.
#[component]
pub fn BuildLog(
    id: i64,
    #[prop(optional, into)] on_done: Option<Callback<Deployment>>,
    #[prop(optional)] show_status: bool,
) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let text = RwSignal::new(String::new());
    let status = RwSignal::new(None::<DeploymentStatus>);
    let failure = RwSignal::new(None::<String>);
    let pre = NodeRef::<html::Pre>::new();
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    spawn_local(async move {
        let mut offset = 0;
        while alive.load(Ordering::Relaxed) {
            match api.deployment_log(id, offset).await {
                Ok(log) => {
                    offset = log.next_offset;
                    if !log.text.is_empty() {
                        let _ = text.try_update(|t| t.push_str(&log.text));
                    }
                    let _ = status.try_set(Some(log.status));
                    if log.complete {
                        if let (Some(done), Ok(deployment)) =
                            (on_done, api.get_deployment(id).await)
                            && alive.load(Ordering::Relaxed)
                        {
                            done.run(deployment);
                        }
                        return;
                    }
                }
                Err(e) => {
                    let _ = failure.try_set(Some(e.message()));
                    return;
                }
            }
            sleep(700).await;
        }
    });
    // Follow the end of the log as it grows.
    Effect::new(move |_| {
        text.track();
        if let Some(el) = pre.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    view! {
        <div class="log">
            {show_status
                .then(|| {
                    view! {
                        <div class="log-head">
                            <span>"Build log"</span>
                            {move || {
                                status.get().map(|s| view! { <DeploymentBadge status=s /> })
                            }}
                        </div>
                    }
                })}
            <pre node_ref=pre class="log-body" tabindex="0" aria-label="Build log" aria-live="polite">
                {move || {
                    let t = text.get();
                    if t.is_empty() && failure.with(Option::is_none) {
                        "Waiting for output…".to_string()
                    } else {
                        t
                    }
                }}
            </pre>
            {move || failure.get().map(|f| view! { <p class="field-error">{f}</p> })}
        </div>
    }
}
