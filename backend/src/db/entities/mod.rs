//! sea-orm entities. They never leave `db` and `domain`: the API speaks `shared` types.

pub mod api_token;
pub mod app;
pub mod app_domain;
pub mod app_mount;
pub mod audit;
pub mod certificate;
pub mod deployment;
pub mod setting;
pub mod volume;
pub mod webhook;
pub mod webhook_delivery;
