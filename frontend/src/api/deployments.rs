use shared::v1::{Deployment, DeploymentLog, fields};

use super::{ApiClient, Error};

impl ApiClient {
    pub async fn get_deployment(&self, id: i64) -> Result<Deployment, Error> {
        self.send(self.get(&format!("/deployments/{id}")).build())
            .await
    }

    /// The log from `offset` on; pass the answer's `next_offset` next time.
    pub async fn deployment_log(&self, id: i64, offset: u64) -> Result<DeploymentLog, Error> {
        self.send(
            self.get(&format!(
                "/deployments/{id}/log?{}={offset}",
                fields::query::OFFSET
            ))
            .build(),
        )
        .await
    }
}
