//! An app at run time through the API: the recent lines of its output with their stream and
//! time, a live stream of new ones, and its resource use.

use std::time::Duration;

use futures_util::StreamExt;
use integration_tests::{Server, ServerOptions, apps, eventually};
use reqwest::StatusCode;
use shared::v1::{AppStats, CreatedApp, DeploymentStatus, LogLine, LogStream};

#[tokio::test]
async fn logs_show_what_the_app_printed_follow_new_lines_and_stats_show_its_use() {
    let server = Server::start(ServerOptions::api_only()).await;
    let created: CreatedApp = server
        .create_app("chatty", "/chatty", apps::chatty_app("logs"))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Running);

    // The tail holds the first line the app wrote, stdout and stderr told apart, with times.
    let lines: Vec<LogLine> = eventually(Duration::from_secs(10), "the app's lines", || async {
        let lines: Vec<LogLine> = server
            .get("/api/v1/apps/chatty/logs?tail=1000")
            .await
            .json()
            .await
            .ok()?;
        lines.iter().any(|l| l.text == "oops").then_some(lines)
    })
    .await;
    let ready = lines
        .iter()
        .find(|l| l.text == "ready logs")
        .expect("the first line");
    assert_eq!(ready.stream, LogStream::Stdout);
    assert!(ready.at.is_some() && ready.service.is_none(), "{ready:?}");
    let oops = lines.iter().find(|l| l.text == "oops").unwrap();
    assert_eq!(oops.stream, LogStream::Stderr);
    let short: Vec<LogLine> = server
        .get("/api/v1/apps/chatty/logs?tail=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(short.len(), 2, "{short:?}");

    // Following: a new line arrives within a second.
    let response = server
        .http
        .get(server.url("/api/v1/apps/chatty/logs?follow=true"))
        .bearer_auth(server.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(1), async {
        let mut seen = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(data) = seen.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str::<LogLine>(data).unwrap();
            }
        }
        panic!("the stream ended: {seen}");
    })
    .await
    .expect("a new line within 1 s");
    assert!(first.text.starts_with("tick "), "{first:?}");

    // Its resource use: a running app uses memory, within its limit, and has processes.
    let stats: AppStats = server
        .get("/api/v1/apps/chatty/stats")
        .await
        .json()
        .await
        .unwrap();
    let only = &stats.services[0];
    assert!(only.memory_bytes > 0, "{stats:?}");
    assert_eq!(only.memory_limit_bytes, 512 * 1024 * 1024, "{stats:?}");
    assert!(only.pids >= 2, "httpd and the ticking loop: {stats:?}");

    // A service the app does not have is named.
    let missing = server.get("/api/v1/apps/chatty/logs?service=db").await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
