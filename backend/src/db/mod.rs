//! SQLite connection and schema. SQLite specifics live here and nowhere else.

pub mod entities;

use std::{path::Path, time::Duration};

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Opens (creating if needed) the database file and applies pending migrations.
pub async fn connect(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(4)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // WAL lets the dashboard read while a deploy writes; with WAL, NORMAL sync cannot corrupt
        // the database (a power cut may lose the last commits, not the file). Foreign keys make
        // cascades real. Set per pooled connection.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("opening database {}", path.display()))?;
    Migrator::up(&db, None)
        .await
        .context("applying database migrations")?;
    Ok(db)
}
