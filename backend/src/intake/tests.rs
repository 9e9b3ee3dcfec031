use std::io::{Cursor, Write};

use zip::{ZipWriter, write::SimpleFileOptions};

use super::*;

fn zip_bytes(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, mode, data) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, SimpleFileOptions::default())
                .unwrap();
        } else {
            zip.start_file(*name, SimpleFileOptions::default().unix_permissions(*mode))
                .unwrap();
            zip.write_all(data).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

/// Sets an entry's unix mode in the central directory (the writer only makes regular files).
fn set_mode(mut zip: Vec<u8>, entry: &str, mode: u32) -> Vec<u8> {
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let len = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
            if &zip[i + 46..i + 46 + len] == entry.as_bytes() {
                zip[i + 5] = 3;
                zip[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
                return zip;
            }
        }
        i += 1;
    }
    panic!("no entry {entry}");
}

struct Case {
    _dir: tempfile::TempDir,
    zip: PathBuf,
    dest: PathBuf,
}

fn case(bytes: Vec<u8>) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("app.zip");
    std::fs::write(&zip, bytes).unwrap();
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    Case {
        _dir: dir,
        zip,
        dest,
    }
}

fn extract(bytes: Vec<u8>, limits: &IntakeLimits) -> (Result<Extracted, IntakeError>, Case) {
    let c = case(bytes);
    (extract_zip(&c.zip, &c.dest, limits), c)
}

/// Asserts the rule and entry of a refusal, and that nothing was written.
fn refused(bytes: Vec<u8>, limits: &IntakeLimits, rule: &str, entry: Option<&str>) {
    let (result, c) = extract(bytes, limits);
    let err = result.expect_err("the archive should be refused");
    assert_eq!(err.rule(), rule, "{err}");
    assert_eq!(err.entry(), entry, "{err}");
    if rule != "too_large" && rule != "bomb" {
        assert_eq!(
            std::fs::read_dir(&c.dest).unwrap().count(),
            0,
            "nothing written for {rule}"
        );
    }
}

const DOCKERFILE: (&str, u32, &[u8]) = ("Dockerfile", 0o644, b"FROM scratch\n");

#[test]
fn a_dockerfile_app_extracts_and_keeps_executable_bits() {
    let bytes = zip_bytes(&[
        DOCKERFILE,
        ("bin/run.sh", 0o755, b"#!/bin/sh\n"),
        ("www/", 0, b""),
        ("www/a..b.txt", 0o644, b"x"),
    ]);
    let (result, c) = extract(bytes, &IntakeLimits::default());
    let extracted = result.unwrap();
    assert_eq!(extracted.source, AppSource::Dockerfile);
    assert_eq!(extracted.files, 3);
    let mode = std::fs::metadata(c.dest.join("bin/run.sh"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
    assert!(
        c.dest.join("www/a..b.txt").exists(),
        "`..` inside a name is fine"
    );
}

#[test]
fn setuid_bits_are_dropped() {
    let bytes = zip_bytes(&[DOCKERFILE, ("suid", 0o4755, b"x")]);
    let (result, c) = extract(bytes, &IntakeLimits::default());
    result.unwrap();
    assert_eq!(
        std::fs::metadata(c.dest.join("suid"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o755
    );
}

#[test]
fn a_single_top_level_folder_is_the_app_root() {
    let bytes = zip_bytes(&[
        ("myapp/", 0, b""),
        ("myapp/Dockerfile", 0o644, b"FROM scratch\n"),
        ("myapp/src/x", 0o644, b"x"),
        ("__MACOSX/._x", 0o644, b"junk"),
    ]);
    let (result, c) = extract(bytes, &IntakeLimits::default());
    assert_eq!(result.unwrap().source, AppSource::Dockerfile);
    assert!(c.dest.join("Dockerfile").exists() && c.dest.join("src/x").exists());
    assert!(!c.dest.join("myapp").exists() && !c.dest.join("__MACOSX").exists());
}

#[test]
fn compose_files_are_recognised_and_win() {
    let bytes = zip_bytes(&[DOCKERFILE, ("compose.yaml", 0o644, b"services: {}\n")]);
    let (result, _c) = extract(bytes, &IntakeLimits::default());
    assert_eq!(
        result.unwrap().source,
        AppSource::Compose("compose.yaml".into())
    );
}

#[test]
fn parent_segments_are_refused() {
    refused(
        zip_bytes(&[DOCKERFILE, ("../evil.sh", 0o755, b"x")]),
        &IntakeLimits::default(),
        "path_traversal",
        Some("../evil.sh"),
    );
    refused(
        zip_bytes(&[DOCKERFILE, ("a/../../x", 0o644, b"x")]),
        &IntakeLimits::default(),
        "path_traversal",
        Some("a/../../x"),
    );
    refused(
        zip_bytes(&[DOCKERFILE, ("..\\win", 0o644, b"x")]),
        &IntakeLimits::default(),
        "path_traversal",
        Some("..\\win"),
    );
}

#[test]
fn absolute_paths_are_refused() {
    refused(
        zip_bytes(&[DOCKERFILE, ("/etc/passwd", 0o644, b"x")]),
        &IntakeLimits::default(),
        "absolute_path",
        Some("/etc/passwd"),
    );
    refused(
        zip_bytes(&[DOCKERFILE, ("C:/x", 0o644, b"x")]),
        &IntakeLimits::default(),
        "absolute_path",
        Some("C:/x"),
    );
}

#[test]
fn symlinks_are_refused() {
    let bytes = set_mode(
        zip_bytes(&[DOCKERFILE, ("link", 0o777, b"/etc/shadow")]),
        "link",
        0o120_777,
    );
    refused(bytes, &IntakeLimits::default(), "symlink", Some("link"));
}

#[test]
fn devices_and_fifos_are_refused() {
    for (mode, name) in [
        (0o010_644, "fifo"),
        (0o020_644, "chr"),
        (0o060_644, "blk"),
        (0o140_644, "sock"),
    ] {
        let bytes = set_mode(zip_bytes(&[DOCKERFILE, (name, 0o644, b"")]), name, mode);
        refused(bytes, &IntakeLimits::default(), "special_file", Some(name));
    }
}

#[test]
fn entry_count_is_limited() {
    let limits = IntakeLimits {
        max_entries: 3,
        ..IntakeLimits::default()
    };
    refused(
        zip_bytes(&[
            DOCKERFILE,
            ("a", 0o644, b""),
            ("b", 0o644, b""),
            ("c", 0o644, b""),
        ]),
        &limits,
        "too_many_entries",
        None,
    );
}

#[test]
fn uncompressed_size_is_limited() {
    let limits = IntakeLimits {
        max_uncompressed_bytes: 1000,
        ..IntakeLimits::default()
    };
    refused(
        zip_bytes(&[DOCKERFILE, ("big", 0o644, &[7u8; 2000])]),
        &limits,
        "too_large",
        Some("big"),
    );
}

#[test]
fn compression_bombs_are_refused() {
    let zeros = vec![0u8; 8 * 1024 * 1024];
    refused(
        zip_bytes(&[DOCKERFILE, ("zeros", 0o644, &zeros)]),
        &IntakeLimits::default(),
        "bomb",
        Some("zeros"),
    );
}

#[test]
fn duplicate_entries_are_refused() {
    refused(
        zip_bytes(&[DOCKERFILE, ("a", 0o644, b"1"), ("./a", 0o644, b"2")]),
        &IntakeLimits::default(),
        "duplicate_entry",
        Some("./a"),
    );
}

#[test]
fn archives_without_a_dockerfile_are_refused() {
    refused(
        zip_bytes(&[("README", 0o644, b"x")]),
        &IntakeLimits::default(),
        "missing_dockerfile",
        None,
    );
    // Two top-level folders: no single app root.
    refused(
        zip_bytes(&[("a/Dockerfile", 0o644, b"x"), ("b/x", 0o644, b"x")]),
        &IntakeLimits::default(),
        "missing_dockerfile",
        None,
    );
}

#[test]
fn garbage_is_not_a_zip() {
    refused(
        b"not a zip at all".to_vec(),
        &IntakeLimits::default(),
        "invalid_zip",
        None,
    );
}

mod properties {
    use std::{
        collections::HashSet,
        io::{Cursor, Write},
        path::{Path, PathBuf},
    };

    use proptest::{collection::vec, prelude::*, test_runner::Config};
    use zip::{ZipWriter, write::SimpleFileOptions};

    use super::super::{IntakeLimits, extract_files, extract_zip};

    fn config() -> Config {
        Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        }
    }

    /// Stands for the test's own folder in generated names, so that absolute names point
    /// somewhere the test can watch.
    const ROOT: &str = "{ROOT}";

    /// Entry names: segments of `..`, `.`, nothing, `~`, drive letters, ordinary and unicode
    /// text, joined by `/` or `\`, maybe absolute (a leading separator, a drive, the test's
    /// own folder). Most names are harmless, so that many archives get extracted.
    fn name() -> impl Strategy<Value = String> {
        let segment = prop_oneof![
            1 => Just("..".to_string()),
            1 => Just(".".to_string()),
            1 => Just(String::new()),
            1 => Just("~".to_string()),
            1 => Just("C:".to_string()),
            1 => Just("__MACOSX".to_string()),
            1 => Just("Dockerfile".to_string()),
            8 => "[a-z]{1,3}",
            4 => "\\PC{1,4}",
            2 => "[a-z.]{1,4}",
        ];
        let separator = prop_oneof![3 => Just("/"), 1 => Just("\\")];
        let lead = prop_oneof![
            40 => Just(""),
            1 => Just("/"),
            1 => Just("\\"),
            1 => Just("c:/"),
            1 => Just(ROOT),
        ];
        (lead, vec((segment, separator), 1..5), any::<bool>()).prop_map(
            |(lead, parts, trailing)| {
                let mut name = lead.to_string();
                for (i, (segment, separator)) in parts.iter().enumerate() {
                    if i > 0 {
                        name.push_str(separator);
                    }
                    name.push_str(segment);
                }
                if trailing {
                    name.push('/');
                }
                name
            },
        )
    }

    /// A ZIP of `entries` (a name ending in `/` is a folder), and the names it holds: repeated
    /// names and names the writer refuses are left out.
    fn zip_of(entries: &[String]) -> (Vec<u8>, Vec<String>) {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let mut written = Vec::new();
        let mut seen = HashSet::new();
        for name in entries {
            if !seen.insert(name.clone()) {
                continue;
            }
            let options = SimpleFileOptions::default().unix_permissions(0o644);
            let added = if name.ends_with('/') {
                zip.add_directory(name.as_str(), options).is_ok()
            } else {
                zip.start_file(name.as_str(), options).is_ok() && zip.write_all(b"x").is_ok()
            };
            if added {
                written.push(name.clone());
            }
        }
        (zip.finish().unwrap().into_inner(), written)
    }

    /// Every path under `dir`, links not followed.
    fn tree(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            found.push(path.clone());
            if meta.is_dir() {
                found.extend(tree(&path));
            }
        }
        found
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever the entry names, nothing is written outside the destination, nothing there
        /// is a link, and absolute names and `..` segments are refused.
        #[test]
        fn no_entry_lands_outside_the_destination(
            names in vec(name(), 1..5),
            with_dockerfile in any::<bool>(),
        ) {
            let root = tempfile::tempdir().unwrap();
            let base = root.path();
            let mut names: Vec<String> = names
                .iter()
                .map(|n| n.replace(ROOT, &base.display().to_string()))
                .collect();
            if with_dockerfile {
                names.push("Dockerfile".into());
            }
            let zip = base.join("app.zip");
            let (bytes, names) = zip_of(&names);
            std::fs::write(&zip, bytes).unwrap();
            let deep = base.join("a/b");
            let (app, files) = (deep.join("app"), deep.join("files"));
            std::fs::create_dir_all(&app).unwrap();
            std::fs::create_dir(&files).unwrap();

            let limits = IntakeLimits::default();
            let results = [
                extract_zip(&zip, &app, &limits).map(drop),
                extract_files(&zip, &files, &limits).map(drop),
            ];

            let allowed: Vec<PathBuf> = [base.join("a"), deep.clone(), zip.clone()].into();
            for path in tree(base) {
                let inside = path.starts_with(&app) || path.starts_with(&files);
                prop_assert!(
                    inside || allowed.contains(&path) || path == app || path == files,
                    "{} was written outside the destination (names {names:?})",
                    path.display()
                );
                let meta = std::fs::symlink_metadata(&path).unwrap();
                prop_assert!(!meta.file_type().is_symlink(), "{}", path.display());
            }
            let hostile = names.iter().any(|n| {
                let n = n.replace('\\', "/").into_bytes();
                let drive = n.len() >= 2 && n[0].is_ascii_alphabetic() && n[1] == b':';
                drive || n.starts_with(b"/") || n.split(|b| *b == b'/').any(|s| s == b"..")
            });
            if hostile {
                for result in &results {
                    prop_assert!(result.is_err(), "{names:?} was accepted");
                }
            }
        }
    }
}
