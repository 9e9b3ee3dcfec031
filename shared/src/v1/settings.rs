use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Platform settings (`GET`/`PUT /api/v1/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    /// Where anonymous visitors of `/` are sent; `null` shows the list of apps instead.
    /// It must be the route of an existing app.
    pub default_home_route: Option<String>,
}

/// One entry of the public landing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicApp {
    /// The app's name.
    pub name: String,
    /// Where the app is served, e.g. `/blog`.
    pub route: String,
    /// When its running version was deployed.
    #[cfg_attr(
        target_arch = "wasm32",
        serde(default, deserialize_with = "super::time::utc_option")
    )]
    pub deployed_at: Option<DateTime<Utc>>,
}

/// What visitors who are not logged in see (`GET /api/v1/public/apps`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicIndex {
    /// Set when visitors should be redirected there instead of seeing the list.
    pub default_home_route: Option<String>,
    /// Apps that are running, newest first.
    pub apps: Vec<PublicApp>,
}
