//! The platform's own upkeep: its proxy and what it routes (the edge), keeping the database and the runtime in step, backups,
//! and settings.

mod acme_store;
pub mod backup;
mod backup_certificates;
mod certificate_check;
pub mod certificates;
pub mod edge;
mod external_certificates;
mod https;
pub mod proxy;
mod reconcile;
mod restore_checks;
pub mod settings;
pub mod traefik;
pub mod traefik_hosts;
mod uploaded_certificates;

pub(in crate::domain) use uploaded_certificates::seal_context as certificate_seal_context;
