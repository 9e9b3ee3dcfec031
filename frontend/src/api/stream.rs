//! Server-Sent Events from the API (`GET /api/v1/events`, `GET /apps/{name}/logs?follow=true`),
//! read with the browser's `EventSource`: same origin, so the session cookie goes with it, and
//! it reconnects by itself (sending `Last-Event-ID`) after a dropped connection.

use leptos::prelude::Effect;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

use super::BASE;

/// What a stream's listener gets: the event's name and its data (none for `open`, which comes
/// on every connection, if asked for). `closed` when the browser gave up on the stream: an answer
/// that is not a stream (401, 409), which `EventSource` does not retry.
pub type OnEvent = Box<dyn FnMut(&str, String)>;

/// An open `EventSource`, closed when dropped. Not generic: every stream shares one listener
/// type, so a second stream costs the module no second copy.
pub struct EventStream {
    source: EventSource,
    _listener: Closure<dyn FnMut(web_sys::Event)>,
}

impl EventStream {
    /// Opens `path` (under `/api/v1`) and hands the events named in `names` to `on`.
    pub fn open(path: &str, names: &[&str], mut on: OnEvent) -> Option<Self> {
        let source = EventSource::new(&format!("{BASE}{path}")).ok()?;
        let state = source.clone();
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let kind = ev.type_();
            if kind == "error" {
                // While it reconnects the state is CONNECTING; CLOSED means it gave up.
                if state.ready_state() == EventSource::CLOSED {
                    on("closed", String::new());
                }
                return;
            }
            let data = ev.unchecked_ref::<MessageEvent>().data().as_string();
            on(&kind, data.unwrap_or_default());
        });
        for name in names.iter().chain(&["error"]) {
            let _ =
                source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        Some(Self {
            source,
            _listener: listener,
        })
    }
}

/// Keeps the stream `open` gives (it gets the one open now, if any) open until the next call,
/// made whenever a signal it read changes; `None` closes it, and so does the owner's end (the
/// stream is the effect's value). Not generic: one effect for every stream.
pub fn keep_open(open: Box<dyn Fn(Option<EventStream>) -> Option<EventStream>>) {
    Effect::new(move |now: Option<Option<EventStream>>| open(now.flatten()));
}

impl EventStream {
    /// The browser gave up on it (see [`OnEvent`]).
    pub fn closed(&self) -> bool {
        self.source.ready_state() == EventSource::CLOSED
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.source.close();
    }
}
