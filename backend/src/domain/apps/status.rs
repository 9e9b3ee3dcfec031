//! The app status shown to users: a pure function of what Docker says and the deployments.

use shared::v1::{AppStatus, DeploymentStatus};

use crate::runtime::ContainerState;

/// `container` is the state of the current deployment's container, `None` if it is absent.
pub fn app_status(
    desired_running: bool,
    has_current: bool,
    container: Option<ContainerState>,
    latest: Option<DeploymentStatus>,
) -> AppStatus {
    if !has_current {
        return match latest {
            Some(s) if !s.is_final() => AppStatus::Deploying,
            _ => AppStatus::Failed,
        };
    }
    match container {
        None => AppStatus::Missing,
        Some(ContainerState::Running) => AppStatus::Running,
        Some(ContainerState::Restarting) => AppStatus::Restarting,
        Some(_) if !desired_running => AppStatus::Stopped,
        Some(_) => AppStatus::Exited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_deploy_in_progress_is_deploying_and_a_failed_one_failed() {
        assert_eq!(
            app_status(true, false, None, Some(DeploymentStatus::Building)),
            AppStatus::Deploying
        );
        assert_eq!(
            app_status(true, false, None, Some(DeploymentStatus::Failed)),
            AppStatus::Failed
        );
    }

    #[test]
    fn docker_decides_once_a_version_exists() {
        let running = Some(ContainerState::Running);
        assert_eq!(
            app_status(true, true, running, Some(DeploymentStatus::Failed)),
            AppStatus::Running
        );
        assert_eq!(
            app_status(false, true, Some(ContainerState::Exited), None),
            AppStatus::Stopped
        );
        assert_eq!(
            app_status(true, true, Some(ContainerState::Exited), None),
            AppStatus::Exited
        );
        assert_eq!(app_status(true, true, None, None), AppStatus::Missing);
        assert_eq!(
            app_status(true, true, Some(ContainerState::Restarting), None),
            AppStatus::Restarting
        );
    }
}
