//! How pages read from and write to the API, written once: a read ([`Fetch`]) and its four
//! states ([`Loaded`]: loading, failed, empty, ready), and a write ([`Write`], a Leptos
//! `Action`) with its pending state and outcome.
//!
//! Both are shaped by the module's size budget (docs/dashboard.md): `LocalResource` cost the
//! module 10 KB of gzip for the first one and about 2.4 KB for each further one (its
//! async-derived machinery), and every distinct `Action<I, O>` about 2.5 KB; so reads are the
//! small [`Fetch`] below, and every write is the same `Action<(), Result<(), Error>>`.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use leptos::{prelude::*, task::spawn_local};

use super::{Loading, Notice, NoticeKind};
use crate::api::Error;

/// A read from the API, like a `LocalResource`: it fetches once mounted, again when a signal the
/// fetcher reads (before its first `.await`) changes, such as an event trigger
/// (`state::Events`), and on [`Fetch::refetch`]. It keeps its last answer while the next one
/// loads, so a refetch never blanks a page. No answer yet: `None`.
pub struct Fetch<T: 'static> {
    answer: RwSignal<Option<Result<T, Error>>>,
    load: Callback<()>,
}

impl<T: 'static> Clone for Fetch<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Fetch<T> {}

impl<T: Send + Sync + 'static> Fetch<T> {
    pub fn new<F>(fetcher: impl Fn() -> F + Send + Sync + 'static) -> Self
    where
        F: Future<Output = Result<T, Error>> + 'static,
    {
        let answer = RwSignal::new(None);
        // Reads can overlap (events come in bursts); only the latest one's answer is kept.
        let latest = Arc::new(AtomicU32::new(0));
        let load = Callback::new(move |()| {
            let this = latest.fetch_add(1, Ordering::Relaxed) + 1;
            let latest = latest.clone();
            let next = fetcher();
            spawn_local(async move {
                let next = next.await;
                if latest.load(Ordering::Relaxed) == this {
                    // The page may be gone by the time the answer comes.
                    let _ = answer.try_set(Some(next));
                }
            });
        });
        load_when_needed(load);
        Self { answer, load }
    }

    /// Reads again; the current answer stays until the new one arrives.
    pub fn refetch(&self) {
        untrack(|| self.load.run(()));
    }

    /// The answer when there is one and it is not an error (tracked).
    pub fn ok(&self) -> Option<T>
    where
        T: Clone,
    {
        self.answer
            .with(|a| a.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    }

    /// Where the read stands (tracked); `is_empty` says when an answer shows the empty state.
    fn phase(&self, is_empty: Option<fn(&T) -> bool>) -> Phase {
        self.answer.with(|answer| match answer {
            None => Phase::Loading,
            Some(Err(e)) => Phase::Failed(e.message()),
            Some(Ok(value)) if is_empty.is_some_and(|f| f(value)) => Phase::Empty,
            Some(Ok(_)) => Phase::Ready,
        })
    }
}

/// Runs `load` now and whenever what it read changes. Not generic: one effect type for all reads.
fn load_when_needed(load: Callback<()>) {
    Effect::new(move |_| load.run(()));
}

/// Where a read stands. Not generic, so that one view serves every page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Loading,
    Failed(String),
    Empty,
    Ready,
}

/// Shows a spinner labelled `loading` until `data` answers, then its error as a notice, the
/// `empty` view when `is_empty` says so, or the children. The children are built once per change
/// of state (not per answer), so they read `data` themselves, reactively: a refetch that brings a
/// new answer updates what changed without rebuilding the page (focus and forms stay put).
#[component]
pub fn Loaded<T: Send + Sync + 'static>(
    data: Fetch<T>,
    #[prop(into)] loading: String,
    #[prop(optional)] is_empty: Option<fn(&T) -> bool>,
    #[prop(optional, into)] empty: ViewFn,
    children: ChildrenFn,
) -> impl IntoView {
    let phase = Memo::new(move |_| data.phase(is_empty));
    phase_view(phase, loading, empty, children)
}

fn phase_view(
    phase: Memo<Phase>,
    loading: String,
    empty: ViewFn,
    children: ChildrenFn,
) -> impl IntoView {
    move || match phase.get() {
        Phase::Loading => view! { <Loading label=loading.clone() /> }.into_any(),
        Phase::Failed(m) => view! { <Notice kind=NoticeKind::Error message=m /> }.into_any(),
        Phase::Empty => empty.run(),
        Phase::Ready => children(),
    }
}

/// A write to the API (a form's submit, a button's command): `pending()` while it runs, its
/// outcome in `value()`. Its inputs are read from the page's signals when it is dispatched, and
/// what an answer brings is kept by the write itself, so one `Action` type serves them all.
pub type Write = Action<(), Result<(), Error>>;

/// A [`Write`] that runs `run` on each `dispatch(())`.
pub fn write<F>(run: impl Fn() -> F + 'static) -> Write
where
    F: Future<Output = Result<(), Error>> + 'static,
{
    boxed_write(Box::new(move || Box::pin(run())))
}

type Run = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), Error>>>>>;

/// Not generic: every write's future is boxed, so that the `Action`'s machinery exists once
/// (a copy per write cost the module 3.6 KB of gzip).
fn boxed_write(run: Run) -> Write {
    Action::new_local(move |_: &()| run())
}

/// Why the last run of `write` failed, if it did (tracked); `clear()` forgets it.
pub fn failure(write: Write) -> Option<Error> {
    write
        .value()
        .with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned()))
}
