//! Outgoing webhooks: registered with a URL and a secret (sealed at rest), told of deployments
//! that succeed or fail and of apps that exit, restart or turn unhealthy; every delivery is
//! logged (`send.rs` signs, sends and retries).

mod send;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::v1::{CreateWebhook, DeliveryStatus, Webhook, WebhookDelivery};

pub use send::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

use super::{DomainError, DomainResult, Platform};
use crate::db::entities::{webhook, webhook_delivery};

/// Deliveries listed, newest first.
const LISTED: u64 = 100;

/// What a secret is sealed for: the webhook's URL, so a sealed value moved to another row does
/// not open.
fn seal_context(url: &str) -> String {
    format!("webhook {url}")
}

/// A URL Milkcrate may post to: http(s), a host, no credentials (they would be shown back).
fn check_url(url: &str) -> DomainResult<String> {
    let invalid = |m: &str| DomainError::field("url", m);
    let url = url.trim();
    if url.len() > 2048 {
        return Err(invalid("at most 2048 characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("must start with http:// or https://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "must not hold credentials: the secret authenticates deliveries",
        ));
    }
    Ok(parsed.to_string())
}

fn check_secret(secret: &str) -> DomainResult<()> {
    let n = secret.chars().count();
    if !(16..=256).contains(&n) {
        return Err(DomainError::field("secret", "16 to 256 characters"));
    }
    Ok(())
}

fn to_wire(row: webhook::Model) -> Webhook {
    Webhook {
        id: row.id,
        url: row.url,
        created_at: row.created_at,
    }
}

fn delivery_to_wire(row: webhook_delivery::Model) -> WebhookDelivery {
    WebhookDelivery {
        id: row.id,
        event: row.event,
        status: match row.status.as_str() {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        },
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        response_status: row.response_status.and_then(|s| u16::try_from(s).ok()),
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}

impl Platform {
    pub async fn create_webhook(&self, request: CreateWebhook) -> DomainResult<Webhook> {
        let url = check_url(&request.url);
        let secret = check_secret(&request.secret);
        let url = match (url, secret) {
            (Ok(url), Ok(())) => url,
            (Err(DomainError::Invalid(mut a)), Err(DomainError::Invalid(b))) => {
                a.extend(b);
                return Err(DomainError::Invalid(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let row = webhook::ActiveModel {
            secret_sealed: Set(self.secrets.seal(&request.secret, &seal_context(&url))),
            url: Set(url),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(to_wire(row))
    }

    pub async fn list_webhooks(&self) -> DomainResult<Vec<Webhook>> {
        Ok(webhook::Entity::find()
            .order_by_asc(webhook::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_wire)
            .collect())
    }

    pub async fn delete_webhook(&self, id: i64) -> DomainResult<()> {
        let deleted = webhook::Entity::delete_by_id(id).exec(&self.db).await?;
        if deleted.rows_affected == 0 {
            return Err(DomainError::not_found("webhook", id));
        }
        Ok(())
    }

    /// The last deliveries to a webhook, newest first.
    pub async fn webhook_deliveries(&self, id: i64) -> DomainResult<Vec<WebhookDelivery>> {
        webhook::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::not_found("webhook", id))?;
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(id))
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(LISTED)
            .all(&self.db)
            .await?
            .into_iter()
            .map(delivery_to_wire)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        assert_eq!(
            check_url(" https://example.com/hook ").unwrap(),
            "https://example.com/hook"
        );
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "ftp://example.com/",
            "example.com/hook",
            "https://user:pw@example.com/",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_secret("short").is_err());
        assert!(check_secret(&"s".repeat(16)).is_ok());
    }
}
