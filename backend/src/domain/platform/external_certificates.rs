//! Certificate states with an external proxy (`MILKCRATE_PROXY=external`, the `docker/` compose
//! setup): that Traefik's ACME store is read from a file Milkcrate can see
//! (`MILKCRATE_ACME_STORE`: the store volume mounted read-only), and failed orders from its log
//! when `MILKCRATE_TRAEFIK_CONTAINER` names its container on Milkcrate's Docker daemon. Without a
//! store every domain stays `pending`; without the container, `failed` is never shown (a failed
//! order stays `pending`, and Traefik tries again). Parsed as in managed mode
//! (`certificates.rs`): host names and dates only, the keys are never logged or served.

use std::{collections::HashMap, sync::Arc, time::Duration};

use super::certificates::{Known, failures, parse_store};
use crate::{config::ProxyMode, domain::Platform, runtime::RuntimeError};

/// Lines of the proxy's log searched for failed orders.
const LOG_TAIL: usize = 400;
const WHILE_PENDING: Duration = Duration::from_secs(1);
const WHILE_SETTLED: Duration = Duration::from_secs(30);

impl Platform {
    /// Keeps the certificates' state current while the server runs, with an external proxy and
    /// HTTPS on (the managed proxy's are watched by `watch_certificates`).
    pub async fn watch_external_certificates(self: Arc<Self>) {
        let proxy = &self.config.proxy;
        if proxy.mode != ProxyMode::External || !proxy.https() {
            return;
        }
        if proxy.acme_store.is_none() {
            tracing::info!(
                "MILKCRATE_ACME_STORE is not set: certificate states stay `pending` (mount the \
                 external Traefik's ACME store read-only and name its acme.json there)"
            );
        }
        // Checked every second, read when a served host has no certificate yet (a domain just
        // added is seen within a second) or every 30 s otherwise (renewals).
        let mut last_read: Option<tokio::time::Instant> = None;
        loop {
            let issued = self.routes.certificates().issued;
            let waiting = self
                .routes
                .served_hosts()
                .iter()
                .any(|h| !issued.contains_key(h));
            if waiting || last_read.is_none_or(|t| t.elapsed() >= WHILE_SETTLED) {
                if let Err(e) = self.read_external_certificates().await {
                    tracing::debug!("cannot read the external proxy's certificates yet: {e}");
                }
                last_read = Some(tokio::time::Instant::now());
            }
            tokio::time::sleep(WHILE_PENDING).await;
        }
    }

    /// Reads the external proxy's ACME store and (when reachable) its log once.
    pub(in crate::domain) async fn read_external_certificates(&self) -> anyhow::Result<()> {
        let proxy = &self.config.proxy;
        let issued = match &proxy.acme_store {
            Some(path) => match tokio::fs::read(path).await {
                Ok(store) => parse_store(&store),
                // No store yet: Traefik writes it with the first account.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
                Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
            },
            None => HashMap::new(),
        };
        let failed = match self
            .runtime
            .container_logs(&proxy.container_name, LOG_TAIL)
            .await
        {
            Ok(log) => failures(&log),
            // Traefik runs elsewhere, or under another name: no reasons to show.
            Err(RuntimeError::NotFound(_)) => HashMap::new(),
            Err(e) => return Err(e.into()),
        };
        let known = Known { issued, failed };
        if self.routes.certificates() != known {
            self.routes.set_certificates(known);
            self.app_list.forget();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use shared::v1::CertificateState;

    use crate::{config::ProxyMode, domain::testing::TestPlatform};

    const PEM: &str = include_str!("testdata/blog.example.com.pem");

    #[tokio::test]
    async fn an_external_proxys_store_file_gives_the_states_and_no_store_means_pending() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("acme.json");
        let store_for_config = store.clone();
        let test = TestPlatform::with_config(move |c| {
            c.proxy.mode = ProxyMode::External;
            c.proxy.acme_email = Some("admin@example.com".into());
            c.proxy.acme_store = Some(store_for_config);
        })
        .await;
        let platform = &test.platform;

        // No file yet (Traefik has not written its account), no proxy container: pending.
        platform.read_external_certificates().await.unwrap();
        assert_eq!(
            platform.certificate_of("blog.example.com").state,
            CertificateState::Pending
        );

        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let json = serde_json::json!({ "milkcrate": { "Certificates": [
            { "domain": { "main": "blog.example.com" }, "certificate": b64, "key": "secret" }
        ]}});
        std::fs::write(&store, json.to_string()).unwrap();
        platform.read_external_certificates().await.unwrap();
        let certificate = platform.certificate_of("blog.example.com");
        assert_eq!(certificate.state, CertificateState::Issued);
        assert_eq!(
            certificate.not_after.unwrap().to_rfc3339(),
            "2036-11-28T14:33:07+00:00"
        );
        assert_eq!(
            platform.certificate_of("other.example.com").state,
            CertificateState::Pending
        );
    }
}
