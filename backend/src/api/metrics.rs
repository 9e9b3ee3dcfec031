//! `GET /metrics`: Prometheus text format (apps by status, deployments by outcome with their
//! durations, HTTP requests by route and status), for a bearer token or the admin session; and
//! the middleware that counts requests by their route template (bounded: never by raw path).

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};

use super::{ApiResult, extract::Admin};
use crate::state::AppState;

/// A request's method, route template and status.
type RequestKey = (String, String, u16);

/// Requests by method, route template and status.
#[derive(Default, Clone)]
pub struct HttpCounters(Arc<Mutex<BTreeMap<RequestKey, u64>>>);

impl HttpCounters {
    fn count(&self, method: &str, route: &str, status: u16) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *counts
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
    }

    fn snapshot(&self) -> BTreeMap<RequestKey, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Counts every request under its route template (`/api/v1/apps/{name}`), or `other`.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let method = request.method().to_string();
    let response = next.run(request).await;
    state
        .http_counters
        .count(&method, &route, response.status().as_u16());
    response
}

async fn metrics(State(state): State<AppState>, _: Admin) -> ApiResult<Response> {
    let figures = state.platform.figures().await?;
    let mut text = String::new();
    let _ = writeln!(text, "# HELP milkcrate_apps Apps by status.");
    let _ = writeln!(text, "# TYPE milkcrate_apps gauge");
    for (status, count) in &figures.apps {
        let _ = writeln!(text, "milkcrate_apps{{status=\"{status}\"}} {count}");
    }
    let _ = writeln!(text, "# HELP milkcrate_deployments Deployments by status.");
    let _ = writeln!(text, "# TYPE milkcrate_deployments gauge");
    for (status, (count, _)) in &figures.deployments {
        let _ = writeln!(text, "milkcrate_deployments{{status=\"{status}\"}} {count}");
    }
    let _ = writeln!(
        text,
        "# HELP milkcrate_deployment_seconds_total Seconds from upload to the end, summed by outcome."
    );
    let _ = writeln!(text, "# TYPE milkcrate_deployment_seconds_total counter");
    for (status, (_, seconds)) in &figures.deployments {
        let _ = writeln!(
            text,
            "milkcrate_deployment_seconds_total{{status=\"{status}\"}} {seconds:.3}"
        );
    }
    let _ = writeln!(
        text,
        "# HELP milkcrate_http_requests_total HTTP requests by route and status."
    );
    let _ = writeln!(text, "# TYPE milkcrate_http_requests_total counter");
    for ((method, route, status), count) in state.http_counters.snapshot() {
        let _ = writeln!(
            text,
            "milkcrate_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
            route.replace('\\', "\\\\").replace('"', "\\\"")
        );
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
