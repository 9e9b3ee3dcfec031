//! One module per route.

pub mod apps;
mod audit;
mod landing;
mod login;
mod not_found;
mod settings;
mod tokens;
pub mod volumes;

pub use audit::AuditPage;
pub use landing::Landing;
pub use login::Login;
pub use not_found::NotFound;
pub use settings::SettingsPage;
pub use tokens::TokensPage;
