//! Startup, background upkeep and graceful shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    api::{self, client_ip::TrustedProxies},
    auth::{LoginRateLimiter, PasswordHasher, TokenKeys},
    config::{Config, ProxyMode},
    db,
    domain::{Paths, Platform, load_or_create_secret},
    runtime::Docker,
    secrets::SecretBox,
    state::{AppState, Inner},
};

/// Hashes allowed at once: enough for a person, too few for login spam to starve the server.
const CONCURRENT_HASHES: usize = 2;

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!("starting with {config:?}");
    if config.proxy.mode == ProxyMode::External && config.trusted_proxies.is_empty() {
        tracing::info!(
            "MILKCRATE_PROXY=external: the proxy's forwarded addresses are believed once it polls \
             for its routes with the token; until then (or for a proxy that does not poll), list \
             it in MILKCRATE_TRUSTED_PROXIES"
        );
    }
    let platform = open_platform(&config).await?;
    // Bound before a first start stores (and shows) a generated password, so a port in use stops
    // the start before that.
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let state = prepare(platform.clone()).await?;
    let upkeep = tokio::spawn(upkeep(platform.clone()));
    let follower = tokio::spawn(platform.clone().follow_runtime());
    let certificates = tokio::spawn(platform.clone().watch_certificates());
    let webhooks = tokio::spawn(platform.clone().follow_webhooks());
    let pruner = tokio::spawn(prune_audit(platform.clone()));
    tracing::info!("listening on http://{}", config.listen);
    serve_on(listener, state, shutdown_signal()).await?;
    tracing::info!("shutting down; interrupting deployments in flight");
    upkeep.abort();
    follower.abort();
    certificates.abort();
    webhooks.abort();
    pruner.abort();
    platform.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Everything a platform needs before it serves: the session keys, the admin's password on a
/// first start, and the database in step with the runtime (so no new deployment can be mistaken
/// for one a crash cut off).
pub async fn prepare(platform: Arc<Platform>) -> anyhow::Result<AppState> {
    let config = platform.config();
    let paths = Paths::new(&config.data_dir);
    let secret = load_or_create_secret(config, &paths.secret_key())?;
    let keys = TokenKeys::new(
        secret.as_bytes(),
        chrono::Duration::hours(i64::from(config.session_hours)),
    )?;
    let hasher = PasswordHasher::new(CONCURRENT_HASHES);
    if let Some(password) = platform.init_admin(&hasher).await? {
        show_generated_password(config, &password);
    }
    platform
        .reconcile(true)
        .await
        .context("reconciling the database with the runtime")?;
    Ok(AppState::new(Inner {
        login_limiter: LoginRateLimiter::new(
            config.login_attempts_per_minute,
            config.login_failures_per_minute,
        ),
        trusted_proxies: TrustedProxies::parse(config.trusted_proxies.iter().map(String::as_str))?,
        platform,
        keys,
        hasher,
        http_counters: Default::default(),
    }))
}

/// Prints the password generated on a first start, once, to standard error: not through the log
/// filter (`RUST_LOG` must not be able to hide it), and only after its hash is stored.
fn show_generated_password(config: &Config, password: &str) {
    let port = config.listen.port();
    let mut dashboard = match config.listen.ip() {
        ip if ip.is_unspecified() => format!(
            "http://localhost:{port}/admin/ (from elsewhere: http://<this host>:{port}/admin/)"
        ),
        std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{port}/admin/"),
        ip => format!("http://{ip}:{port}/admin/"),
    };
    if let Some(host) = &config.proxy.admin_host {
        let port = match config.proxy.mode {
            ProxyMode::Managed if config.proxy.http_port != 80 => {
                format!(":{}", config.proxy.http_port)
            }
            _ => String::new(),
        };
        dashboard.push_str(&format!(", or http://{host}{port}/admin/"));
    }
    let rule = "=".repeat(70);
    eprintln!(
        "\n{rule}\n\
         First start: MILKCRATE_ADMIN_PASSWORD is not set, so a password was\n\
         generated for the admin. It is shown only this once (only its hash is\n\
         stored): keep it, or change it in the dashboard's settings.\n\n\
         {indent}admin password: {password}\n\
         {indent}dashboard: {dashboard}\n\
         {rule}\n",
        indent = "    "
    );
    tracing::warn!(
        "a generated admin password was stored and printed to standard error, this once"
    );
}

/// Serves the API and the dashboard on `listener` until `shutdown` completes, then drains: the
/// seam the real server and the in-process tests share.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        api::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")
}

/// The data folder, the database (migrated) and Docker: what the server and the CLI's backup
/// and restore work on.
pub async fn open_platform(config: &Config) -> anyhow::Result<Arc<Platform>> {
    let paths = Paths::new(&config.data_dir);
    paths
        .create_all()
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let db = db::connect(&config.db_path()).await?;
    let docker = Docker::connect().await.context(
        "Milkcrate needs a Docker daemon; is dockerd running and is its socket readable?",
    )?;
    let platform = Platform::new(db, Arc::new(docker), config.clone(), secrets_box(config)?);
    platform.check_secrets_key().await?;
    Ok(platform)
}

/// The key app secrets are sealed with: `MILKCRATE_SECRETS_KEY`, else the session secret.
fn secrets_box(config: &Config) -> anyhow::Result<SecretBox> {
    let material = match &config.secrets_key {
        Some(key) => key.clone(),
        None => load_or_create_secret(config, &Paths::new(&config.data_dir).secret_key())?,
    };
    Ok(SecretBox::from_material(&material))
}

/// Keeps the proxy in place and the database in step with Docker.
async fn upkeep(platform: Arc<Platform>) {
    let every = Duration::from_secs(platform.config().builds.reconcile_interval_secs.max(1));
    loop {
        if let Err(e) = platform.ensure_proxy().await {
            tracing::error!("cannot set up the proxy: {e}");
        }
        tokio::time::sleep(every).await;
        if let Err(e) = platform.reconcile(false).await {
            tracing::warn!("reconciliation failed: {e}");
        }
    }
}

/// Keeps the audit trail to `MILKCRATE_AUDIT_DAYS`: at start, then hourly.
async fn prune_audit(platform: Arc<Platform>) {
    loop {
        if let Err(e) = platform.prune_audit(chrono::Utc::now()).await {
            tracing::warn!("cannot prune the audit trail: {e}");
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
