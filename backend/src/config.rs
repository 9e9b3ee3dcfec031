//! Process configuration: built-in defaults, then an optional TOML file, then environment variables.
//!
//! Built once in `main` and passed down; nothing else reads the environment. Every key is listed in
//! `docs/configuration.md`.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

use anyhow::{Context, bail};
use serde::Deserialize;

/// `development` relaxes the secret checks; `production` refuses unsafe defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

/// Whether Milkcrate runs its own Traefik container or one is run beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyMode {
    /// Milkcrate ensures a Traefik container on the Traefik network.
    Managed,
    /// Traefik is run by someone else (the `docker/` compose setup); Milkcrate only sets labels.
    External,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub env: Environment,
    pub admin_password: Option<String>,
    pub secret_key: Option<String>,
    /// Seals app secrets at rest; derived from the session secret when unset.
    pub secrets_key: Option<String>,
    /// Releases whose images are kept for rollback (the running one included).
    pub keep_releases: usize,
    pub data_dir: PathBuf,
    /// The built dashboard (Trunk's output), served at `/admin`.
    pub dashboard_dir: PathBuf,
    pub listen: SocketAddr,
    pub traefik_network: String,
    /// The IPv4 range stack networks are carved from, in /26 blocks.
    pub stack_subnets: String,
    /// A statically linked busybox, from which Milkcrate builds its volume helper image.
    pub helper_busybox: PathBuf,
    /// Scopes every Docker object's labels, so two Milkcrates on one daemon never touch each other.
    pub instance: String,
    pub session_hours: u32,
    pub login_attempts_per_minute: u32,
    /// Failed password attempts (logins and password changes) from all addresses together.
    pub login_failures_per_minute: u32,
    /// Peers whose `X-Forwarded-For` is believed (IPs or CIDRs). The Traefik network is always trusted.
    pub trusted_proxies: Vec<String>,
    /// Days the audit trail keeps an entry.
    pub audit_days: u32,
    pub proxy: ProxyConfig,
    pub limits: LimitsConfig,
    pub uploads: UploadConfig,
    pub builds: BuildConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    pub mode: ProxyMode,
    pub image: String,
    pub container_name: String,
    pub http_port: u16,
    pub http_bind: String,
    /// How Traefik reaches Milkcrate; default `http://<Traefik network gateway>:<listen port>`.
    pub upstream: Option<String>,
    /// A host name Traefik routes wholly to Milkcrate (dashboard and API on port 80/443, an
    /// origin no app shares); `None`: the dashboard is only on Milkcrate's own listener.
    pub admin_host: Option<String>,
    /// How long a retired version keeps its container after it leaves the route, so requests
    /// already on their way finish.
    pub drain_secs: u64,
    /// The secret Traefik sends when it polls for its routes (and Milkcrate sends to Traefik's
    /// API); derived from `SECRET_KEY` when unset. An external Traefik needs it set on both sides.
    pub token: Option<String>,
    /// Where the HTTPS entry point is published (with `acme_email` set).
    pub https_port: u16,
    pub https_bind: String,
    /// The ACME account's contact; setting it turns HTTPS on: app domains (and the admin host)
    /// get certificates from `acme_ca_url` (HTTP-01).
    pub acme_email: Option<String>,
    /// The ACME directory (RFC 8555): Let's Encrypt's production one by default.
    pub acme_ca_url: String,
    /// A PEM bundle Traefik trusts for the ACME server (private CAs, tests); the host's bundle
    /// when unset.
    pub acme_ca_certs: Option<PathBuf>,
    /// With an external proxy: where Milkcrate can read that Traefik's `acme.json` (its store
    /// volume mounted read-only), to show certificate states; unset, they stay `pending`.
    pub acme_store: Option<PathBuf>,
}

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

impl ProxyConfig {
    /// Whether apps' domains are served over HTTPS with ACME certificates.
    pub fn https(&self) -> bool {
        self.acme_email.is_some()
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub memory_mb: u64,
    pub cpus: f64,
    pub pids: u32,
    /// Most services a compose file may define.
    pub max_stack_services: usize,
    /// Most top-level networks a compose file may declare (`default` not counted).
    pub max_stack_networks: usize,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    pub max_upload_mb: u64,
    pub max_uncompressed_mb: u64,
    pub max_entries: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuildConfig {
    pub concurrency: usize,
    /// Memory a build's steps may use, in MiB (no swap on top).
    pub memory_mb: u64,
    /// CPU a build's steps may use, in cores.
    pub cpus: f64,
    pub build_timeout_secs: u64,
    pub ready_timeout_secs: u64,
    pub reconcile_interval_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            admin_password: None,
            secret_key: None,
            secrets_key: None,
            keep_releases: 5,
            data_dir: PathBuf::from("./data"),
            dashboard_dir: PathBuf::from("./dist"),
            listen: SocketAddr::from(([0, 0, 0, 0], 5001)),
            traefik_network: "milkcrate-traefik".into(),
            stack_subnets: "10.213.0.0/16".into(),
            helper_busybox: PathBuf::from("/bin/busybox"),
            instance: "milkcrate".into(),
            session_hours: 12,
            login_attempts_per_minute: 5,
            login_failures_per_minute: 30,
            trusted_proxies: Vec::new(),
            audit_days: 90,
            proxy: ProxyConfig::default(),
            limits: LimitsConfig::default(),
            uploads: UploadConfig::default(),
            builds: BuildConfig::default(),
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            mode: ProxyMode::Managed,
            image: "traefik:v3.7.15".into(),
            container_name: "milkcrate-traefik".into(),
            http_port: 80,
            http_bind: "0.0.0.0".into(),
            upstream: None,
            admin_host: None,
            drain_secs: 1,
            token: None,
            https_port: 443,
            https_bind: "0.0.0.0".into(),
            acme_email: None,
            acme_ca_url: LETS_ENCRYPT.into(),
            acme_ca_certs: None,
            acme_store: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            memory_mb: 512,
            cpus: 0.5,
            pids: 100,
            max_stack_services: 50,
            max_stack_networks: 10,
        }
    }
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            max_upload_mb: 512,
            max_uncompressed_mb: 2048,
            max_entries: 20_000,
        }
    }
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            concurrency: 2,
            memory_mb: 2048,
            cpus: 1.0,
            build_timeout_secs: 1800,
            ready_timeout_secs: 60,
            reconcile_interval_secs: 30,
        }
    }
}

/// Secrets that must never be accepted in production.
const WEAK_SECRETS: &[&str] = &[
    "dev-key-change-in-production",
    "your-secret-key-change-in-production-using-environment-variable",
    "changeme",
    "secret",
];
const MIN_SECRET_LEN: usize = 32;

impl Config {
    /// Loads the file named by `MILKCRATE_CONFIG` (if any), then applies the environment.
    /// `env` is injected so tests never touch the process environment.
    pub fn load(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut config = match env("MILKCRATE_CONFIG") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading config file {path}"))?;
                toml::from_str(&text).with_context(|| format!("parsing config file {path}"))?
            }
            None => Config::default(),
        };
        config.apply_env(&env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let get = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("MILKCRATE_ENV") {
            self.env = if v.trim().to_ascii_lowercase().starts_with("prod") {
                Environment::Production
            } else if v.trim().eq_ignore_ascii_case("development") {
                Environment::Development
            } else {
                bail!("MILKCRATE_ENV must be `development` or `production`, not `{v}`");
            };
        }
        if let Some(v) = get("MILKCRATE_ADMIN_PASSWORD") {
            self.admin_password = Some(v);
        }
        if let Some(v) = get("SECRET_KEY") {
            self.secret_key = Some(v);
        }
        if let Some(v) = get("MILKCRATE_SECRETS_KEY") {
            self.secrets_key = Some(v);
        }
        parse_into(&get, "MILKCRATE_KEEP_RELEASES", &mut self.keep_releases)?;
        if let Some(v) = get("MILKCRATE_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("MILKCRATE_DASHBOARD_DIR") {
            self.dashboard_dir = v.into();
        }
        if let Some(v) = get("TRAEFIK_NETWORK") {
            self.traefik_network = v;
        }
        if let Some(v) = get("MILKCRATE_HELPER_BUSYBOX") {
            self.helper_busybox = v.into();
        }
        if let Some(v) = get("MILKCRATE_STACK_SUBNETS") {
            self.stack_subnets = v;
        }
        if let Some(v) = get("MILKCRATE_INSTANCE") {
            self.instance = v;
        }
        if let Some(v) = get("MILKCRATE_TRUSTED_PROXIES") {
            self.trusted_proxies = v.split(',').map(|s| s.trim().to_string()).collect();
        }
        if let Some(v) = get("MILKCRATE_PROXY") {
            self.proxy.mode = match v.trim() {
                "managed" => ProxyMode::Managed,
                "external" => ProxyMode::External,
                other => bail!("MILKCRATE_PROXY must be `managed` or `external`, not `{other}`"),
            };
        }
        if let Some(v) = get("MILKCRATE_TRAEFIK_IMAGE") {
            self.proxy.image = v;
        }
        if let Some(v) = get("MILKCRATE_TRAEFIK_CONTAINER") {
            self.proxy.container_name = v;
        }
        if let Some(v) = get("MILKCRATE_HTTP_BIND") {
            self.proxy.http_bind = v;
        }
        if let Some(v) = get("MILKCRATE_UPSTREAM") {
            self.proxy.upstream = Some(v);
        }
        if let Some(v) = get("MILKCRATE_ADMIN_HOST") {
            self.proxy.admin_host = Some(
                shared::validation::host_name(&v)
                    .map_err(|e| anyhow::anyhow!("MILKCRATE_ADMIN_HOST {e}"))?,
            );
        }
        parse_into(&get, "MILKCRATE_DRAIN_SECS", &mut self.proxy.drain_secs)?;
        if let Some(v) = get("MILKCRATE_PROXY_TOKEN") {
            if v.len() < 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bail!(
                    "MILKCRATE_PROXY_TOKEN must be 32 or more letters and digits, e.g. `openssl rand -hex 32`"
                );
            }
            self.proxy.token = Some(v);
        }
        parse_into(&get, "MILKCRATE_HTTPS_PORT", &mut self.proxy.https_port)?;
        if let Some(v) = get("MILKCRATE_HTTPS_BIND") {
            self.proxy.https_bind = v;
        }
        if let Some(v) = get("MILKCRATE_ACME_EMAIL") {
            self.proxy.acme_email = Some(v.trim().to_string());
        }
        if let Some(v) = get("MILKCRATE_ACME_CA_URL") {
            self.proxy.acme_ca_url = v.trim().to_string();
        }
        if let Some(v) = get("MILKCRATE_ACME_CA_CERTS") {
            self.proxy.acme_ca_certs = Some(v.into());
        }
        if let Some(v) = get("MILKCRATE_ACME_STORE") {
            self.proxy.acme_store = Some(v.into());
        }
        parse_into(&get, "MILKCRATE_LISTEN", &mut self.listen)?;
        parse_into(&get, "MILKCRATE_SESSION_HOURS", &mut self.session_hours)?;
        parse_into(&get, "MILKCRATE_AUDIT_DAYS", &mut self.audit_days)?;
        parse_into(
            &get,
            "MILKCRATE_LOGIN_ATTEMPTS_PER_MINUTE",
            &mut self.login_attempts_per_minute,
        )?;
        parse_into(
            &get,
            "MILKCRATE_LOGIN_FAILURES_PER_MINUTE",
            &mut self.login_failures_per_minute,
        )?;
        parse_into(&get, "MILKCRATE_HTTP_PORT", &mut self.proxy.http_port)?;
        parse_into(&get, "MILKCRATE_APP_MEMORY_MB", &mut self.limits.memory_mb)?;
        parse_into(&get, "MILKCRATE_APP_CPUS", &mut self.limits.cpus)?;
        parse_into(&get, "MILKCRATE_APP_PIDS", &mut self.limits.pids)?;
        parse_into(
            &get,
            "MILKCRATE_MAX_UPLOAD_MB",
            &mut self.uploads.max_upload_mb,
        )?;
        parse_into(
            &get,
            "MILKCRATE_MAX_UNCOMPRESSED_MB",
            &mut self.uploads.max_uncompressed_mb,
        )?;
        parse_into(
            &get,
            "MILKCRATE_MAX_ZIP_ENTRIES",
            &mut self.uploads.max_entries,
        )?;
        parse_into(
            &get,
            "MILKCRATE_MAX_STACK_SERVICES",
            &mut self.limits.max_stack_services,
        )?;
        parse_into(
            &get,
            "MILKCRATE_MAX_STACK_NETWORKS",
            &mut self.limits.max_stack_networks,
        )?;
        parse_into(
            &get,
            "MILKCRATE_BUILD_CONCURRENCY",
            &mut self.builds.concurrency,
        )?;
        parse_into(
            &get,
            "MILKCRATE_BUILD_MEMORY_MB",
            &mut self.builds.memory_mb,
        )?;
        parse_into(&get, "MILKCRATE_BUILD_CPUS", &mut self.builds.cpus)?;
        parse_into(
            &get,
            "MILKCRATE_BUILD_TIMEOUT_SECS",
            &mut self.builds.build_timeout_secs,
        )?;
        parse_into(
            &get,
            "MILKCRATE_READY_TIMEOUT_SECS",
            &mut self.builds.ready_timeout_secs,
        )?;
        parse_into(
            &get,
            "MILKCRATE_RECONCILE_INTERVAL_SECS",
            &mut self.builds.reconcile_interval_secs,
        )?;
        Ok(())
    }

    /// Production refuses to start with defaults an attacker could guess, naming what to set.
    /// Without an admin password a strong one is generated on the first start, in any mode.
    fn validate(&self) -> anyhow::Result<()> {
        if self.env == Environment::Production {
            match self.admin_password.as_deref() {
                None => {}
                Some("admin") => bail!(
                    "MILKCRATE_ADMIN_PASSWORD is the default `admin`; set a real password (at least 8 characters)"
                ),
                Some(p) => {
                    if let Err(e) = shared::validation::new_password(p) {
                        bail!("MILKCRATE_ADMIN_PASSWORD {e}")
                    }
                }
            }
            match self.secret_key.as_deref() {
                None => bail!(
                    "production needs SECRET_KEY: set it to {MIN_SECRET_LEN}+ random characters, e.g. `openssl rand -hex 32`"
                ),
                Some(k) if WEAK_SECRETS.contains(&k) || k.len() < MIN_SECRET_LEN => bail!(
                    "SECRET_KEY is weak; set it to {MIN_SECRET_LEN}+ random characters, e.g. `openssl rand -hex 32`"
                ),
                Some(_) => {}
            }
        }
        let subnets = crate::runtime::subnets::Cidr::parse(&self.stack_subnets)
            .map_err(|e| anyhow::anyhow!("MILKCRATE_STACK_SUBNETS: {e}"))?;
        if subnets.blocks().next().is_none() {
            bail!("MILKCRATE_STACK_SUBNETS must be a range of /26 or wider, not `{subnets}`");
        }
        TrustedProxies::parse(self.trusted_proxies.iter().map(String::as_str))
            .map_err(|e| anyhow::anyhow!("MILKCRATE_TRUSTED_PROXIES: {e}"))?;
        // The instance name is part of image and container names.
        if shared::validation::app_name(&self.instance).as_deref() != Ok(self.instance.as_str()) {
            bail!(
                "MILKCRATE_INSTANCE must be 2 to 40 lowercase letters, digits and hyphens, not `{}`",
                self.instance
            );
        }
        if self
            .secrets_key
            .as_deref()
            .is_some_and(|k| WEAK_SECRETS.contains(&k) || k.len() < MIN_SECRET_LEN)
        {
            bail!(
                "MILKCRATE_SECRETS_KEY is weak; set it to {MIN_SECRET_LEN}+ random characters, e.g. `openssl rand -hex 32`"
            );
        }
        if self.keep_releases == 0 {
            bail!("MILKCRATE_KEEP_RELEASES must be at least 1 (the running release)");
        }
        if self.builds.concurrency == 0 {
            bail!("MILKCRATE_BUILD_CONCURRENCY must be at least 1");
        }
        if self.audit_days == 0 {
            bail!("MILKCRATE_AUDIT_DAYS must be at least 1");
        }
        if self.builds.memory_mb < 6 || self.builds.cpus.is_nan() || self.builds.cpus < 0.01 {
            bail!(
                "build limits must be positive (MILKCRATE_BUILD_MEMORY_MB at least 6, MILKCRATE_BUILD_CPUS at least 0.01)"
            );
        }
        if self.limits.cpus.is_nan()
            || self.limits.cpus <= 0.0
            || self.limits.memory_mb < 6
            || self.limits.pids == 0
        {
            bail!("app limits must be positive (memory at least 6 MB, as Docker requires)");
        }
        self.validate_https()?;
        if self.limits.max_stack_services == 0 {
            bail!("MILKCRATE_MAX_STACK_SERVICES must be at least 1");
        }
        Ok(())
    }

    /// The ACME settings reach Traefik's command line: plain values only.
    fn validate_https(&self) -> anyhow::Result<()> {
        let p = &self.proxy;
        if let Some(email) = &p.acme_email {
            let ok = email.len() <= 254
                && email.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty() && shared::validation::host_name(domain).is_ok()
                })
                && email.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                bail!("MILKCRATE_ACME_EMAIL must be an email address, not `{email}`");
            }
        }
        let url = &p.acme_ca_url;
        if !url.starts_with("https://") || !url.bytes().all(|b| b.is_ascii_graphic()) {
            bail!(
                "MILKCRATE_ACME_CA_URL must be an https:// URL of an ACME directory, not `{url}`"
            );
        }
        if let Some(path) = &p.acme_ca_certs
            && !path.is_file()
        {
            bail!(
                "MILKCRATE_ACME_CA_CERTS names {}, which is not a readable file",
                path.display()
            );
        }
        if p.acme_email.is_some() && p.https_port == p.http_port && p.https_bind == p.http_bind {
            bail!("MILKCRATE_HTTPS_PORT must differ from MILKCRATE_HTTP_PORT");
        }
        Ok(())
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("milkcrate.sqlite")
    }
}

/// A list of trusted networks (`10.0.0.0/8`, `172.18.0.2`, ...).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses IPs and CIDRs; an invalid entry is an error naming it.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Self> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let (ip, prefix) = match entry.split_once('/') {
                Some((ip, prefix)) => (ip, Some(prefix)),
                None => (entry, None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| anyhow::anyhow!("`{entry}` is not an IP address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| anyhow::anyhow!("`{entry}` has a bad prefix length"))?,
                None => max,
            };
            nets.push((ip, prefix));
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(net, prefix)| in_network(ip, *net, *prefix))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

fn parse_into<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    slot: &mut T,
) -> anyhow::Result<()>
where
    T::Err: fmt::Display,
{
    if let Some(v) = get(key) {
        *slot = v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{key}=`{v}` is invalid: {e}"))?;
    }
    Ok(())
}

/// Secrets are redacted so the effective config can be logged at startup.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("admin_password", &redact(&self.admin_password))
            .field("secret_key", &redact(&self.secret_key))
            .field("secrets_key", &redact(&self.secrets_key))
            .field("keep_releases", &self.keep_releases)
            .field("data_dir", &self.data_dir)
            .field("dashboard_dir", &self.dashboard_dir)
            .field("listen", &self.listen)
            .field("traefik_network", &self.traefik_network)
            .field("stack_subnets", &self.stack_subnets)
            .field("helper_busybox", &self.helper_busybox)
            .field("instance", &self.instance)
            .field("session_hours", &self.session_hours)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field("login_failures_per_minute", &self.login_failures_per_minute)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("audit_days", &self.audit_days)
            .field("proxy", &self.proxy)
            .field("limits", &self.limits)
            .field("uploads", &self.uploads)
            .field("builds", &self.builds)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_documentation() {
        let c = load(&[]).unwrap();
        assert_eq!(c.env, Environment::Development);
        assert_eq!(c.listen.to_string(), "0.0.0.0:5001");
        assert_eq!(c.traefik_network, "milkcrate-traefik");
        assert_eq!(c.db_path(), PathBuf::from("./data/milkcrate.sqlite"));
        assert_eq!(c.limits.memory_mb, 512);
        assert_eq!(c.login_attempts_per_minute, 5);
        assert_eq!(c.audit_days, 90);
        assert_eq!(c.login_failures_per_minute, 30);
        let c = load(&[("MILKCRATE_LOGIN_FAILURES_PER_MINUTE", "12")]).unwrap();
        assert_eq!(c.login_failures_per_minute, 12);
    }

    #[test]
    fn https_is_on_with_an_acme_email_and_its_settings_are_checked() {
        let c = load(&[]).unwrap();
        assert!(!c.proxy.https());
        assert_eq!(c.proxy.https_port, 443);
        assert_eq!(c.proxy.acme_ca_url, LETS_ENCRYPT);
        let c = load(&[
            ("MILKCRATE_ACME_EMAIL", "ops@example.com"),
            ("MILKCRATE_HTTPS_PORT", "8443"),
            (
                "MILKCRATE_ACME_CA_URL",
                "https://acme-staging-v02.api.letsencrypt.org/directory",
            ),
        ])
        .unwrap();
        assert!(c.proxy.https());
        assert_eq!(c.proxy.https_port, 8443);
        for (key, value, named) in [
            (
                "MILKCRATE_ACME_EMAIL",
                "ops example.com",
                "MILKCRATE_ACME_EMAIL",
            ),
            (
                "MILKCRATE_ACME_EMAIL",
                "ops@ex ample.com",
                "MILKCRATE_ACME_EMAIL",
            ),
            (
                "MILKCRATE_ACME_CA_URL",
                "http://acme.example.com/dir",
                "MILKCRATE_ACME_CA_URL",
            ),
            (
                "MILKCRATE_ACME_CA_CERTS",
                "/nonexistent/ca.pem",
                "MILKCRATE_ACME_CA_CERTS",
            ),
            ("MILKCRATE_HTTPS_PORT", "80", "MILKCRATE_HTTPS_PORT"),
        ] {
            let err = load(&[("MILKCRATE_ACME_EMAIL", "ops@example.com"), (key, value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{key}={value}: {err}");
        }
    }

    #[test]
    fn the_admin_host_must_be_a_host_name_and_the_error_names_the_setting() {
        let c = load(&[("MILKCRATE_ADMIN_HOST", "Admin.Example.com")]).unwrap();
        assert_eq!(c.proxy.admin_host.as_deref(), Some("admin.example.com"));
        for bad in [
            "*.example.com",
            "admin.example.com:8080",
            "http://admin",
            "a b",
        ] {
            let err = load(&[("MILKCRATE_ADMIN_HOST", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("MILKCRATE_ADMIN_HOST"), "{bad}: {err}");
        }
        let err = load(&[("MILKCRATE_PROXY_TOKEN", "short")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MILKCRATE_PROXY_TOKEN"), "{err}");
    }

    #[test]
    fn production_refuses_default_password_and_weak_secret() {
        // No password: one is generated on the first start. A missing secret is still refused.
        let err = load(&[("MILKCRATE_ENV", "production")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs SECRET_KEY"), "{err}");
        let c = load(&[
            ("MILKCRATE_ENV", "production"),
            ("SECRET_KEY", &"k".repeat(40)),
        ])
        .unwrap();
        assert!(c.admin_password.is_none());
        let err = load(&[
            ("MILKCRATE_ENV", "production"),
            ("MILKCRATE_ADMIN_PASSWORD", "short"),
            ("SECRET_KEY", &"k".repeat(40)),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("at least 8 characters"), "{err}");
        let err = load(&[
            ("MILKCRATE_ENV", "production"),
            ("MILKCRATE_ADMIN_PASSWORD", "admin"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("default `admin`"), "{err}");
        let err = load(&[
            ("MILKCRATE_ENV", "production"),
            ("MILKCRATE_ADMIN_PASSWORD", "a-long-password"),
            ("SECRET_KEY", "dev-key-change-in-production"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("SECRET_KEY is weak"), "{err}");
        let err = load(&[
            ("MILKCRATE_ENV", "production"),
            ("MILKCRATE_ADMIN_PASSWORD", "a-long-password"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs SECRET_KEY"), "{err}");
        load(&[
            ("MILKCRATE_ENV", "production"),
            ("MILKCRATE_ADMIN_PASSWORD", "a-long-password"),
            ("SECRET_KEY", &"k".repeat(40)),
        ])
        .unwrap();
    }

    #[test]
    fn bad_instance_names_and_proxy_lists_are_refused_at_load() {
        let err = load(&[("MILKCRATE_INSTANCE", "Bad/Name")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MILKCRATE_INSTANCE"), "{err}");
        let err = load(&[("MILKCRATE_TRUSTED_PROXIES", "nonsense")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("MILKCRATE_TRUSTED_PROXIES") && err.contains("nonsense"),
            "{err}"
        );
        load(&[("MILKCRATE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1")]).unwrap();
    }

    #[test]
    fn stack_caps_have_defaults_and_settings() {
        let c = load(&[]).unwrap();
        assert_eq!(c.limits.max_stack_services, 50);
        assert_eq!(c.limits.max_stack_networks, 10);
        let c = load(&[
            ("MILKCRATE_MAX_STACK_SERVICES", "8"),
            ("MILKCRATE_MAX_STACK_NETWORKS", "0"),
        ])
        .unwrap();
        assert_eq!(c.limits.max_stack_services, 8);
        assert_eq!(c.limits.max_stack_networks, 0);
        let err = load(&[("MILKCRATE_MAX_STACK_SERVICES", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MILKCRATE_MAX_STACK_SERVICES"), "{err}");
        let err = load(&[("MILKCRATE_MAX_STACK_NETWORKS", "many")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MILKCRATE_MAX_STACK_NETWORKS"), "{err}");
    }

    #[test]
    fn invalid_numbers_name_the_variable() {
        let err = load(&[("MILKCRATE_HTTP_PORT", "eighty")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MILKCRATE_HTTP_PORT"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = load(&[
            ("SECRET_KEY", "super-secret-value"),
            ("MILKCRATE_ADMIN_PASSWORD", "hunter22"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("super-secret-value") && !shown.contains("hunter22"));
    }
}
