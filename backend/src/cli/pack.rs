//! A folder packed as the ZIP Milkcrate takes: its files with their modes, minus what its
//! `.dockerignore` leaves out. Links are never followed out of the folder: a link to a file inside
//! it is packed as that file, any other link stops the packing, naming it (the server refuses
//! links in an archive, and a link out of the folder could carry any file of this host).

use std::{
    fs::File,
    io::{Seek, Write},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::dockerignore::DockerIgnore;

/// What went into the archive.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub files: u64,
    /// Bytes before compression.
    pub bytes: u64,
}

/// Packs `dir` into `out`.
pub fn pack(dir: &Path, out: impl Write + Seek) -> anyhow::Result<Packed> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("reading {}", dir.display()))?;
    let ignore = match std::fs::read_to_string(root.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => return Err(e).context("reading .dockerignore"),
    };
    let mut zip = ZipWriter::new(out);
    let mut packed = Packed::default();
    walk(&root, &root, &ignore, &mut zip, &mut packed)?;
    zip.finish().context("writing the archive")?;
    Ok(packed)
}

fn walk<W: Write + Seek>(
    root: &Path,
    dir: &Path,
    ignore: &DockerIgnore,
    zip: &mut ZipWriter<W>,
    packed: &mut Packed,
) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    // Stable archives: the same folder packs the same way.
    entries.sort();
    for path in entries {
        let relative = path
            .strip_prefix(root)
            .context("a path outside the folder")?
            .to_string_lossy()
            .replace('\\', "/");
        let excluded = ignore.excludes(&relative);
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            if excluded && !ignore.has_exceptions() {
                continue;
            }
            walk(root, &path, ignore, zip, packed)?;
            continue;
        }
        if excluded {
            continue;
        }
        let source = if meta.file_type().is_symlink() {
            linked_file(root, &path, &relative)?
        } else if meta.is_file() {
            path.clone()
        } else {
            bail!(
                "`{relative}` is not a regular file (a socket, a device?); add it to .dockerignore"
            );
        };
        let mode = std::fs::metadata(&source)?.permissions().mode() & 0o777;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(mode)
            .large_file(true);
        zip.start_file(relative.as_str(), options)?;
        let mut file =
            File::open(&source).with_context(|| format!("reading {}", source.display()))?;
        packed.bytes +=
            std::io::copy(&mut file, zip).with_context(|| format!("packing {relative}"))?;
        packed.files += 1;
    }
    Ok(())
}

/// The file a link inside the folder points to, if it is a regular file inside the folder too.
fn linked_file(root: &Path, link: &Path, relative: &str) -> anyhow::Result<PathBuf> {
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "`{relative}` is a symbolic link {why}; links are not followed out of the folder. \
             Replace it with the file, or add it to .dockerignore"
        )
    };
    let target = link.canonicalize().map_err(|_| refuse("to nothing"))?;
    if !target.starts_with(root) {
        return Err(refuse(&format!(
            "to {}, outside the folder",
            target.display()
        )));
    }
    if !target.is_file() {
        return Err(refuse("to a folder"));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn names(zip: &[u8]) -> Vec<(String, u32, String)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut text = String::new();
                f.read_to_string(&mut text).unwrap();
                (f.name().to_string(), f.unix_mode().unwrap() & 0o777, text)
            })
            .collect()
    }

    #[test]
    fn a_folder_is_packed_with_modes_minus_what_dockerignore_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(d.join(".dockerignore"), "*.log\nsecrets\n").unwrap();
        std::fs::write(d.join("start.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(d.join("start.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::write(d.join("debug.log"), "noise").unwrap();
        std::fs::create_dir_all(d.join("secrets")).unwrap();
        std::fs::write(d.join("secrets/key"), "k").unwrap();
        std::fs::create_dir_all(d.join("www")).unwrap();
        std::fs::write(d.join("www/index.html"), "hi").unwrap();
        std::os::unix::fs::symlink("www/index.html", d.join("alias.html")).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        let packed = pack(d, &mut out).unwrap();
        assert_eq!(packed.files, 5);
        assert_eq!(
            names(out.get_ref()),
            vec![
                (
                    ".dockerignore".to_string(),
                    0o644,
                    "*.log\nsecrets\n".to_string()
                ),
                (
                    "Dockerfile".to_string(),
                    0o644,
                    "FROM scratch\n".to_string()
                ),
                ("alias.html".to_string(), 0o644, "hi".to_string()),
                ("start.sh".to_string(), 0o755, "#!/bin/sh\n".to_string()),
                ("www/index.html".to_string(), 0o644, "hi".to_string()),
            ]
        );
    }

    #[test]
    fn links_out_of_the_folder_are_refused_by_name_unless_ignored() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("passwd"), "root:x:0:0").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("passwd"), d.join("leak")).unwrap();
        let err = pack(d, std::io::Cursor::new(Vec::new()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`leak`") && err.contains("outside the folder"),
            "{err}"
        );
        std::os::unix::fs::symlink(outside.path(), d.join("dir-link")).unwrap();
        std::fs::write(d.join(".dockerignore"), "leak\ndir-link\n").unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        pack(d, &mut out).unwrap();
        let packed: Vec<String> = names(out.get_ref()).into_iter().map(|n| n.0).collect();
        assert_eq!(packed, [".dockerignore", "Dockerfile"]);
    }
}
