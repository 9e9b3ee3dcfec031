//! Outgoing webhooks against a receiver in the test: a deployment that succeeds (the receiver
//! first answers 500, so it is retried), one that fails, an app stopped outside Milkcrate; every
//! signature checked here, with an HMAC of the test's own; the delivery log.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use integration_tests::{Server, ServerOptions, apps, docker, eventually};
use sha2::{Digest, Sha256};
use shared::v1::{CreatedApp, DeliveryStatus, Webhook, WebhookDelivery, WebhookPayload};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

const SECRET: &str = "a shared secret of the receiver";

/// A request the receiver got: its headers (lower-case names) and body.
type Received = (HashMap<String, String>, Vec<u8>);

/// An HTTP receiver on loopback that answers 500 to the first request and 200 to the others.
async fn receiver() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap(); // the request line
                loop {
                    line.clear();
                    reader.read_line(&mut line).await.unwrap();
                    let Some((name, value)) = line.trim_end().split_once(':') else {
                        break;
                    };
                    headers.insert(name.to_ascii_lowercase(), value.trim().to_string());
                }
                let length = headers["content-length"].parse().unwrap();
                let mut body = vec![0; length];
                reader.read_exact(&mut body).await.unwrap();
                let first = {
                    let mut seen = seen.lock().unwrap();
                    seen.push((headers, body));
                    seen.len() == 1
                };
                let status = if first {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = reader.into_inner().write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, got)
}

/// HMAC-SHA256 (RFC 2104), written here rather than taken from the server.
fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// The deliveries of `event` received so far, each checked: signed over its timestamp and body.
fn received(got: &Mutex<Vec<Received>>, event: &str) -> Vec<(String, WebhookPayload)> {
    got.lock()
        .unwrap()
        .iter()
        .filter(|(headers, _)| headers["x-milkcrate-event"] == event)
        .map(|(headers, body)| {
            let timestamp = &headers["x-milkcrate-timestamp"];
            let mut signed = format!("{timestamp}.").into_bytes();
            signed.extend_from_slice(body);
            assert_eq!(
                headers["x-milkcrate-signature"],
                format!("sha256={}", hmac_hex(SECRET.as_bytes(), &signed)),
                "signature of {}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(headers["content-type"], "application/json");
            let payload: WebhookPayload = serde_json::from_slice(body).unwrap();
            assert_eq!(payload.event, event);
            (headers["x-milkcrate-delivery"].clone(), payload)
        })
        .collect()
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_logged() {
    let server = Server::start(ServerOptions::api_only()).await;
    let (port, got) = receiver().await;
    let register = |url: String, secret: &str| {
        server
            .request(reqwest::Method::POST, "/api/v1/webhooks")
            .json(&serde_json::json!({ "url": url, "secret": secret }))
            .send()
    };

    // Refused, naming the field.
    for (url, secret, field) in [
        ("ftp://example.com/".to_string(), SECRET, "url"),
        ("http://user:pw@example.com/".to_string(), SECRET, "url"),
        (format!("http://127.0.0.1:{port}/hook"), "short", "secret"),
    ] {
        let response = register(url.clone(), secret).await.unwrap();
        assert_eq!(response.status(), 422, "{url}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["fields"][field].is_array(), "{body}");
    }

    let response = register(format!("http://127.0.0.1:{port}/hook"), SECRET)
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let hook: Webhook = response.json().await.unwrap();
    let listed = server.get("/api/v1/webhooks").await.text().await.unwrap();
    assert!(
        listed.contains(&format!("127.0.0.1:{port}/hook")),
        "{listed}"
    );
    assert!(
        !listed.contains(SECRET),
        "the secret is never shown: {listed}"
    );

    // A deployment that succeeds: the first attempt is answered 500, the retry 200.
    let created: CreatedApp = server
        .create_app("hooked", "/hooked", apps::web_app("hooked"))
        .await
        .json()
        .await
        .unwrap();
    let id = server.wait_deployment(created.deployment.id).await.id;
    let attempts = eventually(Duration::from_secs(15), "the retried delivery", || async {
        let attempts = received(&got, "deployment.succeeded");
        (attempts.len() == 2).then_some(attempts)
    })
    .await;
    assert_eq!(attempts[0].0, attempts[1].0, "one delivery, two attempts");
    assert_eq!(attempts[1].1.app, "hooked");
    assert_eq!(attempts[1].1.deployment, Some(id));
    let log = eventually(
        Duration::from_secs(5),
        "the delivery logged as delivered",
        || async {
            let log: Vec<WebhookDelivery> = server
                .get(&format!("/api/v1/webhooks/{}/deliveries", hook.id))
                .await
                .json()
                .await
                .ok()?;
            log.iter()
                .any(|d| d.event == "deployment.succeeded" && d.status == DeliveryStatus::Delivered)
                .then_some(log)
        },
    )
    .await;
    let succeeded = log
        .iter()
        .find(|d| d.event == "deployment.succeeded")
        .unwrap();
    assert_eq!(
        (succeeded.attempts, succeeded.response_status),
        (2, Some(200))
    );
    assert_eq!(succeeded.id.to_string(), attempts[0].0);

    // A version that fails, with its reason.
    let failing: shared::v1::Deployment = server
        .redeploy("hooked", apps::crashing_app())
        .await
        .json()
        .await
        .unwrap();
    server.wait_deployment(failing.id).await;
    let failed = eventually(Duration::from_secs(10), "deployment.failed", || async {
        received(&got, "deployment.failed").pop()
    })
    .await;
    assert_eq!(failed.1.deployment, Some(failing.id));
    assert!(failed.1.error.is_some_and(|e| e.contains("exited")));

    // The app stopped behind Milkcrate's back.
    docker::docker(&[
        "stop",
        "-t",
        "1",
        &format!("{}-hooked-{id}", server.instance),
    ]);
    let exited = eventually(Duration::from_secs(10), "app.exited", || async {
        received(&got, "app.exited").pop()
    })
    .await;
    assert_eq!(exited.1.app, "hooked");

    let response = server
        .delete(&format!("/api/v1/webhooks/{}", hook.id))
        .await;
    assert_eq!(response.status(), 204);
    let response = server
        .get(&format!("/api/v1/webhooks/{}/deliveries", hook.id))
        .await;
    assert_eq!(response.status(), 404);
}
