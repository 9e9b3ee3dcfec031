//! Harness for the end-to-end tests: runs the real `milkcrate` binary with its own data folder,
//! Docker objects (scoped by a unique instance name) and Traefik, and cleans all of it up. For
//! API-contract tests that need no Docker, `TestApp` serves Milkcrate in-process.

pub mod apps;
pub mod curl;
pub mod docker;
pub mod pebble;
mod server;
mod test_app;
pub mod tools;

pub use server::{PASSWORD, Server, ServerOptions, binary, free_port};
pub use test_app::{Refusal, TestApp, typed};

use std::time::Duration;

/// Polls `check` until it returns `Some`, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
