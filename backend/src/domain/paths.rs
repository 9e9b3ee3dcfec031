use std::path::{Path, PathBuf};

/// Where Milkcrate keeps files under its data directory.
#[derive(Debug, Clone)]
pub struct Paths {
    root: PathBuf,
}

impl Paths {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// Creates the directories Milkcrate writes to (the original never created its upload folder).
    pub fn create_all(&self) -> std::io::Result<()> {
        for dir in [self.root.clone(), self.apps(), self.logs(), self.tmp()] {
            std::fs::create_dir_all(dir)?;
        }
        Ok(())
    }

    pub fn apps(&self) -> PathBuf {
        self.root.join("apps")
    }

    /// Everything on disk that belongs to one app.
    pub fn app_dir(&self, app: &str) -> PathBuf {
        self.apps().join(app)
    }

    /// The extracted source of one deployment (removed once its image is built).
    pub fn source_dir(&self, app: &str, deployment: i64) -> PathBuf {
        self.app_dir(app).join(format!("d{deployment}"))
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn deployment_log(&self, deployment: i64) -> PathBuf {
        self.logs().join(format!("{deployment}.log"))
    }

    /// Uploads in flight and build contexts; same filesystem as `apps`, so renames are atomic.
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn secret_key(&self) -> PathBuf {
        self.root.join("secret_key")
    }
}
