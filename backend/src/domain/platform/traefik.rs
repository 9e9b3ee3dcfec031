//! Traefik's dynamic configuration, as Milkcrate serves it to the managed proxy's HTTP provider:
//! every app's router (its route, by whole segments, longest first), its middlewares and the
//! servers it balances over, plus the platform's own routers on the apps' entry point. Pure, so
//! what reaches the edge is unit-tested.
//!
//! On the apps' entry point the dashboard and the API are never served: `/admin` (and the
//! original's `/login`, `/logout`, `/upload`) redirect to the dashboard's own origin, and
//! everything no app claims goes to Milkcrate's public landing under `/landing`, which answers
//! `/` with the list of running apps and anything else with a 404.

use serde_json::{Value, json};

use super::traefik_hosts::{self, HostRoute, Https, PRIORITY_DOMAIN};
use crate::runtime::labels::{self, PRIORITY_FALLBACK, PRIORITY_PLATFORM, router_name};

/// Paths of the original platform that now live on the dashboard's origin.
pub const ADMIN_PATHS: [&str; 4] = ["admin", "login", "logout", "upload"];
/// Where Milkcrate serves the public landing (the apps' `/` is rewritten to it).
pub const LANDING_PATH: &str = "/landing";
/// The header Traefik sends when it asks Milkcrate for its configuration, and Milkcrate sends
/// when it asks Traefik what it serves.
pub const TOKEN_HEADER: &str = "X-Milkcrate-Proxy-Token";
/// The entry point of Traefik's own API: inside the proxy's networks only, never published.
pub const API_ENTRYPOINT: &str = "internal";
pub const API_PORT: u16 = 8082;
/// Routers on the admin host outrank every app and every app's host names.
const PRIORITY_ADMIN_HOST: u32 = 1_000_000;
const _: () = assert!(PRIORITY_DOMAIN < PRIORITY_ADMIN_HOST);

/// One app as the edge routes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoute {
    pub app: String,
    pub route: String,
    /// `http://<container>:<port>` of each container serving it; empty: the route is not served.
    pub servers: Vec<String>,
    /// Host names it is served at the root of.
    pub domains: Vec<String>,
    /// Traefik's health check asks this path and leaves out a server that stops answering 2xx/3xx.
    pub health_path: Option<String>,
}

/// How the edge reaches the dashboard and Milkcrate.
#[derive(Debug, Clone)]
pub struct Edge<'a> {
    /// Milkcrate as Traefik reaches it (`http://<gateway>:5001`).
    pub upstream: &'a str,
    /// Where `/admin` on the apps' entry point sends a browser: `<scheme>://<host><path>`, with
    /// `${host}` standing for the host the visitor asked for.
    pub dashboard: &'a str,
    /// A host routed wholly to Milkcrate (`MILKCRATE_ADMIN_HOST`).
    pub admin_host: Option<&'a str>,
    /// Required on requests to Traefik's API.
    pub token: &'a str,
    /// The HTTPS entry point and its certificates, when set up.
    pub https: Option<Https<'a>>,
}

/// The whole dynamic configuration.
pub fn dynamic_config(apps: &[AppRoute], edge: &Edge<'_>) -> Value {
    let mut routers = serde_json::Map::new();
    let mut middlewares = serde_json::Map::new();
    let mut services = serde_json::Map::new();

    let admin_rule = ADMIN_PATHS
        .iter()
        .map(|p| labels::segment_rule(&format!("/{p}")))
        .collect::<Vec<_>>()
        .join(" || ");
    routers.insert(
        "milkcrate-admin-redirect".into(),
        json!({
            "entryPoints": ["web"],
            "rule": admin_rule,
            "priority": PRIORITY_PLATFORM,
            "middlewares": ["milkcrate-to-dashboard"],
            "service": "noop@internal",
        }),
    );
    middlewares.insert(
        "milkcrate-to-dashboard".into(),
        json!({ "redirectRegex": {
            "regex": "^https?://([^/:]+)(:[0-9]+)?/.*$",
            "replacement": edge.dashboard.replace("${host}", "${1}"),
        }}),
    );
    routers.insert(
        "milkcrate-landing".into(),
        json!({
            "entryPoints": ["web"],
            "rule": "PathPrefix(`/`)",
            "priority": PRIORITY_FALLBACK,
            "middlewares": ["milkcrate-landing"],
            "service": "milkcrate",
        }),
    );
    middlewares.insert(
        "milkcrate-landing".into(),
        json!({ "addPrefix": { "prefix": LANDING_PATH } }),
    );
    if let (Some(host), Some(_)) = (edge.admin_host, &edge.https) {
        traefik_hosts::add(
            &mut routers,
            &mut middlewares,
            HostRoute {
                name: "milkcrate-admin",
                hosts: &[host.to_string()],
                priority: PRIORITY_ADMIN_HOST,
                middlewares: Vec::new(),
                service: "milkcrate",
            },
            edge.https.as_ref(),
        );
    } else if let Some(host) = edge.admin_host {
        routers.insert(
            "milkcrate-admin-host".into(),
            json!({
                "entryPoints": ["web"],
                "rule": format!("Host(`{host}`)"),
                "priority": PRIORITY_ADMIN_HOST,
                "service": "milkcrate",
            }),
        );
    }
    services.insert(
        "milkcrate".into(),
        json!({ "loadBalancer": { "servers": [ { "url": edge.upstream } ] } }),
    );
    // Traefik's own API, for Milkcrate to confirm what is served; only with the token.
    routers.insert(
        "milkcrate-proxy-api".into(),
        json!({
            "entryPoints": [API_ENTRYPOINT],
            "rule": format!("PathPrefix(`/api`) && Header(`{TOKEN_HEADER}`, `{}`)", edge.token),
            "service": "api@internal",
        }),
    );
    // No app may claim a scope for service workers beyond its route.
    middlewares.insert(
        "milkcrate-app-headers".into(),
        json!({ "headers": { "customResponseHeaders": { "Service-Worker-Allowed": "" } } }),
    );

    for app in apps.iter().filter(|a| !a.servers.is_empty()) {
        let r = router_name(&app.app);
        let escaped = app.route.replace('.', "\\.");
        routers.insert(
            r.clone(),
            json!({
                "entryPoints": ["web"],
                "rule": labels::segment_rule(&app.route),
                "priority": labels::app_priority(&app.route),
                "middlewares": [format!("{r}-slash"), format!("{r}-strip"), format!("{r}-retry"), "milkcrate-app-headers"],
                "service": r,
            }),
        );
        middlewares.insert(
            format!("{r}-slash"),
            json!({ "redirectRegex": {
                "regex": format!("^(https?://[^/]+{escaped})$"),
                "replacement": "${1}/",
            }}),
        );
        middlewares.insert(
            format!("{r}-strip"),
            json!({ "stripPrefix": { "prefixes": [app.route] } }),
        );
        // A connection refused in the instant a server leaves is retried on another.
        middlewares.insert(
            format!("{r}-retry"),
            json!({ "retry": { "attempts": 3, "initialInterval": "50ms" } }),
        );
        let servers: Vec<Value> = app
            .servers
            .iter()
            .map(|url| json!({ "url": url }))
            .collect();
        traefik_hosts::add(
            &mut routers,
            &mut middlewares,
            HostRoute {
                name: &r,
                hosts: &app.domains,
                priority: PRIORITY_DOMAIN,
                middlewares: vec![format!("{r}-retry"), "milkcrate-app-headers".into()],
                service: &r,
            },
            edge.https.as_ref(),
        );
        let mut balancer = json!({ "servers": servers, "passHostHeader": true });
        if let Some(path) = &app.health_path {
            balancer["healthCheck"] = json!({ "path": path, "interval": "10s", "timeout": "3s" });
        }
        services.insert(r, json!({ "loadBalancer": balancer }));
    }
    let mut config =
        json!({ "http": { "routers": routers, "middlewares": middlewares, "services": services } });
    if let Some(tls) = traefik_hosts::tls(edge.https.as_ref()) {
        config["tls"] = tls;
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge() -> Edge<'static> {
        Edge {
            upstream: "http://172.18.0.1:5001",
            dashboard: "http://${host}:5001/admin/",
            admin_host: None,
            token: "t0k",
            https: None,
        }
    }

    fn blog(servers: &[&str]) -> AppRoute {
        AppRoute {
            app: "blog".into(),
            route: "/blog".into(),
            servers: servers.iter().map(|s| s.to_string()).collect(),
            domains: vec!["blog.example.com".into()],
            health_path: None,
        }
    }

    #[test]
    fn a_health_path_becomes_traefiks_health_check() {
        let mut app = blog(&["http://mc-blog-1:8080"]);
        let plain = dynamic_config(std::slice::from_ref(&app), &edge());
        assert!(plain["http"]["services"]["app-blog"]["loadBalancer"]["healthCheck"].is_null());
        app.health_path = Some("/healthz".into());
        let config = dynamic_config(&[app], &edge());
        assert_eq!(
            config["http"]["services"]["app-blog"]["loadBalancer"]["healthCheck"]["path"],
            "/healthz"
        );
    }

    #[test]
    fn an_app_is_routed_by_whole_segments_to_its_servers_without_service_worker_scope() {
        let config = dynamic_config(&[blog(&["http://mc-blog-1:8080"])], &edge());
        let router = &config["http"]["routers"]["app-blog"];
        assert_eq!(router["rule"], "Path(`/blog`) || PathPrefix(`/blog/`)");
        assert_eq!(router["priority"], 105);
        assert!(
            router["middlewares"]
                .as_array()
                .unwrap()
                .contains(&json!("milkcrate-app-headers"))
        );
        assert_eq!(
            config["http"]["services"]["app-blog"]["loadBalancer"]["servers"][0]["url"],
            "http://mc-blog-1:8080"
        );
        assert_eq!(
            config["http"]["middlewares"]["milkcrate-app-headers"]["headers"]["customResponseHeaders"]
                ["Service-Worker-Allowed"],
            ""
        );
    }

    #[test]
    fn an_app_with_no_server_has_no_router() {
        let config = dynamic_config(&[blog(&[])], &edge());
        assert!(config["http"]["routers"].get("app-blog").is_none());
        assert!(config["http"]["routers"].get("app-blog-host-0").is_none());
    }

    #[test]
    fn an_apps_domain_is_served_at_its_root_above_every_route() {
        let config = dynamic_config(&[blog(&["http://x:1"])], &edge());
        let host = &config["http"]["routers"]["app-blog-host-0"];
        assert_eq!(host["rule"], "Host(`blog.example.com`)");
        assert_eq!(host["service"], "app-blog");
        // No prefix stripped, no slash redirect: the app is at the root of its host.
        assert_eq!(
            host["middlewares"],
            json!(["app-blog-retry", "milkcrate-app-headers"])
        );
        assert!(host["priority"].as_u64().unwrap() > 100 + 200);
    }

    #[test]
    fn the_apps_entry_point_never_reaches_the_api_or_the_dashboard() {
        let config = dynamic_config(&[], &edge());
        let routers = config["http"]["routers"].as_object().unwrap();
        // Everything that reaches Milkcrate from the apps' entry point is put under /landing.
        for (name, router) in routers {
            if router["service"] == "milkcrate" && name != "milkcrate-admin-host" {
                assert_eq!(
                    router["middlewares"],
                    json!(["milkcrate-landing"]),
                    "{name}"
                );
            }
        }
        assert_eq!(
            config["http"]["middlewares"]["milkcrate-landing"]["addPrefix"]["prefix"],
            "/landing"
        );
        let redirect = &config["http"]["routers"]["milkcrate-admin-redirect"];
        assert!(
            redirect["rule"]
                .as_str()
                .unwrap()
                .contains("PathPrefix(`/admin/`)")
        );
        assert!(
            redirect["rule"]
                .as_str()
                .unwrap()
                .contains("Path(`/login`)")
        );
        assert_eq!(
            config["http"]["middlewares"]["milkcrate-to-dashboard"]["redirectRegex"]["replacement"],
            "http://${1}:5001/admin/"
        );
        assert!(routers.get("milkcrate-admin-host").is_none());
    }

    #[test]
    fn the_admin_host_outranks_every_app_and_the_proxy_api_needs_the_token() {
        let edge = Edge {
            admin_host: Some("admin.example.com"),
            ..edge()
        };
        let config = dynamic_config(&[blog(&["http://x:1"])], &edge);
        let admin = &config["http"]["routers"]["milkcrate-admin-host"];
        assert_eq!(admin["rule"], "Host(`admin.example.com`)");
        assert!(admin["priority"].as_u64().unwrap() > 100 + 200);
        let api = &config["http"]["routers"]["milkcrate-proxy-api"];
        assert_eq!(api["entryPoints"], json!(["internal"]));
        assert!(api["rule"].as_str().unwrap().contains("t0k"));
    }
}
