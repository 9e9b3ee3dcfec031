//! Milkcrate killed (`kill -9`) in the middle of a redeploy, on real Docker and Traefik: after a
//! restart nothing is half-done and the right version serves.

use std::time::Duration;

use integration_tests::{Server, ServerOptions, apps, docker, eventually};
use shared::v1::{App, AppStatus, CreatedApp, Deployment, DeploymentStatus};

async fn deployment(server: &Server, id: i64) -> Option<Deployment> {
    server
        .get(&format!("/api/v1/deployments/{id}"))
        .await
        .json()
        .await
        .ok()
}

async fn first_version(server: &Server, name: &str) -> i64 {
    let created: CreatedApp = server
        .create_app(name, &format!("/{name}"), apps::web_app("version one"))
        .await
        .json()
        .await
        .unwrap();
    let v1 = server.wait_deployment(created.deployment.id).await;
    assert_eq!(v1.status, DeploymentStatus::Running);
    server
        .wait_proxy_body(&format!("/{name}/"), "version one", true)
        .await;
    v1.id
}

#[tokio::test]
async fn a_crash_during_a_redeploys_build_leaves_the_running_version_serving() {
    let mut server = Server::start(ServerOptions::default()).await;
    first_version(&server, "steady").await;
    let queued: Deployment = server
        .redeploy("steady", apps::slow_build_app(120))
        .await
        .json()
        .await
        .unwrap();
    eventually(Duration::from_secs(60), "the build to start", || async {
        let d = deployment(&server, queued.id).await?;
        (d.status == DeploymentStatus::Building
            && server.deployment_log(queued.id).await.contains("sleep"))
        .then_some(())
    })
    .await;

    server.crash_and_restart().await;

    let cut = deployment(&server, queued.id).await.unwrap();
    assert_eq!(cut.status, DeploymentStatus::Failed);
    assert!(cut.error.unwrap().contains("interrupted"));
    let label = format!("milkcrate.deployment={}", queued.id);
    assert!(docker::containers_with(&[&server.label(), &label]).is_empty());
    assert!(
        !docker::app_images(&server.instance)
            .iter()
            .any(|i| i.ends_with(&format!(":{}", queued.id))),
        "no image of the cut-off version"
    );
    let app: App = server
        .get("/api/v1/apps/steady")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.status, AppStatus::Running);
    server
        .wait_proxy_body("/steady/", "version one", true)
        .await;
}

#[tokio::test]
async fn a_crash_during_a_switchover_leaves_the_new_version_serving_and_the_old_one_gone() {
    // A long drain keeps the switchover open after the records switched and before the old
    // container stops: the crash lands there.
    let mut server = Server::start(ServerOptions {
        extra_env: vec![("MILKCRATE_DRAIN_SECS".into(), "120".into())],
        ..ServerOptions::default()
    })
    .await;
    let v1 = first_version(&server, "switch").await;
    let queued: Deployment = server
        .redeploy("switch", apps::web_app("version two"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(queued.id).await.status,
        DeploymentStatus::Running
    );
    let old = format!("{}-switch-{v1}", server.instance);
    assert!(
        docker::containers_with(&[&server.label()]).contains(&old),
        "the old version is draining"
    );

    server.crash_and_restart().await;

    let app: App = server
        .get("/api/v1/apps/switch")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.current_deployment.map(|d| d.id), Some(queued.id));
    assert_eq!(app.status, AppStatus::Running);
    assert_eq!(
        deployment(&server, v1).await.unwrap().status,
        DeploymentStatus::Superseded
    );
    assert!(
        !docker::containers_with(&[&server.label()]).contains(&old),
        "the old container was removed at the restart"
    );
    server
        .wait_proxy_body("/switch/", "version two", true)
        .await;
}
