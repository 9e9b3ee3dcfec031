//! What a release records of the app's configuration, and how its secrets are opened to run it.

use serde::{Deserialize, Serialize};
use shared::v1::Mount;

use crate::{
    db::entities::{app, deployment},
    domain::{DomainResult, Platform, deploy::DeployError},
    runtime::ContainerLimits,
};

/// A variable as stored: a plain value in the clear, a secret only sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVar {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `secrets::SecretBox::seal` of the value, for the context `seal_context(app, key)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
}

impl StoredVar {
    pub fn is_secret(&self) -> bool {
        self.sealed.is_some()
    }
}

/// What a secret is sealed for: its app and name, so a sealed value moved elsewhere never opens.
pub fn seal_context(app: &str, key: &str) -> String {
    format!("app/{app}/env/{key}")
}

/// A release's container limits, as recorded (the same units as the app's row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
}

impl From<Limits> for ContainerLimits {
    fn from(l: Limits) -> Self {
        Self {
            memory_bytes: l.memory_bytes,
            nano_cpus: l.nano_cpus,
            pids: l.pids,
        }
    }
}

/// The configuration a release runs with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub vars: Vec<StoredVar>,
    pub build_args: Vec<(String, String)>,
    pub limits: Limits,
    pub health_path: Option<String>,
    pub mounts: Vec<Mount>,
}

impl Snapshot {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot always serializes")
    }

    /// The app's configuration as it stands, with these mounts.
    pub fn of_app(app: &app::Model, mounts: Vec<Mount>) -> Self {
        Self {
            vars: serde_json::from_str(&app.vars).unwrap_or_default(),
            build_args: serde_json::from_str(&app.build_args).unwrap_or_default(),
            limits: Limits {
                memory_bytes: app.memory_bytes,
                nano_cpus: app.nano_cpus,
                pids: app.pids,
            },
            health_path: app.health_path.clone(),
            mounts,
        }
    }

    /// Writes this configuration onto the app's row (vars, build arguments, limits, health
    /// path; mounts have a table of their own).
    pub fn apply_to(&self, app: &mut app::ActiveModel) {
        use sea_orm::Set;
        app.vars = Set(serde_json::to_string(&self.vars).expect("vars serialize"));
        app.build_args = Set(serde_json::to_string(&self.build_args).expect("args serialize"));
        app.memory_bytes = Set(self.limits.memory_bytes);
        app.nano_cpus = Set(self.limits.nano_cpus);
        app.pids = Set(self.limits.pids);
        app.health_path = Set(self.health_path.clone());
    }
}

impl Platform {
    /// The app's configuration as it stands.
    pub(in crate::domain) async fn app_snapshot(&self, app: &app::Model) -> DomainResult<Snapshot> {
        Ok(Snapshot::of_app(app, self.app_mounts(app.id).await?))
    }

    /// The configuration a release runs with; a deployment made before releases ran with the
    /// app's.
    pub(in crate::domain) async fn release_snapshot(
        &self,
        dep: &deployment::Model,
        app: &app::Model,
    ) -> Result<Snapshot, DeployError> {
        match dep.config.as_deref().map(serde_json::from_str::<Snapshot>) {
            Some(Ok(snapshot)) => Ok(snapshot),
            Some(Err(e)) => Err(DeployError::Refused(format!(
                "the configuration recorded for release {} is unreadable: {e}",
                dep.id
            ))),
            None => Ok(self.app_snapshot(app).await?),
        }
    }

    /// The variables of a release in the clear, to hand to its containers (never logged).
    pub(in crate::domain) fn open_vars(
        &self,
        app: &str,
        vars: &[StoredVar],
    ) -> Result<Vec<(String, String)>, DeployError> {
        vars.iter()
            .map(|v| match (&v.sealed, &v.value) {
                (Some(sealed), _) => self
                    .secrets
                    .open(sealed, &seal_context(app, &v.key))
                    .map(|plain| (v.key.clone(), plain))
                    .map_err(|e| {
                        DeployError::Refused(format!(
                            "the secret `{}` cannot be opened: {e}",
                            v.key
                        ))
                    }),
                (None, value) => Ok((v.key.clone(), value.clone().unwrap_or_default())),
            })
            .collect()
    }
}
