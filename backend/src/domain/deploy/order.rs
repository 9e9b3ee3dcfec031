//! A deployment's services at run time: started in dependency order (honouring the conditions,
//! with a deadline), stopped in reverse, and the per-service view of a stack.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use shared::v1::{ServiceHealth, ServiceState, ServiceStatus};

use super::plan::{Topology, Wait};
use crate::{
    domain::{DomainResult, Platform},
    runtime::{ContainerState, ContainerSummary, Health, RuntimeError, labels},
};

/// How often a dependency's state is read while waiting for it.
const POLL: Duration = Duration::from_millis(200);

/// The containers of one deployment, by service (`""` for a Dockerfile app's single container).
pub fn by_service<'a>(
    containers: impl IntoIterator<Item = &'a ContainerSummary>,
    deployment: i64,
) -> HashMap<String, &'a ContainerSummary> {
    let deployment = deployment.to_string();
    containers
        .into_iter()
        .filter(|c| c.labels.get(labels::DEPLOYMENT) == Some(&deployment))
        .map(|c| {
            let service = c.labels.get(labels::SERVICE).cloned().unwrap_or_default();
            (service, c)
        })
        .collect()
}

/// The per-service view of a stack, in start order.
pub fn service_views(
    plan: &Topology,
    containers: &HashMap<String, &ContainerSummary>,
) -> Vec<ServiceStatus> {
    plan.services
        .iter()
        .map(|s| {
            let container = containers.get(&s.name);
            ServiceStatus {
                name: s.name.clone(),
                main: s.name == plan.main,
                state: container.map_or(ServiceState::Missing, |c| match c.state {
                    ContainerState::Created => ServiceState::Created,
                    ContainerState::Running => ServiceState::Running,
                    ContainerState::Restarting => ServiceState::Restarting,
                    ContainerState::Exited | ContainerState::Other => ServiceState::Exited,
                }),
                health: container.and_then(|c| c.health).map(|h| match h {
                    Health::Starting => ServiceHealth::Starting,
                    Health::Healthy => ServiceHealth::Healthy,
                    Health::Unhealthy => ServiceHealth::Unhealthy,
                }),
                exit_code: container.and_then(|c| c.exit_code),
                image: container.map(|c| c.image.clone()),
                one_shot: s.one_shot,
            }
        })
        .collect()
}

/// The state that stands for the whole stack: missing if a service is gone, running when every
/// long-running service runs (a one-shot job that finished with 0 counts as done), restarting if
/// one restarts, else exited.
pub fn aggregate_state(services: &[ServiceStatus]) -> Option<ContainerState> {
    if services.iter().any(|s| s.state == ServiceState::Missing) {
        return None;
    }
    let done =
        |s: &ServiceStatus| s.one_shot && s.state == ServiceState::Exited && s.exit_code == Some(0);
    let state = if services
        .iter()
        .all(|s| s.state == ServiceState::Running || done(s))
    {
        ContainerState::Running
    } else if services.iter().any(|s| s.state == ServiceState::Restarting) {
        ContainerState::Restarting
    } else {
        ContainerState::Exited
    };
    Some(state)
}

impl Platform {
    /// The containers of deployment `id`, by service.
    pub(in crate::domain) async fn deployment_containers(
        &self,
        id: i64,
    ) -> DomainResult<HashMap<String, String>> {
        let id_label = id.to_string();
        let filter = [
            (labels::INSTANCE, self.names.instance()),
            (labels::DEPLOYMENT, id_label.as_str()),
        ];
        let list = self.runtime.list_containers(&filter).await?;
        Ok(by_service(&list, id)
            .into_iter()
            .map(|(service, c)| (service, c.id.clone()))
            .collect())
    }

    /// Starts a stack's services in order: each one once the services it depends on are started,
    /// healthy or completed, as it asks. Fails with a reason naming the service at the deadline.
    pub(in crate::domain) async fn start_in_order(
        &self,
        plan: &Topology,
        containers: &HashMap<String, String>,
        deadline: Duration,
    ) -> Result<(), String> {
        let until = Instant::now() + deadline;
        for service in &plan.services {
            for (dependency, wait) in &service.depends_on {
                let id = containers
                    .get(dependency)
                    .ok_or_else(|| format!("service `{dependency}` has no container"))?;
                self.wait_for(dependency, id, *wait, until)
                    .await
                    .map_err(|why| {
                        format!("`{}` waits for `{dependency}`, which {why}", service.name)
                    })?;
            }
            let id = containers
                .get(&service.name)
                .ok_or_else(|| format!("service `{}` has no container", service.name))?;
            self.runtime
                .start_container(id)
                .await
                .map_err(|e| format!("cannot start service `{}`: {e}", service.name))?;
        }
        Ok(())
    }

    async fn wait_for(
        &self,
        service: &str,
        container: &str,
        wait: Wait,
        until: Instant,
    ) -> Result<(), String> {
        loop {
            let details = self
                .runtime
                .inspect_container(container)
                .await
                .map_err(|e| format!("cannot be inspected: {e}"))?;
            let exited = details.state == ContainerState::Exited;
            let verdict = match wait {
                Wait::Started => Some(Ok(())),
                Wait::Healthy => match details.health {
                    Some(Health::Healthy) => Some(Ok(())),
                    Some(Health::Unhealthy) => Some(Err("is unhealthy".to_string())),
                    None if details.state == ContainerState::Running => Some(Err(
                        "has no healthcheck (`service_healthy` needs one)".to_string(),
                    )),
                    _ => None,
                },
                Wait::Completed if exited => Some(match details.exit_code {
                    Some(0) => Ok(()),
                    code => Err(format!("exited with code {}", code.unwrap_or(-1))),
                }),
                Wait::Completed => None,
            };
            // Docker's restart policy revives a crashing service; one restart means it exited.
            let crashed = exited || details.restart_count > 0;
            let verdict = verdict.or_else(|| {
                (crashed && wait != Wait::Completed).then(|| {
                    Err(format!(
                        "exited with code {}",
                        details.exit_code.unwrap_or(-1)
                    ))
                })
            });
            if let Some(verdict) = verdict {
                return match verdict {
                    Ok(()) => Ok(()),
                    Err(why) => Err(self.with_logs(why, container).await),
                };
            }
            if Instant::now() >= until {
                let what = match wait {
                    Wait::Started => "start",
                    Wait::Healthy => "become healthy",
                    Wait::Completed => "complete",
                };
                tracing::debug!(service, "deadline waiting for {service} to {what}");
                return Err(self
                    .with_logs(format!("did not {what} in time"), container)
                    .await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Adds the last lines a container printed to a failure reason.
    async fn with_logs(&self, why: String, container: &str) -> String {
        match self.runtime.container_logs(container, 20).await {
            Ok(logs) if !logs.trim().is_empty() => format!("{why}; its last output:\n{logs}"),
            _ => why,
        }
    }

    /// Stops a stack's services in reverse start order, each with its grace period.
    pub(in crate::domain) async fn stop_in_order(
        &self,
        plan: &Topology,
        containers: &HashMap<String, String>,
    ) -> Result<(), RuntimeError> {
        for service in plan.services.iter().rev() {
            if let Some(id) = containers.get(&service.name) {
                self.runtime
                    .stop_container(id, service.stop_grace_secs)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(state: ServiceState, exit_code: Option<i64>, one_shot: bool) -> ServiceStatus {
        ServiceStatus {
            name: "s".into(),
            main: false,
            state,
            health: None,
            exit_code,
            image: None,
            one_shot,
        }
    }

    #[test]
    fn a_stack_runs_when_every_long_running_service_runs() {
        let running = service(ServiceState::Running, None, false);
        let migrated = service(ServiceState::Exited, Some(0), true);
        assert_eq!(
            aggregate_state(&[running.clone(), migrated]),
            Some(ContainerState::Running)
        );
        let failed_job = service(ServiceState::Exited, Some(1), true);
        assert_eq!(
            aggregate_state(&[running.clone(), failed_job]),
            Some(ContainerState::Exited)
        );
        let crashed = service(ServiceState::Exited, Some(0), false);
        assert_eq!(
            aggregate_state(&[running.clone(), crashed]),
            Some(ContainerState::Exited)
        );
        let restarting = service(ServiceState::Restarting, None, false);
        assert_eq!(
            aggregate_state(&[running.clone(), restarting]),
            Some(ContainerState::Restarting)
        );
        let gone = service(ServiceState::Missing, None, false);
        assert_eq!(aggregate_state(&[running, gone]), None);
    }
}
