//! Deliveries: each webhook event becomes a logged delivery per registered webhook, posted as
//! signed JSON and retried with backoff until a 2xx or the last attempt.
//!
//! Signature: `X-Milkcrate-Signature: sha256=<hex>`, the HMAC-SHA256, keyed by the webhook's
//! secret, of `<X-Milkcrate-Timestamp>.<body>` (Unix seconds, a dot, the exact body bytes).

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};
use shared::v1::{AppStatus, DeploymentStatus, Event, WebhookPayload};
use tokio::sync::broadcast::error::RecvError;

use super::seal_context;
use crate::{
    db::entities::{deployment, webhook, webhook_delivery},
    domain::Platform,
};

pub const SIGNATURE_HEADER: &str = "x-milkcrate-signature";
pub const TIMESTAMP_HEADER: &str = "x-milkcrate-timestamp";
const EVENT_HEADER: &str = "x-milkcrate-event";
const DELIVERY_HEADER: &str = "x-milkcrate-delivery";

/// Attempts per delivery; the waits between them double from the first.
const ATTEMPTS: i32 = 5;
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// How long one attempt may take, answer included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `"<timestamp>.<body>"`).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mac = hmac_sha256(secret, &[format!("{timestamp}.").as_bytes(), body]);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// RFC 2104 over SHA-256, of `parts` joined.
fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut key = [0u8; BLOCK];
    if secret.len() > BLOCK {
        key[..32].copy_from_slice(&Sha256::digest(secret));
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    let pad = |byte: u8| key.map(|k| k ^ byte);
    let mut inner = Sha256::new().chain_update(pad(0x36));
    for part in parts {
        inner.update(part);
    }
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner.finalize())
        .finalize()
        .into()
}

impl Platform {
    /// Turns what the event bus tells into webhook deliveries, for as long as the platform runs.
    pub async fn follow_webhooks(self: Arc<Self>) {
        let mut events = self.subscribe(None).live;
        loop {
            let event = match events.recv().await {
                Ok((_, event)) => event,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("webhooks fell {n} events behind; those are not delivered");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let (name, app, deployment) = match &*event {
                Event::Deployment {
                    id,
                    app,
                    status: DeploymentStatus::Running,
                } => ("deployment.succeeded", app, Some(*id)),
                Event::Deployment {
                    id,
                    app,
                    status: DeploymentStatus::Failed,
                } => ("deployment.failed", app, Some(*id)),
                Event::App {
                    app,
                    status: AppStatus::Exited,
                } => ("app.exited", app, None),
                Event::App {
                    app,
                    status: AppStatus::Restarting,
                } => ("app.restarting", app, None),
                _ => continue,
            };
            let error = match deployment.filter(|_| name == "deployment.failed") {
                Some(id) => deployment::Entity::find_by_id(id)
                    .one(&self.db)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|d| d.error),
                None => None,
            };
            self.send_webhooks(WebhookPayload {
                event: name.into(),
                app: app.clone(),
                deployment,
                error,
                at: Utc::now(),
            })
            .await;
        }
    }

    /// A container of `app` turned unhealthy (told by the runtime's events).
    pub(in crate::domain) async fn app_unhealthy(self: &Arc<Self>, app: &str) {
        self.send_webhooks(WebhookPayload {
            event: "app.unhealthy".into(),
            app: app.into(),
            deployment: None,
            error: None,
            at: Utc::now(),
        })
        .await;
    }

    /// Logs a delivery of `payload` to every webhook and sends each in the background.
    async fn send_webhooks(self: &Arc<Self>, payload: WebhookPayload) {
        let hooks = match webhook::Entity::find().all(&self.db).await {
            Ok(hooks) => hooks,
            Err(e) => {
                tracing::warn!("cannot read the webhooks: {e}");
                return;
            }
        };
        let body = match serde_json::to_vec(&payload) {
            Ok(body) => Arc::new(body),
            Err(_) => return,
        };
        for hook in hooks {
            let row = webhook_delivery::ActiveModel {
                webhook_id: Set(hook.id),
                event: Set(payload.event.clone()),
                status: Set("pending".into()),
                attempts: Set(0),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&self.db)
            .await;
            let Ok(row) = row else {
                continue;
            };
            let secret = match self
                .secrets
                .open(&hook.secret_sealed, &seal_context(&hook.url))
            {
                Ok(secret) => secret,
                Err(e) => {
                    self.finish_delivery(row, "failed", None, Some(e.to_string()), 0)
                        .await;
                    continue;
                }
            };
            let this = self.clone();
            let body = body.clone();
            let event = payload.event.clone();
            self.tasks.spawn(async move {
                let shutdown = this.shutdown.clone();
                tokio::select! {
                    () = this.deliver(row.clone(), hook.url, secret, event, body) => {}
                    () = shutdown.cancelled() => {
                        this.finish_delivery(row, "failed", None,
                            Some("interrupted: Milkcrate shut down".into()), 0).await;
                    }
                }
            });
        }
    }

    async fn deliver(
        &self,
        row: webhook_delivery::Model,
        url: String,
        secret: String,
        event: String,
        body: Arc<Vec<u8>>,
    ) {
        let client = self.webhook_client();
        let mut wait = FIRST_WAIT;
        for attempt in 1..=ATTEMPTS {
            let timestamp = Utc::now().timestamp();
            let sent = client
                .post(&url)
                .timeout(ATTEMPT_TIMEOUT)
                .header("content-type", "application/json")
                .header(EVENT_HEADER, &event)
                .header(DELIVERY_HEADER, row.id.to_string())
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, sign(secret.as_bytes(), timestamp, &body))
                .body(body.as_ref().clone())
                .send()
                .await;
            let (status, error) = match sent {
                Ok(r) if r.status().is_success() => {
                    let status = Some(i32::from(r.status().as_u16()));
                    self.finish_delivery(row, "delivered", status, None, attempt)
                        .await;
                    return;
                }
                Ok(r) => (
                    Some(i32::from(r.status().as_u16())),
                    format!("answered {}", r.status()),
                ),
                // Without the URL: it may be long, and the admin knows it.
                Err(e) => (None, e.without_url().to_string()),
            };
            if attempt == ATTEMPTS {
                self.finish_delivery(row, "failed", status, Some(error), attempt)
                    .await;
                return;
            }
            let mut active: webhook_delivery::ActiveModel = row.clone().into();
            active.attempts = Set(attempt);
            active.response_status = Set(status);
            active.error = Set(Some(error));
            let _ = active.update(&self.db).await;
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }

    async fn finish_delivery(
        &self,
        row: webhook_delivery::Model,
        status: &str,
        response: Option<i32>,
        error: Option<String>,
        attempts: i32,
    ) {
        let mut active: webhook_delivery::ActiveModel = row.into();
        active.status = Set(status.into());
        active.response_status = Set(response);
        active.error = Set(error);
        active.attempts = Set(attempts);
        active.finished_at = Set(Some(Utc::now()));
        if let Err(e) = active.update(&self.db).await {
            tracing::warn!("cannot record a webhook delivery: {e}");
        }
    }

    /// One client for every delivery: redirects are not followed (the URL is the admin's
    /// choice, not the receiver's).
    fn webhook_client(&self) -> reqwest::Client {
        self.webhook_client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap_or_default()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let hex = |b: [u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        // Test case 2, the data split in two parts.
        assert_eq!(
            hex(hmac_sha256(
                b"Jefe",
                &[b"what do ya ", b"want for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            sign(b"Jefe", 7, b"{}"),
            format!("sha256={}", hex(hmac_sha256(b"Jefe", &[b"7.{}"])))
        );
    }
}
