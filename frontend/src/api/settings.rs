use gloo_net::http::Method;
use shared::v1::{PublicIndex, Settings};

use super::{ApiClient, Error};

impl ApiClient {
    pub async fn settings(&self) -> Result<Settings, Error> {
        self.send(self.get("/settings").build()).await
    }

    pub async fn save_settings(&self, settings: Settings) -> Result<Settings, Error> {
        self.send(self.write(Method::PUT, "/settings").json(&settings))
            .await
    }

    /// What visitors see; needs no session.
    pub async fn public_apps(&self) -> Result<PublicIndex, Error> {
        self.send(self.get("/public/apps").build()).await
    }
}
