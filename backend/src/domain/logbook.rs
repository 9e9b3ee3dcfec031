//! Deployment logs: one append-only file per deployment, readable while it grows and kept across
//! restarts.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Appends lines to one deployment's log. Write errors are logged, never fatal to the deploy.
pub struct Logbook {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl Logbook {
    pub async fn open(path: PathBuf) -> Self {
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await;
        if let Err(e) = &file {
            tracing::warn!(path = %path.display(), "cannot open deployment log: {e}");
        }
        Self {
            path,
            file: file.ok(),
        }
    }

    /// Writes `text`, adding a newline unless it ends with one.
    pub async fn write(&mut self, text: &str) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut data = text.to_string();
        if !data.ends_with('\n') {
            data.push('\n');
        }
        if let Err(e) = file.write_all(data.as_bytes()).await {
            tracing::warn!(path = %self.path.display(), "cannot write deployment log: {e}");
        }
    }

    /// A line marked as Milkcrate's own, between the build tool's output.
    pub async fn step(&mut self, text: &str) {
        self.write(&format!("==> {text}")).await;
    }
}

/// Reads the log from `offset`; returns the text and the offset after it.
pub async fn read_from(path: &PathBuf, offset: u64) -> std::io::Result<(String, u64)> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((String::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata().await?.len();
    let start = offset.min(len);
    file.seek(std::io::SeekFrom::Start(start)).await?;
    // Cap one read, so a huge log is paged rather than loaded whole.
    let mut buf = Vec::new();
    file.take(1024 * 1024).read_to_end(&mut buf).await?;
    let next = start + buf.len() as u64;
    Ok((String::from_utf8_lossy(&buf).into_owned(), next))
}
