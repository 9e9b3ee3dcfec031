//! SQLite connection and schema. SQLite specifics live here and nowhere else.

pub mod entities;

use std::{path::Path, time::Duration};

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Opens (creating if needed) the database file and applies pending migrations.
pub async fn connect(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(4)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .with_context(|| format!("opening database {}", path.display()))?;
    // WAL (a property of the file) lets the dashboard read while a deploy writes. sqlx already
    // turns foreign keys on and sets a busy timeout on every pooled connection.
    db.execute_unprepared("PRAGMA journal_mode=WAL")
        .await
        .context("enabling WAL")?;
    Migrator::up(&db, None)
        .await
        .context("applying database migrations")?;
    Ok(db)
}
