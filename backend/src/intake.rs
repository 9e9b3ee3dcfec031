//! Safe intake of an uploaded app ZIP. The archive is hostile until every entry has passed every
//! rule; only then is anything written, and never outside the destination folder.

use std::{
    collections::HashSet,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Component, Path, PathBuf},
};

use zip::ZipArchive;

/// Limits applied to every uploaded archive.
#[derive(Debug, Clone)]
pub struct IntakeLimits {
    pub max_entries: u64,
    pub max_uncompressed_bytes: u64,
    /// An entry over 1 MiB that expands more than this many times is a compression bomb.
    pub max_ratio: u64,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_entries: 20_000,
            max_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

/// Entries smaller than this are never called bombs: tiny files compress absurdly well.
const BOMB_MIN_SIZE: u64 = 1024 * 1024;

/// Compose file names recognised at the app root, in order of preference.
pub const COMPOSE_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// What kind of app the archive holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    Dockerfile,
    /// The compose file found at the app root, e.g. `compose.yaml`.
    Compose(String),
}

/// What was extracted.
#[derive(Debug)]
pub struct Extracted {
    pub source: AppSource,
    pub files: u64,
    pub bytes: u64,
}

/// Why an archive was refused. Each names the entry and the rule it broke.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the file is not a readable ZIP archive ({0})")]
    InvalidZip(String),
    #[error("entry `{0}` is encrypted; upload an unencrypted ZIP")]
    Encrypted(String),
    #[error("entry `{0}`: paths may not contain `..` segments")]
    PathTraversal(String),
    #[error("entry `{0}`: absolute paths are not allowed")]
    AbsolutePath(String),
    #[error("entry `{0}` is a symlink; links are not allowed")]
    Symlink(String),
    #[error("entry `{0}` is a device, pipe or socket; only files and folders are allowed")]
    SpecialFile(String),
    #[error("the archive has {found} entries; the limit is {limit}")]
    TooManyEntries { found: u64, limit: u64 },
    #[error("entry `{entry}` takes the archive past the {limit_mb} MiB uncompressed limit")]
    TooLarge { entry: String, limit_mb: u64 },
    #[error("entry `{0}` expands far more than real files do (a compression bomb)")]
    Bomb(String),
    #[error("entry `{0}` appears twice")]
    DuplicateEntry(String),
    #[error(
        "no Dockerfile (or compose file) at the top of the archive, nor in its single top-level folder"
    )]
    MissingDockerfile,
    #[error("extracting `{entry}` failed: {message}")]
    Io { entry: String, message: String },
    #[error("the data disk is full (extracting `{0}`)")]
    NoSpace(String),
}

impl IntakeError {
    /// Stable machine-readable rule name.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::InvalidZip(_) => "invalid_zip",
            Self::Encrypted(_) => "encrypted",
            Self::PathTraversal(_) => "path_traversal",
            Self::AbsolutePath(_) => "absolute_path",
            Self::Symlink(_) => "symlink",
            Self::SpecialFile(_) => "special_file",
            Self::TooManyEntries { .. } => "too_many_entries",
            Self::TooLarge { .. } => "too_large",
            Self::Bomb(_) => "bomb",
            Self::DuplicateEntry(_) => "duplicate_entry",
            Self::MissingDockerfile => "missing_dockerfile",
            Self::Io { .. } => "io",
            Self::NoSpace(_) => "no_space",
        }
    }

    /// The offending entry, when the error concerns one.
    pub fn entry(&self) -> Option<&str> {
        match self {
            Self::Encrypted(e)
            | Self::PathTraversal(e)
            | Self::AbsolutePath(e)
            | Self::Symlink(e)
            | Self::SpecialFile(e)
            | Self::Bomb(e)
            | Self::DuplicateEntry(e)
            | Self::TooLarge { entry: e, .. }
            | Self::Io { entry: e, .. }
            | Self::NoSpace(e) => Some(e),
            Self::InvalidZip(_) | Self::TooManyEntries { .. } | Self::MissingDockerfile => None,
        }
    }
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// One entry that passed the checks: where it goes and how.
struct Planned {
    index: usize,
    raw_name: String,
    relative: PathBuf,
    is_dir: bool,
    mode: Option<u32>,
    declared_size: u64,
}

/// Checks every entry of the ZIP at `zip_path`, then extracts the app it holds into `dest`
/// (existing, empty). Blocking. On error the caller removes `dest`; nothing is ever written
/// outside it.
pub fn extract_zip(
    zip_path: &Path,
    dest: &Path,
    limits: &IntakeLimits,
) -> Result<Extracted, IntakeError> {
    extract_checked(zip_path, dest, limits, true)
}

/// The same rules for a ZIP of plain files (e.g. uploaded into a volume): no app root, no
/// Dockerfile required, nothing stripped. `source` of the result is meaningless.
pub fn extract_files(
    zip_path: &Path,
    dest: &Path,
    limits: &IntakeLimits,
) -> Result<Extracted, IntakeError> {
    extract_checked(zip_path, dest, limits, false)
}

fn extract_checked(
    zip_path: &Path,
    dest: &Path,
    limits: &IntakeLimits,
    app: bool,
) -> Result<Extracted, IntakeError> {
    let file = File::open(zip_path).map_err(|e| IntakeError::InvalidZip(e.to_string()))?;
    let mut archive = ZipArchive::new(file).map_err(|e| IntakeError::InvalidZip(e.to_string()))?;
    if archive.len() as u64 > limits.max_entries {
        return Err(IntakeError::TooManyEntries {
            found: archive.len() as u64,
            limit: limits.max_entries,
        });
    }
    let mut planned = plan(&mut archive, limits)?;
    let (prefix, source) = if app {
        find_app_root(&planned)?
    } else {
        (None, AppSource::Dockerfile)
    };
    if let Some(prefix) = &prefix {
        for entry in &mut planned {
            entry.relative = entry
                .relative
                .strip_prefix(prefix)
                .map(Path::to_path_buf)
                .unwrap_or_default();
        }
        planned.retain(|e| !e.relative.as_os_str().is_empty());
    }
    let mut written = 0u64;
    let mut files = 0u64;
    for entry in &planned {
        let target = dest.join(&entry.relative);
        if entry.is_dir {
            create_dirs(dest, &entry.relative, &entry.raw_name)?;
            continue;
        }
        if let Some(parent) = entry.relative.parent() {
            create_dirs(dest, parent, &entry.raw_name)?;
        }
        let budget = limits.max_uncompressed_bytes - written;
        written += write_entry(&mut archive, entry, &target, budget, limits)?;
        files += 1;
    }
    Ok(Extracted {
        source,
        files,
        bytes: written,
    })
}

/// Runs every rule over the central directory, before anything is written.
fn plan(
    archive: &mut ZipArchive<File>,
    limits: &IntakeLimits,
) -> Result<Vec<Planned>, IntakeError> {
    let mut planned = Vec::with_capacity(archive.len());
    let mut seen = HashSet::new();
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| IntakeError::InvalidZip(e.to_string()))?;
        let raw_name = entry.name().to_string();
        let relative = checked_path(&raw_name)?;
        if relative
            .components()
            .next()
            .is_some_and(|c| c.as_os_str() == "__MACOSX")
        {
            continue; // Finder's resource forks: not part of the app.
        }
        if entry.encrypted() {
            return Err(IntakeError::Encrypted(raw_name));
        }
        let mode = entry.unix_mode();
        let kind = mode.map(|m| m & S_IFMT).filter(|k| *k != 0);
        match kind {
            Some(S_IFLNK) => return Err(IntakeError::Symlink(raw_name)),
            None | Some(S_IFREG) | Some(S_IFDIR) => {}
            Some(_) => return Err(IntakeError::SpecialFile(raw_name)),
        }
        let is_dir = entry.is_dir() || kind == Some(S_IFDIR);
        let size = entry.size();
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_uncompressed_bytes {
            return Err(IntakeError::TooLarge {
                entry: raw_name,
                limit_mb: limits.max_uncompressed_bytes / 1024 / 1024,
            });
        }
        if size > BOMB_MIN_SIZE && size / entry.compressed_size().max(1) > limits.max_ratio {
            return Err(IntakeError::Bomb(raw_name));
        }
        if !seen.insert(relative.clone()) {
            return Err(IntakeError::DuplicateEntry(raw_name));
        }
        planned.push(Planned {
            index,
            raw_name,
            relative,
            is_dir,
            mode,
            declared_size: size,
        });
    }
    Ok(planned)
}

/// The entry name as a relative path of normal components, or the rule it breaks.
fn checked_path(raw: &str) -> Result<PathBuf, IntakeError> {
    // Windows tools write `\`; treat it as a separator so `..\x` cannot slip through.
    let name = raw.replace('\\', "/");
    let has_drive =
        name.len() >= 2 && name.as_bytes()[1] == b':' && name.as_bytes()[0].is_ascii_alphabetic();
    if name.starts_with('/') || has_drive {
        return Err(IntakeError::AbsolutePath(raw.to_string()));
    }
    if name.split('/').any(|segment| segment == "..") {
        return Err(IntakeError::PathTraversal(raw.to_string()));
    }
    let mut path = PathBuf::new();
    for component in Path::new(&name).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(IntakeError::PathTraversal(raw.to_string())),
            Component::RootDir | Component::Prefix(_) => {
                return Err(IntakeError::AbsolutePath(raw.to_string()));
            }
        }
    }
    if path.as_os_str().is_empty() {
        return Err(IntakeError::InvalidZip(format!(
            "entry `{raw}` has an empty name"
        )));
    }
    Ok(path)
}

/// The compose file of an extracted app folder, by the same precedence as intake.
pub fn compose_file_in(dir: &Path) -> Option<&'static str> {
    COMPOSE_FILES
        .iter()
        .copied()
        .find(|f| dir.join(f).is_file())
}

/// The app root: the archive root, or its single top-level folder when that holds the app.
fn find_app_root(planned: &[Planned]) -> Result<(Option<PathBuf>, AppSource), IntakeError> {
    let files: HashSet<&Path> = planned
        .iter()
        .filter(|e| !e.is_dir)
        .map(|e| e.relative.as_path())
        .collect();
    let source_in = |root: &Path| -> Option<AppSource> {
        let compose = COMPOSE_FILES
            .iter()
            .find(|f| files.contains(root.join(f).as_path()));
        match compose {
            Some(file) => Some(AppSource::Compose(file.to_string())),
            None => files
                .contains(root.join("Dockerfile").as_path())
                .then_some(AppSource::Dockerfile),
        }
    };
    if let Some(source) = source_in(Path::new("")) {
        return Ok((None, source));
    }
    let tops: HashSet<&std::ffi::OsStr> = planned
        .iter()
        .filter_map(|e| e.relative.components().next())
        .map(|c| c.as_os_str())
        .collect();
    if tops.len() == 1 {
        let top = PathBuf::from(tops.into_iter().next().unwrap_or_default());
        let only_inside = planned
            .iter()
            .all(|e| e.relative.starts_with(&top) && (e.relative != top || e.is_dir));
        if only_inside && let Some(source) = source_in(&top) {
            return Ok((Some(top), source));
        }
    }
    Err(IntakeError::MissingDockerfile)
}

fn io_error(entry: &str, e: impl IoProblem) -> IntakeError {
    if e.is_disk_full() {
        return IntakeError::NoSpace(entry.to_string());
    }
    IntakeError::Io {
        entry: entry.to_string(),
        message: e.describe(),
    }
}

/// An I/O failure, or a rule about files, as `io_error` reports it.
trait IoProblem {
    fn is_disk_full(&self) -> bool;
    fn describe(&self) -> String;
}

impl IoProblem for io::Error {
    fn is_disk_full(&self) -> bool {
        self.kind() == io::ErrorKind::StorageFull
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

impl IoProblem for zip::result::ZipError {
    fn is_disk_full(&self) -> bool {
        matches!(self, zip::result::ZipError::Io(e) if e.kind() == io::ErrorKind::StorageFull)
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

impl IoProblem for &str {
    fn is_disk_full(&self) -> bool {
        false
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

/// Creates `dest/relative` folder by folder, refusing to pass through anything but a real folder.
fn create_dirs(dest: &Path, relative: &Path, entry: &str) -> Result<(), IntakeError> {
    let mut current = dest.to_path_buf();
    for part in relative.components() {
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(io_error(entry, "a file is in the way of a folder")),
            Err(_) => {
                fs::create_dir(&current).map_err(|e| io_error(entry, e))?;
                fs::set_permissions(&current, fs::Permissions::from_mode(0o755))
                    .map_err(|e| io_error(entry, e))?;
            }
        }
    }
    Ok(())
}

/// Writes one file, counting the bytes really produced: headers can lie about sizes.
fn write_entry(
    archive: &mut ZipArchive<File>,
    entry: &Planned,
    target: &Path,
    budget: u64,
    limits: &IntakeLimits,
) -> Result<u64, IntakeError> {
    let name = &entry.raw_name;
    let mut reader = archive
        .by_index(entry.index)
        .map_err(|e| io_error(name, e))?;
    // Never setuid, setgid or sticky; keep the executable bits.
    let mode = entry
        .mode
        .map(|m| m & 0o777)
        .filter(|m| *m != 0)
        .unwrap_or(0o644);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(target)
        .map_err(|e| io_error(name, e))?;
    let allowed = budget.min(entry.declared_size);
    let mut limited = (&mut reader).take(allowed + 1);
    let copied = io::copy(&mut limited, &mut out).map_err(|e| io_error(name, e))?;
    if copied > entry.declared_size {
        return Err(IntakeError::Bomb(name.clone()));
    }
    if copied > budget {
        return Err(IntakeError::TooLarge {
            entry: name.clone(),
            limit_mb: limits.max_uncompressed_bytes / 1024 / 1024,
        });
    }
    out.flush().map_err(|e| io_error(name, e))?;
    fs::set_permissions(target, fs::Permissions::from_mode(mode)).map_err(|e| io_error(name, e))?;
    Ok(copied)
}

pub mod origins;

#[cfg(test)]
mod tests;
