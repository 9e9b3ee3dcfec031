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
