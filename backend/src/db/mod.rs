//! SQLite connection and schema. SQLite specifics live here and nowhere else.

pub mod entities;
mod revision;

use std::{path::Path, time::Duration};

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
pub use revision::{Revision, Revisions};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Opens the database file and applies pending migrations. The file is created only when it does
/// not exist. One that exists but cannot be read, is not a database or is damaged stops the start
/// with a message naming it: starting afresh instead would lose every app and set a new admin
/// password.
pub async fn connect(path: &Path) -> anyhow::Result<DatabaseConnection> {
    let exists = check_existing(path)?;
    let url = format!(
        "sqlite://{}?mode={}",
        path.display(),
        if exists { "rw" } else { "rwc" }
    );
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
        .map_err(|e| damaged(path, &e.to_string()))?;
    if exists {
        let check = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA quick_check",
            ))
            .await
            .map_err(|e| damaged(path, &e.to_string()))?
            .and_then(|row| row.try_get_by_index::<String>(0).ok());
        if check.as_deref() != Some("ok") {
            return Err(damaged(
                path,
                &format!("integrity check: {}", check.unwrap_or_default()),
            ));
        }
    }
    Migrator::up(&db, None)
        .await
        .with_context(|| format!("applying database migrations to {}", path.display()))?;
    Ok(db)
}

/// Whether the database exists; an error when it does but is unreadable or plainly not a
/// database (SQLite itself would take an empty file for a new database).
fn check_existing(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        anyhow::anyhow!(
            "cannot read the database {}: {e}. Milkcrate does not start without it; fix its \
             permissions (it must be readable and writable by this user)",
            path.display()
        )
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(unreadable(e)),
        Ok(meta) if !meta.is_file() => {
            return Err(damaged(path, "it is not a regular file"));
        }
        Ok(_) => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(unreadable)?;
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    file.by_ref()
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(unreadable)?;
    match header.as_slice() {
        [] => Err(damaged(path, "the file is empty")),
        h if h != SQLITE_HEADER => Err(damaged(path, "the file is not an SQLite database")),
        _ => Ok(true),
    }
}

fn damaged(path: &Path, cause: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the database {} is damaged or is not Milkcrate's ({cause}). Milkcrate stops instead of \
         starting afresh, which would forget every app and set a new admin password. Restore a \
         backup into a new data folder (`milkcrate restore`), or move the file away to start over",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refused(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("milkcrate.sqlite");
        std::fs::write(&path, bytes).unwrap();
        let err = format!("{:#}", connect(&path).await.expect_err("refused"));
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "left as it was");
        assert!(err.contains(&path.display().to_string()), "{err}");
        err
    }

    #[tokio::test]
    async fn a_missing_database_is_created_and_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("milkcrate.sqlite");
        connect(&path).await.unwrap().close().await.unwrap();
        connect(&path).await.unwrap();
    }

    #[tokio::test]
    async fn empty_foreign_and_damaged_files_are_refused_by_name() {
        assert!(refused(b"").await.contains("empty"));
        assert!(
            refused(b"not a database at all")
                .await
                .contains("not an SQLite")
        );
        // A real database whose pages after the first are overwritten.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("milkcrate.sqlite");
        connect(&path).await.unwrap().close().await.unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192);
        bytes[4096..].fill(0x5a);
        assert!(refused(&bytes).await.contains("damaged"));
    }
}
