//! Redeploys that fail, deletion, and a crash in the middle of a build.

use std::time::Duration;

use integration_tests::{Server, ServerOptions, apps, docker, eventually};
use reqwest::StatusCode;
use shared::v1::{App, AppStatus, CreatedApp, Deployment, DeploymentStatus};

async fn deploy(server: &Server, name: &str, route: &str, marker: &str) -> Deployment {
    let created: CreatedApp = server
        .create_app(name, route, apps::web_app(marker))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{}",
        server.deployment_log(deployment.id).await
    );
    deployment
}

/// Starts a build that sleeps, and returns its deployment once the sleeping step runs.
async fn start_slow_build(server: &Server, name: &str) -> i64 {
    let created: CreatedApp = server
        .create_app(name, &format!("/{name}"), apps::slow_build_app(120))
        .await
        .json()
        .await
        .unwrap();
    let id = created.deployment.id;
    eventually(Duration::from_secs(60), "the build to start", || async {
        let d: Deployment = server
            .get(&format!("/api/v1/deployments/{id}"))
            .await
            .json()
            .await
            .ok()?;
        (d.status == DeploymentStatus::Building
            && server.deployment_log(id).await.contains("sleep"))
        .then_some(())
    })
    .await;
    id
}

#[tokio::test]
async fn a_broken_version_fails_and_the_old_one_keeps_serving() {
    let server = Server::start(ServerOptions::default()).await;
    let v1 = deploy(&server, "steady", "/steady", "version one").await;
    server
        .wait_proxy_body("/steady/", "version one", true)
        .await;

    // A version that builds but exits at once.
    let crashing: Deployment = server
        .redeploy("steady", apps::crashing_app())
        .await
        .json()
        .await
        .unwrap();
    let crashing = server.wait_deployment(crashing.id).await;
    assert_eq!(crashing.status, DeploymentStatus::Failed);
    let error = crashing.error.clone().unwrap();
    assert!(error.contains("exited with code 3"), "{error}");
    assert!(
        server
            .deployment_log(crashing.id)
            .await
            .contains("crashing on purpose")
    );
    let (status, body) = server.via_proxy("/steady/").await;
    assert_eq!(
        (status, body.contains("version one")),
        (StatusCode::OK, true),
        "{body}"
    );

    // A version whose build fails.
    let unbuildable: Deployment = server
        .redeploy("steady", apps::unbuildable_app())
        .await
        .json()
        .await
        .unwrap();
    let unbuildable = server.wait_deployment(unbuildable.id).await;
    assert_eq!(unbuildable.status, DeploymentStatus::Failed);
    assert!(
        unbuildable
            .error
            .as_deref()
            .unwrap()
            .contains("build failed"),
        "{:?}",
        unbuildable.error
    );
    assert!(
        server
            .deployment_log(unbuildable.id)
            .await
            .contains("broken build")
    );

    // A refused upload changes nothing at all.
    let refused = server.redeploy("steady", b"not a zip".to_vec()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let app: App = server
        .get("/api/v1/apps/steady")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(app.current_deployment.as_ref().map(|d| d.id), Some(v1.id));
    assert_eq!(
        app.latest_deployment.as_ref().map(|d| d.status),
        Some(DeploymentStatus::Failed)
    );
    let (_, body) = server.via_proxy("/steady/").await;
    assert!(body.contains("version one"));
    // Failed versions leave no container or image behind.
    for failed in [crashing.id, unbuildable.id] {
        let label = format!("milkcrate.deployment={failed}");
        let leftovers: Vec<_> = docker::containers_with(&[&server.label(), &label])
            .into_iter()
            .filter(|c| c.starts_with(&server.instance))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    // A good version replaces it; the old container goes, its image stays for rollback.
    let v2: Deployment = server
        .redeploy("steady", apps::web_app("version two"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(v2.id).await.status,
        DeploymentStatus::Running
    );
    server
        .wait_proxy_body("/steady/", "version two", true)
        .await;
    let old: Deployment = server
        .get(&format!("/api/v1/deployments/{}", v1.id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old.status, DeploymentStatus::Superseded);
    let app_label = "milkcrate.app=steady".to_string();
    // The old container is stopped gracefully, then removed.
    eventually(
        Duration::from_secs(30),
        "only the current container to remain",
        || async {
            let containers: Vec<_> = docker::containers_with(&[&server.label(), &app_label])
                .into_iter()
                .filter(|c| c.starts_with(&server.instance))
                .collect();
            (containers.len() == 1).then_some(())
        },
    )
    .await;
    let history: Vec<Deployment> = server
        .get("/api/v1/apps/steady/deployments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0].id, v2.id, "newest first");
}

#[tokio::test]
async fn delete_leaves_nothing_of_the_app() {
    let server = Server::start(ServerOptions::default()).await;
    deploy(&server, "doomed", "/doomed", "doomed page").await;
    deploy(&server, "keeper", "/keeper", "keeper page").await;
    server
        .wait_proxy_body("/doomed/", "doomed page", true)
        .await;
    assert!(server.data.path().join("apps/doomed").exists());

    assert_eq!(
        server.delete("/api/v1/apps/doomed").await.status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        server.get("/api/v1/apps/doomed").await.status(),
        StatusCode::NOT_FOUND
    );
    let doomed = |c: &String| c.starts_with(&server.instance);
    assert!(
        docker::containers_with(&[&server.label(), "milkcrate.app=doomed"])
            .iter()
            .filter(|c| doomed(c))
            .count()
            == 0
    );
    let images = docker::app_images(&server.instance);
    assert_eq!(
        images.len(),
        1,
        "only the keeper's image remains: {images:?}"
    );
    assert!(!server.data.path().join("apps/doomed").exists());
    server
        .wait_proxy_status("/doomed/", StatusCode::NOT_FOUND)
        .await;
    // The other app is untouched.
    let (status, body) = server.via_proxy("/keeper/").await;
    assert_eq!(
        (status, body.contains("keeper page")),
        (StatusCode::OK, true)
    );
    // Deleting twice is a clear 404.
    let again = server.delete("/api/v1/apps/doomed").await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn a_crash_during_a_build_ends_the_deployment_failed_and_orphans_nothing() {
    let mut server = Server::start(ServerOptions::api_only()).await;
    let id = start_slow_build(&server, "slow").await;

    server.crash_and_restart().await;

    let deployment: Deployment = server
        .get(&format!("/api/v1/deployments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deployment.status, DeploymentStatus::Failed);
    assert!(deployment.error.unwrap().contains("interrupted"));
    let app: App = server.get("/api/v1/apps/slow").await.json().await.unwrap();
    assert_eq!(app.status, AppStatus::Failed);
    assert!(docker::containers_with(&[&server.label()]).is_empty());
    assert!(docker::app_images(&server.instance).is_empty());
    // The daemon drops the cut-off build's intermediate container once the client is gone.
    eventually(
        Duration::from_secs(30),
        "the interrupted build's container to go",
        || async {
            let out = std::process::Command::new("docker")
                .args(["ps", "-a", "--no-trunc", "--format", "{{.Command}}"])
                .output()
                .ok()?;
            (!String::from_utf8_lossy(&out.stdout).contains("sleep 120")).then_some(())
        },
    )
    .await;
    // A new version deploys normally afterwards.
    let next: Deployment = server
        .redeploy("slow", apps::web_app("after the crash"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(next.id).await.status,
        DeploymentStatus::Running
    );
}

#[tokio::test]
async fn many_uploads_at_once_all_complete() {
    let server = Server::start(ServerOptions::api_only()).await;
    let names: Vec<String> = (0..6).map(|i| format!("burst-{i}")).collect();
    let routes: Vec<String> = names.iter().map(|n| format!("/{n}")).collect();
    let uploads = names
        .iter()
        .zip(&routes)
        .map(|(name, route)| server.create_app(name, route, apps::web_app(name)));
    let mut ids = Vec::new();
    for response in futures_util::future::join_all(uploads).await {
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        ids.push(response.json::<CreatedApp>().await.unwrap().deployment.id);
    }
    for id in ids {
        let deployment = server.wait_deployment(id).await;
        assert_eq!(
            deployment.status,
            DeploymentStatus::Running,
            "{}",
            server.deployment_log(id).await
        );
    }
    let apps: Vec<App> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert_eq!(apps.len(), names.len());
    assert!(
        apps.iter().all(|a| a.status == AppStatus::Running),
        "{apps:?}"
    );
}

#[tokio::test]
async fn a_graceful_shutdown_marks_the_build_in_flight_failed() {
    let mut server = Server::start(ServerOptions::api_only()).await;
    let id = start_slow_build(&server, "halted").await;

    let code = server.terminate().await;
    assert!(
        code.success(),
        "milkcrate exits cleanly on SIGTERM: {code:?}"
    );
    // Recorded by the stopping process itself, not by the next start's reconciliation.
    assert!(server.log().contains("interrupting deployments in flight"));
    server.restart().await;
    let deployment: Deployment = server
        .get(&format!("/api/v1/deployments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deployment.status, DeploymentStatus::Failed);
    assert!(
        deployment.error.unwrap().contains("shut down"),
        "the shutdown, not a crash, is named"
    );
    assert!(docker::containers_with(&[&server.label()]).is_empty());
    assert!(docker::app_images(&server.instance).is_empty());
}

#[tokio::test]
async fn a_restart_removes_containers_of_apps_that_no_longer_exist() {
    let mut server = Server::start(ServerOptions::api_only()).await;
    // A container left by an app deleted while Milkcrate was down (or by a lost database row).
    let traefik_image =
        std::env::var("MILKCRATE_TRAEFIK_IMAGE").unwrap_or_else(|_| "traefik:v3.7.15".into());
    let ghost = format!("{}-ghost-1", server.instance);
    let created = std::process::Command::new("docker")
        .args([
            "create",
            "--name",
            &ghost,
            "--label",
            &server.label(),
            "--label",
            "milkcrate.app=ghost",
        ])
        .args([
            "--label",
            "milkcrate.deployment=1",
            &traefik_image,
            "version",
        ])
        .status()
        .unwrap();
    assert!(created.success());
    assert_eq!(
        docker::containers_with(&[&server.label()]),
        vec![ghost.clone()]
    );

    server.crash_and_restart().await;

    assert!(
        docker::containers_with(&[&server.label()]).is_empty(),
        "the orphan was removed on start"
    );
}

#[tokio::test]
async fn a_container_removed_by_hand_is_named_and_comes_back_at_the_next_start() {
    let mut server = Server::start(ServerOptions::api_only()).await;
    let deployed = deploy(&server, "gone", "/gone", "still here").await;
    let container = format!("{}-gone-{}", server.instance, deployed.id);
    docker::docker(&["rm", "-f", &container]);

    // Docker tells the kill, then the removal: it reads `exited` in between.
    eventually(Duration::from_secs(1), "the app reads missing", || async {
        let app: App = server.get("/api/v1/apps/gone").await.json().await.unwrap();
        (app.status == AppStatus::Missing).then_some(())
    })
    .await;
    let response = server.post("/api/v1/apps/gone/start").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("has no container"),
        "{body}"
    );

    // Its image is still here: a restart of Milkcrate recreates the container.
    server.terminate().await;
    server.restart().await;
    let app: App = server.get("/api/v1/apps/gone").await.json().await.unwrap();
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(docker::inspect(&container, "{{.State.Running}}"), "true");
}

#[tokio::test]
async fn a_build_step_over_the_build_memory_limit_fails_the_deployment() {
    let server = Server::start(ServerOptions {
        extra_env: vec![("MILKCRATE_BUILD_MEMORY_MB".into(), "32".into())],
        ..ServerOptions::api_only()
    })
    .await;
    let created: shared::v1::CreatedApp = server
        .create_app("greedy", "/greedy", apps::greedy_build_app(96))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Failed);
    let error = deployment.error.unwrap();
    assert!(error.contains("the image build failed"), "{error}");
    assert!(error.contains("137"), "killed for memory: {error}");

    // Within the default budget the same build succeeds: the limit, not the app, failed it.
    let roomy = Server::start(ServerOptions::api_only()).await;
    let created: shared::v1::CreatedApp = roomy
        .create_app("greedy", "/greedy", apps::greedy_build_app(96))
        .await
        .json()
        .await
        .unwrap();
    let deployment = roomy.wait_deployment(created.deployment.id).await;
    assert_eq!(
        deployment.status,
        DeploymentStatus::Running,
        "{deployment:?}"
    );
}
