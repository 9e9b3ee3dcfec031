//! One module per route.

pub mod apps;
mod landing;
mod login;
mod not_found;
mod settings;
pub mod volumes;

pub use landing::Landing;
pub use login::Login;
pub use not_found::NotFound;
pub use settings::SettingsPage;
