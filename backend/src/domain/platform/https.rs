//! HTTPS on the managed Traefik (with `MILKCRATE_ACME_EMAIL` set): the `websecure` entry point,
//! the ACME resolver (HTTP-01 on the apps' entry point), its store on a volume of its own (kept
//! when the proxy is replaced), and the CA bundle Traefik trusts for the ACME server, copied into
//! the container before it starts (no bind mount: Milkcrate may itself run in a container).

use super::{
    certificates::{ACME_DIR, ACME_STORE},
    traefik_hosts::{HTTPS_ENTRYPOINT, RESOLVER},
};
use crate::{
    domain::{DomainResult, Platform},
    runtime::{RuntimeError, VolumeMount},
};

/// The port Traefik listens for HTTPS on inside its container.
pub const HTTPS_PORT: u16 = 443;
/// Where the CA bundle is put in the proxy container (outside the store's volume).
const CA_FILE: &str = "milkcrate/acme-ca.pem";
/// The host's own bundle, used when `MILKCRATE_ACME_CA_CERTS` is unset: the Traefik image is
/// `FROM scratch` and has none, and lego trusts only `LEGO_CA_CERTIFICATES` once it is set.
const HOST_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// What the proxy container needs for HTTPS.
pub struct HttpsSetup {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub publish: (u16, String, u16),
    pub volume: VolumeMount,
    /// A tar to extract at `/` before the container starts.
    pub files: Vec<u8>,
    /// What goes into the proxy's settings digest.
    pub fingerprint: String,
}

impl Platform {
    /// The proxy's HTTPS parts, or `None` when HTTPS is not set up.
    pub(in crate::domain) async fn https_setup(&self) -> DomainResult<Option<HttpsSetup>> {
        let proxy = &self.config.proxy;
        let Some(email) = &proxy.acme_email else {
            return Ok(None);
        };
        let volume = self.names.certificates_volume();
        self.runtime
            .ensure_volume(&volume, self.names.instance_labels())
            .await?;
        let bundle_path = proxy
            .acme_ca_certs
            .clone()
            .unwrap_or_else(|| HOST_BUNDLE.into());
        let bundle = match tokio::fs::read(&bundle_path).await {
            Ok(bytes) => Some(bytes),
            Err(e) if proxy.acme_ca_certs.is_none() => {
                tracing::warn!(
                    "no CA bundle at {HOST_BUNDLE} ({e}); Traefik may not reach the ACME server: set MILKCRATE_ACME_CA_CERTS"
                );
                None
            }
            Err(e) => {
                return Err(RuntimeError::Failed(format!(
                    "reading MILKCRATE_ACME_CA_CERTS {}: {e}",
                    bundle_path.display()
                ))
                .into());
            }
        };
        let mut args = vec![
            format!("--entrypoints.{HTTPS_ENTRYPOINT}.address=:{HTTPS_PORT}"),
            format!("--entrypoints.{HTTPS_ENTRYPOINT}.http.aliasHeadersStrategy=delete"),
            format!("--certificatesresolvers.{RESOLVER}.acme.email={email}"),
            format!("--certificatesresolvers.{RESOLVER}.acme.storage={ACME_STORE}"),
            format!(
                "--certificatesresolvers.{RESOLVER}.acme.caserver={}",
                proxy.acme_ca_url
            ),
            format!("--certificatesresolvers.{RESOLVER}.acme.httpchallenge.entrypoint=web"),
        ];
        let (mut env, mut files, mut fingerprint) = (Vec::new(), Vec::new(), args.join(" "));
        if let Some(bundle) = bundle {
            env.push(format!("LEGO_CA_CERTIFICATES=/{CA_FILE}"));
            files = tar_of(CA_FILE, &bundle, 0o444)?;
            fingerprint.push_str(&super::proxy::digest_bytes(&bundle));
        }
        args.sort();
        Ok(Some(HttpsSetup {
            args,
            env,
            publish: (HTTPS_PORT, proxy.https_bind.clone(), proxy.https_port),
            volume: VolumeMount {
                volume,
                target: ACME_DIR.into(),
                read_only: false,
            },
            files,
            fingerprint,
        }))
    }
}

/// A tar of one file at `path`.
pub(super) fn tar_of(path: &str, bytes: &[u8], mode: u32) -> DomainResult<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_cksum();
    builder
        .append_data(&mut header, path, bytes)
        .map_err(|e| anyhow::anyhow!("packing {path}: {e}"))?;
    Ok(builder
        .into_inner()
        .map_err(|e| anyhow::anyhow!("packing {path}: {e}"))?)
}
