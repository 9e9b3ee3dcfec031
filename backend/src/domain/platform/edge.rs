//! The edge: what the managed proxy routes, kept by Milkcrate and served to Traefik's HTTP
//! provider (`traefik.rs` renders it). The table is derived from the database and what runs (at
//! start, by reconciliation, after start/stop/delete); a switchover steers its app's entry
//! itself (pinned), and asks Traefik's API whether a change is served before going on.
//!
//! Each app's routed container sits on a network of its own that only the managed proxy joins,
//! so apps cannot reach each other. With `MILKCRATE_PROXY=external` (the `docker/` setup) the
//! routes are served the same way, but apps join the shared proxy network, and their Traefik
//! labels serve those who run Traefik with its Docker provider instead.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Mutex, RwLock},
    time::Duration,
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::{
    certificates::Known,
    traefik::{self, API_PORT, AppRoute, TOKEN_HEADER},
    traefik_hosts::{Https, UploadedPair},
};
use crate::{
    config::ProxyMode,
    db::entities::{app, deployment},
    domain::{DomainResult, Platform, deploy::plan::Topology},
    runtime::{ContainerState, RuntimeError, labels, subnets::Cidr},
};

/// The `milkcrate.role` of an app's edge network.
const EDGE_ROLE: &str = "edge";
/// How long Milkcrate waits for Traefik to serve a change before going on regardless.
const CONFIRM_WITHIN: Duration = Duration::from_secs(5);
const CONFIRM_POLL: Duration = Duration::from_millis(50);

/// What the proxy routes, by app.
#[derive(Default)]
pub struct Routes {
    table: Mutex<Table>,
    /// Milkcrate as Traefik reaches it, once the proxy network is known.
    upstream: RwLock<Option<String>>,
    token: std::sync::OnceLock<String>,
    /// The certificates the proxy holds, as last read.
    certificates: RwLock<Known>,
    /// Told when the host names or uploaded certificates are read anew.
    hosts_changed: tokio::sync::Notify,
}

#[derive(Default)]
struct Table {
    apps: BTreeMap<String, AppRoute>,
    /// Each app's host names (from the database, apart from the switchover's entries).
    domains: BTreeMap<String, Vec<String>>,
    /// Apps whose entry a switchover steers: derivation leaves them alone.
    pinned: HashSet<String>,
    /// Certificates uploaded for hosts, opened (from the database, with the host names).
    uploaded: BTreeMap<String, UploadedPair>,
}

impl Routes {
    fn with<T>(&self, f: impl FnOnce(&mut Table) -> T) -> T {
        f(&mut self.table.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(super) fn certificates(&self) -> Known {
        self.certificates
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn set_certificates(&self, known: Known) {
        *self.certificates.write().unwrap_or_else(|p| p.into_inner()) = known;
    }

    /// Resolves at the next change of the host names (or of the uploaded certificates).
    pub(super) async fn hosts_changed(&self) {
        self.hosts_changed.notified().await;
    }

    /// The uploaded certificates, by host (with their keys: for the proxy's configuration).
    pub(super) fn uploaded(&self) -> BTreeMap<String, UploadedPair> {
        self.with(|t| t.uploaded.clone())
    }

    /// When each uploaded certificate expires, by host (no PEM copied).
    pub(super) fn uploaded_expiries(&self) -> BTreeMap<String, chrono::DateTime<chrono::Utc>> {
        self.with(|t| {
            t.uploaded
                .iter()
                .map(|(host, pair)| (host.clone(), pair.not_after))
                .collect()
        })
    }

    /// The host names routed now (of apps that have a server).
    pub(super) fn served_hosts(&self) -> Vec<String> {
        self.with(|t| {
            t.domains
                .iter()
                .filter(|(app, _)| t.apps.get(*app).is_some_and(|r| !r.servers.is_empty()))
                .flat_map(|(_, hosts)| hosts.iter().cloned())
                .collect()
        })
    }
}

/// The URL the proxy reaches a container's port at: its name, on the network they share.
pub fn server_url(container: &str, port: u16) -> String {
    format!("http://{container}:{port}")
}

impl Platform {
    fn managed_edge(&self) -> bool {
        self.config.proxy.mode == ProxyMode::Managed
    }

    pub(in crate::domain) fn set_upstream(&self, upstream: &str) {
        *self
            .routes
            .upstream
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(upstream.to_string());
    }

    /// The secret Traefik and Milkcrate show each other: `MILKCRATE_PROXY_TOKEN`, else derived
    /// from the instance's secret key, so it survives restarts (a new one would replace the
    /// proxy).
    pub fn proxy_token(&self) -> String {
        if let Some(token) = &self.config.proxy.token {
            return token.clone();
        }
        self.routes
            .token
            .get_or_init(|| {
                use sha2::{Digest, Sha256};
                let secret =
                    super::settings::load_or_create_secret(&self.config, &self.paths.secret_key())
                        .unwrap_or_else(|e| {
                            tracing::warn!(
                                "no secret key for the proxy token ({e}); using a random one"
                            );
                            format!("{:032x}", rand::random::<u128>())
                        });
                Sha256::digest(format!("milkcrate-proxy:{secret}").as_bytes())
                    .iter()
                    .take(16)
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .clone()
    }

    /// An external proxy is whoever polls for the routes with the token: from then on its
    /// forwarded client addresses are believed, so clients behind it are told apart without
    /// configuration. (The managed proxy's address is read from Docker.)
    pub fn proxy_polled_from(&self, address: std::net::IpAddr) {
        if !self.managed_edge() {
            *self
                .proxy_address
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Some(address);
        }
    }

    /// Traefik's dynamic configuration, as its HTTP provider asks for it.
    pub fn proxy_config(&self) -> serde_json::Value {
        let apps: Vec<AppRoute> = self.routes.with(|t| {
            t.apps
                .values()
                .map(|r| AppRoute {
                    domains: t.domains.get(&r.app).cloned().unwrap_or_default(),
                    ..r.clone()
                })
                .collect()
        });
        let upstream = self
            .routes
            .upstream
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| format!("http://127.0.0.1:{}", self.config.listen.port()));
        let https = self.config.proxy.https();
        let dashboard = match &self.config.proxy.admin_host {
            Some(host) if https => format!("https://{host}/admin/"),
            Some(host) => format!("http://{host}/admin/"),
            None => format!("http://${{host}}:{}/admin/", self.config.listen.port()),
        };
        let token = self.proxy_token();
        let secure = self.secure_hosts();
        let uploaded = self.routes.uploaded();
        traefik::dynamic_config(
            &apps,
            &traefik::Edge {
                upstream: &upstream,
                dashboard: &dashboard,
                admin_host: self.config.proxy.admin_host.as_deref(),
                token: &token,
                https: https.then_some(Https {
                    secure: &secure,
                    uploaded: &uploaded,
                }),
            },
        )
    }

    /// Where plain HTTP on `host` is sent: its HTTPS URL, for an app's host name or the admin
    /// host while HTTPS is on; `None` for any other host (no open redirect).
    pub fn https_location(&self, host: &str, path_and_query: &str) -> Option<String> {
        let proxy = &self.config.proxy;
        let host = host.to_ascii_lowercase();
        let ours = proxy.admin_host.as_deref() == Some(host.as_str())
            || self
                .routes
                .with(|t| t.domains.values().any(|hosts| hosts.contains(&host)));
        if !proxy.https() || !ours {
            return None;
        }
        let port = match proxy.https_port {
            443 => String::new(),
            port => format!(":{port}"),
        };
        Some(format!("https://{host}{port}{path_and_query}"))
    }

    /// The network an app's routed container joins: its own edge network, which the proxy joins
    /// too (the shared proxy network with an external proxy).
    pub(in crate::domain) fn edge_network(&self, app: &str) -> String {
        if self.managed_edge() {
            self.names.edge_network(app)
        } else {
            self.config.traefik_network.clone()
        }
    }

    /// Makes sure the app's edge network exists and the proxy is on it.
    pub(in crate::domain) async fn ensure_edge_network(
        &self,
        app: &str,
    ) -> Result<String, RuntimeError> {
        let network = self.edge_network(app);
        if !self.managed_edge() {
            self.runtime
                .ensure_network(&network, self.names.instance_labels())
                .await?;
            return Ok(network);
        }
        let pool = Cidr::parse(&self.config.stack_subnets).map_err(RuntimeError::Failed)?;
        let mut network_labels = self.names.instance_labels();
        network_labels.insert(labels::APP.into(), app.into());
        network_labels.insert(labels::ROLE.into(), EDGE_ROLE.into());
        self.runtime
            .ensure_network_in(&network, network_labels, &pool)
            .await?;
        self.proxy_joins(&network).await?;
        Ok(network)
    }

    /// Attaches the proxy to `network` unless it is there already.
    async fn proxy_joins(&self, network: &str) -> Result<(), RuntimeError> {
        let proxy = &self.config.proxy.container_name;
        match self.runtime.inspect_container(proxy).await {
            Ok(details) if details.addresses.contains_key(network) => Ok(()),
            Ok(_) => self.runtime.connect_network(proxy, network, &[]).await,
            // No proxy yet: it joins every edge network when it is created.
            Err(RuntimeError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The proxy joins the edge network of every app it is not on yet (after it was created or
    /// replaced): two runtime calls when nothing is missing.
    pub(in crate::domain) async fn join_edge_networks(&self) -> DomainResult<()> {
        let proxy = &self.config.proxy.container_name;
        let joined = self.runtime.inspect_container(proxy).await?.addresses;
        let selector = [
            (labels::INSTANCE, self.names.instance()),
            (labels::ROLE, EDGE_ROLE),
        ];
        for network in self.runtime.list_networks(&selector).await? {
            if !joined.contains_key(&network.name) {
                self.runtime
                    .connect_network(proxy, &network.name, &[])
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes an app's edge network (the proxy leaves it first).
    pub(in crate::domain) async fn remove_edge_network(&self, app: &str) -> DomainResult<()> {
        if !self.managed_edge() {
            return Ok(());
        }
        let network = self.names.edge_network(app);
        self.runtime
            .disconnect_network(&self.config.proxy.container_name, &network)
            .await?;
        self.runtime.remove_network(&network).await?;
        Ok(())
    }

    /// Whether a network is an app's edge network (kept across deployments).
    pub(in crate::domain) fn is_edge_network(network_labels: &HashMap<String, String>) -> bool {
        network_labels.get(labels::ROLE).map(String::as_str) == Some(EDGE_ROLE)
    }

    /// Sets what serves `app` (a switchover's steps, a first deploy's early route).
    pub(in crate::domain) fn route_to(&self, app: &app::Model, servers: Vec<String>) {
        self.routes.with(|t| {
            t.apps.insert(
                app.name.clone(),
                AppRoute {
                    app: app.name.clone(),
                    route: app.route.clone(),
                    servers,
                    domains: Vec::new(),
                    health_path: app.health_path.clone(),
                },
            )
        });
    }

    /// Keeps derivation off `app`'s entry while a switchover steers it.
    pub(in crate::domain) fn pin_route(&self, app: &str, pinned: bool) {
        self.routes.with(|t| {
            if pinned {
                t.pinned.insert(app.to_string());
            } else {
                t.pinned.remove(app);
            }
        });
    }

    /// The routed container of a deployment and its port, from its record.
    fn main_container(&self, app: &str, dep: &deployment::Model) -> Option<(String, u16)> {
        let port = u16::try_from(dep.port?).ok()?;
        let topology = Topology::of_record(dep.services.as_deref());
        Some((self.names.main_container(app, dep.id, &topology.main), port))
    }

    /// The URL the proxy reaches a deployment's routed container at.
    pub(in crate::domain) fn main_server(
        &self,
        app: &str,
        dep: &deployment::Model,
    ) -> Option<String> {
        self.main_container(app, dep)
            .map(|(container, port)| server_url(&container, port))
    }

    /// Derives the table from the database and what runs: each app's current version, while its
    /// routed container runs.
    pub(in crate::domain) async fn refresh_routes(&self) -> DomainResult<()> {
        let apps = app::Entity::find().all(&self.db).await?;
        let current: Vec<i64> = apps
            .iter()
            .filter_map(|a| a.current_deployment_id)
            .collect();
        let deployments: HashMap<i64, deployment::Model> = deployment::Entity::find()
            .filter(deployment::Column::Id.is_in(current))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let running: HashSet<String> = self
            .runtime
            .list_containers(&[(labels::INSTANCE, self.names.instance())])
            .await?
            .into_iter()
            .filter(|c| c.state == ContainerState::Running)
            .map(|c| c.name)
            .collect();
        let derived: BTreeMap<String, AppRoute> = apps
            .into_iter()
            .map(|a| {
                let servers = a
                    .current_deployment_id
                    .and_then(|id| deployments.get(&id))
                    .and_then(|d| self.main_container(&a.name, d))
                    .filter(|(container, _)| running.contains(container))
                    .map(|(container, port)| server_url(&container, port))
                    .into_iter()
                    .collect();
                let route = AppRoute {
                    app: a.name.clone(),
                    route: a.route,
                    servers,
                    domains: Vec::new(),
                    health_path: a.health_path,
                };
                (a.name, route)
            })
            .collect();
        self.routes.with(|t| {
            let pinned: BTreeMap<String, AppRoute> = t
                .apps
                .iter()
                .filter(|(name, _)| t.pinned.contains(*name))
                .map(|(n, r)| (n.clone(), r.clone()))
                .collect();
            t.apps = derived;
            t.apps.extend(pinned);
        });
        self.refresh_domains().await
    }

    /// Reads every app's host names and the uploaded certificates into the table.
    pub(in crate::domain) async fn refresh_domains(&self) -> DomainResult<()> {
        let domains = self.domains_by_app_name().await?;
        let uploaded = self.open_uploaded_certificates().await?;
        self.routes.with(|t| {
            t.domains = domains;
            t.uploaded = uploaded;
        });
        self.routes.hosts_changed.notify_one();
        Ok(())
    }

    /// Waits until Traefik serves `server` for `app` (or no longer does), as its API says; goes
    /// on after a few seconds whatever it says, logging why.
    pub(in crate::domain) async fn confirm_served(&self, app: &str, server: &str, served: bool) {
        let Some(proxy) = self.proxy_address().filter(|_| self.managed_edge()) else {
            return;
        };
        let path = format!("/api/http/services/{}@http", labels::router_name(app));
        let token = self.proxy_token();
        let until = tokio::time::Instant::now() + CONFIRM_WITHIN;
        loop {
            let listed = traefik_get(proxy, &path, &token)
                .await
                .is_some_and(|body| body.contains(&format!("\"{server}\"")));
            if listed == served {
                return;
            }
            if tokio::time::Instant::now() >= until {
                tracing::warn!(
                    app,
                    "the proxy did not confirm that {server} is {} within {}s; going on",
                    if served { "served" } else { "retired" },
                    CONFIRM_WITHIN.as_secs()
                );
                return;
            }
            tokio::time::sleep(CONFIRM_POLL).await;
        }
    }
}

/// `GET path` on Traefik's internal API; the body of a 200, else `None`.
async fn traefik_get(proxy: std::net::IpAddr, path: &str, token: &str) -> Option<String> {
    let ask = async {
        let mut stream = TcpStream::connect((proxy, API_PORT)).await.ok()?;
        let request =
            format!("GET {path} HTTP/1.0\r\nHost: traefik\r\n{TOKEN_HEADER}: {token}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.0 200")
            .then(|| body.to_string())
            .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_string()))
    };
    tokio::time::timeout(Duration::from_secs(2), ask)
        .await
        .ok()
        .flatten()
}
