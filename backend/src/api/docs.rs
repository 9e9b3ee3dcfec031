//! `GET /api/docs`: the API reference, Swagger UI rendering `/api/v1/openapi.json`. The page and
//! its start script are in the binary; Swagger UI itself (pinned npm `swagger-ui-dist`) is read
//! from `<dashboard dir>/api-docs`, where `scripts/api-docs.sh` puts it, so nothing is fetched
//! from elsewhere and a host without internet shows the reference.

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::IntoResponse,
    routing::get,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use super::ApiError;
use crate::state::AppState;

const PAGE: &str = include_str!("docs/index.html");
const INIT: &str = include_str!("docs/init.js");

/// Scripts and styles from this origin only (no inline code, no eval), requests to this origin
/// only (the document and "Try it out"), images also as `data:` (Swagger UI's icons).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes(dashboard_dir: &Path) -> Router<AppState> {
    let assets = dashboard_dir.join("api-docs");
    let router = if assets.join("swagger-ui-bundle.js").is_file() {
        Router::new()
            .route(
                "/api/docs",
                get(|| async { page(PAGE, "text/html; charset=utf-8") }),
            )
            .route(
                "/api/docs/init.js",
                get(|| async { page(INIT, "text/javascript; charset=utf-8") }),
            )
            .nest_service("/api/docs/assets", ServeDir::new(assets))
    } else {
        tracing::warn!(
            "no Swagger UI at {} (run scripts/api-docs.sh); /api/docs answers 404",
            assets.display()
        );
        Router::new().route(
            "/api/docs",
            get(|| async {
                ApiError::NotFound(
                    "the API reference is not installed on this server (scripts/api-docs.sh)"
                        .into(),
                )
            }),
        )
    };
    router.layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    ))
}

fn page(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], body)
}
