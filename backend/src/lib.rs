//! Milkcrate: deploy containerized apps from a ZIP, routed by Traefik.
//!
//! Layers, outermost first: `api` (axum) → `domain` (use cases) → `db` (sea-orm) and `runtime`
//! (the Docker adapter). `config` is read once in `main`; `auth` holds the session primitives.

pub mod api;
pub mod auth;
pub mod cli;
pub mod compose;
pub mod config;
pub mod db;
pub mod domain;
pub mod intake;
pub mod runtime;
pub mod secrets;
mod server;
pub mod state;
pub mod telemetry;

pub use server::{open_platform, prepare, serve, serve_on};
