//! The server refuses what its OpenAPI document excludes, naming the field, and the document
//! states the same bounds (built from the same constants). Schemathesis checks the whole surface
//! against a real server (`tests/e2e/contract.rs`); these are the cases a client meets first.

use integration_tests::{TestApp, apps, typed};
use reqwest::{StatusCode, multipart};
use shared::v1::{CreatedApp, VolumeListing};

async fn refused_at(server: &TestApp, path: &str, field: &str) {
    let refusal = typed::<serde_json::Value>(server.get(path).await)
        .await
        .expect_err(path);
    assert_eq!(
        refusal.status,
        StatusCode::BAD_REQUEST,
        "{path}: {:?}",
        refusal.body
    );
    assert!(
        refusal.body.fields.contains_key(field),
        "{path}: {:?}",
        refusal.body
    );
}

#[tokio::test]
async fn numbers_outside_the_documented_ranges_are_refused_not_clamped() {
    let server = TestApp::start().await;
    // Above i64 (the document's int64), and below zero.
    refused_at(
        &server,
        "/api/v1/deployments/1/log?offset=9223372036854775808",
        "offset",
    )
    .await;
    refused_at(&server, "/api/v1/deployments/1/log?offset=-1", "offset").await;
    // The largest offset is a well-formed request: no such deployment.
    let largest = server
        .get("/api/v1/deployments/1/log?offset=9223372036854775807")
        .await;
    assert_eq!(largest.status(), StatusCode::NOT_FOUND);

    refused_at(&server, "/api/v1/apps/any/logs?tail=1001", "tail").await;
    refused_at(&server, "/api/v1/apps/any/logs?tail=-1", "tail").await;

    let created = server
        .http
        .post(server.url("/api/v1/volumes"))
        .bearer_auth(server.token())
        .json(&serde_json::json!({"name": "pages"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    refused_at(&server, "/api/v1/volumes/pages/files?limit=0", "limit").await;
    refused_at(&server, "/api/v1/volumes/pages/files?limit=1001", "limit").await;
    refused_at(&server, "/api/v1/volumes/pages/files?offset=-1", "offset").await;
    let page: VolumeListing = server
        .fetch("/api/v1/volumes/pages/files?limit=1000")
        .await
        .expect("the largest page");
    assert!(page.entries.is_empty());

    // The document says the same.
    let doc: serde_json::Value = server
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let tail = doc["paths"]["/api/v1/apps/{name}/logs"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "tail")
        .unwrap();
    assert_eq!(tail["schema"]["maximum"], 1000);
    assert_eq!(tail["schema"]["minimum"], 0);
    assert_eq!(
        doc["components"]["schemas"]["CreateVolume"]["properties"]["name"]["pattern"],
        shared::validation::patterns::name()
    );
}

fn app_form() -> multipart::Form {
    multipart::Form::new()
        .text("name", "blog")
        .text("route", "/blog")
        .part(
            "file",
            multipart::Part::bytes(apps::web_app("blog")).file_name("app.zip"),
        )
}

async fn post_app(server: &TestApp, form: multipart::Form) -> reqwest::Response {
    server
        .http
        .post(server.url("/api/v1/apps"))
        .bearer_auth(server.token())
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn upload_forms_take_their_documented_parts_only() {
    let server = TestApp::start().await;

    // A misspelt part is named, not ignored.
    let typo = typed::<CreatedApp>(post_app(&server, app_form().text("mount", "[]")).await)
        .await
        .expect_err("an unknown part");
    assert_eq!(typo.status, StatusCode::BAD_REQUEST);
    assert!(
        typo.body.fields["mount"][0].contains("unknown form part"),
        "{:?}",
        typo.body
    );

    // An empty file is no archive: refused as one.
    let empty = multipart::Form::new()
        .text("name", "blog")
        .text("route", "/blog")
        .part(
            "file",
            multipart::Part::bytes(Vec::new()).file_name("app.zip"),
        );
    let empty = typed::<CreatedApp>(post_app(&server, empty).await)
        .await
        .expect_err("an empty file");
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body.fields["file"], ["the file is empty"]);

    // Mounts as one part per mount, as generators send an array: every one is read.
    let per_part = app_form()
        .part(
            "mounts",
            multipart::Part::text(r#"{"volume": "one", "target": "/one"}"#)
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "mounts",
            multipart::Part::text(r#"{"volume": "two", "target": "/two"}"#)
                .mime_str("application/json")
                .unwrap(),
        );
    let missing = typed::<CreatedApp>(post_app(&server, per_part).await)
        .await
        .expect_err("no such volumes");
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = missing.body.fields["mounts"].join("; ");
    assert!(
        problems.contains("`one`") && problems.contains("`two`"),
        "{problems}"
    );

    // `null` is no mounts, as the document's nullable array says.
    let created = typed::<CreatedApp>(post_app(&server, app_form().text("mounts", "null")).await)
        .await
        .expect("created without mounts");
    assert!(created.app.mounts.is_empty());
}
