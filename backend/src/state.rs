//! Shared state handed to every request handler.

use std::{ops::Deref, sync::Arc};

use crate::{
    api::client_ip::TrustedProxies,
    auth::{LoginRateLimiter, PasswordHasher, TokenKeys},
    domain::Platform,
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub platform: Arc<Platform>,
    pub keys: TokenKeys,
    pub hasher: PasswordHasher,
    pub login_limiter: LoginRateLimiter,
    pub trusted_proxies: TrustedProxies,
    /// HTTP requests counted for `/metrics`.
    pub http_counters: crate::api::metrics::HttpCounters,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
