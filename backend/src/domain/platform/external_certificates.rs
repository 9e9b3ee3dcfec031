//! Certificate states with an external proxy (`MILKCRATE_PROXY=external`, the `docker/` compose
//! setup): that Traefik's ACME store is read from a file Milkcrate can see
//! (`MILKCRATE_ACME_STORE`: the store volume mounted read-only), and failed orders from its log
//! when `MILKCRATE_TRAEFIK_CONTAINER` names its container on Milkcrate's Docker daemon. Without a
//! store every domain stays `pending`; without the container, `failed` is never shown (a failed
//! order stays `pending`, and Traefik tries again). Parsed as in managed mode
//! (`certificates.rs`): host names and dates only, the keys are never logged or served.

use crate::domain::Platform;

impl Platform {
    /// An external Traefik's `acme.json`, from the file `MILKCRATE_ACME_STORE` names; `None`
    /// without the setting or before Traefik writes it (with the first account).
    pub(super) async fn external_store(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(path) = &self.config.proxy.acme_store else {
            return Ok(None);
        };
        match tokio::fs::read(path).await {
            Ok(store) => Ok(Some(store)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
        }
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
        platform.read_certificates().await.unwrap();
        assert_eq!(
            platform.certificate_of("blog.example.com").state,
            CertificateState::Pending
        );

        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let json = serde_json::json!({ "milkcrate": { "Certificates": [
            { "domain": { "main": "blog.example.com" }, "certificate": b64, "key": "secret" }
        ]}});
        std::fs::write(&store, json.to_string()).unwrap();
        platform.read_certificates().await.unwrap();
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
