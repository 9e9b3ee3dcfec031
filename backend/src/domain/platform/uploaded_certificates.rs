//! Certificates the admin uploads for a host, used instead of an ACME order: checked
//! (`certificate_check.rs`), kept with the key sealed, opened into the edge's table and served
//! to the proxy inline. One per host; uploading again replaces it, deleting it hands the host
//! back to the ACME resolver.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use shared::v1::{UploadCertificate, UploadedCertificate};

use super::{certificate_check, traefik_hosts::UploadedPair};
use crate::{
    db::entities::{app_domain, certificate},
    domain::{DomainError, DomainResult, FieldErrors, Platform},
};

/// What a key is sealed for: its host, so a sealed key moved to another row does not open.
pub(in crate::domain) fn seal_context(host: &str) -> String {
    format!("certificate {host}")
}

impl Platform {
    /// Checks and keeps a certificate for one of Milkcrate's hosts, replacing the one it had.
    pub async fn upload_certificate(
        &self,
        upload: UploadCertificate,
    ) -> DomainResult<UploadedCertificate> {
        if !self.config.proxy.https() {
            return Err(DomainError::Conflict(
                "HTTPS is off: set MILKCRATE_ACME_EMAIL to give the proxy its HTTPS entry point"
                    .into(),
            ));
        }
        let host = self.served_host(&upload.host).await?;
        let checked = certificate_check::check(&host, &upload.chain, &upload.key, Utc::now())
            .map_err(|problems| {
                let mut fields = FieldErrors::new();
                for (field, problem) in problems {
                    fields.entry(field.to_string()).or_default().push(problem);
                }
                DomainError::Invalid(fields)
            })?;
        let row = certificate::ActiveModel {
            host: Set(host.clone()),
            chain: Set(checked.chain.clone()),
            key_sealed: Set(self.secrets.seal(&checked.key, &seal_context(&host))),
            not_before: Set(checked.not_before),
            not_after: Set(checked.not_after),
            uploaded_at: Set(Utc::now()),
            ..Default::default()
        };
        let txn = self.db.begin().await?;
        certificate::Entity::delete_many()
            .filter(certificate::Column::Host.eq(&host))
            .exec(&txn)
            .await?;
        let row = row.insert(&txn).await?;
        txn.commit().await?;
        self.refresh_domains().await?;
        self.app_list.forget();
        // Routed with the upload from now on; an ordered certificate for the host must go, or
        // Traefik would serve either of the two.
        self.drop_ordered_certificates(std::slice::from_ref(&host))
            .await?;
        tracing::info!(host, "certificate uploaded, valid until {}", row.not_after);
        Ok(to_wire(row, checked.names))
    }

    /// Every uploaded certificate, by host; never a key.
    pub async fn list_certificates(&self) -> DomainResult<Vec<UploadedCertificate>> {
        let rows = certificate::Entity::find()
            .order_by_asc(certificate::Column::Host)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let names = names_of(&row.chain);
                to_wire(row, names)
            })
            .collect())
    }

    /// Removes a host's uploaded certificate: the ACME resolver serves it again.
    pub async fn delete_certificate(&self, host: &str) -> DomainResult<()> {
        let host = host.to_ascii_lowercase();
        let deleted = certificate::Entity::delete_many()
            .filter(certificate::Column::Host.eq(&host))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(DomainError::not_found("certificate", host));
        }
        self.refresh_domains().await?;
        self.app_list.forget();
        Ok(())
    }

    /// The uploaded certificates with their keys opened, for the edge. A key that does not
    /// open (another secrets key) is left out, loudly: the host falls back to ACME.
    pub(in crate::domain) async fn open_uploaded_certificates(
        &self,
    ) -> DomainResult<BTreeMap<String, UploadedPair>> {
        let rows = certificate::Entity::find().all(&self.db).await?;
        let mut opened = BTreeMap::new();
        for row in rows {
            match self.secrets.open(&row.key_sealed, &seal_context(&row.host)) {
                Ok(key) => {
                    opened.insert(
                        row.host,
                        UploadedPair {
                            chain: row.chain,
                            key,
                            not_after: row.not_after,
                        },
                    );
                }
                Err(_) => tracing::error!(
                    host = row.host,
                    "the uploaded certificate's key does not open with this MILKCRATE_SECRETS_KEY; it is not served"
                ),
            }
        }
        Ok(opened)
    }

    /// `host`, lowercase, if it is an app's host name or the dashboard's.
    async fn served_host(&self, host: &str) -> DomainResult<String> {
        let admin_host = self.config.proxy.admin_host.as_deref();
        let host = host.trim().to_ascii_lowercase();
        if admin_host == Some(host.as_str()) {
            return Ok(host);
        }
        let valid =
            shared::validation::domains(std::slice::from_ref(&host), None).map_err(|problems| {
                DomainError::Invalid(FieldErrors::from([("host".into(), problems)]))
            })?;
        let served = app_domain::Entity::find()
            .filter(app_domain::Column::Host.is_in(valid.clone()))
            .one(&self.db)
            .await?
            .is_some();
        if served {
            Ok(host)
        } else {
            Err(DomainError::field(
                "host",
                format!(
                    "no app is served at `{host}`: add it to an app's domains first (or set it as MILKCRATE_ADMIN_HOST)"
                ),
            ))
        }
    }
}

/// The DNS names of a stored chain's first certificate.
fn names_of(chain: &str) -> Vec<String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let Ok(leaf) = CertificateDer::from_pem_slice(chain.as_bytes()) else {
        return Vec::new();
    };
    webpki::EndEntityCert::try_from(&leaf)
        .map(|c| c.valid_dns_names().map(str::to_string).collect())
        .unwrap_or_default()
}

fn to_wire(row: certificate::Model, names: Vec<String>) -> UploadedCertificate {
    UploadedCertificate {
        chain_length: row.chain.matches("-----BEGIN CERTIFICATE-----").count() as u32,
        host: row.host,
        names,
        not_before: row.not_before,
        not_after: row.not_after,
        uploaded_at: row.uploaded_at,
    }
}

#[cfg(test)]
mod tests {
    use shared::v1::CertificateState;

    use super::*;
    use crate::domain::{deploy::tests::deploy_new, testing::TestPlatform};

    // Made with openssl for the tests only: a test CA's certificate for shop.example.com and
    // *.shop.example.com (EC P-256) and another (RSA) key.
    const SHOP: &str = include_str!("testdata/uploaded/shop.pem");
    const SHOP_KEY: &str = include_str!("testdata/uploaded/shop.key");
    const OTHER_KEY: &str = include_str!("testdata/uploaded/other.key");
    const HOST: &str = "shop.example.com";

    async fn with_https(acme: bool) -> TestPlatform {
        let t = TestPlatform::with_config(|c| {
            c.proxy.acme_email = acme.then(|| "ops@example.com".to_string());
        })
        .await;
        deploy_new(&t, "shop").await;
        t.platform
            .set_domains("shop", &[HOST.to_string(), "blog.example.com".into()])
            .await
            .unwrap();
        t
    }

    fn upload(host: &str, key: &str) -> UploadCertificate {
        UploadCertificate {
            host: host.into(),
            chain: SHOP.into(),
            key: key.into(),
        }
    }

    fn refusal(e: DomainError) -> String {
        match e {
            DomainError::Invalid(fields) => format!("{fields:?}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_uploaded_certificate_is_served_for_its_host_and_its_key_never_shown() {
        let t = with_https(true).await;
        let uploaded = t
            .platform
            .upload_certificate(upload("Shop.Example.com", SHOP_KEY))
            .await
            .unwrap();
        assert_eq!(uploaded.host, HOST);
        assert_eq!(uploaded.chain_length, 2);
        assert_eq!(uploaded.names, [HOST, "*.shop.example.com"]);

        let config = t.platform.proxy_config();
        let served = &config["tls"]["certificates"][0];
        assert!(served["keyFile"].as_str().unwrap().contains("PRIVATE KEY"));
        assert_eq!(
            served["certFile"]
                .as_str()
                .unwrap()
                .matches("BEGIN")
                .count(),
            2
        );
        let routers = &config["http"]["routers"];
        let tls_of = |host: &str| {
            routers
                .as_object()
                .unwrap()
                .values()
                .find(|r| {
                    r["rule"] == format!("Host(`{host}`)") && r["entryPoints"][0] == "websecure"
                })
                .map(|r| r["tls"].clone())
                .unwrap()
        };
        assert_eq!(tls_of(HOST), serde_json::json!({}));
        assert_eq!(tls_of("blog.example.com")["certResolver"], "milkcrate");

        let app = t.platform.get_app("shop").await.unwrap();
        let shop = app.domains.iter().find(|d| d.host == HOST).unwrap();
        assert_eq!(shop.certificate.state, CertificateState::Issued);
        assert!(shop.certificate.uploaded);
        assert_eq!(shop.certificate.not_after, Some(uploaded.not_after));

        // The key is in no answer and not in the database file in the clear.
        let listed = serde_json::to_string(&t.platform.list_certificates().await.unwrap()).unwrap();
        assert!(!listed.contains("PRIVATE") && listed.contains(HOST));
        let key_body = SHOP_KEY.lines().nth(1).unwrap();
        let db = std::fs::read(t.platform.config().db_path()).unwrap();
        assert!(!db.windows(key_body.len()).any(|w| w == key_body.as_bytes()));

        // Deleted: the host goes back to the ACME resolver.
        t.platform.delete_certificate(HOST).await.unwrap();
        assert_eq!(tls_of_config(&t.platform.proxy_config(), HOST), "milkcrate");
        assert!(matches!(
            t.platform.delete_certificate(HOST).await,
            Err(DomainError::NotFound { .. })
        ));
    }

    fn tls_of_config(config: &serde_json::Value, host: &str) -> String {
        config["http"]["routers"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["rule"] == format!("Host(`{host}`)") && r["entryPoints"][0] == "websecure")
            .map(|r| r["tls"]["certResolver"].as_str().unwrap_or("").to_string())
            .unwrap()
    }

    #[tokio::test]
    async fn a_wrong_key_an_unserved_host_or_https_off_change_nothing() {
        let t = with_https(true).await;
        let problem = refusal(
            t.platform
                .upload_certificate(upload(HOST, OTHER_KEY))
                .await
                .unwrap_err(),
        );
        assert!(
            problem.contains("\"key\"") && problem.contains("does not belong"),
            "{problem}"
        );
        let problem = refusal(
            t.platform
                .upload_certificate(upload("www.shop.example.com", SHOP_KEY))
                .await
                .unwrap_err(),
        );
        assert!(
            problem.contains("no app is served at `www.shop.example.com`"),
            "{problem}"
        );
        let problem = refusal(
            t.platform
                .upload_certificate(upload("blog.example.com", SHOP_KEY))
                .await
                .unwrap_err(),
        );
        assert!(
            problem.contains("does not cover `blog.example.com`"),
            "{problem}"
        );
        assert!(t.platform.list_certificates().await.unwrap().is_empty());
        assert!(t.platform.proxy_config().get("tls").is_none());

        let off = with_https(false).await;
        assert!(matches!(
            off.platform.upload_certificate(upload(HOST, SHOP_KEY)).await,
            Err(DomainError::Conflict(m)) if m.contains("MILKCRATE_ACME_EMAIL")
        ));
    }

    #[tokio::test]
    async fn a_backup_carries_the_domains_and_uploaded_certificates_sealed() {
        let source = with_https(true).await;
        source
            .platform
            .upload_certificate(upload(HOST, SHOP_KEY))
            .await
            .unwrap();
        let archive = source.data.path().join("backup.tar.gz");
        source.platform.backup(&archive).await.unwrap();

        let stranger = TestPlatform::with_secrets_key("another key").await;
        let message = stranger
            .platform
            .restore(&archive)
            .await
            .unwrap_err()
            .describe();
        assert!(
            message.contains("certificate uploaded for `shop.example.com`"),
            "{message}"
        );

        let target = TestPlatform::with_config(|c| {
            c.proxy.acme_email = Some("ops@example.com".into());
        })
        .await;
        target.platform.restore(&archive).await.unwrap();
        let app = target.platform.get_app("shop").await.unwrap();
        let hosts: Vec<&str> = app.domains.iter().map(|d| d.host.as_str()).collect();
        assert_eq!(hosts, [HOST, "blog.example.com"]);
        assert!(app.domains.iter().any(|d| d.certificate.uploaded));
        assert_eq!(
            target.platform.proxy_config()["tls"]["certificates"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
    }
}
