//! API tokens for scripts and CI (`/api/v1/tokens`), and the scopes that bound them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a token may do. Each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Every read except secret-bearing ones (volume file downloads, the audit trail).
    Read,
    /// `read`, plus creating apps and deployments, rollback, start, stop and restart.
    Deploy,
    /// Everything but managing tokens and the password, which need the admin session.
    Admin,
}

impl TokenScope {
    pub const ALL: [Self; 3] = [Self::Read, Self::Deploy, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Deploy => "deploy",
            Self::Admin => "admin",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateToken {
    /// Unique among the tokens: 1 to 64 letters, digits, `.`, `_` and `-` (it names the token in
    /// the audit trail, as `token:<name>`).
    pub name: String,
    pub scope: TokenScope,
    /// Days until it stops working (1 to 3650); without it, it works until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used, to the minute (uses are recorded at most once a minute).
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /api/v1/tokens`: the only time the token itself is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// Send it as `Authorization: Bearer <token>`. Only its hash is stored: copy it now.
    pub token: String,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}
