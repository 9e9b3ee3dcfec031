//! Every intake rule, through the API: a clear 422 naming the entry and the rule, and nothing
//! created or left on disk.

use integration_tests::{TestApp, apps::zip_of};
use reqwest::StatusCode;

const DOCKERFILE: &str = "FROM scratch\n";

fn with_dockerfile(mut entries: Vec<(&'static str, u32, Vec<u8>)>) -> Vec<u8> {
    entries.insert(0, ("Dockerfile", 0o644, DOCKERFILE.into()));
    zip_of(&entries)
}

/// Rewrites the unix mode an entry declares in the ZIP's central directory: the zip writer only
/// makes regular files, an attacker's tool makes anything.
fn with_unix_mode(mut zip: Vec<u8>, entry: &str, mode: u32) -> Vec<u8> {
    let signature = [0x50, 0x4b, 0x01, 0x02];
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == signature {
            let name_len = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
            if &zip[i + 46..i + 46 + name_len] == entry.as_bytes() {
                zip[i + 5] = 3; // made by: unix
                zip[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
                return zip;
            }
        }
        i += 1;
    }
    panic!("entry {entry} not found");
}

async fn expect_refused(server: &TestApp, zip: Vec<u8>, expect_in_message: &[&str]) {
    let response = server.create_app("hostile", "/hostile", zip).await;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_archive", "{body}");
    let message = body["fields"]["file"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for needle in expect_in_message {
        assert!(
            message.contains(needle),
            "`{message}` should mention `{needle}`"
        );
    }
    // Nothing was created, nothing is left behind.
    let apps: Vec<serde_json::Value> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert!(apps.is_empty());
    let leftovers = |dir: &str| {
        std::fs::read_dir(server.data().join(dir))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(leftovers("apps"), 0, "nothing extracted");
    assert_eq!(leftovers("tmp"), 0, "upload and staging removed");
}

async fn api_only(env: &[(&str, &str)]) -> TestApp {
    TestApp::with_env(env).await
}

#[tokio::test]
async fn parent_directory_entries_are_refused() {
    let server = api_only(&[]).await;
    let zip = with_dockerfile(vec![("../escape.sh", 0o755, b"boom".to_vec())]);
    expect_refused(&server, zip, &["../escape.sh", ".."]).await;
}

#[tokio::test]
async fn absolute_paths_are_refused() {
    let server = api_only(&[]).await;
    let zip = with_dockerfile(vec![("/etc/cron.d/evil", 0o644, b"boom".to_vec())]);
    expect_refused(&server, zip, &["/etc/cron.d/evil", "absolute"]).await;
}

#[tokio::test]
async fn symlinks_are_refused() {
    let server = api_only(&[]).await;
    let zip = with_unix_mode(
        with_dockerfile(vec![("link", 0o777, b"/etc/passwd".to_vec())]),
        "link",
        0o120777,
    );
    expect_refused(&server, zip, &["link", "symlink"]).await;
}

#[tokio::test]
async fn fifos_and_devices_are_refused() {
    let server = api_only(&[]).await;
    let zip = with_unix_mode(
        with_dockerfile(vec![("pipe", 0o644, Vec::new())]),
        "pipe",
        0o010644,
    );
    expect_refused(&server, zip, &["pipe"]).await;
    let zip = with_unix_mode(
        with_dockerfile(vec![("disk", 0o644, Vec::new())]),
        "disk",
        0o060644,
    );
    expect_refused(&server, zip, &["disk"]).await;
}

#[tokio::test]
async fn too_many_entries_are_refused() {
    let server = api_only(&[("MILKCRATE_MAX_ZIP_ENTRIES", "20")]).await;
    let names: Vec<String> = (0..30).map(|i| format!("f{i}.txt")).collect();
    let entries = names
        .iter()
        .map(|n| (n.as_str(), 0o644, b"x".to_vec()))
        .collect::<Vec<_>>();
    let mut all: Vec<(&str, u32, Vec<u8>)> = vec![("Dockerfile", 0o644, DOCKERFILE.into())];
    all.extend(entries);
    expect_refused(&server, zip_of(&all), &["20"]).await;
}

#[tokio::test]
async fn archives_too_large_uncompressed_are_refused() {
    let server = api_only(&[("MILKCRATE_MAX_UNCOMPRESSED_MB", "1")]).await;
    // Random bytes do not compress, so this is not a ratio bomb, only too big.
    let noise: Vec<u8> = (0..1_500_000).map(|_| rand::random::<u8>()).collect();
    let zip = with_dockerfile(vec![("big.bin", 0o644, noise)]);
    expect_refused(&server, zip, &["big.bin"]).await;
}

#[tokio::test]
async fn compression_bombs_are_refused() {
    let server = api_only(&[]).await;
    let zip = with_dockerfile(vec![("zeros.bin", 0o644, vec![0u8; 50 * 1024 * 1024])]);
    expect_refused(&server, zip, &["zeros.bin"]).await;
}

#[tokio::test]
async fn archives_without_a_dockerfile_are_refused() {
    let server = api_only(&[]).await;
    let zip = zip_of(&[("README.md", 0o644, b"no dockerfile here".to_vec())]);
    expect_refused(&server, zip, &["Dockerfile"]).await;
}

#[tokio::test]
async fn files_that_are_not_zips_are_refused() {
    let server = api_only(&[]).await;
    expect_refused(&server, b"%PDF-1.7 definitely not a zip".to_vec(), &[]).await;
}

#[tokio::test]
async fn uploads_over_the_size_limit_get_413() {
    let server = api_only(&[("MILKCRATE_MAX_UPLOAD_MB", "1")]).await;
    let noise: Vec<u8> = (0..2_000_000).map(|_| rand::random::<u8>()).collect();
    let response = server
        .create_app(
            "big",
            "/big",
            with_dockerfile(vec![("noise", 0o644, noise)]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("MILKCRATE_MAX_UPLOAD_MB")
    );
}

#[tokio::test]
async fn bad_names_and_routes_are_reported_per_field() {
    let server = api_only(&[]).await;
    let zip = with_dockerfile(vec![]);
    let response = server.create_app("my_app", "/admin", zip).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    assert!(
        body["fields"]["name"][0]
            .as_str()
            .unwrap()
            .contains("letters, digits and hyphens")
    );
    assert!(
        body["fields"]["route"][0]
            .as_str()
            .unwrap()
            .contains("reserved")
    );
}

#[tokio::test]
async fn compose_files_that_break_the_policy_are_refused_with_every_key_path() {
    let server = api_only(&[]).await;
    let compose = "services:\n  web:\n    image: nginx\n    privileged: true\n    cap_add: [SYS_ADMIN]\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n    network_mode: host\n";
    let zip = zip_of(&[("compose.yaml", 0o644, compose.into())]);
    let response = server.create_app("stack", "/stack", zip).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_archive", "{body}");
    let problems: Vec<&str> = body["fields"]["file"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    for path in [
        "services.web.privileged",
        "services.web.cap_add[0]",
        "services.web.volumes[0]",
        "services.web.network_mode",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(path)),
            "{path} missing from {problems:?}"
        );
    }
    assert!(
        problems.iter().any(|p| p.contains("socket")),
        "the Docker socket is named: {problems:?}"
    );
    let apps: Vec<serde_json::Value> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert!(apps.is_empty());
    assert!(server.runtime().containers().is_empty());
}

#[tokio::test]
async fn a_dockerfile_that_adds_from_the_hosts_network_is_refused() {
    let server = api_only(&[]).await;
    for (url, why) in [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:5001/api/v1/apps", "loopback"),
        ("http://localhost/x.tgz", "loopback"),
        ("https://10.0.0.7/secret.tar", "private"),
    ] {
        let dockerfile = format!("FROM scratch\nADD {url} /x\n");
        let zip = zip_of(&[("Dockerfile", 0o644, dockerfile.into_bytes())]);
        expect_refused(&server, zip, &["Dockerfile:2", why]).await;
    }
}
