//! The OpenAPI 3.1 document, generated from the handlers' annotations and the `shared` types.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Milkcrate API", description = "Deploy containerized apps from a ZIP. JSON only; errors share one shape (`ErrorBody`)."),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Password-only admin sessions"),
        (name = "apps", description = "Apps and their lifecycle"),
        (name = "deployments", description = "Versions of apps and their build logs"),
        (name = "releases", description = "Variables, secrets, health path, limits and route of an app, and rollback: each a release without a build"),
        (name = "settings", description = "Platform settings"),
        (name = "volumes", description = "Managed volumes and the files in them"),
        (name = "events", description = "What changes, as Server-Sent Events"),
        (name = "backups", description = "Backups of the database, volumes and images, and their restore"),
        (name = "public", description = "What anonymous visitors see"),
        (name = "tokens", description = "API tokens for scripts and CI, managed from the admin session"),
        (name = "certificates", description = "Certificates uploaded for a host instead of an ACME order; keys go in, never out"),
        (name = "webhooks", description = "Outgoing webhooks: signed deployment and app events, with a delivery log"),
        (name = "audit", description = "Who did what, from where: logins and changes"),
    )
)]
pub struct ApiDoc;

/// The document as served: the generated one with the server's constraints and shared answers
/// ([`super::contract`]).
pub fn document(spec: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(spec).unwrap_or_default();
    super::contract::apply(&mut doc);
    doc
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The session token from login (a JWT), or an API token (`mc_...`) within \
                         its scope: a token outside its scope gets 403 naming the scope needed",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::SESSION_COOKIES[1],
                "Session cookie set by login (`__Host-milkcrate_session` over HTTPS); writes also need the X-CSRF-Token header",
            ))),
        );
    }
}
