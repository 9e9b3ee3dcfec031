//! Backup → wipe → restore: the app serves the same file from the same volume again; damaged,
//! foreign and misplaced archives are refused without touching anything.

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::{Method, StatusCode, multipart};
use shared::v1::{App, CreatedApp, DeploymentStatus, RestoredBackup, Volume};

async fn restore(server: &Server, archive: Vec<u8>) -> reqwest::Response {
    let form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(archive).file_name("b.tar.gz"),
    );
    server
        .request(Method::POST, "/api/v1/backups/restore")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn backup_wipe_restore_serves_the_same_file_again() {
    let mut first = Server::start(ServerOptions::default()).await;
    let instance = first.instance.clone();
    assert_eq!(
        first.create_volume("site").await.status(),
        StatusCode::CREATED
    );
    let response = first
        .upload_to_volume(
            "site",
            "",
            &[("hello.txt", b"kept by the backup\n".to_vec())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: CreatedApp = first
        .create_app_with(
            "files",
            "/files",
            apps::web_app("restored app"),
            &[(
                "mounts",
                r#"[{"volume": "site", "target": "/www/files", "read_only": true}]"#,
            )],
        )
        .await
        .json()
        .await
        .unwrap();
    let deployed = first.wait_deployment(created.deployment.id).await;
    assert_eq!(deployed.status, DeploymentStatus::Running);
    first
        .wait_proxy_body("/files/files/hello.txt", "kept by the backup", true)
        .await;

    // The backup, taken while the server runs.
    let response = first
        .request(Method::POST, "/api/v1/backups")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/gzip");
    let backup = response.bytes().await.unwrap().to_vec();

    // Wipe: the server, its data folder and every Docker object of the instance.
    first.terminate().await;
    docker::remove_instance(&instance);
    assert!(docker::volumes_with(&[&first.label()]).is_empty());
    assert!(docker::app_images(&instance).is_empty());

    // A fresh data folder, the same instance name.
    let second = Server::start(ServerOptions {
        instance: Some(instance.clone()),
        ..ServerOptions::default()
    })
    .await;

    // Damaged, foreign or another instance's archives are refused, and nothing changes.
    let damaged = restore(&second, backup[..backup.len() / 2].to_vec()).await;
    assert_eq!(damaged.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = damaged.json().await.unwrap();
    assert!(body.to_string().contains("damaged"), "{body}");
    let foreign = restore(&second, apps::web_app("not a backup")).await;
    assert_eq!(foreign.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = foreign.json().await.unwrap();
    assert!(
        body.to_string().contains("not a Milkcrate backup"),
        "{body}"
    );
    let apps_now: Vec<App> = second.get("/api/v1/apps").await.json().await.unwrap();
    let volumes_now: Vec<Volume> = second.get("/api/v1/volumes").await.json().await.unwrap();
    assert!(apps_now.is_empty() && volumes_now.is_empty());

    let response = restore(&second, backup.clone()).await;
    let status = response.status();
    let restored: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{restored}");
    let restored: RestoredBackup = serde_json::from_value(restored).unwrap();
    assert_eq!(restored.volumes, ["site"]);
    assert_eq!(restored.images, 1);

    // The app is back and serves the same file from the same volume.
    let (_, body) = second
        .wait_proxy_body("/files/files/hello.txt", "kept by the backup", true)
        .await;
    assert_eq!(body, "kept by the backup\n");
    let app: App = second.get("/api/v1/apps/files").await.json().await.unwrap();
    assert_eq!(app.mounts.len(), 1);

    // Restoring twice would mix two histories: refused.
    let again = restore(&second, backup).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_cli_backs_up_a_running_instance_and_refuses_what_it_cannot_restore() {
    let server = Server::start(ServerOptions::api_only()).await;
    assert_eq!(
        server.create_volume("notes").await.status(),
        StatusCode::CREATED
    );
    server
        .upload_to_volume("notes", "", &[("a.txt", b"a note\n".to_vec())])
        .await;
    let archive = server.data.path().join("cli-backup.tar.gz");
    let archive_arg = archive.display().to_string();
    let (ok, output) = server.cli(&["backup", "-o", &archive_arg], server.data.path());
    assert!(ok, "{output}");
    assert!(output.contains("1 volume(s)"), "{output}");

    // The archive lists the volume with its checksum, right after the manifest.
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&archive).unwrap(),
    ));
    let names: Vec<String> = tar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        ["manifest.json", "database.sqlite", "volumes/notes.tar"]
    );

    // Into a fresh folder, while the volume still exists in Docker: refused, nothing changed.
    let fresh = tempfile::tempdir().unwrap();
    let (ok, output) = server.cli(&["restore", "-i", &archive_arg], fresh.path());
    assert!(!ok);
    assert!(output.contains("exists already"), "{output}");
    // A foreign file: refused with the reason.
    let foreign = server.data.path().join("foreign.tar.gz");
    std::fs::write(&foreign, b"not a backup").unwrap();
    let (ok, output) = server.cli(
        &["restore", "-i", &foreign.display().to_string()],
        fresh.path(),
    );
    assert!(!ok);
    assert!(output.contains("not a Milkcrate backup"), "{output}");
    let volume: Volume = server
        .get("/api/v1/volumes/notes")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(volume.files, 1);
}
