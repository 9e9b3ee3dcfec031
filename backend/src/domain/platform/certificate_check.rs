//! Checks an uploaded certificate the way a TLS server would use it (pure): the chain is PEM
//! certificates only, the key belongs to the first one, that one covers the host (wildcards as
//! browsers match them) and is valid now. Both are re-encoded, so only the certificates and the
//! key are kept, whatever else the upload held. The chain's trust is not judged: private CAs
//! are a reason to upload.

use base64::Engine;
use chrono::{DateTime, Utc};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};

use super::certificates::validity;

use shared::validation::{
    MAX_CERTIFICATE_CHAIN_LEN as MAX_CHAIN_BYTES, MAX_CERTIFICATE_KEY_LEN as MAX_KEY_BYTES,
};
/// Most certificates in a chain (the host's own and its intermediates).
pub const MAX_CHAIN_LENGTH: usize = 10;

/// A certificate and key fit to serve (no `Debug`: it holds the key).
pub struct Checked {
    /// PEM, certificates only.
    pub chain: String,
    /// PEM, the key only.
    pub key: String,
    pub names: Vec<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

/// What is wrong, by field of the upload (`chain`, `key`).
pub type Problems = Vec<(&'static str, String)>;

/// Checks `chain` and `key` for `host` at `now`.
pub fn check(host: &str, chain: &str, key: &str, now: DateTime<Utc>) -> Result<Checked, Problems> {
    let certificates = read_chain(chain).map_err(|p| vec![("chain", p)]);
    let private_key = read_key(key).map_err(|p| vec![("key", p)]);
    let (certificates, private_key) = match (certificates, private_key) {
        (Ok(c), Ok(k)) => (c, k),
        (c, k) => {
            return Err([c.err(), k.err()].into_iter().flatten().flatten().collect());
        }
    };
    let leaf = &certificates[0];
    let parsed = webpki::EndEntityCert::try_from(leaf).map_err(|e| {
        vec![(
            "chain",
            format!("the first certificate cannot be read: {e}"),
        )]
    })?;
    let names: Vec<String> = parsed.valid_dns_names().map(str::to_string).collect();

    let signing_key =
        rustls::crypto::ring::sign::any_supported_type(&private_key).map_err(|_| {
            vec![(
                "key",
                "the key is of a type TLS cannot use (RSA, ECDSA P-256/P-384 or Ed25519 are)"
                    .into(),
            )]
        })?;
    let certified = rustls::sign::CertifiedKey::new(certificates.clone(), signing_key);
    if certified.keys_match().is_err() {
        return Err(vec![(
            "key",
            "the key does not belong to the chain's first certificate (the host's own certificate comes first)".into(),
        )]);
    }

    let mut problems = Problems::new();
    let server_name = ServerName::try_from(host.to_string())
        .map_err(|_| vec![("host", format!("`{host}` is not a host name"))])?;
    if parsed
        .verify_is_valid_for_subject_name(&server_name)
        .is_err()
    {
        let named = if names.is_empty() {
            "no DNS names".to_string()
        } else {
            names.join(", ")
        };
        problems.push((
            "chain",
            format!("the certificate does not cover `{host}`: it names {named}"),
        ));
    }
    let Some((not_before, not_after)) = validity(leaf) else {
        return Err(vec![(
            "chain",
            "the first certificate's validity cannot be read".into(),
        )]);
    };
    if not_after <= now {
        problems.push((
            "chain",
            format!("the certificate expired on {}", not_after.to_rfc3339()),
        ));
    } else if not_before > now {
        problems.push((
            "chain",
            format!(
                "the certificate is not valid before {}",
                not_before.to_rfc3339()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Checked {
        chain: certificates.iter().map(|c| pem("CERTIFICATE", c)).collect(),
        key: pem(key_label(&private_key), private_key.secret_der()),
        names,
        not_before,
        not_after,
    })
}

/// Whether a stored chain's first certificate covers `host` (a restore's check).
pub fn covers(host: &str, chain: &str) -> bool {
    let Ok(leaf) = CertificateDer::from_pem_slice(chain.as_bytes()) else {
        return false;
    };
    let (Ok(parsed), Ok(name)) = (
        webpki::EndEntityCert::try_from(&leaf),
        ServerName::try_from(host.to_string()),
    ) else {
        return false;
    };
    parsed.verify_is_valid_for_subject_name(&name).is_ok()
}

fn read_chain(chain: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    if chain.len() > MAX_CHAIN_BYTES {
        return Err(format!("the chain is over {} KiB", MAX_CHAIN_BYTES / 1024));
    }
    // Someone pasting the key into the chain would have it kept in the clear: refuse it.
    if chain.contains("PRIVATE KEY-----") {
        return Err("the chain holds a private key: put it in `key`".into());
    }
    let certificates = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate chain: {e}"))?;
    match certificates.len() {
        0 => Err("no `-----BEGIN CERTIFICATE-----` block in the chain".into()),
        n if n > MAX_CHAIN_LENGTH => Err(format!(
            "the chain holds {n} certificates; at most {MAX_CHAIN_LENGTH}"
        )),
        _ => Ok(certificates),
    }
}

fn read_key(key: &str) -> Result<PrivateKeyDer<'static>, String> {
    if key.len() > MAX_KEY_BYTES {
        return Err(format!("the key is over {} KiB", MAX_KEY_BYTES / 1024));
    }
    if key.contains("ENCRYPTED") {
        return Err(
            "the key is encrypted: upload it decrypted (`openssl pkey -in key.pem -out plain.pem`)"
                .into(),
        );
    }
    PrivateKeyDer::from_pem_slice(key.as_bytes())
        .map_err(|_| "no PEM private key (PKCS#8, PKCS#1 or SEC1) in `key`".into())
}

fn key_label(key: &PrivateKeyDer<'_>) -> &'static str {
    match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    }
}

/// One PEM block, 64 characters a line.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with openssl for these tests only (a test CA, EC P-256 and RSA keys); no real host's.
    const SHOP: &str = include_str!("testdata/uploaded/shop.pem");
    const SHOP_KEY: &str = include_str!("testdata/uploaded/shop.key");
    const OTHER_KEY: &str = include_str!("testdata/uploaded/other.key");
    const EXPIRED: &str = include_str!("testdata/uploaded/expired.pem");
    const EXPIRED_KEY: &str = include_str!("testdata/uploaded/expired.key");

    fn now() -> DateTime<Utc> {
        "2027-06-01T00:00:00Z".parse().unwrap()
    }

    fn problems(result: Result<Checked, Problems>) -> String {
        let Err(problems) = result else {
            panic!("accepted")
        };
        problems
            .iter()
            .map(|(field, p)| format!("{field}: {p}"))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn a_matching_chain_for_the_host_is_kept_reencoded() {
        let noisy = format!("Bag Attributes: noise\n{SHOP}\n");
        let checked = check("shop.example.com", &noisy, SHOP_KEY, now()).unwrap();
        assert!(!checked.chain.contains("noise"));
        assert_eq!(checked.chain.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(checked.key.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(checked.names, ["shop.example.com", "*.shop.example.com"]);
        assert_eq!(checked.not_after.format("%Y").to_string(), "2036");
        // The re-encoded pair is read back the same.
        let again = check("www.shop.example.com", &checked.chain, &checked.key, now()).unwrap();
        assert_eq!(again.not_after, checked.not_after);
    }

    #[test]
    fn another_key_is_refused_under_key() {
        let p = problems(check("shop.example.com", SHOP, OTHER_KEY, now()));
        assert!(p.starts_with("key: the key does not belong"), "{p}");
    }

    #[test]
    fn a_host_the_certificate_does_not_name_is_refused_with_its_names() {
        let p = problems(check("blog.example.com", SHOP, SHOP_KEY, now()));
        assert!(
            p.contains(
                "does not cover `blog.example.com`: it names shop.example.com, *.shop.example.com"
            ),
            "{p}"
        );
        // A wildcard covers one label, not two.
        let p = problems(check("a.b.shop.example.com", SHOP, SHOP_KEY, now()));
        assert!(p.contains("does not cover"), "{p}");
    }

    #[test]
    fn an_expired_or_not_yet_valid_certificate_is_refused() {
        let p = problems(check("shop.example.com", EXPIRED, EXPIRED_KEY, now()));
        assert!(p.contains("expired on 2021-01-01T00:00:00+00:00"), "{p}");
        let early: DateTime<Utc> = "2019-06-01T00:00:00Z".parse().unwrap();
        let p = problems(check("shop.example.com", EXPIRED, EXPIRED_KEY, early));
        assert!(p.contains("not valid before 2020-01-01"), "{p}");
    }

    #[test]
    fn what_is_not_pem_is_named_for_each_field() {
        let p = problems(check("shop.example.com", "hello", "world", now()));
        assert!(p.contains("chain: no `-----BEGIN CERTIFICATE-----`"), "{p}");
        assert!(p.contains("key: no PEM private key"), "{p}");
        let p = problems(check(
            "shop.example.com",
            &format!("{SHOP}{SHOP_KEY}"),
            SHOP_KEY,
            now(),
        ));
        assert!(p.contains("chain: the chain holds a private key"), "{p}");
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let p = problems(check("shop.example.com", SHOP, encrypted, now()));
        assert!(p.contains("key: the key is encrypted"), "{p}");
        let long = SHOP.repeat(MAX_CHAIN_LENGTH);
        let p = problems(check("shop.example.com", &long, SHOP_KEY, now()));
        assert!(p.contains("at most 10"), "{p}");
    }
}
