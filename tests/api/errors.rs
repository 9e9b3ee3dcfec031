//! Bad requests of every kind get the one JSON error shape, never a plain-text body.

use integration_tests::TestApp;
use reqwest::StatusCode;

async fn expect_json_error(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        !body["message"].as_str().unwrap_or_default().is_empty(),
        "{body}"
    );
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let server = TestApp::start().await;
    let token = server.token().to_string();
    let http = &server.http;

    let not_multipart = http
        .post(server.url("/api/v1/apps"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send();
    expect_json_error(
        not_multipart.await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    let bad_id = http
        .get(server.url("/api/v1/deployments/abc"))
        .bearer_auth(&token)
        .send();
    expect_json_error(
        bad_id.await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    let bad_query = http
        .get(server.url("/api/v1/deployments/1/log?offset=x"))
        .bearer_auth(&token)
        .send();
    expect_json_error(
        bad_query.await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    let bad_json = http
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{")
        .send();
    expect_json_error(
        bad_json.await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    let wrong_method = http
        .patch(server.url("/api/v1/apps"))
        .bearer_auth(&token)
        .send();
    expect_json_error(
        wrong_method.await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;

    let unknown = http
        .get(server.url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send();
    expect_json_error(unknown.await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;

    let missing_app = http
        .get(server.url("/api/v1/apps/ghost"))
        .bearer_auth(&token)
        .send();
    expect_json_error(
        missing_app.await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let no_file = reqwest::multipart::Form::new()
        .text("name", "nofile")
        .text("route", "/nofile");
    let response = http
        .post(server.url("/api/v1/apps"))
        .bearer_auth(&token)
        .multipart(no_file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["fields"]["file"][0].as_str().unwrap().contains("ZIP"),
        "{body}"
    );
}

#[tokio::test]
async fn taken_names_and_routes_are_conflicts_named_per_field() {
    let server = TestApp::start().await;
    let first = server
        .create_app("taken", "/taken", integration_tests::apps::web_app("first"))
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    // Same name in another case, and another name on the same route.
    for (name, route, field) in [
        ("Taken", "/elsewhere", "name"),
        ("other", "/taken/", "route"),
    ] {
        let response = server
            .create_app(name, route, integration_tests::apps::web_app("second"))
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{name} {route}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "conflict");
        assert!(
            body["fields"][field][0]
                .as_str()
                .unwrap()
                .contains("already"),
            "{body}"
        );
    }
    let apps: Vec<serde_json::Value> = server.get("/api/v1/apps").await.json().await.unwrap();
    assert_eq!(apps.len(), 1, "no second app was created");
}
