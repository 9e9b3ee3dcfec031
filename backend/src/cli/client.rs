//! The HTTP side of the client commands: the server and token in use, requests, and errors read
//! from the server's `ErrorBody` into one line that says what to do.

use anyhow::{Context, bail};
use futures_util::StreamExt;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use shared::v1::{App, ErrorBody, LogLine, fields::query};

use super::{ServerArgs, login, sse};

/// A server and the token to call it with.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// From the flags, else the environment (clap reads both), else the saved login.
    pub fn connect(server: ServerArgs) -> anyhow::Result<Self> {
        let saved = match (&server.url, &server.token) {
            (Some(_), Some(_)) => login::Saved::default(),
            _ => login::load()?,
        };
        let url = server.url.or(saved.url).context(
            "which server? Run `milkcrate login --url <address>`, or set MILKCRATE_URL and MILKCRATE_TOKEN",
        )?;
        let token = server.token.or(saved.token).context(
            "no API token: run `milkcrate login`, or set MILKCRATE_TOKEN (create a token in the dashboard)",
        )?;
        Self::new(&url, &token)
    }

    pub fn new(url: &str, token: &str) -> anyhow::Result<Self> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the server's address must start with http:// or https://, not `{base}`");
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("milkcrate-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base,
            token: token.trim().to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request to `path` (under the server's address) with the token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Sends, and returns the answer if it succeeded, else the server's reason as the error.
    pub async fn send(&self, request: RequestBuilder) -> anyhow::Result<Response> {
        let response = request
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach {}: {}", self.base, root_cause(&e)))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(refusal(response).await)
    }

    /// `send`, then the body as JSON.
    pub async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> anyhow::Result<T> {
        self.send(request).await?.json().await.context(
            "the server's answer is not what this client expects; are both the same version?",
        )
    }

    pub async fn apps(&self) -> anyhow::Result<Vec<App>> {
        self.json(self.request(reqwest::Method::GET, "/api/v1/apps"))
            .await
    }

    /// `milkcrate apps`: a table that fits a terminal and a CI log.
    pub async fn print_apps(&self) -> anyhow::Result<()> {
        let apps = self.apps().await?;
        if apps.is_empty() {
            println!("no apps yet: deploy one with `milkcrate deploy`");
            return Ok(());
        }
        let rows: Vec<[String; 4]> = apps
            .iter()
            .map(|app| {
                [
                    app.name.clone(),
                    serde_json::to_value(app.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    app.route.clone(),
                    app.current_deployment
                        .as_ref()
                        .map_or_else(|| "-".to_string(), |d| d.id.to_string()),
                ]
            })
            .collect();
        let header = ["NAME", "STATUS", "ROUTE", "DEPLOYMENT"].map(str::to_string);
        let width = |i: usize| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2)];
        for row in [&header].into_iter().chain(&rows) {
            println!(
                "{:w0$}  {:w1$}  {:w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
        }
        Ok(())
    }

    /// `milkcrate logs`: the last lines, then (with `follow`) new ones as they come.
    pub async fn print_logs(&self, name: &str, follow: bool) -> anyhow::Result<()> {
        let path = format!("/api/v1/apps/{name}/logs");
        if !follow {
            let lines: Vec<LogLine> = self
                .json(
                    self.request(reqwest::Method::GET, &path)
                        .query(&[(query::TAIL, "200")]),
                )
                .await?;
            for line in &lines {
                print_line(line);
            }
            return Ok(());
        }
        let response = self
            .send(
                self.request(reqwest::Method::GET, &path)
                    .query(&[(query::TAIL, "200"), (query::FOLLOW, "true")]),
            )
            .await?;
        let mut events = Box::pin(sse::events(response.bytes_stream().boxed()));
        while let Some(event) = events.next().await {
            let event = event?;
            if event.name == "log"
                && let Ok(line) = serde_json::from_str::<LogLine>(&event.data)
            {
                print_line(&line);
            }
        }
        bail!("the server closed the log stream (the app stopped, or the server restarted)")
    }
}

fn print_line(line: &LogLine) {
    match &line.service {
        Some(service) => println!("{service} | {}", line.text),
        None => println!("{}", line.text),
    }
}

/// The innermost cause of a connection error: "Connection refused", "invalid peer certificate".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// The server said no: its status, and its reason for a person.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub status: StatusCode,
    message: String,
}

/// The server's refusal: its message, each field's problems, and what to do on a 401.
async fn refusal(response: Response) -> anyhow::Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let Ok(body) = serde_json::from_str::<ErrorBody>(&text) else {
        let message = format!("the server answered {status}: {}", text.trim());
        return Refused { status, message }.into();
    };
    let mut message = format!("{} ({status})", body.message);
    for (field, problems) in &body.fields {
        message.push_str(&format!("\n  {field}: {}", problems.join("; ")));
    }
    if status == StatusCode::UNAUTHORIZED {
        message.push_str("\n  check the token: `milkcrate login`, or MILKCRATE_TOKEN");
    }
    Refused { status, message }.into()
}
