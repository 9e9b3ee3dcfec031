//! API tokens and their scopes, and the audit trail, in-process: who may do what, what each
//! refusal says, and what the trail records (never a secret).

use integration_tests::{PASSWORD, TestApp, apps::web_app, typed};
use reqwest::{Method, StatusCode, multipart};
use shared::v1::{ApiToken, AuditEntry, ErrorCode, NewToken, TokenScope};

/// Mints a token from the admin session.
async fn mint(app: &TestApp, name: &str, scope: &str) -> NewToken {
    let response = app
        .http
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(app.token())
        .json(&serde_json::json!({ "name": name, "scope": scope }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> reqwest::Response {
    app.http
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn deploy_with(app: &TestApp, token: &str, name: &str) -> reqwest::Response {
    let form = multipart::Form::new()
        .text("name", name.to_string())
        .text("route", format!("/{name}"))
        .part(
            "file",
            multipart::Part::bytes(web_app(name)).file_name("a.zip"),
        );
    app.http
        .post(app.url("/api/v1/apps"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn trail(app: &TestApp, query: &str) -> Vec<AuditEntry> {
    typed(
        call(
            app,
            Method::GET,
            &format!("/api/v1/audit{query}"),
            app.token(),
        )
        .await,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn each_scope_does_what_it_allows_and_is_told_what_it_lacks() {
    let app = TestApp::start().await;
    let read = mint(&app, "dashboard-tv", "read").await;
    let deploy = mint(&app, "ci", "deploy").await;
    let admin = mint(&app, "ops", "admin").await;
    assert!(read.token.starts_with("mc_"));
    assert_eq!(deploy.scope, TokenScope::Deploy);

    // read: every read but secrets.
    let apps = call(&app, Method::GET, "/api/v1/apps", &read.token).await;
    assert_eq!(apps.status(), StatusCode::OK);
    for path in ["/metrics", "/api/v1/settings", "/api/v1/volumes"] {
        let response = call(&app, Method::GET, path, &read.token).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let refused = typed::<serde_json::Value>(deploy_with(&app, &read.token, "nope").await)
        .await
        .unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body.code, ErrorCode::Forbidden);
    assert!(
        refused.body.message.contains("`deploy` scope"),
        "{}",
        refused.body.message
    );
    let audit = call(&app, Method::GET, "/api/v1/audit", &read.token).await;
    assert_eq!(audit.status(), StatusCode::FORBIDDEN);

    // deploy: creates apps, stops them, cannot delete them or mint tokens.
    let created = deploy_with(&app, &deploy.token, "shipped").await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    let delete = call(&app, Method::DELETE, "/api/v1/apps/shipped", &deploy.token).await;
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = delete.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("`admin` scope"),
        "{body}"
    );
    let mint_attempt = app
        .http
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&deploy.token)
        .json(&serde_json::json!({ "name": "escalated", "scope": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(mint_attempt.status(), StatusCode::FORBIDDEN);

    // admin: everything but tokens and the password.
    let audit = call(&app, Method::GET, "/api/v1/audit", &admin.token).await;
    assert_eq!(audit.status(), StatusCode::OK);
    for (method, path) in [
        (Method::GET, "/api/v1/tokens"),
        (Method::GET, "/api/v1/auth/session"),
        (Method::PUT, "/api/v1/auth/password"),
    ] {
        let response = call(&app, method.clone(), path, &admin.token).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("admin session"),
            "{body}"
        );
    }
    let listed: Vec<ApiToken> = typed(call(&app, Method::GET, "/api/v1/tokens", app.token()).await)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["ops", "ci", "dashboard-tv"]
    );
    assert!(listed.iter().all(|t| t.last_used_at.is_some()));
    // The list never holds a secret.
    let raw = call(&app, Method::GET, "/api/v1/tokens", app.token())
        .await
        .text()
        .await
        .unwrap();
    assert!(!raw.contains("mc_"), "{raw}");
}

#[tokio::test]
async fn revoked_expired_and_forged_tokens_get_401_at_once() {
    let app = TestApp::start().await;
    let token = mint(&app, "short-lived", "read").await;
    assert_eq!(
        call(&app, Method::GET, "/api/v1/apps", &token.token)
            .await
            .status(),
        StatusCode::OK
    );
    let revoked = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{}", token.id),
        app.token(),
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused =
        typed::<serde_json::Value>(call(&app, Method::GET, "/api/v1/apps", &token.token).await)
            .await
            .unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body.message, "unknown or revoked API token");
    let again = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{}", token.id),
        app.token(),
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let forged = call(&app, Method::GET, "/api/v1/events", "mc_forged").await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // Bad requests name the field.
    let bad = app
        .http
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(app.token())
        .json(&serde_json::json!({ "name": "a b", "scope": "read", "expires_in_days": 0 }))
        .send()
        .await
        .unwrap();
    let refused = typed::<serde_json::Value>(bad).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.fields.contains_key("name"));
    assert!(refused.body.fields.contains_key("expires_in_days"));
    let unknown_scope = app
        .http
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(app.token())
        .json(&serde_json::json!({ "name": "x", "scope": "root" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_scope.status(), StatusCode::BAD_REQUEST);
    mint(&app, "taken", "read").await;
    let taken = app
        .http
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(app.token())
        .json(&serde_json::json!({ "name": "taken", "scope": "read" }))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn cookie_sessions_still_need_the_csrf_header_to_mint() {
    let app = TestApp::start().await;
    let login = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("milkcrate_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let login: serde_json::Value = login.json().await.unwrap();
    let body = serde_json::json!({ "name": "from-cookie", "scope": "read" });
    let without = app
        .http
        .post(app.url("/api/v1/tokens"))
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let with = app
        .http
        .post(app.url("/api/v1/tokens"))
        .header("cookie", &cookie)
        .header("x-csrf-token", login["csrf_token"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_audit_trail_names_who_did_what_from_where_and_never_a_secret() {
    let app = TestApp::start().await;
    let wrong = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": "guessing-wrong" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ci = mint(&app, "ci", "deploy").await;
    assert_eq!(
        deploy_with(&app, &ci.token, "audited").await.status(),
        StatusCode::ACCEPTED
    );
    let read = mint(&app, "viewer", "read").await;
    assert_eq!(
        call(&app, Method::POST, "/api/v1/apps/audited/stop", &read.token)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Reads and anonymous refusals are not recorded.
    call(&app, Method::GET, "/api/v1/apps", &ci.token).await;
    let anonymous = app
        .http
        .post(app.url("/api/v1/apps/audited/stop"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let entries = trail(&app, "").await;
    let summary: Vec<(&str, &str, &str, u16)> = entries
        .iter()
        .map(|e| {
            (
                e.actor.as_str(),
                e.action.as_str(),
                e.target.as_str(),
                e.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("token:viewer", "app.stop", "audited", 403),
            ("admin session", "token.create", "viewer", 201),
            ("token:ci", "app.create", "audited", 202),
            ("admin session", "token.create", "ci", 201),
            ("anonymous", "auth.login", "", 401),
            ("admin session", "auth.login", "", 200),
        ]
    );
    assert!(
        entries.iter().all(|e| e.client == "127.0.0.1"),
        "{entries:?}"
    );
    let raw = call(&app, Method::GET, "/api/v1/audit", app.token())
        .await
        .text()
        .await
        .unwrap();
    for secret in [
        PASSWORD,
        "guessing-wrong",
        &ci.token,
        &read.token,
        app.token(),
    ] {
        assert!(!raw.contains(secret), "the trail holds a secret: {raw}");
    }

    // Paging by id, and filters.
    let page = trail(&app, &format!("?limit=2&before={}", entries[1].id)).await;
    assert_eq!(page, entries[2..4].to_vec());
    let by_ci = trail(&app, "?actor=token:ci").await;
    assert_eq!(by_ci, vec![entries[2].clone()]);
    let on_app = trail(&app, "?target=audited").await;
    assert_eq!(on_app.len(), 2);
    let too_many = call(&app, Method::GET, "/api/v1/audit?limit=5000", app.token()).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
