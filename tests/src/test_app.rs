//! An in-process Milkcrate for API-contract tests that need no Docker: the real router and
//! domain on a real SQLite file, served on a loopback listener, with the in-memory runtime in
//! place of Docker. Milliseconds to start, so refusals, error shapes and auth are tested here;
//! whatever proves that deploying works stays in the end-to-end suite.

use std::{net::SocketAddr, path::Path, sync::Arc};

use milkcrate::{domain::testing::TestPlatform, runtime::fake::FakeRuntime};
use reqwest::{StatusCode, multipart};
use serde::de::DeserializeOwned;
use shared::v1::{ErrorBody, LoginResponse};
use tokio::sync::oneshot;

use crate::PASSWORD;

/// A refused request: its status and the error body every refusal carries.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub body: ErrorBody,
}

/// Milkcrate served in this process; stopped when dropped.
pub struct TestApp {
    test: TestPlatform,
    address: SocketAddr,
    pub http: reqwest::Client,
    token: String,
    stop: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// Serves a fresh instance and logs in.
    pub async fn start() -> Self {
        Self::with_env(&[]).await
    }

    /// Serves a fresh instance configured by these environment variables, and logs in.
    pub async fn with_env(env: &[(&str, &str)]) -> Self {
        let mut env = env.to_vec();
        env.push(("MILKCRATE_ADMIN_PASSWORD", PASSWORD));
        let test = TestPlatform::with_env(&env).await;
        let state = milkcrate::prepare(test.platform.clone())
            .await
            .expect("the platform prepares");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("its address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(milkcrate::serve_on(listener, state, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let login: LoginResponse = http
            .post(format!("http://{address}/api/v1/auth/login"))
            .json(&serde_json::json!({ "password": PASSWORD }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("a login body");
        Self {
            test,
            address,
            http,
            token: login.token,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// The data folder the instance owns.
    pub fn data(&self) -> &Path {
        self.test.data.path()
    }

    /// The in-memory runtime, to script and to inspect.
    pub fn runtime(&self) -> &Arc<FakeRuntime> {
        &self.test.runtime
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
    }

    /// `POST /api/v1/apps` with a ZIP.
    pub async fn create_app(&self, name: &str, route: &str, zip: Vec<u8>) -> reqwest::Response {
        let form = multipart::Form::new()
            .text("name", name.to_string())
            .text("route", route.to_string())
            .part("file", multipart::Part::bytes(zip).file_name("app.zip"));
        self.http
            .post(self.url("/api/v1/apps"))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("create app")
    }

    /// `GET path` as the typed answer, or the refusal.
    pub async fn fetch<T: DeserializeOwned>(&self, path: &str) -> Result<T, Refusal> {
        typed(self.get(path).await).await
    }
}

/// A response as `T` when it succeeded, else as the refusal it carries.
pub async fn typed<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Refusal> {
    let status = response.status();
    if status.is_success() {
        Ok(response.json().await.expect("the documented body"))
    } else {
        Err(Refusal {
            status,
            body: response.json().await.expect("an error body"),
        })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
