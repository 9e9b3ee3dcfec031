//! An app's own output (not its build log): the last 200 lines, then, with Follow on, the stream
//! of them: the last 200 again (so nothing printed in between is missed) and each new line as the
//! app prints it. Pause freezes what is shown without closing the stream (new lines
//! keep coming and show on resume); the search box filters what is shown; Download saves what is
//! shown as a text file.

use leptos::{ev::MouseEvent, prelude::*};
use shared::v1::{LogLine, LogStream};
use wasm_bindgen::{JsCast, JsValue};

use crate::{
    api::{ApiClient, EventStream, keep_open},
    components::{Fetch, Loaded},
};

/// Lines kept while following; older ones are dropped.
const KEEP: usize = 2000;

fn keep(lines: &mut Vec<LogLine>, line: LogLine) {
    lines.push(line);
    if lines.len() > KEEP {
        lines.drain(..lines.len() - KEEP);
    }
}

/// `needle` is lower case. ASCII case folding only (Unicode's tables cost the module kilobytes),
/// and a plain scan rather than `str::contains` (its two-way searcher is 1.7 KB of code).
fn matches(line: &LogLine, needle: &str) -> bool {
    let (hay, needle) = (plain(line).to_ascii_lowercase(), needle.as_bytes());
    needle.is_empty() || hay.as_bytes().windows(needle.len()).any(|w| w == needle)
}

/// A line as shown and downloaded: a stack's lines start with their service.
fn plain(line: &LogLine) -> String {
    match &line.service {
        Some(service) => format!("{service} | {}", line.text),
        None => line.text.clone(),
    }
}

#[component]
pub fn Logs(name: String) -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let events = api.events;
    let file = format!("{name}-output.txt");
    let name = StoredValue::new(name);
    // Lines from the stream; `streamed`: they replace the tail (the stream starts with it).
    let followed = RwSignal::new(Vec::<LogLine>::new());
    let streamed = RwSignal::new(false);
    // Read again when the app changes (stopped, restarted, a new version): its newest lines.
    let tail = Fetch::new(move || {
        events.app.track();
        let n = name.get_value();
        async move {
            let lines = api.app_logs(&n).await;
            if lines.is_ok() {
                let _ = followed.try_set(Vec::new());
                let _ = streamed.try_set(false);
            }
            lines
        }
    });
    let follow = RwSignal::new(false);
    // Paused: how many of the followed lines to show (those there at the pause).
    let paused = RwSignal::new(None::<usize>);
    let search = RwSignal::new(String::new());

    // Closed when Follow is turned off or the page goes.
    keep_open(Box::new(move |_| {
        if !follow.get() {
            return None;
        }
        EventStream::open(
            &ApiClient::follow_logs_path(&name.get_value()),
            &["open", "log"],
            Box::new(move |kind, data| match kind {
                // A connection (or reconnection) starts with the last lines again.
                "open" => {
                    followed.set(Vec::new());
                    streamed.set(true);
                }
                // Refused (the app does not run): nothing to follow.
                "closed" => follow.set(false),
                _ => {
                    if let Ok(line) = serde_json::from_str::<LogLine>(&data) {
                        followed.update(|f| keep(f, line));
                    }
                }
            }),
        )
    }));

    // What is shown: the tail (until the stream replaces it), then the stream's lines (up to the
    // pause), filtered by the search box.
    let shown = move || {
        let needle = search.get().to_ascii_lowercase();
        let mut lines = if streamed.get() {
            Vec::new()
        } else {
            tail.ok().unwrap_or_default()
        };
        let upto = paused.get();
        followed.with(|f| lines.extend_from_slice(&f[..upto.unwrap_or(f.len()).min(f.len())]));
        lines.retain(|l| matches(l, &needle));
        lines
    };
    // The link's target is made at the click, before the browser follows it.
    let url = StoredValue::new(None::<String>);
    let download = move |ev: MouseEvent| {
        let text: String = shown().iter().map(|l| plain(l) + "\n").collect();
        let parts = js_sys::Array::of1(&JsValue::from_str(&text));
        let Some(href) = web_sys::Blob::new_with_str_sequence(&parts)
            .and_then(|b| web_sys::Url::create_object_url_with_blob(&b))
            .ok()
        else {
            return;
        };
        if let Some(link) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = link.set_attribute("href", &href);
        }
        if let Some(old) = url.try_update_value(|u| u.replace(href)).flatten() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
    };

    view! {
        <section class="card" aria-labelledby="logs-title">
            <div class="log-head">
                <h2 id="logs-title">"Logs"</h2>
                <div class="log-tools">
                    <label class="inline-check">
                        <input
                            type="checkbox"
                            data-action="follow"
                            prop:checked=move || follow.get()
                            on:change=move |ev| follow.set(event_target_checked(&ev))
                        />
                        "Follow"
                    </label>
                    <label class="inline-check">
                        <input
                            type="checkbox"
                            data-action="pause"
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                paused.set(on.then(|| followed.with_untracked(Vec::len)));
                            }
                        />
                        "Pause"
                    </label>
                    <input
                        type="search"
                        id="log-search"
                        placeholder="Search"
                        aria-label="Search the lines"
                        on:input=move |ev| search.set(event_target_value(&ev))
                    />
                    <a class="btn btn-secondary btn-sm" href="#" download=file data-action="download" on:click=download>
                        "Download"
                    </a>
                </div>
            </div>
            <Loaded data=tail loading="Loading output…">
                // Reversed flex: the view stays at the end as lines arrive, with no script.
                <div class="log-body log-lines" role="log" tabindex="0" aria-label="App output">
                    <div>
                    {move || {
                        shown()
                            .into_iter()
                            .map(|l| {
                                let stream = match l.stream {
                                    LogStream::Stdout => "stdout",
                                    LogStream::Stderr => "stderr",
                                };
                                view! { <div class="log-line" data-stream=stream>{plain(&l)}</div> }
                            })
                            .collect_view()
                    }}
                    </div>
                </div>
            </Loaded>
        </section>
    }
}
