//! "Ready" means the app answers on its port: a connection that gets a reply to an HTTP request.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::{Instant, timeout},
};

use crate::runtime::{ContainerState, Docker};

/// Knocking is cheap and most apps start in well under a second: poll the port often, and ask
/// Docker about the container's state less often.
const POLL_INTERVAL: Duration = Duration::from_millis(25);
const STATE_EVERY: u32 = 8;
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// Polls until the container answers on `port` over `network`, it exits, or `deadline` passes.
/// The error says why, with the last lines the app printed.
pub async fn wait_until_ready(
    docker: &Docker,
    container: &str,
    network: &str,
    port: u16,
    deadline: Duration,
) -> Result<(), String> {
    let until = Instant::now() + deadline;
    // The address is stable once the container runs; only its state needs re-reading.
    let mut address: Option<String> = None;
    for round in 0u32.. {
        if round % STATE_EVERY == 0 || address.is_none() {
            let details = docker
                .inspect_container(container)
                .await
                .map_err(|e| e.to_string())?;
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
                return Err(format!(
                    "the container exited with code {code}{detail}{}",
                    last_words(docker, container).await
                ));
            }
            address = details.addresses.get(network).cloned();
        }
        if let Some(ip) = &address
            && answers(ip, port).await
        {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(format!(
                "the app did not answer on port {port} within {}s; does it listen on 0.0.0.0:{port}?{}",
                deadline.as_secs(),
                last_words(docker, container).await
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    unreachable!("the loop only ends by returning")
}

async fn answers(ip: &str, port: u16) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect((ip, port)).await.ok()?;
        stream
            .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await
            .ok()?;
        let mut byte = [0u8; 1];
        (stream.read(&mut byte).await.ok()? > 0).then_some(())
    };
    matches!(timeout(ATTEMPT_TIMEOUT, attempt).await, Ok(Some(())))
}

async fn last_words(docker: &Docker, container: &str) -> String {
    match docker.container_logs(container, 20).await {
        Ok(text) if !text.trim().is_empty() => format!("\nlast output:\n{}", text.trim_end()),
        _ => String::new(),
    }
}
