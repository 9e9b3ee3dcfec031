//! "Ready" means the app answers on its port: a connection that gets a reply to an HTTP request
//! or, when the app has a health path, a 2xx/3xx there (the runtime knocks; see
//! `Containers::knock_http`).

use std::time::Duration;

use tokio::time::Instant;

use super::DeployError;
use crate::runtime::{ContainerRuntime, ContainerState};

/// Knocking is cheap and most apps start in well under a second: poll the port often, and ask
/// Docker about the container's state less often.
const POLL_INTERVAL: Duration = Duration::from_millis(25);
const STATE_EVERY: u32 = 8;

/// Where and how a started app is asked whether it is ready.
pub struct Probe<'a> {
    pub container: &'a str,
    pub network: &'a str,
    pub port: u16,
    /// A 2xx/3xx here is ready; `None`: any HTTP reply on `/`.
    pub health_path: Option<&'a str>,
}

/// Polls until the container answers on `port` over `network`, it exits, or `deadline` (counted
/// from `started`) passes.
/// The error says why, with the last lines the app printed.
pub async fn wait_until_ready(
    runtime: &dyn ContainerRuntime,
    probe: Probe<'_>,
    deadline: Duration,
    started: Instant,
) -> Result<(), DeployError> {
    let Probe {
        container,
        network,
        port,
        health_path,
    } = probe;
    let mut last_status: Option<u16> = None;
    let until = started + deadline;
    // The address is stable once the container runs; only its state needs re-reading.
    let mut address: Option<String> = None;
    for round in 0u32.. {
        if round % STATE_EVERY == 0 || address.is_none() {
            let details = runtime.inspect_container(container).await?;
            // Docker's restart policy revives a crashing app; one restart already means it exited.
            let crashed = matches!(
                details.state,
                ContainerState::Exited | ContainerState::Restarting
            ) || details.restart_count > 0;
            if crashed {
                let code = details
                    .exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "?".into());
                let detail = details.error.map(|e| format!(" ({e})")).unwrap_or_default();
                return Err(DeployError::App(format!(
                    "the container exited with code {code}{detail}{}",
                    last_words(runtime, container).await
                )));
            }
            address = details.addresses.get(network).cloned();
        }
        if let Some(ip) = &address
            && let Some(answer) = runtime
                .knock_http(ip, port, health_path.unwrap_or("/"))
                .await?
        {
            if health_path.is_none() || answer.is_success() {
                return Ok(());
            }
            last_status = answer.status;
        }
        if Instant::now() >= until {
            let why = match (health_path, last_status) {
                (Some(path), Some(status)) => format!(
                    "the app answered {status} on its health path {path} (not a 2xx or 3xx) for {}s",
                    deadline.as_secs()
                ),
                (Some(path), None) => format!(
                    "the app gave no HTTP status on its health path {path} within {}s",
                    deadline.as_secs()
                ),
                (None, _) => format!(
                    "the app did not answer on port {port} within {}s; does it listen on 0.0.0.0:{port}?",
                    deadline.as_secs()
                ),
            };
            return Err(DeployError::TimedOut(format!(
                "{why}{}",
                last_words(runtime, container).await
            )));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    unreachable!("the loop only ends by returning")
}

async fn last_words(runtime: &dyn ContainerRuntime, container: &str) -> String {
    match runtime.container_logs(container, 20).await {
        Ok(text) if !text.trim().is_empty() => format!("\nlast output:\n{}", text.trim_end()),
        _ => String::new(),
    }
}
