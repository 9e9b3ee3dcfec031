//! Login, sessions, CSRF and the login rate limits.

use integration_tests::{PASSWORD, Server, ServerOptions};
use reqwest::StatusCode;

async fn api_only() -> Server {
    Server::start(ServerOptions::api_only()).await
}

async fn login(server: &Server, password: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_passwords_and_missing_tokens_get_401_json() {
    let server = api_only().await;
    let response = login(&server, "not the password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["message"], "wrong password");

    let anonymous = server
        .http
        .get(server.url("/api/v1/apps"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = server
        .http
        .get(server.url("/api/v1/apps"))
        .bearer_auth("eyJhbGciOiJIUzI1NiJ9.e30.x")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_is_rate_limited_per_client() {
    let server = api_only().await;
    // The harness already logged in once; four more attempts fill the minute's five.
    for _ in 0..4 {
        assert_eq!(
            login(&server, "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = login(&server, integration_tests_password()).await;
    assert_eq!(
        limited.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

fn integration_tests_password() -> &'static str {
    "test-password-123"
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_login_limit() {
    let server = api_only().await;
    let change = |current: &'static str| {
        server
            .http
            .put(server.url("/api/v1/auth/password"))
            .bearer_auth(server.token())
            .json(&serde_json::json!({ "current_password": current, "new_password": "another-password" }))
            .send()
    };
    // The harness's login was the first of the minute's five attempts.
    for _ in 0..4 {
        assert_eq!(
            change("guess").await.unwrap().status(),
            StatusCode::FORBIDDEN
        );
    }
    let limited = change("guess").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=60).contains(&retry_after(&limited)));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // The right current password waits too, and so does a login from the same address.
    let right = change(integration_tests_password()).await.unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login(&server, integration_tests_password()).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Nothing changed.
    assert_eq!(
        server.get("/api/v1/auth/session").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn failed_logins_from_many_addresses_share_one_budget() {
    // Loopback is a trusted proxy here, so each request names its client in X-Forwarded-For.
    let server = Server::start(ServerOptions {
        extra_env: vec![
            ("MILKCRATE_LOGIN_FAILURES_PER_MINUTE".into(), "3".into()),
            ("MILKCRATE_TRUSTED_PROXIES".into(), "127.0.0.1".into()),
        ],
        ..ServerOptions::api_only()
    })
    .await;
    let login_from = |client: String, password: &'static str| {
        server
            .http
            .post(server.url("/api/v1/auth/login"))
            .header("x-forwarded-for", client)
            .json(&serde_json::json!({ "password": password }))
            .send()
    };
    // Successes do not use the budget.
    for n in 1..=5 {
        let ok = login_from(format!("198.51.100.{n}"), PASSWORD)
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
    // One guess each from three addresses, each far under its own limit, fills it.
    for n in 1..=3 {
        let guess = login_from(format!("203.0.113.{n}"), "guess").await.unwrap();
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
    }
    // Then everyone waits, a fresh address and the right password included.
    let limited = login_from("192.0.2.77".into(), PASSWORD).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=60).contains(&retry_after(&limited)));
    // Wrong current passwords are refused the same way; sessions keep working.
    let change = server
        .http
        .put(server.url("/api/v1/auth/password"))
        .bearer_auth(server.token())
        .json(
            &serde_json::json!({ "current_password": "guess", "new_password": "another-password" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(server.get("/api/v1/apps").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_header_for_writes() {
    let server = api_only().await;
    let response = login(&server, integration_tests_password()).await;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("milkcrate_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    // The session goes only to the API and the CSRF token only to the dashboard: apps share the
    // origin, and must never receive either.
    assert!(session.contains("Path=/api;"), "{session}");
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("milkcrate_csrf="))
        .expect("csrf cookie");
    assert!(
        csrf_cookie.contains("Path=/admin;") && !csrf_cookie.contains("HttpOnly"),
        "{csrf_cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let cookie = session.split(';').next().unwrap().to_string();

    let read = server
        .http
        .get(server.url("/api/v1/settings"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let payload = serde_json::json!({ "default_home_route": null });
    let forged = server
        .http
        .put(server.url("/api/v1/settings"))
        .header("cookie", &cookie)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let allowed = server
        .http
        .put(server.url("/api/v1/settings"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let server = api_only().await;
    let old_token = login(&server, integration_tests_password())
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let change = |current: &str, new: &str| {
        server
            .http
            .put(server.url("/api/v1/auth/password"))
            .bearer_auth(&old_token)
            .json(&serde_json::json!({ "current_password": current, "new_password": new }))
            .send()
    };
    let wrong = change("nope", "another-password").await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let weak = change(integration_tests_password(), "short").await.unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let changed = change(integration_tests_password(), "another-password")
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let new_token = changed.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let with_old = server
        .http
        .get(server.url("/api/v1/apps"))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_old.status(), StatusCode::UNAUTHORIZED);
    let with_new = server
        .http
        .get(server.url("/api/v1/apps"))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_new.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_default_home_route_must_be_an_app() {
    let server = api_only().await;
    let response = server
        .http
        .put(server.url("/api/v1/settings"))
        .bearer_auth(
            login(&server, integration_tests_password())
                .await
                .json::<serde_json::Value>()
                .await
                .unwrap()["token"]
                .as_str()
                .unwrap(),
        )
        .json(&serde_json::json!({ "default_home_route": "//evil.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["fields"]["default_home_route"].is_array(), "{body}");
}
