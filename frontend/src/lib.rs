//! Milkcrate's dashboard: a Leptos single-page app over the JSON API (`/api/v1`), served by the
//! backend at `/admin` and, for visitors, at `/` (the public landing page).

mod api;
pub mod app;
mod components;
mod format;
mod pages;
mod router;
mod routes;
mod state;
