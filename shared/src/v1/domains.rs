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

/// Where a domain's certificate stands: `{"state": "issued", "not_after": "..."}`,
/// `{"state": "failed", "reason": "..."}`, `{"state": "pending"}` or `{"state": "off"}`.
/// Renewal is Traefik's job; it shows here the same way. (A struct, not an internally tagged
/// enum: serde's buffering for those cost the dashboard about 9 KB of gzip.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Certificate {
    pub state: CertificateState,
    /// When it expires (`issued` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "super::time::utc_option")
    )]
    pub not_after: Option<DateTime<Utc>>,
    /// Why the last order failed, as the ACME server or Traefik put it (`failed` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Uploaded by the admin (`POST /api/v1/certificates`) rather than ordered from the ACME
    /// server; renewing it is the admin's job.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uploaded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CertificateState {
    /// HTTPS is not set up (no `MILKCRATE_ACME_EMAIL`): the domain is served on plain HTTP.
    Off,
    /// Asked for; not issued yet.
    Pending,
    /// Issued and served.
    Issued,
    /// The last attempt failed; Traefik tries again.
    Failed,
}

impl Certificate {
    pub fn new(state: CertificateState) -> Self {
        Self {
            state,
            not_after: None,
            reason: None,
            uploaded: false,
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

/// The body of `POST /api/v1/certificates`: a certificate for one host, used instead of an
/// ACME order. Checked before it is kept: the key belongs to the chain's first certificate,
/// that certificate covers `host`, and it is valid now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadCertificate {
    /// An app's host name or the dashboard's (`MILKCRATE_ADMIN_HOST`).
    pub host: String,
    /// PEM: the host's certificate first, then the intermediates.
    pub chain: String,
    /// PEM: the unencrypted private key (PKCS#8, PKCS#1 or SEC1). Kept sealed, never sent
    /// back.
    pub key: String,
}

/// An uploaded certificate, as listed (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedCertificate {
    pub host: String,
    /// The DNS names the certificate covers.
    pub names: Vec<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// How many certificates the chain holds (the host's own included).
    pub chain_length: u32,
    pub uploaded_at: DateTime<Utc>,
}
