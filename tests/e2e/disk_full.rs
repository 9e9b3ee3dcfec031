//! A full data disk during an upload: a clear 507, nothing half-written, the running version
//! untouched, and uploads work again once the space is back.

use integration_tests::{Server, ServerOptions, apps};
use rand::RngCore;
use reqwest::StatusCode;
use shared::v1::{App, AppStatus, CreatedApp, Deployment, DeploymentStatus};

/// A ZIP holding `mib` MiB of noise (it does not compress), with a Dockerfile.
fn big_zip(mib: usize) -> Vec<u8> {
    let mut noise = vec![0u8; mib * 1024 * 1024];
    rand::rng().fill_bytes(&mut noise);
    apps::zip_of(&[
        ("Dockerfile", 0o644, b"FROM scratch\n".to_vec()),
        ("noise.bin", 0o644, noise),
    ])
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn a_full_disk_refuses_the_upload_cleanly_and_the_app_keeps_running() {
    let server = Server::start(ServerOptions {
        tmpfs_mb: Some(24),
        ..ServerOptions::api_only()
    })
    .await;
    let created: CreatedApp = server
        .create_app("roomy", "/roomy", apps::web_app("v1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(created.deployment.id).await.status,
        DeploymentStatus::Running
    );

    let response = server.redeploy("roomy", big_zip(40)).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "insufficient_storage", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("disk is full"),
        "{body}"
    );

    // Nothing of it is left, no deployment was recorded, and the app still runs.
    assert_eq!(
        files_in(&server.data.path().join("tmp")),
        0,
        "the partial upload is gone"
    );
    let deployments: Vec<Deployment> = server
        .get("/api/v1/apps/roomy/deployments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deployments.len(), 1);
    let app: App = server.get("/api/v1/apps/roomy").await.json().await.unwrap();
    assert_eq!(app.status, AppStatus::Running);

    // With the space back, an upload goes through.
    let queued: Deployment = server
        .redeploy("roomy", apps::web_app("v2"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        server.wait_deployment(queued.id).await.status,
        DeploymentStatus::Running
    );
}
