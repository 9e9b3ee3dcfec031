//! `PATCH /apps/{name}`: the health path, limits, route and domains, applied as a new release
//! (domains are the app's, like its route: set at once, listed among the release's changes).

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
        let domains = match &patch.domains {
            None => None,
            Some(asked) => match self.check_domains(asked, Some(app.id)).await {
                Ok(hosts) => Some(hosts),
                Err(DomainError::Invalid(found)) => {
                    problems.extend(found);
                    None
                }
                Err(e) => return Err(e),
            },
        };
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        if patch == AppPatch::default() {
            return Err(DomainError::field(
                "body",
                "give at least one of `health_path`, `limits`, `route` and `domains`",
            ));
        }
        let mut also_changed = Vec::new();
        if let Some(hosts) = domains {
            let before = self.domains_of(app.id).await?;
            if before != hosts {
                self.store_domains(app.id, &hosts).await?;
                let list = |h: &[String]| {
                    if h.is_empty() {
                        "none".into()
                    } else {
                        h.join(", ")
                    }
                };
                also_changed.push(format!("domains: {} → {}", list(&before), list(&hosts)));
            }
        }
        self.config_release(&app, next, route, also_changed).await
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
