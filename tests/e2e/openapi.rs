//! The OpenAPI document describes every route the API serves.

use integration_tests::{Server, ServerOptions};

/// Every API route, as (method, path). A route added to the server but not to the spec fails here;
/// so does one removed from the server.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/session"),
    ("put", "/api/v1/auth/password"),
    ("get", "/api/v1/apps"),
    ("post", "/api/v1/apps"),
    ("get", "/api/v1/apps/{name}"),
    ("delete", "/api/v1/apps/{name}"),
    ("post", "/api/v1/apps/{name}/start"),
    ("post", "/api/v1/apps/{name}/stop"),
    ("post", "/api/v1/apps/{name}/restart"),
    ("get", "/api/v1/apps/{name}/logs"),
    ("get", "/api/v1/apps/{name}/stats"),
    ("get", "/api/v1/apps/{name}/deployments"),
    ("post", "/api/v1/apps/{name}/deployments"),
    ("patch", "/api/v1/apps/{name}"),
    ("get", "/api/v1/apps/{name}/env"),
    ("put", "/api/v1/apps/{name}/env"),
    ("post", "/api/v1/apps/{name}/rollback"),
    ("put", "/api/v1/apps/{name}/domains"),
    ("get", "/api/v1/deployments/{id}"),
    ("get", "/api/v1/deployments/{id}/log"),
    ("get", "/api/v1/settings"),
    ("put", "/api/v1/settings"),
    ("get", "/api/v1/public/apps"),
    ("get", "/api/v1/volumes"),
    ("post", "/api/v1/volumes"),
    ("get", "/api/v1/volumes/{name}"),
    ("delete", "/api/v1/volumes/{name}"),
    ("get", "/api/v1/volumes/{name}/files"),
    ("delete", "/api/v1/volumes/{name}/files"),
    ("post", "/api/v1/volumes/{name}/upload"),
    ("post", "/api/v1/volumes/{name}/folders"),
    ("get", "/api/v1/volumes/{name}/download"),
    ("get", "/api/v1/volumes/{name}/archive"),
    ("get", "/api/v1/events"),
    ("post", "/api/v1/backups"),
    ("post", "/api/v1/backups/restore"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/certificates"),
    ("post", "/api/v1/certificates"),
    ("delete", "/api/v1/certificates/{host}"),
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("delete", "/api/v1/webhooks/{id}"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
];

#[tokio::test]
async fn every_route_is_in_the_openapi_document_and_served() {
    let server = Server::start(ServerOptions::api_only()).await;
    let spec: serde_json::Value = server
        .http
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        spec["openapi"]
    );
    let paths = spec["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "the spec has routes this test does not know: {:?}",
        paths.keys()
    );
    for (method, path) in ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is not documented"
        );
        // And the server really routes it (no 404/405 from the router itself).
        let concrete = path.replace("{name}", "nope").replace("{id}", "999999");
        let response = server
            .http
            .request(
                method.to_uppercase().parse().unwrap(),
                server.url(&concrete),
            )
            .send()
            .await
            .unwrap();
        assert_ne!(response.status().as_u16(), 405, "{method} {path}");
        if response.status().as_u16() == 404 {
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(
                !body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("nothing is served"),
                "{method} {path} is not routed"
            );
        }
    }
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
}
