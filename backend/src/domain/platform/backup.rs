//! Backups: one `.tar.gz` holding a manifest, a consistent copy of the database (SQLite's
//! `VACUUM INTO`, safe while the server writes), every managed volume (as the Docker archive API
//! gives it) and the images of the apps' current versions. Restore checks the whole archive
//! (format, instance, every checksum, the database's integrity) before it changes anything, and
//! only into an empty instance.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::restore_checks;
use crate::db::{
    self,
    entities::{app, app_domain, app_mount, certificate, deployment, setting, volume},
};
use crate::domain::{DomainError, DomainResult, Platform};

const FORMAT: &str = "milkcrate-backup";
const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "database.sqlite";
/// A manifest larger than this is not one of ours.
const MAX_MANIFEST: u64 = 1024 * 1024;

/// What a backup holds; the first entry of the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub milkcrate: String,
    pub instance: String,
    pub created_at: DateTime<Utc>,
    pub database: Stored,
    pub volumes: Vec<StoredVolume>,
    pub images: Vec<StoredImages>,
    /// The managed proxy's ACME store (`acme.json`: its account and certificates), when HTTPS
    /// is on; absent from backups made without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme_store: Option<Stored>,
}

impl Manifest {
    /// Every file the archive holds besides the manifest.
    fn files(&self) -> impl Iterator<Item = &Stored> {
        std::iter::once(&self.database)
            .chain(self.volumes.iter().map(|v| &v.file))
            .chain(self.images.iter().map(|i| &i.file))
            .chain(self.acme_store.iter())
    }
}

/// A file of the archive with its checksum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredVolume {
    pub name: String,
    pub file: Stored,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredImages {
    pub app: String,
    pub tags: Vec<String>,
    pub file: Stored,
}

fn refused(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(crate::domain::FieldErrors::from([(
        "file".to_string(),
        vec![message.into()],
    )]))
}

impl Platform {
    /// Writes a backup of this instance to `target`.
    pub async fn backup(&self, target: &Path) -> DomainResult<Manifest> {
        let work = self.work_dir("backup")?;
        let dir = work.path();

        // A consistent snapshot, taken by SQLite itself while writers go on.
        let db_path = dir.join(DATABASE);
        let quoted = db_path.display().to_string().replace('\'', "''");
        self.db
            .execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
            .await?;
        let database = stored(&db_path, DATABASE).await?;

        let volumes = self.managed_volume_names().await?;
        let mut stored_volumes = Vec::new();
        if !volumes.is_empty() {
            let names: Vec<&str> = volumes.iter().map(String::as_str).collect();
            let session = self.helper_session(&names).await?;
            std::fs::create_dir_all(dir.join("volumes"))
                .map_err(|e| anyhow::anyhow!("backup folder: {e}"))?;
            for name in &volumes {
                let path = format!("volumes/{name}.tar");
                self.runtime
                    .download_archive(&session.container, &format!("/v/{name}"), &dir.join(&path))
                    .await?;
                stored_volumes.push(StoredVolume {
                    name: name.clone(),
                    file: stored(&dir.join(&path), &path).await?,
                });
            }
        }

        let mut stored_images = Vec::new();
        std::fs::create_dir_all(dir.join("images"))
            .map_err(|e| anyhow::anyhow!("backup folder: {e}"))?;
        for app in app::Entity::find().all(&self.db).await? {
            let Some(current) = app.current_deployment_id else {
                continue;
            };
            let tags: Vec<String> = self
                .owned_images(Some(&app.name))
                .await?
                .into_iter()
                .filter(|i| i.deployment == current)
                .map(|i| i.tag)
                .collect();
            for tag in &tags {
                let path = format!("images/{}-{}.tar", app.name, stored_images.len());
                self.runtime.save_image(tag, &dir.join(&path)).await?;
                stored_images.push(StoredImages {
                    app: app.name.clone(),
                    tags: vec![tag.clone()],
                    file: stored(&dir.join(&path), &path).await?,
                });
            }
        }

        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            milkcrate: env!("CARGO_PKG_VERSION").into(),
            instance: self.config.instance.clone(),
            created_at: Utc::now(),
            database,
            volumes: stored_volumes,
            images: stored_images,
            acme_store: self.backup_acme_store(dir).await?,
        };
        let (dir, out, m) = (dir.to_path_buf(), target.to_path_buf(), manifest.clone());
        tokio::task::spawn_blocking(move || write_archive(&dir, &m, &out))
            .await
            .map_err(|e| anyhow::anyhow!("backup task failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("writing the backup: {e}"))?;
        tracing::info!(
            "backup written: {} volumes, {} images",
            manifest.volumes.len(),
            manifest.images.len()
        );
        Ok(manifest)
    }

    /// Restores a backup into this instance, which must be empty (no apps, no volumes).
    /// Nothing changes unless the whole archive checks out.
    pub async fn restore(&self, archive: &Path) -> DomainResult<Manifest> {
        let work = self.work_dir("restore")?;
        let (src, dir) = (archive.to_path_buf(), work.path().to_path_buf());
        let manifest = tokio::task::spawn_blocking(move || unpack_checked(&src, &dir))
            .await
            .map_err(|e| anyhow::anyhow!("restore task failed: {e}"))??;
        if manifest.instance != self.config.instance {
            return Err(refused(format!(
                "this backup belongs to the instance `{}`, not `{}`; restore it with MILKCRATE_INSTANCE={}",
                manifest.instance, self.config.instance, manifest.instance
            )));
        }
        // The copy is brought to this version's schema and checked by SQLite itself.
        let restored = db::connect(&work.path().join(DATABASE))
            .await
            .map_err(|e| refused(format!("the backup's database cannot be opened: {e:#}")))?;
        let check = restored
            .query_one_raw(sea_orm::Statement::from_string(
                restored.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await?
            .and_then(|row| row.try_get_by_index::<String>(0).ok());
        if check.as_deref() != Some("ok") {
            return Err(refused(format!(
                "the backup's database is damaged: {}",
                check.unwrap_or_default()
            )));
        }
        self.check_restored(&restored, &manifest, work.path())
            .await?;
        if app::Entity::find().count(&self.db).await? > 0
            || volume::Entity::find().count(&self.db).await? > 0
        {
            return Err(DomainError::Conflict(
                "restore needs an empty instance (no apps, no volumes): start Milkcrate on a fresh data folder first".into(),
            ));
        }
        for v in &manifest.volumes {
            if self
                .runtime
                .volume_exists(&self.names.managed_volume(&v.name))
                .await?
            {
                return Err(DomainError::Conflict(format!(
                    "the Docker volume {} exists already; remove it or restore elsewhere",
                    self.names.managed_volume(&v.name)
                )));
            }
        }

        // Checked: now apply. Images, then volumes with their files, then the records.
        for images in &manifest.images {
            self.runtime
                .load_images(&work.path().join(&images.file.path))
                .await?;
        }
        let rows = volume::Entity::find().all(&restored).await?;
        for v in &manifest.volumes {
            let labels = std::collections::HashMap::from([
                (
                    crate::runtime::labels::INSTANCE.to_string(),
                    self.config.instance.clone(),
                ),
                (
                    crate::domain::volumes::VOLUME_LABEL.to_string(),
                    v.name.clone(),
                ),
            ]);
            self.runtime
                .ensure_volume(&self.names.managed_volume(&v.name), labels)
                .await?;
        }
        if !manifest.volumes.is_empty() {
            let names: Vec<&str> = manifest.volumes.iter().map(|v| v.name.as_str()).collect();
            let session = self.helper_session(&names).await?;
            for v in &manifest.volumes {
                // The archive's entries start with the volume's folder name; the helper's root
                // is read-only, so they are unpacked at the mount itself, without that name.
                let (src, dst) = (
                    work.path().join(&v.file.path),
                    work.path().join(format!("{}.inner.tar", v.file.path)),
                );
                let (s, d) = (src.clone(), dst.clone());
                tokio::task::spawn_blocking(move || strip_first_component(&s, &d))
                    .await
                    .map_err(|e| anyhow::anyhow!("restore task failed: {e}"))?
                    .map_err(|e| anyhow::anyhow!("unpacking volume {}: {e}", v.name))?;
                self.runtime
                    .upload_archive(&session.container, &format!("/v/{}", v.name), &dst)
                    .await?;
            }
        }
        let txn = self.db.begin().await?;
        setting::Entity::delete_many().exec(&txn).await?;
        for row in setting::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in app::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in deployment::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in app_mount::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in rows {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in app_domain::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        for row in certificate::Entity::find().all(&restored).await? {
            row.into_active_model().reset_all().insert(&txn).await?;
        }
        txn.commit().await?;
        if let Some(store) = &manifest.acme_store {
            self.restore_acme_store(&work.path().join(&store.path))
                .await?;
        }
        restored.close().await?;
        self.revive_apps().await?;
        // Routed at once (with their host names and certificates), not at the next
        // reconciliation.
        self.refresh_routes().await?;
        tracing::info!(
            "restored a backup of {}: {} volumes, {} images",
            manifest.created_at,
            manifest.volumes.len(),
            manifest.images.len()
        );
        Ok(manifest)
    }

    /// Refuses a backup whose rows or images break the rules (`restore_checks.rs`), naming
    /// every problem; a row this version cannot read is refused too.
    async fn check_restored(
        &self,
        restored: &sea_orm::DatabaseConnection,
        manifest: &Manifest,
        dir: &Path,
    ) -> DomainResult<()> {
        let unreadable = |e: sea_orm::DbErr| {
            refused(format!(
                "the backup's database holds rows this version cannot read: {e}"
            ))
        };
        let rows = restore_checks::Rows {
            apps: app::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            deployments: deployment::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            mounts: app_mount::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            volumes: volume::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            settings: setting::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            domains: app_domain::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
            certificates: certificate::Entity::find()
                .all(restored)
                .await
                .map_err(unreadable)?,
        };
        let mut problems = restore_checks::row_problems(&rows, &self.names, &self.config.limits);
        let app_names = rows.apps.iter().map(|a| a.name.clone()).collect();
        for stored in &manifest.images {
            let images = self
                .runtime
                .archived_images(&dir.join(&stored.file.path))
                .await
                .map_err(|e| refused(format!("{}: {e}", stored.file.path)))?;
            problems.extend(restore_checks::image_problems(
                &images,
                &self.names,
                &app_names,
            ));
        }
        if let Some(problem) =
            self.unopenable_secrets(&rows.apps, &rows.deployments, &rows.certificates)
        {
            problems.push(problem);
        }
        if let Some(store) = &manifest.acme_store {
            let file = dir.join(&store.path);
            let checked = tokio::task::spawn_blocking(move || {
                super::backup_certificates::check_acme_store(&file)
            })
            .await
            .map_err(|e| anyhow::anyhow!("checking the ACME store: {e}"))?;
            problems.extend(checked.err());
        }
        // Only what the database lists is restored: a volume the manifest adds is refused.
        for v in &manifest.volumes {
            if !rows.volumes.iter().any(|row| row.name == v.name) {
                problems.push(format!("volume `{}`: not in the backup's database", v.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(refused(format!(
                "the backup is refused: {}",
                problems.join("; ")
            )))
        }
    }

    fn work_dir(&self, prefix: &str) -> DomainResult<tempfile::TempDir> {
        std::fs::create_dir_all(self.paths.tmp())
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", self.paths.tmp().display()))?;
        Ok(tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir_in(self.paths.tmp())
            .map_err(|e| anyhow::anyhow!("creating a work folder: {e}"))?)
    }
}

fn sha256_of(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((total, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a file off the async runtime (volumes and images can be gigabytes).
pub(super) async fn stored(local: &Path, path: &str) -> DomainResult<Stored> {
    let file = local.to_path_buf();
    let (bytes, sha256) = tokio::task::spawn_blocking(move || sha256_of(&file))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", local.display()))?;
    Ok(Stored {
        path: path.into(),
        bytes,
        sha256,
    })
}

fn write_archive(dir: &Path, manifest: &Manifest, target: &Path) -> std::io::Result<()> {
    let partial = target.with_extension("partial");
    let file = std::fs::File::create(&partial)?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let json = serde_json::to_vec_pretty(manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(manifest.created_at.timestamp() as u64);
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST, &json[..])?;
    for stored in manifest.files() {
        tar.append_path_with_name(dir.join(&stored.path), &stored.path)?;
    }
    let mut out = tar.into_inner()?.finish()?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    // Only a complete archive ever carries the target's name.
    std::fs::rename(partial, target)
}

/// Copies a tar, dropping the first component of every path (and the entry for it alone).
fn strip_first_component(source: &Path, target: &Path) -> std::io::Result<()> {
    let mut input = tar::Archive::new(std::fs::File::open(source)?);
    let mut output = tar::Builder::new(std::io::BufWriter::new(std::fs::File::create(target)?));
    for entry in input.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let inner: PathBuf = path.components().skip(1).collect();
        if inner.as_os_str().is_empty() {
            continue;
        }
        let mut header = entry.header().clone();
        output.append_data(&mut header, &inner, &mut entry)?;
    }
    output.into_inner()?.flush()
}

/// Unpacks the archive into `dir`, checking the manifest and every file against it.
fn unpack_checked(archive: &Path, dir: &Path) -> DomainResult<Manifest> {
    let corrupt = |e: std::io::Error| refused(format!("the archive is damaged: {e}"));
    let file =
        std::fs::File::open(archive).map_err(|e| anyhow::anyhow!("opening the archive: {e}"))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let not_ours = || refused("this is not a Milkcrate backup (no manifest.json first)");
    let mut entries = tar.entries().map_err(|_| not_ours())?;
    // An archive that does not even start as a .tar.gz is foreign, not damaged.
    let mut first = entries
        .next()
        .ok_or_else(not_ours)?
        .map_err(|_| not_ours())?;
    if first.path().map_err(corrupt)?.as_os_str() != MANIFEST || first.size() > MAX_MANIFEST {
        return Err(not_ours());
    }
    let mut json = Vec::new();
    first.read_to_end(&mut json).map_err(corrupt)?;
    let manifest: Manifest = serde_json::from_slice(&json).map_err(|_| not_ours())?;
    if manifest.format != FORMAT {
        return Err(not_ours());
    }
    if manifest.version != VERSION {
        return Err(refused(format!(
            "backup format version {} is not supported (this Milkcrate reads version {VERSION})",
            manifest.version
        )));
    }
    let expected: Vec<&Stored> = manifest.files().collect();
    for v in &manifest.volumes {
        shared::validation::volume_name(&v.name)
            .map_err(|e| refused(format!("volume name `{}` {e}", v.name)))?;
    }
    // The manifest is as hostile as any upload: its paths must stay inside the work folder.
    for stored in &expected {
        if shared::validation::volume_path(&stored.path).as_deref() != Ok(stored.path.as_str())
            || stored.path.is_empty()
        {
            return Err(refused(format!(
                "the manifest names a bad path `{}`",
                stored.path
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        let name = entry.path().map_err(corrupt)?.display().to_string();
        let Some(stored) = expected.iter().find(|s| s.path == name) else {
            return Err(refused(format!("unexpected entry `{name}` in the archive")));
        };
        if !entry.header().entry_type().is_file() || !seen.insert(name.clone()) {
            return Err(refused(format!(
                "entry `{name}` is not a single regular file"
            )));
        }
        // Paths come from our own manifest list, never from the entry: nothing lands elsewhere.
        let local: PathBuf = dir.join(&stored.path);
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let mut out = std::fs::File::create(&local).map_err(|e| anyhow::anyhow!("{e}"))?;
        std::io::copy(&mut entry, &mut out).map_err(corrupt)?;
        let (bytes, sha256) = sha256_of(&local).map_err(corrupt)?;
        if bytes != stored.bytes || sha256 != stored.sha256 {
            return Err(refused(format!(
                "`{name}` does not match its checksum: the archive is damaged"
            )));
        }
    }
    if let Some(missing) = expected.iter().find(|s| !seen.contains(&s.path)) {
        return Err(refused(format!(
            "`{}` is missing from the archive",
            missing.path
        )));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::TestPlatform;

    /// A backup of an instance with one running app, unpacked for tampering.
    async fn unpacked_backup() -> (TestPlatform, tempfile::TempDir, Manifest) {
        let source = TestPlatform::new().await;
        let zip = source.platform.paths.tmp().join("app.zip");
        {
            use std::io::Write;
            let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
            writer
                .start_file("Dockerfile", zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(b"FROM scratch\n").unwrap();
            writer.finish().unwrap();
        }
        let created = source
            .platform
            .create_app("blog", "/blog", &zip, &[], &[])
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while !source
            .platform
            .get_deployment(created.deployment.id)
            .await
            .unwrap()
            .status
            .is_final()
        {
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let archive = source.data.path().join("backup.tar.gz");
        source.platform.backup(&archive).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = unpack_checked(&archive, dir.path()).unwrap();
        (source, dir, manifest)
    }

    /// Packs `dir` again with checksums that match, as a forger would.
    async fn repacked(dir: &Path, mut manifest: Manifest, target: &Path) {
        manifest.database = stored(&dir.join(DATABASE), DATABASE).await.unwrap();
        for image in &mut manifest.images {
            image.file = stored(&dir.join(&image.file.path), &image.file.path)
                .await
                .unwrap();
        }
        write_archive(dir, &manifest, target).unwrap();
    }

    async fn restore_into_a_fresh_instance(
        archive: &Path,
    ) -> (TestPlatform, DomainResult<Manifest>) {
        let target = TestPlatform::new().await;
        let outcome = target.platform.restore(archive).await;
        (target, outcome)
    }

    #[tokio::test]
    async fn secrets_travel_sealed_and_restore_only_under_the_key_that_sealed_them() {
        let (source, _dir, _) = unpacked_backup().await;
        let secret = "restore-me-sealed";
        let queued = source
            .platform
            .put_app_env(
                "blog",
                shared::v1::AppEnv {
                    vars: vec![shared::v1::EnvVar {
                        key: "API_TOKEN".into(),
                        value: Some(secret.into()),
                        secret: true,
                    }],
                    build_args: Vec::new(),
                },
            )
            .await
            .unwrap();
        crate::domain::deploy::tests::settled(&source.platform, queued.id).await;
        let archive = source.data.path().join("with-secret.tar.gz");
        source.platform.backup(&archive).await.unwrap();
        let mut unpacked = Vec::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(std::fs::File::open(&archive).unwrap())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert!(
            !unpacked
                .windows(secret.len())
                .any(|w| w == secret.as_bytes())
        );

        let stranger = TestPlatform::with_secrets_key("another key").await;
        let err = stranger.platform.restore(&archive).await.unwrap_err();
        let message = err.describe();
        assert!(
            message.contains("restore needs the key that sealed it"),
            "{message}"
        );
        assert!(stranger.platform.list_apps().await.unwrap().is_empty());
        let (target, outcome) = restore_into_a_fresh_instance(&archive).await;
        outcome.unwrap();
        let env = target.platform.app_env("blog").await.unwrap();
        assert_eq!(env.vars[0].key, "API_TOKEN");
    }

    #[tokio::test]
    async fn an_untampered_backup_restores() {
        let (_source, dir, manifest) = unpacked_backup().await;
        let archive = dir.path().join("again.tar.gz");
        repacked(dir.path(), manifest, &archive).await;
        let (target, outcome) = restore_into_a_fresh_instance(&archive).await;
        outcome.unwrap();
        assert_eq!(target.platform.list_apps().await.unwrap()[0].name, "blog");
    }

    #[tokio::test]
    async fn a_backup_carrying_another_images_tag_is_refused_and_nothing_changes() {
        let (_source, dir, manifest) = unpacked_backup().await;
        // The fake runtime's image archive is its tag: the forger's names the proxy's image.
        std::fs::write(
            dir.path().join(&manifest.images[0].file.path),
            "traefik:v3.7.15",
        )
        .unwrap();
        let archive = dir.path().join("forged.tar.gz");
        repacked(dir.path(), manifest, &archive).await;
        let (target, outcome) = restore_into_a_fresh_instance(&archive).await;
        let message = match outcome {
            Err(DomainError::Invalid(fields)) => fields["file"].join(" "),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(message.contains("image `traefik:v3.7.15`"), "{message}");
        assert!(target.platform.list_apps().await.unwrap().is_empty());
        assert!(
            !target
                .runtime
                .image_tags()
                .contains(&"traefik:v3.7.15".to_string())
        );
    }

    #[tokio::test]
    async fn a_backup_whose_rows_break_the_apis_rules_is_refused() {
        let (_source, dir, manifest) = unpacked_backup().await;
        let db = db::connect(&dir.path().join(DATABASE)).await.unwrap();
        db.execute_unprepared(
            "UPDATE app SET route = '/api', memory_bytes = 0; \
             INSERT INTO setting (key, value) VALUES ('default_home_route', '//evil.example')",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
        let archive = dir.path().join("forged.tar.gz");
        repacked(dir.path(), manifest, &archive).await;
        let (target, outcome) = restore_into_a_fresh_instance(&archive).await;
        let message = match outcome {
            Err(DomainError::Invalid(fields)) => fields["file"].join(" "),
            other => panic!("expected a refusal, got {other:?}"),
        };
        for expected in [
            "route `/api`",
            "memory limit (0)",
            "`//evil.example` is no app's route",
        ] {
            assert!(
                message.contains(expected),
                "`{expected}` missing: {message}"
            );
        }
        assert!(target.platform.list_apps().await.unwrap().is_empty());
    }
}
