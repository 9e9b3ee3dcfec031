//! Networks: the proxy's, and a stack's own on a block of the stack pool.

use std::collections::HashMap;

use async_trait::async_trait;
use bollard::{
    errors::Error as BollardError,
    models::{
        EndpointSettings, Ipam, IpamConfig, NetworkConnectRequest, NetworkCreateRequest,
        NetworkDisconnectRequest,
    },
    query_parameters::ListNetworksOptionsBuilder,
};

use super::{Docker, convert, ignore_missing, label_filter};
use crate::runtime::{
    NetworkDetails, NetworkSummary, Networks, Result, RuntimeError, Selector,
    subnets::{self, Cidr},
};

impl Docker {
    pub async fn network(&self, name: &str) -> Result<Option<NetworkDetails>> {
        match self.client.inspect_network(name, None).await {
            Ok(n) => {
                let configs = n.ipam.and_then(|i| i.config).unwrap_or_default();
                Ok(Some(NetworkDetails {
                    id: n.id.unwrap_or_default(),
                    subnets: configs.iter().filter_map(|c| c.subnet.clone()).collect(),
                    gateway: configs.iter().find_map(|c| c.gateway.clone()),
                }))
            }
            Err(e) => match convert(&format!("network {name}"), e) {
                RuntimeError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }
}

#[async_trait]
impl Networks for Docker {
    /// Returns the bridge network `name`, creating it with `labels` if it does not exist.
    async fn ensure_network(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<NetworkDetails> {
        let _turn = self.network_creation.lock().await;
        if let Some(existing) = self.network(name).await? {
            return Ok(existing);
        }
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels),
            ..Default::default()
        };
        match self.client.create_network(request).await {
            // Lost a race with another creator: fine, it exists now.
            Ok(_)
            | Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => {}
            Err(e) => return Err(convert(&format!("network {name}"), e)),
        }
        self.network(name)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("network {name}")))
    }

    /// Creates the bridge network `name` (unless it exists) on the first free /26 of `pool`.
    async fn ensure_network_in(
        &self,
        name: &str,
        labels: HashMap<String, String>,
        pool: &Cidr,
    ) -> Result<()> {
        let _turn = self.network_creation.lock().await;
        if self.network(name).await?.is_some() {
            return Ok(());
        }
        let all = self
            .client
            .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
            .await
            .map_err(|e| convert("networks", e))?;
        let mut taken: Vec<Cidr> = all
            .iter()
            .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
            .flatten()
            .filter_map(|c| Cidr::parse(c.subnet.as_deref()?).ok())
            .collect();
        // Another program may take a block between the listing and the creation: try the next.
        for _ in 0..8 {
            let block = subnets::first_free(pool, &taken).ok_or_else(|| {
                RuntimeError::Failed(format!(
                    "no free /{} left in {pool} for network {name}; widen MILKCRATE_STACK_SUBNETS",
                    subnets::BLOCK_PREFIX
                ))
            })?;
            let request = NetworkCreateRequest {
                name: name.to_string(),
                driver: Some("bridge".into()),
                labels: Some(labels.clone()),
                ipam: Some(Ipam {
                    config: Some(vec![IpamConfig {
                        subnet: Some(block.to_string()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            };
            match self.client.create_network(request).await {
                Ok(_) => return Ok(()),
                Err(BollardError::DockerResponseServerError { message, .. })
                    if message.contains("overlap") =>
                {
                    taken.push(block);
                }
                Err(e) => return Err(convert(&format!("network {name}"), e)),
            }
        }
        Err(RuntimeError::Failed(format!(
            "no free subnet found in {pool} for network {name}"
        )))
    }

    async fn disconnect_network(&self, container: &str, network: &str) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(true),
        };
        match self.client.disconnect_network(network, request).await {
            Ok(()) => Ok(()),
            // Not attached (403 on Docker 20.10) or gone: nothing to undo.
            Err(BollardError::DockerResponseServerError {
                status_code: 403 | 404,
                ..
            }) => Ok(()),
            Err(e) => Err(convert(
                &format!("disconnecting {container} from {network}"),
                e,
            )),
        }
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        ignore_missing(
            self.client
                .remove_network(name)
                .await
                .map_err(|e| convert(&format!("network {name}"), e)),
        )
    }

    /// The networks carrying all of `labels`.
    async fn list_networks(&self, selector: Selector<'_>) -> Result<Vec<NetworkSummary>> {
        let filters = label_filter(selector);
        let options = ListNetworksOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_networks(Some(options))
            .await
            .map_err(|e| convert("networks", e))?;
        Ok(list
            .into_iter()
            .map(|n| NetworkSummary {
                name: n.name.unwrap_or_default(),
                labels: n.labels.unwrap_or_default(),
            })
            .collect())
    }

    /// Attaches a container to another network, reachable there under `aliases` too.
    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
                ..Default::default()
            }),
        };
        self.client
            .connect_network(network, request)
            .await
            .map_err(|e| convert(&format!("connecting {container} to {network}"), e))
    }
}
