//! The dashboard: Trunk's static output served at `/admin`, with client-side routes falling back
//! to `index.html`.

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use super::ApiError;
use crate::state::AppState;

/// The policy for API responses and anything without a page of its own.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// `landing` is the dashboard's page as loaded at start; without it there is no dashboard.
pub fn routes(dir: &Path, landing: Option<&LandingPage>) -> Router<AppState> {
    let Some(csp) = landing.map(|l| l.csp.clone()) else {
        tracing::warn!(
            "no dashboard at {} (run scripts/frontend.sh); /admin answers 404",
            dir.display()
        );
        return Router::new().route(
            "/admin",
            axum::routing::get(|| async {
                ApiError::NotFound("the dashboard is not built on this server".into())
            }),
        );
    };
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    let service = tower::ServiceBuilder::new()
        // Asset names carry content hashes; index.html must be revalidated so new builds show up.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .service(files);
    Router::new().nest_service("/admin", service)
}

/// The dashboard's `index.html` with its policy, read once at start, for `/` (the public landing
/// page is one of the dashboard's routes).
#[derive(Clone)]
pub struct LandingPage {
    html: std::sync::Arc<str>,
    csp: HeaderValue,
}

impl LandingPage {
    pub fn load(dir: &Path) -> Option<Self> {
        let html = std::fs::read_to_string(dir.join("index.html")).ok()?;
        let csp = csp_for(&html)?;
        Some(Self {
            html: html.into(),
            csp,
        })
    }
}

impl IntoResponse for LandingPage {
    fn into_response(self) -> Response {
        let mut response = Html(self.html.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, self.csp);
        response
    }
}

/// Trunk writes a small inline loader script into `index.html`. Rather than allowing inline
/// scripts in general, the policy allows exactly the ones in this build, by hash.
fn csp_for(html: &str) -> Option<HeaderValue> {
    let hashes: Vec<String> = inline_scripts(html)
        .map(|body| {
            let digest = Sha256::digest(body.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = DEFAULT_CSP.replace(
        "script-src 'self' 'wasm-unsafe-eval'",
        &format!("script-src 'self' 'wasm-unsafe-eval' {}", hashes.join(" ")),
    );
    HeaderValue::from_str(policy.trim()).ok()
}

/// Bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!attributes.contains("src=")).then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_nothing_else() {
        let html = r#"<html><script src="/admin/app.js"></script><script type="module">init()</script></html>"#;
        let csp = csp_for(html).unwrap();
        let csp = csp.to_str().unwrap();
        // sha256("init()"), base64.
        let expected = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()"))
        );
        assert!(csp.contains(&expected), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(inline_scripts(html).count(), 1);
    }
}
