//! The HTTP surface: the whole URL space is readable in [`router`].

mod apps;
mod audit;
mod auth;
mod backups;
mod certificates;
pub mod client_ip;
mod contract;
mod cookie;
mod dashboard;
mod deployments;
mod docs;
mod domains;
mod download;
mod edge;
mod error;
mod events;
mod extract;
pub mod guard;
pub mod metrics;
mod openapi;
mod releases;
mod settings;
mod tokens;
mod upload;
mod volumes;
mod webhooks;

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderName, HeaderValue, Uri, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tower_http::{
    limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer, trace::TraceLayer,
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, ApiResult};

use crate::state::AppState;

/// JSON bodies are small; uploads have their own limit, enforced while streaming.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The API router and its OpenAPI description, built from the same route table.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::routes())
        .merge(apps::routes())
        .merge(domains::routes())
        .merge(certificates::routes())
        .merge(deployments::routes())
        .merge(releases::routes())
        .merge(settings::routes())
        .merge(volumes::routes())
        .merge(backups::routes())
        .merge(events::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
        .merge(webhooks::routes())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (api, spec) = api_router();
    let landing = dashboard::LandingPage::load(&state.platform.config().dashboard_dir);
    let spec = std::sync::Arc::new(openapi::document(spec));
    let max_upload = usize::try_from(state.platform.max_upload_bytes()).unwrap_or(usize::MAX);
    // Every API route, and /metrics, passes the guard: authentication, scopes, the audit trail.
    let guarded = api
        .merge(metrics::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ));
    Router::new()
        .merge(guarded)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { axum::Json(spec.as_ref().clone()) }),
        )
        .merge(docs::routes(&state.platform.config().dashboard_dir))
        .route("/healthz", get(healthz))
        .merge(edge::routes())
        .route(
            "/",
            get({
                let landing = landing.clone();
                move |state| home(state, landing.clone())
            }),
        )
        .merge(dashboard::routes(
            &state.platform.config().dashboard_dir,
            landing.as_ref(),
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .with_state(state)
        // Multipart uploads are streamed to disk and counted there; the outer limit only stops
        // bodies far beyond any allowed upload.
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(
            max_upload.saturating_add(1024 * 1024),
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            dashboard::DEFAULT_CSP,
        ))
        .layer(TraceLayer::new_for_http())
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Liveness: the process serves requests.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// `/` sends visitors to the default home route when one is set, else to the dashboard's public
/// landing page, which fetches the app list itself (without a built dashboard: the list as JSON).
async fn home(
    State(state): State<AppState>,
    landing: Option<dashboard::LandingPage>,
) -> ApiResult<Response> {
    if let Some(route) = state.platform.settings().await?.default_home_route {
        return Ok(Redirect::to(&format!("{route}/")).into_response());
    }
    match landing {
        Some(page) => Ok(page.into_response()),
        None => Ok(axum::Json(state.platform.public_index().await?).into_response()),
    }
}

async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("nothing is served at {}", uri.path()))
}
