//! The dashboard's router: the current `Page` in a signal, kept in step with the browser history.
//! Eight pages do not need a routing framework (leptos_router cost ~10% of the module).

use leptos::{ev, prelude::*};

use crate::routes::Page;

/// The current page (`None`: no page has this URL). Provided as context by the root component.
#[derive(Clone, Copy)]
pub struct Router {
    current: RwSignal<Option<Page>>,
}

impl Router {
    /// Reads the page from the address bar and follows the back and forward buttons.
    pub fn new() -> Self {
        let current = RwSignal::new(Page::parse(&pathname()));
        let handle =
            window_event_listener(ev::popstate, move |_| current.set(Page::parse(&pathname())));
        // The root lives as long as the page; keep the listener for good.
        std::mem::forget(handle);
        Self { current }
    }

    /// The current page, tracked.
    pub fn page(&self) -> Option<Page> {
        self.current.get()
    }

    /// The current path, tracked (for highlighting links).
    pub fn path(&self) -> Option<String> {
        self.current.with(|p| p.as_ref().map(Page::path))
    }

    /// Goes to `page`, adding a history entry.
    pub fn navigate(&self, page: &Page) {
        self.go(page, false);
    }

    /// Goes to `page` in place of the current entry (redirects).
    pub fn replace(&self, page: &Page) {
        self.go(page, true);
    }

    fn go(&self, page: &Page, replace: bool) {
        if let Ok(history) = window().history() {
            let url = Some(page.path());
            let _ = if replace {
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", url.as_deref())
            } else {
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", url.as_deref())
            };
        }
        self.current.set(Some(page.clone()));
        window().scroll_to_with_x_and_y(0.0, 0.0);
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

fn pathname() -> String {
    window().location().pathname().unwrap_or_default()
}

pub fn use_router() -> Router {
    expect_context::<Router>()
}

/// A link to a page of the dashboard: followed without reloading, unless the user asks for a new
/// tab or window. Marked `aria-current="page"` when it is the current page (or, unless `exact`,
/// an ancestor of it).
#[component]
pub fn A(
    #[prop(into)] href: String,
    #[prop(optional, into)] class: String,
    #[prop(optional)] exact: bool,
    children: Children,
) -> impl IntoView {
    let router = use_router();
    let target = Page::parse(&href);
    let link = href.clone();
    let current = move || {
        router.path().is_some_and(|p| {
            if exact {
                p == link
            } else {
                p == link || p.starts_with(&format!("{link}/"))
            }
        })
    };
    let on_click = move |e: ev::MouseEvent| {
        let plain =
            e.button() == 0 && !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key());
        if let (true, Some(page)) = (plain, &target) {
            e.prevent_default();
            router.navigate(page);
        }
    };
    view! {
        <a href=href class=class aria-current=move || current().then_some("page") on:click=on_click>
            {children()}
        </a>
    }
}

/// Sends the user to `page`, replacing the current history entry.
#[component]
pub fn Redirect(page: Page) -> impl IntoView {
    let router = use_router();
    Effect::new(move |_| router.replace(&page));
}
