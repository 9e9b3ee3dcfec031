//! Live CPU and memory from `stats` events (`GET /events?stats=`): the app page's small charts
//! and the list's columns. The server samples only while such a stream is open, so these streams
//! live exactly as long as the page that shows them.

use std::rc::Rc;

use leptos::prelude::*;

use crate::{
    api::{ApiClient, EventStream, keep_open, usage_of},
    format,
};

/// Samples a chart shows: about a minute at one every 2 s.
pub const KEEP: usize = 30;

/// Keeps a stream of `stats` events for `name` (`*`: every running app) open while the calling
/// component lives, handing each sample (app, CPU %, memory bytes) to `on`.
pub fn watch(name: &str, on: impl Fn(String, f64, f64) + 'static) {
    let path = ApiClient::stats_path(name);
    let on = Rc::new(on);
    keep_open(Box::new(move |open| {
        let on = on.clone();
        open.or_else(|| {
            EventStream::open(
                &path,
                &["stats"],
                Box::new(move |kind, data| {
                    if kind == "stats" {
                        let (app, cpu, memory) = usage_of(&data);
                        on(app, cpu, memory);
                    }
                }),
            )
        })
    }));
}

/// "12.5 % CPU, 3 MiB memory".
pub fn describe((cpu, memory): (f64, f64)) -> String {
    format!(
        "{} % CPU, {} memory",
        format::cores(cpu),
        format::bytes(memory as u64)
    )
}

/// A line chart of `values` scaled to their largest, newest on the right; integer coordinates
/// (float formatting costs the module kilobytes).
pub fn spark(values: Vec<f64>, label: &'static str) -> impl IntoView {
    let top = values.iter().fold(0.0_f64, |a, &b| a.max(b));
    let start = KEEP.saturating_sub(values.len());
    let points: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let y = if top > 0.0 {
                (v / top * 18.0) as i64
            } else {
                0
            };
            format!("{},{} ", (start + i) * 4, 19 - y)
        })
        .collect();
    view! {
        <svg class="spark" viewBox="0 0 120 20" preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=points />
        </svg>
    }
}
