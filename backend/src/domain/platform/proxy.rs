//! The platform's own Traefik: Milkcrate makes sure it exists and routes the platform's paths
//! back to Milkcrate, unless the proxy is run by someone else (`MILKCRATE_PROXY=external`).

use std::collections::HashMap;

use crate::domain::{DomainResult, Platform};
use crate::{
    config::ProxyMode,
    runtime::{ContainerSpec, ContainerState, RuntimeError, labels},
};

/// Label holding a digest of the proxy's settings: a container with another digest is replaced.
const CONFIG_DIGEST: &str = "milkcrate.proxy-config";
const DYNAMIC_CONFIG_PATH: &str = "etc/milkcrate/dynamic.yml";

impl Platform {
    /// Creates, updates or starts the Traefik container as needed. Idempotent and cheap when
    /// everything is in place already.
    pub async fn ensure_proxy(&self) -> DomainResult<()> {
        let network = self
            .runtime
            .ensure_network(&self.config.traefik_network, self.names.instance_labels())
            .await?;
        if self.config.proxy.mode == ProxyMode::External {
            return Ok(());
        }
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
        let dynamic = labels::platform_dynamic_config(&upstream);
        let cmd = self.traefik_args();
        let digest = digest(&format!(
            "{}\n{cmd:?}\n{dynamic}\n{}\n{}\n{}",
            proxy.image, proxy.http_port, proxy.http_bind, proxy.docker_socket
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
            return self.remember_proxy_address(&c.id).await;
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
        let spec = ContainerSpec {
            name: proxy.container_name.clone(),
            image: proxy.image.clone(),
            labels: container_labels,
            cmd: Some(cmd),
            network: self.config.traefik_network.clone(),
            limits: None,
            publish: vec![(80, proxy.http_bind.clone(), proxy.http_port)],
            binds: vec![format!("{}:/var/run/docker.sock:ro", proxy.docker_socket)],
            ..Default::default()
        };
        let id = self.runtime.create_container(&spec).await?;
        self.runtime
            .upload_tar(&id, dynamic_config_tar(&dynamic)?)
            .await?;
        self.runtime.start_container(&id).await?;
        self.remember_proxy_address(&id).await?;
        tracing::info!(
            "proxy {} serves http://{}:{} and sends platform paths to {upstream}",
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

    /// Traefik's static configuration. The Docker provider only sees this instance's objects.
    fn traefik_args(&self) -> Vec<String> {
        vec![
            "--entrypoints.web.address=:80".into(),
            // Drop headers whose names alias others (`X_User` for `X-User`): CGI-style backends
            // would read them as the header Traefik manages (CVE-2026-88879).
            "--entrypoints.web.http.aliasHeadersStrategy=delete".into(),
            "--providers.docker=true".into(),
            // Apply a new app's labels within half a second (Traefik waits 2 s by default).
            "--providers.providersThrottleDuration=500ms".into(),
            "--providers.docker.exposedbydefault=false".into(),
            format!("--providers.docker.network={}", self.config.traefik_network),
            format!(
                "--providers.docker.constraints=Label(`{}`,`{}`)",
                labels::INSTANCE,
                self.config.instance
            ),
            format!("--providers.file.filename=/{DYNAMIC_CONFIG_PATH}"),
            "--global.checknewversion=false".into(),
            "--global.sendanonymoususage=false".into(),
            "--log.level=WARN".into(),
        ]
    }
}

/// A digest that stays the same across Rust releases (unlike `DefaultHasher`), so an upgrade of
/// Milkcrate does not replace the proxy for nothing.
fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The dynamic config as a tar for the archive API: works on any image, no host bind mount.
fn dynamic_config_tar(contents: &str) -> Result<Vec<u8>, RuntimeError> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    let pack = |e: std::io::Error| RuntimeError::Failed(format!("packing the proxy config: {e}"));
    for path in ["etc/", "etc/milkcrate/"] {
        builder
            .append_data(&mut dir.clone(), path, std::io::empty())
            .map_err(pack)?;
    }
    let mut file = tar::Header::new_gnu();
    file.set_mode(0o644);
    file.set_size(contents.len() as u64);
    builder
        .append_data(&mut file, DYNAMIC_CONFIG_PATH, contents.as_bytes())
        .map_err(pack)?;
    builder.into_inner().map_err(pack)
}
