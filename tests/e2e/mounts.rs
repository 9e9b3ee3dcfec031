//! Managed volumes mounted into apps: served through Traefik, live while the app runs, kept
//! across redeploys, and refused with a reason when the request is wrong.

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::StatusCode;
use shared::v1::{App, CreatedApp, Deployment, DeploymentStatus, Mount};

/// A managed volume holding `files`, made through the API; returns its Docker name.
async fn managed_volume(server: &Server, name: &str, files: &[(&str, &str)]) -> String {
    assert_eq!(
        server.create_volume(name).await.status(),
        StatusCode::CREATED
    );
    write_files(server, name, files).await;
    format!("{}.{name}", server.instance)
}

async fn write_files(server: &Server, volume: &str, files: &[(&str, &str)]) {
    if files.is_empty() {
        return;
    }
    let files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(path, text)| (*path, format!("{text}\n").into_bytes()))
        .collect();
    let response = server.upload_to_volume(volume, "", &files).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_mounted_volume_is_served_live_and_survives_a_redeploy() {
    let server = Server::start(ServerOptions::default()).await;
    let volume = managed_volume(&server, "site", &[("hello.txt", "first file")]).await;
    let mounts = r#"[{"volume": "site", "target": "/www/files/", "read_only": true}]"#;
    let response = server
        .create_app_with(
            "files",
            "/files",
            apps::web_app("files app"),
            &[("mounts", mounts)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let created: CreatedApp = response.json().await.unwrap();
    let expected = vec![Mount {
        volume: "site".into(),
        target: "/www/files".into(),
        read_only: true,
    }];
    assert_eq!(created.app.mounts, expected, "normalized and shown");
    let first = server.wait_deployment(created.deployment.id).await;
    assert_eq!(
        first.status,
        DeploymentStatus::Running,
        "{}",
        server.deployment_log(first.id).await
    );
    let (_, body) = server
        .wait_proxy_body("/files/files/hello.txt", "first file", true)
        .await;
    assert_eq!(body, "first file\n");
    let container = format!("{}-files-{}", server.instance, first.id);
    assert_eq!(
        docker::inspect(
            &container,
            "{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}"
        ),
        format!("{volume} /www/files false")
    );

    // A file added while the app runs is served at once.
    write_files(&server, "site", &[("later.txt", "added while running")]).await;
    let (status, body) = server.via_proxy("/files/files/later.txt").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "added while running\n")
    );

    // A redeploy without `mounts` keeps them.
    let second: Deployment = server
        .redeploy("files", apps::web_app("files app v2"))
        .await
        .json()
        .await
        .unwrap();
    let second = server.wait_deployment(second.id).await;
    assert_eq!(second.status, DeploymentStatus::Running);
    server
        .wait_proxy_body("/files/", "files app v2", true)
        .await;
    // The old version may still answer for a moment; the new one must serve the file too.
    let (_, body) = server
        .wait_proxy_body("/files/files/hello.txt", "first file", true)
        .await;
    assert_eq!(body, "first file\n");
    let container = format!("{}-files-{}", server.instance, second.id);
    assert_eq!(
        docker::inspect(
            &container,
            "{{range .Mounts}}{{.Name}} {{.Destination}} {{.RW}}{{end}}"
        ),
        format!("{volume} /www/files false")
    );
    let app: App = server.get("/api/v1/apps/files").await.json().await.unwrap();
    assert_eq!(app.mounts, expected);
}

#[tokio::test]
async fn wrong_mounts_are_refused_by_field_and_create_nothing() {
    let server = Server::start(ServerOptions::api_only()).await;
    managed_volume(&server, "data", &[]).await;
    for (mounts, needle) in [
        (r#"[{"volume": "data", "target": "/"}]"#, "may not be `/`"),
        (r#"[{"volume": "data", "target": "relative"}]"#, "absolute"),
        (r#"[{"volume": "data", "target": "/proc/x"}]"#, "/proc"),
        (r#"[{"volume": "data", "target": "/a/../etc"}]"#, "`..`"),
        (
            r#"[{"volume": "nope", "target": "/data"}]"#,
            "no volume named `nope`",
        ),
        (
            r#"[{"volume": "data", "target": "/d"}, {"volume": "data", "target": "/d/"}]"#,
            "mounted twice",
        ),
        ("not json", "JSON array"),
    ] {
        let response = server
            .create_app_with("app", "/app", apps::web_app("x"), &[("mounts", mounts)])
            .await;
        assert!(
            response.status().is_client_error(),
            "{mounts}: {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await.unwrap();
        let problems = body["fields"]["mounts"].to_string();
        assert!(problems.contains(needle), "{mounts}: {body}");
    }
    let apps: Vec<App> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert!(apps.is_empty());
    assert!(docker::app_images(&server.instance).is_empty());
}
