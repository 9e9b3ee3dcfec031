//! Deploying an app and reaching it through Traefik.

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::StatusCode;
use shared::v1::{App, AppStatus, CreatedApp, DeploymentStatus};

#[tokio::test]
async fn a_deployed_app_is_served_under_its_route_and_stops_and_starts() {
    let server = Server::start(ServerOptions::default()).await;

    let response = server
        .create_app("hello", "/hello", apps::web_app("Hello Milkcrate"))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let created: CreatedApp = response.json().await.unwrap();
    assert_eq!(created.app.status, AppStatus::Deploying);
    assert_eq!(created.deployment.status, DeploymentStatus::Queued);

    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "log:\n{}",
        server.deployment_log(deployment.id).await
    );
    assert_eq!(deployment.port, Some(8080), "the port comes from EXPOSE");
    let log = server.deployment_log(deployment.id).await;
    assert!(
        log.contains("FROM scratch") && log.contains("Successfully built"),
        "the build output is in the log:\n{log}"
    );
    assert!(log.contains("it now serves"), "{log}");

    // Through Traefik: the page, a nested path (prefix stripped), and the bare route redirected.
    let (status, body) = server
        .wait_proxy_body("/hello/", "Hello Milkcrate", true)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body_deep) = server.via_proxy("/hello/sub/path/").await;
    assert_eq!(
        (status, body_deep.trim()),
        (StatusCode::OK, "deep Hello Milkcrate"),
        "{body}"
    );
    let bare = server
        .http
        .get(server.proxy_url("/hello"))
        .send()
        .await
        .unwrap();
    assert!(bare.status().is_redirection(), "{}", bare.status());
    assert!(
        bare.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/hello/")
    );
    // Whole segments only: `/helloworld` is not the app's.
    let (status, body) = server.via_proxy("/helloworld").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("Hello Milkcrate"));

    // The API reports what Docker says, and the container is hardened as documented.
    let app: App = server.get("/api/v1/apps/hello").await.json().await.unwrap();
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(app.route, "/hello");
    assert_eq!(app.port, Some(8080));
    assert_eq!(app.limits.memory_bytes, 512 * 1024 * 1024);
    let container = app.container.clone().expect("a container");
    let hardening = docker::inspect(
        &container,
        "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.SecurityOpt}} {{.HostConfig.LogConfig.Config}} {{.HostConfig.RestartPolicy.Name}}",
    );
    assert_eq!(
        hardening,
        "536870912 536870912 500000000 100 [ALL] [NET_BIND_SERVICE] [no-new-privileges:true] map[max-file:3 max-size:10m] unless-stopped"
    );

    // Stop: Traefik no longer serves it; start: it is back. Status follows Docker.
    let stopped: App = server
        .post("/api/v1/apps/hello/stop")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stopped.status, AppStatus::Stopped);
    let body = server
        .wait_proxy_status("/hello/", StatusCode::NOT_FOUND)
        .await;
    assert!(
        body.contains("not_found"),
        "the route falls through to Milkcrate's 404: {body}"
    );
    let started: App = server
        .post("/api/v1/apps/hello/start")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(started.status, AppStatus::Running);
    server
        .wait_proxy_body("/hello/", "Hello Milkcrate", true)
        .await;
    let restarted: App = server
        .post("/api/v1/apps/hello/restart")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(restarted.status, AppStatus::Running);
    server
        .wait_proxy_body("/hello/", "Hello Milkcrate", true)
        .await;

    // The public landing lists it.
    let public: serde_json::Value = server
        .http
        .get(server.url("/api/v1/public/apps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["apps"][0]["route"], "/hello");
}

#[tokio::test]
async fn an_app_cannot_shadow_the_platforms_routes() {
    let server = Server::start(ServerOptions::default()).await;
    // `/a` is a prefix of `/admin` and `/api` as strings, but not as segments.
    let created: CreatedApp = server
        .create_app("shadow", "/a", apps::web_app("SHADOW"))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Running);
    server.wait_proxy_body("/a/", "SHADOW", true).await;

    for path in [
        "/admin",
        "/admin/apps",
        "/api/v1/public/apps",
        "/healthz",
        "/traefik",
        "/login",
    ] {
        let (_, body) = server.via_proxy(path).await;
        assert!(!body.contains("SHADOW"), "{path} reached the app");
    }
    // The API is not on the apps' entry point at all (see edge.rs); the landing lists the app.
    let (status, _) = server.via_proxy("/api/v1/public/apps").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.wait_proxy_body("/", "href=\"/a/\"", true).await;
    let (status, body) = server.via_proxy("/traefik/dashboard/").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Traefik's own pages are not exposed: {body}"
    );
}
