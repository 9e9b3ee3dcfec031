//! Docker labels: who owns an object, and how Traefik routes to it (the rules shared by the
//! managed proxy's configuration, `domain/platform/traefik.rs`, and the routing labels kept for
//! a Traefik run with its Docker provider). Pure functions, unit-tested.
//!
//! Routing rules (see `docs/routing.md`):
//! - an app's rule matches its route as whole path segments (`/a` never captures `/admin` or `/ab`);
//! - the prefix is stripped (Traefik adds `X-Forwarded-Prefix`) and `/a` redirects to `/a/`;
//! - apps get priority 100 + route length, so the longest route wins; the platform's routers sit
//!   below (the landing 1, the admin redirects 30) and cannot be shadowed because app
//!   routes can never start with a platform segment.

use std::collections::HashMap;

/// Every object Milkcrate creates carries this label, set to the instance name.
pub const INSTANCE: &str = "milkcrate.instance";
/// The app an object belongs to.
pub const APP: &str = "milkcrate.app";
/// The deployment that created a container or image.
pub const DEPLOYMENT: &str = "milkcrate.deployment";
/// Marks the platform's own Traefik container.
pub const ROLE: &str = "milkcrate.role";
/// The compose service a stack container runs.
pub const SERVICE: &str = "milkcrate.service";
/// The compose volume an app-scoped Docker volume holds.
pub const APP_VOLUME: &str = "milkcrate.app_volume";

/// Priority of the catch-all router that sends everything else to Milkcrate's landing.
pub const PRIORITY_FALLBACK: u32 = 1;
/// Priority of the platform's own prefixes.
pub const PRIORITY_PLATFORM: u32 = 30;
/// App priorities start above every platform router.
pub const PRIORITY_APP_BASE: u32 = 100;

// The platform's routers are ordered, and every app outranks them all.
const _: () =
    assert!(PRIORITY_FALLBACK < PRIORITY_PLATFORM && PRIORITY_PLATFORM < PRIORITY_APP_BASE);

/// Name of an app's router, service and middlewares: app names are `[a-z0-9-]`, safe in keys.
pub fn router_name(app: &str) -> String {
    format!("app-{app}")
}

/// The Traefik rule that matches `route` and everything below it, by whole segments.
pub fn segment_rule(route: &str) -> String {
    format!("Path(`{route}`) || PathPrefix(`{route}/`)")
}

pub fn app_priority(route: &str) -> u32 {
    PRIORITY_APP_BASE + route.len() as u32
}

/// Ownership labels of an app's container or image.
pub fn ownership(instance: &str, app: &str, deployment: i64) -> HashMap<String, String> {
    HashMap::from([
        (INSTANCE.to_string(), instance.to_string()),
        (APP.to_string(), app.to_string()),
        (DEPLOYMENT.to_string(), deployment.to_string()),
    ])
}

/// Docker Compose's own labels, so `docker compose -p <app> ps` shows a stack to an operator.
pub fn compose_service(app: &str, service: &str) -> HashMap<String, String> {
    HashMap::from([
        ("com.docker.compose.project".to_string(), app.to_string()),
        (
            "com.docker.compose.service".to_string(),
            service.to_string(),
        ),
        ("com.docker.compose.oneoff".to_string(), "False".to_string()),
        (
            "com.docker.compose.container-number".to_string(),
            "1".to_string(),
        ),
    ])
}

/// Labels of an app-scoped volume declared by a compose file.
pub fn app_volume(instance: &str, app: &str, volume: &str) -> HashMap<String, String> {
    HashMap::from([
        (INSTANCE.to_string(), instance.to_string()),
        (APP.to_string(), app.to_string()),
        (APP_VOLUME.to_string(), volume.to_string()),
        ("com.docker.compose.project".to_string(), app.to_string()),
        ("com.docker.compose.volume".to_string(), volume.to_string()),
    ])
}

/// Traefik labels routing `route` to `port` of the container on `network`.
pub fn traefik_routing(
    app: &str,
    route: &str,
    port: u16,
    network: &str,
) -> HashMap<String, String> {
    let r = router_name(app);
    // Only the characters a valid route may hold need escaping: `.`.
    let escaped = route.replace('.', "\\.");
    let pairs = [
        ("traefik.enable".to_string(), "true".to_string()),
        ("traefik.docker.network".to_string(), network.to_string()),
        (
            format!("traefik.http.routers.{r}.entrypoints"),
            "web".to_string(),
        ),
        (
            format!("traefik.http.routers.{r}.rule"),
            segment_rule(route),
        ),
        (
            format!("traefik.http.routers.{r}.priority"),
            app_priority(route).to_string(),
        ),
        (format!("traefik.http.routers.{r}.service"), r.clone()),
        (
            format!("traefik.http.routers.{r}.middlewares"),
            format!("{r}-slash,{r}-strip,{r}-retry"),
        ),
        (
            format!("traefik.http.middlewares.{r}-slash.redirectregex.regex"),
            format!("^(https?://[^/]+{escaped})$"),
        ),
        (
            format!("traefik.http.middlewares.{r}-slash.redirectregex.replacement"),
            "${1}/".to_string(),
        ),
        (
            format!("traefik.http.middlewares.{r}-strip.stripprefix.prefixes"),
            route.to_string(),
        ),
        // During a switchover the old and new containers share the service; a refused connection
        // to a new container that is not listening yet is retried on the old one.
        (
            format!("traefik.http.middlewares.{r}-retry.retry.attempts"),
            "3".to_string(),
        ),
        (
            format!("traefik.http.middlewares.{r}-retry.retry.initialinterval"),
            "50ms".to_string(),
        ),
        (
            format!("traefik.http.services.{r}.loadbalancer.server.port"),
            port.to_string(),
        ),
    ];
    pairs.into_iter().collect()
}

/// True for labels an app must not bring itself (from its image): `traefik.*` would add routers,
/// `milkcrate.*` would pass for Milkcrate's own records.
pub fn is_reserved_label(key: &str) -> bool {
    key.starts_with("traefik.") || key.starts_with("milkcrate.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_whole_segments() {
        assert_eq!(segment_rule("/a"), "Path(`/a`) || PathPrefix(`/a/`)");
    }

    #[test]
    fn longer_routes_win_and_apps_outrank_the_platform() {
        assert!(app_priority("/a/b") > app_priority("/a"));
        assert!(app_priority("/a") > PRIORITY_PLATFORM);
    }

    #[test]
    fn app_labels_route_strip_and_point_at_the_port() {
        let labels = traefik_routing("blog", "/blog", 8080, "net");
        assert_eq!(labels["traefik.enable"], "true");
        assert_eq!(labels["traefik.docker.network"], "net");
        assert_eq!(
            labels["traefik.http.routers.app-blog.rule"],
            "Path(`/blog`) || PathPrefix(`/blog/`)"
        );
        assert_eq!(labels["traefik.http.routers.app-blog.priority"], "105");
        assert_eq!(
            labels["traefik.http.middlewares.app-blog-strip.stripprefix.prefixes"],
            "/blog"
        );
        assert_eq!(
            labels["traefik.http.services.app-blog.loadbalancer.server.port"],
            "8080"
        );
        assert_eq!(
            labels["traefik.http.routers.app-blog.middlewares"],
            "app-blog-slash,app-blog-strip,app-blog-retry"
        );
    }

    #[test]
    fn dots_in_routes_are_escaped_in_the_redirect_regex() {
        let labels = traefik_routing("v", "/v1.2", 80, "net");
        assert_eq!(
            labels["traefik.http.middlewares.app-v-slash.redirectregex.regex"],
            "^(https?://[^/]+/v1\\.2)$"
        );
    }

    #[test]
    fn traefik_and_milkcrate_labels_are_reserved() {
        assert!(is_reserved_label("traefik.http.routers.evil.rule"));
        assert!(is_reserved_label("milkcrate.role"));
        assert!(!is_reserved_label("org.opencontainers.image.title"));
    }

    mod properties {
        use proptest::{prelude::*, test_runner::Config};
        use shared::validation::{RESERVED_ROUTE_PREFIXES, route};

        use super::super::*;

        fn config() -> Config {
            Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            }
        }

        /// The platform's own paths.
        const PLATFORM: &[&str] = &[
            "/admin", "/api", "/login", "/logout", "/upload", "/static", "/healthz",
        ];

        /// A tiny matcher for the one rule shape apps get: `Path(`x`) || PathPrefix(`y`)`.
        /// Anything else is a parse error, so a change of shape fails the test rather than
        /// passing it unread.
        fn matches(rule: &str, path: &str) -> Result<bool, String> {
            let mut any = false;
            for matcher in rule.split(" || ") {
                let (kind, rest) = matcher
                    .split_once("(`")
                    .ok_or_else(|| format!("`{matcher}` is not `Kind(`value`)`"))?;
                let value = rest
                    .strip_suffix("`)")
                    .filter(|v| !v.contains('`'))
                    .ok_or_else(|| format!("`{matcher}` is not `Kind(`value`)`"))?;
                any |= match kind {
                    "Path" => path == value,
                    "PathPrefix" => path.starts_with(value),
                    other => return Err(format!("unknown matcher `{other}`")),
                };
            }
            Ok(any)
        }

        /// Route-like input: valid segments mostly, with case, slashes and odd characters.
        fn route_input() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => "(/[A-Za-z0-9._-]{1,10}){1,4}/?",
                1 => "/?(admin|api|login|logout|upload|static|healthz|traefik)[A-Za-z0-9._-]{0,4}(/[a-z]{1,4}){0,2}",
                1 => "[ /A-Za-z0-9._`()|-]{1,30}",
                1 => any::<String>(),
            ]
        }

        /// A platform path: one of theirs, or below it, in any case for the prefix.
        fn platform_path() -> impl Strategy<Value = String> {
            (
                prop::sample::select(PLATFORM),
                any::<bool>(),
                prop_oneof![
                    Just(String::new()),
                    Just("/".to_string()),
                    "/[A-Za-z0-9._~%-]{1,12}(/[A-Za-z0-9._-]{0,8}){0,3}",
                ],
            )
                .prop_map(|(prefix, upper, below)| {
                    let prefix = if upper {
                        prefix.to_ascii_uppercase()
                    } else {
                        prefix.to_string()
                    };
                    format!("{prefix}{below}")
                })
        }

        proptest! {
            #![proptest_config(config())]

            /// For any route the validator accepts, its rule matches the route and what is below
            /// it, never a platform path, and its priority is above the platform's routers.
            #[test]
            fn app_rules_never_match_platform_paths(
                input in route_input(),
                platform in platform_path(),
                below in "[A-Za-z0-9._-]{0,8}",
            ) {
                let Ok(route) = route(&input) else {
                    return Ok(());
                };
                let rule = segment_rule(&route);
                prop_assert_eq!(matches(&rule, &route), Ok(true), "{}", rule);
                prop_assert_eq!(matches(&rule, &format!("{route}/{below}")), Ok(true), "{}", rule);
                prop_assert_eq!(matches(&rule, &format!("{route}{below}x")), Ok(false), "{}", rule);
                prop_assert_eq!(
                    matches(&rule, &platform),
                    Ok(false),
                    "the rule of {:?} matches {:?}",
                    route,
                    platform
                );
                for reserved in RESERVED_ROUTE_PREFIXES {
                    for path in [format!("/{reserved}"), format!("/{reserved}/{below}")] {
                        prop_assert_eq!(matches(&rule, &path), Ok(false), "{} {}", rule, path);
                    }
                }
                prop_assert!(app_priority(&route) > PRIORITY_PLATFORM);
                prop_assert!(app_priority(&route) > PRIORITY_FALLBACK);
            }
        }
    }
}
