use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a restored backup held (`POST /api/v1/backups/restore`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RestoredBackup {
    /// When the backup was taken.
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
    /// The Milkcrate version that wrote it.
    pub milkcrate: String,
    /// Volumes brought back.
    pub volumes: Vec<String>,
    /// Image archives loaded (the apps' running versions).
    pub images: u64,
}
