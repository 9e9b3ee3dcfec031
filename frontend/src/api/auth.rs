use gloo_net::http::Method;
use shared::v1::{ChangePasswordRequest, LoginRequest, LoginResponse, SessionInfo};

use super::{ApiClient, Error};

impl ApiClient {
    pub async fn login(&self, password: String) -> Result<LoginResponse, Error> {
        let request = self
            .write(Method::POST, "/auth/login")
            .json(&LoginRequest { password });
        self.send(request).await
    }

    pub async fn logout(&self) -> Result<(), Error> {
        self.send(self.write(Method::POST, "/auth/logout").build())
            .await
    }

    pub async fn session(&self) -> Result<SessionInfo, Error> {
        self.send(self.get("/auth/session").build()).await
    }

    pub async fn change_password(
        &self,
        request: ChangePasswordRequest,
    ) -> Result<LoginResponse, Error> {
        self.send(self.write(Method::PUT, "/auth/password").json(&request))
            .await
    }
}
