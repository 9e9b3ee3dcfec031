//! The release endpoints' contract, in process: bad bodies get the JSON error shape naming the
//! field, and nothing changes; a secret is never sent back.

use integration_tests::{TestApp, apps};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::v1::{CreatedApp, Deployment};

async fn send(server: &TestApp, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let response = server
        .http
        .request(method, server.url(path))
        .bearer_auth(server.token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn until_final(server: &TestApp, id: i64) -> Deployment {
    integration_tests::eventually(
        std::time::Duration::from_secs(10),
        "the deployment to settle",
        || async move {
            let d: Deployment = server
                .fetch(&format!("/api/v1/deployments/{id}"))
                .await
                .unwrap();
            d.status.is_final().then_some(d)
        },
    )
    .await
}

#[tokio::test]
async fn bad_release_requests_name_the_field_and_change_nothing() {
    let server = TestApp::start().await;
    let created: CreatedApp = server
        .create_app("blog", "/blog", apps::web_app("blog"))
        .await
        .json()
        .await
        .unwrap();
    until_final(&server, created.deployment.id).await;

    let (status, body) = send(
        &server,
        Method::PUT,
        "/api/v1/apps/blog/env",
        json!({"vars": [{"key": "1X", "value": "a"}, {"key": "T", "value": null, "secret": true}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["fields"]["vars"].as_array().unwrap().len(),
        2,
        "{body}"
    );
    let (status, body) = send(
        &server,
        Method::PUT,
        "/api/v1/apps/blog/env",
        json!({"vars": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "validation_failed");

    let (status, body) = send(
        &server,
        Method::PATCH,
        "/api/v1/apps/blog",
        json!({"health_path": "no-slash", "limits": {"memory_bytes": 1, "cpus": 0.5, "pids": 50}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["health_path"].is_array(), "{body}");
    assert!(body["fields"]["limits.memory_bytes"].is_array(), "{body}");
    let (status, _) = send(
        &server,
        Method::PATCH,
        "/api/v1/apps/blog",
        json!({"colour": "red"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an unknown field is refused, not ignored"
    );
    let (status, body) = send(&server, Method::PATCH, "/api/v1/apps/blog", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/apps/blog/rollback",
        json!({"deployment": 12345}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let history: Vec<Deployment> = server.fetch("/api/v1/apps/blog/deployments").await.unwrap();
    assert_eq!(history.len(), 1, "no refused request made a release");

    // A secret goes in and never comes back out.
    let (status, body) = send(
        &server,
        Method::PUT,
        "/api/v1/apps/blog/env",
        json!({"vars": [{"key": "TOKEN", "value": "do-not-echo-me", "secret": true}]}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(!body.to_string().contains("do-not-echo-me"));
    let env: Value = server.fetch("/api/v1/apps/blog/env").await.unwrap();
    assert_eq!(
        env["vars"][0],
        json!({"key": "TOKEN", "value": null, "secret": true})
    );
}
