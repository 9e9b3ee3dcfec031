//! Releases on real Docker and Traefik: a variable and a secret reach the app without a build
//! and the secret is nowhere in plain text; rollback brings back the first image and its empty
//! configuration; a failing health path leaves the previous release serving; a pruned release
//! answers 409.

use std::io::Read;

use integration_tests::{Server, ServerOptions, apps};
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::v1::{AppEnv, CreatedApp, Deployment, DeploymentStatus, ReleaseTrigger};

const SECRET: &str = "e2e-secret-7f3a9c1d-never-in-plain-text";

async fn accepted(response: reqwest::Response) -> Deployment {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn running(server: &Server, release: &Deployment) -> Deployment {
    let done = server.wait_deployment(release.id).await;
    assert_eq!(
        done.status,
        DeploymentStatus::Running,
        "log:\n{}",
        server.deployment_log(done.id).await
    );
    done
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn variables_secrets_rollback_health_paths_and_what_is_kept() {
    let server = Server::start(ServerOptions {
        extra_env: vec![
            ("MILKCRATE_KEEP_RELEASES".into(), "2".into()),
            ("MILKCRATE_READY_TIMEOUT_SECS".into(), "8".into()),
        ],
        ..ServerOptions::default()
    })
    .await;
    let created: CreatedApp = server
        .create_app("conf", "/conf", apps::env_app("configured"))
        .await
        .json()
        .await
        .unwrap();
    let first = running(&server, &created.deployment).await;
    server
        .wait_proxy_body("/conf/cgi-bin/env", "greeting=\n", true)
        .await;

    // A variable and a secret: a release on the same image, no build, the app sees both.
    let queued = accepted(
        server
            .request(Method::PUT, "/api/v1/apps/conf/env")
            .json(&json!({"vars": [
                {"key": "GREETING", "value": "hello-from-env", "secret": false},
                {"key": "API_TOKEN", "value": SECRET, "secret": true},
            ]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(queued.trigger, ReleaseTrigger::Config);
    assert_eq!(
        queued.changes,
        ["GREETING added", "API_TOKEN (secret) added"]
    );
    let configured = running(&server, &queued).await;
    assert_eq!(configured.image, first.image, "no new image");
    let log = server.deployment_log(configured.id).await;
    assert!(!log.contains("building image"), "no build:\n{log}");
    let (_, page) = server
        .wait_proxy_body("/conf/cgi-bin/env", "greeting=hello-from-env", true)
        .await;
    assert!(page.contains(&format!("token={SECRET}")), "{page}");

    // The secret's value is in no API answer, no file of the data folder (the database, the
    // deployment logs, Milkcrate's own log) and no backup.
    let env: AppEnv = server
        .get("/api/v1/apps/conf/env")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(env.vars[1].key, "API_TOKEN");
    assert_eq!(env.vars[1].value, None);
    for path in [
        "/api/v1/apps",
        "/api/v1/apps/conf",
        "/api/v1/apps/conf/env",
        "/api/v1/apps/conf/deployments",
        &format!("/api/v1/deployments/{}", configured.id),
        &format!("/api/v1/deployments/{}/log", configured.id),
        "/metrics",
    ] {
        let body = server.get(path).await.text().await.unwrap();
        assert!(!body.contains(SECRET), "{path} shows the secret: {body}");
    }
    let backup = server
        .request(Method::POST, "/api/v1/backups")
        .send()
        .await
        .unwrap();
    assert_eq!(backup.status(), StatusCode::OK);
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&backup.bytes().await.unwrap()[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert!(
        unpacked.len() > 10_000,
        "a real backup: {} bytes",
        unpacked.len()
    );
    assert!(
        !holds(&unpacked, SECRET),
        "the backup holds the secret in plain text"
    );
    for file in files_under(server.data.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !holds(&bytes, SECRET),
            "{} holds the secret",
            file.display()
        );
    }
    assert!(!server.log().contains(SECRET));

    // Rollback to the first release: its image and its (empty) configuration.
    let queued = accepted(
        server
            .request(Method::POST, "/api/v1/apps/conf/rollback")
            .json(&json!({"deployment": first.id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(queued.trigger, ReleaseTrigger::Rollback);
    let back = running(&server, &queued).await;
    assert_eq!(back.image, first.image);
    let (_, page) = server
        .wait_proxy_body("/conf/cgi-bin/env", "greeting=\n", true)
        .await;
    assert!(page.contains("token=\n"), "{page}");
    let env: AppEnv = server
        .get("/api/v1/apps/conf/env")
        .await
        .json()
        .await
        .unwrap();
    assert!(env.vars.is_empty(), "{env:?}");

    // A health path answering 500 fails its release; the previous one keeps serving.
    let queued = accepted(
        server
            .request(Method::PATCH, "/api/v1/apps/conf")
            .json(&json!({"health_path": "/cgi-bin/fail"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let failed = server.wait_deployment(queued.id).await;
    assert_eq!(failed.status, DeploymentStatus::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("answered 500"),
        "{:?}",
        failed.error
    );
    let (status, body) = server.via_proxy("/conf/").await;
    assert_eq!((status, body.trim()), (StatusCode::OK, "configured"));
    let cleared = accepted(
        server
            .request(Method::PATCH, "/api/v1/apps/conf")
            .json(&json!({"health_path": null}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    running(&server, &cleared).await;

    // Two more releases on a new build: with two kept, the first image is gone; asking for it
    // is a conflict that says what is kept.
    let rebuilt = accepted(server.redeploy("conf", apps::env_app("rebuilt")).await).await;
    running(&server, &rebuilt).await;
    let queued = accepted(
        server
            .request(Method::PUT, "/api/v1/apps/conf/env")
            .json(&json!({"vars": [{"key": "GREETING", "value": "again"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    running(&server, &queued).await;
    let refused = server
        .request(Method::POST, "/api/v1/apps/conf/rollback")
        .json(&json!({"deployment": first.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("no longer kept") && body.contains("last 2 releases"),
        "{body}"
    );
    let history: Vec<Deployment> = server
        .get("/api/v1/apps/conf/deployments")
        .await
        .json()
        .await
        .unwrap();
    let kept: Vec<i64> = history.iter().filter(|d| d.kept).map(|d| d.id).collect();
    assert_eq!(kept, [queued.id, rebuilt.id]);
}
