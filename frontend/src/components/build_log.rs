use std::{cell::Cell, rc::Rc};

use leptos::{html, prelude::*, task::spawn_local};
use shared::v1::{Deployment, DeploymentStatus};

use super::DeploymentBadge;
use crate::api::{ApiClient, EventStream, json_field, keep_open};

/// Where the log has been read to, and whether a read is under way (`again`: something was told
/// meanwhile, so read once more when it ends).
#[derive(Default)]
struct Reading {
    offset: Cell<u64>,
    busy: Cell<bool>,
    again: Cell<bool>,
}

/// A deployment's build and start output, followed on the event stream until the deployment is
/// final: each `log` event is appended when it starts where the text read so far ends (its
/// `offset`); the log is read again from there when one starts further on (some were missed, or
/// came before the stream opened), at each (re)connection and at each status change. No polling.
/// `on_done` gets the final deployment.
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
    let done = RwSignal::new(false);
    let pre = NodeRef::<html::Pre>::new();
    let reading = Rc::new(Reading::default());

    let read = {
        let reading = reading.clone();
        move || {
            if reading.busy.replace(true) {
                reading.again.set(true);
                return;
            }
            let reading = reading.clone();
            spawn_local(async move {
                loop {
                    reading.again.set(false);
                    let log = match api.deployment_log(id, reading.offset.get()).await {
                        Ok(log) => log,
                        Err(e) => {
                            let _ = failure.try_set(Some(e.message()));
                            break;
                        }
                    };
                    reading.offset.set(log.next_offset);
                    if !log.text.is_empty() {
                        let _ = text.try_update(|t| t.push_str(&log.text));
                    }
                    let _ = status.try_set(Some(log.status));
                    if log.complete {
                        let _ = done.try_set(true);
                        if let (Some(on_done), Ok(deployment)) =
                            (on_done, api.get_deployment(id).await)
                            && status.try_get().is_some()
                        {
                            on_done.run(deployment);
                        }
                        break;
                    }
                    // Final but not read to the end: the rest is there to read now.
                    if !reading.again.get() && !log.status.is_final() {
                        break;
                    }
                }
                reading.busy.set(false);
            });
        }
    };
    let told = move |kind: &str, data: String| {
        let about = |field| json_field(&data, field).as_f64() == Some(id as f64);
        match kind {
            "log" if about("deployment") => {
                let at = json_field(&data, "offset").as_f64().unwrap_or(0.0) as u64;
                let line = json_field(&data, "text").as_string().unwrap_or_default();
                if reading.busy.get() {
                    reading.again.set(true);
                } else if at == reading.offset.get() {
                    reading.offset.set(at + line.len() as u64 + 1);
                    text.update(|t| {
                        t.push_str(&line);
                        t.push('\n');
                    });
                } else if at > reading.offset.get() {
                    read();
                }
            }
            "deployment" if about("id") => read(),
            "log" | "deployment" => {}
            // Connected (again), told to read again, or the browser gave up on the stream.
            _ => read(),
        }
    };
    let told = Rc::new(told);
    keep_open(Box::new(move |open| {
        if done.get() {
            return None;
        }
        let told = told.clone();
        open.or_else(|| {
            EventStream::open(
                "/events",
                &["open", "log", "deployment", "resync"],
                Box::new(move |kind, data| told(kind, data)),
            )
        })
    }));
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
