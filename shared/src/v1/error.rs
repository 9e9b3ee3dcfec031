use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Machine-readable error class; clients branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a field is malformed or breaks a rule; see `fields`.
    ValidationFailed,
    /// The uploaded archive was refused; `fields.file` names the entry and the rule.
    InvalidArchive,
    /// No valid session or token.
    Unauthorized,
    /// Authenticated, but the request is not allowed (for example a missing CSRF token).
    Forbidden,
    /// The resource does not exist.
    NotFound,
    /// The resource exists but does not accept this HTTP method.
    MethodNotAllowed,
    /// The request clashes with existing state (a taken name or route, a busy app).
    Conflict,
    /// The upload is larger than the configured limit.
    PayloadTooLarge,
    /// Too many attempts; retry after the `Retry-After` header's seconds.
    RateLimited,
    /// The Docker daemon cannot be reached.
    RuntimeUnavailable,
    /// Milkcrate's data disk is full; nothing was kept of the request. Free space and retry.
    InsufficientStorage,
    /// An unexpected server fault; the server log has the details.
    Internal,
}

/// The one error shape every endpoint returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Machine-readable class.
    pub code: ErrorCode,
    /// What went wrong, for a person.
    pub message: String,
    /// Messages per request field (`name`, `route`, `file`, ...), for validation failures.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Vec<String>>,
}
