//! Outgoing webhooks: where Milkcrate posts what happened, signed with a shared secret.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/webhooks`. The secret signs every delivery; it is stored sealed and never shown
/// again.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateWebhook {
    /// `http://` or `https://`, without credentials.
    pub url: String,
    /// 16 to 256 characters.
    pub secret: String,
}

/// A registered webhook (its secret is never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not answered with a 2xx yet; retried.
    Pending,
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// One event sent to a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: i64,
    /// `deployment.succeeded`, `deployment.failed`, `app.exited`, `app.restarting` or
    /// `app.unhealthy`.
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub response_status: Option<u16>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    #[cfg_attr(target_arch = "wasm32", serde(deserialize_with = "super::time::utc"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(
        target_arch = "wasm32",
        serde(deserialize_with = "super::time::utc_option")
    )]
    pub finished_at: Option<DateTime<Utc>>,
}

/// The JSON body of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPayload {
    /// The event's name, as in `X-Milkcrate-Event`.
    pub event: String,
    pub app: String,
    /// The deployment, for `deployment.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<i64>,
    /// Why a deployment failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}
