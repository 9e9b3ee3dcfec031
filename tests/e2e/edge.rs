//! The edge, on real Docker and Traefik: the dashboard and the API never on the apps' entry
//! point, the proxy without the Docker socket, apps unable to reach each other, and redeploys
//! under steady traffic that drop nothing.

use std::time::{Duration, Instant};

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::{StatusCode, redirect::Policy};
use shared::v1::{CreatedApp, DeploymentStatus};

async fn deploy(server: &Server, name: &str, zip: Vec<u8>) {
    let created: CreatedApp = server
        .create_app(name, &format!("/{name}"), zip)
        .await
        .json()
        .await
        .expect("created");
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );
}

async fn redeploy(server: &Server, name: &str, zip: Vec<u8>) {
    let queued: shared::v1::Deployment = server.redeploy(name, zip).await.json().await.unwrap();
    let deployment = server.wait_deployment(queued.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );
}

#[tokio::test]
async fn the_apps_entry_point_serves_no_dashboard_no_api_and_no_cookie() {
    let server = Server::start(ServerOptions::default()).await;
    deploy(&server, "hello", apps::web_app("EDGE")).await;
    server.wait_proxy_body("/hello/", "EDGE", true).await;
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    // The original's admin paths send the browser to the dashboard's own origin.
    let dashboard = format!("http://127.0.0.1:{}/admin/", server.port);
    for path in [
        "/admin",
        "/admin/apps/hello",
        "/login",
        "/logout",
        "/upload",
    ] {
        let response = http.get(server.proxy_url(path)).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], dashboard.as_str(), "{path}");
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
    }
    // No API answer, no health check, no login, no session cookie there.
    for path in [
        "/api/v1/apps",
        "/api/v1/public/apps",
        "/api/v1/openapi.json",
        "/healthz",
    ] {
        let response = http.get(server.proxy_url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("/hello"), "{path} told something: {body}");
    }
    let login = http
        .post(server.proxy_url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": integration_tests::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::NOT_FOUND);
    assert!(login.headers().get("set-cookie").is_none());

    // The public landing still lists the running app (its list is reused for 2 s), as a page
    // with no script.
    server.wait_proxy_body("/", "href=\"/hello/\"", true).await;
    let landing = http.get(server.proxy_url("/")).send().await.unwrap();
    assert_eq!(landing.status(), StatusCode::OK);
    let csp = landing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let body = landing.text().await.unwrap();
    assert!(body.contains("href=\"/hello/\""), "{body}");
    assert!(!body.contains("<script"), "{body}");
}

#[tokio::test]
async fn no_app_can_claim_a_service_worker_scope_beyond_its_route() {
    let server = Server::start(ServerOptions::default()).await;
    deploy(&server, "scope", apps::scope_claiming_app()).await;
    server
        .wait_proxy_body("/scope/cgi-bin/sw", "claimed", true)
        .await;
    let response = server
        .http
        .get(server.proxy_url("/scope/cgi-bin/sw"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("service-worker-allowed").is_none(),
        "{:?}",
        response.headers()
    );
}

#[tokio::test]
async fn the_proxy_holds_no_docker_socket_and_apps_cannot_reach_each_other() {
    let server = Server::start(ServerOptions::default()).await;
    deploy(&server, "alpha", apps::web_app("ALPHA")).await;
    deploy(&server, "beta", apps::web_app("BETA")).await;
    server.wait_proxy_body("/alpha/", "ALPHA", true).await;
    server.wait_proxy_body("/beta/", "BETA", true).await;

    let proxy = format!("{}-traefik", server.instance);
    let mounts = docker::docker(&["inspect", "-f", "{{json .Mounts}}", &proxy]);
    assert_eq!(mounts.trim(), "[]", "the proxy mounts nothing");
    let inspect = docker::docker(&["inspect", &proxy]);
    assert!(!inspect.contains("docker.sock"), "{inspect}");
    assert!(!inspect.contains("providers.docker"), "{inspect}");

    let alpha = format!("{}-alpha-1", server.instance);
    let beta = format!("{}-beta-2", server.instance);
    let beta_ip = docker::docker(&[
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        &beta,
    ]);
    let beta_ip = beta_ip
        .split_whitespace()
        .next()
        .expect("beta has an address");
    for target in [
        format!("http://{beta_ip}:8080/"),
        format!("http://{beta}:8080/"),
    ] {
        let out = std::process::Command::new("docker")
            .args([
                "exec",
                &alpha,
                "/bin/busybox",
                "wget",
                "-q",
                "-T",
                "2",
                "-O",
                "-",
                &target,
            ])
            .output()
            .unwrap();
        assert!(
            !out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("BETA"),
            "alpha reached beta at {target}"
        );
    }
    // The proxy still reaches both.
    assert!(server.via_proxy("/beta/").await.1.contains("BETA"));
}

/// Steady traffic, in its own task: one request every 50 ms, each with a 2 s ceiling, until told
/// to stop (and never more than 3000).
fn traffic(
    url: String,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<Vec<(u16, Duration)>>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        while !*stopped.borrow() && seen.len() < 3000 {
            tick.tick().await;
            let start = Instant::now();
            let status = match http.get(&url).send().await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            seen.push((status, start.elapsed()));
        }
        seen
    });
    (stop, task)
}

fn assert_nothing_dropped(what: &str, seen: &[(u16, Duration)]) {
    let failed: Vec<_> = seen.iter().filter(|(s, _)| *s != 200).collect();
    let slowest = seen.iter().map(|(_, d)| *d).max().unwrap_or_default();
    assert!(seen.len() > 20, "{what}: only {} requests", seen.len());
    assert!(
        failed.is_empty(),
        "{what}: {} of {} failed: {failed:?}",
        failed.len(),
        seen.len()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "{what}: the slowest took {slowest:?}"
    );
}

#[tokio::test]
async fn redeploys_under_steady_traffic_drop_no_request() {
    let server = Server::start(ServerOptions::default()).await;
    deploy(&server, "steady", apps::web_app("v0")).await;
    server.wait_proxy_body("/steady/", "v0", true).await;
    let (stop, task) = traffic(server.proxy_url("/steady/"));
    for i in 1..=5 {
        redeploy(&server, "steady", apps::web_app(&format!("v{i}"))).await;
        server
            .wait_proxy_body("/steady/", &format!("v{i}"), true)
            .await;
    }
    stop.send(true).unwrap();
    assert_nothing_dropped("a Dockerfile app", &task.await.unwrap());

    deploy(&server, "pair", apps::stateless_stack("s0")).await;
    server.wait_proxy_body("/pair/", "s0", true).await;
    let (stop, task) = traffic(server.proxy_url("/pair/"));
    for i in 1..=3 {
        redeploy(&server, "pair", apps::stateless_stack(&format!("s{i}"))).await;
        server
            .wait_proxy_body("/pair/", &format!("s{i}"), true)
            .await;
    }
    stop.send(true).unwrap();
    assert_nothing_dropped("a stateless stack", &task.await.unwrap());
    // Every step was confirmed by Traefik itself, none waited out.
    assert!(
        !server.log().contains("did not confirm"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn an_admin_host_reaches_the_dashboard_and_api_through_the_proxy_and_nothing_else_does() {
    let admin = "admin.milkcrate.test";
    let server = Server::start(ServerOptions {
        extra_env: vec![("MILKCRATE_ADMIN_HOST".into(), admin.into())],
        ..ServerOptions::default()
    })
    .await;
    deploy(&server, "hello", apps::web_app("HOSTED")).await;
    server.wait_proxy_body("/hello/", "HOSTED", true).await;
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let on_host = |host: &'static str, path: &str| {
        http.get(server.proxy_url(path)).header("host", host).send()
    };

    // On the admin host, Traefik hands everything to Milkcrate: the API answers there...
    let session = on_host(admin, "/api/v1/auth/session").await.unwrap();
    assert_eq!(session.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = session.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized", "{body}");
    let health = on_host(admin, "/healthz").await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // ...and no app, whatever its route.
    let app = on_host(admin, "/hello/").await.unwrap();
    assert_ne!(app.status(), StatusCode::OK);

    // Any other host name is the apps' entry point: /admin goes to the admin host.
    let redirect = on_host("apps.milkcrate.test", "/admin/apps").await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(
        redirect.headers()["location"],
        format!("http://{admin}/admin/").as_str()
    );
    let api = on_host("apps.milkcrate.test", "/api/v1/auth/session")
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
}
