//! `/metrics`: Prometheus text, for the admin only, counting what happened.

use integration_tests::{TestApp, apps::web_app};
use reqwest::StatusCode;

#[tokio::test]
async fn metrics_count_apps_deployments_and_requests_for_the_admin_only() {
    let app = TestApp::start().await;
    let anonymous = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let created = app.create_app("counted", "/counted", web_app("m")).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    // The fake runtime deploys at once; wait for the app to be running.
    integration_tests::eventually(
        std::time::Duration::from_secs(10),
        "the app to run",
        || async {
            let apps: Vec<shared::v1::App> = app.get("/api/v1/apps").await.json().await.ok()?;
            (apps.first()?.status == shared::v1::AppStatus::Running).then_some(())
        },
    )
    .await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("milkcrate_apps{status=\"running\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("milkcrate_deployments{status=\"running\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("milkcrate_deployment_seconds_total{status=\"running\"}"),
        "{text}"
    );
    assert!(
        text.contains(
            "milkcrate_http_requests_total{method=\"GET\",route=\"/api/v1/apps\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "milkcrate_http_requests_total{method=\"POST\",route=\"/api/v1/apps\",status=\"202\"} 1"
        ),
        "{text}"
    );
}
