//! What became of each domain's certificate, as the managed Traefik tells it: its ACME store
//! (`acme.json` in the proxy's certificates volume, read through the runtime's archive API: it
//! holds private keys, so it is parsed here for dates and host names only, and never logged or
//! served) and its log (why an order failed). Read every second while a domain waits for its
//! certificate, every 30 s otherwise; the answers feed `App.domains` and the HSTS of the edge.

use std::{
    collections::{HashMap, HashSet},
    io::Read,
    sync::Arc,
    time::Duration,
};

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use shared::v1::{Certificate, CertificateState};

use crate::{config::ProxyMode, domain::Platform};

/// Where the managed Traefik keeps its ACME store (a volume of its own).
pub const ACME_DIR: &str = "/acme";
pub const ACME_STORE: &str = "/acme/acme.json";
/// Lines of the proxy's log searched for failed orders.
const LOG_TAIL: usize = 400;
const WHILE_PENDING: Duration = Duration::from_secs(1);
const WHILE_SETTLED: Duration = Duration::from_secs(30);

/// The certificates the proxy holds and the orders that failed, by host.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Known {
    pub issued: HashMap<String, DateTime<Utc>>,
    pub failed: HashMap<String, String>,
}

impl Platform {
    pub(super) fn https_managed(&self) -> bool {
        self.config.proxy.https() && self.config.proxy.mode == ProxyMode::Managed
    }

    /// A host's certificate as last read.
    pub(in crate::domain) fn certificate_of(&self, host: &str) -> Certificate {
        if !self.config.proxy.https() {
            return Certificate::new(CertificateState::Off);
        }
        if let Some(not_after) = self.routes.uploaded_expiries().get(host) {
            return uploaded_state(*not_after);
        }
        let known = self.routes.certificates();
        if let Some(not_after) = known.issued.get(host) {
            return Certificate {
                not_after: Some(*not_after),
                ..Certificate::new(CertificateState::Issued)
            };
        }
        match known.failed.get(host) {
            Some(reason) => Certificate {
                reason: Some(reason.clone()),
                ..Certificate::new(CertificateState::Failed)
            },
            None => Certificate::new(CertificateState::Pending),
        }
    }

    /// Hosts whose certificate is valid now: the edge sends HSTS on them.
    pub(in crate::domain) fn secure_hosts(&self) -> HashSet<String> {
        let now = Utc::now();
        let uploaded = self.routes.uploaded_expiries();
        let known = self.routes.certificates();
        // An uploaded certificate is served instead of an ACME one: it alone counts.
        let ordered = known
            .issued
            .iter()
            .filter(|(host, _)| !uploaded.contains_key(*host))
            .map(|(host, not_after)| (host, *not_after));
        uploaded
            .iter()
            .map(|(host, not_after)| (host, *not_after))
            .chain(ordered)
            .filter(|(_, not_after)| *not_after > now)
            .map(|(host, _)| host.clone())
            .collect()
    }

    /// Keeps the certificates' state current while the server runs with HTTPS on.
    pub async fn watch_certificates(self: Arc<Self>) {
        if !self.config.proxy.https() {
            return;
        }
        if self.config.proxy.mode == ProxyMode::External && self.config.proxy.acme_store.is_none() {
            tracing::info!(
                "MILKCRATE_ACME_STORE is not set: certificate states stay `pending` (mount the \
                 external Traefik's ACME store read-only and name its acme.json there)"
            );
        }
        loop {
            if let Err(e) = self.read_certificates().await {
                tracing::debug!("cannot read the proxy's certificates yet: {e}");
            }
            let issued = self.routes.certificates().issued;
            let waiting = self
                .routes
                .served_hosts()
                .iter()
                .any(|h| !issued.contains_key(h));
            let pause = tokio::time::sleep(if waiting {
                WHILE_PENDING
            } else {
                WHILE_SETTLED
            });
            // A host added (or a proxy restarted) while settled is looked at without delay.
            tokio::select! {
                () = pause => {}
                () = self.routes.hosts_changed() => {}
            }
        }
    }

    /// Reads the proxy's ACME store and log once: the managed proxy's through the runtime, an
    /// external one's from `MILKCRATE_ACME_STORE` and, when it runs on this daemon under
    /// `MILKCRATE_TRAEFIK_CONTAINER`, its log.
    pub(in crate::domain) async fn read_certificates(&self) -> anyhow::Result<()> {
        let proxy = &self.config.proxy;
        let store = match proxy.mode {
            ProxyMode::Managed => self.read_acme_store().await?,
            ProxyMode::External => self.external_store().await?,
        };
        let issued = store.map(|s| parse_store(&s)).unwrap_or_default();
        let failed = match self
            .runtime
            .container_logs(&proxy.container_name, LOG_TAIL)
            .await
        {
            Ok(log) => failures(&log),
            // An external Traefik runs elsewhere or under another name: no reasons to show.
            Err(crate::runtime::RuntimeError::NotFound(_)) if proxy.mode == ProxyMode::External => {
                HashMap::new()
            }
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

/// An uploaded certificate's state: issued until it expires; then failed, saying what to do
/// (Milkcrate does not renew what it did not order).
fn uploaded_state(not_after: DateTime<Utc>) -> Certificate {
    let mut certificate = if not_after > Utc::now() {
        Certificate::new(CertificateState::Issued)
    } else {
        Certificate {
            reason: Some(format!(
                "the uploaded certificate expired on {}: upload a new one, or delete it to have one ordered",
                not_after.to_rfc3339()
            )),
            ..Certificate::new(CertificateState::Failed)
        }
    };
    certificate.not_after = Some(not_after);
    certificate.uploaded = true;
    certificate
}

/// The one file of a tar the archive API gave.
pub(super) fn read_tar_file(tar: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(std::fs::File::open(tar)?);
    let mut entry = archive
        .entries()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("an empty archive"))??;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Host → expiry of every certificate in Traefik's ACME store (all resolvers).
pub fn parse_store(json: &[u8]) -> HashMap<String, DateTime<Utc>> {
    let mut issued = HashMap::new();
    let Ok(serde_json::Value::Object(resolvers)) = serde_json::from_slice(json) else {
        return issued;
    };
    for resolver in resolvers.values() {
        let Some(certificates) = resolver["Certificates"].as_array() else {
            continue;
        };
        for c in certificates {
            let Some(not_after) = c["certificate"]
                .as_str()
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|pem| first_pem_der(&String::from_utf8_lossy(&pem)))
                .and_then(|der| not_after(&der))
            else {
                continue;
            };
            let domain = &c["domain"];
            let sans = domain["sans"].as_array().into_iter().flatten();
            for host in std::iter::once(&domain["main"])
                .chain(sans)
                .filter_map(|h| h.as_str())
            {
                issued.insert(host.to_ascii_lowercase(), not_after);
            }
        }
    }
    issued
}

/// Host → why its last order failed, from Traefik's log (newest line wins).
pub fn failures(log: &str) -> HashMap<String, String> {
    let mut failed = HashMap::new();
    for line in log
        .lines()
        .filter(|l| l.contains("Unable to obtain ACME certificate"))
    {
        let reason = quoted_field(line, "error=").unwrap_or_else(|| "the order failed".into());
        let hosts = line
            .split("Host(`")
            .skip(1)
            .filter_map(|rest| rest.split_once('`').map(|(h, _)| h.to_ascii_lowercase()));
        for host in hosts {
            failed.insert(host, reason.clone());
        }
    }
    failed
}

/// The value of `key="..."` in a log line, unescaped.
fn quoted_field(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("{key}\""))? + key.len() + 1;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => value.push(' '),
                other => value.push(other),
            },
            '"' => return Some(value.trim().to_string()),
            c => value.push(c),
        }
    }
    None
}

/// The DER of the first `CERTIFICATE` block of a PEM text.
pub fn first_pem_der(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// One DER element: its tag, contents and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A certificate's `notAfter`.
pub fn not_after(der: &[u8]) -> Option<DateTime<Utc>> {
    validity(der).map(|(_, not_after)| not_after)
}

/// A certificate's `notBefore` and `notAfter` (RFC 5280: Certificate → TBSCertificate →
/// validity).
pub fn validity(der: &[u8]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let (_, certificate, _) = tlv(der)?;
    let (_, tbs, _) = tlv(certificate)?;
    let mut rest = tbs;
    let (tag, _, after) = tlv(rest)?;
    if tag == 0xa0 {
        rest = after; // the explicit version
    }
    for _ in 0..3 {
        rest = tlv(rest)?.2; // serial number, signature algorithm, issuer
    }
    let (_, validity, _) = tlv(rest)?;
    let (tag, time, after) = tlv(validity)?;
    let not_before = der_time(tag, std::str::from_utf8(time).ok()?)?;
    let (tag, time, _) = tlv(after)?;
    Some((not_before, der_time(tag, std::str::from_utf8(time).ok()?)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn der_time(tag: u8, text: &str) -> Option<DateTime<Utc>> {
    let text = text.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let part = |i: usize| -> Option<u32> { rest.get(i..i + 2)?.parse().ok() };
    NaiveDate::from_ymd_opt(year, part(0)?, part(2)?)?
        .and_hms_opt(part(4)?, part(6)?, part(8)?)
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate for `blog.example.com`, valid until 2036-11-28 14:33:07 UTC
    /// (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650`; no key kept).
    const PEM: &str = include_str!("testdata/blog.example.com.pem");

    #[test]
    fn the_expiry_is_read_from_the_certificate() {
        let der = first_pem_der(PEM).unwrap();
        let expiry = not_after(&der).unwrap();
        assert_eq!(expiry.to_rfc3339(), "2036-11-28T14:33:07+00:00");
        assert!(not_after(&der[..20]).is_none());
    }

    #[test]
    fn the_store_gives_every_host_of_every_certificate_and_nothing_else() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let store = serde_json::json!({
            "milkcrate": {
                "Account": { "Email": "a@example.com", "PrivateKey": "secret" },
                "Certificates": [
                    { "domain": { "main": "Blog.example.com", "sans": ["www.example.com"] },
                      "certificate": b64, "key": "secret", "Store": "default" },
                    { "domain": { "main": "broken.example.com" }, "certificate": "!!", "key": "x" }
                ]
            }
        });
        let issued = parse_store(store.to_string().as_bytes());
        assert_eq!(issued.len(), 2);
        assert!(issued.contains_key("blog.example.com"));
        assert!(issued.contains_key("www.example.com"));
        assert!(parse_store(b"not json").is_empty());
    }

    #[test]
    fn a_failed_order_is_read_from_the_log_with_its_reason() {
        let log = "2026-12-01T15:00:00Z ERR Unable to obtain ACME certificate for domains error=\"unable to generate a certificate for the domains [shop.example.com]: acme: error: 400 :: urn:ietf:params:acme:error:rejectedIdentifier :: \\\"shop.example.com\\\" is blocked\" ACME CA=https://pebble:14000/dir providerName=milkcrate.acme routerName=app-shop-host-0@http rule=Host(`shop.example.com`)\n\
                   2026-12-01T15:00:01Z WRN something else rule=Host(`blog.example.com`)\n";
        let failed = failures(log);
        assert_eq!(failed.len(), 1);
        let reason = &failed["shop.example.com"];
        assert!(reason.contains("rejectedIdentifier"), "{reason}");
        assert!(
            reason.contains("\"shop.example.com\" is blocked"),
            "{reason}"
        );
    }
}
