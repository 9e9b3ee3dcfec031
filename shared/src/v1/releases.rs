//! Releases: an app's variables and secrets, its editable settings, and rollback.

use serde::{Deserialize, Deserializer, Serialize};

use super::Limits;

/// One variable of an app, as `GET /apps/{name}/env` shows it and `PUT` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvVar {
    /// `[A-Za-z_][A-Za-z0-9_]*`, unique within the app.
    pub key: String,
    /// The value; always `null` for a secret when read (a secret is never sent back). On `PUT`,
    /// a secret with `null` keeps the value it has.
    pub value: Option<String>,
    /// Sealed at rest, never shown, never logged.
    #[serde(default)]
    pub secret: bool,
}

/// A build argument (a Dockerfile `ARG`): visible in the image's history, so never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildArg {
    pub key: String,
    pub value: String,
}

/// An app's whole configuration of variables (`GET` and `PUT /apps/{name}/env`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppEnv {
    /// Container environment (a stack: `${VAR}` in the file, ahead of its `.env`, and the main
    /// service's environment).
    pub vars: Vec<EnvVar>,
    /// Build arguments for builds from an upload (the next one on; a configuration release
    /// does not rebuild).
    #[serde(default)]
    pub build_args: Vec<BuildArg>,
}

/// What made a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReleaseTrigger {
    /// An upload, built into a new image.
    #[default]
    Build,
    /// A configuration change on the current image, without a build.
    Config,
    /// An earlier release's image and configuration, again.
    Rollback,
}

/// `POST /apps/{name}/rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollbackRequest {
    /// The release (deployment id) to bring back.
    pub deployment: i64,
}

/// `PATCH /apps/{name}`: any of these; what is given makes a new release.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// A path such as `/healthz`: readiness (and the proxy's health check) wants a 2xx or 3xx
    /// there. `null` goes back to "any HTTP reply".
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub health_path: Option<Option<String>>,
    /// Within the platform's maximums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// A new route; the app moves at the switchover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The app's host names, all of them (`[]` removes them); routed within a poll of the proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_health_path_clears_it_and_an_absent_one_keeps_it() {
        let clear: AppPatch = serde_json::from_str(r#"{"health_path": null}"#).unwrap();
        assert_eq!(clear.health_path, Some(None));
        let keep: AppPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(keep.health_path, None);
        assert!(serde_json::from_str::<AppPatch>(r#"{"helth_path": "/"}"#).is_err());
    }
}
