//! Volumes: create, list, remove.

use std::collections::HashMap;

use async_trait::async_trait;
use bollard::{
    models::VolumeCreateRequest,
    query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder},
};

use super::{Docker, convert, exists, ignore_missing, label_filter};
use crate::runtime::{Result, Selector, Volumes};

#[async_trait]
impl Volumes for Docker {
    /// Creates the local volume `name` unless it exists (an existing one keeps its data).
    async fn ensure_volume(&self, name: &str, labels: HashMap<String, String>) -> Result<()> {
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: Some("local".into()),
            labels: Some(labels),
            ..Default::default()
        };
        // Creating an existing local volume is a no-op that returns it.
        self.client
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| convert(&format!("volume {name}"), e))
    }

    /// Names of the volumes carrying all of `labels`.
    async fn list_volumes(&self, selector: Selector<'_>) -> Result<Vec<String>> {
        let filters = label_filter(selector);
        let options = ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_volumes(Some(options))
            .await
            .map_err(|e| convert("volumes", e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        let options = RemoveVolumeOptionsBuilder::default().force(false).build();
        ignore_missing(
            self.client
                .remove_volume(name, Some(options))
                .await
                .map_err(|e| convert(&format!("volume {name}"), e)),
        )
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        exists(
            self.client.inspect_volume(name).await.map(|_| ()),
            &format!("volume {name}"),
        )
    }
}
