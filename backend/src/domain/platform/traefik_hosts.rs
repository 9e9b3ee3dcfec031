//! The host-name routers of Traefik's dynamic configuration (pure, beside `traefik.rs`): an
//! app's domains, served at their root, and the admin host. Without HTTPS they sit on the apps'
//! entry point; with it, on the HTTPS entry point with the ACME resolver, while plain HTTP on
//! them redirects there and HSTS is sent once a host's certificate is valid. The redirect is
//! Milkcrate's (`TO_HTTPS_PATH`): Traefik's own answers a GET with 301, and a 308 keeps the
//! method and body of any request. (Traefik answers ACME's HTTP-01 challenges before any
//! router.)

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Host routers outrank every path route (an app owns its host names whole) and stay below the
/// admin host.
pub const PRIORITY_DOMAIN: u32 = 500_000;
/// The entry point of HTTPS.
pub const HTTPS_ENTRYPOINT: &str = "websecure";
/// The one ACME resolver of the managed Traefik.
pub const RESOLVER: &str = "milkcrate";
const TO_HTTPS: &str = "milkcrate-to-https";
/// Where Milkcrate answers plain HTTP on a secured host with a 308 to HTTPS.
pub const TO_HTTPS_PATH: &str = "/to-https";
const HSTS: &str = "milkcrate-hsts";

/// What HTTPS the edge has.
#[derive(Debug, Clone)]
pub struct Https<'a> {
    /// Hosts whose certificate is valid now: they get HSTS.
    pub secure: &'a HashSet<String>,
    /// Certificates the admin uploaded, by host: those hosts are served with them, and never
    /// ordered from the ACME server.
    pub uploaded: &'a BTreeMap<String, UploadedPair>,
}

/// An uploaded certificate as Traefik takes it: PEM text inline (its `certFile`/`keyFile` take
/// a file's content as well as a path), served to the proxy only.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadedPair {
    pub chain: String,
    pub key: String,
    pub not_after: DateTime<Utc>,
}

impl std::fmt::Debug for UploadedPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadedPair")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// The `tls` section of the dynamic configuration: the uploaded certificates.
pub fn tls(https: Option<&Https<'_>>) -> Option<Value> {
    let https = https.filter(|h| !h.uploaded.is_empty())?;
    let certificates: Vec<Value> = https
        .uploaded
        .values()
        .map(|pair| json!({ "certFile": pair.chain, "keyFile": pair.key }))
        .collect();
    Some(json!({ "certificates": certificates }))
}

/// Routers and middlewares of one set of hosts going to `service`: `name` is the router's,
/// `middlewares` those the service's requests go through.
pub struct HostRoute<'a> {
    pub name: &'a str,
    pub hosts: &'a [String],
    pub priority: u32,
    pub middlewares: Vec<String>,
    pub service: &'a str,
}

/// Adds the routers of `route` (one per host, so HSTS follows each host's certificate).
pub fn add(
    routers: &mut Map<String, Value>,
    middlewares: &mut Map<String, Value>,
    route: HostRoute<'_>,
    https: Option<&Https<'_>>,
) {
    for (i, host) in route.hosts.iter().enumerate() {
        let name = format!("{}-host-{i}", route.name);
        let rule = format!("Host(`{host}`)");
        let Some(https) = https else {
            routers.insert(
                name,
                json!({
                    "entryPoints": ["web"],
                    "rule": rule,
                    "priority": route.priority,
                    "middlewares": route.middlewares,
                    "service": route.service,
                }),
            );
            continue;
        };
        let mut secure_middlewares = route.middlewares.clone();
        if https.secure.contains(host) {
            secure_middlewares.insert(0, HSTS.to_string());
        }
        routers.insert(
            name.clone(),
            json!({
                "entryPoints": [HTTPS_ENTRYPOINT],
                "rule": rule,
                "priority": route.priority,
                "middlewares": secure_middlewares,
                "service": route.service,
                "tls": if https.uploaded.contains_key(host) {
                    json!({})
                } else {
                    json!({ "certResolver": RESOLVER })
                },
            }),
        );
        routers.insert(
            format!("{name}-http"),
            json!({
                "entryPoints": ["web"],
                "rule": rule,
                "priority": route.priority,
                "middlewares": [TO_HTTPS],
                "service": "milkcrate",
            }),
        );
    }
    if https.is_some() {
        middlewares.insert(
            TO_HTTPS.into(),
            json!({ "addPrefix": { "prefix": TO_HTTPS_PATH } }),
        );
        // A year, as browsers' preload lists ask; not `includeSubDomains`: other names under an
        // app's domain are not Milkcrate's to promise.
        middlewares.insert(
            HSTS.into(),
            json!({ "headers": { "stsSeconds": 31_536_000 } }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(https: Option<&Https<'_>>) -> (Map<String, Value>, Map<String, Value>) {
        let (mut routers, mut middlewares) = (Map::new(), Map::new());
        let hosts = [
            "blog.example.com".to_string(),
            "www.example.com".to_string(),
        ];
        add(
            &mut routers,
            &mut middlewares,
            HostRoute {
                name: "app-blog",
                hosts: &hosts,
                priority: PRIORITY_DOMAIN,
                middlewares: vec!["app-blog-retry".into()],
                service: "app-blog",
            },
            https,
        );
        (routers, middlewares)
    }

    #[test]
    fn without_https_each_host_is_served_at_its_root_on_the_apps_entry_point() {
        let (routers, middlewares) = render(None);
        assert_eq!(routers.len(), 2);
        let r = &routers["app-blog-host-0"];
        assert_eq!(r["rule"], "Host(`blog.example.com`)");
        assert_eq!(r["entryPoints"], json!(["web"]));
        assert_eq!(r["middlewares"], json!(["app-blog-retry"]));
        assert!(middlewares.is_empty());
    }

    #[test]
    fn with_https_plain_http_redirects_and_hsts_waits_for_a_valid_certificate() {
        let secure = HashSet::from(["www.example.com".to_string()]);
        let uploaded = BTreeMap::new();
        let (routers, middlewares) = render(Some(&Https {
            secure: &secure,
            uploaded: &uploaded,
        }));
        let pending = &routers["app-blog-host-0"];
        assert_eq!(pending["entryPoints"], json!(["websecure"]));
        assert_eq!(pending["tls"]["certResolver"], "milkcrate");
        assert_eq!(pending["middlewares"], json!(["app-blog-retry"]));
        assert_eq!(
            routers["app-blog-host-1"]["middlewares"],
            json!(["milkcrate-hsts", "app-blog-retry"])
        );
        let http = &routers["app-blog-host-0-http"];
        assert_eq!(http["entryPoints"], json!(["web"]));
        assert_eq!(http["middlewares"], json!(["milkcrate-to-https"]));
        assert_eq!(http["service"], "milkcrate");
        assert_eq!(
            middlewares["milkcrate-to-https"]["addPrefix"]["prefix"],
            "/to-https"
        );
        assert!(
            middlewares["milkcrate-hsts"]["headers"]["stsSeconds"]
                .as_u64()
                .unwrap()
                >= 31_536_000
        );
    }

    #[test]
    fn an_uploaded_certificate_replaces_the_acme_order_for_its_host_only() {
        let secure = HashSet::new();
        let uploaded = BTreeMap::from([(
            "www.example.com".to_string(),
            UploadedPair {
                chain: "CHAIN".into(),
                key: "KEY".into(),
                not_after: Utc::now(),
            },
        )]);
        let https = Https {
            secure: &secure,
            uploaded: &uploaded,
        };
        let (routers, _) = render(Some(&https));
        assert_eq!(
            routers["app-blog-host-0"]["tls"]["certResolver"],
            "milkcrate"
        );
        assert_eq!(routers["app-blog-host-1"]["tls"], json!({}));
        let tls = tls(Some(&https)).unwrap();
        assert_eq!(
            tls["certificates"],
            json!([{ "certFile": "CHAIN", "keyFile": "KEY" }])
        );
        assert!(!format!("{:?}", uploaded["www.example.com"]).contains("KEY"));
        let none = BTreeMap::new();
        assert!(tls_of_nothing(&secure, &none).is_none());
    }

    fn tls_of_nothing(
        secure: &HashSet<String>,
        uploaded: &BTreeMap<String, UploadedPair>,
    ) -> Option<Value> {
        tls(Some(&Https { secure, uploaded }))
    }
}
