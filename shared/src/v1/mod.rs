//! Version 1 of the wire types, served under `/api/v1`.

mod apps;
mod audit;
mod auth;
mod backups;
mod deployments;
mod domains;
mod error;
mod events;
pub mod fields;
mod logs;
mod releases;
mod settings;
pub mod time;
mod tokens;
mod volumes;
mod webhooks;

pub use apps::*;
pub use audit::*;
pub use auth::*;
pub use backups::*;
pub use deployments::*;
pub use domains::*;
pub use error::*;
pub use events::*;
pub use logs::*;
pub use releases::*;
pub use settings::*;
pub use tokens::*;
pub use volumes::*;
pub use webhooks::*;
