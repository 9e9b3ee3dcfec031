//! Managed volumes on the real daemon: files in and out byte for byte (up to 100 MB), folders,
//! ZIPs, and every hostile path refused without touching anything.

use integration_tests::{Server, ServerOptions, apps, docker};
use reqwest::{Method, StatusCode, multipart};
use shared::v1::{EntryKind, UploadedFiles, Volume, VolumeListing};

async fn listing(server: &Server, volume: &str, path: &str) -> VolumeListing {
    let response = server
        .request(Method::GET, &format!("/api/v1/volumes/{volume}/files"))
        .query(&[("path", path)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "listing {path}");
    response.json().await.unwrap()
}

async fn download(server: &Server, volume: &str, path: &str) -> reqwest::Response {
    server
        .request(Method::GET, &format!("/api/v1/volumes/{volume}/download"))
        .query(&[("path", path)])
        .send()
        .await
        .unwrap()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::fill(&mut bytes[..]);
    bytes
}

#[tokio::test]
async fn files_go_in_and_come_out_byte_for_byte() {
    let server = Server::start(ServerOptions::api_only()).await;
    let response = server.create_volume("data").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Volume = response.json().await.unwrap();
    assert_eq!(created.files, 0);
    assert!(created.size_bytes <= 4096, "an empty folder");
    assert_eq!(
        server.create_volume("data").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        server.create_volume("Bad_Name").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Text, binary (every byte value) and 100 MB, several files in one request.
    let text = "héllo, volume\nline two\n".as_bytes().to_vec();
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let big = random_bytes(100 * 1024 * 1024);
    let response = server
        .upload_to_volume(
            "data",
            "docs/new",
            &[("a.txt", text.clone()), ("bytes.bin", binary.clone())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let uploaded: UploadedFiles = response.json().await.unwrap();
    assert_eq!(uploaded.files, 2);
    let response = server
        .upload_to_volume("data", "", &[("big.bin", big.clone())])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    for (path, expected) in [
        ("docs/new/a.txt", &text),
        ("docs/new/bytes.bin", &binary),
        ("big.bin", &big),
    ] {
        let response = download(&server, "data", path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = response.bytes().await.unwrap();
        assert!(body.as_ref() == expected.as_slice(), "{path} differs");
    }

    // Browse: folders first, with sizes.
    let root = listing(&server, "data", "").await;
    let names: Vec<(&str, EntryKind)> = root
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        names,
        [("docs", EntryKind::Folder), ("big.bin", EntryKind::File)]
    );
    assert_eq!(root.entries[1].size_bytes, big.len() as u64);
    let volume: Volume = server
        .get("/api/v1/volumes/data")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(volume.files, 3);
    assert!(
        volume.size_bytes >= big.len() as u64,
        "{}",
        volume.size_bytes
    );

    // A ZIP extracted into a folder; the folder back as tar.gz.
    let zip = apps::zip_of(&[
        ("index.html", 0o644, b"<h1>site</h1>".to_vec()),
        ("css/site.css", 0o644, b"body{}".to_vec()),
    ]);
    let form =
        multipart::Form::new().part("zip", multipart::Part::bytes(zip).file_name("site.zip"));
    let response = server
        .request(Method::POST, "/api/v1/volumes/data/upload?path=site")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let archive = server
        .request(Method::GET, "/api/v1/volumes/data/archive")
        .query(&[("path", "site")])
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), StatusCode::OK);
    let gz = archive.bytes().await.unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            let path = entry.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            found.push((path, bytes));
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            ("site/css/site.css".to_string(), b"body{}".to_vec()),
            ("site/index.html".to_string(), b"<h1>site</h1>".to_vec()),
        ]
    );

    // Folders are created and deleted; files deleted.
    let response = server
        .request(Method::POST, "/api/v1/volumes/data/folders")
        .query(&[("path", "empty/inner")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(listing(&server, "data", "empty").await.entries[0].name == "inner");
    for path in ["big.bin", "docs", "empty"] {
        let response = server
            .request(Method::DELETE, "/api/v1/volumes/data/files")
            .query(&[("path", path)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
    }
    let root = listing(&server, "data", "").await;
    let names: Vec<&str> = root.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["site"]);
    assert_eq!(
        download(&server, "data", "big.bin").await.status(),
        StatusCode::NOT_FOUND
    );

    // Delete the volume: gone from Docker too.
    let response = server.delete("/api/v1/volumes/data").await;
    let status = response.status();
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "{}",
        response.text().await.unwrap_or_default()
    );
    assert!(docker::volumes_with(&[&server.label()]).is_empty());
    assert_eq!(
        server.get("/api/v1/volumes/data").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn hostile_paths_are_refused_and_touch_nothing() {
    let server = Server::start(ServerOptions::api_only()).await;
    assert_eq!(
        server.create_volume("box").await.status(),
        StatusCode::CREATED
    );
    server
        .upload_to_volume("box", "", &[("keep.txt", b"keep".to_vec())])
        .await;
    // An app could plant links pointing out of the volume; Milkcrate never follows them.
    let tools = format!("{}/tools:1", server.instance);
    docker::build_image(
        &tools,
        &[
            (
                "Dockerfile",
                0o644,
                b"FROM scratch\nCOPY busybox /bin/busybox\n".to_vec(),
            ),
            ("busybox", 0o755, std::fs::read("/bin/busybox").unwrap()),
        ],
    );
    docker::docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{}.box:/v", server.instance),
        &tools,
        "/bin/busybox",
        "sh",
        "-c",
        "ln -s / /v/escape && ln -s /etc/passwd /v/passwd",
    ]);

    let refused = |method: Method, endpoint: &'static str, path: &'static str| {
        let server = &server;
        async move {
            let response = server
                .request(method.clone(), &format!("/api/v1/volumes/box/{endpoint}"))
                .query(&[("path", path)])
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {endpoint}?path={path}: {body}"
            );
            assert!(body["fields"]["path"].is_array(), "{body}");
        }
    };
    for path in [
        "..",
        "../etc",
        "a/../../etc",
        "/etc",
        "/etc/passwd",
        "a//b",
        "./x",
    ] {
        refused(Method::GET, "files", path).await;
        refused(Method::GET, "download", path).await;
        refused(Method::DELETE, "files", path).await;
        refused(Method::POST, "folders", path).await;
    }
    for path in ["escape", "escape/etc", "passwd"] {
        refused(Method::GET, "files", path).await;
        refused(Method::GET, "download", path).await;
        refused(Method::GET, "archive", path).await;
    }
    refused(Method::POST, "folders", "escape/new").await;
    refused(Method::DELETE, "files", "escape/etc/passwd").await;
    let response = server
        .upload_to_volume("box", "escape/tmp", &[("x", b"x".to_vec())])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = server
        .upload_to_volume("box", "", &[("passwd", b"x".to_vec())])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "writing through a link"
    );
    let response = server
        .upload_to_volume("box", "", &[("../evil", b"x".to_vec())])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a file name with a path"
    );
    // A ZIP with a traversal entry: refused by the app-upload rules, nothing written.
    let zip = apps::zip_of(&[
        ("ok.txt", 0o644, b"ok".to_vec()),
        ("../../evil.txt", 0o644, b"x".to_vec()),
    ]);
    let form = multipart::Form::new().part("zip", multipart::Part::bytes(zip).file_name("x.zip"));
    let response = server
        .request(Method::POST, "/api/v1/volumes/box/upload")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Deleting a link removes the link, never its target; the volume is as it was otherwise.
    let response = server
        .request(Method::DELETE, "/api/v1/volumes/box/files")
        .query(&[("path", "escape")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let names: Vec<String> = listing(&server, "box", "")
        .await
        .entries
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["keep.txt", "passwd"]);
    assert!(std::path::Path::new("/etc/passwd").exists());
}

#[tokio::test]
async fn a_volume_apps_mount_is_not_deleted_unless_forced() {
    let server = Server::start(ServerOptions::api_only()).await;
    server.create_volume("shared").await;
    // A version that never starts: the app mounts the volume but no container holds it.
    let response = server
        .create_app_with(
            "user",
            "/user",
            apps::crashing_app(),
            &[("mounts", r#"[{"volume": "shared", "target": "/data"}]"#)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let volume: Volume = server
        .get("/api/v1/volumes/shared")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(volume.mounted_by, ["user"]);
    let response = server.delete("/api/v1/volumes/shared").await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("user"), "{body}");
    let created: shared::v1::CreatedApp = server
        .get("/api/v1/apps/user")
        .await
        .json::<shared::v1::App>()
        .await
        .map(|app| shared::v1::CreatedApp {
            deployment: app
                .latest_deployment
                .clone()
                .or(app.current_deployment.clone())
                .unwrap(),
            app,
        })
        .unwrap();
    server.wait_deployment(created.deployment.id).await;
    let response = server.delete("/api/v1/volumes/shared?force=true").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let app: shared::v1::App = server.get("/api/v1/apps/user").await.json().await.unwrap();
    assert!(app.mounts.is_empty());
}

#[tokio::test]
async fn a_big_folder_is_listed_in_pages() {
    let server = Server::start(ServerOptions::api_only()).await;
    assert_eq!(
        server.create_volume("many").await.status(),
        StatusCode::CREATED
    );
    // The first listing builds the helper image; then 1200 files are made with it, by hand.
    listing(&server, "many", "").await;
    docker::docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        &format!("{}.many:/v", server.instance),
        "milkcrate-volume-helper:1",
        "/bin/busybox",
        "sh",
        "-c",
        "mkdir /v/big && cd /v/big && for i in $(/bin/busybox seq 1000 2199); do : > f$i; done",
    ]);
    let names: Vec<String> = (1000..2200).map(|i| format!("f{i}")).collect();

    let mut seen = Vec::new();
    let mut offset = Some(0u64);
    let mut pages = 0;
    while let Some(at) = offset {
        let response = server
            .request(Method::GET, "/api/v1/volumes/many/files")
            .query(&[
                ("path", "big"),
                ("offset", &at.to_string()),
                ("limit", "500"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: VolumeListing = response.json().await.unwrap();
        assert!(page.entries.len() <= 500);
        seen.extend(page.entries.into_iter().map(|e| e.name));
        offset = page.next_offset;
        pages += 1;
    }
    assert_eq!(pages, 3);
    seen.sort();
    assert_eq!(seen, names, "every entry once, across the pages");
    // The default page holds at most 1000, and says where the rest starts.
    let first = listing(&server, "many", "big").await;
    assert_eq!((first.entries.len(), first.next_offset), (1000, Some(1000)));
}
