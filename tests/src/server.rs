use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use rand::distr::{Alphanumeric, SampleString};
use reqwest::{StatusCode, multipart};
use shared::v1::{Deployment, LoginResponse};

use crate::{docker, eventually};

/// How a test wants its Milkcrate.
#[derive(Clone)]
pub struct ServerOptions {
    /// Run the managed Traefik (slower to start); without it the API alone is tested.
    pub with_proxy: bool,
    pub extra_env: Vec<(String, String)>,
    /// The instance name; a fresh random one when `None` (a restore needs the backup's).
    pub instance: Option<String>,
    /// A data folder on a tmpfs of this many MiB (a small disk to fill); needs root.
    pub tmpfs_mb: Option<u32>,
}

impl ServerOptions {
    /// Without Traefik: for tests of the API alone, which start faster.
    pub fn api_only() -> Self {
        Self {
            with_proxy: false,
            ..Self::default()
        }
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            with_proxy: true,
            extra_env: Vec::new(),
            instance: None,
            tmpfs_mb: None,
        }
    }
}

/// A running `milkcrate serve` with its own data folder, Docker objects and (optionally) Traefik.
pub struct Server {
    child: Option<Child>,
    pub instance: String,
    pub port: u16,
    pub proxy_port: u16,
    pub data: tempfile::TempDir,
    pub http: reqwest::Client,
    token: Option<String>,
    options: ServerOptions,
}

pub const PASSWORD: &str = "test-password-123";

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

/// The `milkcrate` binary under test (`MILKCRATE_BIN`, else the one cargo built beside the tests).
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("MILKCRATE_BIN") {
        return path.into();
    }
    // target/debug/deps/e2e-xxxx -> target/debug/milkcrate
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("milkcrate");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p milkcrate` first",
        bin.display()
    );
    bin
}

impl Server {
    pub async fn start(options: ServerOptions) -> Self {
        let instance = options.instance.clone().unwrap_or_else(|| {
            format!(
                "t{}",
                Alphanumeric
                    .sample_string(&mut rand::rng(), 8)
                    .to_lowercase()
            )
        });
        let mut server = Self {
            child: None,
            port: free_port(),
            proxy_port: free_port(),
            data: tempfile::tempdir().expect("temp dir"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            token: None,
            instance,
            options,
        };
        if let Some(mb) = server.options.tmpfs_mb {
            let mounted = Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
                .arg(server.data.path())
                .status()
                .expect("mount runs");
            assert!(
                mounted.success(),
                "mounting a tmpfs data folder (needs root)"
            );
        }
        server.spawn().await;
        server.login().await;
        if server.options.with_proxy {
            server.wait_for_proxy().await;
        } else {
            // The upkeep task creates the Traefik network right after start; a test that ends
            // sooner would kill the server with that request in flight and leak the network.
            let label = server.label();
            eventually(Duration::from_secs(30), "the Traefik network", || {
                let found = !docker::networks_with(&[&label]).is_empty();
                async move { found.then_some(()) }
            })
            .await;
        }
        server
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("MILKCRATE_ENV", "development".to_string()),
            ("MILKCRATE_ADMIN_PASSWORD", PASSWORD.to_string()),
            ("MILKCRATE_DATA_DIR", self.data.path().display().to_string()),
            ("MILKCRATE_LISTEN", format!("0.0.0.0:{}", self.port)),
            ("MILKCRATE_INSTANCE", self.instance.clone()),
            ("TRAEFIK_NETWORK", format!("{}-net", self.instance)),
            (
                "MILKCRATE_TRAEFIK_CONTAINER",
                format!("{}-traefik", self.instance),
            ),
            ("MILKCRATE_HTTP_BIND", "127.0.0.1".to_string()),
            ("MILKCRATE_HTTP_PORT", self.proxy_port.to_string()),
            (
                "MILKCRATE_PROXY",
                if self.options.with_proxy {
                    "managed"
                } else {
                    "external"
                }
                .to_string(),
            ),
            ("MILKCRATE_READY_TIMEOUT_SECS", "30".to_string()),
            ("RUST_LOG", "info".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(self.options.extra_env.iter().cloned());
        env
    }

    /// Runs `milkcrate ARGS` with this server's settings, `data_dir` as its data folder; returns
    /// the exit status and everything it printed.
    pub fn cli(&self, args: &[&str], data_dir: &std::path::Path) -> (bool, String) {
        let output = Command::new(binary())
            .args(args)
            .envs(self.env())
            .env("MILKCRATE_DATA_DIR", data_dir)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("milkcrate runs");
        printed(&output)
    }

    /// Runs `milkcrate ARGS` as a client of this server with `token` (nothing else of this
    /// environment, `home` as its home); returns the exit status and everything it printed.
    pub async fn client_cli(
        &self,
        token: &str,
        home: &std::path::Path,
        args: &[&str],
    ) -> (bool, String) {
        let output = tokio::process::Command::new(binary())
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("MILKCRATE_URL", self.url(""))
            .env("MILKCRATE_TOKEN", token)
            .output()
            .await
            .expect("milkcrate runs");
        printed(&output)
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.path().join("server.log"))
            .expect("server log");
        let child = Command::new(binary())
            .arg("serve")
            .envs(self.env())
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("milkcrate starts");
        self.child = Some(child);
        let url = self.url("/healthz");
        let http = self.http.clone();
        eventually(
            Duration::from_secs(30),
            "milkcrate to answer /healthz",
            || {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    http.get(&url)
                        .send()
                        .await
                        .ok()
                        .filter(|r| r.status().is_success())
                        .map(|_| ())
                }
            },
        )
        .await;
    }

    /// Kills the process without warning (a crash), then starts it again on the same data.
    pub async fn crash_and_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.spawn().await;
        self.login().await;
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("a running server");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        tokio::task::spawn_blocking(move || child.wait().expect("wait"))
            .await
            .expect("join")
    }

    /// Starts the server again on the same data (after `terminate`).
    pub async fn restart(&mut self) {
        self.spawn().await;
        self.login().await;
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a running server").id()
    }

    /// What the server printed so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn proxy_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.proxy_port)
    }

    pub async fn login(&mut self) {
        let response = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "password": PASSWORD }))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login failed");
        let body: LoginResponse = response.json().await.expect("login body");
        self.token = Some(body.token);
    }

    /// The bearer token of the current session.
    pub fn token(&self) -> &str {
        self.token.as_deref().expect("logged in")
    }

    /// An authenticated request to the API, to finish and send.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.authed(self.http.request(method, self.url(path)))
    }

    /// `POST /api/v1/volumes`.
    pub async fn create_volume(&self, name: &str) -> reqwest::Response {
        self.request(reqwest::Method::POST, "/api/v1/volumes")
            .json(&serde_json::json!({"name": name, "description": "made by a test"}))
            .send()
            .await
            .expect("create volume")
    }

    /// Uploads `files` (name, bytes) into `folder` of a volume.
    pub async fn upload_to_volume(
        &self,
        volume: &str,
        folder: &str,
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Response {
        let mut form = multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "files",
                multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.request(
            reqwest::Method::POST,
            &format!("/api/v1/volumes/{volume}/upload?path={folder}"),
        )
        .multipart(form)
        .send()
        .await
        .expect("upload to volume")
    }

    fn authed(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.authed(self.http.get(self.url(path)))
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.authed(self.http.post(self.url(path)))
            .send()
            .await
            .expect("POST")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.authed(self.http.delete(self.url(path)))
            .send()
            .await
            .expect("DELETE")
    }

    /// `POST /api/v1/apps` with a ZIP.
    pub async fn create_app(&self, name: &str, route: &str, zip: Vec<u8>) -> reqwest::Response {
        self.create_app_with(name, route, zip, &[]).await
    }

    /// `POST /api/v1/apps` with a ZIP and extra text fields (e.g. `mounts`).
    pub async fn create_app_with(
        &self,
        name: &str,
        route: &str,
        zip: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = multipart::Form::new()
            .text("name", name.to_string())
            .text("route", route.to_string());
        for (key, value) in fields {
            form = form.text(key.to_string(), value.to_string());
        }
        let form = form.part("file", multipart::Part::bytes(zip).file_name("app.zip"));
        self.authed(self.http.post(self.url("/api/v1/apps")))
            .multipart(form)
            .send()
            .await
            .expect("create app")
    }

    /// `POST /api/v1/apps/{name}/deployments` with a ZIP.
    pub async fn redeploy(&self, name: &str, zip: Vec<u8>) -> reqwest::Response {
        self.redeploy_with(name, zip, &[]).await
    }

    /// `POST /api/v1/apps/{name}/deployments` with a ZIP and extra text fields.
    pub async fn redeploy_with(
        &self,
        name: &str,
        zip: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = multipart::Form::new();
        for (key, value) in fields {
            form = form.text(key.to_string(), value.to_string());
        }
        let form = form.part("file", multipart::Part::bytes(zip).file_name("app.zip"));
        self.authed(
            self.http
                .post(self.url(&format!("/api/v1/apps/{name}/deployments"))),
        )
        .multipart(form)
        .send()
        .await
        .expect("redeploy")
    }

    /// Polls a deployment until it is final.
    pub async fn wait_deployment(&self, id: i64) -> Deployment {
        let deadline = Duration::from_secs(180);
        eventually(
            deadline,
            &format!("deployment {id} to finish"),
            || async move {
                let response = self.get(&format!("/api/v1/deployments/{id}")).await;
                let deployment: Deployment = response.json().await.ok()?;
                deployment.status.is_final().then_some(deployment)
            },
        )
        .await
    }

    /// The deployment's log, whole.
    pub async fn deployment_log(&self, id: i64) -> String {
        let body: serde_json::Value = self
            .get(&format!("/api/v1/deployments/{id}/log"))
            .await
            .json()
            .await
            .expect("log");
        body["text"].as_str().unwrap_or_default().to_string()
    }

    /// GET through Traefik: status and body.
    pub async fn via_proxy(&self, path: &str) -> (StatusCode, String) {
        match self.http.get(self.proxy_url(path)).send().await {
            Ok(r) => {
                let status = r.status();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => {
                eprintln!("note: GET {path} through Traefik failed: {e}");
                (StatusCode::BAD_GATEWAY, String::new())
            }
        }
    }

    /// Waits until Traefik answers `path` with a body containing `needle` (or, with `absent`,
    /// until it no longer does).
    pub async fn wait_proxy_body(
        &self,
        path: &str,
        needle: &str,
        present: bool,
    ) -> (StatusCode, String) {
        let last = std::sync::Mutex::new(None);
        let what = format!(
            "{path} via Traefik to {} `{needle}`",
            if present {
                "contain"
            } else {
                "stop containing"
            }
        );
        let found = tokio::time::timeout(
            Duration::from_secs(30),
            eventually(Duration::from_secs(31), &what, || async {
                let (status, body) = self.via_proxy(path).await;
                let done = body.contains(needle) == present;
                *last.lock().unwrap() = Some((status, body.clone()));
                done.then_some((status, body))
            }),
        )
        .await;
        found.unwrap_or_else(|_| {
            panic!(
                "timed out waiting for {what}; last answer: {:?}",
                last.lock().unwrap()
            )
        })
    }

    /// Waits until Traefik answers `path` with `status`; returns the body.
    pub async fn wait_proxy_status(&self, path: &str, status: StatusCode) -> String {
        let what = format!("{path} via Traefik to answer {status}");
        eventually(Duration::from_secs(30), &what, || async move {
            let (got, body) = self.via_proxy(path).await;
            (got == status).then_some(body)
        })
        .await
    }

    async fn wait_for_proxy(&self) {
        eventually(
            Duration::from_secs(60),
            "Traefik to serve the public landing from Milkcrate",
            || async move {
                let (status, body) = self.via_proxy("/").await;
                (status == StatusCode::OK && body.contains("<h1>Apps</h1>")).then_some(())
            },
        )
        .await;
    }

    pub fn label(&self) -> String {
        format!("milkcrate.instance={}", self.instance)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "---- milkcrate log ({}) ----\n{}",
                self.instance,
                self.log()
            );
        }
        docker::remove_instance(&self.instance);
        if self.options.tmpfs_mb.is_some() {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.data.path())
                .status();
        }
    }
}

/// A finished command's exit status and everything it printed (standard output, then error).
fn printed(output: &std::process::Output) -> (bool, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
