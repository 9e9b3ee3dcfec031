use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/auth/login`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The admin password.
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("password", &"***")
            .finish()
    }
}

/// A session: the bearer token for API clients (the dashboard uses the cookie set alongside).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// A JWT for `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token and the session cookie stop working.
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub expires_at: DateTime<Utc>,
    /// Send it back as `X-CSRF-Token` on writes authenticated by the cookie.
    pub csrf_token: String,
}

/// `PUT /api/v1/auth/password`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password (at least 8 characters).
    pub new_password: String,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .finish_non_exhaustive()
    }
}

/// Who the caller is (`GET /api/v1/auth/session`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// Always `admin`: Milkcrate has one administrator.
    pub user: String,
    /// When the session ends.
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub expires_at: DateTime<Utc>,
    /// The token a cookie session sends as `X-CSRF-Token` with every write; the dashboard keeps
    /// it in memory (a cookie could be planted by another site on the same host name).
    pub csrf_token: String,
}
