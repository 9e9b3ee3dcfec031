use crate::router::A;
use leptos::prelude::*;

use crate::{components::Empty, routes::Page};

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="container narrow">
            <Empty title="Page not found" text="There is nothing at this address.">
                <A href=Page::Apps.path() class="btn btn-primary">
                    "Go to your apps"
                </A>
            </Empty>
        </main>
    }
}
