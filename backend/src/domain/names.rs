//! The names of everything Milkcrate creates in the runtime, in one place. Instance and app names
//! never hold `_` or `.`, so `_` separators cannot make two apps' names meet (`a-b` + `c` vs
//! `a` + `b-c`), and an app's volumes (`_`) never meet a managed volume (`.`). Image tags are
//! the ownership record of images (`images.rs` reads them back).

use std::collections::HashMap;

use crate::runtime::labels;

/// Names under one instance.
#[derive(Debug, Clone)]
pub struct Names {
    instance: String,
}

impl Names {
    pub fn new(instance: &str) -> Self {
        Self {
            instance: instance.into(),
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The container of a Dockerfile app's deployment.
    pub fn container(&self, app: &str, deployment: i64) -> String {
        format!("{}-{app}-{deployment}", self.instance)
    }

    /// The container of one service of a stack's deployment.
    pub fn service_container(&self, app: &str, deployment: i64, service: &str) -> String {
        format!("{}_{app}_{deployment}_{service}", self.instance)
    }

    pub fn image(&self, app: &str, deployment: i64) -> String {
        format!("{}/{app}:{deployment}", self.instance)
    }

    pub fn service_image(&self, app: &str, deployment: i64, service: &str) -> String {
        format!("{}/{app}:{deployment}-{service}", self.instance)
    }

    /// One of a deployment's networks: per deployment, so an old and a new version running side
    /// by side never resolve each other's service names.
    pub fn stack_network(&self, app: &str, deployment: i64, network: &str) -> String {
        format!("{}_{app}_{deployment}_{network}", self.instance)
    }

    /// The network an app's routed container shares with the proxy, and with nothing else: apps
    /// cannot reach each other's containers.
    pub fn edge_network(&self, app: &str) -> String {
        format!("{}_{app}_edge", self.instance)
    }

    /// The container of a deployment's routed service (`main` is empty for a Dockerfile app).
    pub fn main_container(&self, app: &str, deployment: i64, main: &str) -> String {
        if main.is_empty() {
            self.container(app, deployment)
        } else {
            self.service_container(app, deployment, main)
        }
    }

    /// A compose file's named volume: per app, so data outlives versions.
    pub fn app_volume(&self, app: &str, volume: &str) -> String {
        format!("{}_{app}_{volume}", self.instance)
    }

    /// A Milkcrate-managed volume.
    pub fn managed_volume(&self, volume: &str) -> String {
        format!("{}.{volume}", self.instance)
    }

    /// The managed proxy's ACME store (certificates and their keys), kept across proxies.
    pub fn certificates_volume(&self) -> String {
        format!("{}_certificates", self.instance)
    }

    /// The label every object of this instance carries.
    pub fn instance_labels(&self) -> HashMap<String, String> {
        HashMap::from([(labels::INSTANCE.to_string(), self.instance.clone())])
    }
}
