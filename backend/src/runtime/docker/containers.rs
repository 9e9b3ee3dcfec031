//! Containers: create (with the hardening every app gets), start, stop, remove, inspect, list,
//! logs, exec, and whether one answers HTTP.

use async_trait::async_trait;
use bollard::{
    container::LogOutput,
    errors::Error as BollardError,
    exec::{StartExecOptions, StartExecResults},
    models::{ContainerCpuStats, ContainerStatsResponse, ExecConfig, HealthStatusEnum},
    query_parameters::{
        CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
        RemoveContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
    },
};
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::{Docker, convert, create::create_body, ignore_missing, label_filter};
use crate::runtime::{
    Answer, ContainerDetails, ContainerSpec, ContainerState, ContainerStats, ContainerSummary,
    Containers, ExecOutput, Health, LogQuery, OutputLine, Result, RuntimeError, Selector,
};

/// Docker's sample in Milkcrate's terms: CPU as `docker stats` computes it (the container's share
/// of the host's CPU time since the previous sample, times the online CPUs), memory without the
/// page cache the kernel can reclaim.
fn stats_of(s: &ContainerStatsResponse) -> ContainerStats {
    let usage = |c: &Option<ContainerCpuStats>| {
        let c = c.as_ref();
        (
            c.and_then(|c| c.cpu_usage.as_ref()?.total_usage)
                .unwrap_or(0),
            c.and_then(|c| c.system_cpu_usage).unwrap_or(0),
        )
    };
    let ((cpu, system), (pre_cpu, pre_system)) = (usage(&s.cpu_stats), usage(&s.precpu_stats));
    let cpus = s
        .cpu_stats
        .as_ref()
        .and_then(|c| c.online_cpus)
        .unwrap_or(1)
        .max(1);
    let (cpu_delta, system_delta) = (
        cpu.saturating_sub(pre_cpu),
        system.saturating_sub(pre_system),
    );
    let cpu_percent = if system_delta > 0 && pre_system > 0 {
        cpu_delta as f64 / system_delta as f64 * f64::from(cpus) * 100.0
    } else {
        0.0
    };
    let memory = s.memory_stats.as_ref();
    let cache = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|st| st.get("inactive_file").or_else(|| st.get("cache")).copied())
        .unwrap_or(0);
    let (net_rx_bytes, net_tx_bytes) = s
        .networks
        .iter()
        .flatten()
        .fold((0, 0), |(rx, tx), (_, n)| {
            (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
        });
    let block = |op: &str| {
        s.blkio_stats
            .as_ref()
            .and_then(|b| b.io_service_bytes_recursive.as_ref())
            .into_iter()
            .flatten()
            .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
            .filter_map(|e| e.value)
            .sum()
    };
    ContainerStats {
        cpu_percent,
        memory_bytes: memory
            .and_then(|m| m.usage)
            .unwrap_or(0)
            .saturating_sub(cache),
        memory_limit_bytes: memory.and_then(|m| m.limit).unwrap_or(0),
        net_rx_bytes,
        net_tx_bytes,
        block_read_bytes: block("read"),
        block_write_bytes: block("write"),
        pids: s.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    }
}

/// An exec's attached output.
type ExecStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = std::result::Result<LogOutput, BollardError>> + Send>,
>;

impl Docker {
    /// Starts `cmd` (argv, no shell) in a running container, attached to its stdout (and
    /// stderr): the exec's id and its output.
    async fn start_exec(
        &self,
        container: &str,
        cmd: Vec<String>,
        stderr: bool,
    ) -> Result<(String, Option<ExecStream>)> {
        let what = format!("exec in {container}");
        let exec = self
            .client
            .create_exec(
                container,
                ExecConfig {
                    attach_stdout: Some(true),
                    attach_stderr: Some(stderr),
                    cmd: Some(cmd),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| convert(&what, e))?;
        let output = match self
            .client
            .start_exec(&exec.id, None::<StartExecOptions>)
            .await
            .map_err(|e| convert(&what, e))?
        {
            StartExecResults::Attached { output, .. } => Some(output),
            StartExecResults::Detached => None,
        };
        Ok((exec.id, output))
    }
}

/// Keeps lines `skip..skip + take` of a byte stream, holding at most one partial line (itself
/// cut at 64 KiB).
struct LineWindow {
    skip: usize,
    take: usize,
    seen: usize,
    partial: Vec<u8>,
    kept: Vec<String>,
    more: bool,
}

impl LineWindow {
    const MAX_LINE: usize = 64 * 1024;

    fn new(skip: usize, take: usize) -> Self {
        Self {
            skip,
            take,
            seen: 0,
            partial: Vec::new(),
            kept: Vec::new(),
            more: false,
        }
    }

    /// Feeds a chunk; true once a line past the window was seen.
    fn feed(&mut self, chunk: &[u8]) -> bool {
        for &byte in chunk {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                if self.line(line) {
                    return true;
                }
            } else if self.partial.len() < Self::MAX_LINE {
                self.partial.push(byte);
            }
        }
        false
    }

    fn line(&mut self, line: Vec<u8>) -> bool {
        self.seen += 1;
        if self.seen > self.skip + self.take {
            self.more = true;
            return true;
        }
        if self.seen > self.skip {
            self.kept.push(String::from_utf8_lossy(&line).into_owned());
        }
        false
    }

    fn finish(mut self) -> (Vec<String>, bool) {
        if !self.more && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(line);
        }
        (self.kept, self.more)
    }
}

/// Lines of a log chunk written with timestamps (`2026-12-01T12:00:00.123456789Z text`).
fn output_lines(chunk: &[u8], stderr: bool) -> Vec<Result<OutputLine>> {
    String::from_utf8_lossy(chunk)
        .lines()
        .map(|line| {
            let (at, text) = match line.split_once(' ') {
                Some((stamp, text)) => match chrono::DateTime::parse_from_rfc3339(stamp) {
                    Ok(at) => (Some(at.with_timezone(&chrono::Utc)), text),
                    Err(_) => (None, line),
                },
                None => (None, line),
            };
            Ok(OutputLine {
                stderr,
                at,
                text: text.to_string(),
            })
        })
        .collect()
}

/// How long one HTTP knock may take.
const KNOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

#[async_trait]
impl Containers for Docker {
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let created = self
            .client
            .create_container(Some(options), create_body(spec))
            .await
            .map_err(|e| convert(&format!("container {}", spec.name), e))?;
        Ok(created.id)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        match self.client.start_container(id, None).await {
            // 304: already running.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            other => other.map_err(|e| convert(&format!("container {id}"), e)),
        }
    }

    async fn stop_container(&self, id: &str, grace_secs: i32) -> Result<()> {
        let options = StopContainerOptionsBuilder::default().t(grace_secs).build();
        match self.client.stop_container(id, Some(options)).await {
            // 304: already stopped.
            Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            other => other.map_err(|e| convert(&format!("container {id}"), e)),
        }
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(false)
            .build();
        ignore_missing(
            self.client
                .remove_container(id, Some(options))
                .await
                .map_err(|e| convert(&format!("container {id}"), e)),
        )
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        let c = self
            .client
            .inspect_container(id, None)
            .await
            .map_err(|e| convert(&format!("container {id}"), e))?;
        let state = c.state.unwrap_or_default();
        let addresses = c
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(net, ep)| {
                ep.ip_address
                    .filter(|ip| !ip.is_empty())
                    .map(|ip| (net, ip))
            })
            .collect();
        Ok(ContainerDetails {
            id: c.id.unwrap_or_default(),
            state: state
                .status
                .map(|s| state_of(s.as_ref()))
                .unwrap_or(ContainerState::Other),
            exit_code: state.exit_code,
            restart_count: c.restart_count.unwrap_or(0),
            error: state.error.filter(|e| !e.is_empty()),
            health: state.health.and_then(|h| h.status).and_then(|s| match s {
                HealthStatusEnum::STARTING => Some(Health::Starting),
                HealthStatusEnum::HEALTHY => Some(Health::Healthy),
                HealthStatusEnum::UNHEALTHY => Some(Health::Unhealthy),
                _ => None,
            }),
            addresses,
            labels: c.config.and_then(|c| c.labels).unwrap_or_default(),
        })
    }

    /// Containers (running or not) carrying all of `labels`.
    async fn list_containers(&self, selector: Selector<'_>) -> Result<Vec<ContainerSummary>> {
        let filters = label_filter(selector);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_containers(Some(options))
            .await
            .map_err(|e| convert("containers", e))?;
        Ok(list
            .into_iter()
            .map(|c| ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                state: c
                    .state
                    .map(|s| state_of(s.as_ref()))
                    .unwrap_or(ContainerState::Other),
                labels: c.labels.unwrap_or_default(),
                health: c.status.as_deref().and_then(health_in_status),
                exit_code: c.status.as_deref().and_then(exit_code_in_status),
            })
            .collect())
    }

    /// The last `tail` lines the container printed.
    async fn container_logs(&self, id: &str, tail: usize) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(false)
            .tail(&tail.to_string())
            .build();
        let chunks: Vec<_> = self
            .client
            .logs(id, Some(options))
            .try_collect()
            .await
            .map_err(|e| convert(&format!("logs of {id}"), e))?;
        Ok(chunks
            .iter()
            .map(|c| String::from_utf8_lossy(&c.clone().into_bytes()).into_owned())
            .collect())
    }

    async fn output(
        &self,
        id: &str,
        query: LogQuery,
    ) -> Result<BoxStream<'static, Result<OutputLine>>> {
        let mut options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .follow(query.follow)
            .tail(&query.tail.to_string());
        if let Some(since) = query.since {
            options = options.since(i32::try_from(since).unwrap_or(i32::MAX));
        }
        let options = options.build();
        // bollard's stream borrows its client: a task owns a clone and forwards lines through a
        // small channel, so a slow reader slows the daemon's stream instead of filling memory.
        let (client, id) = (self.client.clone(), id.to_string());
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut stream = client.logs(&id, Some(options));
            while let Some(chunk) = stream.next().await {
                let lines = match chunk {
                    Ok(LogOutput::StdErr { message }) => output_lines(&message, true),
                    Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                        output_lines(&message, false)
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => vec![Err(convert(&format!("logs of {id}"), e))],
                };
                for line in lines {
                    if tx.send(line).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|line| (line, rx))
        })
        .boxed())
    }

    async fn stats(&self, id: &str) -> Result<ContainerStats> {
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(false)
            .build();
        let sample = self
            .client
            .stats(id, Some(options))
            .next()
            .await
            // No sample: the container went away while it was being sampled.
            .ok_or_else(|| RuntimeError::NotFound(format!("container {id}")))?
            .map_err(|e| convert(&format!("stats of {id}"), e))?;
        Ok(stats_of(&sample))
    }

    async fn exec(&self, container: &str, cmd: Vec<String>) -> Result<ExecOutput> {
        let what = format!("exec in {container}");
        let (id, output) = self.start_exec(container, cmd, true).await?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        if let Some(mut output) = output {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(|e| convert(&what, e))? {
                    LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                    LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                    _ => {}
                }
            }
        }
        let inspect = self
            .client
            .inspect_exec(&id)
            .await
            .map_err(|e| convert(&what, e))?;
        Ok(ExecOutput {
            exit_code: inspect.exit_code.unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    async fn exec_lines(
        &self,
        container: &str,
        cmd: Vec<String>,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<String>, bool)> {
        let what = format!("exec in {container}");
        let (_, output) = self.start_exec(container, cmd, false).await?;
        let mut window = LineWindow::new(skip, take);
        if let Some(mut output) = output {
            while let Some(chunk) = output.next().await {
                if let LogOutput::StdOut { message } = chunk.map_err(|e| convert(&what, e))?
                    && window.feed(&message)
                {
                    // Enough: the rest is never read (the command ends on its own).
                    return Ok(window.finish());
                }
            }
        }
        Ok(window.finish())
    }

    async fn knock_http(&self, address: &str, port: u16, path: &str) -> Result<Option<Answer>> {
        let knock = async {
            let mut stream = TcpStream::connect((address, port)).await.ok()?;
            let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            stream.write_all(request.as_bytes()).await.ok()?;
            // The status line fits in the first bytes; a reply that is not HTTP still answers.
            let mut head = [0u8; 16];
            let mut read = 0;
            while read < head.len() {
                match stream.read(&mut head[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
            }
            (read > 0).then(|| Answer {
                status: status_of(&head[..read]),
            })
        };
        Ok(tokio::time::timeout(KNOCK_TIMEOUT, knock)
            .await
            .ok()
            .flatten())
    }
}

/// The status code of an HTTP status line (`HTTP/1.1 204 …`).
fn status_of(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/")?;
    let code = rest.split(' ').nth(1)?;
    code.get(..3)?.parse().ok()
}

fn state_of(status: &str) -> ContainerState {
    match status {
        "created" => ContainerState::Created,
        "running" => ContainerState::Running,
        "restarting" => ContainerState::Restarting,
        "exited" | "dead" => ContainerState::Exited,
        _ => ContainerState::Other,
    }
}

/// Docker 20.10's container list has no health field; its status text (`Up 3 seconds
/// (healthy)`, `Exited (1) 2 minutes ago`) carries health and exit code.
fn health_in_status(status: &str) -> Option<Health> {
    if status.contains("(healthy)") {
        Some(Health::Healthy)
    } else if status.contains("(unhealthy)") {
        Some(Health::Unhealthy)
    } else if status.contains("(health: starting)") {
        Some(Health::Starting)
    } else {
        None
    }
}

fn exit_code_in_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_are_computed_as_docker_stats_does() {
        let sample: ContainerStatsResponse = serde_json::from_value(serde_json::json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_u64}, "system_cpu_usage": 20_000_000_u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_u64}, "system_cpu_usage": 10_000_000_u64},
            "memory_stats": {"usage": 50_000_000_u64, "limit": 536_870_912_u64, "stats": {"inactive_file": 10_000_000_u64}},
            "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 20}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
            "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096}, {"op": "Write", "value": 8192}]},
            "pids_stats": {"current": 3}
        }))
        .unwrap();
        let stats = stats_of(&sample);
        assert!((stats.cpu_percent - 40.0).abs() < 1e-9, "{stats:?}");
        assert_eq!(stats.memory_bytes, 40_000_000);
        assert_eq!(stats.memory_limit_bytes, 536_870_912);
        assert_eq!((stats.net_rx_bytes, stats.net_tx_bytes), (101, 22));
        assert_eq!(
            (stats.block_read_bytes, stats.block_write_bytes),
            (4096, 8192)
        );
        assert_eq!(stats.pids, 3);
    }

    #[test]
    fn a_line_window_keeps_its_page_across_chunks_and_tells_of_more() {
        let mut window = LineWindow::new(2, 2);
        assert!(!window.feed(b"a\nb\nc"));
        assert!(!window.feed(b"c\nd\n"));
        assert!(window.feed(b"e\nf\n"));
        assert_eq!(
            window.finish(),
            (vec!["cc".to_string(), "d".to_string()], true)
        );
        let mut last = LineWindow::new(1, 5);
        last.feed(b"x\ny\nz");
        assert_eq!(
            last.finish(),
            (vec!["y".to_string(), "z".to_string()], false)
        );
    }

    #[test]
    fn log_lines_carry_their_time_and_stream() {
        let lines = output_lines(b"2026-12-01T12:00:00.5Z hello world\nno stamp here\n", true);
        let first = lines[0].as_ref().unwrap();
        assert_eq!(first.text, "hello world");
        assert!(first.stderr);
        assert_eq!(
            first.at.unwrap().to_rfc3339(),
            "2026-12-01T12:00:00.500+00:00"
        );
        let second = lines[1].as_ref().unwrap();
        assert_eq!((second.at, second.text.as_str()), (None, "no stamp here"));
    }

    #[test]
    fn health_and_exit_code_are_read_from_the_status_text() {
        assert_eq!(
            health_in_status("Up 3 seconds (healthy)"),
            Some(Health::Healthy)
        );
        assert_eq!(
            health_in_status("Up 1 second (health: starting)"),
            Some(Health::Starting)
        );
        assert_eq!(
            health_in_status("Up 2 minutes (unhealthy)"),
            Some(Health::Unhealthy)
        );
        assert_eq!(health_in_status("Up 2 minutes"), None);
        assert_eq!(exit_code_in_status("Exited (0) 5 seconds ago"), Some(0));
        assert_eq!(exit_code_in_status("Exited (137) 1 hour ago"), Some(137));
        assert_eq!(exit_code_in_status("Up 2 minutes"), None);
    }
}
