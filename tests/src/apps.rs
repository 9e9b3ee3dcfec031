//! Test apps, packed as ZIPs in memory. Built `FROM scratch` around Debian's static busybox,
//! since there is no registry to pull from.

use std::io::Write;

use zip::{ZipWriter, write::SimpleFileOptions};

const BUSYBOX: &str = "/bin/busybox";

/// A ZIP from `(path, unix mode, contents)` entries.
pub fn zip_of(entries: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, mode, data) in entries {
        let options = SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*path, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

fn busybox() -> Vec<u8> {
    std::fs::read(BUSYBOX)
        .expect("a static busybox at /bin/busybox (scripts/test-env.sh installs it)")
}

/// An HTTP app on port 8080 whose pages say `marker`. Its entrypoint is a script that only runs
/// if the ZIP's executable bit survives intake and build.
pub fn web_app(marker: &str) -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCOPY start.sh /start.sh\nEXPOSE 8080\nENTRYPOINT [\"/start.sh\"]\n";
    let start = "#!/bin/busybox sh\nexec /bin/busybox httpd -f -p 8080 -h /www\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("start.sh", 0o755, start.into()),
        ("busybox", 0o755, busybox()),
        (
            "www/index.html",
            0o644,
            format!("<h1>{marker}</h1>\n").into_bytes(),
        ),
        (
            "www/sub/path/index.html",
            0o644,
            format!("deep {marker}\n").into_bytes(),
        ),
    ])
}

/// Builds fine, then exits at once: a version that never becomes ready.
pub fn crashing_app() -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"sh\", \"-c\", \"echo crashing on purpose; exit 3\"]\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
    ])
}

/// A Dockerfile whose build fails.
pub fn unbuildable_app() -> Vec<u8> {
    let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo broken build; exit 7\"]\n";
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into()),
        ("busybox", 0o755, busybox()),
    ])
}

/// A build that takes `seconds`, to interrupt it.
pub fn slow_build_app(seconds: u32) -> Vec<u8> {
    let dockerfile = format!(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"{seconds}\"]\nEXPOSE 8080\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n"
    );
    zip_of(&[
        ("Dockerfile", 0o644, dockerfile.into_bytes()),
        ("busybox", 0o755, busybox()),
    ])
}
