//! The schema history, oldest first. An applied migration is never edited: add a new one.
//! Migrations name their tables and columns locally, so later entity changes cannot rewrite history.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_tables;
mod m20261128_000003_stacks;
mod m20261128_000004_app_mounts;
mod m20261128_000005_volumes;
mod m20261201_000006_releases;
mod m20261201_000007_tokens_audit;
mod m20261201_000008_domains;
mod m20261201_000009_webhooks;
mod m20261201_000010_certificates;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_tables::Migration),
            Box::new(m20261128_000003_stacks::Migration),
            Box::new(m20261128_000004_app_mounts::Migration),
            Box::new(m20261128_000005_volumes::Migration),
            Box::new(m20261201_000006_releases::Migration),
            Box::new(m20261201_000007_tokens_audit::Migration),
            Box::new(m20261201_000008_domains::Migration),
            Box::new(m20261201_000009_webhooks::Migration),
            Box::new(m20261201_000010_certificates::Migration),
        ]
    }
}
