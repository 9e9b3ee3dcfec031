//! Login, logout, session and password change.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::v1::{ChangePasswordRequest, ErrorBody, LoginRequest, LoginResponse, SessionInfo};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ApiError, ApiResult,
    client_ip::client_ip,
    cookie,
    extract::{Json, Session},
};
use crate::{auth::Attempt, domain::DomainError, state::AppState};

/// The session cookie over plain HTTP: only sent to the API.
const SESSION_COOKIE: &str = "milkcrate_session";
const SESSION_PATH: &str = "/api";
/// Over HTTPS: `__Host-` makes the browser refuse it unless it is `Secure`, host-only and for
/// `/`, so no other site (an app on another port of the same host name) can plant one.
const SECURE_SESSION_COOKIE: &str = "__Host-milkcrate_session";
/// Both names, as the session extractor reads them.
pub const SESSION_COOKIES: [&str; 2] = [SECURE_SESSION_COOKIE, SESSION_COOKIE];
/// The CSRF cookie of earlier versions: cleared at login and logout. The dashboard now keeps the
/// token in memory (from the login answer or `GET /auth/session`), where no app can plant one.
const OLD_CSRF_COOKIE: &str = "milkcrate_csrf";
const OLD_CSRF_PATH: &str = "/admin";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(session))
        .routes(routes!(change_password))
}

/// Cookies are marked `Secure` when the request reached the proxy over HTTPS.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https")
}

/// A new session for password version `version`: the token in the body (for API clients) and in
/// the cookies (for the dashboard).
fn new_session(state: &AppState, headers: &HeaderMap, version: i64) -> ApiResult<Response> {
    let (token, claims) = state.keys.issue(version)?;
    let max_age = i64::from(state.platform.config().session_hours) * 3600;
    let secure = is_https(headers);
    let body = LoginResponse {
        token: token.clone(),
        expires_at: claims.expires_at(),
        csrf_token: claims.csrf.clone(),
    };
    let mut response = axum::Json(body).into_response();
    let session = match secure {
        true => cookie::set(SECURE_SESSION_COOKIE, &token, "/", max_age, true, true),
        false => cookie::set(SESSION_COOKIE, &token, SESSION_PATH, max_age, true, false),
    };
    for value in [
        session,
        cookie::set(OLD_CSRF_COOKIE, "", OLD_CSRF_PATH, 0, false, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

/// Admits a password attempt (a login or a password change) from this request's client, or
/// refuses it with 429 before anything is hashed: per client address, and failed attempts from
/// all addresses together.
fn admit<'a>(
    state: &'a AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> ApiResult<(IpAddr, Attempt<'a>)> {
    let client = client_ip(
        peer,
        headers,
        &state.trusted_proxies,
        state.platform.proxy_address(),
    );
    // Refusals are logged at debug only, or a flood would fill the log; the limiter warns when
    // the global budget fills.
    let attempt = state.login_limiter.check(client).map_err(|refused| {
        tracing::debug!(client = %client, "password attempt from {client} refused: {refused:?}");
        ApiError::RateLimited(refused.retry_after())
    })?;
    Ok((client, attempt))
}

/// Log in with the admin password.
///
/// Returns a bearer token and sets the session cookie. Limited per client address (about five
/// attempts a minute) and in failed attempts from all addresses together (about 30 a minute);
/// over either limit the answer is 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "Wrong password"),
        (status = 429, body = ErrorBody, description = "Too many attempts"),
    ))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Response> {
    let (client, attempt) = admit(&state, peer, &headers)?;
    if !state
        .platform
        .check_password(&state.hasher, &request.password)
        .await?
    {
        tracing::warn!(client = %client, "failed login from {client}");
        return Err(ApiError::Unauthorized("wrong password".into()));
    }
    attempt.succeeded();
    let version = state.platform.password_version().await?;
    tracing::info!(client = %client, "admin logged in from {client}");
    new_session(&state, &headers, version)
}

/// Log out: clears the session cookies.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(headers: HeaderMap) -> Response {
    let secure = is_https(&headers);
    let mut response = StatusCode::NO_CONTENT.into_response();
    let cleared = [
        (SESSION_COOKIE, SESSION_PATH, false),
        (SECURE_SESSION_COOKIE, "/", true),
        (OLD_CSRF_COOKIE, OLD_CSRF_PATH, secure),
    ];
    for (name, path, secure) in cleared {
        if let Ok(v) = HeaderValue::from_str(&cookie::set(name, "", path, 0, true, secure)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("cookie" = [])))]
async fn session(Session(claims): Session) -> axum::Json<SessionInfo> {
    axum::Json(SessionInfo {
        user: claims.sub.clone(),
        expires_at: claims.expires_at(),
        csrf_token: claims.csrf.clone(),
    })
}

/// Change the admin password. Every other session ends; the reply carries a fresh one.
///
/// A wrong current password counts as a failed login: the same limits apply.
#[utoipa::path(put, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 403, body = ErrorBody, description = "The current password is wrong"),
        (status = 422, body = ErrorBody, description = "The new password is too weak"),
        (status = 429, body = ErrorBody, description = "Too many attempts"),
    ),
    security(("bearer" = []), ("cookie" = [])))]
async fn change_password(
    State(state): State<AppState>,
    _session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(request): Json<ChangePasswordRequest>,
) -> ApiResult<Response> {
    let (client, attempt) = admit(&state, peer, &headers)?;
    let changed = state
        .platform
        .change_password(
            &state.hasher,
            &request.current_password,
            &request.new_password,
        )
        .await;
    match &changed {
        // A guess at the password: it stays counted as a failure.
        Err(DomainError::WrongPassword) => {
            tracing::warn!(client = %client, "wrong current password from {client}");
        }
        // Changed, or refused before the current password was checked.
        _ => attempt.succeeded(),
    }
    new_session(&state, &headers, changed?)
}
