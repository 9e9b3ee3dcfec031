//! An app's own output (not its build log).

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
