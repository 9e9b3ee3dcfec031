//! `PATCH /apps/{name}`: the health path, limits and route, applied as a new release.

use std::sync::Arc;

use shared::v1::{AppPatch, Deployment};

use super::snapshot::Limits;
use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};

impl Platform {
    /// Changes what `patch` gives and releases it on the current image.
    pub async fn patch_app(
        self: &Arc<Self>,
        name: &str,
        patch: AppPatch,
    ) -> DomainResult<Deployment> {
        let app = self.find_app(name).await?;
        let mut next = self.app_snapshot(&app).await?;
        let mut problems = FieldErrors::new();
        if let Some(path) = &patch.health_path {
            match path.as_deref().map(shared::validation::health_path) {
                None => next.health_path = None,
                Some(Ok(path)) => next.health_path = Some(path),
                Some(Err(e)) => {
                    problems.insert("health_path".into(), vec![e]);
                }
            }
        }
        if let Some(limits) = &patch.limits {
            let max = self.max_limits();
            let found = shared::validation::limits(limits, &max);
            if found.is_empty() {
                next.limits = Limits {
                    memory_bytes: limits.memory_bytes as i64,
                    nano_cpus: (limits.cpus * 1e9).round() as i64,
                    pids: i64::from(limits.pids),
                };
            }
            problems.extend(found);
        }
        let route = match patch.route.as_deref().map(shared::validation::route) {
            None => None,
            Some(Ok(route)) => Some(route),
            Some(Err(e)) => {
                problems.insert("route".into(), vec![e]);
                None
            }
        };
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        if patch == AppPatch::default() {
            return Err(DomainError::field(
                "body",
                "give at least one of `health_path`, `limits` and `route`",
            ));
        }
        self.config_release(&app, next, route).await
    }

    /// The most an app may have: the platform's limits (which new apps get).
    pub(in crate::domain) fn max_limits(&self) -> shared::v1::Limits {
        let l = self.config.limits;
        shared::v1::Limits {
            memory_bytes: l.memory_mb * 1024 * 1024,
            cpus: l.cpus,
            pids: l.pids,
        }
    }
}
