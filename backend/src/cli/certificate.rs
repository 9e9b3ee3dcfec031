//! `milkcrate certificate HOST --chain FILE --key FILE`: uploads a certificate for one of the
//! server's hosts (the files are read here; the server checks them and names what is wrong).

use std::path::Path;

use reqwest::Method;
use shared::v1::{UploadCertificate, UploadedCertificate};

use super::client::Client;

pub async fn upload(client: &Client, host: &str, chain: &Path, key: &Path) -> anyhow::Result<()> {
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
    };
    let body = UploadCertificate {
        host: host.to_string(),
        chain: read(chain)?,
        key: read(key)?,
    };
    let uploaded: UploadedCertificate = client
        .json(
            client
                .request(Method::POST, "/api/v1/certificates")
                .json(&body),
        )
        .await?;
    println!(
        "{} is served with the uploaded certificate ({}; valid until {})",
        uploaded.host,
        uploaded.names.join(", "),
        uploaded.not_after.format("%Y-%m-%d")
    );
    Ok(())
}
