//! Files inside managed volumes: browse, upload (files or a ZIP), download (a file, or a folder
//! as tar.gz), delete, create folders.
//!
//! Every path is hostile: `shared::validation::volume_path` refuses absolute paths, `..` and
//! friends before anything runs, and every existing step of a path is checked inside the helper
//! with `lstat` before it is touched, so a path through a symbolic link (which an app could have
//! planted, pointing anywhere) is refused. The helper only has the volumes and its own read-only
//! root, so even a link swapped in between check and use reaches nothing of the host.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use shared::v1::{EntryKind, UploadedFiles, VolumeEntry, VolumeListing};
use tempfile::TempPath;

use super::helper::Session;
use crate::domain::{DomainError, DomainResult, FieldErrors, Platform};
use crate::intake;

/// A file ready to be sent: its content is in `file` (deleted when dropped).
pub struct Download {
    pub file: TempPath,
    /// Where the content starts in `file` (a file is sent straight out of Docker's tar).
    pub offset: u64,
    pub name: String,
    pub size: u64,
}

fn bad_path(message: String) -> DomainError {
    DomainError::Invalid(FieldErrors::from([("path".to_string(), vec![message])]))
}

fn checked_path(path: &str) -> DomainResult<String> {
    shared::validation::volume_path(path).map_err(|e| bad_path(format!("`{path}` {e}")))
}

/// What `lstat` says a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Missing,
    Folder,
    File,
    Symlink,
    Other,
}

fn kind_of(stat_type: &str) -> Found {
    match stat_type {
        "directory" => Found::Folder,
        "regular file" | "regular empty file" => Found::File,
        "symbolic link" => Found::Symlink,
        _ => Found::Other,
    }
}

/// The most entries one page of a folder holds.
pub const PAGE: u64 = 1000;

impl Platform {
    /// Checks that no existing step of `path` in `volume` is a symbolic link; returns what the
    /// last step is.
    async fn walk(&self, session: &Session, volume: &str, path: &str) -> DomainResult<Found> {
        if path.is_empty() {
            return Ok(Found::Folder);
        }
        let mut steps = Vec::new();
        let mut current = format!("/v/{volume}");
        for segment in path.split('/') {
            current = format!("{current}/{segment}");
            steps.push(current.clone());
        }
        let mut args = vec!["-c", "%F|%n", "--"];
        args.extend(steps.iter().map(String::as_str));
        let output = session.run_any("stat", &args).await?;
        let found: std::collections::HashMap<&str, Found> = output
            .stdout
            .lines()
            .filter_map(|l| l.split_once('|').map(|(t, n)| (n, kind_of(t))))
            .collect();
        let mut last = Found::Missing;
        for (i, step) in steps.iter().enumerate() {
            last = found.get(step.as_str()).copied().unwrap_or(Found::Missing);
            match last {
                Found::Symlink => {
                    return Err(bad_path(format!(
                        "`{path}` goes through a symbolic link; links inside volumes are never followed"
                    )));
                }
                Found::Missing => return Ok(Found::Missing),
                Found::Folder => {}
                _ if i + 1 < steps.len() => {
                    return Err(bad_path(format!("`{path}`: a part of it is not a folder")));
                }
                _ => {}
            }
        }
        Ok(last)
    }

    /// One page of a folder's entries: `limit` of them after `offset`, in the order the folder
    /// lists them (sorted within the page), read without holding the rest.
    pub async fn list_volume_folder(
        &self,
        name: &str,
        path: &str,
        offset: u64,
        limit: u64,
    ) -> DomainResult<VolumeListing> {
        let volume = self.find_volume(name).await?.name;
        let path = checked_path(path)?;
        let session = self.helper_session(&[&volume]).await?;
        match self.walk(&session, &volume, &path).await? {
            Found::Folder => {}
            Found::Missing => return Err(DomainError::not_found("folder", &path)),
            _ => return Err(bad_path(format!("`{path}` is not a folder"))),
        }
        let dir = join(&format!("/v/{volume}"), &path);
        let (lines, more) = session
            .run_lines(
                "find",
                &[
                    &dir,
                    "-mindepth",
                    "1",
                    "-maxdepth",
                    "1",
                    "-exec",
                    "/bin/busybox",
                    "stat",
                    "-c",
                    "%F|%s|%Y|%n",
                    "{}",
                    "+",
                ],
                usize::try_from(offset).unwrap_or(usize::MAX),
                usize::try_from(limit).unwrap_or(usize::MAX),
            )
            .await?;
        let prefix = format!("{dir}/");
        let mut entries: Vec<VolumeEntry> = lines
            .iter()
            .filter_map(|line| {
                let mut parts = line.splitn(4, '|');
                let (kind, size, mtime, full) =
                    (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
                let entry_name = full.strip_prefix(&prefix)?.to_string();
                Some(VolumeEntry {
                    path: join(&path, &entry_name),
                    name: entry_name,
                    kind: match kind_of(kind) {
                        Found::Folder => EntryKind::Folder,
                        Found::File => EntryKind::File,
                        Found::Symlink => EntryKind::Symlink,
                        _ => EntryKind::Other,
                    },
                    size_bytes: size.parse().unwrap_or(0),
                    modified: mtime
                        .parse()
                        .ok()
                        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)),
                })
            })
            .collect();
        entries.sort_by(|a, b| {
            (a.kind != EntryKind::Folder, &a.name).cmp(&(b.kind != EntryKind::Folder, &b.name))
        });
        Ok(VolumeListing {
            volume,
            path,
            next_offset: more.then_some(offset + lines.len() as u64),
            entries,
        })
    }

    pub async fn create_volume_folder(&self, name: &str, path: &str) -> DomainResult<()> {
        let volume = self.find_volume(name).await?.name;
        let path = checked_path(path)?;
        if path.is_empty() {
            return Err(bad_path("name the folder to create".into()));
        }
        let session = self.helper_session(&[&volume]).await?;
        match self.walk(&session, &volume, &path).await? {
            Found::Missing => {}
            Found::Folder => return Err(DomainError::Conflict(format!("`{path}` exists"))),
            _ => return Err(DomainError::Conflict(format!("`{path}` exists as a file"))),
        }
        session
            .run(
                "mkdir",
                &["-p", "--", &join(&format!("/v/{volume}"), &path)],
            )
            .await?;
        Ok(())
    }

    /// Deletes a file or a folder with everything in it (a link itself, never its target).
    pub async fn delete_volume_path(&self, name: &str, path: &str) -> DomainResult<()> {
        let volume = self.find_volume(name).await?.name;
        let path = checked_path(path)?;
        if path.is_empty() {
            return Err(bad_path(
                "the volume's root cannot be deleted; delete the volume".into(),
            ));
        }
        let session = self.helper_session(&[&volume]).await?;
        let (parent, _) = path.rsplit_once('/').unwrap_or(("", &path));
        // The parent chain must be free of links; the last step may be a link (removed itself).
        self.walk(&session, &volume, parent).await?;
        let full = join(&format!("/v/{volume}"), &path);
        let exists = session.run_any("stat", &["-c", "%F", "--", &full]).await?;
        if exists.exit_code != 0 {
            return Err(DomainError::not_found("path", &path));
        }
        session.run("rm", &["-rf", "--", &full]).await?;
        Ok(())
    }

    /// Writes `files` (name, content) into the folder `dir` (created if missing). Existing files
    /// of the same names are replaced.
    pub async fn upload_volume_files(
        &self,
        name: &str,
        dir: &str,
        files: &[(String, PathBuf)],
    ) -> DomainResult<UploadedFiles> {
        let mut problems = Vec::new();
        let mut names = Vec::new();
        for (file_name, _) in files {
            match shared::validation::file_name(file_name) {
                Ok(n) => names.push(n),
                Err(e) => problems.push(format!("`{file_name}` {e}")),
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(FieldErrors::from([(
                "files".to_string(),
                problems,
            )])));
        }
        let staging = self.staging_dir()?;
        let mut bytes = 0;
        for ((_, content), file_name) in files.iter().zip(&names) {
            let target = staging.path().join(file_name);
            tokio::fs::rename(content, &target)
                .await
                .map_err(|e| anyhow::anyhow!("staging {file_name}: {e}"))?;
            bytes += tokio::fs::metadata(&target)
                .await
                .map(|m| m.len())
                .unwrap_or(0);
        }
        self.put_folder(name, dir, staging.path(), &names).await?;
        Ok(UploadedFiles {
            files: names.len() as u64,
            bytes,
        })
    }

    /// Extracts a ZIP into the folder `dir`, under the same rules as app uploads (no links, no
    /// traversal, size and count limits), checked before anything is written.
    pub async fn upload_volume_zip(
        &self,
        name: &str,
        dir: &str,
        zip: &Path,
    ) -> DomainResult<UploadedFiles> {
        self.find_volume(name).await?;
        let staging = self.staging_dir()?;
        let (zip, dest, limits) = (
            zip.to_path_buf(),
            staging.path().to_path_buf(),
            self.intake_limits(),
        );
        let extracted =
            tokio::task::spawn_blocking(move || intake::extract_files(&zip, &dest, &limits))
                .await
                .map_err(|e| anyhow::anyhow!("extraction task failed: {e}"))??;
        let mut top: Vec<String> = std::fs::read_dir(staging.path())
            .map_err(|e| anyhow::anyhow!("reading the extracted ZIP: {e}"))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        self.put_folder(name, dir, staging.path(), &top).await?;
        Ok(UploadedFiles {
            files: extracted.files,
            bytes: extracted.bytes,
        })
    }

    fn staging_dir(&self) -> DomainResult<tempfile::TempDir> {
        Ok(tempfile::Builder::new()
            .prefix("volume-")
            .tempdir_in(self.paths.tmp())
            .map_err(|e| anyhow::anyhow!("creating a staging folder: {e}"))?)
    }

    /// Copies the `entries` of the local folder `source` into `dir` of the volume.
    async fn put_folder(
        &self,
        name: &str,
        dir: &str,
        source: &Path,
        entries: &[String],
    ) -> DomainResult<()> {
        let volume = self.find_volume(name).await?.name;
        let dir = checked_path(dir)?;
        let session = self.helper_session(&[&volume]).await?;
        match self.walk(&session, &volume, &dir).await? {
            Found::Folder | Found::Missing => {}
            _ => return Err(bad_path(format!("`{dir}` is not a folder"))),
        }
        for entry in entries {
            let target = join(&dir, entry);
            if self.walk(&session, &volume, &target).await? == Found::Symlink {
                return Err(bad_path(format!("`{target}` is a symbolic link")));
            }
        }
        // Headers are planned up front; contents stream from the staged files, never copied
        // into an intermediate tar.
        let (src, prefix, list) = (source.to_path_buf(), dir.clone(), entries.to_vec());
        let plan = tokio::task::spawn_blocking(move || plan_tar(&src, &list, &prefix))
            .await
            .map_err(|e| anyhow::anyhow!("packing task failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("packing the upload: {e}"))?;
        self.runtime
            .upload_archive_stream(
                &session.container,
                &format!("/v/{volume}"),
                Box::pin(tar_stream(plan)),
            )
            .await?;
        Ok(())
    }

    /// The Docker archive (tar) of `path`, which must be a `want` (file or folder).
    async fn fetch_tar(
        &self,
        name: &str,
        path: &str,
        want: Found,
    ) -> DomainResult<(String, String, TempPath)> {
        let volume = self.find_volume(name).await?.name;
        let path = checked_path(path)?;
        let session = self.helper_session(&[&volume]).await?;
        let what = if want == Found::File {
            "file"
        } else {
            "folder"
        };
        match self.walk(&session, &volume, &path).await? {
            found if found == want => {}
            Found::Missing => return Err(DomainError::not_found(what, &path)),
            _ => return Err(bad_path(format!("`{path}` is not a {what}"))),
        }
        let tar = self.temp_path("get", "tar");
        let full = join(&format!("/v/{volume}"), &path);
        self.runtime
            .download_archive(&session.container, &full, &tar)
            .await?;
        Ok((volume, path, tar))
    }

    /// One file's content, sent from where it sits inside Docker's tar (no second copy).
    pub async fn download_volume_file(&self, name: &str, path: &str) -> DomainResult<Download> {
        let (_, path, tar) = self.fetch_tar(name, path, Found::File).await?;
        let src = tar.to_path_buf();
        let (offset, size) = tokio::task::spawn_blocking(move || locate_file(&src))
            .await
            .map_err(|e| anyhow::anyhow!("unpacking task failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("reading the download: {e}"))?;
        Ok(Download {
            file: tar,
            offset,
            name: path.rsplit('/').next().unwrap_or(&path).to_string(),
            size,
        })
    }

    /// A folder (or the whole volume) as a gzip-compressed tar.
    pub async fn download_volume_folder(&self, name: &str, path: &str) -> DomainResult<Download> {
        let (volume, path, tar) = self.fetch_tar(name, path, Found::Folder).await?;
        let out = self.temp_path("folder", "tar.gz");
        let (src, dst) = (tar.to_path_buf(), out.to_path_buf());
        let size = tokio::task::spawn_blocking(move || gzip(&src, &dst))
            .await
            .map_err(|e| anyhow::anyhow!("compression task failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("compressing the download: {e}"))?;
        let base = match path.rsplit('/').next() {
            Some(last) if !last.is_empty() => last.to_string(),
            _ => volume,
        };
        Ok(Download {
            file: out,
            offset: 0,
            name: format!("{base}.tar.gz"),
            size,
        })
    }

    fn temp_path(&self, prefix: &str, ext: &str) -> TempPath {
        // Only fails for a relative path when the working directory is gone.
        let path = self
            .paths
            .tmp()
            .join(format!("{prefix}-{}.{ext}", rand::random::<u64>()));
        TempPath::try_from_path(path).expect("a working directory")
    }
}

fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (_, true) => base.to_string(),
        (true, false) => rest.to_string(),
        (false, false) => format!("{base}/{rest}"),
    }
}

/// One tar entry: its header blocks, then (for a file) the local file and its size.
type Planned = (Vec<u8>, Option<(PathBuf, u64)>);

/// The tar entries for `entries` of `source` (recursively, links skipped), each under
/// `prefix/`, with the folders of `prefix` first.
fn plan_tar(source: &Path, entries: &[String], prefix: &str) -> std::io::Result<Vec<Planned>> {
    let mut plan = Vec::new();
    let mut parent = String::new();
    for segment in prefix.split('/').filter(|s| !s.is_empty()) {
        parent = join(&parent, segment);
        plan.push((header_bytes(&parent, None, 0o755)?, None));
    }
    for entry in entries {
        plan_entry(&source.join(entry), &join(prefix, entry), &mut plan)?;
    }
    Ok(plan)
}

fn plan_entry(local: &Path, name: &str, plan: &mut Vec<Planned>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(local)?;
    let mode = meta.permissions().mode() & 0o777;
    if meta.is_dir() {
        plan.push((header_bytes(name, None, mode)?, None));
        let mut children: Vec<_> = std::fs::read_dir(local)?.collect::<Result<_, _>>()?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let child_name = format!("{name}/{}", child.file_name().to_string_lossy());
            plan_entry(&child.path(), &child_name, plan)?;
        }
    } else if meta.is_file() {
        let size = meta.len();
        plan.push((
            header_bytes(name, Some(size), mode)?,
            Some((local.to_path_buf(), size)),
        ));
    }
    Ok(())
}

/// The header block(s) of one entry (long names get the GNU extension blocks).
fn header_bytes(name: &str, file_size: Option<u64>, mode: u32) -> std::io::Result<Vec<u8>> {
    let mut header = tar::Header::new_gnu();
    match file_size {
        Some(size) => {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(size);
        }
        None => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
        }
    }
    header.set_mode(mode);
    header.set_mtime(Utc::now().timestamp() as u64);
    let path = if file_size.is_some() {
        name.to_string()
    } else {
        format!("{name}/")
    };
    let mut builder = tar::Builder::new(Vec::new());
    // No data follows here: only the header blocks are taken.
    builder.append_data(&mut header, path, std::io::empty())?;
    Ok(builder.get_ref().clone())
}

/// The tar as a stream: each header, then the file read as it is sent, padded to 512 bytes;
/// two zero blocks at the end.
fn tar_stream(
    plan: Vec<Planned>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    use futures_util::{StreamExt, TryStreamExt, stream};
    type Part = stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;
    let parts = plan.into_iter().map(|(header, file)| {
        let header: Part = stream::once(async move { Ok(bytes::Bytes::from(header)) }).boxed();
        let Some((path, size)) = file else {
            return header;
        };
        let content: Part = stream::once(async move { tokio::fs::File::open(path).await })
            .map_ok(tokio_util::io::ReaderStream::new)
            .try_flatten()
            .boxed();
        let pad = ((512 - size % 512) % 512) as usize;
        let padding: Part =
            stream::once(async move { Ok(bytes::Bytes::from(vec![0u8; pad])) }).boxed();
        header.chain(content).chain(padding).boxed()
    });
    let end: Part = stream::once(async { Ok(bytes::Bytes::from(vec![0u8; 1024])) }).boxed();
    stream::iter(parts.collect::<Vec<_>>()).flatten().chain(end)
}

/// Where the first regular file's content sits in the tar `source`: offset and size.
fn locate_file(source: &Path) -> std::io::Result<(u64, u64)> {
    let mut archive = tar::Archive::new(std::fs::File::open(source)?);
    for entry in archive.entries()? {
        let entry = entry?;
        if entry.header().entry_type().is_file() {
            return Ok((entry.raw_file_position(), entry.size()));
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "the archive holds no file",
    ))
}

fn gzip(source: &Path, target: &Path) -> std::io::Result<u64> {
    let mut input = std::fs::File::open(source)?;
    let mut encoder = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(std::fs::File::create(target)?),
        flate2::Compression::fast(),
    );
    std::io::copy(&mut input, &mut encoder)?;
    encoder.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(std::fs::metadata(target)?.len())
}
