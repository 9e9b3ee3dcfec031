//! An external proxy is known by polling for its routes with the token: from then on the client
//! addresses it forwards are believed, so one client's wrong passwords do not pause everyone's.

use integration_tests::TestApp;
use reqwest::StatusCode;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

async fn wrong_login(app: &TestApp, client: &str) -> StatusCode {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&serde_json::json!({ "password": "not the password" }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn clients_behind_an_external_proxy_are_told_apart_once_it_polls() {
    let app = TestApp::with_env(&[
        ("MILKCRATE_PROXY", "external"),
        ("MILKCRATE_PROXY_TOKEN", TOKEN),
    ])
    .await;
    // Before the proxy is known, every client shares its address: the per-address limit (5 a
    // minute) soon answers for all of them.
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(wrong_login(&app, &format!("203.0.113.{i}")).await);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // Without the token, polling teaches nothing.
    let stranger = app
        .http
        .get(app.url("/internal/proxy/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
    let polled = app
        .http
        .get(app.url("/internal/proxy/config"))
        .header("X-Milkcrate-Proxy-Token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(polled.status(), StatusCode::OK);
    let config: serde_json::Value = polled.json().await.unwrap();
    assert!(
        config["http"]["routers"]["milkcrate-landing"].is_object(),
        "{config}"
    );

    // Now each forwarded client has its own budget.
    for i in 10..16 {
        assert_eq!(
            wrong_login(&app, &format!("198.51.100.{i}")).await,
            StatusCode::UNAUTHORIZED,
            "client {i}"
        );
    }
}
