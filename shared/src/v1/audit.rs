//! The audit trail (`GET /api/v1/audit`): who changed what, from where, with what outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One recorded login or change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Increasing; pass the smallest one seen as `before` for the next page.
    pub id: i64,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub at: DateTime<Utc>,
    /// `admin session`, `token:<name>`, or `anonymous` (a login attempt).
    pub actor: String,
    /// What was asked, e.g. `app.create`, `app.stop`, `auth.login`, `token.revoke`.
    pub action: String,
    /// What it was asked of (an app, a deployment id, a volume, a token), when there is one.
    pub target: String,
    /// The HTTP status of the answer: 2xx done, 4xx refused, 5xx failed.
    pub status: u16,
    /// The client's address (as for the login limits: `X-Forwarded-For` only from trusted proxies).
    pub client: String,
}
