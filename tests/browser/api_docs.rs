//! `GET /api/docs`: Swagger UI renders the served document in Chromium, every byte of it from
//! this server (no CDN), under a policy without inline code or eval.

use std::time::Duration;

use integration_tests::{Server, ServerOptions, eventually};

use super::{dashboard_dir, driver::Browser, js};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_renders_every_operation_from_this_server_alone() {
    let server = Server::start(ServerOptions {
        extra_env: vec![("MILKCRATE_DASHBOARD_DIR".into(), dashboard_dir())],
        ..ServerOptions::api_only()
    })
    .await;

    // The page and what it loads: from this server, each under the same strict policy.
    let page = server
        .http
        .get(server.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = page.text().await.unwrap();
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with('/') || s.starts_with("http"))
        .collect();
    assert_eq!(assets.len(), 3, "{html}");
    for asset in assets {
        assert!(
            asset.starts_with("/api/docs/"),
            "{asset} is not this server's"
        );
        let response = server.http.get(server.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["content-security-policy"],
            policy.as_str()
        );
    }

    // Rendered: one block per operation of the document, styled by Swagger UI's sheet.
    let spec: serde_json::Value = server
        .http
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let b = Browser::start(&server.url("")).await;
    b.goto("/api/docs").await;
    let shown = eventually(Duration::from_secs(20), "the operations", || {
        let b = &b;
        async move {
            let n = js(b, "document.querySelectorAll('.opblock').length").await;
            (n.as_u64() == Some(operations as u64)).then_some(n)
        }
    })
    .await;
    assert_eq!(shown, operations);
    let title = js(
        &b,
        "document.querySelector('.swagger-ui .info .title').textContent",
    )
    .await;
    assert!(
        title.as_str().unwrap().starts_with("Milkcrate API"),
        "{title}"
    );
    let size = js(
        &b,
        "getComputedStyle(document.querySelector('.swagger-ui .info .title')).fontSize",
    )
    .await;
    assert_eq!(size, "36px", "Swagger UI's stylesheet applies");
    // Everything the browser fetched came from this origin.
    let fetched = js(
        &b,
        "performance.getEntriesByType('resource').map(e => e.name)",
    )
    .await;
    let fetched = fetched.as_array().unwrap();
    assert!(fetched.len() >= 4, "{fetched:?}");
    for url in fetched {
        assert!(
            url.as_str().unwrap().starts_with(&server.url("/")),
            "{url} is not this server's"
        );
    }
    b.screenshot("api-docs").await;
    b.close().await;
}
