//! The event stream on real Docker: changes made behind Milkcrate's back reach a subscriber
//! within a second, and a reconnecting client gets what it missed.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use integration_tests::{Server, ServerOptions, apps, docker};
use shared::v1::{AppStatus, CreatedApp, DeploymentStatus, Event};
use tokio::sync::mpsc;

/// Reads `GET /api/v1/events` in a task: (id, event) as they come.
async fn subscribe(
    server: &Server,
    last_seen: Option<u64>,
) -> mpsc::UnboundedReceiver<(u64, Event)> {
    subscribe_to(server, "/api/v1/events", last_seen).await
}

/// Reads the event stream at `path` (with a query) in a task.
async fn subscribe_to(
    server: &Server,
    path: &str,
    last_seen: Option<u64>,
) -> mpsc::UnboundedReceiver<(u64, Event)> {
    let mut request = server
        .http
        .get(server.url(path))
        .bearer_auth(server.token());
    if let Some(id) = last_seen {
        request = request.header("last-event-id", id.to_string());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let id = block
                    .lines()
                    .find_map(|l| l.strip_prefix("id: "))
                    .and_then(|v| v.parse().ok());
                let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some(id), Some(data)) = (id, data)
                    && tx.send((id, serde_json::from_str(data).unwrap())).is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// Waits up to `within` for an event about `app` with `status`; returns when it came.
async fn status_event(
    events: &mut mpsc::UnboundedReceiver<(u64, Event)>,
    app: &str,
    status: AppStatus,
    within: Duration,
) -> Duration {
    let start = Instant::now();
    tokio::time::timeout(within, async {
        while let Some((_, event)) = events.recv().await {
            if event
                == (Event::App {
                    app: app.into(),
                    status,
                })
            {
                return start.elapsed();
            }
        }
        panic!("the event stream ended");
    })
    .await
    .unwrap_or_else(|_| panic!("no `{status:?}` for {app} within {within:?}"))
}

#[tokio::test]
async fn outside_stop_start_and_kill_reach_a_subscriber_within_a_second() {
    let server = Server::start(ServerOptions::api_only()).await;
    let mut events = subscribe(&server, None).await;
    let created: CreatedApp = server
        .create_app("watched", "/watched", apps::web_app("watched"))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Running);
    // The build was followed on the stream: its lines, with the builder's steps, then the
    // deployment's statuses, then the app running.
    let mut steps = Vec::new();
    let mut lines = Vec::new();
    let mut statuses = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some((_, event)) = events.recv().await {
            match event {
                Event::Log {
                    deployment: id,
                    offset,
                    text,
                    step,
                } if id == deployment.id => {
                    steps.extend(step);
                    lines.push((offset, text));
                }
                Event::Deployment { id, status, .. } if id == deployment.id => {
                    statuses.push(status)
                }
                Event::App {
                    app,
                    status: AppStatus::Running,
                } if app == "watched" => return,
                _ => {}
            }
        }
    })
    .await
    .expect("the app to be told running");
    assert!(
        steps.first().is_some_and(|s| s.current == 1)
            && steps.iter().all(|s| s.total == steps[0].total),
        "{steps:?}"
    );
    // Each line says where it starts in the log, so a client can join what it read and what
    // it is told without a gap or a repeat.
    let log = server.deployment_log(deployment.id).await;
    assert!(!lines.is_empty());
    for (offset, text) in &lines {
        assert!(
            log.get(*offset as usize..)
                .is_some_and(|rest| rest.starts_with(text.as_str())),
            "{text:?} is not at {offset} of {log:?}"
        );
    }
    assert_eq!(
        statuses,
        [
            DeploymentStatus::Building,
            DeploymentStatus::Starting,
            DeploymentStatus::Running
        ]
    );

    let container = format!("{}-watched-{}", server.instance, deployment.id);
    for (command, status) in [
        ("stop", AppStatus::Exited),
        ("start", AppStatus::Running),
        ("kill", AppStatus::Exited),
    ] {
        docker::docker(&[command, &container]);
        let took = status_event(&mut events, "watched", status, Duration::from_secs(1)).await;
        println!("docker {command}: {status:?} told after {took:?}");
        let shown: shared::v1::App = server
            .get("/api/v1/apps/watched")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(shown.status, status, "after docker {command}");
    }
}

#[tokio::test]
async fn a_reconnecting_subscriber_gets_what_it_missed() {
    let server = Server::start(ServerOptions::api_only()).await;
    let mut events = subscribe(&server, None).await;
    server.create_volume("first").await;
    let (seen, event) = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, Event::Volumes);
    drop(events);
    // A change while nobody listens...
    server.create_volume("second").await;
    // ...is told to the client that comes back with the last id it saw.
    let mut resumed = subscribe(&server, Some(seen)).await;
    let (id, event) = tokio::time::timeout(Duration::from_secs(5), resumed.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event, Event::Volumes);
    assert!(id > seen);
}

#[tokio::test]
async fn a_watcher_gets_live_stats_of_a_running_app_and_no_one_else_does() {
    let server = Server::start(ServerOptions::api_only()).await;
    let created: CreatedApp = server
        .create_app("busy", "/busy", apps::web_app("busy"))
        .await
        .json()
        .await
        .unwrap();
    let deployment = server.wait_deployment(created.deployment.id).await;
    assert_eq!(deployment.status, DeploymentStatus::Running);

    for (query, status, field) in [("stats=no_such", 400, "stats"), ("stats=nope", 404, "")] {
        let response = server.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        if !field.is_empty() {
            assert!(body["fields"][field].is_array(), "{body}");
        }
    }

    let mut plain = subscribe(&server, None).await;
    let mut one = subscribe_to(&server, "/api/v1/events?stats=busy", None).await;
    let mut all = subscribe_to(&server, "/api/v1/events?stats=*", None).await;
    for events in [&mut one, &mut all] {
        for _ in 0..2 {
            let stats = tokio::time::timeout(Duration::from_secs(6), async {
                loop {
                    if let Some((_, Event::Stats { app, services })) = events.recv().await {
                        return shared::v1::AppStats { app, services };
                    }
                }
            })
            .await
            .expect("a stats event within 6 s");
            assert_eq!(stats.app, "busy");
            let only = &stats.services[0];
            assert!(only.memory_bytes > 0, "{stats:?}");
            assert_eq!(only.memory_limit_bytes, 512 * 1024 * 1024, "{stats:?}");
        }
    }
    // Both watchers got two samples each: had they gone to everyone, this one would have too.
    while let Ok((_, event)) = plain.try_recv() {
        assert!(!matches!(event, Event::Stats { .. }), "{event:?}");
    }
}
