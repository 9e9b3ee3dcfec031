//! The dashboard: Trunk's static output served at `/admin`, with client-side routes falling back
//! to `index.html`.

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use super::ApiError;
use crate::state::AppState;

pub fn routes(dir: &Path) -> Router<AppState> {
    if !dir.join("index.html").is_file() {
        tracing::warn!(
            "no dashboard at {} (run `trunk build --release`); /admin answers 404",
            dir.display()
        );
        return Router::new().route(
            "/admin",
            axum::routing::get(|| async {
                ApiError::NotFound("the dashboard is not built on this server".into())
            }),
        );
    }
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    // Asset names carry content hashes; index.html must be revalidated so new builds show up.
    let cache = SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    Router::new().nest_service(
        "/admin",
        tower::ServiceBuilder::new().layer(cache).service(files),
    )
}

/// The dashboard's `index.html`, for `/` (the public landing page is one of its routes).
pub async fn index_html(dir: &Path) -> Option<Response> {
    let html = tokio::fs::read_to_string(dir.join("index.html"))
        .await
        .ok()?;
    Some(Html(html).into_response())
}
