//! What the edge asks of Milkcrate: the managed proxy's routes (for its HTTP provider, guarded
//! by the proxy token), and the public landing the apps' entry point shows. Neither is part of
//! the documented API. On the apps' entry point, every path no app claims is put under
//! `/landing` by the proxy, so only these handlers answer there: never the API or the dashboard.
//! Plain HTTP on a host that has HTTPS is put under `/to-https` and answered with a 308.

use axum::{
    Router,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{any, get},
};

use super::{ApiError, ApiResult};
use crate::{
    domain::{
        PROXY_CONFIG_ENDPOINT as CONFIG_ENDPOINT, PROXY_TOKEN_HEADER as TOKEN_HEADER, TO_HTTPS_PATH,
    },
    state::AppState,
};

/// A page with no scripts, no frames and no forms: a list of links.
const LANDING_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(CONFIG_ENDPOINT, get(proxy_config))
        .route("/landing", get(landing))
        .route("/landing/", get(landing))
        .route("/landing/{*rest}", any(nothing_here))
        .route(TO_HTTPS_PATH, any(to_https))
        .route(&format!("{TO_HTTPS_PATH}/{{*rest}}"), any(to_https))
}

/// Plain HTTP on an app's host name (or the admin host) with HTTPS on: a 308 to the same URL
/// over HTTPS, whatever the method.
async fn to_https(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let path = uri.path().strip_prefix(TO_HTTPS_PATH).unwrap_or_default();
    let path = if path.is_empty() { "/" } else { path };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    let location = state
        .platform
        .https_location(host, &path_and_query)
        .ok_or_else(|| ApiError::NotFound(format!("nothing is served at {}", uri.path())))?;
    let location = HeaderValue::from_str(&location)
        .map_err(|_| ApiError::NotFound("nothing is served here".into()))?;
    Ok((
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, location)],
    )
        .into_response())
}

/// Traefik's dynamic configuration. Without the token it is not there at all; with it, the
/// caller is the proxy.
async fn proxy_config(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let sent = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(sent.as_bytes(), state.platform.proxy_token().as_bytes()) {
        return Err(ApiError::NotFound(format!(
            "nothing is served at {CONFIG_ENDPOINT}"
        )));
    }
    state.platform.proxy_polled_from(peer.ip());
    Ok(axum::Json(state.platform.proxy_config()).into_response())
}

/// The apps' `/`: the default home route if one is set, else the running apps as links.
async fn landing(State(state): State<AppState>) -> ApiResult<Response> {
    if let Some(route) = state.platform.settings().await?.default_home_route {
        return Ok(Redirect::to(&format!("{route}/")).into_response());
    }
    let apps = state.platform.public_apps().await?;
    let items: String = apps
        .iter()
        .map(|a| {
            format!(
                "<li><a href=\"{route}/\">{name}</a> <small>{route}</small></li>",
                route = escape(&a.route),
                name = escape(&a.name)
            )
        })
        .collect();
    let list = if items.is_empty() {
        "<p>No apps are running yet.</p>".to_string()
    } else {
        format!("<ul>{items}</ul>")
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Apps</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}li{{margin:.4rem 0}}small{{color:#666}}</style></head><body><h1>Apps</h1>{list}</body></html>"
    );
    let mut response = Html(page).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LANDING_CSP),
    );
    Ok(response)
}

async fn nothing_here(Path(rest): Path<String>) -> ApiError {
    ApiError::NotFound(format!("nothing is served at /{rest}"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_tokens_compared_whole() {
        assert_eq!(escape("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
