use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A host name an app is served at the root of, with its certificate's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Domain {
    /// The host name, lowercase (`blog.example.com`).
    pub host: String,
    pub certificate: Certificate,
}

/// Where a domain's certificate stands. Renewal is Traefik's job; it shows here the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Certificate {
    /// HTTPS is not set up (no `MILKCRATE_ACME_EMAIL`): the domain is served on plain HTTP.
    Off,
    /// Asked for; not issued yet.
    Pending,
    /// Issued and served.
    Issued {
        /// When it expires.
        #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
        not_after: DateTime<Utc>,
    },
    /// The last attempt failed; Traefik tries again.
    Failed {
        /// Why, as the ACME server or Traefik put it.
        reason: String,
    },
}

impl Certificate {
    /// A short word for the dashboard.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Off => "HTTP only",
            Self::Pending => "pending",
            Self::Issued { .. } => "issued",
            Self::Failed { .. } => "failed",
        }
    }
}

/// The body of `PUT /api/v1/apps/{name}/domains`: the app's host names, all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainsUpdate {
    /// Fully qualified host names, e.g. `["blog.example.com"]`; empty removes them all.
    pub domains: Vec<String>,
}
