//! What an app does at run time: its own output (not its build log) and its resource use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which stream a line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One line an app printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogLine {
    /// The compose service that printed it; absent for a Dockerfile app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub stream: LogStream,
    /// When the runtime received it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "super::time::utc_option")
    )]
    pub at: Option<DateTime<Utc>>,
    /// The line, without its newline; invalid UTF-8 replaced.
    pub text: String,
}

/// One container's resource use, sampled now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceStats {
    /// The compose service; absent for a Dockerfile app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Of one core: 150 is one and a half cores.
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub pids: u64,
}

/// An app's resource use: one entry per container of its current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppStats {
    pub app: String,
    pub services: Vec<ServiceStats>,
}
