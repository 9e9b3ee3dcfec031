//! Host names: refused with the problem named under `domains` (invalid, the dashboard's, another
//! app's), and plain HTTP on a host that has HTTPS answered with a 308 to it, for our hosts only.

use integration_tests::{Refusal, TestApp, apps, typed};
use reqwest::{StatusCode, multipart};
use shared::v1::{App, CertificateState, CreatedApp, UploadedCertificate};

async fn create(app: &TestApp, name: &str, domains: &str) -> reqwest::Response {
    let form = multipart::Form::new()
        .text("name", name.to_string())
        .text("route", format!("/{name}"))
        .text("domains", domains.to_string())
        .part(
            "file",
            multipart::Part::bytes(apps::web_app(name)).file_name("app.zip"),
        );
    app.http
        .post(app.url("/api/v1/apps"))
        .bearer_auth(app.token())
        .multipart(form)
        .send()
        .await
        .expect("create")
}

async fn set(app: &TestApp, name: &str, domains: &[&str]) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/api/v1/apps/{name}/domains")))
        .bearer_auth(app.token())
        .json(&serde_json::json!({ "domains": domains }))
        .send()
        .await
        .expect("set domains")
}

fn problems(refusal: &Refusal) -> String {
    refusal.body.fields["domains"].join(" | ")
}

#[tokio::test]
async fn host_names_are_checked_unique_and_never_the_dashboards() {
    let app = TestApp::with_env(&[
        ("MILKCRATE_PROXY", "external"),
        ("MILKCRATE_ADMIN_HOST", "admin.example.com"),
        ("MILKCRATE_ACME_EMAIL", "ops@example.com"),
    ])
    .await;
    let created: CreatedApp = typed(create(&app, "blog", r#"["blog.example.com"]"#).await)
        .await
        .expect("created");
    assert_eq!(created.app.domains.len(), 1);
    assert_eq!(created.app.domains[0].host, "blog.example.com");
    assert_eq!(
        created.app.domains[0].certificate.state,
        CertificateState::Pending
    );

    let taken = typed::<CreatedApp>(create(&app, "shop", r#"["blog.example.com"]"#).await)
        .await
        .unwrap_err();
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(problems(&taken).contains("`blog`"), "{taken:?}");

    let admin = typed::<CreatedApp>(create(&app, "shop", r#"["admin.example.com"]"#).await)
        .await
        .unwrap_err();
    assert_eq!(admin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problems(&admin).contains("dashboard"), "{admin:?}");

    let garbled = typed::<CreatedApp>(create(&app, "shop", r#"["shop.example.com"#).await)
        .await
        .unwrap_err();
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    assert!(problems(&garbled).contains("JSON array"), "{garbled:?}");
    // Nothing of the refused apps was created.
    assert!(app.fetch::<App>("/api/v1/apps/shop").await.is_err());

    let bad = typed::<App>(set(&app, "blog", &["*.example.com", "localhost", "a b.com"]).await)
        .await
        .unwrap_err();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body.fields["domains"].len(), 3, "{bad:?}");

    let missing = typed::<App>(set(&app, "nope", &["nope.example.com"]).await)
        .await
        .unwrap_err();
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Setting them replaces them all; its own name again is no conflict.
    let view: App = typed(set(&app, "blog", &["blog.example.com", "www.example.com"]).await)
        .await
        .expect("set");
    let hosts: Vec<&str> = view.domains.iter().map(|d| d.host.as_str()).collect();
    assert_eq!(hosts, ["blog.example.com", "www.example.com"]);
}

#[tokio::test]
async fn plain_http_on_a_secured_host_is_sent_to_https_and_other_hosts_are_not() {
    let app = TestApp::with_env(&[
        ("MILKCRATE_PROXY", "external"),
        ("MILKCRATE_ACME_EMAIL", "ops@example.com"),
        ("MILKCRATE_HTTPS_PORT", "8443"),
    ])
    .await;
    typed::<CreatedApp>(create(&app, "blog", r#"["blog.example.com"]"#).await)
        .await
        .expect("created");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sent = |host: &'static str| {
        http.post(app.url("/to-https/posts/1?page=2"))
            .header("host", host)
            .body("kept")
            .send()
    };
    let ours = sent("blog.example.com:80").await.unwrap();
    assert_eq!(ours.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        ours.headers()["location"],
        "https://blog.example.com:8443/posts/1?page=2"
    );
    let theirs = sent("evil.example.com").await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert!(theirs.headers().get("location").is_none());
}

async fn upload(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/certificates"))
        .bearer_auth(app.token())
        .json(&body)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn an_uploaded_certificate_is_checked_field_by_field_and_its_key_never_comes_back() {
    const CHAIN: &str =
        include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.pem");
    const KEY: &str = include_str!("../../backend/src/domain/platform/testdata/uploaded/shop.key");
    let app = TestApp::with_env(&[
        ("MILKCRATE_PROXY", "external"),
        ("MILKCRATE_ACME_EMAIL", "ops@example.com"),
    ])
    .await;
    typed::<CreatedApp>(create(&app, "shop", r#"["shop.example.com"]"#).await)
        .await
        .expect("created");

    let refused = typed::<UploadedCertificate>(
        upload(
            &app,
            serde_json::json!({ "host": "shop.example.com", "chain": "hello", "key": "world" }),
        )
        .await,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.fields["chain"][0].contains("BEGIN CERTIFICATE"));
    assert!(refused.body.fields["key"][0].contains("PEM private key"));
    let elsewhere = typed::<UploadedCertificate>(
        upload(
            &app,
            serde_json::json!({ "host": "blog.example.com", "chain": CHAIN, "key": KEY }),
        )
        .await,
    )
    .await
    .unwrap_err();
    assert!(
        elsewhere.body.fields["host"][0].contains("no app is served at `blog.example.com`"),
        "{elsewhere:?}"
    );
    let malformed = upload(&app, serde_json::json!({ "host": "shop.example.com" })).await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.fetch::<Vec<UploadedCertificate>>("/api/v1/certificates")
            .await
            .unwrap()
            .is_empty()
    );

    let uploaded: UploadedCertificate = typed(
        upload(
            &app,
            serde_json::json!({ "host": "shop.example.com", "chain": CHAIN, "key": KEY }),
        )
        .await,
    )
    .await
    .expect("uploaded");
    assert_eq!(uploaded.chain_length, 2);
    let listed = app
        .http
        .get(app.url("/api/v1/certificates"))
        .bearer_auth(app.token())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains("shop.example.com") && !listed.contains("PRIVATE"),
        "{listed}"
    );
    let view: App = app.fetch("/api/v1/apps/shop").await.unwrap();
    assert_eq!(view.domains[0].certificate.state, CertificateState::Issued);
    assert!(view.domains[0].certificate.uploaded);

    let deleted = app
        .http
        .delete(app.url("/api/v1/certificates/shop.example.com"))
        .bearer_auth(app.token())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let view: App = app.fetch("/api/v1/apps/shop").await.unwrap();
    assert_eq!(view.domains[0].certificate.state, CertificateState::Pending);
}

#[tokio::test]
async fn without_https_there_is_nothing_to_upload_a_certificate_for() {
    let app = TestApp::with_env(&[("MILKCRATE_PROXY", "external")]).await;
    let off = upload(
        &app,
        serde_json::json!({ "host": "shop.example.com", "chain": "x", "key": "y" }),
    )
    .await;
    assert_eq!(off.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = off.json().await.unwrap();
    assert!(body.to_string().contains("MILKCRATE_ACME_EMAIL"), "{body}");
}
