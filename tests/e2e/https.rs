//! Domains and HTTPS against a real ACME server: Pebble issues, the managed Traefik serves the
//! chain, `curl` verifies it against Pebble's root; plain HTTP redirects, another host does not
//! reach the app, and a restart of Milkcrate and Traefik serves the same certificate without a
//! new order.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use integration_tests::{
    Server, ServerOptions, apps, curl::verified_get, docker, eventually, pebble::Pebble,
};
use shared::v1::{App, CertificateState, CreatedApp, DeploymentStatus};

const HOST: &str = "blog.milkcrate.test";
const ADMIN_HOST: &str = "admin.milkcrate.test";

/// The leaf certificate the proxy serves for `host` (PEM), verified or not.
fn served_certificate(port: u16, host: &str) -> String {
    let output = Command::new("curl")
        .args([
            "-s",
            "-k",
            "--max-time",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "%{certs}",
        ])
        .arg("--resolve")
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg(format!("https://{host}:{port}/"))
        .output()
        .expect("curl runs");
    let certs = String::from_utf8_lossy(&output.stdout);
    let end = "-----END CERTIFICATE-----";
    certs
        .find(end)
        .map(|i| certs[..i + end.len()].trim().to_string())
        .unwrap_or_default()
}

/// A plain HTTP request to the apps' entry point for `host`: (status, location, body).
fn plain(server: &Server, host: &str, path: &str) -> (String, String, String) {
    let output = Command::new("curl")
        .args(["-s", "--max-time", "5", "-H"])
        .arg(format!("Host: {host}"))
        .args(["-w", "\n%{http_code} %{redirect_url}"])
        .arg(server.proxy_url(path))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", &text));
    let (status, location) = tail.split_once(' ').unwrap_or((tail, ""));
    (status.into(), location.into(), body.into())
}

async fn app(server: &Server, name: &str) -> App {
    server
        .get(&format!("/api/v1/apps/{name}"))
        .await
        .json()
        .await
        .expect("app")
}

#[tokio::test]
async fn a_domain_gets_a_verified_certificate_from_the_acme_server_and_keeps_it_across_restarts() {
    let (pebble, mut server, https_port) = Pebble::with_server(ServerOptions {
        extra_env: vec![("MILKCRATE_ADMIN_HOST".into(), ADMIN_HOST.into())],
        ..ServerOptions::default()
    })
    .await;
    let instance = server.instance.clone();

    let created: CreatedApp = server
        .create_app("blog", "/blog", apps::web_app("SECURE"))
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
    server.wait_proxy_body("/blog/", "SECURE", true).await;

    // Adding the domain: timed to the first answer whose chain verifies against Pebble's root.
    let added = Instant::now();
    let response = server
        .request(reqwest::Method::PUT, "/api/v1/apps/blog/domains")
        .json(&serde_json::json!({ "domains": [HOST] }))
        .send()
        .await
        .expect("set domains");
    assert_eq!(response.status(), 200);
    let view: App = response.json().await.expect("app");
    assert_eq!(view.domains.len(), 1);
    assert_eq!(view.domains[0].host, HOST);
    let root = pebble.root();
    let answer = eventually(
        Duration::from_secs(60),
        "a verified HTTPS answer from the app",
        || {
            let answer =
                verified_get(https_port, HOST, &root, "/").filter(|a| a.contains("SECURE"));
            async move { answer }
        },
    )
    .await;
    let first_answer = added.elapsed();
    println!(
        "figure: domain added → first verified HTTPS answer in {} ms",
        first_answer.as_millis()
    );
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/2 200"),
        "{answer}"
    );
    // Served at the root of its host: no prefix, deep paths as they are.
    let deep = verified_get(https_port, HOST, &root, "/sub/path/").expect("deep path");
    assert!(deep.contains("deep SECURE"), "{deep}");

    // The API tells the certificate is issued, and from then on HSTS is sent.
    let issued = eventually(
        Duration::from_secs(30),
        "the certificate state to be issued",
        || async {
            let certificate = app(&server, "blog").await.domains[0].certificate.clone();
            (certificate.state == CertificateState::Issued)
                .then_some(certificate.not_after)
                .flatten()
        },
    )
    .await;
    assert!(
        issued > chrono::Utc::now() + chrono::Duration::days(7),
        "{issued}"
    );
    eventually(Duration::from_secs(10), "HSTS on the app's host", || {
        let answer = verified_get(https_port, HOST, &root, "/").unwrap_or_default();
        async move {
            answer
                .to_ascii_lowercase()
                .contains("strict-transport-security: max-age=31536000")
                .then_some(())
        }
    })
    .await;

    // Plain HTTP on that host redirects to HTTPS, path kept; the route still works.
    let (status, location, _) = plain(&server, HOST, "/posts/1?x=y");
    assert_eq!(status, "308");
    assert_eq!(location, format!("https://{HOST}:{https_port}/posts/1?x=y"));
    let (status, _, body) = plain(&server, "127.0.0.1", "/blog/");
    assert_eq!((status.as_str(), body.contains("SECURE")), ("200", true));

    // Another host name reaches neither the app nor a certificate for it.
    assert!(verified_get(https_port, "other.milkcrate.test", &root, "/").is_none());
    let (status, _, body) = plain(&server, "other.milkcrate.test", "/");
    assert!(!body.contains("SECURE"), "{status}: {body}");

    // The admin host gets a certificate too, and plain HTTP on it goes to HTTPS.
    let health = eventually(
        Duration::from_secs(60),
        "the dashboard's host over HTTPS",
        || {
            let answer = verified_get(https_port, ADMIN_HOST, &root, "/healthz")
                .filter(|a| a.contains("ok"));
            async move { answer }
        },
    )
    .await;
    assert!(health.contains("\"status\""), "{health}");
    let (status, location, _) = plain(&server, ADMIN_HOST, "/admin/");
    assert_eq!(status, "308");
    assert_eq!(
        location,
        format!("https://{ADMIN_HOST}:{https_port}/admin/")
    );

    // Restart Milkcrate and Traefik (its container removed: a new one is made): the same
    // certificate is served, and Pebble issued no other.
    let certificate = served_certificate(https_port, HOST);
    assert!(certificate.contains("BEGIN CERTIFICATE"), "{certificate}");
    let orders = pebble.issued();
    assert_eq!(
        orders,
        2,
        "one for the app's host, one for the admin host: {}",
        pebble.log()
    );
    server.terminate().await;
    docker::docker(&["rm", "-f", &format!("{instance}-traefik")]);
    server.restart().await;
    let again = eventually(Duration::from_secs(60), "HTTPS after the restart", || {
        let answer = verified_get(https_port, HOST, &root, "/").filter(|a| a.contains("SECURE"));
        async move { answer }
    })
    .await;
    assert!(again.contains("SECURE"));
    assert_eq!(served_certificate(https_port, HOST), certificate);
    assert_eq!(pebble.issued(), orders, "a new order after the restart");
}

/// A certificate made with openssl for these tests (a test CA's, for `shop.example.com` and
/// `*.shop.example.com`), its key, another key, and the test CA that signed it.
const UPLOADED_CHAIN: &str =
    include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.pem");
const UPLOADED_KEY: &str =
    include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.key");
const OTHER_KEY: &str =
    include_str!("../../backend/src/domain/platform/testdata/uploaded/other.key");
const UPLOADED_HOST: &str = "shop.example.com";
const ORDERED_HOST: &str = "news.milkcrate.test";

async fn restore(server: &Server, archive: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(archive).file_name("b.tar.gz"),
    );
    server
        .request(reqwest::Method::POST, "/api/v1/backups/restore")
        .multipart(form)
        .send()
        .await
        .expect("restore")
}

#[tokio::test]
async fn an_uploaded_certificate_is_served_and_a_restore_brings_back_every_certificate() {
    // Uploaded keys are sealed: the restoring instance needs the same secrets key.
    let secrets_key = (
        "MILKCRATE_SECRETS_KEY".to_string(),
        "uploaded-certificates-test-secrets-key-0123456789".to_string(),
    );
    let (pebble, mut server, https_port) = Pebble::with_server(ServerOptions {
        extra_env: vec![secrets_key.clone()],
        ..ServerOptions::default()
    })
    .await;
    let instance = server.instance.clone();
    let created: CreatedApp = server
        .create_app("shop", "/shop", apps::web_app("UPLOADED"))
        .await
        .json()
        .await
        .expect("created");
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Running);
    let response = server
        .request(reqwest::Method::PUT, "/api/v1/apps/shop/domains")
        .json(&serde_json::json!({ "domains": [UPLOADED_HOST, ORDERED_HOST] }))
        .send()
        .await
        .expect("set domains");
    assert_eq!(response.status(), 200);
    // Both hosts first get Pebble's certificates: the upload then replaces one that is served
    // (Traefik would pick either of two certificates for a name at random).
    eventually(
        Duration::from_secs(60),
        "both hosts' certificates ordered",
        || async {
            let view = app(&server, "shop").await;
            view.domains
                .iter()
                .all(|d| d.certificate.state == CertificateState::Issued)
                .then_some(())
        },
    )
    .await;
    let orders = pebble.issued();
    assert_eq!(orders, 2, "{}", pebble.log());

    // Uploaded with the CLI: another certificate's key is refused, naming the field; then the
    // right one.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (chain, key, other) = (
        write("chain.pem", UPLOADED_CHAIN),
        write("key.pem", UPLOADED_KEY),
        write("other.pem", OTHER_KEY),
    );
    let upload = |key: String| {
        let (server, chain, home) = (&server, chain.clone(), dir.path().to_path_buf());
        async move {
            let args = [
                "certificate",
                UPLOADED_HOST,
                "--chain",
                &chain,
                "--key",
                &key,
            ];
            server.client_cli(server.token(), &home, &args).await
        }
    };
    let (ok, out) = upload(other).await;
    assert!(!ok && out.contains("key: the key does not belong"), "{out}");
    let (ok, out) = upload(key).await;
    assert!(
        ok && out.contains("shop.example.com is served with the uploaded certificate"),
        "{out}"
    );
    let listed = server
        .get("/api/v1/certificates")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(UPLOADED_HOST) && !listed.contains("PRIVATE"),
        "{listed}"
    );

    // The uploaded chain is served (verified against the test CA, so not Pebble's); the other
    // host gets Pebble's.
    let test_ca = dir.path().join("test-ca.pem");
    let second = UPLOADED_CHAIN
        .match_indices("-----BEGIN CERTIFICATE-----")
        .nth(1);
    std::fs::write(&test_ca, &UPLOADED_CHAIN[second.unwrap().0..]).unwrap();
    let answer = eventually(
        Duration::from_secs(30),
        "the uploaded certificate served",
        || {
            let answer = verified_get(https_port, UPLOADED_HOST, &test_ca, "/")
                .filter(|a| a.contains("UPLOADED"));
            async move { answer }
        },
    )
    .await;
    assert!(answer.contains("UPLOADED"));
    // And only it, from then on (each a new TLS connection).
    for _ in 0..5 {
        assert!(verified_get(https_port, UPLOADED_HOST, &test_ca, "/").is_some());
    }
    let root = pebble.root();
    eventually(
        Duration::from_secs(60),
        "Pebble's certificate served",
        || {
            let answer = verified_get(https_port, ORDERED_HOST, &root, "/")
                .filter(|a| a.contains("UPLOADED"));
            async move { answer }
        },
    )
    .await;
    let view = app(&server, "shop").await;
    let uploaded_domain = view.domains.iter().find(|d| d.host == UPLOADED_HOST);
    assert!(uploaded_domain.unwrap().certificate.uploaded, "{view:?}");
    assert_eq!(pebble.issued(), orders, "an order after the upload");
    let ordered = served_certificate(https_port, ORDERED_HOST);

    // A backup; then the instance is wiped (its containers, the proxy's certificate store, its
    // images, its data folder) and a fresh one restores it: both certificates are served
    // again, and Pebble issues nothing new.
    let backup = server
        .request(reqwest::Method::POST, "/api/v1/backups")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    server.terminate().await;
    let label = format!("milkcrate.instance={instance}");
    for c in docker::containers_with(&[&label]) {
        docker::docker(&["rm", "-f", &c]);
    }
    for image in docker::app_images(&instance) {
        docker::docker(&["rmi", "-f", &image]);
    }
    docker::docker(&["volume", "rm", &format!("{instance}_certificates")]);
    let fresh = integration_tests::Server::start(ServerOptions {
        instance: Some(instance.clone()),
        extra_env: [pebble.server_env(https_port), vec![secrets_key]].concat(),
        ..ServerOptions::default()
    })
    .await;
    let response = restore(&fresh, backup).await;
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
    eventually(
        Duration::from_secs(60),
        "the restored certificates served",
        || {
            let ordered_again = verified_get(https_port, ORDERED_HOST, &root, "/")
                .filter(|a| a.contains("UPLOADED"));
            let uploaded_again = verified_get(https_port, UPLOADED_HOST, &test_ca, "/")
                .filter(|a| a.contains("UPLOADED"));
            async move { ordered_again.and(uploaded_again) }
        },
    )
    .await;
    assert_eq!(served_certificate(https_port, ORDERED_HOST), ordered);
    assert_eq!(pebble.issued(), orders, "a new order after the restore");
}
