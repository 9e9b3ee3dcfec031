use gloo_net::http::Method;
use shared::v1::{App, Deployment, fields};

use super::{ApiClient, Error};

impl ApiClient {
    pub async fn list_apps(&self) -> Result<Vec<App>, Error> {
        self.send(self.get("/apps").build()).await
    }

    pub async fn get_app(&self, name: &str) -> Result<App, Error> {
        self.send(self.get(&format!("/apps/{name}")).build()).await
    }

    /// `remove_volumes` also deletes a stack's compose volumes and their data.
    pub async fn delete_app(&self, name: &str, remove_volumes: bool) -> Result<(), Error> {
        let path = if remove_volumes {
            format!("/apps/{name}?{}=true", fields::query::VOLUMES)
        } else {
            format!("/apps/{name}")
        };
        self.send(self.write(Method::DELETE, &path).build()).await
    }

    /// `action` is `start`, `stop` or `restart`.
    pub async fn app_action(&self, name: &str, action: AppAction) -> Result<App, Error> {
        let path = format!("/apps/{name}/{}", action.verb());
        self.send(self.write(Method::POST, &path).build()).await
    }

    pub async fn list_deployments(&self, name: &str) -> Result<Vec<Deployment>, Error> {
        self.send(self.get(&format!("/apps/{name}/deployments")).build())
            .await
    }
}

/// What the start, stop and restart buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAction {
    Start,
    Stop,
    Restart,
}

impl AppAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Start => "Start",
            Self::Stop => "Stop",
            Self::Restart => "Restart",
        }
    }
}
