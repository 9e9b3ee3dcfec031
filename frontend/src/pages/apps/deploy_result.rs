use crate::router::A;
use leptos::prelude::*;
use shared::v1::{Deployment, DeploymentStatus};

use crate::{
    components::{Notice, NoticeKind},
    routes::{Page, app_href},
};

/// How a deployment ended: a link to the running app, or the reason it failed.
#[component]
pub fn DeployResult(
    #[prop(into)] app: String,
    #[prop(into)] route: String,
    deployment: Deployment,
) -> impl IntoView {
    match deployment.status {
        DeploymentStatus::Failed => {
            let reason = deployment
                .error
                .unwrap_or_else(|| "the build failed; see the log above".into());
            view! {
                <div class="result result-failed" data-result="failed">
                    <Notice kind=NoticeKind::Error message=format!("Deployment failed: {reason}") />
                </div>
            }
            .into_any()
        }
        _ => view! {
            <div class="result result-ok" data-result="running">
                <Notice kind=NoticeKind::Success message=format!("{app} is running at {route}") />
                <div class="form-actions">
                    <A href=Page::AppDetail(app.clone()).path() class="btn btn-secondary">
                        "View app"
                    </A>
                    <a class="btn btn-primary" href=app_href(&route) target="_blank" rel="noopener">
                        {format!("Open {route}")}
                    </a>
                </div>
            </div>
        }
        .into_any(),
    }
}
