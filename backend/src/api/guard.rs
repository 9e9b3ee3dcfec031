//! Who may call what. [`RULES`] gives every API route the access it needs and the name its
//! changes get in the audit trail; [`guard`], a middleware on every API route, authenticates the
//! request (an API token, or the admin session: a bearer JWT, or the cookie plus `X-CSRF-Token` on
//! writes), checks it against the table, and records logins and changes. Handlers only take
//! [`Caller`] from the request (through `extract::Admin`).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State},
    http::{Method, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::v1::TokenScope;

use super::{ApiError, auth::SESSION_COOKIES, client_ip::client_ip, cookie};
use crate::{
    auth::Claims,
    domain::access::{
        audit::AuditRecord,
        tokens::{TOKEN_PREFIX, TokenCheck, TokenHolder},
    },
    state::AppState,
};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (login, the public app list).
    Public,
    /// The admin session, or a token of this scope or a wider one.
    Scope(TokenScope),
    /// The admin session only: managing tokens and the password.
    Session,
}

use Need::{Public, Scope, Session};
use TokenScope::{Admin, Deploy, Read};

/// Every API route: method, path template, what it needs, and the action its changes are recorded
/// as ("" for what is not recorded: reads, logout). A route missing here needs `admin` and fails
/// the test below.
pub const RULES: &[(&str, &str, Need, &str)] = &[
    ("POST", "/api/v1/auth/login", Public, "auth.login"),
    ("POST", "/api/v1/auth/logout", Public, ""),
    ("GET", "/api/v1/auth/session", Session, ""),
    ("PUT", "/api/v1/auth/password", Session, "auth.password"),
    ("GET", "/api/v1/public/apps", Public, ""),
    ("GET", "/api/v1/apps", Scope(Read), ""),
    ("POST", "/api/v1/apps", Scope(Deploy), "app.create"),
    ("GET", "/api/v1/apps/{name}", Scope(Read), ""),
    ("DELETE", "/api/v1/apps/{name}", Scope(Admin), "app.delete"),
    (
        "POST",
        "/api/v1/apps/{name}/start",
        Scope(Deploy),
        "app.start",
    ),
    (
        "POST",
        "/api/v1/apps/{name}/stop",
        Scope(Deploy),
        "app.stop",
    ),
    (
        "POST",
        "/api/v1/apps/{name}/restart",
        Scope(Deploy),
        "app.restart",
    ),
    (
        "POST",
        "/api/v1/apps/{name}/rollback",
        Scope(Deploy),
        "app.rollback",
    ),
    // Secrets come back as `null`: reading the variables is a read.
    ("GET", "/api/v1/apps/{name}/env", Scope(Read), ""),
    ("PUT", "/api/v1/apps/{name}/env", Scope(Deploy), "app.env"),
    ("PATCH", "/api/v1/apps/{name}", Scope(Deploy), "app.update"),
    (
        "PUT",
        "/api/v1/apps/{name}/domains",
        Scope(Deploy),
        "app.domains",
    ),
    ("GET", "/api/v1/apps/{name}/logs", Scope(Read), ""),
    ("GET", "/api/v1/apps/{name}/stats", Scope(Read), ""),
    ("GET", "/api/v1/apps/{name}/deployments", Scope(Read), ""),
    (
        "POST",
        "/api/v1/apps/{name}/deployments",
        Scope(Deploy),
        "app.deploy",
    ),
    ("GET", "/api/v1/deployments/{id}", Scope(Read), ""),
    ("GET", "/api/v1/deployments/{id}/log", Scope(Read), ""),
    ("GET", "/api/v1/events", Scope(Read), ""),
    ("GET", "/metrics", Scope(Read), ""),
    ("GET", "/api/v1/settings", Scope(Read), ""),
    ("PUT", "/api/v1/settings", Scope(Admin), "settings.update"),
    ("GET", "/api/v1/volumes", Scope(Read), ""),
    ("POST", "/api/v1/volumes", Scope(Admin), "volume.create"),
    ("GET", "/api/v1/volumes/{name}", Scope(Read), ""),
    (
        "DELETE",
        "/api/v1/volumes/{name}",
        Scope(Admin),
        "volume.delete",
    ),
    ("GET", "/api/v1/volumes/{name}/files", Scope(Read), ""),
    (
        "DELETE",
        "/api/v1/volumes/{name}/files",
        Scope(Admin),
        "volume.delete_path",
    ),
    (
        "POST",
        "/api/v1/volumes/{name}/upload",
        Scope(Admin),
        "volume.upload",
    ),
    (
        "POST",
        "/api/v1/volumes/{name}/folders",
        Scope(Admin),
        "volume.create_folder",
    ),
    // File contents may be secrets: not for `read`.
    ("GET", "/api/v1/volumes/{name}/download", Scope(Admin), ""),
    ("GET", "/api/v1/volumes/{name}/archive", Scope(Admin), ""),
    // A backup holds everything, secrets included; it is recorded although nothing changes.
    ("POST", "/api/v1/backups", Scope(Admin), "backup.create"),
    (
        "POST",
        "/api/v1/backups/restore",
        Scope(Admin),
        "backup.restore",
    ),
    // Who did what from where: the admin's business.
    ("GET", "/api/v1/audit", Scope(Admin), ""),
    // Webhook URLs and deliveries are the admin's business; secrets are never shown.
    ("GET", "/api/v1/webhooks", Scope(Admin), ""),
    ("POST", "/api/v1/webhooks", Scope(Admin), "webhook.create"),
    (
        "DELETE",
        "/api/v1/webhooks/{id}",
        Scope(Admin),
        "webhook.delete",
    ),
    ("GET", "/api/v1/webhooks/{id}/deliveries", Scope(Admin), ""),
    // Certificates come with private keys: the admin's business.
    ("GET", "/api/v1/certificates", Scope(Admin), ""),
    (
        "POST",
        "/api/v1/certificates",
        Scope(Admin),
        "certificate.upload",
    ),
    (
        "DELETE",
        "/api/v1/certificates/{host}",
        Scope(Admin),
        "certificate.delete",
    ),
    ("GET", "/api/v1/tokens", Session, ""),
    ("POST", "/api/v1/tokens", Session, "token.create"),
    ("DELETE", "/api/v1/tokens/{id}", Session, "token.revoke"),
];

/// The rule of `method` on the route template `path`: unknown routes need `admin`. `HEAD` is a
/// `GET` without its body (axum answers it with the `GET` handler).
pub fn rule(method: &Method, path: &str) -> (Need, &'static str) {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|(m, p, _, _)| *p == path && *m == method)
        .map_or((Scope(Admin), "unclassified"), |(_, _, need, action)| {
            (*need, action)
        })
}

/// Who is calling, as the guard established it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The admin, logged in with the password.
    Session(Claims),
    Token(TokenHolder),
}

impl Caller {
    /// The caller as the audit trail names it.
    pub fn actor(&self) -> String {
        match self {
            Self::Session(_) => SESSION_ACTOR.to_string(),
            Self::Token(holder) => format!("token:{}", holder.name),
        }
    }

    /// Whether this caller may do what `need` asks, or the 403 saying what it would take.
    fn may(&self, need: Need, method: &Method, path: &str) -> Result<(), ApiError> {
        let Self::Token(holder) = self else {
            return Ok(());
        };
        match need {
            Public => Ok(()),
            Scope(scope) if holder.scope >= scope => Ok(()),
            Scope(scope) => Err(ApiError::Forbidden(format!(
                "`{method} {path}` needs a token with the `{scope}` scope; this token has `{}`",
                holder.scope
            ))),
            Session => Err(ApiError::Forbidden(format!(
                "`{method} {path}` needs the admin session: API tokens cannot manage tokens or \
                 the password"
            ))),
        }
    }
}

const SESSION_ACTOR: &str = "admin session";

/// A change's target named in the answer by its handler, when the path does not hold it (the
/// name of a new app or token).
#[derive(Debug, Clone)]
pub struct AuditTarget(pub String);

/// The middleware: authenticate, authorize, run, record.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let (need, action) = rule(&method, &path);
    let (mut parts, body) = request.into_parts();
    let mut audit = Audit::of(&state, &mut parts, action).await;
    let caller = match need {
        Public => None,
        _ => match authenticate(&parts, &state).await {
            Ok(caller) => Some(caller),
            // Nobody to attribute it to: not recorded, or anyone could fill the trail.
            Err(refused) => return refused.into_response(),
        },
    };
    if let Some(caller) = caller {
        audit.actor = caller.actor();
        if let Err(refused) = caller.may(need, &method, &path) {
            let status = refused.classify().0;
            audit.write(&state, status, None).await;
            return refused.into_response();
        }
        parts.extensions.insert(caller);
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    let target = response
        .extensions()
        .get::<AuditTarget>()
        .map(|AuditTarget(t)| t.clone());
    audit.write(&state, status, target).await;
    response
}

/// A change (or login) on its way to the trail.
struct Audit {
    recorded: bool,
    action: &'static str,
    actor: String,
    target: String,
    client: String,
}

impl Audit {
    async fn of(state: &AppState, parts: &mut Parts, action: &'static str) -> Self {
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let target = RawPathParams::from_request_parts(parts, state)
            .await
            .map(|params| {
                params
                    .iter()
                    .map(|(_, value)| value.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                client_ip(
                    *peer,
                    &parts.headers,
                    &state.trusted_proxies,
                    state.platform.proxy_address(),
                )
                .to_string()
            })
            .unwrap_or_default();
        Self {
            recorded: !safe && !action.is_empty(),
            action,
            actor: "anonymous".into(),
            target,
            client,
        }
    }

    /// Records the change with the answer's status, and the target its handler named.
    async fn write(
        mut self,
        state: &AppState,
        status: axum::http::StatusCode,
        target: Option<String>,
    ) {
        if !self.recorded || status.as_u16() == 429 {
            // Refused before the password was even checked: not a login, and unbounded.
            return;
        }
        if let Some(target) = target {
            self.target = target;
        }
        if self.action == "auth.login" && status.is_success() {
            self.actor = SESSION_ACTOR.into();
        }
        let record = AuditRecord {
            actor: self.actor,
            action: self.action.to_string(),
            target: self.target,
            status: status.as_u16(),
            client: self.client,
        };
        if let Err(e) = state.platform.record(record).await {
            tracing::error!("cannot write to the audit trail: {e}");
        }
    }
}

/// The admin session or an API token, from the request's headers.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer.filter(|t| t.starts_with(TOKEN_PREFIX)) {
        // A header a browser never sends by itself: no CSRF check.
        return match state
            .platform
            .recognise_token(token, chrono::Utc::now())
            .await?
        {
            TokenCheck::Valid(holder) => Ok(Caller::Token(holder)),
            TokenCheck::Expired(at) => Err(ApiError::Unauthorized(format!(
                "this API token expired at {at}; create a new one"
            ))),
            TokenCheck::Unknown => Err(ApiError::Unauthorized(
                "unknown or revoked API token".into(),
            )),
        };
    }
    let (claims, from_cookie) = match bearer {
        Some(token) => {
            let claims = state.keys.verify(token).ok_or_else(|| {
                ApiError::Unauthorized("the session expired or is invalid; log in again".into())
            })?;
            (claims, false)
        }
        None => {
            // Another site on this host name (an app on another port) can plant cookies of the
            // same name: any one that verifies is the session, the others are ignored.
            let candidates = cookie::all(&parts.headers, &SESSION_COOKIES);
            if candidates.is_empty() {
                return Err(ApiError::Unauthorized("log in first".into()));
            }
            let claims = candidates
                .iter()
                .find_map(|token| state.keys.verify(token))
                .ok_or_else(|| {
                    ApiError::Unauthorized("the session expired or is invalid; log in again".into())
                })?;
            (claims, true)
        }
    };
    if claims.pwv != state.platform.password_version().await? {
        return Err(ApiError::Unauthorized(
            "the password changed; log in again".into(),
        ));
    }
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if from_cookie && !safe {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if sent != Some(claims.csrf.as_str()) {
            return Err(ApiError::Forbidden(
                "missing or wrong X-CSRF-Token header".into(),
            ));
        }
    }
    Ok(Caller::Session(claims))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every route the API serves, as (METHOD, path), from the OpenAPI document the router is
    /// built with, plus `/metrics`.
    fn served() -> BTreeSet<(String, String)> {
        let (_, spec) = super::super::api_router();
        let mut routes: BTreeSet<(String, String)> = spec
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                let json = serde_json::to_value(item).unwrap_or_default();
                let methods: Vec<String> = json
                    .as_object()
                    .map(|o| {
                        o.keys()
                            .filter(|k| {
                                ["get", "post", "put", "delete", "patch"].contains(&k.as_str())
                            })
                            .map(|k| k.to_uppercase())
                            .collect()
                    })
                    .unwrap_or_default();
                methods.into_iter().map(move |m| (m, path.clone()))
            })
            .collect();
        routes.insert(("GET".into(), "/metrics".into()));
        routes
    }

    #[test]
    fn every_served_route_is_classified_and_every_rule_is_served() {
        let served = served();
        assert!(served.len() > 30, "{served:?}");
        for (method, path) in &served {
            assert!(
                RULES.iter().any(|(m, p, _, _)| m == method && p == path),
                "{method} {path} has no rule in api/guard.rs: decide what it needs"
            );
        }
        for (method, path, _, _) in RULES {
            assert!(
                served.contains(&(method.to_string(), path.to_string())),
                "{method} {path} has a rule but is not served"
            );
        }
    }

    #[test]
    fn reads_need_read_except_secrets_and_writes_are_recorded() {
        for (method, path, need, action) in RULES {
            if *method == "GET" {
                assert!(action.is_empty(), "{path}");
            } else if *path != "/api/v1/auth/logout" {
                assert!(!action.is_empty(), "{method} {path} is not recorded");
            }
            if *method != "GET" {
                assert_ne!(*need, Scope(Read), "{method} {path}: a write for `read`");
            }
        }
        let get = |path| rule(&Method::GET, path).0;
        assert_eq!(get("/api/v1/volumes/{name}/download"), Scope(Admin));
        assert_eq!(get("/api/v1/tokens"), Session);
        assert_eq!(get("/api/v1/apps/{name}/logs"), Scope(Read));
        assert_eq!(rule(&Method::POST, "/api/v1/apps").0, Scope(Deploy));
        assert_eq!(rule(&Method::HEAD, "/api/v1/apps").0, Scope(Read));
        assert_eq!(rule(&Method::PATCH, "/api/v1/anything").0, Scope(Admin));
    }

    #[test]
    fn tokens_are_held_to_their_scope_and_never_manage_tokens() {
        let token = |scope| {
            Caller::Token(TokenHolder {
                id: 1,
                name: "ci".into(),
                scope,
            })
        };
        let post = Method::POST;
        let refused = token(Read)
            .may(Scope(Deploy), &post, "/api/v1/apps")
            .unwrap_err()
            .to_string();
        assert!(refused.contains("`deploy` scope"), "{refused}");
        assert!(token(Deploy).may(Scope(Deploy), &post, "/x").is_ok());
        assert!(token(Deploy).may(Scope(Admin), &post, "/x").is_err());
        assert!(token(Admin).may(Scope(Admin), &post, "/x").is_ok());
        let refused = token(Admin)
            .may(Session, &post, "/api/v1/tokens")
            .unwrap_err()
            .to_string();
        assert!(refused.contains("admin session"), "{refused}");
        assert_eq!(token(Read).actor(), "token:ci");
    }
}
