//! Deployment logs: one append-only file per deployment, readable while it grows and kept across
//! restarts.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Where each written line is told as well (the event stream), with the offset in the file
/// where it starts.
pub type Teller = Box<dyn Fn(&str, u64) + Send + Sync>;

/// Appends lines to one deployment's log. Write errors are logged, never fatal to the deploy.
pub struct Logbook {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    teller: Option<Teller>,
    /// The file's length: where the next line starts.
    end: u64,
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
        let end = match &file {
            Ok(f) => f.metadata().await.map_or(0, |m| m.len()),
            Err(_) => 0,
        };
        Self {
            path,
            file: file.ok(),
            teller: None,
            end,
        }
    }

    /// Tells every line written to `teller` too.
    pub fn telling(mut self, teller: Teller) -> Self {
        self.teller = Some(teller);
        self
    }

    /// Writes `text`, adding a newline unless it ends with one.
    pub async fn write(&mut self, text: &str) {
        if let Some(tell) = &self.teller {
            tell(text.trim_end_matches('\n'), self.end);
        }
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let mut data = text.to_string();
        if !data.ends_with('\n') {
            data.push('\n');
        }
        match file.write_all(data.as_bytes()).await {
            Ok(()) => self.end += data.len() as u64,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "cannot write deployment log: {e}")
            }
        }
    }

    /// A line marked as Milkcrate's own, between the build tool's output.
    pub async fn step(&mut self, text: &str) {
        self.write(&format!("==> {text}")).await;
    }
}

/// Most bytes one read returns, so a huge log is paged rather than loaded whole.
const PAGE: u64 = 1024 * 1024;

/// Reads the log from `offset`: the text, the offset after it, and whether that is the end of
/// the file.
pub async fn read_from(path: &PathBuf, offset: u64) -> std::io::Result<(String, u64, bool)> {
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((String::new(), 0, true)),
        Err(e) => return Err(e),
    };
    let len = file.metadata().await?.len();
    let start = offset.min(len);
    file.seek(std::io::SeekFrom::Start(start)).await?;
    let mut buf = Vec::new();
    file.take(PAGE).read_to_end(&mut buf).await?;
    // End the page on a character boundary; the next page starts with the rest.
    if start + (buf.len() as u64) < len {
        let valid = match std::str::from_utf8(&buf) {
            Ok(_) => buf.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => buf.len(),
        };
        buf.truncate(valid);
    }
    let next = start + buf.len() as u64;
    Ok((
        String::from_utf8_lossy(&buf).into_owned(),
        next,
        next >= len,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_end_on_character_boundaries_and_say_when_the_end_is_reached() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.log");
        // A two-byte character straddles the page boundary.
        let mut text = "a".repeat(PAGE as usize - 1);
        text.push('é');
        text.push_str("tail");
        tokio::fs::write(&path, &text).await.unwrap();
        let (first, next, end) = read_from(&path, 0).await.unwrap();
        assert_eq!((first.len() as u64, next, end), (PAGE - 1, PAGE - 1, false));
        let (second, next, end) = read_from(&path, next).await.unwrap();
        assert_eq!(second, "étail");
        assert!(end && next == text.len() as u64);
    }

    #[tokio::test]
    async fn each_told_line_says_where_it_starts_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2.log");
        tokio::fs::write(&path, "before\n").await.unwrap();
        let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut log = Logbook::open(path.clone()).await.telling(Box::new({
            let told = told.clone();
            move |text, offset| told.lock().unwrap().push((text.to_string(), offset))
        }));
        log.write("Step 1/2 : FROM scratch\n").await;
        log.step("été").await;
        log.write("last").await;
        let file = tokio::fs::read_to_string(&path).await.unwrap();
        for (text, offset) in told.lock().unwrap().iter() {
            assert!(
                file[*offset as usize..].starts_with(text.as_str()),
                "{text} at {offset}"
            );
        }
        assert_eq!(told.lock().unwrap().len(), 3);
    }
}
