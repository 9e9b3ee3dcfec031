//! The platform's own upkeep: its proxy, keeping the database and the runtime in step, backups,
//! and settings.

pub mod backup;
mod proxy;
mod reconcile;
pub mod settings;
