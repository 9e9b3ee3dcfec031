//! The platform's own Traefik: Milkcrate makes sure it exists, joins every app's edge network,
//! and feeds it its routes over Traefik's HTTP provider (`edge.rs`): the proxy has no Docker
//! socket. Unless the proxy is run by someone else (`MILKCRATE_PROXY=external`).

use std::collections::HashMap;

use super::traefik::{API_ENTRYPOINT, API_PORT, TOKEN_HEADER};
use crate::domain::{DomainResult, Platform};
use crate::{
    config::ProxyMode,
    runtime::{ContainerSpec, ContainerState, RuntimeError, labels},
};

/// Label holding a digest of the proxy's settings: a container with another digest is replaced.
const CONFIG_DIGEST: &str = "milkcrate.proxy-config";
/// Where Traefik polls Milkcrate for its routes.
pub const CONFIG_ENDPOINT: &str = "/internal/proxy/config";

impl Platform {
    /// Creates, updates or starts the Traefik container as needed. Idempotent and cheap when
    /// everything is in place already.
    pub async fn ensure_proxy(&self) -> DomainResult<()> {
        let network = self
            .runtime
            .ensure_network(&self.config.traefik_network, self.names.instance_labels())
            .await?;
        let proxy = &self.config.proxy;
        let upstream = match &proxy.upstream {
            Some(url) => url.clone(),
            None => {
                let gateway = network.gateway.clone().ok_or_else(|| {
                    RuntimeError::Failed(format!(
                        "network {} has no gateway; set MILKCRATE_UPSTREAM",
                        self.config.traefik_network
                    ))
                })?;
                format!("http://{gateway}:{}", self.config.listen.port())
            }
        };
        self.set_upstream(&upstream);
        if proxy.mode == ProxyMode::External {
            return Ok(());
        }
        let mut cmd = self.traefik_args(&upstream);
        let https = self.https_setup().await?;
        let mut fingerprint = String::new();
        if let Some(h) = &https {
            cmd.extend(h.args.iter().cloned());
            fingerprint = format!("\n{}\n{:?}", h.fingerprint, h.publish);
        }
        let digest = digest(&format!(
            "{}\n{cmd:?}\n{}\n{}{fingerprint}",
            proxy.image, proxy.http_port, proxy.http_bind
        ));

        let existing = self
            .runtime
            .list_containers(&[
                (labels::INSTANCE, self.names.instance()),
                (labels::ROLE, "proxy"),
            ])
            .await?;
        let (current, stale): (Vec<_>, Vec<_>) = existing.into_iter().partition(|c| {
            c.labels.get(CONFIG_DIGEST) == Some(&digest) && c.name == proxy.container_name
        });
        if let Some(c) = current.first() {
            if c.state != ContainerState::Running {
                self.runtime.start_container(&c.id).await?;
            }
            self.remember_proxy_address(&c.id).await?;
            return self.join_edge_networks().await;
        }
        // Make sure the image is there before the old proxy goes: a failed pull must not leave
        // every app without a router.
        if !self.runtime.image_exists(&proxy.image).await? {
            tracing::info!("pulling {}", proxy.image);
            self.runtime.pull_image(&proxy.image).await.map_err(|e| {
                RuntimeError::Failed(format!(
                    "the proxy image {} is not present and could not be pulled ({e}); set MILKCRATE_TRAEFIK_IMAGE to an image you have",
                    proxy.image
                ))
            })?;
        }
        for c in stale {
            tracing::info!(
                "replacing proxy container {} (its settings changed)",
                c.name
            );
            self.runtime.remove_container(&c.id).await?;
        }
        // A container that is not ours but has the name (an older install) is in the way.
        self.runtime.remove_container(&proxy.container_name).await?;
        let mut container_labels: HashMap<String, String> = self.names.instance_labels();
        container_labels.insert(labels::ROLE.into(), "proxy".into());
        container_labels.insert(CONFIG_DIGEST.into(), digest);
        let mut spec = ContainerSpec {
            name: proxy.container_name.clone(),
            image: proxy.image.clone(),
            labels: container_labels,
            cmd: Some(cmd),
            network: self.config.traefik_network.clone(),
            limits: None,
            publish: vec![(80, proxy.http_bind.clone(), proxy.http_port)],
            ..Default::default()
        };
        if let Some(h) = &https {
            spec.publish.push(h.publish.clone());
            spec.volumes.push(h.volume.clone());
            spec.env.extend(h.env.iter().cloned());
        }
        let id = self.runtime.create_container(&spec).await?;
        if let Some(h) = https.filter(|h| !h.files.is_empty()) {
            self.runtime.upload_tar(&id, h.files).await?;
        }
        self.runtime.start_container(&id).await?;
        self.remember_proxy_address(&id).await?;
        self.join_edge_networks().await?;
        tracing::info!(
            "proxy {} serves http://{}:{} and takes its routes from {upstream}",
            proxy.container_name,
            proxy.http_bind,
            proxy.http_port
        );
        Ok(())
    }

    async fn remember_proxy_address(&self, container: &str) -> DomainResult<()> {
        let details = self.runtime.inspect_container(container).await?;
        let address = details
            .addresses
            .get(&self.config.traefik_network)
            .and_then(|a| a.parse().ok());
        *self
            .proxy_address
            .write()
            .unwrap_or_else(|p| p.into_inner()) = address;
        Ok(())
    }

    /// Traefik's static configuration: the apps' entry point, its own API on an internal entry
    /// point (for Milkcrate's checks, with the token), and its routes polled from Milkcrate.
    fn traefik_args(&self, upstream: &str) -> Vec<String> {
        vec![
            "--entrypoints.web.address=:80".into(),
            // Drop headers whose names alias others (`X_User` for `X-User`): CGI-style backends
            // would read them as the header Traefik manages (CVE-2026-88879).
            "--entrypoints.web.http.aliasHeadersStrategy=delete".into(),
            format!("--entrypoints.{API_ENTRYPOINT}.address=:{API_PORT}"),
            "--api=true".into(),
            "--api.dashboard=false".into(),
            format!("--providers.http.endpoint={upstream}{CONFIG_ENDPOINT}"),
            // Often, so a new route is served within a few hundred milliseconds; Traefik applies
            // a configuration only when it changed.
            "--providers.http.pollInterval=200ms".into(),
            "--providers.http.pollTimeout=2s".into(),
            format!(
                "--providers.http.headers.{TOKEN_HEADER}={}",
                self.proxy_token()
            ),
            "--providers.providersThrottleDuration=100ms".into(),
            "--global.checknewversion=false".into(),
            "--global.sendanonymoususage=false".into(),
            "--log.level=WARN".into(),
        ]
    }
}

/// A digest that stays the same across Rust releases (unlike `DefaultHasher`), so an upgrade of
/// Milkcrate does not replace the proxy for nothing.
fn digest(text: &str) -> String {
    digest_bytes(text.as_bytes())
}

pub(super) fn digest_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
