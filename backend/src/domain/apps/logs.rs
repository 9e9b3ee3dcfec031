//! An app at run time: the recent lines of its current version's containers (every service of a
//! stack, or one), in time order, or a live stream of new ones, and their resource use. Bounded
//! both ways: the tail has a maximum, and a reader that falls behind a live stream is dropped,
//! never buffered for.

use futures_util::{StreamExt, stream::BoxStream};
use shared::v1::{AppStats, LogLine, LogStream, ServiceStats};

use crate::{
    domain::{DomainError, DomainResult, Platform},
    runtime::{LogQuery, OutputLine, RuntimeError},
};

/// The most lines one request returns.
pub const MAX_TAIL: usize = 1000;
/// Lines a live stream may hold for a reader before it is dropped.
const FOLLOW_BUFFER: usize = 1024;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct LogRequest {
    pub tail: Option<usize>,
    /// Unix seconds.
    pub since: Option<i64>,
    /// One service of a stack.
    pub service: Option<String>,
}

fn wire(service: &str, line: OutputLine) -> LogLine {
    LogLine {
        service: (!service.is_empty()).then(|| service.to_string()),
        stream: if line.stderr {
            LogStream::Stderr
        } else {
            LogStream::Stdout
        },
        at: line.at,
        text: line.text,
    }
}

impl Platform {
    /// The containers a log request reads: the current version's, or one service's.
    async fn log_sources(
        &self,
        name: &str,
        service: Option<&str>,
    ) -> DomainResult<Vec<(String, String)>> {
        let app = self.find_app(name).await?;
        let current = self.current_deployment(&app).await?;
        let mut containers: Vec<(String, String)> = self
            .deployment_containers(current)
            .await?
            .into_iter()
            .filter(|(s, _)| service.is_none_or(|wanted| s == wanted))
            .collect();
        if containers.is_empty() {
            return Err(DomainError::field(
                "service",
                format!("`{name}` has no service `{}`", service.unwrap_or_default()),
            ));
        }
        containers.sort();
        Ok(containers)
    }

    /// The last lines of the app's output, oldest first.
    pub async fn app_logs(&self, name: &str, request: &LogRequest) -> DomainResult<Vec<LogLine>> {
        let tail = request.tail.unwrap_or(200).min(MAX_TAIL);
        let mut lines = Vec::new();
        for (service, container) in self.log_sources(name, request.service.as_deref()).await? {
            let query = LogQuery {
                tail,
                since: request.since,
                follow: false,
            };
            let mut stream = self.runtime.output(&container, query).await?;
            while let Some(line) = stream.next().await {
                lines.push(wire(&service, line?));
            }
        }
        // Services interleave by time; a line without one keeps its place.
        lines.sort_by_key(|l| l.at);
        let skip = lines.len().saturating_sub(tail);
        Ok(lines.split_off(skip))
    }

    /// New lines of the app's output as they come, until every container's stream ends or the
    /// reader falls `FOLLOW_BUFFER` lines behind.
    pub async fn follow_app_logs(
        &self,
        name: &str,
        request: &LogRequest,
    ) -> DomainResult<BoxStream<'static, LogLine>> {
        let sources = self.log_sources(name, request.service.as_deref()).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(FOLLOW_BUFFER);
        for (service, container) in sources {
            let query = LogQuery {
                tail: request.tail.unwrap_or(0).min(MAX_TAIL),
                since: request.since,
                follow: true,
            };
            let mut stream = self.runtime.output(&container, query).await?;
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(Ok(line)) = stream.next().await {
                    // Full: the reader is too slow; closed: it left. Either way, stop.
                    if tx.try_send(wire(&service, line)).is_err() {
                        return;
                    }
                }
            });
        }
        Ok(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|line| (line, rx))
        })
        .boxed())
    }

    /// The resource use of each container of the app's current version, sampled at once.
    pub async fn app_stats(&self, name: &str) -> DomainResult<AppStats> {
        let sources = self.log_sources(name, None).await?;
        let samples = futures_util::future::join_all(
            sources
                .iter()
                .map(|(_, container)| self.runtime.stats(container)),
        )
        .await;
        let mut services = Vec::new();
        for ((service, _), sample) in sources.into_iter().zip(samples) {
            let s = sample.map_err(|e| match e {
                RuntimeError::NotFound(_) => DomainError::Conflict(format!(
                    "the containers of `{name}` changed while they were sampled (a new release or a restart); ask again"
                )),
                e => e.into(),
            })?;
            services.push(ServiceStats {
                service: (!service.is_empty()).then_some(service),
                cpu_percent: s.cpu_percent,
                memory_bytes: s.memory_bytes,
                memory_limit_bytes: s.memory_limit_bytes,
                net_rx_bytes: s.net_rx_bytes,
                net_tx_bytes: s.net_tx_bytes,
                block_read_bytes: s.block_read_bytes,
                block_write_bytes: s.block_write_bytes,
                pids: s.pids,
            });
        }
        Ok(AppStats {
            app: name.to_ascii_lowercase(),
            services,
        })
    }
}
