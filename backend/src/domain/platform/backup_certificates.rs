//! The managed proxy's ACME store in backups: its account and every certificate it was issued,
//! so a restored instance serves them without new orders (and without meeting the CA's rate
//! limits). Read from the running proxy as the certificates' state is; written back into its
//! volume before the proxy is restarted to load it. (Uploaded certificates are rows of the
//! database and travel with it.)

use std::path::Path;

use sea_orm::EntityTrait;

use super::{acme_store::without_hosts, backup::Stored, traefik_hosts::RESOLVER};
use crate::{
    db::entities::certificate,
    domain::{DomainResult, Platform},
};

/// Where the store sits in a backup.
const IN_BACKUP: &str = "certificates/acme.json";
/// A store larger than this is not Traefik's (one certificate is a few KB).
const MAX_STORE: u64 = 16 * 1024 * 1024;

impl Platform {
    /// Copies the proxy's ACME store into `dir`, when HTTPS is on and the store exists.
    pub(super) async fn backup_acme_store(&self, dir: &Path) -> DomainResult<Option<Stored>> {
        if !self.https_managed() {
            return Ok(None);
        }
        let Some(store) = self.read_acme_store().await? else {
            return Ok(None);
        };
        let target = dir.join(IN_BACKUP);
        tokio::fs::create_dir_all(dir.join("certificates"))
            .await
            .map_err(|e| anyhow::anyhow!("backup folder: {e}"))?;
        tokio::fs::write(&target, &store)
            .await
            .map_err(|e| anyhow::anyhow!("writing the ACME store: {e}"))?;
        Ok(Some(super::backup::stored(&target, IN_BACKUP).await?))
    }

    /// Puts a backup's ACME store into the proxy's volume (without the ordered certificates of
    /// hosts that have an uploaded one) and restarts the proxy to load it. Without HTTPS on this
    /// instance there is no store to fill: it is left out, saying so.
    pub(super) async fn restore_acme_store(&self, file: &Path) -> DomainResult<()> {
        if !self.https_managed() {
            tracing::warn!(
                "the backup holds the proxy's certificates, but HTTPS is off here (no MILKCRATE_ACME_EMAIL): they are not restored"
            );
            return Ok(());
        }
        let store = tokio::fs::read(file)
            .await
            .map_err(|e| anyhow::anyhow!("reading the backup's ACME store: {e}"))?;
        let uploaded: Vec<String> = certificate::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| c.host)
            .collect();
        let store = without_hosts(&store, &uploaded).unwrap_or(store);
        self.replace_acme_store(&store).await?;
        tracing::info!("restored the proxy's ACME store; the proxy was restarted to load it");
        Ok(())
    }
}

/// A backup's ACME store must be what Milkcrate's proxy writes: a JSON object holding only the
/// `milkcrate` resolver, whose certificates each name a main domain and carry a certificate and
/// a key as text (a store Traefik cannot read would keep the proxy, and every app, down); the
/// problem otherwise.
pub fn check_acme_store(file: &Path) -> Result<(), String> {
    let refused = |why: &str| format!("{IN_BACKUP}: {why}");
    let size = std::fs::metadata(file)
        .map_err(|e| refused(&e.to_string()))?
        .len();
    if size > MAX_STORE {
        return Err(refused("larger than any ACME store"));
    }
    let bytes = std::fs::read(file).map_err(|e| refused(&e.to_string()))?;
    let store: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| refused("not an ACME store (a JSON object)"))?;
    let resolvers = store
        .as_object()
        .ok_or_else(|| refused("not an ACME store (a JSON object)"))?;
    if let Some(other) = resolvers.keys().find(|k| k.as_str() != RESOLVER) {
        return Err(refused(&format!(
            "the resolver `{other}` is not Milkcrate's (`{RESOLVER}`)"
        )));
    }
    let certificates = resolvers
        .get(RESOLVER)
        .and_then(|r| r.get("Certificates"))
        .filter(|c| !c.is_null());
    let Some(certificates) = certificates else {
        return Ok(());
    };
    let well_formed = certificates.as_array().is_some_and(|list| {
        list.iter().all(|c| {
            c["domain"]["main"].is_string() && c["certificate"].is_string() && c["key"].is_string()
        })
    });
    if well_formed {
        Ok(())
    } else {
        Err(refused(
            "its certificates are not Traefik's (each a domain, a certificate and a key)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(store: serde_json::Value) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("acme.json");
        std::fs::write(&file, store.to_string()).unwrap();
        check_acme_store(&file)
    }

    #[test]
    fn only_a_store_of_milkcrates_resolver_in_traefiks_shape_is_restored() {
        let good = serde_json::json!({ "milkcrate": {
            "Account": { "Email": "a@example.com" },
            "Certificates": [{ "domain": { "main": "a.example.com" }, "certificate": "c", "key": "k" }]
        }});
        assert_eq!(checked(good), Ok(()));
        assert_eq!(
            checked(serde_json::json!({ "milkcrate": { "Certificates": null } })),
            Ok(())
        );
        let other = checked(serde_json::json!({ "evil": {} })).unwrap_err();
        assert!(other.contains("`evil` is not Milkcrate's"), "{other}");
        let odd =
            checked(serde_json::json!({ "milkcrate": { "Certificates": [{ "domain": 1 }] } }));
        assert!(odd.unwrap_err().contains("not Traefik's"));
        assert!(checked(serde_json::json!([1, 2])).is_err());
    }
}
