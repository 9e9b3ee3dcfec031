//! The managed proxy's ACME store (`acme.json` on its certificates volume): read through the
//! runtime's archive API, and replaced only with the proxy restarted (Traefik reads it at start
//! only). Replaced for two reasons: a restore brings it back, and a host given an uploaded
//! certificate must lose its ordered one, because Traefik picks between two certificates for
//! the same name at random (a Go map's order), and would keep serving the old one by chance.

use std::collections::HashSet;

use super::{
    certificates::{ACME_STORE, read_tar_file},
    https::tar_of,
};
use crate::domain::{DomainResult, Platform};

impl Platform {
    /// The managed proxy's `acme.json`; `None` before Traefik writes it (with its first
    /// account) or without the proxy.
    pub(super) async fn read_acme_store(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let work = tempfile::Builder::new()
            .prefix("acme-")
            .tempdir_in(self.paths.tmp())?;
        let tar = work.path().join("acme.tar");
        match self
            .runtime
            .download_archive(&self.config.proxy.container_name, ACME_STORE, &tar)
            .await
        {
            Ok(()) => Ok(Some(
                tokio::task::spawn_blocking(move || read_tar_file(&tar)).await??,
            )),
            Err(crate::runtime::RuntimeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Puts `store` in place of the proxy's and restarts the proxy to load it.
    pub(super) async fn replace_acme_store(&self, store: &[u8]) -> DomainResult<()> {
        let proxy = &self.config.proxy.container_name;
        let path = ACME_STORE.trim_start_matches('/');
        // Traefik refuses a store anyone but its owner may read.
        self.runtime
            .upload_tar(proxy, tar_of(path, store, 0o600)?)
            .await?;
        self.runtime.stop_container(proxy, 5).await?;
        self.ensure_proxy().await
    }

    /// Removes the ordered certificates of `hosts` from the managed proxy's store, restarting
    /// the proxy when there was one (a second or two without any app); nothing otherwise.
    pub(super) async fn drop_ordered_certificates(&self, hosts: &[String]) -> DomainResult<()> {
        if !self.https_managed() {
            return Ok(());
        }
        let Some(store) = self.read_acme_store().await? else {
            return Ok(());
        };
        let Some(pruned) = without_hosts(&store, hosts) else {
            return Ok(());
        };
        tracing::info!(
            "restarting the proxy without its ordered certificate for {}: an uploaded one replaces it",
            hosts.join(", ")
        );
        self.replace_acme_store(&pruned).await
    }
}

/// `store` without the certificates naming any of `hosts`; `None` when it holds none (or is
/// not a store).
pub fn without_hosts(store: &[u8], hosts: &[String]) -> Option<Vec<u8>> {
    let hosts: HashSet<String> = hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
    let mut json: serde_json::Value = serde_json::from_slice(store).ok()?;
    let mut removed = false;
    for resolver in json.as_object_mut()?.values_mut() {
        let Some(certificates) = resolver
            .get_mut("Certificates")
            .and_then(|c| c.as_array_mut())
        else {
            continue;
        };
        certificates.retain(|c| {
            let domain = &c["domain"];
            let names = std::iter::once(&domain["main"])
                .chain(domain["sans"].as_array().into_iter().flatten())
                .filter_map(|h| h.as_str());
            let named = names
                .map(str::to_ascii_lowercase)
                .any(|h| hosts.contains(&h));
            removed |= named;
            !named
        });
    }
    removed.then(|| serde_json::to_vec(&json).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_certificates_naming_the_hosts_go_and_the_account_stays() {
        let store = serde_json::json!({
            "milkcrate": {
                "Account": { "Email": "a@example.com", "PrivateKey": "account-key" },
                "Certificates": [
                    { "domain": { "main": "Shop.example.com" }, "certificate": "c1", "key": "k1" },
                    { "domain": { "main": "blog.example.com", "sans": ["www.shop.example.com"] },
                      "certificate": "c2", "key": "k2" },
                    { "domain": { "main": "news.example.com" }, "certificate": "c3", "key": "k3" }
                ]
            }
        });
        let hosts = [
            "shop.example.com".to_string(),
            "www.shop.example.com".into(),
        ];
        let pruned = without_hosts(store.to_string().as_bytes(), &hosts).unwrap();
        let pruned: serde_json::Value = serde_json::from_slice(&pruned).unwrap();
        let left = pruned["milkcrate"]["Certificates"].as_array().unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0]["domain"]["main"], "news.example.com");
        assert_eq!(pruned["milkcrate"]["Account"]["PrivateKey"], "account-key");
        // Nothing to remove, or not a store: left alone.
        let other = ["other.example.com".to_string()];
        assert!(without_hosts(store.to_string().as_bytes(), &other).is_none());
        assert!(without_hosts(b"not json", &hosts).is_none());
    }
}
