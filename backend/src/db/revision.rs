//! Whether the database changed since a read: SQLite's `data_version`, asked on a connection of
//! its own that never writes, changes with every commit of any other connection (the pool's, or
//! another process's such as `milkcrate restore`). Asking is one row, where reading the app list
//! again is a thousand, each handed over from SQLite's worker thread on its own.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
};

use sea_orm::sqlx::{
    ConnectOptions as _, SqliteConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};
use tokio::sync::Mutex;

/// What the database holds, as of a [`Revisions::current`] call: equal revisions, no commit
/// between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// Which watching connection answered: `data_version` is only comparable on one.
    connection: u64,
    data_version: i64,
}

/// The watching connection, opened on first use and again after an error.
pub struct Revisions {
    path: PathBuf,
    connection: Mutex<Option<(u64, SqliteConnection)>>,
    opened: AtomicU64,
}

impl Revisions {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            connection: Mutex::default(),
            opened: AtomicU64::new(0),
        }
    }

    /// The database's revision now; `None` when it cannot be told (then nothing may be reused).
    pub async fn current(&self) -> Option<Revision> {
        let mut guard = self.connection.lock().await;
        if guard.is_none() {
            let options = SqliteConnectOptions::new()
                .filename(&self.path)
                .read_only(true)
                .journal_mode(SqliteJournalMode::Wal);
            match options.connect().await {
                Ok(connection) => {
                    *guard = Some((self.opened.fetch_add(1, Ordering::Relaxed), connection));
                }
                Err(e) => {
                    tracing::debug!("cannot watch the database for changes: {e}");
                    return None;
                }
            }
        }
        let (id, connection) = guard.as_mut()?;
        match sea_orm::sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(&mut *connection)
            .await
        {
            Ok(data_version) => Some(Revision {
                connection: *id,
                data_version,
            }),
            Err(e) => {
                tracing::debug!("cannot read the database's revision: {e}");
                *guard = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[tokio::test]
    async fn every_commit_of_another_connection_is_a_new_revision() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("milkcrate.sqlite");
        let db = super::super::connect(&path).await.unwrap();
        let revisions = Revisions::new(path);
        let before = revisions.current().await.expect("a revision");
        assert_eq!(revisions.current().await, Some(before), "nothing changed");
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "INSERT INTO setting (key, value) VALUES ('x', 'y')",
        ))
        .await
        .unwrap();
        let after = revisions.current().await.expect("a revision");
        assert_ne!(after, before);
        assert_eq!(revisions.current().await, Some(after));
    }
}
