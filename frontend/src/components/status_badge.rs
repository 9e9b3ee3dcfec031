use leptos::prelude::*;
use shared::v1::{AppStatus, DeploymentStatus};

fn app_status(status: AppStatus) -> (&'static str, &'static str) {
    match status {
        AppStatus::Deploying => ("Deploying", "busy"),
        AppStatus::Running => ("Running", "ok"),
        AppStatus::Restarting => ("Restarting", "busy"),
        AppStatus::Stopped => ("Stopped", "idle"),
        AppStatus::Exited => ("Exited", "bad"),
        AppStatus::Failed => ("Failed", "bad"),
        AppStatus::Missing => ("Missing", "bad"),
    }
}

pub fn app_status_key(status: AppStatus) -> &'static str {
    match status {
        AppStatus::Deploying => "deploying",
        AppStatus::Running => "running",
        AppStatus::Restarting => "restarting",
        AppStatus::Stopped => "stopped",
        AppStatus::Exited => "exited",
        AppStatus::Failed => "failed",
        AppStatus::Missing => "missing",
    }
}

/// An app's state as a coloured pill.
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<AppStatus>) -> impl IntoView {
    view! {
        <span
            class=move || format!("badge badge-{}", app_status(status.get()).1)
            data-status=move || app_status_key(status.get())
        >
            <span class="badge-dot" aria-hidden="true"></span>
            {move || app_status(status.get()).0}
        </span>
    }
}

fn deployment_status(status: DeploymentStatus) -> (&'static str, &'static str) {
    match status {
        DeploymentStatus::Queued => ("Queued", "idle"),
        DeploymentStatus::Building => ("Building", "busy"),
        DeploymentStatus::Starting => ("Starting", "busy"),
        DeploymentStatus::Running => ("Running", "ok"),
        DeploymentStatus::Failed => ("Failed", "bad"),
        DeploymentStatus::Superseded => ("Superseded", "idle"),
    }
}

/// A deployment's state as a coloured pill.
#[component]
pub fn DeploymentBadge(#[prop(into)] status: Signal<DeploymentStatus>) -> impl IntoView {
    view! {
        <span class=move || {
            format!("badge badge-{}", deployment_status(status.get()).1)
        }>
            <span class="badge-dot" aria-hidden="true"></span>
            {move || deployment_status(status.get()).0}
        </span>
    }
}
